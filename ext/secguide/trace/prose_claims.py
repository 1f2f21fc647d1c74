"""Plain-word claims about Kconfig in the model's prose, compared with the tree.

A rationale that says "HW_STACK_PROTECTION defaults to ARCH_HAS_STACK_PROTECTION"
states a fact the tree can confirm or refute. Where the wording is one of these,
the claim is checked, and a false one is a ``prose-claim`` error at its YAML line,
with the tree's answer and the fact role that states it instead
(:mod:`secguide.trace.kconfig_facts`):

============================================  ==============================================
Wording (``X``, ``Y``, ``Z``: symbol names,     True when the tree ...
with or without ``CONFIG_``)
============================================  ==============================================
``X defaults to V`` (V: ``y``, ``n``, a        gives ``X`` a default (for every target, not
number, a symbol, or ``it`` = the symbol       only a board's or SoC's own) whose value is V
named just before)
``X is on|enabled by default``                 gives ``X`` a default other than ``n``
(in a note: ``On by default.``, ``Default y.``)
``X is off|disabled by default``               gives ``X`` no default other than ``n``
``X selects Y[, Y2 and Y3]``                   has ``select Y`` (each) among ``X``'s entries
``X[, X2 and X3] (all) select Y``              has ``select Y`` in each ``X``
``Y is selected by X[, X2 and X3]``            has ``select Y`` in each ``X``
``X depends on Y[, Y2 and Y3]``                names each ``Y`` in ``X``'s ``depends on``
``X ranges from A to B``                       gives ``X`` the range ``A B``
============================================  ==============================================

``X`` is the symbol written right before the verb (``X, which selects ...``,
``X also depends on ...``); a verb joined by "and" to an earlier one shares its
subject; in a setting's note, a sentence that starts with the verb ("Depends on
ENTROPY_HAS_DRIVER.", "Selected by USERSPACE.") is about the setting's symbol.
Other wordings are not recognised and not checked; a fact stated with a role
cannot be false. Deprecated recommendations describe older releases and are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.items import ThreatModel
from secguide.trace.kconfig_facts import (
    FACT_ROLE,
    FactKind,
    fact_text,
    general_defaults,
    role_text,
)
from secguide.trace.prose import ProseField
from secguide.zephyr.expr import positive_symbols
from secguide.zephyr.kconfig.symbols import KconfigSymbol, SymbolDB

_SYMBOL = r"(?:CONFIG_)?[A-Z][A-Z0-9_]*[A-Z0-9]"
_LIST = rf"{_SYMBOL}(?:\s*,\s*{_SYMBOL})*(?:,?\s+(?:and|or)\s+{_SYMBOL})?"
_VERB = re.compile(
    r"(?P<verb>defaults\s+to|(?:is\s+)?(?:on|enabled|off|disabled)\s+by\s+default|"
    r"default:?(?=\s+(?:y|n|-?[0-9])\b)|selects|select|(?:is|are)\s+selected\s+by|"
    r"selected\s+by|depends\s+on|depend\s+on|ranges\s+from)\b", re.IGNORECASE)
_SUBJECT_TAIL = re.compile(rf"(?P<subjects>{_LIST})(?:\s*,?\s*which)?(?:\s+(?:all|also|only|"
                           rf"itself|both|each|always|then))*\s*$")
_OBJECTS = re.compile(rf"\s*(?P<objects>{_LIST})")
_VALUE = re.compile(rf"\s*(?P<value>it\b|y\b|n\b|0x[0-9a-fA-F]+|-?[0-9]+|{_SYMBOL})")
_RANGE = re.compile(r"\s*(?P<low>-?(?:0x)?[0-9a-fA-F]+)\s+to\s+(?P<high>-?(?:0x)?[0-9a-fA-F]+)")
_NAME = re.compile(_SYMBOL)
_SENTENCE_END = re.compile(r"(?<=[.;:])\s+|\n\s*\n")


@dataclass(frozen=True, slots=True)
class Claim:
    """One recognised claim: what the prose says, and the tree's verdict on it."""

    subject: str
    kind: FactKind
    said: str  # the claim in the prose's words, normalised
    words_before: int  # how many words of the text come before its verb: finds the line
    true: bool


