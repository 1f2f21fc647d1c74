"""The threat model as plain, frozen data: what ``threatmodel/*.yaml`` says.

Every item keeps the :class:`~secguide.diagnostics.SourceLoc` of its ``id`` (or
first key) so that every later message, warning and export can point at the
YAML line it came from. Nothing here knows about YAML, Kconfig or Sphinx.

The recommendation fields are chosen to map one-to-one onto the rule files of
Zephyr's proposed ``hardening.yaml`` (symbol, ``value`` or ``min``/``max``,
``rationale``, CWE ``references``, ``profiles``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from secguide.diagnostics import SourceLoc

if TYPE_CHECKING:  # a product's side of a combined model (secguide.model.product_model)
    from secguide.model.product_items import ProductInfo

STATUSES = ("draft", "review", "approved", "deprecated")
AREAS = (
    "memory-protection",
    "stack-protection",
    "x86",
    "randomness",
    "debug-exposure",
    "tls-crypto",
    "bluetooth",
    "networking",
    "device-management",
    "secure-boot",
    "heap-libc",
    "control-flow",
    "debug-ports",
    "general",
)
BUILD_KINDS = ("production", "debug")

#: What a piece of evidence can prove, weakest claim first. Only the last three
#: say anything about a product; a guide check verifies the guide.
VERIFICATION_KINDS = ("guide-check", "build-audit", "target-test", "manual-check")

VERIFICATION_KIND_TITLES: dict[str, str] = {
    "guide-check": "Guide checks", "build-audit": "Build audits",
    "target-test": "Target tests", "manual-check": "Manual checks",
}

#: One sentence per kind: what a passing verification of that kind proves, and no more.
PROVES: dict[str, str] = {
    "guide-check": "The guide is valid for this Zephyr tree (the symbol exists and accepts "
                   "the value); it says nothing about any product.",
    "build-audit": "A named build's .config sets the recommended values; it says nothing "
                   "about run-time behaviour.",
    "target-test": "A Zephyr test scenario passed on the named platform.",
    "manual-check": "A named person performed the check on the given date.",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    """A named set of recommendations, as in Zephyr's ``hardening.yaml``.

    A profile holds the recommendations tagged with its own name and those of
    every profile it ``extends`` (``strict`` extends ``base``, so a build checked
    against ``strict`` is also checked against every ``base`` recommendation).
    """

    name: str
    description: str
    extends: str | None = None
    loc: SourceLoc


def find_profile(profiles: Sequence[Profile], name: str) -> Profile | None:
    return next((p for p in profiles if p.name == name), None)


def profile_lineage(profiles: Sequence[Profile], name: str) -> tuple[str, ...]:
    """``name`` and every profile it extends, nearest first (a cycle stops the walk).

    Shared by the threat model's profile set and an upstream ``hardening.yaml``'s.
    """
    lineage: list[str] = []
    current = find_profile(profiles, name)
    while current is not None and current.name not in lineage:
        lineage.append(current.name)
        current = find_profile(profiles, current.extends) if current.extends else None
    return tuple(lineage)


#: The profile set when no file of the model declares one: upstream's own.
DEFAULT_PROFILES = (
    Profile(name="base", description="Recommendations every product should follow.",
            loc=SourceLoc("<built-in>")),
    Profile(name="strict", description="Base plus settings that cost features or resources.",
            extends="base", loc=SourceLoc("<built-in>")),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Setting:
    """One Kconfig assignment a recommendation asks for.

    Exactly one of ``value`` (``y``/``n``/``m``, a number, or a string) or a
    ``minimum``/``maximum`` bound is given; bounds apply to int and hex symbols.
    ``symbol`` is stored without the ``CONFIG_`` prefix. ``since`` names the
    Zephyr release that introduces the symbol, for settings the guide keeps
    ahead of the tree it is checked against (see :func:`introduced_later`).
    """

    symbol: str
    value: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    note: str = ""
    since: str | None = None
    #: other symbols that satisfy the setting too with the same ``value`` (without
    #: ``CONFIG_``): "one of these" members of a choice, or the stronger members
    #: ("at least this one"). Empty: only ``symbol`` does.
    alternatives: tuple[str, ...] = ()
    loc: SourceLoc

    @property
    def config_name(self) -> str:
        return f"CONFIG_{self.symbol}"

    @property
    def options(self) -> tuple[str, ...]:
        """``symbol`` and its alternatives: any of them with ``value`` meets the setting."""
        return (self.symbol, *self.alternatives)

    @property
    def requirement_text(self) -> str:
        """``CONFIG_X=y`` or ``CONFIG_X >= 64`` as a reader would write it; with
        alternatives ``CONFIG_X=y (or CONFIG_Y=y)``."""
        if self.value is not None:
            text = f"{self.config_name}={self.value}"
            if self.alternatives:
                text += " (or " + " or ".join(f"CONFIG_{name}={self.value}"
                                               for name in self.alternatives) + ")"
            return text
        bounds = []
        if self.minimum is not None:
            bounds.append(f">= {self.minimum}")
        if self.maximum is not None:
            bounds.append(f"<= {self.maximum}")
        return f"{self.config_name} {' and '.join(bounds)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Verification:
    """How a recommendation is shown to hold; ``kind`` is one of :data:`VERIFICATION_KINDS`.

    * ``target-test`` (YAML ``zephyr_test:``): ``ref`` is a twister scenario of
      the tree, e.g. ``kernel.memory_protection.stackprot``; it passes per platform.
    * ``guide-check`` (YAML ``pytest:``): ``ref`` is a test node ID of this
      project; such tests read the tree, never a product.
    * ``build-audit`` (YAML ``build_audit:``): ``ref`` is the build kind
      (``production`` or ``debug``) whose ``.config`` ``secguide audit`` checks
      against the recommendation's settings.
    * ``manual-check`` (YAML ``manual:`` with ``id:``): ``ref`` is the procedure a
      person follows; ``id`` is the short stable ID the YAML gives it.

    ``id`` is the verification's need ID when the YAML (or the loader) fixes it;
    empty, :func:`secguide.trace.needs.verification_id` derives it from ``ref``.

    ``setting`` (a symbol without ``CONFIG_``) narrows what it verifies to that
    one setting of its recommendation; empty, it verifies the whole recommendation.
    ``setting_loc`` is where the YAML names it.
    """

    kind: str
    ref: str
    id: str = ""
    note: str = ""
    setting: str = ""
    setting_loc: SourceLoc | None = None
    loc: SourceLoc

    @property
    def proves(self) -> str:
        return PROVES[self.kind]


@dataclass(frozen=True, slots=True, kw_only=True)
class Deprecation:
    """Why a recommendation no longer applies, and what took its place."""

    removed_in: str
    replaced_by: tuple[str, ...] = ()
    note: str = ""
    loc: SourceLoc
    #: where each entry of ``replaced_by`` is written (same order)
    replaced_by_locs: tuple[SourceLoc, ...] = ()

    def entry_loc(self, index: int) -> SourceLoc:
        return self.replaced_by_locs[index] if index < len(self.replaced_by_locs) else self.loc


@dataclass(frozen=True, slots=True, kw_only=True)
class Applicability:
    """Where a recommendation applies.

    ``when`` is a Kconfig expression over symbols without ``CONFIG_`` (``BT_SMP``,
    ``NETWORKING && NET_TCP``): the subsystem the recommendation hardens. A build
    where it is false does not have that subsystem, so the recommendation does not
    apply there; empty, it applies to every build. ``when_loc`` is where it is written.
    """

    architectures: tuple[str, ...] = ()  # empty: every architecture
    hardware: tuple[str, ...] = ()  # features the recommendation needs
    builds: tuple[str, ...] = BUILD_KINDS
    when: str = ""
    when_loc: SourceLoc | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class AcceptedConflict:
    """A profile conflict a recommendation loses on purpose (``accepted_conflicts``):
    the setting of recommendation ``with_id`` wins, and ``reason`` says why that is kept."""

    with_id: str
    reason: str
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class Reviewer:
    """A member of the Working Group who may stamp reviews (``reviewers:`` in the model).

    A stamp counts as theirs when the commit that wrote it was authored or committed
    by one of ``emails``, or carries a ``Signed-off-by:`` trailer with one of them.
    """

    name: str
    emails: tuple[str, ...]
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class ReviewStamp:
    """A Working Group review: who, when, and the fingerprint of what they saw."""

    by: str
    date: str
    fingerprint: str
    note: str = ""  # the reviewer's decision note
    loc: SourceLoc
    #: the lines its values are written on, whose git history says who stamped
    lines: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Recommendation:
    id: str
    title: str
    area: str
    status: str
    rationale: str
    settings: tuple[Setting, ...] = ()
    verifications: tuple[Verification, ...] = ()
    applies_to: Applicability = field(default_factory=Applicability)
    profiles: tuple[str, ...] = ("base",)
    profiles_loc: SourceLoc | None = None  # where 'profiles' is written, if it is
    references: tuple[str, ...] = ()  # e.g. CWE-121
    tags: tuple[str, ...] = ()
    deprecation: Deprecation | None = None
    accepted_conflicts: tuple[AcceptedConflict, ...] = ()
    #: the Zephyr release whose tree its facts were last checked against ("" unknown)
    checked_against: str = ""
    review: ReviewStamp | None = None
    loc: SourceLoc


class AssetCategory(enum.StrEnum):
    """What kind of asset an item is, in the words of the EN 18031 series.

    EN 18031-1/-2/-3 build their requirements on *security assets* (security
    functions and security parameters such as keys and credentials), *network
    assets* (network functions and resources) and *privacy assets* (personal
    information and the functions handling it). What none of the three names, the
    device doing its job at all, is the resource availability IEC 62443-4-2 FR 7
    protects: ``function``.
    """

    SECURITY = "security"
    NETWORK = "network"
    PRIVACY = "privacy"
    FUNCTION = "function"

    @property
    def title(self) -> str:
        return {"security": "Security asset", "network": "Network asset",
                "privacy": "Privacy asset", "function": "Device function"}[self.value]


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    """Something a Zephyr product must protect; threats name the assets they endanger."""

    id: str
    title: str
    description: str
    category: AssetCategory
    review: ReviewStamp | None = None
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class Adversary:
    id: str
    title: str
    description: str
    addressed: bool
    reason: str = ""  # why an adversary is not addressed
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class OutOfScope:
    id: str
    title: str
    reason: str
    protection_from: str  # where the protection must come from instead
    review: ReviewStamp | None = None
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class Threat:
    id: str
    title: str
    description: str
    adversaries: tuple[str, ...] = ()
    mitigated_by: tuple[str, ...] = ()  # recommendation or responsibility IDs
    #: the assets (AST-) the threat endangers
    assets: tuple[str, ...] = ()
    review: ReviewStamp | None = None
    loc: SourceLoc
    #: where each entry of ``adversaries`` / ``mitigated_by`` / ``assets`` is written
    #: (same order)
    adversary_locs: tuple[SourceLoc, ...] = ()
    mitigated_by_locs: tuple[SourceLoc, ...] = ()
    asset_locs: tuple[SourceLoc, ...] = ()

    def entry_loc(self, field: str, index: int) -> SourceLoc:
        """The YAML place of entry ``index`` of list ``field``; the item's when unknown."""
        locs = {"adversaries": self.adversary_locs, "assets": self.asset_locs}.get(
            field, self.mitigated_by_locs)
        return locs[index] if index < len(locs) else self.loc


