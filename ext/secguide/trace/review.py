"""Working Group review stamps: which items are reviewed, suspect or unreviewed.

Recommendations, threats, responsibilities, assumptions, assets, out-of-scope items
and the clauses of standards are reviewable. A review stamp (``review: {by, date,
fingerprint[, note]}`` on the item) records the *fingerprint* of what the
reviewer saw. The fingerprint is the sha256 of a small canonical JSON document,
the *review document*::

    {"format": "secguide-review/2",
     "item":    {every field of the item except its stamp and locations},
     "links":   {"listed_by_threats": [threat IDs whose mitigated_by names it],
                 "listed_by_clauses": [standard clauses that name it],
                 "waivers": [{symbol, reason} of waivers naming a symbol it relies on],
                 "endangered_by_threats": [threat IDs whose assets name it (assets only)]},
     "symbols": {"STACK_CANARIES": {type, help, defaults, depends_on, ranges,
                                    user_settable, deprecated} or null, ...}}

``symbols`` (recommendations only) covers every symbol the item relies on: its
settings, and the symbols (not ``REC-`` IDs) its deprecation names as
``replaced_by``; ``null`` means the tree does not define the symbol. ``links``
holds the trace links that point *at* the item from elsewhere (links it makes
itself, such as a threat's ``mitigated_by``, are part of ``item``): removing a
recommendation from a threat's ``mitigated_by`` makes both suspect. Line numbers,
file names and key order play no part, so the stamp survives moving the item; it
does not survive any edit of the item, of a link to it, or any change Zephyr
makes to a symbol the item relies on.

Saying *what* changed needs the document that was reviewed, not only its digest.
``secguide review --accept`` therefore also keeps each stamped document in
``<threatmodel>/.review-baseline.json``, keyed by fingerprint. The YAML stamp stays
the authority: a baseline record is used only when its own digest equals the
stamp, so an out-of-date or hand-edited baseline can cost detail, never
correctness. Without a record a suspect item is still reported, with the reason
that its reviewed content is unknown.

Sphinx-free: the guide calls :func:`review_states`.
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import functools
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secguide.diagnostics import Diagnostic, SecguideError, SourceLoc
from secguide.input_limits import MAX_BASELINE_BYTES, loads_json, read_bounded
from secguide.model.items import (
    Asset,
    Assumption,
    Clause,
    OutOfScope,
    Recommendation,
    Responsibility,
    ReviewStamp,
    Threat,
    ThreatModel,
)
from secguide.model.model_files import baseline_path
from secguide.zephyr.kconfig.facts import Change, fact_changes, short_diff, symbol_facts, wrapped
from secguide.zephyr.kconfig.symbols import SymbolDB, strip_config_prefix

DOCUMENT_FORMAT = "secguide-review/2"
BASELINE_FORMAT = "secguide-review-baseline"

#: Symbol facts a review depends on. Prompt wording is left out on purpose (it is
#: cosmetic); losing the prompt altogether is caught by ``user_settable``.
REVIEWED_FACTS = ("type", "help", "defaults", "depends_on", "ranges", "user_settable",
                  "deprecated")

#: Item fields whose text is long enough to deserve a diff rather than an inline value.
_PROSE_FIELDS = frozenset({"title", "rationale"})
_EXCLUDED_FIELDS = frozenset({"loc", "profiles_loc", "review", "replaced_by_locs",
                              "field_locs"})
#: Fields added after stamps existed: left out while unset, so older stamps still match.
_OMITTED_WHEN_EMPTY = frozenset({"setting", "title", "when", "accepted_conflicts",
                                 "alternatives", "checked_against", "assets"})


#: Items that carry review stamps.
Reviewable = (Recommendation | Threat | Responsibility | Assumption | Asset | OutOfScope
              | Clause)


def reviewable_items(model: ThreatModel) -> list[Reviewable]:
    """Every item that carries Working Group review stamps (:meth:`ThreatModel.reviewable`)."""
    return list(model.reviewable())


class ReviewStatus(enum.Enum):
    """Where an item stands with the Working Group."""

    #: Stamped, and nothing it relies on changed since.
    REVIEWED = "reviewed"
    #: Stamped, but the item or a Zephyr symbol it relies on changed since.
    SUSPECT = "suspect"
    #: Never stamped.
    UNREVIEWED = "unreviewed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewState:
    """The review state of one item, with the reasons when it is not reviewed.

    Attributes:
        fingerprint: the fingerprint of the item now; ``--accept`` stamps this.
        stamp: the stamp in the YAML, if any.
        reviewed_against: the Zephyr version of the reviewed document, when the
            baseline has a record of it ("" otherwise).
        changes: what changed since the review (suspect items only).
    """

    item_id: str
    title: str
    status: ReviewStatus
    fingerprint: str
    stamp: ReviewStamp | None
    reviewed_against: str
    changes: tuple[Change, ...]
    loc: SourceLoc

    @property
    def reasons(self) -> tuple[str, ...]:
        """One line per change; for an unreviewed item, ``("never reviewed",)``."""
        if self.status is ReviewStatus.UNREVIEWED:
            return ("never reviewed",)
        return tuple(change.message for change in self.changes)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.item_id,
            "title": self.title,
            "state": self.status.value,
            "reasons": list(self.reasons),
            "changes": [change.as_dict() for change in self.changes],
            "fingerprint": self.fingerprint,
            "review": None if self.stamp is None else {
                "by": self.stamp.by, "date": self.stamp.date,
                "fingerprint": self.stamp.fingerprint, "note": self.stamp.note},
            "reviewed_against": self.reviewed_against,
            "path": self.loc.path,
            "line": self.loc.line,
        }


# -- the review document ----------------------------------------------------------------

@functools.cache
def _document_fields(kind: type) -> tuple[tuple[str, bool], ...]:
    """The fields of a dataclass the review document holds: (name, left out when empty)."""
    return tuple((field.name, field.name in _OMITTED_WHEN_EMPTY)
                 for field in dataclasses.fields(kind)
                 if field.name not in _EXCLUDED_FIELDS
                 and not field.name.endswith(("_loc", "_locs")))  # where, not what


def _plain(value: Any) -> Any:
    """Dataclasses, tuples and scalars as JSON data, without locations or stamps."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name))
                for name, omitted_when_empty in _document_fields(type(value))
                if not (omitted_when_empty and not getattr(value, name))}
    if isinstance(value, (tuple, list)):
        return [_plain(entry) for entry in value]
    return value


