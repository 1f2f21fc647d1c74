"""What a guide page shows, as digests: an edit re-reads only the pages whose digest changed.

A page records, while it is read, the *facets* of the model it shows (the cards of some
items, one selection of recommendations, the coverage report, a standard's crosswalk...)
with a digest of each. Before the next build reads anything, each recorded facet is
digested again from the new model: a page is read again when one differs. A YAML file
touched or given a comment changes no facet; a recommendation's text changes the
facets that show it, not those that show only its ID.

Digests are of the loaded data, not of the files: a card's digest includes its item's
source location (a line moved changes the ``file:line`` the page links and warns at),
an aggregate's leaves the locations out when it shows none.

Sphinx-free: every item is digested once per loaded project, here, and a facet once per
build; directives only name the facets they show.
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import json
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from functools import cached_property
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from secguide.trace.guide_pages import Selection
from secguide.trace.needs import LINK_TYPES, setting_id

# The guide's extension imports this module for its facet names; what digests are
# computed from is imported with the state (a build with nothing to do loads none).
if TYPE_CHECKING:
    from secguide.model.items import Recommendation
    from secguide.trace.coverage import CoverageReport
    from secguide.trace.project import Project

__all__ = ["Facet", "ShownDigests", "canonical", "digest"]

#: A facet: its kind and its arguments, all strings (kept in the Sphinx environment).
Facet = tuple[str, ...]

#: fields no page shows: where an aggregate's entries come from, the loader's findings
#: (emitted as warnings on every build), a review's fingerprint (only ``--accept`` uses it)
UNSHOWN_FIELDS = frozenset({"loc", "diagnostics", "fingerprint"})


#: per (type, fields skipped): the names of the compared fields a dataclass is digested
#: by, or None for a type that is no dataclass (a cache: asked a million times at scale)
_FIELDS: dict[tuple[type, frozenset[str]], tuple[str, ...] | None] = {}
_PLAIN = (str, int, float, bool, type(None))


def _field_names(kind: type, skip: frozenset[str]) -> tuple[str, ...] | None:
    key = (kind, skip)
    if key not in _FIELDS:
        _FIELDS[key] = (tuple(f.name for f in dataclasses.fields(kind)
                              if f.compare and f.name not in skip)
                        if dataclasses.is_dataclass(kind) else None)
    return _FIELDS[key]


def canonical(value: Any, skip: frozenset[str] = frozenset()) -> Any:
    """``value`` as plain JSON data, the same in every process (sets sorted, enums by value).

    A dataclass is its type's name and its fields' values in order; fields named in
    ``skip`` are left out (a page that shows no file:line keys on data without
    locations), and so are fields excluded from comparison (caches).
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    names = _field_names(kind, skip)
    if names is not None:
        return [kind.__name__, *[canonical(getattr(value, name), skip) for name in names]]
    if isinstance(value, enum.Enum):
        return canonical(value.value)
    if isinstance(value, str | int | float):  # subclasses of the plain types
        return value
    if isinstance(value, list | tuple):
        return [canonical(v, skip) for v in value]
    if isinstance(value, Mapping):
        return [["map"], *[[canonical(k, skip), canonical(v, skip)] for k, v in value.items()]]
    if isinstance(value, set | frozenset):
        return sorted((canonical(v, skip) for v in value), key=json.dumps)
    if isinstance(value, PurePath):
        return str(value)
    # an object of no known form: a digest equal to no other, so its page is read again
    return ["unknown", type(value).__name__, uuid.uuid4().hex]


def digest(value: Any, skip: frozenset[str] = frozenset()) -> str:
    text = json.dumps(canonical(value, skip), separators=(",", ":"), ensure_ascii=False)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


