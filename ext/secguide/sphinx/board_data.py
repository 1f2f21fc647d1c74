"""The board finder's data file, ``_static/secguide-boards-data.js``.

Written at ``build-finished`` and loaded by a ``<script>`` tag, so the "Your board"
page works from ``file://`` where ``fetch()`` does not; the finder's script inserts
every string from it as text, never as markup. It holds every target's verdicts and
``prj.conf`` fragment (:mod:`secguide.evidence.board_page`: each distinct fragment
rendered once), written again only when something it shows changed (its key, beside
it): a prose edit, or a build with nothing to do, evaluates and renders nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from secguide.diagnostics import SecguideError
from secguide.files import temp_beside
from secguide.sphinx.model import get_state, inputs_digest

STATIC = Path(__file__).resolve().parent / "static"
SCRIPT = "secguide-boards.js"
CSS = "secguide-boards.css"
DATA = "secguide-boards-data.js"
#: What the data file was made from (beside it; compared before making it again).
DATA_KEY = "secguide-boards-data.key"
#: The model inputs' digest (:func:`secguide.sphinx.model.inputs_digest`) the data file
#: was last found current for: a build with the same inputs asks nothing of the boards.
DATA_INPUTS = "secguide-boards-data.inputs"
#: The code that shapes the data beyond the verdicts: this module, the one pass making
#: the finder's data and the fragments' (their template is in the verdicts' key).
#: Found without importing them: a build with nothing to do writes no data.
_CODE = (Path(__file__), *(Path(__file__).parents[1] / "evidence" / name
                           for name in ("board_page.py", "prj_conf.py")))


def _write_asset(path: Path, text: str) -> None:
    """Atomic, and readable by a web server like Sphinx's own assets (0644)."""
    tmp = temp_beside(path, text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def data_key(answers: str, urls: dict[str, str]) -> str:
    """What the data file shows depends on: the verdicts' key (tree, settings asked, the
    recommendations' IDs, titles and scopes, the trace code), the pages the
    recommendations are on, and the code writing the data and the fragments."""
    code = [hashlib.sha256(path.read_bytes()).hexdigest() for path in _CODE]
    return hashlib.sha256(json.dumps([answers, urls, code], sort_keys=True).encode()
                          ).hexdigest()


def setup_board_data(app: Sphinx, view_of: Callable[[Any], Any]) -> None:
    """Write the finder's script, style and data at the end of each HTML build.

    ``view_of`` gives the build's verdicts (every target's report) for a model state."""

    def write_data(app: Sphinx, exception: Exception | None) -> None:
        """``build-finished``: the finder's script and data, beside the other assets."""
        if exception is not None or app.builder.format != "html":
            return
        domain = app.env.get_domain("secguide")
        # Relative to the site root; the finder page knows its own depth (data-root).
        urls = {item_id: f"{app.builder.get_target_uri(docname)}#{item_id}"
                for item_id, (docname, _line) in domain.data["items"].items()}
        static = Path(app.outdir) / "_static"
        for asset in (SCRIPT, CSS):
            _write_asset(static / asset, (STATIC / asset).read_text(encoding="utf-8"))
        # made from the same model, tree and code as when last written: nothing to ask
        inputs = inputs_digest(app.env)
        made_from = None if inputs is None else data_key(inputs, urls)
        if made_from is not None and (static / DATA).is_file() \
                and _read(static / DATA_INPUTS) == made_from:
            return
        state = get_state(app.env)
        try:
            answers = state.project.board_reports_key()
        except SecguideError:
            answers = None
        key = None if answers is None else data_key(answers, urls)
        stamp = static / DATA_KEY
        if key is None or not (static / DATA).is_file() or _read(stamp) != key:
            from secguide.evidence import board_page
            view = view_of(state)
            # no targets (a legacy tree): the finder's data says so with empty tables
            page = view.page or board_page.make_board_page((), view.zephyr_version)
            _write_asset(static / DATA,
                         f"window.SECGUIDE_BOARDS = {page.finder_json(urls)};\n")
            if key is not None:
                _write_asset(stamp, key)
        if made_from is not None:
            _write_asset(static / DATA_INPUTS, made_from)

    app.add_css_file(CSS)
    app.connect("build-finished", write_data)
