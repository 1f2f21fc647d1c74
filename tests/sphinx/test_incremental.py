"""Incremental builds are right: an edited or added item shows on every page after ``make html``.

Two builds of one output folder with a YAML edit in between, as a user runs
them; every page that shows a recommendation (its own page, the settings table,
the Kconfig reference, the needtable matrix and needflow diagram, coverage,
review status) must show the new text and no page the old one.
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.sphinx.test_sphinx_ext import build as build_app
from tests.sphinx.test_sphinx_ext import tiny_guide, warnings_of

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
    src = tiny_guide(tmp_path, mini_tree)
    with (src / "conf.py").open("a") as conf:
        conf.write('graphviz_output_format = "svg"\n')  # diagrams' text, read by text_of
    (src / "trace.rst").write_text(TRACE_PAGE)
    (src / "status.rst").write_text(STATUS_PAGE)
    index = src / "index.rst"
    index.write_text(index.read_text().replace("   about\n", "   about\n   trace\n   status\n"))
    return src


def build(src: Path) -> list[str]:
    """One build into ``src/_build`` (kept between calls); its warning lines."""
    return warnings_of(build_app(src))


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


def html_stamps(src: Path) -> dict[str, int]:
    """Each page's HTML file and when it was written (pages of the guide's sources only:
    the general index, search and sphinx-needs' permalink page are written every time)."""
    pages = doctree_stamps(src)
    return {path.stem: path.stat().st_mtime_ns
            for path in (src / "_build" / "html").glob("*.html") if path.stem in pages}


def changed(before: dict[str, int], after: dict[str, int]) -> set[str]:
    return {name for name, stamp in after.items() if before.get(name) != stamp}


def with_areas(guide: Path, recs: str = RANDOM_RECS) -> Path:
    """Two area pages (canaries, random), the model page without recommendation cards
    (it keeps its threats and verification table), ``random.yaml`` holding ``recs``."""
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
    random_recs.write_text(recs)
    ids = ", ".join(re.findall(r"id: (REC-[A-Z-]+)", recs))
    threats = guide / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]", f"[REC-CANARIES, {ids}]"))
    return random_recs


def test_an_area_edit_rereads_its_page_and_the_aggregates_only(guide: Path) -> None:
    """A title edited in one area's YAML file: its page and the pages that list the title
    are read again (review status), the pages whose need views show it are written again
    (needtable, needflow); the other area's page and the pages that show only the item's
    ID (the settings table, the verification table) are not read; an item moved to another
    area (in its own file) leaves its old page and joins the new one."""
    random_recs = with_areas(guide)
    assert build(guide) == []
    assert "Seed the stack pointer randomly" in text_of(guide, "random")
    assert "Seed the stack pointer randomly" not in text_of(guide, "canaries")
    before, written_before = doctree_stamps(guide), html_stamps(guide)

    random_recs.write_text(RANDOM_RECS.replace("Seed the stack pointer randomly",
                                               "Start the stack at a random address"))
    assert build(guide) == []
    read = changed(before, doctree_stamps(guide))
    written = changed(written_before, html_stamps(guide))
    # every page that shows the title (its card, the needtable and diagram, review
    # status) shows the new one and not the old one
    for name in ("random", "trace", "status"):
        page = text_of(guide, name)
        assert "Start the stack at a random address" in page, name
        assert "Seed the stack pointer randomly" not in page, name
    for name in ("random", "trace", "status", "kconfig"):
        assert "REC-RANDOM" in text_of(guide, name), name
    assert "TEST-MAN-RANDOM" in text_of(guide, "model")  # the verification table
    assert read == {"random", "status"}
    # the need views are filled when written; the index follows its written children
    assert written == {"random", "status", "trace", "index"}

    # the item moves to the other area in its own file: the canaries page's selection
    # gains it although none of the files it depends on changed
    random_recs.write_text(RANDOM_RECS.replace("area: randomness", "area: stack-protection"))
    assert build(guide) == []
    assert "Seed the stack pointer randomly" in text_of(guide, "canaries")
    assert "Seed the stack pointer randomly" not in text_of(guide, "random")
    assert "No recommendation matches this selection." in text_of(guide, "random")
    # pages linking to it (not read: what they show is the same) link to its new page
    for name in ("kconfig", "model", "status"):
        assert 'href="canaries.html#REC-RANDOM"' in text_of(guide, name), name
        assert 'href="random.html#REC-RANDOM"' not in text_of(guide, name), name


