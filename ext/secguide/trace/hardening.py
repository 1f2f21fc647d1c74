"""The guide against Zephyr's hardening database, both ways.

:func:`compare_with_upstream` reports, for an upstream-layout database, what
``secguide hardening import`` and the guide page "Against Zephyr's hardening
database" show: upstream rules the guide has no recommendation for (or only a
waiver), recommended settings upstream lacks, values and profiles that
disagree, and rule symbols the tree does not define, each with its file:line.

:func:`export_rules` turns the guide's recommendations of one profile into
upstream-shaped rules (one per symbol, as upstream keys them), which
:func:`render_hardening_yaml` writes as a ``hardening.yaml`` that passes
upstream's schema. Importing that file gives the same rules back.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from secguide.diagnostics import Diagnostic, SecguideError
from secguide.model.hardening_db import HardeningDB, HardeningRule
from secguide.model.items import Recommendation, Setting, ThreatModel, Waiver
from secguide.templates import one_line, render
from secguide.zephyr.kconfig.symbols import SymbolDB

_INTEGER = re.compile(r"-?[0-9]+")
_REFERENCE = re.compile(r"^(CWE|CVE)-[0-9-]+$")


@dataclass(frozen=True, slots=True)
class GuideSetting:
    """A setting of an active recommendation, with the recommendation's ID and profiles."""

    recommendation: str
    profiles: tuple[str, ...]
    setting: Setting

    @property
    def expected(self) -> str:
        return _expected(self.setting.value, self.setting.minimum, self.setting.maximum)


@dataclass(frozen=True, slots=True)
class Disagreement:
    """One symbol both sides rule on, differently (value or profile)."""

    rule: HardeningRule
    guide: GuideSetting
    upstream_text: str
    guide_text: str


