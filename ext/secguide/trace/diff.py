"""What a change to the threat model changes: ``secguide diff BASE [HEAD]``.

Both sides are loaded as :class:`~secguide.trace.project.Project` objects against
one Zephyr tree, so every consequence is computed by the same code the other
commands use and only compared here:

- items: added, removed, changed, with the changed fields (:mod:`.item_diff`);
- trace: threats that gain or lose mitigations, recommendations that gain or lose
  verifications, clauses whose mapping or ``met_by`` level changes;
- review: stamps the change makes suspect (with the review module's own itemised
  reasons, the base side's document standing in as the reviewed one), items that
  need a Working Group sign-off, stamps added or changed and who committed them;
- checks: findings of ``secguide check`` that the change adds or fixes;
- builds and upstream (:mod:`.diff_builds`), when asked for.
"""

from __future__ import annotations

import enum
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secguide.diagnostics import Diagnostic, Severity
from secguide.model.hardening_db import HardeningDB
from secguide.model.items import ReviewStamp, ThreatModel
from secguide.trace.diff_builds import (
    BuildDiff,
    ReferenceBuild,
    UpstreamChange,
    build_changes,
    upstream_changes,
)
from secguide.trace.item_diff import Change, FieldChange, field_changes, verification_text
from secguide.trace.project import Project
from secguide.trace.review import (
    ReviewStatus,
    compare_documents,
    item_fields,
    item_title,
    review_document,
)
from secguide.trace.revisions import open_side


class FailOn(enum.StrEnum):
    """Consequences ``--fail-on`` can turn into exit code 1."""

    #: a stamp that matched on the base side no longer does
    SUSPECT = "suspect"
    #: ``check`` has an error or warning the base side did not have
    FINDING = "finding"
    #: a reference build fails a rule it did not fail before
    VERDICT = "verdict"


_KIND_NAMES = {"OutOfScope": "out-of-scope"}


def kind_of(item: Any) -> str:
    name = type(item).__name__
    return _KIND_NAMES.get(name, name.lower())


@dataclass(frozen=True, slots=True)
class ItemDiff:
    id: str
    kind: str
    title: str
    change: Change
    location: str
    fields: tuple[FieldChange, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "title": self.title,
                "change": self.change.value, "location": self.location,
                "fields": [f.as_dict() for f in self.fields]}


@dataclass(frozen=True, slots=True)
class LinkChange:
    """A threat's mitigations, a recommendation's verifications or a clause's mapping."""

    id: str
    title: str
    gained: tuple[str, ...] = ()
    lost: tuple[str, ...] = ()
    #: a clause's level: "configuration -> product" ("" when unchanged)
    level: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "gained": list(self.gained),
                "lost": list(self.lost), "level": self.level}


@dataclass(frozen=True, slots=True)
class SuspectStamp:
    id: str
    title: str
    by: str
    date: str
    reasons: tuple[str, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "by": self.by, "date": self.date,
                "reasons": list(self.reasons)}


@dataclass(frozen=True, slots=True)
class SignOff:
    """An item the Working Group must (re)review before it counts as reviewed."""

    id: str
    title: str
    why: str

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "why": self.why}


