"""``CONFIG_FOO`` names written in the model's prose, checked against the tree.

A rationale that names ``CONFIG_STAK_CANARIES`` is as wrong as a setting that
does: both faces (``secguide check`` and the guide build) report it, because it
is computed here and not in the Sphinx layer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Set
from dataclasses import dataclass

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc, with_suggestion
from secguide.model.items import ThreatModel
from secguide.zephyr.kconfig.symbols import SymbolDB

#: ``CONFIG_FOO`` in running text; a trailing ``_`` is a prefix (``CONFIG_ARM_*``), not a name.
CONFIG_NAME = re.compile(r"\bCONFIG_[A-Z0-9_]*[A-Z0-9]\b")


@dataclass(frozen=True, slots=True)
class TextSymbol:
    """A ``CONFIG_`` name written in a YAML text field."""

    name: str
    item_id: str
    field: str
    loc: SourceLoc


def _text_fields(model: ThreatModel) -> Iterator[tuple[str, str, str, SourceLoc]]:
    """(item ID, field, text, loc) of every prose field of the model."""
    if model.scope is not None:
        yield "scope", "boundary", model.scope.boundary, model.scope.loc
        yield "scope", "shared_responsibility", model.scope.shared_responsibility, \
            model.scope.loc
        for assumption in model.scope.assumptions:
            yield assumption.id, "text", assumption.text, assumption.loc
    for asset in model.assets:
        yield asset.id, "description", asset.description, asset.loc
    for adversary in model.adversaries:
        yield adversary.id, "description", adversary.description, adversary.loc
        yield adversary.id, "reason", adversary.reason, adversary.loc
    for item in model.out_of_scope:
        yield item.id, "reason", item.reason, item.loc
        yield item.id, "protection_from", item.protection_from, item.loc
    for threat in model.threats:
        yield threat.id, "description", threat.description, threat.loc
    for resp in model.responsibilities:
        yield resp.id, "description", resp.description, resp.loc
    for rec in model.recommendations:
        yield rec.id, "title", rec.title, rec.loc
        yield rec.id, "rationale", rec.rationale, rec.loc
        for setting in rec.settings:
            yield rec.id, f"note of {setting.config_name}", setting.note, setting.loc
        for verification in rec.verifications:
            yield rec.id, "verification note", verification.note, verification.loc
        if rec.deprecation is not None:
            yield rec.id, "deprecation note", rec.deprecation.note, rec.deprecation.loc
    for clause in model.clauses():
        yield clause.id, "justification", clause.justification, clause.loc


def text_symbols(model: ThreatModel) -> list[TextSymbol]:
    """Every ``CONFIG_FOO`` written in a prose field of the model."""
    return [TextSymbol(match.group(0), item_id, field, loc)
            for item_id, field, text, loc in _text_fields(model)
            for match in CONFIG_NAME.finditer(text or "")]


def retired_symbols(model: ThreatModel) -> set[str]:
    """``CONFIG_`` names the tree may lack by design: settings of deprecated
    recommendations, and settings kept for a later Zephyr release (``since``)."""
    return {s.config_name for rec in model.recommendations
            for s in rec.settings if rec.status == "deprecated" or s.since is not None}


def text_symbol_diagnostics(found: Iterable[TextSymbol], db: SymbolDB,
                            retired: Set[str] = frozenset()) -> list[Diagnostic]:
    """A diagnostic for each ``CONFIG_`` name in YAML text that the tree does not define.

    Names in ``retired`` (settings of deprecated recommendations, which record
    what the tree no longer has) are not findings.
    """
    diagnostics = []
    for symbol in found:
        if symbol.name in db or symbol.name in retired:
            continue
        close = [f"CONFIG_{c}" for c in db.close_names(symbol.name, limit=3)]
        diagnostics.append(Diagnostic(
            symbol.loc, Severity.ERROR, Code.UNKNOWN_SYMBOL_TEXT,
            with_suggestion(f"{symbol.item_id}: {symbol.field} names {symbol.name}, which "
                            f"Zephyr {db.zephyr_version} does not define", close)))
    return diagnostics
