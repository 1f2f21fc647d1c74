"""Auditing a real build: does this ``.config`` do what the guide (or upstream) recommends?

:func:`audit_config` takes one parsed ``.config``, the rules to check (from the
guide's recommendations, :func:`guide_rules`, or from Zephyr's hardening
database, :func:`upstream_rules`), the tree's symbol database and the product's
waivers, and returns a frozen :class:`BuildAudit`: one :class:`RuleResult` per
rule with a :class:`Verdict`, the expected and actual values, the ``.config``
line and the reason in words. Nothing here prints or writes files; the CLI and
the evidence exports render the result.

Verdicts:

- ``PASS`` / ``FAIL``: the build's value does / does not satisfy the rule;
- ``NOT-APPLICABLE``: the build cannot have the setting (architecture or
  hardware excluded by ``applies_to``, dependencies unmet, no prompt);
- ``WAIVED``: it fails, and an unexpired product waiver accepts that;
- ``UNKNOWN``: the tree does not define the symbol and the build does not
  set it, or the value cannot be compared with the rule.

The tree's facts are used where the build's release has the same symbol; a
build from another release that uses a former name (one the model records
as renamed) is judged by that name, and the result says so.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.hardening_db import HardeningDB
from secguide.model.items import ThreatModel
from secguide.model.product_waivers import ProductWaiver
from secguide.model.releases import parse_release
from secguide.trace.dependencies import BuildDependencies
from secguide.trace.hardware import lacking_hardware, unknown_hardware
from secguide.trace.scope import applies_when_text, scope_holds
from secguide.zephyr.dotconfig import ConfigValue, DotConfig
from secguide.zephyr.kconfig.symbols import KconfigSymbol, SymbolDB


class Verdict(enum.Enum):
    PASS = "PASS"
    FAIL = "FAIL"
    NOT_APPLICABLE = "NOT-APPLICABLE"
    WAIVED = "WAIVED"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditRule:
    """One thing to check: a symbol and its expected value or bounds, with where it came from.

    ``id`` is the recommendation ID (guide) or ``hardening:SYMBOL`` (upstream);
    ``loc`` is the YAML line of the setting or rule.
    """

    id: str
    origin: str  # "guide" or "upstream"
    symbol: str
    value: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    title: str
    rationale: str
    references: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()
    hardware: tuple[str, ...] = ()
    builds: tuple[str, ...] = ("production", "debug")
    when: str = ""  # the subsystem scope (applies_to.when), a Kconfig expression
    since: str | None = None  # the Zephyr release that introduced the symbol, if later
    #: other symbols that meet the rule with the same value (a setting's alternatives)
    alternatives: tuple[str, ...] = ()
    #: a product model's recommendation: "guide", "product" or "override"; else empty
    item_origin: str = ""
    loc: SourceLoc
    #: The rule's file as its database names it (relative to the database's root, as
    #: hardenconfig reports ``source``); empty: ``loc``'s path.
    source: str = ""

    @property
    def recommendation_id(self) -> str | None:
        return self.id if self.origin == "guide" else None

    @property
    def expected_text(self) -> str:
        if self.value is not None and self.alternatives:
            return self.value + " (or " + " or ".join(
                f"CONFIG_{name}={self.value}" for name in self.alternatives) + ")"
        if self.value is not None:
            return self.value
        bounds = [f">= {self.minimum}"] if self.minimum is not None else []
        bounds += [f"<= {self.maximum}"] if self.maximum is not None else []
        return " and ".join(bounds)

    @property
    def cwes(self) -> tuple[str, ...]:
        return tuple(r for r in self.references if r.upper().startswith("CWE-"))


@dataclass(frozen=True, slots=True, kw_only=True)
class RuleResult:
    """The verdict on one rule for one build.

    ``actual`` is the build's value (``None`` when the ``.config`` does not have
    the symbol); ``found_as`` the name it was found under (a former name for a
    build from an older release); ``config_loc`` its ``.config`` line.
    """

    rule: AuditRule
    verdict: Verdict
    reason: str
    actual: str | None = None
    found_as: str | None = None
    config_loc: SourceLoc | None = None
    waiver: ProductWaiver | None = None
    #: Whether the symbol's prompt is visible in this build (it has one and its dependencies
    #: hold), as hardenconfig reports it; ``None`` when the audit cannot tell.
    visible: bool | None = None
    #: UNKNOWN only because the symbol comes with a later release than the tree (structural:
    #: it says nothing about this build), kept apart from UNKNOWNs about the build itself.
    later_release: bool = False
    #: The value Kconfig gives a symbol the ``.config`` leaves out because its dependencies
    #: fail (``n`` for a boolean, empty otherwise), as kconfiglib reports it inside a build.
    value_when_absent: str | None = None
    #: options ``prj.conf`` must turn on first for the setting to hold (its failing
    #: dependencies); None when the dependencies cannot be met by such lines
    prerequisites: tuple[str, ...] | None = ()

    @property
    def plain_mismatch(self) -> bool:
        """A FAIL whose reason says no more than "expected X, the build has Y"."""
        return self.reason == f"expected {self.rule.expected_text}, the build has {self.actual}"

    @property
    def fix_lines(self) -> tuple[str, ...]:
        """The ``prj.conf`` lines that make a failing setting pass: its failing dependencies
        first, then the setting. Empty when no set of lines can be promised (the reason
        says what stands in the way)."""
        if self.verdict not in (Verdict.FAIL, Verdict.WAIVED) or self.prerequisites is None:
            return ()
        rule = self.rule
        name = self.found_as or rule.symbol
        wanted = rule.value if rule.value is not None else (
            rule.minimum if rule.minimum is not None else rule.maximum)
        if wanted is None:
            return ()
        return (*(f"CONFIG_{option}=y" for option in self.prerequisites),
                f"CONFIG_{name}={wanted}")

    @property
    def fix_line(self) -> str | None:
        """:attr:`fix_lines` on one line (``; ``-separated), or None without them."""
        return "; ".join(self.fix_lines) or None


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildAudit:
    """Every rule's result for one ``.config``, and what the audit knew about the build."""

    config_path: str
    profile: str
    rules_from: str
    build_kind: str
    tree_version: str
    build_version: str | None = None  # from the build folder's version.h, when there is one
    board: str | None = None
    board_target: str | None = None
    arch: str | None = None
    results: tuple[RuleResult, ...] = ()
    config_diagnostics: tuple[Diagnostic, ...] = ()
    notes: tuple[str, ...] = ()

    def count(self, verdict: Verdict) -> int:
        return sum(1 for r in self.results if r.verdict is verdict)

    @property
    def counts(self) -> dict[str, int]:
        return {v.value: self.count(v) for v in Verdict}

    @property
    def failed(self) -> bool:
        return self.count(Verdict.FAIL) > 0

    @property
    def input_errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.config_diagnostics if d.severity is Severity.ERROR)