@dataclass(frozen=True, slots=True)
class StampChange:
    """A stamp the change adds, replaces or removes, and who committed it."""

    id: str
    title: str
    change: Change
    by: str
    date: str
    matches: bool  # the new stamp matches the item as it is on the head side
    #: who committed the stamp's lines, from git ("" when unknown or removed)
    committed_by: str = ""
    #: whether that makes it the Working Group's (authorised / unauthorised / not-verified)
    origin: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "change": self.change.value,
                "by": self.by, "date": self.date, "matches": self.matches,
                "committed_by": self.committed_by, "origin": self.origin}


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelDiff:
    base: str
    head: str
    zephyr_version: str
    profile: str
    items: tuple[ItemDiff, ...] = ()
    threats: tuple[LinkChange, ...] = ()
    verifications: tuple[LinkChange, ...] = ()
    clauses: tuple[LinkChange, ...] = ()
    suspect: tuple[SuspectStamp, ...] = ()
    sign_off: tuple[SignOff, ...] = ()
    stamps: tuple[StampChange, ...] = ()
    findings_added: tuple[Diagnostic, ...] = ()
    findings_fixed: tuple[Diagnostic, ...] = ()
    #: None: no --builds given
    builds: tuple[BuildDiff, ...] | None = None
    builds_from: str = ""
    #: None: no hardening database to compare with
    upstream: tuple[UpstreamChange, ...] | None = None
    upstream_from: str = ""
    notes: tuple[str, ...] = field(default=())

    @property
    def changed_builds(self) -> tuple[BuildDiff, ...]:
        return tuple(b for b in self.builds or () if b.changes or b.refused)

    @property
    def changed(self) -> bool:
        """Whether anything differs: an item, a finding, a verdict or upstream standing."""
        return bool(self.items or self.findings_added or self.findings_fixed
                    or self.changed_builds or self.upstream or self.stamps)

    def failing(self, kinds: Iterable[FailOn]) -> list[FailOn]:
        """Those of ``kinds`` this change triggers."""
        hits = {FailOn.SUSPECT: bool(self.suspect),
                FailOn.FINDING: any(d.severity is not Severity.NOTE
                                    for d in self.findings_added),
                FailOn.VERDICT: any(b.newly_failing for b in self.builds or ())}
        return [kind for kind in kinds if hits[kind]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "base": self.base, "head": self.head, "zephyr_version": self.zephyr_version,
            "profile": self.profile, "changed": self.changed,
            "items": [i.as_dict() for i in self.items],
            "trace": {"threats": [c.as_dict() for c in self.threats],
                      "verifications": [c.as_dict() for c in self.verifications],
                      "clauses": [c.as_dict() for c in self.clauses]},
            "review": {"suspect": [s.as_dict() for s in self.suspect],
                       "sign_off": [s.as_dict() for s in self.sign_off],
                       "stamps": [s.as_dict() for s in self.stamps]},
            "checks": {"added": [d.as_dict() for d in self.findings_added],
                       "fixed": [d.as_dict() for d in self.findings_fixed]},
            "builds": None if self.builds is None else {
                "from": self.builds_from, "profile": self.profile,
                "builds": [b.as_dict() for b in self.builds]},
            "upstream": None if self.upstream is None else {
                "from": self.upstream_from, "changes": [u.as_dict() for u in self.upstream]},
            "notes": list(self.notes),
        }


# -- items ------------------------------------------------------------------------------------

def _items(model: ThreatModel) -> dict[str, Any]:
    return {item.id: item for item in model.items()}


def item_diffs(base: ThreatModel, head: ThreatModel) -> tuple[ItemDiff, ...]:
    """Changed and added items in the head's order, then removed ones in the base's."""
    old, new = _items(base), _items(head)
    found = []
    for item_id, item in new.items():
        title = " ".join(item_title(item).split()) if hasattr(item, "title") else item_id
        if item_id not in old:
            found.append(ItemDiff(item_id, kind_of(item), title, Change.ADDED, str(item.loc)))
            continue
        changes = field_changes(item_fields(old[item_id]), item_fields(item))
        if changes:
            found.append(ItemDiff(item_id, kind_of(item), title, Change.CHANGED, str(item.loc),
                                  tuple(changes)))
    for item_id, item in old.items():
        if item_id not in new:
            title = " ".join(item_title(item).split()) if hasattr(item, "title") else item_id
            found.append(ItemDiff(item_id, kind_of(item), title, Change.REMOVED,
                                  str(item.loc)))
    return tuple(found)


# -- trace ------------------------------------------------------------------------------------

def _answers(model: ThreatModel) -> set[str]:
    """IDs a threat can count as mitigations: live recommendations and responsibilities."""
    live = {rec.id for rec in model.recommendations
            if rec.deprecation is None and rec.status != "deprecated"}
    return live | {resp.id for resp in model.responsibilities}