@dataclass(frozen=True, slots=True, kw_only=True)
class Responsibility:
    """Something the product developer must ensure because Zephyr does not."""

    id: str
    title: str
    description: str
    status: str = "review"
    review: ReviewStamp | None = None
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class Assumption:
    id: str
    text: str
    #: a short name for lists and cards; empty: the first sentence of ``text`` stands in
    title: str = ""
    review: ReviewStamp | None = None
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    boundary: str
    shared_responsibility: str
    assumptions: tuple[Assumption, ...] = ()
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class Waiver:
    """Why a symbol of Zephyr's ``hardened.csv`` has no recommendation."""

    symbol: str
    reason: str
    loc: SourceLoc


class MetBy(enum.StrEnum):
    """How a clause of a standard is met (``met_by``)."""

    #: recommendations of the guide set Kconfig options that address it
    CONFIGURATION = "configuration"
    #: no Zephyr setting can meet it: the named responsibilities go to the product team
    PRODUCT = "product"
    #: it concerns functions an operating system for end devices does not have
    NOT_APPLICABLE = "not-applicable"
    #: neither the guide nor a responsibility it names addresses it (a declared gap,
    #: the justification says why)
    NOT_ADDRESSED = "not-addressed"
    #: a heading of the standard that groups the clauses below it; it is not assessed
    #: itself and carries no verdict (IEC 62443 FRs, EN 303 645 provision groups)
    GROUP = "group"


