"""``secguide-prjconf``: the ``prj.conf`` lines of an area, per profile, ready to copy.

For each profile (``base``, then ``strict``, which includes ``base``) the settings of
the area's current recommendations in that profile, from the ``area_prj.conf.j2``
template; a recommendation limited to some architectures is marked "only on ...".
A setting without one value (a range such as ``>= 100``) is a comment naming the
requirement, and a symbol the tree does not define yet is left out.
"""

from __future__ import annotations

from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from secguide.sphinx.model import ModelState, get_state
from secguide.sphinx.shown import note_shown
from secguide.templates import render
from secguide.trace.page_digests import options_arg


def prj_conf_lines(state: ModelState, area: str, profile: str) -> list[dict[str, Any]]:
    """The lines of ``area`` for ``profile``: recommendation, symbol, value, architectures."""
    model = state.model
    lines = []
    for rec in model.recommendations:
        if rec.area != area or rec.status == "deprecated" or not model.in_profile(rec, profile):
            continue
        for setting in rec.settings:
            if setting.symbol not in state.db:
                continue
            lines.append({"rec_id": rec.id, "symbol": setting.symbol, "value": setting.value,
                          "requirement": setting.requirement_text,
                          "archs": list(rec.applies_to.architectures)})
    return lines


class PrjConfDirective(SphinxDirective):
    """``.. secguide-prjconf:: :area: NAME`` — one block per profile."""

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"area": directives.unchanged_required}

    def run(self) -> list[nodes.Node]:
        state = get_state(self.env)
        area = self.options.get("area", "")
        # the area's recommendations (their settings, profiles and architectures)
        note_shown(self.env, ("recommendations", options_arg({"area": [area]})))
        self.env.get_domain("secguide").note_model_doc(self.env.docname)
        return prj_conf_blocks(self, state, area)


def prj_conf_blocks(directive: SphinxDirective, state: ModelState,
                    area: str) -> list[nodes.Node]:
    """A rubric and a copyable block per profile (also used by area pages)."""
    result: list[nodes.Node] = []
    for profile in state.model.profiles:
        text = render("area_prj.conf.j2", area=area, profile=profile.name,
                      zephyr_version=state.db.zephyr_version,
                      lines=prj_conf_lines(state, area, profile.name))
        title = f"Profile {profile.name}"
        result.append(nodes.rubric(title, title))
        block = nodes.literal_block(text, text, language="none",
                                    classes=["secguide-prjconf"])
        directive.set_source_info(block)
        result.append(block)
    return result


def setup_prjconf(app: Sphinx) -> None:
    app.add_directive("secguide-prjconf", PrjConfDirective)