# -- rules ------------------------------------------------------------------------------------

def guide_rules(model: ThreatModel, profile: str) -> tuple[AuditRule, ...]:
    """One rule per setting of every active recommendation in ``profile`` (and its parents)."""
    rules = []
    for rec in model.recommendations:
        if rec.deprecation is not None or rec.status == "deprecated":
            continue
        if not model.in_profile(rec, profile):
            continue
        for setting in rec.settings:
            rules.append(AuditRule(
                id=rec.id, origin="guide", symbol=setting.symbol, value=setting.value,
                minimum=setting.minimum, maximum=setting.maximum, title=rec.title,
                rationale=" ".join(rec.rationale.split()), references=rec.references,
                profiles=rec.profiles, architectures=rec.applies_to.architectures,
                hardware=rec.applies_to.hardware, builds=rec.applies_to.builds,
                when=rec.applies_to.when, since=setting.since,
                alternatives=setting.alternatives,
                item_origin=str(model.product.origin(rec.id)) if model.product else "",
                loc=setting.loc))
    return tuple(rules)


def upstream_rules(db: HardeningDB, profile: str) -> tuple[AuditRule, ...]:
    """The hardening database's rules for ``profile``, as audit rules."""
    return tuple(
        AuditRule(id=f"hardening:{rule.symbol}", origin="upstream", symbol=rule.symbol,
                  value=rule.value, minimum=rule.minimum, maximum=rule.maximum,
                  title=f"Zephyr hardening rule for CONFIG_{rule.symbol}",
                  rationale=" ".join(rule.rationale.split()), references=rule.references,
                  profiles=rule.profiles, loc=rule.loc,
                  source=_relative_source(rule.loc.path, db.root))
        for rule in db.rules_for(profile))


