"""Drift between two Zephyr trees, for the symbols the threat model uses or used.

For every symbol a recommendation sets, a deprecated recommendation used to set,
a deprecation names as its replacement, or a waiver names, :func:`drift_report`
says whether the symbol was removed, added or changed (type, prompt, help,
defaults, dependencies, ranges, prompt-less-ness, deprecation) between an old
and a new tree. For removed symbols it proposes successors: the renames the
model records, names close to the old one, and symbols whose prompt and help
read like the old symbol's help.

Plain data in, plain data out, Sphinx-free: the CLI prints it, and the guide can
render a "Changes since Zephyr X" page from :meth:`DriftReport.as_dict`.
"""

from __future__ import annotations

import difflib
import math
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secguide.model.items import ThreatModel
from secguide.model.releases import release_key
from secguide.trace.derived_cache import cached, source_digest
from secguide.zephyr.kconfig import facts
from secguide.zephyr.kconfig.facts import Change, fact_changes, normalise_help, symbol_facts
from secguide.zephyr.kconfig.symbols import KconfigSymbol, SymbolDB, strip_config_prefix

STATUSES = ("removed", "changed", "added", "unchanged", "undefined")

#: Successors proposed per removed symbol, per kind (close name, similar help).
MAX_SUCCESSORS = 3
#: Lowest combined similarity for a "similar help" successor.
MIN_HELP_SIMILARITY = 0.3
_STOPWORDS = frozenset({
    "the", "and", "for", "this", "that", "with", "are", "will", "not", "can", "from", "when",
    "option", "enable", "enables", "enabled", "used", "use", "which", "its", "has", "have",
    "into", "all", "any", "only", "also", "more", "than", "been",
})


@dataclass(frozen=True, slots=True)
class Usage:
    """How the model uses a symbol: ``role`` is ``setting``, ``old setting`` (of a
    deprecated item), ``replaced_by`` or ``waiver``; ``item_id`` is "" for waivers.
    ``since`` is the release the setting says brings the symbol (``since:``), if any."""

    item_id: str
    role: str
    since: str | None = None

    def __str__(self) -> str:
        return f"{self.role} of {self.item_id}" if self.item_id else self.role


@dataclass(frozen=True, slots=True)
class Successor:
    """A symbol of the new tree that may have taken over a removed one.

    ``why`` is ``recorded`` (the model's ``replaced_by``), ``close name`` or
    ``similar help``; ``score`` is 1.0 for recorded renames.
    """

    name: str
    why: str
    score: float
    exists: bool  # defined in the new tree
    new: bool  # not defined in the old tree

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "why": self.why, "score": round(self.score, 3),
                "exists": self.exists, "new": self.new}


@dataclass(frozen=True, slots=True)
class SymbolDrift:
    """How one symbol changed. ``since``: the latest release a setting of the model
    says brings the symbol; ``later_release``: that release is newer than the new tree,
    so the symbol's absence there is expected, not rot."""

    name: str
    status: str  # one of STATUSES
    changes: tuple[Change, ...] = ()
    successors: tuple[Successor, ...] = ()
    usages: tuple[Usage, ...] = ()
    since: str | None = None
    later_release: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status,
                "since": self.since, "later_release": self.later_release,
                "changes": [change.as_dict() for change in self.changes],
                "successors": [successor.as_dict() for successor in self.successors],
                "usages": [{"item": u.item_id, "role": u.role, "since": u.since}
                           for u in self.usages]}


@dataclass(frozen=True, slots=True)
class DriftReport:
    old_version: str
    new_version: str
    old_fingerprint: str
    new_fingerprint: str
    symbols: tuple[SymbolDrift, ...]

    def by_status(self, status: str) -> list[SymbolDrift]:
        return [entry for entry in self.symbols if entry.status == status]

    @property
    def later_release(self) -> list[SymbolDrift]:
        """Symbols a later release than the new tree brings, by the model's ``since``."""
        return [entry for entry in self.symbols if entry.later_release]

    def get(self, name: str) -> SymbolDrift | None:
        wanted = strip_config_prefix(name)
        return next((entry for entry in self.symbols if entry.name == wanted), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": {"zephyr_version": self.old_version, "fingerprint": self.old_fingerprint},
            "to": {"zephyr_version": self.new_version, "fingerprint": self.new_fingerprint},
            "counts": {status: len(self.by_status(status)) for status in STATUSES},
            "later_release": len(self.later_release),
            "symbols": [entry.as_dict() for entry in self.symbols],
        }


# -- what the model uses -----------------------------------------------------------------

