"""Incremental builds of the board pages (issue 26): a page showing board verdicts is
read again exactly when what it shows changed, and then shows what a clean build shows.

A small guide on the real Zephyr tree (board targets need a HWMv2 tree): the "Your
board" page, a counts table of every recommendation on its own page and one of the
debug area on another. Four edits, each built into the same output folder as a writer
does: prose only (no board page read, nothing evaluated, the finder's data kept), a
title the finder shows (its data made again, no board page read: they show IDs), a
setting's value (the pages whose tables changed read again, the finder's data too), an
item moving to another page (the same counts; the links to it follow it).
"""

from __future__ import annotations

import json
import re
import shutil
from io import StringIO
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from secguide.evidence import board_page

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sphinx" / "basic"

FAULT_DUMP_REC = """\
  - id: REC-FAULT-DUMP
    title: Print no fault dump
    area: debug-exposure
    status: draft
    rationale: A fault dump shows registers to whoever reads the console.
    settings:
      - symbol: FAULT_DUMP
        value: 0
    verification:
      - id: TEST-MAN-FAULT-DUMP
        manual: Checked by hand.
"""

PAGES = {
    "boards": "Boards\n######\n\n.. secguide-your-board::\n",
    "counts": "Counts\n######\n\n.. secguide-board-counts::\n",
    "debug": "Debug\n#####\n\n.. secguide-board-counts::\n   :area: debug-exposure\n",
}
#: the debug area's cards, on a page of their own (the item moves off it in the end)
CARDS_PAGE = ("Debug cards\n###########\n\n"
              ".. secguide-recommendations::\n   :area: debug-exposure, x86\n")


@pytest.fixture
def guide(tmp_path: Path, zephyr_v4_path: Path) -> Path:
    src = tmp_path / "guide"
    shutil.copytree(FIXTURE, src)
    with (src / "conf.py").open("a") as conf:
        conf.write(f"secguide_zephyr_base = {str(zephyr_v4_path)!r}\n")
    for name, text in {**PAGES, "cards": CARDS_PAGE}.items():
        (src / f"{name}.rst").write_text(text)
    # two areas per page (a one-area page links to a trace diagram this guide lacks)
    model = src / "model.rst"
    model.write_text(model.read_text().replace(
        ".. secguide-recommendations::\n",
        ".. secguide-recommendations::\n   :area: stack-protection, memory-protection\n"))
    index = src / "index.rst"
    index.write_text(index.read_text().replace("   about\n", "   about\n" + "".join(
        f"   {name}\n" for name in [*PAGES, "cards"])))
    recs = src / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text() + FAULT_DUMP_REC)
    threats = src / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]",
                                                   "[REC-CANARIES, REC-FAULT-DUMP]"))
    return src


class Evaluations:
    """Counts how often a build asks for the board pages' data (every target's verdicts,
    made or read from the cache folder)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.count = 0
        real = board_page.board_page

        def counting(*args: object, **kwargs: object) -> object:
            self.count += 1
            return real(*args, **kwargs)

        # the board pages import it when they make a table (not with the extension)
        monkeypatch.setattr(board_page, "board_page", counting)


def build(src: Path, out: Path) -> list[str]:
    """One build into ``out`` (kept between calls); the pages it read."""
    status = StringIO()
    app = SphinxTestApp("html", srcdir=src, builddir=out, status=status)
    try:
        app.build()
    finally:
        app.cleanup()
    text = _plain(app.warning.getvalue())
    assert [line for line in text.splitlines() if "WARNING" in line or "ERROR" in line] == []
    return re.findall(r"reading sources\.\.\. \[\s*\d+%\] (\S+)", _plain(status.getvalue()))


def _plain(text: str) -> str:
    """Without Sphinx's colours (it colours its output when CI=true, even into a pipe)."""
    return re.sub(r"\x1b\[[0-9;]*m", "", text)


