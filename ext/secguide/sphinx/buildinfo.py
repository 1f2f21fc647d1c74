"""``secguide-build-info``: what this build of the guide was made from, said on its index page.

A reader (and an assessor) needs to know which Zephyr release the settings were
checked against, whether test results were included, and which older release the
"Changes" page compares with. Paths are shown relative to the project, so the page
is the same from any checkout.
"""

from __future__ import annotations

import os
from pathlib import Path

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from secguide.sphinx.config import project_path
from secguide.sphinx.model import get_app, get_state
from secguide.sphinx.shown import note_shown


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return os.path.relpath(path, root).replace(os.sep, "/")


class BuildInfoDirective(SphinxDirective):
    """A short list: Zephyr tree, test results, baseline release."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        state = get_state(self.env)
        app = get_app(self.env)
        # read again when the tree, the tests' outcomes or the baseline change
        note_shown(self.env, ("build_info",))
        self.env.get_domain("secguide").note_model_doc(self.env.docname)
        root = Path(app.confdir)
        facts = nodes.bullet_list(classes=["secguide-build-info"])

        def fact(text: str) -> None:
            facts.append(nodes.list_item("", nodes.paragraph(text, text)))

        fact(f"Kconfig symbols checked against Zephyr {state.db.zephyr_version} "
             f"(tree fingerprint {state.db.fingerprint[:12]}).")
        files = [project_path(app, name) for name in app.config.secguide_results_files]
        tests = [item for item in state.items if item.type == "test"]
        ran = [item for item in tests if item.extra.get("result", "not run") != "not run"]
        if files:
            names = ", ".join(_shown(path, root) for path in files)
            fact(f"Test results from {names}: {len(ran)} of {len(tests)} verifications "
                 "have an outcome.")
        else:
            fact("No test results were given: every automated verification shows 'not run'.")
        if state.drift is not None:
            fact(f"The Changes page compares with Zephyr {state.drift.old_version}.")
        else:
            fact("No baseline release was given: the Changes page is empty.")
        return [facts]


def setup_buildinfo(app: Sphinx) -> None:
    app.add_directive("secguide-build-info", BuildInfoDirective)