MET_BY = tuple(m.value for m in MetBy)


@dataclass(frozen=True, slots=True, kw_only=True)
class Clause:
    """One clause, provision or requirement of a standard, and how the guide meets it.

    ``clause`` is the standard's own identifier (``5.1``, ``CR 3.4``, ``2(a)``);
    ``title`` is a short title in this project's words, never the standard's text.
    ``recommendations``, ``responsibilities`` and ``out_of_scope`` are the model
    items that address the clause.
    """

    id: str
    standard: str  # the Standard's id
    clause: str
    title: str
    met_by: MetBy
    justification: str
    #: how strongly the standard asks for it, where it grades its clauses: EN 303 645's
    #: M / R and conditions, IEC 62443-4-2's security levels ("SL-C 2-4")
    level: str = ""
    #: the ID of the group clause written above it in its file ("" if none)
    group: str = ""
    recommendations: tuple[str, ...] = ()
    responsibilities: tuple[str, ...] = ()
    out_of_scope: tuple[str, ...] = ()
    status: str = "draft"
    review: ReviewStamp | None = None
    loc: SourceLoc
    #: where ``met_by`` and each link list are written, for line-accurate findings
    field_locs: Mapping[str, SourceLoc] = field(default_factory=dict)

    @property
    def mapped(self) -> tuple[str, ...]:
        return (*self.recommendations, *self.responsibilities, *self.out_of_scope)

    @property
    def is_group(self) -> bool:
        return self.met_by is MetBy.GROUP