def _bare(name: str) -> str:
    return name.removeprefix("CONFIG_")


def _names(text: str) -> list[str]:
    return [_bare(match.group(0)) for match in _NAME.finditer(text)]


def _default_values(symbol: KconfigSymbol) -> set[str]:
    return {entry.value.strip() for entry in general_defaults(symbol)}


def _same_number(left: str, right: str) -> bool:
    try:
        return int(left, 0) == int(right, 0)
    except ValueError:
        return False


def _judge(kind: FactKind, verb: str, symbol: KconfigSymbol, objects: list[str],
           db: SymbolDB) -> bool:
    verb = " ".join(verb.lower().split())
    if kind is FactKind.DEFAULT:
        values = _default_values(symbol)
        if verb.endswith("by default"):
            on = any(value != "n" for value in values)
            return on if {"on", "enabled"} & set(verb.split()) else not on
        wanted = objects[0]
        if wanted == "n" and not values and symbol.type in ("bool", "tristate"):
            return True  # no default: a bool is n
        return any(value == wanted or _same_number(value, wanted) for value in values)
    if kind is FactKind.SELECTED_BY:  # here the subject is each selector
        return all(symbol.name in (entry.value for entry in (db.get(name).selects
                                                             if db.get(name) else ()))
                   for name in objects)
    if kind is FactKind.DEPENDS_ON:  # "depends on X" is false of "depends on !X"
        named = set(positive_symbols(symbol.depends_on))
        return all(name in named for name in objects)
    if kind is FactKind.RANGE:
        return any(_same_number(entry.value.split()[0], objects[0])
                   and _same_number(entry.value.split()[-1], objects[1])
                   for entry in symbol.ranges)
    return False  # pragma: no cover - every kind is handled above


def _kind_of(verb: str) -> FactKind:
    verb = verb.lower()
    if "default" in verb:
        return FactKind.DEFAULT
    if "selected" in verb:
        return FactKind.SELECTED_BY
    if verb.startswith("select"):
        return FactKind.SELECTED_BY  # read backwards: each subject must select the object
    if verb.startswith("depend"):
        return FactKind.DEPENDS_ON
    return FactKind.RANGE


def claims_in(text: str, db: SymbolDB, *, note_of: str | None = None) -> Iterator[Claim]:
    """The recognised claims of ``text``, each judged against the tree. ``note_of`` is
    the setting's symbol when ``text`` is that setting's note."""
    # a role states a true fact; blanked (same length) so offsets stay those of the text
    text = FACT_ROLE.sub(lambda role: " " * len(role.group(0)), text)
    starts = [0, *(end.end() for end in _SENTENCE_END.finditer(text))]
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        sentence = text[start:end]
        subjects: list[str] = []
        for match in _VERB.finditer(sentence):
            words_before = len(text[:start + match.start()].split())
            verb, before, after = match.group("verb"), sentence[:match.start()], \
                sentence[match.end():]
            tail = _SUBJECT_TAIL.search(before)
            opening = verb.lower().rstrip(":") == "default" or (
                verb.lower().startswith(("on", "off", "enabled", "disabled")) and not tail)
            if opening:
                # "Default y." / "On by default." open a note about its setting only
                if before.strip() or not note_of:
                    subjects = []
                    continue
                subjects = [note_of]
            elif tail and all(_bare(n) in db for n in _names(tail.group("subjects"))):
                subjects = _names(tail.group("subjects"))
            elif re.search(r"(?:\band|,)\s*$", before) and subjects:
                pass  # "... and defaults to ...": the same subject
            elif not before.strip() and note_of:
                subjects = [note_of]
            else:
                subjects = []
                continue
            yield from _claims(verb, subjects, before, after, words_before, db)