def model_symbols(model: ThreatModel) -> dict[str, tuple[Usage, ...]]:
    """Every symbol the model uses or used, sorted, with how it is used."""
    found: dict[str, list[Usage]] = {}

    def add(name: str, usage: Usage) -> None:
        entries = found.setdefault(strip_config_prefix(name), [])
        if usage not in entries:
            entries.append(usage)

    for rec in model.recommendations:
        role = "setting" if rec.deprecation is None else "old setting"
        for setting in rec.settings:
            add(setting.symbol, Usage(rec.id, role, setting.since))
        if rec.deprecation is not None:
            for entry in rec.deprecation.replaced_by:
                if not entry.startswith("REC-"):
                    add(entry, Usage(rec.id, "replaced_by"))
    for waiver in model.waivers:
        add(waiver.symbol, Usage("", "waiver"))
    return {name: tuple(found[name]) for name in sorted(found)}


# -- successors by help text --------------------------------------------------------------

_WORD = re.compile(r"[a-z][a-z0-9]{2,}")


def _describe(symbol: KconfigSymbol) -> str:
    return normalise_help(" ".join((*symbol.prompts, symbol.help)))


def _tokens(symbol: KconfigSymbol, text: str) -> set[str]:
    words = set(_WORD.findall(text.lower()))
    words.update(part for part in symbol.name.lower().split("_") if len(part) >= 3)
    return words - _STOPWORDS


class HelpIndex:
    """Finds symbols whose prompt and help read like a given text.

    Candidates come from an inverted index weighted by inverse document frequency
    (cheap, over every symbol); only the best few are then compared character by
    character with :class:`difflib.SequenceMatcher`, which is too slow to run
    against 20,000 help texts per query.
    """

    _SHORTLIST = 12

    def __init__(self, db: SymbolDB) -> None:
        self._texts: dict[str, str] = {}
        self._tokens: dict[str, set[str]] = {}
        postings: dict[str, list[str]] = {}
        for symbol in db:
            text = _describe(symbol)
            if not symbol.help:
                continue
            words = _tokens(symbol, text)
            self._texts[symbol.name] = text
            self._tokens[symbol.name] = words
            for word in words:
                postings.setdefault(word, []).append(symbol.name)
        total = max(len(self._texts), 1)
        self._idf = {word: math.log(total / len(names)) for word, names in postings.items()}
        self._postings = postings
        self._norm = {name: math.sqrt(sum(self._idf[w] ** 2 for w in words)) or 1.0
                      for name, words in self._tokens.items()}

    def similar(self, symbol: KconfigSymbol, limit: int = MAX_SUCCESSORS,
                exclude: Iterable[str] = ()) -> list[tuple[str, float]]:
        """Up to ``limit`` (name, similarity) pairs, best first; similarity in [0, 1]."""
        text = _describe(symbol)
        words = _tokens(symbol, text) & self._idf.keys()
        if not text or not words:
            return []
        norm = math.sqrt(sum(self._idf[w] ** 2 for w in words)) or 1.0
        scores: dict[str, float] = {}
        for word in words:
            weight = self._idf[word] ** 2
            for name in self._postings[word]:
                scores[name] = scores.get(name, 0.0) + weight
        skip = {symbol.name, *exclude}
        cosine = sorted(((score / (norm * self._norm[name]), name)
                         for name, score in scores.items() if name not in skip),
                        reverse=True)[: self._SHORTLIST]
        ranked = []
        for similarity, name in cosine:
            matcher = difflib.SequenceMatcher(None, text, self._texts[name], autojunk=False)
            combined = (similarity + matcher.ratio()) / 2
            if combined >= MIN_HELP_SIMILARITY:
                ranked.append((name, combined))
        ranked.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranked[:limit]


# -- the report ---------------------------------------------------------------------------

def _label(db: SymbolDB, other: SymbolDB) -> str:
    if db.zephyr_version == other.zephyr_version:
        return f"Zephyr {db.zephyr_version} ({db.fingerprint[:8]})"
    return f"Zephyr {db.zephyr_version}"


def _successors(name: str, old_db: SymbolDB, new_db: SymbolDB, recorded: Iterable[str],
                index: HelpIndex) -> tuple[Successor, ...]:
    def make(candidate: str, why: str, score: float) -> Successor:
        return Successor(candidate, why, score, exists=candidate in new_db,
                         new=candidate not in old_db)

    found = [make(candidate, "recorded", 1.0) for candidate in dict.fromkeys(recorded)]
    taken = {s.name for s in found}
    close = [(difflib.SequenceMatcher(None, name, candidate).ratio(), candidate)
             for candidate in new_db.close_names(name, limit=MAX_SUCCESSORS + len(taken))
             if candidate not in taken]
    for ratio, candidate in sorted(close, key=lambda pair: (-pair[0], pair[1]))[:MAX_SUCCESSORS]:
        found.append(make(candidate, "close name", ratio))
        taken.add(candidate)
    old_symbol = old_db.get(name)
    if old_symbol is not None:
        for candidate, score in index.similar(old_symbol, exclude=taken):
            found.append(make(candidate, "similar help", score))
    return tuple(found)