def _relative_source(path: str, root: str) -> str:
    try:
        return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


#: Symbols Zephyr selects from options that are experimental, deprecated or not secure;
#: ``hardenconfig`` reports enabled options selecting them (origin ``marker``).
MARKERS = ("NOT_SECURE", "EXPERIMENTAL", "DEPRECATED")


def prompt_visible(symbol: KconfigSymbol, dependencies: BuildDependencies,
                   in_config: bool) -> bool | None:
    """Whether ``prj.conf`` can set ``symbol`` in this build (hardenconfig's ``visible``): it
    has a prompt, and the ``.config`` has it (Kconfig writes a prompted option, ``is not set``
    included, only when its dependencies hold) or its dependencies hold by the tree; None
    when they cannot be evaluated."""
    if not symbol.user_settable:
        return False
    return True if in_config else dependencies.state(symbol).met


def _marker_selected(symbol: KconfigSymbol, dependencies: BuildDependencies
                     ) -> tuple[str | None, bool]:
    """The first marker ``symbol`` selects in this build (Kconfig order), and whether that is
    certain: a ``select ... if COND`` counts only where COND holds, and, as kconfiglib adds
    the symbol's own dependencies to every select, only where those hold too."""
    for entry in symbol.selects:
        if entry.value not in MARKERS:
            continue
        condition = f"({symbol.depends_on}) && ({entry.condition})" if entry.condition \
            else symbol.depends_on
        active = dependencies.holds(condition, symbol)
        if active is None:
            return entry.value, False
        if active != 0:
            return entry.value, True
    return None, True


def marker_results(config: DotConfig, db: SymbolDB, ruled: frozenset[str] = frozenset()
                   ) -> tuple[RuleResult, ...]:
    """Options of the build's Kconfig that select a marker symbol, as ``hardenconfig`` lists
    them: every option (not already ruled by the database) whose ``select`` of
    ``EXPERIMENTAL``, ``DEPRECATED`` or ``NOT_SECURE`` is active in this build, recommended
    ``n``: FAIL when enabled, PASS when off, NOT-APPLICABLE when its prompt is not visible.
    The tree's Kconfig says which options select a marker.
    """
    if config.is_sysbuild:
        return ()
    found = []
    dependencies = BuildDependencies(config, db)
    names = sorted({name for marker in MARKERS if (symbol := db.get(marker)) is not None
                    for name in symbol.selected_by} - ruled)
    for name in names:
        marked = db.get(name)
        if marked is None:
            continue
        marker, certain = _marker_selected(marked, dependencies)
        if marker is None:
            continue
        value = config.get(name)
        # Where the marked option is defined, as hardenconfig's ``source`` names it.
        site = marked.definitions[0] if marked.definitions else SourceLoc("")
        rule = AuditRule(id=f"marker:{marker}:{name}", origin="marker", symbol=name, value="n",
                         title=f"Options that select CONFIG_{marker}",
                         rationale=f"Zephyr marks CONFIG_{name} as "
                                   f"{marker.lower().replace('_', ' ')} (it selects "
                                   f"CONFIG_{marker}).",
                         loc=site)
        visible = prompt_visible(marked, dependencies, value is not None)
        located = {"actual": shown_value(value), "found_as": name,
                   "config_loc": value.loc} if value is not None else {}
        selects = f"in Zephyr {db.zephyr_version} (the tree) it selects CONFIG_{marker}"
        if not certain or visible is None:
            found.append(RuleResult(rule=rule, verdict=Verdict.UNKNOWN, visible=visible,
                                    **located, reason=f"{selects}, but whether that select "
                                    "or its prompt is active in this build cannot be "
                                    "evaluated from the .config"))
        elif not visible:
            found.append(RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE, visible=False,
                                    value_when_absent="n" if value is None else None,
                                    **located, reason=f"{selects}; its prompt is not visible "
                                    "in this build"))
        elif value is not None and value.is_set:
            found.append(RuleResult(rule=rule, verdict=Verdict.FAIL, visible=True, **located,
                                    reason=f"enabled; {selects}"))
        else:
            found.append(RuleResult(rule=rule, verdict=Verdict.PASS, visible=True,
                                    value_when_absent="n" if value is None else None,
                                    **located, reason=f"off; {selects}"))
    return tuple(found)