def item_fields(item: Any) -> dict[str, Any]:
    """The item's fields as the fingerprint sees them: no stamp, no source locations."""
    fields = _plain(item)
    return fields if isinstance(fields, dict) else {}


def relied_on_symbols(item: Reviewable) -> list[str]:
    """Symbols (without ``CONFIG_``) a recommendation's settings and ``replaced_by`` name,
    sorted; other items rely on no symbol."""
    if not isinstance(item, Recommendation):
        return []
    names = {name for setting in item.settings for name in setting.options}
    if item.deprecation is not None:
        names.update(strip_config_prefix(entry)
                     for entry in item.deprecation.replaced_by
                     if not entry.startswith("REC-"))
    return sorted(names)


def trace_links(item: Reviewable, model: ThreatModel) -> dict[str, list[Any]]:
    """The links that point at ``item`` from other items (see the module docstring)."""
    symbols = set(relied_on_symbols(item))
    links: dict[str, list[Any]] = {
        "listed_by_threats": sorted(threat.id for threat in model.threats_mitigated_by(item.id)),
        "listed_by_clauses": sorted(clause.id for clause in model.clauses_listing(item.id)),
        "waivers": sorted(({"symbol": waiver.symbol, "reason": waiver.reason}
                           for waiver in model.waivers if waiver.symbol in symbols),
                          key=lambda entry: (entry["symbol"], entry["reason"])),
    }
    if isinstance(item, Asset):  # only assets: other items' stamps keep their document
        links["endangered_by_threats"] = sorted(t.id for t in model.threats_against(item.id))
    return links


def review_document(item: Reviewable, db: SymbolDB, model: ThreatModel) -> dict[str, Any]:
    """The canonical document the fingerprint of ``item`` (an item of ``model``) is over."""
    symbols: dict[str, Any] = {}
    for name in relied_on_symbols(item):
        facts = symbol_facts(db.get(name))
        symbols[name] = None if facts is None else {key: facts[key] for key in REVIEWED_FACTS}
    return {"format": DOCUMENT_FORMAT, "item": _plain(item), "links": trace_links(item, model),
            "symbols": symbols}


def document_digest(document: Mapping[str, Any]) -> str:
    """sha256 over the canonical JSON text: sorted keys, no whitespace, UTF-8."""
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(item: Reviewable, db: SymbolDB, model: ThreatModel) -> str:
    """The review fingerprint of ``item`` (in ``model``) against the tree of ``db``."""
    return document_digest(review_document(item, db, model))


def stamp_matches(stamp: str, current: str) -> bool:
    """The schema allows abbreviated stamps (16 to 64 hex digits): compare as a prefix."""
    stamp = stamp.strip().lower()
    return len(stamp) >= 16 and current.startswith(stamp)