def _link_changes(old: Mapping[str, tuple[str, set[str]]],
                  new: Mapping[str, tuple[str, set[str]]],
                  levels: Mapping[str, tuple[str, str]] | None = None) -> tuple[LinkChange, ...]:
    found = []
    for item_id in [*new, *(key for key in old if key not in new)]:
        title = new.get(item_id, old.get(item_id, ("", set())))[0]
        before = old.get(item_id, ("", set()))[1]
        after = new.get(item_id, ("", set()))[1]
        level = ""
        if levels and item_id in levels and levels[item_id][0] != levels[item_id][1]:
            level = f"{levels[item_id][0] or '(none)'} -> {levels[item_id][1] or '(none)'}"
        if before != after or level:
            found.append(LinkChange(item_id, title, tuple(sorted(after - before)),
                                    tuple(sorted(before - after)), level))
    return tuple(found)


def _mitigations(model: ThreatModel) -> dict[str, tuple[str, set[str]]]:
    answers = _answers(model)
    return {threat.id: (_title(threat), {m for m in threat.mitigated_by if m in answers})
            for threat in model.threats}


def _title(item: Any) -> str:
    return " ".join(str(getattr(item, "title", "")).split())


def _verifications(model: ThreatModel) -> dict[str, tuple[str, set[str]]]:
    return {rec.id: (_title(rec), {verification_text(item_fields(v)) for v in rec.verifications})
            for rec in model.recommendations}


def _clause_mapping(model: ThreatModel) -> dict[str, tuple[str, set[str]]]:
    known = {item.id for item in model.items()}
    return {clause.id: (_title(clause), {i for i in clause.mapped if i in known})
            for clause in model.clauses()}


def _clause_levels(base: ThreatModel, head: ThreatModel) -> dict[str, tuple[str, str]]:
    old = {clause.id: clause.met_by for clause in base.clauses()}
    new = {clause.id: clause.met_by for clause in head.clauses()}
    return {key: (old.get(key, ""), new.get(key, "")) for key in old.keys() | new.keys()}


# -- review -----------------------------------------------------------------------------------

def _stamp_key(stamp: ReviewStamp | None) -> tuple[str, ...] | None:
    """What a stamp says, without where it is written."""
    return None if stamp is None else (stamp.by, stamp.date, stamp.fingerprint, stamp.note)


def _review_consequences(base: Project, head: Project) -> tuple[
        tuple[SuspectStamp, ...], tuple[SignOff, ...], tuple[StampChange, ...]]:
    old_items = {item.id: item for item in base.model.reviewable()}
    label = f"the head side ({head.db.zephyr_version})"
    suspect, sign_off, stamps = [], [], []
    for item in head.model.reviewable():
        state = head.reviews[item.id]
        before = base.reviews.get(item.id)
        old = old_items.get(item.id)
        if before is not None and old is not None and before.status is ReviewStatus.REVIEWED \
                and state.status is ReviewStatus.SUSPECT \
                and _stamp_key(item.review) == _stamp_key(old.review):
            assert old.review is not None
            reasons = compare_documents(item.id, review_document(old, base.db, base.model),
                                        review_document(item, head.db, head.model), label)
            suspect.append(SuspectStamp(item.id, state.title, old.review.by, old.review.date,
                                        tuple(change.message for change in reasons)))
        if state.status is not ReviewStatus.REVIEWED and (
                before is None or before.fingerprint != state.fingerprint):
            why = "new item" if before is None else (
                "its stamp no longer matches" if state.status is ReviewStatus.SUSPECT
                else "changed, never reviewed")
            sign_off.append(SignOff(item.id, state.title, why))
        if item.review is not None and (old is None
                                        or _stamp_key(old.review) != _stamp_key(item.review)):
            change = Change.ADDED if old is None or old.review is None else Change.CHANGED
            author = head.stamp_authors.get(item.id)
            stamps.append(StampChange(item.id, state.title, change, item.review.by,
                                      item.review.date, state.status is ReviewStatus.REVIEWED,
                                      author.committed_by if author else "",
                                      author.origin.value if author else ""))
    new_items = {item.id: item for item in head.model.reviewable()}
    for item_id, old in old_items.items():
        if old.review is not None and (item_id not in new_items
                                       or new_items[item_id].review is None):
            stamps.append(StampChange(item_id, _title(old), Change.REMOVED, old.review.by,
                                      old.review.date, False))
    return tuple(suspect), tuple(sign_off), tuple(stamps)