def drift_report(old_db: SymbolDB, new_db: SymbolDB, symbols: Iterable[str], *,
                 renames: Mapping[str, Iterable[str]] | None = None,
                 usages: Mapping[str, Iterable[Usage]] | None = None) -> DriftReport:
    """How each of ``symbols`` changed from ``old_db``'s tree to ``new_db``'s.

    ``renames`` (old symbol -> replacements, e.g. :meth:`ThreatModel.recorded_renames`) and
    ``usages`` (e.g. :func:`model_symbols`) only annotate the result. Symbols come
    back sorted by name; the result is deterministic.
    """
    renames = renames or {}
    usages = usages or {}
    old_label, new_label = _label(old_db, new_db), _label(new_db, old_db)
    index: HelpIndex | None = None
    entries = []
    for name in sorted({strip_config_prefix(s) for s in symbols}):
        old_facts = symbol_facts(old_db.get(name))
        new_facts = symbol_facts(new_db.get(name))
        changes = tuple(fact_changes(name, old_facts, new_facts, old_label, new_label))
        successors: tuple[Successor, ...] = ()
        if old_facts is None and new_facts is None:
            status = "undefined"
        elif new_facts is None:
            status = "removed"
            index = index or HelpIndex(new_db)
            successors = _successors(name, old_db, new_db, renames.get(name, ()), index)
        elif old_facts is None:
            status = "added"
        else:
            status = "changed" if changes else "unchanged"
        uses = tuple(usages.get(name, ()))
        since = max((u.since for u in uses if u.since), key=release_key, default=None)
        later = since is not None and release_key(new_db.zephyr_version) < release_key(since)
        entries.append(SymbolDrift(name, status, changes, successors, uses, since, later))
    return DriftReport(old_db.zephyr_version, new_db.zephyr_version, old_db.fingerprint,
                       new_db.fingerprint, tuple(entries))


def model_drift(model: ThreatModel, old_db: SymbolDB, new_db: SymbolDB,
                extra: Iterable[str] = (), *, cache_dir: Path | None = None,
                use_cache: bool = False) -> DriftReport:
    """:func:`drift_report` for every symbol of ``model`` (and ``extra`` ones).

    With ``use_cache`` the report is read from (or written to) the cache folder,
    keyed by both trees' fingerprints and versions, the symbols with their usages
    and recorded renames, and this code: the close-name and help searches for
    removed symbols take seconds and change only when one of those does.
    """
    usages = model_symbols(model)
    renames = model.recorded_renames()
    names = sorted({*usages, *(strip_config_prefix(name) for name in extra)})
    key = {"old": [old_db.fingerprint, old_db.zephyr_version],
           "new": [new_db.fingerprint, new_db.zephyr_version],
           "symbols": names,
           "usages": {name: [[u.item_id, u.role, u.since] for u in uses]
                      for name, uses in usages.items()},
           "renames": {name: list(targets) for name, targets in sorted(renames.items())},
           "code": source_digest((sys.modules[__name__], facts))}
    return cached("drift", key,
                  lambda: drift_report(old_db, new_db, names, renames=renames, usages=usages),
                  encode=encode_drift, decode=decode_drift, cache_dir=cache_dir,
                  use_cache=use_cache)


def encode_drift(report: DriftReport) -> dict[str, Any]:
    """``report`` as plain JSON data, losslessly (:func:`decode_drift` reads it back)."""
    return {"versions": [report.old_version, report.new_version],
            "fingerprints": [report.old_fingerprint, report.new_fingerprint],
            "symbols": [[entry.name, entry.status,
                         [[c.code, c.subject, c.message, list(c.diff)] for c in entry.changes],
                         [[s.name, s.why, s.score, s.exists, s.new] for s in entry.successors],
                         [[u.item_id, u.role, u.since] for u in entry.usages],
                         entry.since, entry.later_release]
                        for entry in report.symbols]}


def decode_drift(raw: dict[str, Any]) -> DriftReport:
    """The report :func:`encode_drift` wrote.

    Raises:
        KeyError, TypeError, ValueError: ``raw`` is not such a report.
    """
    old_version, new_version = raw["versions"]
    old_fingerprint, new_fingerprint = raw["fingerprints"]
    symbols = []
    for name, status, changes, successors, usages, since, later in raw["symbols"]:
        if status not in STATUSES:
            raise ValueError(f"unknown drift status {status!r}")
        symbols.append(SymbolDrift(
            str(name), status,
            tuple(Change(code, subject, message, tuple(diff))
                  for code, subject, message, diff in changes),
            tuple(Successor(s_name, why, float(score), bool(exists), bool(new))
                  for s_name, why, score, exists, new in successors),
            tuple(Usage(item_id, role, use_since) for item_id, role, use_since in usages),
            since, bool(later)))
    return DriftReport(str(old_version), str(new_version), str(old_fingerprint),
                       str(new_fingerprint), tuple(symbols))