def tables(out: Path, page: str) -> list[str]:
    """The board tables of a built page (and the sentence above a counts table)."""
    text = (out / "html" / f"{page}.html").read_text(encoding="utf-8")
    found = re.findall(r'<table class="[^"]*secguide-board-[^"]*".*?</table>', text, re.S)
    return re.findall(r"<p>\d+ board targets of Zephyr [^<]*</p>|On the \d+ board targets",
                      text) + found


def data(out: Path) -> dict:
    text = (out / "html" / "_static" / "secguide-boards-data.js").read_text(encoding="utf-8")
    return json.loads(text.removeprefix("window.SECGUIDE_BOARDS = ").removesuffix(";\n"))


def canaries_counts(out: Path) -> str:
    """The counts row of REC-CANARIES on the page of every recommendation's counts."""
    [table] = tables(out, "counts")[1:]
    row = re.search(r"<tr[^>]*>(?:(?!</tr>).)*REC-CANARIES.*?</tr>", table, re.S)
    assert row is not None
    return re.sub(r"<[^>]+>", " ", row.group(0)).split("REC-CANARIES", 1)[1].split()[0:7]


@pytest.mark.slow
def test_board_pages_are_read_again_exactly_when_what_they_show_changed(
        guide: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evaluations = Evaluations(monkeypatch)
    out = guide / "_build"
    first = build(guide, out)
    assert {"boards", "counts", "debug", "model"} <= set(first)
    assert evaluations.count == 1
    data_file = out / "html" / "_static" / "secguide-boards-data.js"
    boards_before, counts_before, debug_before = (tables(out, page) for page in PAGES)
    assert len(boards_before) == 3 and len(counts_before) == 2 and len(debug_before) == 2
    assert 'href="cards.html#REC-FAULT-DUMP"' in counts_before[1]
    stamp = data_file.stat().st_mtime_ns

    # 1. prose only: the rationale and a threat's description
    recs = guide / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("stop a smashed return address",
                                             "keep a smashed return address"))
    threats = guide / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("overruns", "runs past the end of"))
    read = build(guide, out)
    assert "model" in read
    assert not set(read) & set(PAGES), read
    assert evaluations.count == 1, "a prose edit evaluated the board targets"
    assert data_file.stat().st_mtime_ns == stamp
    assert "keep a smashed return address" in (out / "html" / "model.html").read_text()

    # 2. a title the finder shows (the board pages show IDs only)
    recs.write_text(recs.read_text().replace("Print no fault dump",
                                             "Keep fault dumps off the console"))
    read = build(guide, out)
    assert not set(read) & set(PAGES), read
    titles = {rec[0]: rec[1] for rec in data(out)["recs"]}
    assert titles["REC-FAULT-DUMP"] == "Keep fault dumps off the console"
    assert [tables(out, page) for page in PAGES] == [boards_before, counts_before,
                                                    debug_before]

    # 3. a setting's value: canaries kept off are the default wherever they exist
    canaries = canaries_counts(out)
    recs.write_text(recs.read_text().replace('symbol: STACK_CANARIES\n        value: "y"',
                                             'symbol: STACK_CANARIES\n        value: "n"'))
    read = build(guide, out)
    assert {"boards", "counts"} <= set(read)
    assert "debug" not in read  # its table (REC-FAULT-DUMP's counts) is the same
    assert canaries_counts(out) != canaries
    assert tables(out, "boards") != boards_before

    # 4. an item moves to another page (its area): the counts are the same, the links
    # to it follow it (the pages are written again, not read)
    recs.write_text(recs.read_text().replace("area: debug-exposure", "area: memory-protection"))
    read = build(guide, out)
    assert {"model", "cards", "debug"} <= set(read)  # the debug area's counts lost it
    assert "boards" not in read and "counts" not in read
    for page in ("boards", "counts"):
        [table] = [t for t in tables(out, page) if "REC-FAULT-DUMP" in t]
        assert 'href="model.html#REC-FAULT-DUMP"' in table, page
        assert "cards.html#REC-FAULT-DUMP" not in table, page

    # every board table and the finder's data are what a clean build shows
    clean = tmp_path / "clean"
    build(guide, clean)
    for page in PAGES:
        assert tables(out, page) == tables(clean, page), page
    assert data(out) == data(clean)