# -- judging one rule -------------------------------------------------------------------------

def _arch_matches(build_arch: str, wanted: str) -> bool:
    """``riscv`` covers Zephyr 2.x's ``riscv32``/``riscv64`` and ``posix`` its 64-bit twin."""
    return build_arch == wanted or (build_arch.startswith(wanted)
                                    and build_arch[len(wanted):] in ("32", "64"))


def _not_applicable(rule: AuditRule, config: DotConfig, arch: str | None, build_kind: str,
                    db: SymbolDB) -> str | None:
    """Why the rule cannot apply to this build: its kind, its architecture, or hardware
    the board target lacks. The build's own optional settings never make it so."""
    if build_kind not in rule.builds:
        return f"applies to {', '.join(rule.builds)} builds; audited as a {build_kind} build"
    if rule.architectures:
        if arch is None:
            return None  # unknown architecture: judge the setting rather than skip it
        if not any(_arch_matches(arch, wanted) for wanted in rule.architectures):
            return (f"applies to {', '.join(rule.architectures)}; this build's architecture "
                    f"is {arch}")
    return lacking_hardware(rule.hardware, config, db)


def _out_of_scope(rule: AuditRule, config: DotConfig) -> tuple[bool | None, str]:
    """Whether the rule's subsystem (``applies_to.when``) is in the build, and in words."""
    values = {name: value.value for name, value in config.values.items()}
    holds = scope_holds(rule.when, values)
    text = applies_when_text(rule.when)
    if holds is None:
        return None, f"its scope ({text}) cannot be evaluated from the .config"
    return holds, f"applies where {text} holds; this build does not have it"


def shown_value(found: ConfigValue) -> str:
    """The value as a reader compares it: ``n`` for ``is not set``, strings in their quotes."""
    return found.raw if found.kind == "string" else found.value


def _meets(rule: AuditRule, found: ConfigValue) -> bool | None:
    """Whether the build's value satisfies the rule; ``None`` when they cannot be compared."""
    if rule.value is None:
        number = found.as_int()
        if number is None:
            return None
        return ((rule.minimum is None or number >= rule.minimum)
                and (rule.maximum is None or number <= rule.maximum))
    if found.kind in ("int", "hex"):
        try:
            wanted = int(rule.value, 0)
        except ValueError:
            return None
        return found.as_int() == wanted
    if found.kind == "tristate":
        return found.value == rule.value if rule.value in ("y", "m", "n") else None
    return found.value == rule.value


def met_by_alternative(rule: AuditRule, config: DotConfig) -> RuleResult | None:
    """PASS when the build sets one of the rule's alternatives to the rule's value (another
    acceptable member of a choice); None when it sets none, so the rule's own symbol is judged."""
    for name in rule.alternatives:
        found = config.get(name)
        if found is not None and found.kind == "tristate" and found.value == rule.value:
            return RuleResult(rule=rule, verdict=Verdict.PASS, actual=shown_value(found),
                              found_as=found.name, config_loc=found.loc,
                              reason=f"CONFIG_{name}={found.value}, which the recommendation "
                                     f"accepts in place of CONFIG_{rule.symbol}={rule.value}")
    return None


def _comes_later(since: str | None, build_version: str | None) -> str | None:
    """The build's release in words when a symbol of release ``since`` cannot be in it, else
    None. A development build (``4.2.99``, or ``v4.2.0-2572-g...`` after its tag) leads to the
    next minor release at most, whose symbols it may already have: only a later ``since``
    rules a symbol out."""
    build, introduced = parse_release(build_version), parse_release(since)
    if build is None or introduced is None:
        return None
    if build.development:
        major, minor, _ = build.numbers
        return build.describe() if introduced.numbers > (major, minor + 1, 0) else None
    return f"Zephyr {build_version}" if build.numbers < introduced.numbers else None


