"""The one CSV writer: every cell made inert for spreadsheets.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a
formula (``=HYPERLINK(...)`` sends data away, ``-2+3+cmd|' /C calc'!A0`` starts a
program), and a leading tab or carriage return lets such a formula hide behind
white space. Titles, reviewer names, procedures and ``.config`` values reach our
CSV files from untrusted input, so :func:`inert_cell` puts a ``'`` before such a
cell (the spreadsheet shows the text, as text). A plain number (``-1``,
``+0.5``) is no formula and stays as it is. Every CSV secguide writes goes through
:func:`csv_text` or :func:`write_csv`.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TextIO

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

_NUMBER = re.compile(r"[+-]?\d+(?:\.\d+)?")


def inert_cell(value: object) -> str:
    """``value`` as a cell a spreadsheet shows as text (``None`` is empty)."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


def csv_text(columns: Sequence[str], rows: Iterable[Sequence[object] | Mapping[str, object]],
             *, line_end: str = "\r\n") -> str:
    """RFC 4180 CSV (minimal quoting): a header of ``columns``, then ``rows``, every cell
    through :func:`inert_cell`. A mapping row is written by column name (a missing one is
    empty, an unknown one is a ``ValueError``), a sequence row in order.
    """
    buffer = io.StringIO(newline="")
    write_csv(buffer, columns, rows, line_end=line_end)
    return buffer.getvalue()


def write_csv(stream: TextIO, columns: Sequence[str],
              rows: Iterable[Sequence[object] | Mapping[str, object]], *,
              line_end: str = "\r\n") -> None:
    """:func:`csv_text` written to ``stream`` row by row, as the rows come (a report of
    millions of rows is never one string)."""
    writer = csv.writer(stream, quoting=csv.QUOTE_MINIMAL, lineterminator=line_end)
    writer.writerow([inert_cell(column) for column in columns])
    for row in rows:
        if isinstance(row, Mapping):
            unknown = set(row) - set(columns)
            if unknown:
                raise ValueError(f"CSV row has fields outside the columns: {sorted(unknown)}")
            row = [row.get(column, "") for column in columns]
        writer.writerow([inert_cell(cell) for cell in row])