# -- the baseline: what was reviewed -----------------------------------------------------

@dataclass(frozen=True, slots=True)
class BaselineRecord:
    item_id: str
    zephyr_version: str
    document: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Baseline:
    """Reviewed documents by fingerprint, as kept in ``.review-baseline.json``."""

    records: Mapping[str, BaselineRecord]

    def find(self, stamp: str) -> tuple[str, BaselineRecord] | None:
        """The record a (possibly abbreviated) stamp refers to, if exactly one does."""
        stamp = stamp.strip().lower()
        if len(stamp) < 16:
            return None
        hits = [(key, record) for key, record in self.records.items() if key.startswith(stamp)]
        return hits[0] if len(hits) == 1 else None


EMPTY_BASELINE = Baseline({})


def load_baseline(threatmodel_dir: Path) -> Baseline:
    """The baseline of ``threatmodel_dir``; empty when there is none.

    Records whose document does not hash to their key are dropped: the baseline
    can only add detail to a stamp, never vouch for content the stamp does not.

    Raises:
        SecguideError: the file exists but is not a baseline (exit code 1).
    """
    path = baseline_path(threatmodel_dir)
    try:
        raw = read_bounded(path, str(path), limit=MAX_BASELINE_BYTES, what="review baseline")
    except FileNotFoundError:
        return EMPTY_BASELINE
    data = loads_json(raw, str(path))
    if not isinstance(data, dict) or data.get("format") != BASELINE_FORMAT \
            or not isinstance(data.get("records"), dict):
        raise SecguideError(f"{path}: not a secguide review baseline "
                            f"(expected \"format\": \"{BASELINE_FORMAT}\")", exit_code=1)
    records: dict[str, BaselineRecord] = {}
    for key, raw in data["records"].items():
        if not isinstance(raw, dict) or not isinstance(raw.get("document"), dict):
            continue
        if document_digest(raw["document"]) != key:
            continue
        records[key] = BaselineRecord(item_id=str(raw.get("item", "")),
                                      zephyr_version=str(raw.get("zephyr_version", "")),
                                      document=raw["document"])
    return Baseline(records)


def baseline_text(records: Mapping[str, BaselineRecord]) -> str:
    """The baseline file's content: sorted, indented, one key per line (diff-friendly)."""
    data = {
        "format": BASELINE_FORMAT,
        "records": {key: {"item": record.item_id, "zephyr_version": record.zephyr_version,
                          "document": record.document}
                    for key, record in sorted(records.items())},
    }
    return json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


# -- comparing ---------------------------------------------------------------------------

def _value_text(value: Any) -> str:
    if value is None or value == [] or value == "":
        return "(none)"
    if isinstance(value, list):
        return ", ".join(str(entry) for entry in value)
    return str(value)


def _setting_text(setting: Mapping[str, Any]) -> str:
    bits = []
    if setting.get("value") is not None:
        bits.append(f"={setting['value']}")
    if setting.get("minimum") is not None:
        bits.append(f">= {setting['minimum']}")
    if setting.get("maximum") is not None:
        bits.append(f"<= {setting['maximum']}")
    text = f"CONFIG_{setting.get('symbol')}" + (" " if bits and bits[0][0] != "=" else "")
    text += " and ".join(bits)
    if setting.get("note"):
        text += f" (note: {setting['note']})"
    return text


def _settings_changes(item_id: str, old: list[Any], new: list[Any]) -> list[Change]:
    old_by = {entry.get("symbol"): entry for entry in old if isinstance(entry, dict)}
    new_by = {entry.get("symbol"): entry for entry in new if isinstance(entry, dict)}
    changes = []
    for symbol in sorted(old_by.keys() | new_by.keys(), key=str):
        before, after = old_by.get(symbol), new_by.get(symbol)
        if before == after:
            continue
        if before is None:
            message = f"setting added: {_setting_text(after or {})}"
        elif after is None:
            message = f"setting removed: {_setting_text(before)}"
        else:
            details = []
            for key in ("value", "minimum", "maximum"):
                if before.get(key) != after.get(key):
                    details.append(f"{key} {_value_text(before.get(key))} -> "
                                   f"{_value_text(after.get(key))}")
            if before.get("note") != after.get("note"):
                details.append("note changed")
            message = f"setting CONFIG_{symbol} changed: {', '.join(details)}"
        changes.append(Change("item-settings", item_id, message))
    if not changes and old != new:
        changes.append(Change("item-settings", item_id, "settings were reordered"))
    return changes


