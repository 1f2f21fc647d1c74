"""Tables in the PDF: long IDs, symbols and board targets wrap only at ``-``, ``_``, ``/``.

A table of the shapes the guide prints (a narrow symbol column beside a prose column, a
matrix of many columns) is laid out by WeasyPrint with scripts/pdf.py's print stylesheet
and break opportunities; every line of every cell is read back from the layout, and each
line that ends inside a token must end right after one of its joints, never mid-word.
"""

from __future__ import annotations

import importlib.util
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("secguide_pdf_script", REPO / "scripts" / "pdf.py")
assert _SPEC is not None and _SPEC.loader is not None
PDF = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(PDF)

SYMBOLS = ["CONFIG_PMP_DATA_EXECUTION_PREVENTION", "CONFIG_BT_SMP_ALLOW_UNAUTH_OVERWRITE",
           "CONFIG_CSIP_SET_MEMBER_TEST_SAMPLE_DATA"]
IDS = ["REC-STACK-HW-PROTECTION", "SET-BT-NO-TEST-FEATURES-BT-CSIP-SET-COORDINATOR-TEST",
       "TEST-ZEPHYR-KERNEL-COMMON-STACK-PROTECTION-NO-USERSPACE"]
TARGETS = ["nrf5340dk/nrf5340/cpuapp/ns", "cc13x2x7_cc26x2x7"]
WORDS = ["unreviewed", "Recommendation", "bluetooth"]


def _weasyprint() -> Any:
    try:
        import weasyprint
    except (ImportError, OSError) as error:  # OSError: Pango missing
        pytest.fail(f"WeasyPrint is not usable ({error}): 'make test' brings it",
                    pytrace=False)
    return weasyprint


def _cells(box: Any) -> Iterator[Any]:
    from weasyprint.formatting_structure import boxes
    if isinstance(box, boxes.TableCellBox):
        yield box
        return
    for child in getattr(box, "children", ()):
        yield from _cells(child)


def _lines(box: Any) -> Iterator[str]:
    from weasyprint.formatting_structure import boxes
    if isinstance(box, boxes.LineBox):
        yield "".join(_texts(box)).strip()
        return
    for child in getattr(box, "children", ()):
        yield from _lines(child)


def _texts(box: Any) -> Iterator[str]:
    from weasyprint.formatting_structure import boxes
    if isinstance(box, boxes.TextBox):
        yield box.text.replace("\u200b", "")  # how WeasyPrint keeps a <wbr>
    for child in getattr(box, "children", ()):
        yield from _texts(child)


def mid_word_breaks(tokens: list[str], lines: list[str]) -> list[str]:
    """``a | b`` for each line break of a cell that falls inside a token, not after a joint."""
    joined = "".join(line.replace(" ", "") for line in lines)
    assert joined == "".join(tokens), (lines, tokens)
    token_ends, position = set(), 0
    for token in tokens:
        position += len(token)
        token_ends.add(position)
    bad, position = [], 0
    for line, following in itertools.pairwise(lines):
        position += len(line.replace(" ", ""))
        if position not in token_ends and line[-1] not in "-_/":
            bad.append(f"{line} | {following}")
    return bad


def _layout(html_body: str) -> list[list[str]]:
    weasyprint = _weasyprint()
    page = PDF.print_document(f'<article class="x">{html_body}</article>', "")
    page = re.sub(r"<link [^>]*>", "", page)  # the theme's files are not here
    document = weasyprint.HTML(string=page).render(
        stylesheets=[weasyprint.CSS(string=PDF.PAGE_CSS)])
    return [list(_lines(cell)) for page in document.pages for cell in _cells(page._page_box)]


def _table(columns: int, cells: list[str]) -> str:
    rows = [cells[i:i + columns] for i in range(0, len(cells), columns)]
    head = "".join(f"<th>{word}</th>" for word in ["Recommendation"] + ["x86 (26)"] * (columns - 1))
    body = "".join("<tr>" + "".join(f"<td><p><code>{c}</code></p></td>" for c in row)
                   + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def test_the_check_sees_a_mid_word_break() -> None:
    assert mid_word_breaks(["REC-STACK-HW-PROTECTION"],
                           ["REC-STACK-HW-PROT", "ECTION"]) == ["REC-STACK-HW-PROT | ECTION"]
    assert mid_word_breaks(["CONFIG_A_B", "x"], ["CONFIG_A_", "B x"]) == []


def test_wide_tables_wrap_tokens_only_at_their_joints() -> None:
    tokens = SYMBOLS + IDS + TARGETS + WORDS
    # eleven columns: every token is squeezed (the boards matrix), so most cells wrap
    html = _table(11, tokens + WORDS[:11 - len(tokens) % 11])
    cells = _layout(html)
    contents = [c for c in cells[11:] if c]
    assert len(contents) >= len(tokens)
    wrapped = [lines for lines in contents if len(lines) > 1]
    assert len(wrapped) >= 5, "the table did not squeeze its cells; the test tests nothing"
    bad = [b for lines in contents
           for b in mid_word_breaks(["".join(lines).replace(" ", "")], lines)]
    assert bad == []
    # a header word is never broken
    assert cells[0] == ["Recommendation"]