class ShownDigests:
    """The digests of what pages can show, for one loaded project (computed on first use).

    ``extras``: data the Sphinx side adds to the project (the hardening comparison, the
    model diff), digested as the facets of the same name.
    """

    def __init__(self, project: Project, extras: Mapping[str, Any] | None = None) -> None:
        self.project = project
        self.extras = dict(extras or {})
        self._facets: dict[Facet, str] = {}
        self._kinds: dict[str, Callable[..., Any]] = {
            "kind": self._kind,
            "scope": self._scope,
            "recommendations": self._recommendations,
            "settings": self._settings,
            "reviews": self._reviews,
            "coverage": self._coverage,
            "drift": self._drift,
            "standard": self._standard,
            "verifications": self._verifications,
            "flows": self._flows,
            "build_info": self._build_info,
            "extra": self._extra,
            "model": self._model,
        }

    # -- per item, once per load ----------------------------------------------------------

    @cached_property
    def cards(self) -> dict[str, str]:
        """Item ID -> digest of its card as read: the need's data (source location
        included) and the review line above it. Incoming links are filled when a page is
        written (see :attr:`incoming`), not read."""
        reviews = self.project.reviews
        return {item.id: digest([item, reviews.get(item.id)], frozenset({"fingerprint"}))
                for item in self.project.need_items}

    @cached_property
    def needs(self) -> str:
        """Every need's data as sphinx-needs holds it (need views: tables, diagrams)."""
        return digest([[item.id, self.cards[item.id]] for item in self.project.need_items])

    @cached_property
    def incoming(self) -> dict[str, list[list[str]]]:
        """Item ID -> [[link option, source ID], ...]: the links other needs make to it."""
        found: dict[str, list[list[str]]] = {}
        for item in self.project.need_items:
            for link in LINK_TYPES:
                for target in item.links.get(link.option, ()):
                    found.setdefault(target, []).append([link.option, item.id])
        return found

    def neighbours(self, item_id: str) -> list[str]:
        """The items a card of ``item_id`` links to, both ways."""
        item = self.project.need_by_id.get(item_id)
        outgoing = [t for targets in item.links.values() for t in targets] if item else []
        return [*outgoing, *(source for _, source in self.incoming.get(item_id, ()))]

    # -- facets ---------------------------------------------------------------------------

    def of(self, facet: Facet) -> str:
        """The digest of ``facet`` now (each facet computed once per project)."""
        found = self._facets.get(facet)
        if found is None:
            kind, *args = facet
            make = self._kinds.get(kind)
            # a facet this code does not know: equal to nothing, so its page is read again
            found = digest(make(*args)) if make is not None else uuid.uuid4().hex
            self._facets[facet] = found
        return found

    def _kind(self, need_type: str) -> Any:
        """Every need of one type (a page listing all threats, all verifications)."""
        return [[i.id, self.cards[i.id]] for i in self.project.need_items
                if i.type == need_type]

    def _scope(self) -> Any:
        return [self.project.model.scope, self._kind("assumption")]

    def _selected(self, options: str) -> list[Recommendation]:
        selection = Selection.from_options(json.loads(options))
        return [rec for rec in self.project.model.recommendations if selection.matches(rec)]

    def _recommendations(self, options: str) -> Any:
        """A recommendation view: each chosen recommendation (cards, settings' cards,
        accepted conflicts, prj.conf lines) and the profiles the prj.conf blocks follow."""
        model = self.project.model
        cards = self.cards
        return [model.profiles, model.declared_profiles, [
            [rec, cards.get(rec.id),
             [cards.get(setting_id(rec, setting)) for setting in rec.settings]]
            for rec in self._selected(options)]]

    def _settings(self, options: str) -> Any:
        """A settings table: IDs, statuses and the settings' values, not prose."""
        return [[rec.id, rec.status, [[s.symbol, s.requirement_text, s.since]
                                      for s in rec.settings]]
                for rec in self._selected(options)]

    def _reviews(self) -> Any:
        """The review table: titles, statuses, stamps and what changed (no locations)."""
        reviews = self.project.reviews
        return canonical([[item.id, getattr(item, "status", "-"), reviews.get(item.id)]
                          for item in self.project.model.reviewable()], UNSHOWN_FIELDS)

    def _coverage(self) -> Any:
        """Counts, gaps and hardened.csv rows: IDs and symbols, no locations."""
        report: CoverageReport = self.project.coverage
        return canonical(report, UNSHOWN_FIELDS)

    def _verifications(self) -> Any:
        """What the verification tables take from the recommendations: the values a
        build audit checks and the notes of verification entries (with their places)."""
        return [[rec.id, rec.verifications,
                 [[s.symbol, s.requirement_text, s.since] for s in rec.settings]
                 if any(v.kind == "build-audit" for v in rec.verifications) else []]
                for rec in self.project.model.recommendations]

    def _drift(self) -> Any:
        return self.project.drift

    def _standard(self, key: str) -> Any:
        """A standard's page: its text, its clauses' cards and each clause's chain."""
        model = self.project.model
        standard = model.standard(key)
        if standard is None:
            return [key, [s.key for s in model.standards]]
        from secguide.trace.standards import standard_coverage
        report = standard_coverage(model, standard)
        # each clause's chain shows IDs, settings and verifications, not the prose of the
        # recommendations behind them
        return [standard, report.counts(),
                [[row.clause.id, row.settings, row.verifications] for row in report.rows],
                [self.cards.get(clause.id) for clause in standard.entries]]

    def _flows(self) -> Any:
        """The diagrams' selections: per area, the IDs each diagram filters on (the
        needs' own data reaches the diagrams when the page is written)."""
        model = self.project.model
        known = self.project.need_by_id
        shown = []
        for rec in model.recommendations:
            ids = [rec.id, *[setting_id(rec, s) for s in rec.settings],
                   *[t.id for t in model.threats_mitigated_by(rec.id)]]
            shown.append([rec.area, rec.status, [[i, i in known] for i in ids]])
        return shown

    def _build_info(self) -> Any:
        """What the index page says the build was made from: the tree, the tests'
        outcomes (counted there), the baseline release."""
        project = self.project
        drift = project.drift
        return [project.db.zephyr_version, project.db.fingerprint,
                [[i.id, i.extra.get("result", "")] for i in project.need_items
                 if i.type == "test"],
                drift.old_version if drift is not None else None]

    def _extra(self, name: str) -> Any:
        return self.extras.get(name)

    def _model(self) -> Any:
        """Everything the project holds (the fallback of a view that names no facet)."""
        project = self.project
        return [project.model, [[i.id, self.cards[i.id]] for i in project.need_items],
                self._reviews(), self._coverage(), project.drift, self.extras]

    # -- what a page's links show when it is written ----------------------------------------

    def links_of(self, card_ids: Iterable[str]) -> list[list[Any]]:
        """The trace links of cards: for each, the needs linking to it."""
        return [[i, self.incoming.get(i, [])] for i in card_ids]


def options_arg(options: Mapping[str, Sequence[str]]) -> str:
    """A recommendation view's options as one facet argument."""
    return json.dumps({name: list(values) for name, values in sorted(options.items())},
                      separators=(",", ":"))
