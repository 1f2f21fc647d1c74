"""A product's declaration for one build's evidence (``secguide evidence --product FILE``).

The guide can judge a build's configuration; it cannot see what the product team
did outside it. The declaration says so, in the product's own repository::

    product:
      name: Stepper controller
      version: "1.4.0"
    board_target: nucleo_h753zi/stm32h753xx
    zephyr_release: v4.2.0-2572-g04dfa77d372d
    profile: strict
    responsibilities:               # product responsibilities the product fulfils
      - id: RESP-SECURE-UPDATE
        how: MCUboot with signed images and downgrade prevention
        reference: docs/update.md#rollback   # where an assessor can check it
    manual_checks:                  # as in 'secguide evidence --manual'
      - {id: TEST-MAN-USER-THREADS, by: Jane Doe, date: 2026-03-04, outcome: passed}
    waivers:                        # as in 'secguide audit --waivers'
      - {recommendation: REC-DBG-SHELL, reason: ..., approver: ..., expires: 2026-12-31}

The file is untrusted input: it is read with the model's bounded, line-keeping
loader, checked against a JSON schema, and every problem is a diagnostic at its
``file:line``. Nothing in it is a verdict: it is one input the verdicts of
:mod:`secguide.trace.build_verdicts` weigh.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.manual_records import ManualRecord, manual_records_in
from secguide.model.product_waivers import _SCHEMA as _WAIVERS_SCHEMA
from secguide.model.product_waivers import ProductWaiver, schema_findings, waivers_in
from secguide.model.releases import parse_release
from secguide.model.yaml_source import read_yaml

_TEXT = {"type": "string", "pattern": r"\S"}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["product", "board_target", "zephyr_release", "profile"],
    "properties": {
        "product": {"type": "object", "additionalProperties": False,
                    "required": ["name", "version"],
                    "properties": {"name": _TEXT, "version": _TEXT}},
        "board_target": {"type": "string", "pattern": r"^[A-Za-z0-9_@./-]+$"},
        "zephyr_release": _TEXT,
        "profile": {"type": "string", "pattern": r"^[a-z0-9-]+$"},
        "responsibilities": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["id", "how", "reference"],
            "properties": {"id": {"type": "string", "pattern": "^RESP-[A-Z0-9]+(-[A-Z0-9]+)*$"},
                           "how": _TEXT, "reference": _TEXT}}},
        # each record is checked by secguide.model.manual_records, at its line
        "manual_checks": {"type": "array"},
        "waivers": _WAIVERS_SCHEMA["properties"]["waivers"],
    },
}


@dataclass(frozen=True, slots=True)
class Fulfilment:
    """A product responsibility declared fulfilled: how, and where an assessor can check."""

    how: str
    reference: str
    loc: SourceLoc | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductDeclaration:
    name: str
    version: str
    board_target: str
    zephyr_release: str
    profile: str
    responsibilities: Mapping[str, Fulfilment] = field(default_factory=dict)
    manual: Mapping[str, ManualRecord] = field(default_factory=dict)
    waivers: tuple[ProductWaiver, ...] = ()
    path: str
    #: where each top-level field is written, for messages about it
    locs: Mapping[str, SourceLoc] = field(default_factory=dict)


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(_SCHEMA)


def load_product(path: Path, display: str, *, responsibilities: set[str],
                 manual_checks: set[str], profiles: set[str]
                 ) -> tuple[ProductDeclaration | None, list[Diagnostic]]:
    """The declaration of ``path`` and every problem found (None when there is one).

    ``responsibilities``, ``manual_checks`` and ``profiles`` are the model's IDs and
    names: a declaration naming anything else would claim what the guide does not define.
    """
    doc, problems = read_yaml(path, display)
    if doc.data is None or problems:
        return None, problems
    problems = schema_findings(doc, _validator(), "schema")
    waivers, waiver_problems = waivers_in(doc, schema_valid=not problems)
    problems += waiver_problems
    data = doc.data if isinstance(doc.data, dict) else {}

    def error(where: tuple[str | int, ...], code: str, message: str) -> None:
        problems.append(Diagnostic(doc.loc(where), Severity.ERROR, code, message))

    records: dict[str, ManualRecord] = {}
    if isinstance(data.get("manual_checks"), list):
        records, record_problems = manual_records_in(doc, data["manual_checks"], manual_checks)
        problems += record_problems
    release = data.get("zephyr_release")
    if isinstance(release, str) and release.strip() and parse_release(release) is None:
        error(("zephyr_release",), "bad-value", f"'{release}' names no Zephyr release "
              "(write it as version.h or git describe does: 4.2.0, v4.2.0-2572-g04dfa77d372d)")
    profile = data.get("profile")
    if isinstance(profile, str) and profile not in profiles:
        error(("profile",), "unknown-profile", f"'{profile}' is not a profile of the guide "
              f"(profiles: {', '.join(sorted(profiles))})")
    fulfilled: dict[str, Fulfilment] = {}
    entries = data.get("responsibilities")
    for index, entry in enumerate(entries if isinstance(entries, list) else []):
        resp = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(resp, str):
            continue
        where = ("responsibilities", index, "id")
        if resp not in responsibilities:
            error(where, "unknown-id", f"{resp} is not a responsibility the guide hands to "
                  "the product")
        elif resp in fulfilled:
            error(where, "duplicate-id", f"{resp} is declared twice (first at "
                  f"{fulfilled[resp].loc})")
        elif isinstance(entry.get("how"), str) and isinstance(entry.get("reference"), str):
            fulfilled[resp] = Fulfilment(entry["how"].strip(), entry["reference"].strip(),
                                         doc.loc(where))
    if problems:
        return None, sorted(problems, key=lambda d: (d.loc.line, d.loc.col))
    product = data["product"]
    return ProductDeclaration(
        name=product["name"].strip(), version=product["version"].strip(),
        board_target=data["board_target"], zephyr_release=data["zephyr_release"].strip(),
        profile=data["profile"], responsibilities=fulfilled, manual=records, waivers=waivers,
        path=display, locs={key: doc.loc((key,)) for key in data}), []
