"""Records of manual checks performed on one product build (``secguide evidence --manual``).

A manual check of the guide (``manual:`` with a ``TEST-MAN-...`` ID) says what a
person must look at; a record says that someone did, when, and what they found::

    manual_checks:
      - id: TEST-MAN-USER-THREADS
        by: Jane Doe
        date: 2026-03-04
        outcome: passed          # or: failed
        note: Reviewed src/net/*.c; every parser thread is K_USER.

The file is untrusted input: every problem is a diagnostic at its line, and
:func:`load_manual_records` reads every entry before the caller fails once.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.yaml_source import YamlDocument, read_yaml

OUTCOMES = ("passed", "failed")
_FIELDS = ("id", "by", "date", "outcome", "note")
_ID = re.compile(r"^TEST-MAN-[A-Z0-9]+(-[A-Z0-9]+)*$")


@dataclass(frozen=True, slots=True, kw_only=True)
class ManualRecord:
    id: str
    by: str
    date: str
    outcome: str
    note: str = ""
    loc: SourceLoc

    @property
    def text(self) -> str:
        return f"{self.outcome} by {self.by} on {self.date}"


def _date(value: Any) -> str | None:
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value).isoformat()
        except ValueError:
            return None
    return None


def load_manual_records(path: Path, display: str, known_ids: set[str]
                        ) -> tuple[dict[str, ManualRecord], list[Diagnostic]]:
    """The records of ``path`` by check ID, and every problem found (empty when sound).

    ``known_ids`` are the model's manual-check IDs; a record of any other ID is an
    error, since it would claim a check the guide does not define.
    """
    doc, problems = read_yaml(path, display)
    if problems:
        return {}, problems

    def error(loc: SourceLoc, code: str, message: str) -> None:
        problems.append(Diagnostic(loc, Severity.ERROR, code, message))

    data = doc.data
    if not isinstance(data, dict) or not isinstance(data.get("manual_checks"), list):
        error(doc.loc(()), "not-a-mapping", "a manual-check record file is a mapping with a "
              "'manual_checks' list")
        return {}, problems
    return manual_records_in(doc, data["manual_checks"], known_ids)


def manual_records_in(doc: YamlDocument, entries: list[Any], known_ids: set[str]
                      ) -> tuple[dict[str, ManualRecord], list[Diagnostic]]:
    """The records of a ``manual_checks`` list of ``doc`` (a record file or a product
    declaration), and every problem found at its line."""
    problems: list[Diagnostic] = []

    def error(loc: SourceLoc, code: str, message: str) -> None:
        problems.append(Diagnostic(loc, Severity.ERROR, code, message))

    records: dict[str, ManualRecord] = {}
    for index, entry in enumerate(entries):
        where = ("manual_checks", index)
        if not isinstance(entry, dict):
            error(doc.loc(where), "wrong-type", "a record must be a mapping")
            continue
        for key in sorted(set(entry) - set(_FIELDS)):
            error(doc.loc((*where, key), key=True), "unknown-field",
                  f"unknown field '{key}' in a record; allowed: {', '.join(_FIELDS)}")
        missing = [key for key in ("id", "by", "date", "outcome") if key not in entry]
        for key in missing:
            error(doc.loc(where), "missing-field", f"record is missing required field '{key}'")
        if missing:
            continue
        check_id, date = entry["id"], _date(entry["date"])
        if not isinstance(check_id, str) or not _ID.match(check_id):
            error(doc.loc((*where, "id")), "bad-value", f"'{check_id}' is not a manual-check "
                  "ID (TEST-MAN-...)")
        elif check_id not in known_ids:
            error(doc.loc((*where, "id")), "unknown-id", f"{check_id} is not a manual check "
                  "of the guide")
        elif check_id in records:
            error(doc.loc((*where, "id")), "duplicate-id", f"{check_id} is recorded twice "
                  f"(first at {records[check_id].loc})")
        if date is None:
            error(doc.loc((*where, "date")), "bad-value",
                  f"'{entry['date']}' is not a date (YYYY-MM-DD)")
        if entry["outcome"] not in OUTCOMES:
            error(doc.loc((*where, "outcome")), "bad-value",
                  f"'{entry['outcome']}' is not allowed for 'outcome'; use one of: passed, "
                  "failed")
        if not isinstance(entry["by"], str) or not entry["by"].strip():
            error(doc.loc((*where, "by")), "bad-value", "'by' must name a person")
        if problems:
            continue
        records[check_id] = ManualRecord(id=check_id, by=entry["by"].strip(), date=date or "",
                                         outcome=entry["outcome"],
                                         note=str(entry.get("note", "")),
                                         loc=doc.loc((*where, "id")))
    return ({} if problems else records), problems