def _claims(verb: str, subjects: list[str], before: str, after: str, words_before: int,
            db: SymbolDB) -> Iterator[Claim]:
    kind = _kind_of(verb)
    lowered = " ".join(verb.lower().split())
    if lowered.rstrip(":") == "default":
        lowered = "defaults to"
    if kind is FactKind.DEFAULT and not lowered.endswith("by default"):
        value = _VALUE.match(after)
        if value is None:
            return
        wanted = value.group("value")
        if wanted == "it":
            earlier = [n for n in _names(before) if n in db and n not in subjects]
            if not earlier:
                return
            wanted = earlier[-1]
        objects = [_bare(wanted)]
        said = f"defaults to {objects[0]}"
    elif kind is FactKind.RANGE:
        bounds = _RANGE.match(after)
        if bounds is None:
            return
        objects = [bounds.group("low"), bounds.group("high")]
        said = f"ranges from {objects[0]} to {objects[1]}"
    elif lowered.endswith("by default"):
        objects, said = [], lowered
    else:
        found = _OBJECTS.match(after)
        if found is None:
            return
        objects = [n for n in _names(found.group("objects")) if n in db]
        if not objects:
            return
        said = f"{lowered} {', '.join(objects)}"
    if kind is FactKind.SELECTED_BY and lowered in ("select", "selects"):
        # "X selects Y": Y is selected by X; one claim per selected symbol
        for target in objects:
            symbol = db.get(target)
            if symbol is not None:
                yield Claim(target, kind, f"{', '.join(subjects)} {lowered} {target}",
                            words_before, _judge(kind, verb, symbol, subjects, db))
        return
    for subject in subjects:
        symbol = db.get(subject)
        if symbol is not None:
            yield Claim(subject, kind, f"{subject} {said}", words_before,
                        _judge(kind, verb, symbol, objects, db))


def _fields(model: ThreatModel) -> Iterator[tuple[ProseField, str | None]]:
    for rec in model.recommendations:
        if rec.deprecation is not None or rec.status == "deprecated":
            continue
        yield ProseField(rec.id, "rationale", rec.rationale, rec.loc), None
        for setting in rec.settings:
            yield (ProseField(rec.id, f"note of {setting.config_name}", setting.note,
                              setting.loc), setting.symbol)
        for verification in rec.verifications:
            yield ProseField(rec.id, "verification note", verification.note,
                             verification.loc), None
    for threat in model.threats:
        yield ProseField(threat.id, "description", threat.description, threat.loc), None
    for resp in model.responsibilities:
        yield ProseField(resp.id, "description", resp.description, resp.loc), None
    for waiver in model.waivers:
        yield (ProseField(f"waiver of CONFIG_{waiver.symbol}", "reason", waiver.reason,
                          waiver.loc), None)


def _plain(fact: str) -> str:
    return fact.replace("``", "")


def _line_of(model: ThreatModel, prose: ProseField, words_before: int) -> SourceLoc:
    """The file line holding word number ``words_before`` of the field's text: YAML folds
    and indents text, but keeps its words in order, line by line."""
    places = model.text_places.get((prose.loc.path, prose.text), ())
    place = min(places, key=lambda p: (p.loc.line < prose.loc.line,
                                       abs(p.loc.line - prose.loc.line)), default=None)
    if place is None:
        return prose.loc
    seen = 0
    for offset, line in enumerate(place.lines):
        if offset == 0:  # the key's line: only what follows the value's start counts
            line = line[max(place.loc.col - 1, 0):]
            if re.fullmatch(r"\s*[>|][-+0-9]*\s*(#.*)?", line):
                line = ""  # a block scalar's indicator, not text
        seen += len(line.split())
        if seen > words_before:
            return SourceLoc(place.loc.path, place.loc.line + offset)
    return place.loc


def check_prose_claims(model: ThreatModel, db: SymbolDB) -> list[Diagnostic]:
    """A ``prose-claim`` error for every recognised claim the tree contradicts."""
    found = []
    for prose, note_of in _fields(model):
        if not prose.text:
            continue
        for claim in claims_in(prose.text, db, note_of=note_of):
            if claim.true:
                continue
            symbol = db.get(claim.subject)
            assert symbol is not None
            found.append(Diagnostic(
                _line_of(model, prose, claim.words_before), Severity.ERROR, "prose-claim",
                f"{prose.item_id}: {prose.field} says {claim.said}; Zephyr "
                f"{db.zephyr_version} says: {_plain(fact_text(claim.kind, symbol))}. "
                f"State it from the tree with {role_text(claim.kind, claim.subject)}"))
    return found
