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


RANDOM_RECS = """\
recommendations:
  - id: REC-RANDOM
    title: Seed the stack pointer randomly
    area: randomness
    status: draft
    rationale: A random stack start makes addresses harder to guess.
    settings:
      - symbol: STACK_POINTER_RANDOM
        value: "64"
    verification:
      - id: TEST-MAN-RANDOM
        manual: Checked by hand.
"""

RANDOM_PAGE = """\
Randomness
##########

.. secguide-recommendations::
   :area: randomness, x86
"""

CANARIES_PAGE = """\
Canaries
########

.. secguide-recommendations::
   :area: stack-protection, memory-protection
"""


def doctree_stamps(src: Path) -> dict[str, int]:
    """Each page's pickled doctree and when it was written: a re-read page writes it."""
    return {path.stem: path.stat().st_mtime_ns
            for path in (src / "_build" / "doctrees").glob("*.doctree")}


def test_an_area_edit_rereads_its_page_and_the_aggregates_only(guide: Path) -> None:
    """One area's YAML file edited: its page and the pages that list every item show the
    edit, the other area's page is not read again; an item moved to another area (in
    its own file) leaves its old page and joins the new one."""
    # the model page keeps its threats and its verification table (of every item)
    model_page = guide / "model.rst"
    model_page.write_text(model_page.read_text().replace(".. secguide-recommendations::\n",
                                                         ""))
    # two areas per page: a one-area page links to a trace diagram this guide does not have
    (guide / "canaries.rst").write_text(CANARIES_PAGE)
    (guide / "random.rst").write_text(RANDOM_PAGE)
    index = guide / "index.rst"
    index.write_text(index.read_text().replace("   about\n",
                                               "   about\n   canaries\n   random\n"))
    random_recs = guide / "threatmodel" / "random.yaml"
    random_recs.write_text(RANDOM_RECS)
    threats = guide / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]",
                                                   "[REC-CANARIES, REC-RANDOM]"))
    assert build(guide) == []
    assert "Seed the stack pointer randomly" in text_of(guide, "random")
    assert "Seed the stack pointer randomly" not in text_of(guide, "canaries")
    before = doctree_stamps(guide)

    random_recs.write_text(RANDOM_RECS.replace("Seed the stack pointer randomly",
                                               "Start the stack at a random address"))
    assert build(guide) == []
    after = doctree_stamps(guide)
    # every page that shows the item (its card, the needtable and diagram, coverage and
    # review status, the Kconfig reference) shows the new title and not the old one
    for name in ("random", "trace"):
        page = text_of(guide, name)
        assert "Start the stack at a random address" in page, name
        assert "Seed the stack pointer randomly" not in page, name
    for name in ("random", "trace", "status", "kconfig"):
        assert "REC-RANDOM" in text_of(guide, name), name
    assert "TEST-MAN-RANDOM" in text_of(guide, "model")  # the verification table
    for name in ("random", "trace", "status", "kconfig", "model"):
        assert after[name] != before[name], f"{name} was not read again"
    # the other area's page and the plain page were not read again
    for name in ("canaries", "about"):
        assert after[name] == before[name], f"{name} was read again"

    # the item moves to the other area in its own file: the canaries page's selection
    # gains it although none of the files it depends on changed
    random_recs.write_text(RANDOM_RECS.replace("area: randomness", "area: stack-protection"))
    assert build(guide) == []
    assert "Seed the stack pointer randomly" in text_of(guide, "canaries")
    assert "Seed the stack pointer randomly" not in text_of(guide, "random")
    assert "No recommendation matches this selection." in text_of(guide, "random")
