"""What changed in one model item between two revisions: fields, settings, prose as words.

Items are compared on the same field view the review fingerprint uses
(:func:`secguide.trace.review.item_fields`: every field but the stamp and source
locations), so "changed" here means exactly what would make a stamp suspect. A
setting is compared symbol by symbol, verifications entry by entry, lists by the
entries they gain and lose, and text of more than a few words as a word diff.
"""

from __future__ import annotations

import difflib
import enum
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

#: Unchanged words kept on each side of a change in a word diff; longer runs are elided.
WORD_CONTEXT = 8
#: Text of more words than this is shown as a word diff rather than before -> after.
_PROSE_WORDS = 4


class Change(enum.StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"


class WordKind(enum.StrEnum):
    SAME = "same"
    REMOVED = "removed"
    ADDED = "added"
    #: unchanged words left out (the text says how many)
    GAP = "gap"


@dataclass(frozen=True, slots=True)
class Words:
    kind: WordKind
    text: str


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field of an item that differs: ``before``/``after`` as text, ``words`` for prose."""

    name: str
    before: str
    after: str
    words: tuple[Words, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.name, "before": self.before, "after": self.after,
                "words": [{"kind": w.kind.value, "text": w.text} for w in self.words]}


def word_diff(before: str, after: str, context: int = WORD_CONTEXT) -> tuple[Words, ...]:
    """``before`` -> ``after`` word by word (whitespace normalised), long equal runs elided."""
    old, new = before.split(), after.split()
    opcodes = difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    pieces: list[Words] = []
    for index, (tag, i1, i2, j1, j2) in enumerate(opcodes):
        if tag == "equal":
            run = old[i1:i2]
            head = run[:context] if index > 0 else []
            tail = run[-context:] if index < len(opcodes) - 1 else []
            if len(run) <= len(head) + len(tail) + 1:
                pieces.append(Words(WordKind.SAME, " ".join(run)))
                continue
            if head:
                pieces.append(Words(WordKind.SAME, " ".join(head)))
            pieces.append(Words(WordKind.GAP, f"{len(run) - len(head) - len(tail)} words"))
            if tail:
                pieces.append(Words(WordKind.SAME, " ".join(tail)))
            continue
        if i2 > i1:
            pieces.append(Words(WordKind.REMOVED, " ".join(old[i1:i2])))
        if j2 > j1:
            pieces.append(Words(WordKind.ADDED, " ".join(new[j1:j2])))
    return tuple(pieces)


def _text(value: Any) -> str:
    if value is None or value == [] or value == "" or value == {}:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(entry) for entry in value)
    if isinstance(value, dict):
        return "; ".join(f"{key}: {_text(entry)}" for key, entry in value.items()
                         if entry not in (None, "", [], {}))
    return " ".join(str(value).split())


def setting_text(setting: Mapping[str, Any]) -> str:
    """``CONFIG_X=y``, ``CONFIG_X >= 2048``, with ``since`` and the note."""
    text = f"CONFIG_{setting.get('symbol')}"
    if setting.get("value") is not None:
        text += f"={setting['value']}"
    bounds = [f">= {setting['minimum']}"] if setting.get("minimum") is not None else []
    bounds += [f"<= {setting['maximum']}"] if setting.get("maximum") is not None else []
    if bounds:
        text += " " + " and ".join(bounds)
    if setting.get("since"):
        text += f" (from Zephyr {setting['since']})"
    return text


def verification_text(entry: Mapping[str, Any]) -> str:
    """``build-audit: production``, ``manual-check TEST-MAN-X``, with its setting if any."""
    name = entry.get("id") or entry.get("ref") or ""
    if entry.get("kind") == "manual-check" and entry.get("id"):
        name = entry["id"]
    text = f"{entry.get('kind')}: {' '.join(str(name).split())}"
    return text + (f" (setting CONFIG_{entry['setting']})" if entry.get("setting") else "")


def _settings(before: list[Any], after: list[Any]) -> list[FieldChange]:
    old = {entry.get("symbol"): entry for entry in before if isinstance(entry, dict)}
    new = {entry.get("symbol"): entry for entry in after if isinstance(entry, dict)}
    changes = []
    for symbol in [*old, *(s for s in new if s not in old)]:
        if old.get(symbol) == new.get(symbol):
            continue
        was, now = old.get(symbol), new.get(symbol)
        name = f"setting CONFIG_{symbol}"
        if not was or not now or setting_text(was) != setting_text(now):
            changes.append(FieldChange(name, setting_text(was) if was else "(none)",
                                       setting_text(now) if now else "(none)"))
        if was and now:  # the rest of the setting, field by field (the note as words)
            shown = {"symbol", "value", "minimum", "maximum", "since"}
            rest = field_changes({k: v for k, v in was.items() if k not in shown},
                                 {k: v for k, v in now.items() if k not in shown})
            changes += [FieldChange(f"{name} {change.name}", change.before, change.after,
                                    change.words) for change in rest]
    return changes


def _entries(name: str, before: list[Any], after: list[Any], show: Any) -> list[FieldChange]:
    old = [show(entry) for entry in before]
    new = [show(entry) for entry in after]
    lost = [entry for entry in old if entry not in new]
    gained = [entry for entry in new if entry not in old]
    if not lost and not gained:
        return [FieldChange(f"{name} order", ", ".join(old), ", ".join(new))]
    return [FieldChange(f"{name} removed", entry, "(none)") for entry in lost] + \
           [FieldChange(f"{name} added", "(none)", entry) for entry in gained]


def _prose(name: str, before: Any, after: Any) -> FieldChange:
    old, new = _text(before), _text(after)
    if old == new:  # the same words, laid out differently (the stamp still moves)
        return FieldChange(name, "the same words", "with different line breaks or spacing")
    words = word_diff("" if before is None else str(before), "" if after is None else str(after))
    return FieldChange(name, old, new, words)


def _is_prose(before: Any, after: Any) -> bool:
    texts = [value for value in (before, after) if value is not None]
    return all(isinstance(v, str) for v in texts) and \
        any(len(v.split()) > _PROSE_WORDS for v in texts)


def field_changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    """Every field that differs between two item field views, in the item's field order."""
    changes: list[FieldChange] = []
    for name in [*before, *(key for key in after if key not in before)]:
        old, new = before.get(name), after.get(name)
        if old == new:
            continue
        if name == "settings":
            changes += _settings(old or [], new or [])
        elif name == "verifications":
            changes += _entries("verification", old or [], new or [], verification_text)
        elif isinstance(old, dict) or isinstance(new, dict):
            nested = field_changes(old or {}, new or {})
            changes += [FieldChange(f"{name} {change.name}", change.before, change.after,
                                    change.words) for change in nested]
        elif isinstance(old, list) and isinstance(new, list):
            changes.append(FieldChange(name, _text(old), _text(new)))
        elif _is_prose(old, new):
            changes.append(_prose(name, old, new))
        else:
            changes.append(FieldChange(name, _text(old), _text(new)))
    return changes