@dataclass(frozen=True, slots=True, kw_only=True)
class Standard:
    """A standard or regulation the guide is crosswalked to (``threatmodel/standards/``)."""

    id: str
    name: str
    edition: str
    summary: str
    #: every row of the file in its order: group headings and the clauses under them
    entries: tuple[Clause, ...] = ()
    #: what the file says about its own completeness or uncertain numbering
    note: str = ""
    loc: SourceLoc

    @property
    def clauses(self) -> tuple[Clause, ...]:
        """The clauses an assessor assesses (group headings left out), in file order."""
        return tuple(c for c in self.entries if not c.is_group)

    @property
    def groups(self) -> tuple[Clause, ...]:
        return tuple(c for c in self.entries if c.is_group)

    @property
    def key(self) -> str:
        """The short name ``secguide coverage --standard`` takes: the ID without ``STD-``."""
        return self.id.removeprefix("STD-")


Item = (Asset | Adversary | OutOfScope | Threat | Responsibility | Recommendation | Assumption
        | Clause)


@dataclass(frozen=True, slots=True, kw_only=True)
class TextPlace:
    """Where a text value is written: its start and the file lines that hold it.

    YAML folds and indents text, so a line of the value maps to a line of the
    file only by its content; ``lines`` lets a finding inside a long rationale
    name the line of the offending words (see :mod:`secguide.trace.prose`).
    """

    loc: SourceLoc
    lines: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatModel:
    """The whole model, merged over every YAML file of the threat-model folder."""

    scope: Scope | None = None
    assets: tuple[Asset, ...] = ()
    adversaries: tuple[Adversary, ...] = ()
    out_of_scope: tuple[OutOfScope, ...] = ()
    threats: tuple[Threat, ...] = ()
    responsibilities: tuple[Responsibility, ...] = ()
    recommendations: tuple[Recommendation, ...] = ()
    waivers: tuple[Waiver, ...] = ()
    #: Profiles declared by the model's files; empty means :data:`DEFAULT_PROFILES`.
    declared_profiles: tuple[Profile, ...] = ()
    standards: tuple[Standard, ...] = ()
    files: tuple[str, ...] = ()  # the YAML files read, as given to the loader
    #: IDs written in the files but left out of the model because of errors there;
    #: references to them are not reported again.
    invalid_ids: frozenset[str] = frozenset()
    #: Files that could not be read or parsed at all: what they define is unknown,
    #: so checks that need the whole model (dangling IDs, missing links) hold back.
    unreadable_files: tuple[str, ...] = ()
    #: (file, text) -> where that text value is written in that file, in file order
    text_places: Mapping[tuple[str, str], tuple[TextPlace, ...]] = field(default_factory=dict)
    #: who may stamp reviews; None when no file of the model declares ``reviewers``
    reviewers: tuple[Reviewer, ...] | None = None
    #: set when this is a product's model combined with the guide it extends
    product: ProductInfo | None = None
    #: who links to whom, built on first use: a model is not changed once loaded, and
    #: asking each of thousands of items "who lists you?" must not scan every list
    _listed_by: dict[str, dict[str, tuple[Any, ...]]] = field(
        default_factory=dict, init=False, repr=False, compare=False)

    def items(self) -> Iterator[Item]:
        """Every item that has an ID, in file order per kind."""
        if self.scope is not None:
            yield from self.scope.assumptions
        yield from self.assets
        yield from self.adversaries
        yield from self.out_of_scope
        yield from self.threats
        yield from self.responsibilities
        yield from self.recommendations
        yield from self.clauses()

    def reviewable(self) -> tuple[Assumption | Asset | OutOfScope | Threat | Responsibility
                                  | Recommendation | Clause, ...]:
        """The items that carry Working Group review stamps, in the guide's order: scope
        assumptions, assets, out-of-scope items, threats, then what answers them, then
        clauses."""
        assumptions = self.scope.assumptions if self.scope is not None else ()
        return (*assumptions, *self.assets, *self.out_of_scope, *self.threats,
                *self.responsibilities, *self.recommendations, *self.clauses())

    def clauses(self) -> Iterator[Clause]:
        """Every row of every standard, group headings included (they have IDs too)."""
        for standard in self.standards:
            yield from standard.entries

    def standard(self, name: str) -> Standard | None:
        """The standard called ``name``: its ID or key, in any letter case."""
        wanted = name.strip().upper()
        return next((s for s in self.standards if wanted in (s.id, s.key)), None)

    def by_id(self) -> dict[str, Item]:
        return {item.id: item for item in self.items()}

    def recommendation(self, item_id: str) -> Recommendation | None:
        return next((r for r in self.recommendations if r.id == item_id), None)

    def threats_mitigated_by(self, item_id: str) -> tuple[Threat, ...]:
        """The threats whose ``mitigated_by`` lists ``item_id``, in file order."""
        return self._listing("threats", item_id)

    def threats_against(self, asset_id: str) -> tuple[Threat, ...]:
        """The threats whose ``assets`` lists ``asset_id``, in file order."""
        return self._listing("endangering", asset_id)

    def clauses_listing(self, item_id: str) -> tuple[Clause, ...]:
        """The clauses (group headings too) whose recommendations, responsibilities or
        out-of-scope items list ``item_id``, in file order."""
        return self._listing("clauses", item_id)

    def _listing(self, kind: str, item_id: str) -> tuple[Any, ...]:
        if kind not in self._listed_by:
            found: dict[str, list[Any]] = {}
            listers: Iterable[tuple[Any, Iterable[str]]] = (
                ((t, t.mitigated_by) for t in self.threats) if kind == "threats" else
                ((t, t.assets) for t in self.threats) if kind == "endangering" else
                ((c, (*c.recommendations, *c.responsibilities, *c.out_of_scope))
                 for c in self.clauses()))
            for lister, listed in listers:
                for listed_id in dict.fromkeys(listed):  # each lister once per item
                    found.setdefault(listed_id, []).append(lister)
            self._listed_by[kind] = {key: tuple(value) for key, value in found.items()}
        return self._listed_by[kind].get(item_id, ())

    @property
    def profiles(self) -> tuple[Profile, ...]:
        """The profile set in force: the declared one, else upstream's ``base`` and ``strict``."""
        return self.declared_profiles or DEFAULT_PROFILES

    def profile(self, name: str) -> Profile | None:
        return find_profile(self.profiles, name)

    def profile_lineage(self, name: str) -> tuple[str, ...]:
        """``name`` and every profile it extends, nearest first (a cycle stops the walk)."""
        return profile_lineage(self.profiles, name)

    def in_profile(self, rec: Recommendation, name: str) -> bool:
        """True when checking profile ``name`` includes recommendation ``rec``.

        A product model's selections join the profile the product takes (and every
        profile extending it).
        """
        lineage = self.profile_lineage(name)
        if set(rec.profiles) & set(lineage):
            return True
        product = self.product
        return product is not None and product.profile in lineage and rec.id in product.selected

    def recorded_renames(self) -> dict[str, tuple[str, ...]]:
        """Old symbol -> its replacements, as deprecated recommendations record them.

        A ``replaced_by`` entry that names a recommendation stands for that
        recommendation's settings.
        """
        by_id = {rec.id: rec for rec in self.recommendations}
        renames: dict[str, list[str]] = {}
        for rec in self.recommendations:
            if rec.deprecation is None:
                continue
            targets: list[str] = []
            for entry in rec.deprecation.replaced_by:
                if entry.startswith("REC-"):
                    successor = by_id.get(entry)
                    targets += [s.symbol for s in successor.settings] if successor else []
                else:
                    targets.append(entry.removeprefix("CONFIG_"))
            for setting in rec.settings:
                known = renames.setdefault(setting.symbol, [])
                known += [t for t in targets if t not in known and t != setting.symbol]
        return {name: tuple(targets) for name, targets in sorted(renames.items()) if targets}