class _Judge:
    """The facts shared by every rule of one audit: the build, the tree, renames, waivers."""

    def __init__(self, config: DotConfig, db: SymbolDB, renames: Mapping[str, tuple[str, ...]],
                 waivers: Sequence[ProductWaiver], today: datetime.date, build_kind: str,
                 build_version: str | None = None) -> None:
        self.config, self.db, self.waivers, self.today = config, db, waivers, today
        self.build_version = build_version
        self.build_kind = build_kind
        self.arch = config.string("ARCH")
        self.dependencies = BuildDependencies(config, db)
        self.former_names: dict[str, list[str]] = {}
        for old, successors in renames.items():
            for new in successors:
                self.former_names.setdefault(new, []).append(old)
        self.renames = renames

    def lookup(self, symbol: str) -> tuple[ConfigValue | None, str]:
        found = self.config.get(symbol)
        if found is not None:
            return found, ""
        for old in self.former_names.get(symbol, ()):
            former = self.config.get(old)
            if former is not None:
                return former, (f"; judged by CONFIG_{old}, the name this build's release uses "
                                f"(the model records it as renamed to CONFIG_{symbol})")
        return None, ""

    def absent(self, rule: AuditRule) -> RuleResult:
        symbol = self.db.get(rule.symbol)
        tree = f"Zephyr {self.db.zephyr_version}"
        if symbol is None:
            successors = self.renames.get(rule.symbol, ())
            hint = (f"; the model records it as replaced by "
                    f"{', '.join('CONFIG_' + s for s in successors)}" if successors else "")
            later = _comes_later(rule.since, self.build_version)
            if later is not None:
                return RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE,
                                  reason=f"CONFIG_{rule.symbol} comes with Zephyr {rule.since}; "
                                         f"this build is {later}")
            if rule.since:
                hint += (f"; it comes with Zephyr {rule.since}, so a build from an earlier "
                         "release cannot have it")
            return RuleResult(rule=rule, verdict=Verdict.UNKNOWN, later_release=bool(rule.since),
                              reason=f"{tree} (the tree) does not define CONFIG_{rule.symbol} "
                                     f"and the build does not set it{hint}")
        state = self.dependencies.state(symbol)
        off = "n" if symbol.type in ("bool", "tristate") else ""
        if state.met is None:
            return RuleResult(rule=rule, verdict=Verdict.UNKNOWN,
                              reason=f"not in the build, and {state.why}")
        if state.met is False and state.target_lacks:
            return RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE, visible=False,
                              value_when_absent=off, reason=f"not in the build: {state.why}")
        if state.met is False:
            # Off by the build's own settings: Kconfig reads a missing symbol as n.
            if rule.value == "n" and symbol.type in ("bool", "tristate"):
                return RuleResult(rule=rule, verdict=Verdict.PASS, visible=False,
                                  value_when_absent=off,
                                  reason=f"not in the build, so n: it {state.why}")
            return self.waive(RuleResult(
                rule=rule, verdict=Verdict.FAIL, visible=False, value_when_absent=off,
                prerequisites=state.prerequisites,
                reason=f"not in the build (so not {rule.expected_text}): it {state.why}"
                       f"{self.hardware_note(rule)}"))
        if not symbol.user_settable:
            return RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE, visible=False,
                              value_when_absent=off,
                              reason="not in the build, and it has no prompt (only defaults "
                                     "and selects set it)")
        return RuleResult(rule=rule, verdict=Verdict.UNKNOWN,
                          reason=f"not in the build's .config although its dependencies hold "
                                 f"by {tree}'s Kconfig: the build's Zephyr release may differ")

    def judge_as_hardenconfig(self, rule: AuditRule, found: ConfigValue | None) -> RuleResult:
        """A rule of Zephyr's hardening database, judged as ``hardenconfig`` does: an option
        the build lacks, or whose prompt is not visible there, is NOT-APPLICABLE; a visible
        one is compared (``min``/``max`` on its number, a value that is none FAILs)."""
        if found is None:
            symbol = self.db.get(rule.symbol)
            why = ""
            if symbol is not None:
                state = self.dependencies.state(symbol)
                why = f" (it {state.why})" if state.met is False else (
                    "; it has no prompt" if not symbol.user_settable else "")
            return RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE, visible=False,
                              reason="not in the build's .config, so no prompt of it is visible "
                                     f"there{why}: hardenconfig does not apply the rule")
        known = self.db.get(found.name)
        visible = None if known is None else prompt_visible(known, self.dependencies, True)
        common = {"rule": rule, "actual": shown_value(found), "found_as": found.name,
                  "config_loc": found.loc, "visible": visible}
        if visible is False:
            return RuleResult(verdict=Verdict.NOT_APPLICABLE, **common,
                              reason="has no prompt: only defaults and selects set it, so "
                                     "hardenconfig does not apply the rule")
        meets = _meets(rule, found)
        if meets:
            return RuleResult(verdict=Verdict.PASS, **common, reason="set as recommended")
        if meets is None and rule.value is not None:
            return RuleResult(verdict=Verdict.UNKNOWN, **common,
                              reason=f"the build's {found.kind} value {shown_value(found)} "
                                     f"cannot be compared with {rule.expected_text}")
        detail = ("" if meets is not None else
                  f"; {shown_value(found)} is not a number, so no bound can hold")
        return self.waive(RuleResult(verdict=Verdict.FAIL, **common,
                                     reason=f"expected {rule.expected_text}, the build has "
                                            f"{shown_value(found)}{detail}"))

    def hardware_note(self, rule: AuditRule) -> str:
        unknown = unknown_hardware(rule.hardware, self.config, self.db)
        return f" (it needs {' or '.join(rule.hardware)} hardware: {unknown})" if unknown else ""

    def waive(self, result: RuleResult) -> RuleResult:
        rule = result.rule
        waiver = next((w for w in self.waivers if w.covers(rule.recommendation_id, rule.symbol)),
                      None)
        if waiver is None:
            return result
        if waiver.expired(self.today):
            return replace(result, verdict=Verdict.FAIL, waiver=waiver,
                           reason=f"{result.reason}; the waiver at {waiver.loc} expired on "
                                  f"{waiver.expires.isoformat()}")
        return replace(result, verdict=Verdict.WAIVED, waiver=waiver,
                       reason=f"waived until {waiver.expires.isoformat()} by "
                              f"{waiver.approver}: {waiver.reason}")

    def judge(self, rule: AuditRule) -> RuleResult:
        if self.config.is_sysbuild:
            # SB_CONFIG_X is sysbuild's own namespace, never the application's CONFIG_X.
            return RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE,
                              reason="a sysbuild top-level configuration (SB_CONFIG_*) sets no "
                                     "application option; audit the image builds")
        excluded = _not_applicable(rule, self.config, self.arch, self.build_kind, self.db)
        if excluded:
            return RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE, reason=excluded)
        if rule.when:
            in_scope, why = _out_of_scope(rule, self.config)
            if in_scope is None:
                return RuleResult(rule=rule, verdict=Verdict.UNKNOWN, reason=why)
            if not in_scope:
                return RuleResult(rule=rule, verdict=Verdict.NOT_APPLICABLE, reason=why)
        alternative = met_by_alternative(rule, self.config)
        if alternative is not None:
            return alternative
        found, via = self.lookup(rule.symbol)
        if rule.origin == "upstream":
            return self.judge_as_hardenconfig(rule, found)
        if found is None:
            return self.absent(rule)
        known = self.db.get(found.name)
        visible = None if known is None else prompt_visible(known, self.dependencies, True)
        common = {"rule": rule, "actual": shown_value(found), "found_as": found.name,
                  "config_loc": found.loc, "visible": visible}
        meets, shown = _meets(rule, found), shown_value(found)
        tree_note = ("" if found.name in self.db else
                     f"; Zephyr {self.db.zephyr_version} (the tree) does not define "
                     f"CONFIG_{found.name}, so only the build's own value is judged")
        if meets is None:
            return RuleResult(verdict=Verdict.UNKNOWN, **common,
                              reason=f"the build's {found.kind} value {shown} cannot be "
                                     f"compared with {rule.expected_text}{via}")
        if meets:
            return RuleResult(verdict=Verdict.PASS, **common,
                              reason=f"set as recommended{via}{tree_note}")
        symbol = self.db.get(found.name)
        if symbol is not None and not symbol.user_settable:
            return RuleResult(verdict=Verdict.NOT_APPLICABLE, **common,
                              reason="has no prompt: only defaults and selects set it, so the "
                                     f"application cannot change it (value {shown}){via}")
        forced = self.forced_note(rule, found)
        # an option kept on by a select: its own line would not hold, and which lines
        # would depends on the devicetree too, so none is promised (the reason says why)
        return self.waive(RuleResult(verdict=Verdict.FAIL, **common,
                                     prerequisites=None if forced else (),
                                     reason=f"expected {rule.expected_text}, the build has "
                                            f"{shown}{via}{tree_note}{forced}"
                                            f"{self.hardware_note(rule)}"))

    def forced_note(self, rule: AuditRule, found: ConfigValue) -> str:
        """Which enabled options select the symbol on, when the guide wants it off: turning
        it off in ``prj.conf`` alone would not hold."""
        symbol = self.db.get(found.name)
        if symbol is None or rule.value != "n" or not found.is_set:
            return ""
        forcing = self.dependencies.selected_by(symbol)
        if not forcing:
            return ""
        listed = ", ".join(f"CONFIG_{name}=y" for name in forcing[:4])
        return (f"; {listed} {'selects' if len(forcing) == 1 else 'select'} it, so it stays on "
                f"until {'that is' if len(forcing) == 1 else 'those are'} off too")


