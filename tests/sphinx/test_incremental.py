"""Incremental builds are right: an edited or added item shows on every page after ``make html``.

Two builds of one output folder with a YAML edit in between, as a user runs
them; every page that shows a recommendation (its own page, the settings table,
the Kconfig reference, the needtable matrix and needflow diagram, coverage,
review status) must show the new text and no page the old one.
"""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sphinx" / "basic"

TRACE_PAGE = """\
Trace
#####

.. needtable::
   :types: recommendation
   :columns: id;title;mitigates;implemented_by
   :style: table

.. needflow::
   :types: threat;recommendation;setting
"""

STATUS_PAGE = """\
Status
######

.. secguide-review-status::

.. secguide-coverage::
"""

NEW_REC = """\
  - id: REC-ADDED
    title: Freshly added recommendation
    area: stack-protection
    status: draft
    rationale: Added between two builds.
    settings:
      - symbol: STACK_CANARIES
        value: "y"
    verification:
      - id: TEST-MAN-ADDED
        manual: Checked by hand.
"""

#: pages that show recommendation titles or IDs, and what each must show of REC-CANARIES
PAGES = ("model", "trace", "status")


@pytest.fixture
def guide(tmp_path: Path, mini_tree: Path) -> Path:
    src = tmp_path / "guide"
    shutil.copytree(FIXTURE, src)
    with (src / "conf.py").open("a") as conf:
        conf.write(f"secguide_zephyr_base = {str(mini_tree)!r}\n")
    (src / "trace.rst").write_text(TRACE_PAGE)
    (src / "status.rst").write_text(STATUS_PAGE)
    index = src / "index.rst"
    index.write_text(index.read_text().replace("   about\n", "   about\n   trace\n   status\n"))
    return src


def build(src: Path) -> list[str]:
    """One build into ``src/_build`` (kept between calls); its warning lines."""
    app = SphinxTestApp("html", srcdir=src, builddir=src / "_build")
    try:
        app.build()
    finally:
        app.cleanup()
    text = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
    return [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line]


def text_of(src: Path, name: str) -> str:
    """The page's HTML with entities decoded, plus any SVG diagrams it embeds or links."""
    out = src / "_build" / "html"
    page = (out / f"{name}.html").read_text(encoding="utf-8")
    for image in re.findall(r'(?:src|data)="([^"]+\.svg)"', page):
        page += (out / image).read_text(encoding="utf-8")
    return html.unescape(page)


def test_title_edit_and_new_item_reach_every_page(guide: Path) -> None:
    assert build(guide) == []
    for name in PAGES:
        assert "REC-CANARIES" in text_of(guide, name), name
    assert "Turn on stack canaries" in text_of(guide, "trace")

    recs = guide / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("Turn on stack canaries",
                                             "Enable compiler stack canaries") + NEW_REC)
    threats = guide / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]",
                                                   "[REC-CANARIES, REC-ADDED]"))
    assert build(guide) == []

    for name in ("model", "trace"):
        page = text_of(guide, name)
        assert "Enable compiler stack canaries" in page, name
        assert "Turn on stack canaries" not in page, name
    for name in PAGES:
        assert "REC-ADDED" in text_of(guide, name), name
    # the new setting need joins the settings table and the diagram
    assert "SET-ADDED-STACK-CANARIES" in text_of(guide, "trace")
    assert "REC-ADDED" in text_of(guide, "kconfig")


def test_new_yaml_file_reaches_every_page(guide: Path) -> None:
    assert build(guide) == []
    (guide / "threatmodel" / "more.yaml").write_text("recommendations:\n" + NEW_REC)
    threats = guide / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]",
                                                   "[REC-CANARIES, REC-ADDED]"))
    assert build(guide) == []
    for name in PAGES:
        assert "REC-ADDED" in text_of(guide, name), name
