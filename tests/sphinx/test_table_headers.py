"""One name for one thing: the column headers of every table of the built guide.

Every table of every page of the real guide (``site`` fixture) is read back from the
HTML: a header outside :mod:`secguide.headers` fails, and so does a column whose cells
are all of one kind (one recommendation ID, one Kconfig symbol, a model status, a review
state, ...) under a header that is not that kind's name (or, for IDs, a trace link's).
The item cards of sphinx-needs are tables too; they have no header row and are skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from secguide import headers as H

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Table:
    page: str
    headers: list[str] = field(default_factory=list)
    rows: list[list[str]] = field(default_factory=list)


class _Tables(HTMLParser):
    """Header texts and cell texts of every table with a header row."""

    def __init__(self, page: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.tables: list[Table] = []
        self._stack: list[Table] = []
        self._cell: list[str] | None = None
        self._in_head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._stack.append(Table(self.page))
        elif not self._stack:
            return
        elif tag == "thead":
            self._in_head = True
        elif tag == "tr" and not self._in_head:
            self._stack[-1].rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if not self._stack:
            return
        table = self._stack[-1]
        if tag == "table":
            self._stack.pop()
            if table.headers:
                self.tables.append(table)
        elif tag == "thead":
            self._in_head = False
        elif tag in ("th", "td") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            if self._in_head:
                table.headers.append(text)
            elif table.rows:
                table.rows[-1].append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def read_tables(html: str, page: str = "page") -> list[Table]:
    parser = _Tables(page)
    parser.feed(html)
    return parser.tables


#: Cells all of one kind, and the headers such a column may have: the kind's name, or the
#: name of a trace link that points at that kind.
KINDS: tuple[tuple[str, re.Pattern[str], frozenset[str]], ...] = (
    ("recommendation IDs", re.compile(r"REC-[A-Z0-9-]+"),
     frozenset({H.RECOMMENDATION, H.MITIGATED_BY, H.VERIFIES, H.ADDRESSED_BY})),
    ("threat IDs", re.compile(r"THR-[A-Z0-9-]+"), frozenset({H.THREAT, H.MITIGATES})),
    ("verification IDs", re.compile(r"TEST-[A-Z0-9-]+"),
     frozenset({H.VERIFICATION, H.VERIFIED_BY})),
    ("Kconfig symbols", re.compile(r"CONFIG_[A-Z0-9_]+"), frozenset({H.KCONFIG_SYMBOL})),
    ("model statuses", re.compile(r"draft|review|approved|deprecated|-"),
     frozenset({H.STATUS})),
    ("review states", re.compile(r"reviewed|suspect|unreviewed"), frozenset({H.REVIEW})),
    ("verification kinds", re.compile(r"guide-check|build-audit|target-test|manual-check"),
     frozenset({H.KIND})),
)


def header_problems(tables: list[Table]) -> list[str]:
    """``page: problem`` for every header outside the vocabulary or naming a kind wrongly."""
    problems = []
    for table in tables:
        for column, header in enumerate(table.headers):
            if not H.is_known(header):
                problems.append(f"{table.page}: header {header!r} is not in secguide.headers")
            cells = [row[column] for row in table.rows if column < len(row) and row[column]]
            if not cells:
                continue
            for kind, pattern, allowed in KINDS:
                if all(pattern.fullmatch(cell) for cell in cells) and header not in allowed:
                    problems.append(f"{table.page}: a column of {kind} is headed {header!r}, "
                                    f"not {' or '.join(sorted(map(repr, allowed)))}")
    return problems


def test_the_check_finds_an_unknown_header_and_a_second_name() -> None:
    html = """<table><thead><tr><th>Symbol</th><th>Recommendation</th><th>State</th></tr>
    </thead><tbody><tr><td><code>CONFIG_A_B</code></td><td><a>REC-X</a></td><td>draft</td></tr>
    <tr><td>CONFIG_C</td><td>REC-Y</td><td>approved</td></tr></tbody></table>
    <table class="need"><tbody><tr><td>a card: no header row</td></tr></tbody></table>"""
    problems = header_problems(read_tables(html))
    assert problems == [
        "page: header 'Symbol' is not in secguide.headers",
        "page: a column of Kconfig symbols is headed 'Symbol', not 'Kconfig symbol'",
        "page: header 'State' is not in secguide.headers",
        "page: a column of model statuses is headed 'State', not 'Status'",
    ]


def test_the_check_passes_a_table_in_the_vocabulary() -> None:
    html = """<table><thead><tr><th>Kconfig symbol</th><th>Value</th><th>arm (842)</th></tr>
    </thead><tbody><tr><td>CONFIG_A_<wbr>B</td><td>y</td><td>3</td></tr></tbody></table>"""
    tables = read_tables(html)
    assert [t.headers for t in tables] == [["Kconfig symbol", "Value", "arm (842)"]]
    assert tables[0].rows == [["CONFIG_A_B", "y", "3"]]
    assert header_problems(tables) == []


def test_no_two_headers_of_the_vocabulary_differ_only_in_case() -> None:
    lowered = [header.lower() for header in H.VOCABULARY]
    assert len(lowered) == len(set(lowered))


def test_traceability_needtables_use_the_vocabulary() -> None:
    """The reST ``:columns:`` titles, checked without a build."""
    text = (REPO / "source" / "traceability.rst").read_text(encoding="utf-8")
    titles = re.findall(r'as "([^"]+)"', text)
    assert titles, "no needtable columns found in traceability.rst"
    assert [title for title in titles if not H.is_known(title)] == []


@pytest.mark.slow
def test_every_table_of_the_guide_speaks_the_vocabulary(site: Path) -> None:
    tables = [table for page in sorted(site.rglob("*.html"))
              for table in read_tables(page.read_text(encoding="utf-8"),
                                       str(page.relative_to(site)))]
    # the guide's own tables, and the pages that must have them, are all read
    pages = {table.page for table in tables}
    assert {"traceability.html", "review-status.html", "coverage.html", "boards.html",
            "kconfig.html", "standards/cra.html"} <= pages
    assert len(tables) > 40
    assert header_problems(tables) == []