# -- checks -----------------------------------------------------------------------------------

_LINE_REF = re.compile(r"(\.ya?ml):\d+(?::\d+)?")


def _finding_key(diagnostic: Diagnostic) -> tuple[str, str, str, str]:
    """A finding without line numbers, which shift whenever lines are added above it."""
    return (diagnostic.severity.value, str(diagnostic.code), diagnostic.loc.path,
            _LINE_REF.sub(r"\1", diagnostic.message))


def finding_changes(base: Sequence[Diagnostic], head: Sequence[Diagnostic]
                    ) -> tuple[tuple[Diagnostic, ...], tuple[Diagnostic, ...]]:
    """(findings only the head has, findings only the base has), each in file order."""
    old = {_finding_key(d) for d in base}
    new = {_finding_key(d) for d in head}
    return (tuple(d for d in head if _finding_key(d) not in old),
            tuple(d for d in base if _finding_key(d) not in new))


# -- all of it --------------------------------------------------------------------------------

def diff_projects(base: Project, head: Project, *, base_label: str, head_label: str,
                  profile: str = "strict",
                  builds: Sequence[ReferenceBuild] | None = None, builds_from: str = "",
                  hardening: HardeningDB | None = None, hardening_from: str = "",
                  notes: Sequence[str] = ()) -> ModelDiff:
    """Every difference from ``base`` to ``head`` and its consequences.

    ``builds``: reference builds whose verdicts under ``profile`` are compared (None:
    skipped). ``hardening``: Zephyr's database to compare both sides with (None:
    skipped).
    """
    old, new = base.model, head.model
    added, fixed = finding_changes(base.diagnostics, head.diagnostics)
    suspect, sign_off, stamps = _review_consequences(base, head)
    build_diffs = None
    if builds is not None:
        build_diffs = build_changes(builds, old, new, head.db, head.tree.root, profile)
    upstream = None
    if hardening is not None:
        upstream = upstream_changes(hardening, old, new, head.db)
    return ModelDiff(
        base=base_label, head=head_label, zephyr_version=head.db.zephyr_version,
        profile=profile, items=item_diffs(old, new),
        threats=_link_changes(_mitigations(old), _mitigations(new)),
        verifications=_link_changes(_verifications(old), _verifications(new)),
        clauses=_link_changes(_clause_mapping(old), _clause_mapping(new),
                              _clause_levels(old, new)),
        suspect=suspect, sign_off=sign_off, stamps=stamps,
        findings_added=added, findings_fixed=fixed,
        builds=build_diffs, builds_from=builds_from,
        upstream=upstream, upstream_from=hardening_from, notes=tuple(notes))



def diff_against_revision(project: Project, revision: str, *,
                          hardening: HardeningDB | None = None, hardening_from: str = "",
                          head_label: str = "this build") -> ModelDiff:
    """The model of ``project`` against the same folder at git ``revision`` (the guide's
    Changes page); the revision is extracted into a temporary folder, never checked out.

    Raises:
        SecguideError: no repository, unknown revision, or no model in it (exit code 2).
    """
    with tempfile.TemporaryDirectory(prefix="secguide-diff-") as scratch:
        base = open_side(revision, project.threatmodel_dir, Path(scratch))
        base_project = project.sibling(base.threatmodel_dir, display_base=base.project_root,
                                       stamp_history=base.stamp_history())
        label = f"{revision} ({base.commit[:12]})" if base.commit else revision
        return diff_projects(base_project, project, base_label=label, head_label=head_label,
                             profile="strict", hardening=hardening,
                             hardening_from=hardening_from)