def audit_config(config: DotConfig, rules: Iterable[AuditRule], db: SymbolDB, *,
                 profile: str, rules_from: str = "guide",
                 renames: Mapping[str, tuple[str, ...]] | None = None,
                 waivers: Sequence[ProductWaiver] = (), today: datetime.date | None = None,
                 build_kind: str = "production", notes: Sequence[str] = (),
                 markers: bool = False, build_version: str | None = None) -> BuildAudit:
    """Judge every rule against one build's ``.config``.

    ``renames`` maps removed symbols to their successors (the model's recorded
    renames); ``today`` decides which waivers have expired (default: the
    current date). ``markers`` adds :func:`marker_results`, as ``hardenconfig`` does.
    ``build_version`` (from the build folder's ``version.h``) lets a setting that
    comes with a later release than the build be NOT-APPLICABLE instead of UNKNOWN.
    """
    rules = tuple(rules)
    judge = _Judge(config, db, renames or {}, waivers, today or datetime.date.today(),
                   build_kind, build_version)
    extra_notes = list(notes)
    if config.board is None:
        extra_notes.append("the .config has no CONFIG_BOARD line: board unknown")
    if judge.arch is None:
        extra_notes.append("the .config has no CONFIG_ARCH line: architecture-specific "
                           "recommendations are judged, not skipped")
    return BuildAudit(config_path=config.path, profile=profile, rules_from=rules_from,
                      build_kind=build_kind, tree_version=db.zephyr_version,
                      build_version=build_version, board=config.board,
                      board_target=config.board_target, arch=judge.arch,
                      results=(*(judge.judge(rule) for rule in rules),
                               *(marker_results(config, db, frozenset(r.symbol for r in rules))
                                 if markers else ())),
                      config_diagnostics=config.diagnostics, notes=tuple(extra_notes))


@dataclass(frozen=True, slots=True)
class AuditSummary:
    """Many builds at once: one audit per ``.config`` and the inputs that were refused."""

    audits: tuple[BuildAudit, ...] = ()
    #: Inputs that could not be read (bad input: exit 2), as (path, why).
    refused: tuple[tuple[str, str], ...] = field(default=())
    #: Inputs deliberately not judged, e.g. a sysbuild top level without images.
    skipped: tuple[tuple[str, str], ...] = field(default=())

    @property
    def failed(self) -> bool:
        return any(a.failed for a in self.audits)

    @property
    def bad_input(self) -> bool:
        return bool(self.refused) or any(a.input_errors for a in self.audits)
