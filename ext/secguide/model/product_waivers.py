"""A product's own waivers: accepted deviations from the guide for one product's builds.

The guide's ``threatmodel/waivers.yaml`` says why the *guide* leaves a
``hardened.csv`` symbol out. This file is different: a product team, in its own
repository, records that *its* build deliberately deviates from a recommendation
(``secguide audit --waivers FILE``)::

    waivers:
      - recommendation: REC-DBG-SHELL     # or: symbol: SHELL (any rule on that symbol)
        reason: The shell is the product's service interface, behind authentication.
        approver: Jane Doe (product security)
        expires: 2026-12-31

Every waiver names who accepted it and until when; an expired waiver no
longer waives. Errors are located at ``file:line`` like the threat model's.
"""

from __future__ import annotations

import datetime
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc, display_path
from secguide.input_limits import require_file
from secguide.model.yaml_source import YamlDocument, read_yaml

MAX_WAIVER_FILE_BYTES = 1024 * 1024

_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["waivers"],
    "properties": {"waivers": {"type": "array", "items": {
        "type": "object",
        "additionalProperties": False,
        "required": ["reason", "approver", "expires"],
        "minProperties": 4,
        "properties": {
            "recommendation": {"type": "string", "pattern": "^REC-[A-Z0-9]+(-[A-Z0-9]+)*$"},
            "symbol": {"type": "string", "pattern": "^(CONFIG_)?[A-Za-z0-9_]+$"},
            "reason": {"type": "string", "pattern": r"\S"},
            "approver": {"type": "string", "pattern": r"\S"},
            "expires": {"type": "string"},
        },
    }}},
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductWaiver:
    """One accepted deviation; ``recommendation`` or ``symbol`` (or both) say what it covers."""

    recommendation: str | None = None
    symbol: str | None = None
    reason: str
    approver: str
    expires: datetime.date
    loc: SourceLoc

    def covers(self, recommendation_id: str | None, symbol: str) -> bool:
        if self.recommendation is not None and self.recommendation != recommendation_id:
            return False
        return self.symbol is None or self.symbol == symbol

    def expired(self, today: datetime.date) -> bool:
        """True after the expiry day (a waiver is valid through the day it names)."""
        return today > self.expires


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(_SCHEMA)


def _finding(loc: SourceLoc, message: str) -> Diagnostic:
    return Diagnostic(loc, Severity.ERROR, "waivers", message)


def load_product_waivers(path: Path, *, display_base: Path | None = None
                         ) -> tuple[tuple[ProductWaiver, ...], list[Diagnostic]]:
    """Read a product waivers file; problems come back as diagnostics at ``file:line``.

    Raises:
        SecguideError: the file cannot be read or is too large to be a waivers file.
    """
    shown = display_path(path, display_base)
    require_file(path, shown, what="waivers file")
    if path.stat().st_size > MAX_WAIVER_FILE_BYTES:
        raise SecguideError(f"{shown}: larger than 1 MiB; not a waivers file")
    doc, diagnostics = read_yaml(path, shown)
    if doc.data is None:
        return (), diagnostics
    diagnostics += schema_findings(doc, _validator())
    waivers, problems = waivers_in(doc, schema_valid=not diagnostics)
    diagnostics += problems
    if diagnostics:
        return (), sorted(diagnostics, key=lambda d: (d.loc.line, d.loc.col))
    return waivers, []


def schema_findings(doc: YamlDocument, validator: jsonschema.protocols.Validator,
                    code: str = "waivers") -> list[Diagnostic]:
    """JSON-Schema errors of ``doc`` as diagnostics at their lines."""
    diagnostics = []

    def _finding(loc: SourceLoc, message: str) -> Diagnostic:
        return Diagnostic(loc, Severity.ERROR, code, message)

    for error in validator.iter_errors(doc.data):
        where = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = sorted(str(k) for k in error.instance if k not in error.schema["properties"])
            diagnostics.append(_finding(doc.loc((*where, extra[0]), key=True),
                                        f"unknown field '{extra[0]}'; allowed: "
                                        f"{', '.join(error.schema['properties'])}"))
        elif error.validator == "minProperties":
            diagnostics.append(_finding(doc.loc(where), "a waiver names a 'recommendation' or a "
                                        "'symbol' (or both)"))
        elif error.validator == "required":
            noun = "waiver" if where[:1] == ("waivers",) or not where else "entry"
            diagnostics.append(_finding(doc.loc(where), f"{noun} is missing {error.message}"))
        elif error.validator == "pattern" and error.validator_value == r"\S":
            diagnostics.append(_finding(doc.loc(where), f"'{where[-1]}' must not be empty"))
        else:
            field = where[-1] if where else "file"
            diagnostics.append(_finding(doc.loc(where), f"'{field}': {error.message}"))
    return diagnostics


def waivers_in(doc: YamlDocument, *, schema_valid: bool
               ) -> tuple[tuple[ProductWaiver, ...], list[Diagnostic]]:
    """The waivers of the ``waivers`` list of ``doc`` (a waivers file or a product
    declaration); a date that is not one is a diagnostic at its line. Nothing is built
    unless ``doc`` passed its schema (``schema_valid``) and every date is one."""
    diagnostics: list[Diagnostic] = []
    entries = doc.data.get("waivers", []) if isinstance(doc.data, dict) else None
    dates: dict[int, datetime.date] = {}
    for index, raw in enumerate(entries if isinstance(entries, list) else []):
        text = raw.get("expires") if isinstance(raw, dict) else None
        if not isinstance(text, str):
            continue
        try:
            dates[index] = datetime.date.fromisoformat(text)
        except ValueError:
            diagnostics.append(_finding(doc.loc(("waivers", index, "expires")),
                                        f"'expires': {text!r} is not a date (write YYYY-MM-DD)"))
    if diagnostics or not schema_valid:
        return (), diagnostics
    waivers = [ProductWaiver(
        recommendation=raw.get("recommendation"),
        symbol=raw["symbol"].removeprefix("CONFIG_") if "symbol" in raw else None,
        reason=raw["reason"].strip(), approver=raw["approver"].strip(), expires=dates[index],
        loc=doc.loc(("waivers", index))) for index, raw in enumerate(entries)]
    return tuple(waivers), diagnostics