SPARE_REC = """\
  - id: REC-SPARE
    title: Keep a spare random source
    area: randomness
    status: draft
    rationale: A second source keeps working when the first fails.
    settings:
      - symbol: STACK_CANARIES
        value: "y"
    verification:
      - id: TEST-MAN-SPARE
        manual: Checked by hand as well.
"""

TWO_RECS = RANDOM_RECS + SPARE_REC

MINI_STANDARD = """\
standard:
  id: STD-MINI
  name: A small standard
  edition: "1"
  summary: One clause, addressed by the random stack.
  clauses:
    - id: CLS-MINI-1
      clause: "1"
      title: Addresses are hard to guess
      met_by: configuration
      recommendations: [REC-RANDOM]
      justification: The random stack start.
"""

STANDARD_PAGE = """\
Mini standard
#############

.. secguide-standard:: MINI
"""


def with_standard(guide: Path) -> None:
    """A standard's crosswalk page (``std``): its clause shows REC-RANDOM's settings."""
    (guide / "threatmodel" / "standards").mkdir()
    (guide / "threatmodel" / "standards" / "mini.yaml").write_text(MINI_STANDARD)
    (guide / "std.rst").write_text(STANDARD_PAGE)
    index = guide / "index.rst"
    index.write_text(index.read_text().replace("   about\n", "   about\n   std\n"))


def _inserted_line(guide: Path) -> None:
    recs = guide / "threatmodel" / "random.yaml"
    recs.write_text("# randomness recommendations\n" + recs.read_text())


def _touched(guide: Path) -> None:
    recs = guide / "threatmodel" / "random.yaml"
    later = recs.stat().st_mtime_ns + 2_000_000_000
    os.utime(recs, ns=(later, later))


def _replaced(name: str, old: str, new: str) -> Callable[[Path], None]:
    def edit(guide: Path) -> None:
        path = guide / "threatmodel" / name
        text = path.read_text()
        assert old in text, old
        path.write_text(text.replace(old, new))
    return edit


def _appended(name: str, text: str) -> Callable[[Path], None]:
    def edit(guide: Path) -> None:
        path = guide / "threatmodel" / name
        path.write_text(path.read_text() + text)
    return edit


def _both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def edit(guide: Path) -> None:
        for one in edits:
            one(guide)
    return edit


ADDED_REC = NEW_REC.replace("stack-protection", "randomness")

#: edit -> (pages read again, pages written again, {page: text it must show after})
#: Every page written is also written when read; ``index`` is written with any of its
#: children (its table of contents); ``trace`` holds need views, written when a need changed.
EDITS: dict[str, tuple[Callable[[Path], None], set[str], set[str], dict[str, str]]] = {
    "touch only": (_touched, set(), set(), {}),
    "comment only": (_appended("random.yaml", "# reviewed again in May\n"), set(), set(), {}),
    "recommendation text": (
        _replaced("random.yaml", "A random stack start makes addresses harder to guess.",
                  "Guessing addresses gets harder with a random stack start."),
        {"random"}, {"trace", "index"},
        {"random": "Guessing addresses gets harder with a random stack start."}),
    "setting value": (
        _replaced("random.yaml", 'value: "64"', 'value: "4096"'),
        # the crosswalk's clause lists the settings that address it
        {"random", "kconfig", "std"}, {"trace", "index"},
        {"random": "CONFIG_STACK_POINTER_RANDOM=4096", "kconfig": "4096",
         "std": "CONFIG_STACK_POINTER_RANDOM=4096"}),
    "threat title": (
        _replaced("threats.yaml", "title: Stack smashing", "title: Stack buffer overrun"),
        {"model", "status"}, {"trace", "index"},
        # the diagram wraps the title after "buffer"
        {"model": "Stack buffer overrun", "status": "Stack buffer overrun",
         "trace": "Stack buffer"}),
    "item added": (
        _both(_appended("random.yaml", ADDED_REC),
              _replaced("threats.yaml", "REC-SPARE]", "REC-SPARE, REC-ADDED]")),
        {"random", "kconfig", "status", "model"}, {"trace", "index"},
        {"random": "Freshly added recommendation", "kconfig": "REC-ADDED",
         "status": "REC-ADDED", "model": "TEST-MAN-ADDED", "trace": "REC-ADDED"}),
    "item removed": (
        _both(_replaced("random.yaml", SPARE_REC, ""),
              _replaced("threats.yaml", ", REC-SPARE]", "]")),
        {"random", "kconfig", "status", "model"}, {"trace", "index"}, {}),
    "item moved to another area": (
        _replaced("random.yaml", "area: randomness\n    status: draft\n    rationale: A second",
                  "area: stack-protection\n    status: draft\n    rationale: A second"),
        {"random", "canaries"}, {"trace", "index", "kconfig", "model", "status"},
        {"canaries": "Keep a spare random source"}),
    # every item of the file is a line lower: its cards link and warn at the new line
    "line inserted above": (_inserted_line, {"random", "model"}, {"trace", "index"}, {}),
}