@dataclass(frozen=True, slots=True)
class HardeningComparison:
    """Everything :func:`compare_with_upstream` found."""

    database: str
    tree_version: str
    rules: int
    agree: tuple[tuple[HardeningRule, GuideSetting], ...]
    upstream_only: tuple[HardeningRule, ...]
    waived: tuple[tuple[HardeningRule, Waiver], ...]
    guide_only: tuple[GuideSetting, ...]
    value_differences: tuple[Disagreement, ...]
    profile_differences: tuple[Disagreement, ...]
    unknown_to_tree: tuple[HardeningRule, ...]
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def wider(self) -> tuple[tuple[HardeningRule, GuideSetting], ...]:
        """Agreements where the guide also accepts alternatives (other members of the
        choice) that upstream's rule does not: a build using one passes the guide's audit
        and fails upstream's check. The guide differs there on purpose."""
        return tuple((rule, guide) for rule, guide in self.agree if guide.setting.alternatives)

    def as_dict(self) -> dict[str, object]:
        def rule(r: HardeningRule) -> dict[str, object]:
            return {"symbol": f"CONFIG_{r.symbol}", "expected": _rule_expected(r),
                    "profiles": list(r.profiles), "source": str(r.loc)}

        def guide(g: GuideSetting) -> dict[str, object]:
            return {"recommendation": g.recommendation, "symbol": g.setting.config_name,
                    "expected": g.expected, "profiles": list(g.profiles),
                    "source": str(g.setting.loc)}

        def differs(d: Disagreement) -> dict[str, object]:
            return {"symbol": f"CONFIG_{d.rule.symbol}", "upstream": d.upstream_text,
                    "guide": d.guide_text, "recommendation": d.guide.recommendation,
                    "upstream_source": str(d.rule.loc), "guide_source": str(d.guide.setting.loc)}

        return {
            "database": self.database, "tree_version": self.tree_version, "rules": self.rules,
            "agree": [rule(r) | {"recommendation": g.recommendation} for r, g in self.agree],
            "upstream_only": [rule(r) for r in self.upstream_only],
            "waived": [rule(r) | {"waiver": str(w.loc)} for r, w in self.waived],
            "guide_only": [guide(g) for g in self.guide_only],
            "value_differences": [differs(d) for d in self.value_differences],
            "profile_differences": [differs(d) for d in self.profile_differences],
            "unknown_to_tree": [rule(r) for r in self.unknown_to_tree],
            "guide_accepts_more": [
                rule(r) | {"recommendation": g.recommendation,
                           "also_accepted": [f"CONFIG_{name}={g.setting.value}"
                                             for name in g.setting.alternatives]}
                for r, g in self.wider],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


def _expected(value: str | None, minimum: int | None, maximum: int | None) -> str:
    if value is not None:
        return value
    bounds = [f">= {minimum}"] if minimum is not None else []
    bounds += [f"<= {maximum}"] if maximum is not None else []
    return " and ".join(bounds)


def _rule_expected(rule: HardeningRule) -> str:
    return _expected(rule.value, rule.minimum, rule.maximum)


def _active(model: ThreatModel) -> list[Recommendation]:
    return [r for r in model.recommendations if r.deprecation is None
            and r.status != "deprecated"]


def guide_settings(model: ThreatModel) -> list[GuideSetting]:
    return [GuideSetting(rec.id, rec.profiles, setting)
            for rec in _active(model) for setting in rec.settings]


def _same_value(rule: HardeningRule, setting: Setting) -> bool:
    if rule.value is not None or setting.value is not None:
        if rule.value is None or setting.value is None:
            return False
        if _INTEGER.fullmatch(rule.value) and _INTEGER.fullmatch(setting.value):
            return int(rule.value) == int(setting.value)
        return rule.value == setting.value
    return (rule.minimum, rule.maximum) == (setting.minimum, setting.maximum)


def _lowest_profile(profiles: Iterable[str], lineage_of: dict[str, tuple[str, ...]]) -> str:
    """The profile a rule effectively starts in: the one with the shortest lineage."""
    return min(profiles, key=lambda name: (len(lineage_of.get(name, ())), name))


def compare_with_upstream(model: ThreatModel, database: HardeningDB,
                          db: SymbolDB | None) -> HardeningComparison:
    """The guide's active recommendations against ``database`` (and the tree, if given)."""
    settings = guide_settings(model)
    by_symbol: dict[str, list[GuideSetting]] = {}
    for entry in settings:
        by_symbol.setdefault(entry.setting.symbol, []).append(entry)
    waivers = {w.symbol: w for w in model.waivers}
    lineage = {p.name: database.profile_lineage(p.name) for p in database.profiles}
    agree, upstream_only, waived, values, profiles = [], [], [], [], []
    for rule in database.rules:
        ours = by_symbol.get(rule.symbol)
        if not ours:
            if rule.symbol in waivers:
                waived.append((rule, waivers[rule.symbol]))
            else:
                upstream_only.append(rule)
            continue
        first = ours[0]
        mismatched = [g for g in ours if not _same_value(rule, g.setting)]
        if mismatched:
            values.append(Disagreement(rule, mismatched[0], _rule_expected(rule),
                                       mismatched[0].expected))
        else:
            agree.append((rule, first))
        upstream_profile = _lowest_profile(rule.profiles, lineage)
        guide_profile = _lowest_profile([p for g in ours for p in g.profiles], lineage)
        if upstream_profile != guide_profile:
            profiles.append(Disagreement(rule, first, upstream_profile, guide_profile))
    ruled = {rule.symbol for rule in database.rules}
    seen: set[str] = set()
    guide_only = []
    for entry in settings:
        if entry.setting.symbol not in ruled and entry.setting.symbol not in seen:
            seen.add(entry.setting.symbol)
            guide_only.append(entry)
    unknown = tuple(r for r in database.rules if db is not None and r.symbol not in db)
    return HardeningComparison(
        database=database.root, tree_version=db.zephyr_version if db else "",
        rules=len(database.rules), agree=tuple(agree), upstream_only=tuple(upstream_only),
        waived=tuple(waived), guide_only=tuple(guide_only), value_differences=tuple(values),
        profile_differences=tuple(profiles), unknown_to_tree=unknown,
        diagnostics=database.diagnostics)


def render_comparison_text(comparison: HardeningComparison) -> str:
    return render("hardening_compare.txt.j2", c=comparison, expected=_rule_expected)


# -- export -----------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ExportedRule:
    symbol: str
    value: str | None
    minimum: int | None
    maximum: int | None
    rationale: str
    references: tuple[str, ...]
    profiles: tuple[str, ...]
    recommendations: tuple[str, ...]

    @property
    def yaml_value(self) -> str:
        """The value as upstream writes it: bare y/n and numbers, other text quoted."""
        if self.value is None:
            return ""
        if self.value in ("y", "n", "m") or _INTEGER.fullmatch(self.value):
            return self.value
        return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    @property
    def rationale_lines(self) -> list[str]:
        return textwrap.wrap(one_line(self.rationale), width=92) or ["(none)"]


def export_rules(model: ThreatModel, profile: str) -> tuple[ExportedRule, ...]:
    """The guide's settings for ``profile`` (and its parents), one rule per symbol.

    Raises:
        SecguideError: the profile is unknown, or two recommendations of the
            profile ask for different values of one symbol (upstream keys rules
            by symbol, so that cannot be written).
    """
    if model.profile(profile) is None:
        names = ", ".join(p.name for p in model.profiles)
        raise SecguideError(f"--profile {profile}: no such profile (profiles: {names})")
    lineage = model.profile_lineage(profile)
    merged: dict[str, list[tuple[Recommendation, Setting]]] = {}
    for rec in _active(model):
        if model.in_profile(rec, profile):
            for setting in rec.settings:
                merged.setdefault(setting.symbol, []).append((rec, setting))
    rules = []
    for symbol, entries in merged.items():
        rec, setting = entries[0]
        for other_rec, other in entries[1:]:
            if (other.value, other.minimum, other.maximum) != (
                    setting.value, setting.minimum, setting.maximum):
                raise SecguideError(f"{other.loc}: {other_rec.id} asks CONFIG_{symbol} for "
                                    f"{other.requirement_text}, {rec.id} ({setting.loc}) for "
                                    f"{setting.requirement_text}; one hardening rule cannot "
                                    "say both", exit_code=1)
        recs = [r for r, _ in entries]
        profiles = [p for p in lineage[::-1] if any(p in r.profiles for r in recs)]
        references = [ref for r in recs for ref in r.references if _REFERENCE.match(ref)]
        rationale = " ".join(" ".join(r.rationale.split()) for r in recs[:1])
        rules.append(ExportedRule(
            symbol=symbol, value=setting.value, minimum=setting.minimum,
            maximum=setting.maximum,
            rationale=f"{rationale} (Zephyr Security Guide: {', '.join(r.id for r in recs)})",
            references=tuple(dict.fromkeys(references)), profiles=tuple(profiles[:1]),
            recommendations=tuple(r.id for r in recs)))
    return tuple(sorted(rules, key=lambda r: r.symbol))


def render_hardening_yaml(model: ThreatModel, profile: str, *, with_profiles: bool,
                          source: str) -> str:
    """A ``hardening.yaml`` of the guide's rules for ``profile``.

    ``with_profiles`` writes the profiles section too (a central file, or a
    standalone database); without it the file is an extra source for upstream's
    ``HARDENCONFIG_EXTRA_SOURCES``, which may not redefine upstream's profiles.
    """
    rules = export_rules(model, profile)
    lineage = model.profile_lineage(profile)
    profiles = [p for name in lineage[::-1] if (p := model.profile(name)) is not None]
    return render("hardening.yaml.j2", rules=rules, profiles=profiles if with_profiles else [],
                  profile=profile, source=source,
                  describe=lambda text: textwrap.wrap(one_line(text), width=92))

