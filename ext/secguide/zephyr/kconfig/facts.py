"""What a Kconfig symbol says, as plain comparable data, and how to tell a change.

Review fingerprints (:mod:`secguide.trace.review`) and drift between trees
(:mod:`secguide.trace.drift`) both compare a symbol's facts at two moments. Both use
the same normalisation, so that a change reported by one is reported the same
way by the other:

* locations are left out (moving a definition to another file is no change);
* help text is compared with whitespace collapsed (re-wrapping a paragraph is
  no change) and shown re-wrapped to 72 columns in diffs;
* default and range order is kept (Kconfig uses the first default that applies).
"""

from __future__ import annotations

import difflib
import textwrap
from dataclasses import dataclass
from typing import Any

from secguide.zephyr.kconfig.symbols import ConditionalValue, KconfigSymbol

#: Facts compared by drift, in report order.
FACT_FIELDS = ("type", "prompts", "help", "defaults", "depends_on", "ranges",
               "user_settable", "deprecated")

#: Longest diff (in lines, headers included) attached to one change.
MAX_DIFF_LINES = 24

Facts = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Change:
    """One thing that differs, said the way a reviewer needs to hear it.

    Attributes:
        code: a stable machine-readable kind, e.g. ``help``, ``removed``,
            ``item-rationale`` (JSON output, tests, filtering).
        subject: what changed: ``CONFIG_X`` or the item ID.
        message: one line, e.g. ``help text of CONFIG_X changed``.
        diff: a short unified diff (no trailing newlines), empty when the message
            says it all.
    """

    code: str
    subject: str
    message: str
    diff: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"code": self.code, "subject": self.subject, "message": self.message,
                "diff": list(self.diff)}


def normalise_help(text: str) -> str:
    """Help text with every run of whitespace collapsed to one space."""
    return " ".join(text.split())


def _conditional(values: tuple[ConditionalValue, ...]) -> list[list[str | None]]:
    return [[entry.value, entry.condition] for entry in values]


def symbol_facts(symbol: KconfigSymbol | None) -> Facts | None:
    """The comparable facts of ``symbol``; None stands for "not defined in this tree"."""
    if symbol is None:
        return None
    return {
        "type": symbol.type,
        "prompts": list(symbol.prompts),
        "help": normalise_help(symbol.help),
        "defaults": _conditional(symbol.defaults),
        "depends_on": symbol.depends_on,
        "ranges": _conditional(symbol.ranges),
        "user_settable": symbol.user_settable,
        "deprecated": symbol.deprecated,
    }


def conditional_text(entries: list[list[str | None]]) -> list[str]:
    """``["y if A", "n"]`` for ``[["y", "A"], ["n", None]]``."""
    return [f"{value} if {cond}" if cond else f"{value}" for value, cond in entries]


def short_diff(old: list[str], new: list[str], old_label: str, new_label: str) -> tuple[str, ...]:
    """A unified diff of two line lists, cut to :data:`MAX_DIFF_LINES`."""
    lines = list(difflib.unified_diff(old, new, old_label, new_label, lineterm="", n=1))
    if len(lines) > MAX_DIFF_LINES:
        hidden = len(lines) - MAX_DIFF_LINES
        lines = [*lines[:MAX_DIFF_LINES], f"... ({hidden} more diff lines)"]
    return tuple(lines)


def wrapped(text: str) -> list[str]:
    """Normalised text as 72-column lines, for diffs that ignore re-wrapping."""
    return textwrap.wrap(text, width=72) if text else []


def _inline(values: list[str]) -> str:
    return "; ".join(values) if values else "(none)"


def fact_changes(name: str, old: Facts | None, new: Facts | None,
                 old_label: str, new_label: str,
                 fields: tuple[str, ...] = FACT_FIELDS) -> list[Change]:
    """Every difference between two fact sets of the symbol ``name``.

    ``old_label``/``new_label`` name the two sides in messages and diffs, e.g.
    ``"Zephyr 1.13.0"`` and ``"Zephyr 4.2.99"``, or ``"reviewed"``.
    """
    subject = f"CONFIG_{name}"
    if old is None and new is None:
        return []
    if new is None:
        return [Change("removed", subject, f"{subject} was removed ({new_label} lacks it)")]
    if old is None:
        return [Change("added", subject, f"{subject} was added (not in {old_label})")]
    changes: list[Change] = []
    for field in fields:
        before, after = old.get(field), new.get(field)
        if before == after:
            continue
        if field == "type":
            changes.append(Change("type", subject,
                                  f"type of {subject} changed: {before} -> {after}"))
        elif field == "help":
            changes.append(Change("help", subject, f"help text of {subject} changed",
                                  short_diff(wrapped(before or ""), wrapped(after or ""),
                                             old_label, new_label)))
        elif field == "prompts":
            changes.append(Change("prompt", subject,
                                  f"prompt of {subject} changed: {_inline(before or [])!r} -> "
                                  f"{_inline(after or [])!r}"))
        elif field in ("defaults", "ranges"):
            old_text = conditional_text(before or [])
            new_text = conditional_text(after or [])
            what = "defaults" if field == "defaults" else "ranges"
            message = f"{what} of {subject} changed"
            diff: tuple[str, ...] = ()
            if len(old_text) <= 1 and len(new_text) <= 1:
                message += f": {_inline(old_text)} -> {_inline(new_text)}"
            else:
                diff = short_diff(old_text, new_text, old_label, new_label)
            changes.append(Change(field, subject, message, diff))
        elif field == "depends_on":
            changes.append(Change("depends_on", subject,
                                  f"dependencies of {subject} changed: {before} -> {after}"))
        elif field == "user_settable":
            message = (f"{subject} gained a prompt: prj.conf can now set it" if after else
                       f"{subject} lost its prompt: prj.conf can no longer set it")
            changes.append(Change("user_settable", subject, message))
        elif field == "deprecated":
            message = (f"{subject} is now deprecated in Zephyr" if after else
                       f"{subject} is no longer deprecated")
            changes.append(Change("deprecated", subject, message))
    return changes