@pytest.mark.parametrize("edit", EDITS)
def test_each_kind_of_edit_rereads_the_pages_that_show_it(guide: Path, edit: str) -> None:
    """One edit between two builds: the pages showing what changed are read again and
    show it; pages whose written parts changed (links, need views) are written again;
    no other page is read or written."""
    change, read, written, shown = EDITS[edit]
    with_areas(guide, TWO_RECS)
    with_standard(guide)
    assert build(guide) == []
    lines_before = sorted(int(n) for n in re.findall(r"random\.yaml:(\d+)",
                                                     text_of(guide, "random")))
    before, written_before = doctree_stamps(guide), html_stamps(guide)
    time.sleep(0.01)  # a later mtime than the first build's files, on coarse clocks too

    change(guide)
    assert build(guide) == []
    assert changed(before, doctree_stamps(guide)) == read
    assert changed(written_before, html_stamps(guide)) == read | written
    for name, text in shown.items():
        assert text in text_of(guide, name), name
    if edit == "item removed":
        for name in ("random", "kconfig", "status", "model", "trace"):
            assert "REC-SPARE" not in text_of(guide, name), name
    if edit == "threat title":
        for name in ("model", "status", "trace"):
            assert "Stack smashing" not in text_of(guide, name), name
    if edit == "item moved to another area":
        assert "Keep a spare random source" not in text_of(guide, "random")
    if edit == "line inserted above":
        lines = sorted(int(n) for n in re.findall(r"random\.yaml:(\d+)",
                                                  text_of(guide, "random")))
        assert lines and lines == [line + 1 for line in lines_before]


RESULTS = """\
<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_x" name="test_canaries">
<properties><property name="nodeid" value="tests/test_x.py::test_canaries"/>
<property name="verifies" value="REC-CANARIES"/></properties>{outcome}</testcase>
</testsuite></testsuites>
"""


def test_inputs_that_are_not_yaml_items_still_reread_their_pages(guide: Path,
                                                                 mini_tree: Path) -> None:
    """A results file whose outcome changed, and a Kconfig tree whose help text changed,
    re-read the pages showing them although no YAML file changed."""
    index = guide / "index.rst"
    index.write_text(index.read_text() + "\n.. secguide-build-info::\n")
    results = guide / "results.xml"
    results.write_text(RESULTS.format(outcome='<failure message="no">boom</failure>'))
    with (guide / "conf.py").open("a") as conf:
        conf.write('secguide_results_files = ["results.xml"]\n')
    assert build(guide) == []
    # a project test is a guide check: its outcome is worded as one
    assert "invalid for tree" in text_of(guide, "model")
    before = doctree_stamps(guide)

    results.write_text(RESULTS.format(outcome=""))  # the same test, passing now
    assert build(guide) == []
    read = changed(before, doctree_stamps(guide))
    assert "invalid for tree" not in text_of(guide, "model")
    assert "valid for tree" in text_of(guide, "model")  # the verification table
    assert {"model", "status"} <= read  # the verification table; coverage
    assert "about" not in read

    kernel = mini_tree / "kernel" / "Kconfig"
    kernel.write_text(kernel.read_text().replace("Canaries detect stack smashing.",
                                                 "Canaries catch a smashed stack."))
    fingerprint = re.compile(r"tree fingerprint ([0-9a-f]{12})")
    old_fingerprint = fingerprint.findall(text_of(guide, "index"))
    assert build(guide) == []
    assert "Canaries catch a smashed stack." in text_of(guide, "kconfig")
    assert "Canaries detect stack smashing." not in text_of(guide, "kconfig")
    # the index page says which tree the build was checked against
    new_fingerprint = fingerprint.findall(text_of(guide, "index"))
    assert len(old_fingerprint) == len(new_fingerprint) == 1
    assert old_fingerprint != new_fingerprint