def item_changes(item_id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """What differs between two ``item`` parts of review documents, field by field."""
    changes: list[Change] = []
    for field in sorted(old.keys() | new.keys()):
        before, after = old.get(field), new.get(field)
        if before == after:
            continue
        code = f"item-{field}"
        if field == "settings":
            changes.extend(_settings_changes(item_id, before or [], after or []))
        elif field in _PROSE_FIELDS:
            changes.append(Change(code, item_id, f"item {field} changed",
                                  short_diff(wrapped(" ".join(str(before or "").split())),
                                             wrapped(" ".join(str(after or "").split())),
                                             "reviewed", "now")))
        elif isinstance(before, dict) or isinstance(after, dict):
            old_sub, new_sub = before or {}, after or {}
            details = [f"{key}: {_value_text(old_sub.get(key))} -> {_value_text(new_sub.get(key))}"
                       for key in sorted(old_sub.keys() | new_sub.keys())
                       if old_sub.get(key) != new_sub.get(key)]
            changes.append(Change(code, item_id, f"item {field} changed: " + "; ".join(details)))
        else:
            changes.append(Change(code, item_id, f"item {field} changed: "
                                                 f"{_value_text(before)} -> {_value_text(after)}"))
    return changes


def link_changes(item_id: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Threats that started or stopped listing the item; waivers of its symbols."""
    changes: list[Change] = []
    for key, field in (("listed_by_threats", "mitigated_by"),
                       ("endangered_by_threats", "assets")):
        old_threats = set(old.get(key) or ())
        new_threats = set(new.get(key) or ())
        for threat in sorted(old_threats - new_threats):
            changes.append(Change("links", item_id, f"{threat} no longer lists {item_id} in "
                                                    f"{field}"))
        for threat in sorted(new_threats - old_threats):
            changes.append(Change("links", item_id,
                                  f"{threat} now lists {item_id} in {field}"))
    old_clauses = set(old.get("listed_by_clauses") or ())
    new_clauses = set(new.get("listed_by_clauses") or ())
    for clause in sorted(old_clauses - new_clauses):
        changes.append(Change("links", item_id, f"clause {clause} no longer names {item_id}"))
    for clause in sorted(new_clauses - old_clauses):
        changes.append(Change("links", item_id, f"clause {clause} now names {item_id}"))
    old_waivers = {json.dumps(w, sort_keys=True) for w in old.get("waivers") or ()}
    new_waivers = {json.dumps(w, sort_keys=True) for w in new.get("waivers") or ()}
    for text, verb in [*((t, "removed") for t in sorted(old_waivers - new_waivers)),
                       *((t, "added") for t in sorted(new_waivers - old_waivers))]:
        waiver = json.loads(text)
        changes.append(Change("links", item_id, f"waiver of CONFIG_{waiver.get('symbol')} "
                                                f"{verb}: {waiver.get('reason')}"))
    return changes


def compare_documents(item_id: str, reviewed: Mapping[str, Any], current: Mapping[str, Any],
                      current_label: str) -> list[Change]:
    """Every change from the reviewed document to the current one: item first, then symbols."""
    if reviewed.get("format") != current.get("format"):
        return [Change("format", item_id,
                       f"fingerprint format changed ({reviewed.get('format')} -> "
                       f"{current.get('format')}): the item must be reviewed again")]
    changes = item_changes(item_id, reviewed.get("item") or {}, current.get("item") or {})
    changes += link_changes(item_id, reviewed.get("links") or {}, current.get("links") or {})
    old_symbols = reviewed.get("symbols") or {}
    new_symbols = current.get("symbols") or {}
    for name in sorted(old_symbols.keys() & new_symbols.keys()):
        for change in fact_changes(name, old_symbols[name], new_symbols[name],
                                   "reviewed", current_label, REVIEWED_FACTS):
            if change.code == "removed":
                change = dataclasses.replace(
                    change, message=f"{change.subject} no longer exists in {current_label}")
            elif change.code == "added":
                change = dataclasses.replace(
                    change, message=f"{change.subject} exists again in {current_label} "
                                    "(it was absent when reviewed)")
            changes.append(change)
    if not changes:  # digests differ, so something must: never claim "no change"
        changes.append(Change("unknown", item_id, "the review document changed"))
    return changes


def _unrecorded_changes(item: Reviewable, document: Mapping[str, Any],
                        stamp: ReviewStamp, current_label: str) -> list[Change]:
    changes = [Change(
        "unrecorded", item.id,
        f"changed since the review by {stamp.by} on {stamp.date}; the baseline has no record "
        f"of the reviewed content (fingerprint {stamp.fingerprint[:12]}...), so the change "
        "cannot be itemised",
    )]
    for name, facts in sorted((document.get("symbols") or {}).items()):
        if facts is None:
            changes.append(Change("removed", f"CONFIG_{name}",
                                  f"CONFIG_{name} does not exist in {current_label}"))
    return changes


def item_title(item: Reviewable) -> str:
    """The item's title; an assumption without one is named by its text."""
    if isinstance(item, Assumption):
        return item.title or item.text
    return item.title


def review_state(item: Reviewable, db: SymbolDB, model: ThreatModel,
                 baseline: Baseline = EMPTY_BASELINE) -> ReviewState:
    """The review state of one item of ``model`` against the tree of ``db``."""
    document = review_document(item, db, model)
    current = document_digest(document)
    stamp = item.review
    label = f"Zephyr {db.zephyr_version}"
    common = {"item_id": item.id, "title": " ".join(item_title(item).split()),
              "fingerprint": current, "stamp": stamp, "loc": item.loc}
    if stamp is None:
        return ReviewState(status=ReviewStatus.UNREVIEWED, reviewed_against="", changes=(),
                           **common)
    found = baseline.find(stamp.fingerprint)
    against = found[1].zephyr_version if found else ""
    if stamp_matches(stamp.fingerprint, current):
        return ReviewState(status=ReviewStatus.REVIEWED, reviewed_against=against, changes=(),
                           **common)
    if found is None:
        changes = _unrecorded_changes(item, document, stamp, label)
    else:
        changes = compare_documents(item.id, found[1].document, document, label)
    return ReviewState(status=ReviewStatus.SUSPECT, reviewed_against=against,
                       changes=tuple(changes), **common)


def review_states(model: ThreatModel, db: SymbolDB,
                  baseline: Baseline = EMPTY_BASELINE) -> dict[str, ReviewState]:
    """The review state of every reviewable item, in guide order, keyed by ID.

    For the guide's review-status page and per-item banners. Pass the folder's
    :func:`load_baseline` to get itemised reasons for suspect items; without it
    suspect items are still found, with a coarse reason.
    """
    return {item.id: review_state(item, db, model, baseline) for item in reviewable_items(model)}


def baseline_after_accept(baseline: Baseline, accepted: Iterable[Reviewable],
                          db: SymbolDB, model: ThreatModel,
                          keep: Iterable[str]) -> dict[str, BaselineRecord]:
    """The baseline records to keep after stamping ``accepted`` against ``db``.

    ``keep`` holds the stamps still present in the model (other items); records
    no stamp refers to any more are dropped, so the file does not grow forever.
    """
    records: dict[str, BaselineRecord] = {}
    for stamp in keep:
        found = baseline.find(stamp)
        if found is not None:
            records[found[0]] = found[1]
    for item in accepted:
        document = review_document(item, db, model)
        records[document_digest(document)] = BaselineRecord(
            item_id=item.id, zephyr_version=db.zephyr_version, document=document)
    return records


def model_with_statuses(model: ThreatModel, statuses: Mapping[str, str]) -> ThreatModel:
    """``model`` with the ``status`` of the named recommendations/responsibilities replaced."""
    def apply(items: tuple[Any, ...]) -> tuple[Any, ...]:
        return tuple(dataclasses.replace(item, status=statuses[item.id])
                     if item.id in statuses else item for item in items)
    return dataclasses.replace(model, recommendations=apply(model.recommendations),
                               responsibilities=apply(model.responsibilities))


def findings_by_item(model: ThreatModel,
                     diagnostics: Iterable[Diagnostic]) -> dict[str, list[Diagnostic]]:
    """Item ID -> the diagnostics located inside it.

    An item spans from its ``id`` line to the next item (or waiver, or scope) of
    the same file; a diagnostic belongs to the item whose span holds its line.
    """
    marks: dict[str, list[tuple[int, str | None]]] = {}
    for item in model.items():
        marks.setdefault(item.loc.path, []).append((item.loc.line, item.id))
    for waiver in model.waivers:
        marks.setdefault(waiver.loc.path, []).append((waiver.loc.line, None))
    if model.scope is not None:
        marks.setdefault(model.scope.loc.path, []).append((model.scope.loc.line, None))
    for entries in marks.values():
        entries.sort(key=lambda entry: entry[0])
    owned: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        entries = marks.get(diagnostic.loc.path, [])
        index = bisect.bisect_right([line for line, _ in entries], diagnostic.loc.line) - 1
        if index >= 0 and entries[index][1] is not None:
            owned.setdefault(entries[index][1], []).append(diagnostic)
    return owned
