"""The guide's stylesheet: item cards, status lines, diagrams, tables and Kconfig entries."""

from __future__ import annotations

from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util.fileutil import copy_asset_file

STATIC = Path(__file__).resolve().parent / "static"
CSS = "secguide.css"


def copy_static(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: ship the stylesheet with HTML output."""
    if exception is None and app.builder.format == "html":
        copy_asset_file(STATIC / CSS, Path(app.outdir) / "_static", force=True)


def setup_static(app: Sphinx) -> None:
    app.add_css_file(CSS)
    app.connect("build-finished", copy_static)
