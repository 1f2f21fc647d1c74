"""Zephyr's own hardening list: ``scripts/kconfig/hardened.csv`` of a tree.

The list Zephyr's ``hardenconfig`` target checks a build against: one
``SYMBOL,value`` per line. Coverage (``secguide.trace.coverage``) asks which of
these symbols the model sets or waives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc
from secguide.input_limits import MAX_HARDENED_CSV_BYTES, read_bounded

HARDENED_CSV = "scripts/kconfig/hardened.csv"
_HARDENED_LINE = re.compile(r"^(?:CONFIG_)?([A-Za-z0-9_]+)\s*([,=])\s*(.*?)\s*$")


@dataclass(frozen=True, slots=True)
class HardenedEntry:
    """One line of ``hardened.csv``: a symbol and the value ``hardenconfig`` expects."""

    symbol: str
    value: str
    loc: SourceLoc


def read_hardened_csv(tree_root: Path) -> tuple[list[HardenedEntry], list[Diagnostic]]:
    """The entries of the tree's ``hardened.csv`` and what is odd about the file.

    A tree without the file (Zephyr < 1.14) yields no entries and one note. A line
    written ``SYMBOL=value`` (v4.2.99 has ``DEBUG_COREDUMP=n``) is read, with a
    warning, since ``hardenconfig`` itself would not match it.

    Raises:
        SecguideError: the file cannot be read, is not UTF-8 or is implausibly large.
    """
    path = tree_root / HARDENED_CSV
    if not path.is_file():
        return [], [Diagnostic(SourceLoc(HARDENED_CSV), Severity.NOTE, "no-hardened-csv",
                               "this tree has no hardened.csv; nothing to cover")]
    entries: list[HardenedEntry] = []
    diagnostics: list[Diagnostic] = []
    seen: set[str] = set()
    raw = read_bounded(path, HARDENED_CSV, limit=MAX_HARDENED_CSV_BYTES, what="hardened.csv")
    try:
        content = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise SecguideError(f"{HARDENED_CSV}: not UTF-8 text (byte {error.start})",
                            exit_code=1) from None
    for number, line in enumerate(content.splitlines(), start=1):
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        loc = SourceLoc(HARDENED_CSV, number)
        match = _HARDENED_LINE.match(text)
        if match is None:
            diagnostics.append(Diagnostic(loc, Severity.WARNING, "hardened-csv-line",
                                          f"not 'SYMBOL,value': {text!r}; line ignored"))
            continue
        symbol, separator, value = match.groups()
        if separator == "=":
            diagnostics.append(Diagnostic(loc, Severity.WARNING, "hardened-csv-line",
                                          f"{text!r} uses '=' where hardened.csv uses ','; "
                                          f"read as {symbol},{value}"))
        if symbol in seen:
            continue
        seen.add(symbol)
        entries.append(HardenedEntry(symbol, value, loc))
    return entries, diagnostics
