"""Consequences of a model change outside the model: reference builds and Zephyr's database.

Builds: every ``.config`` below a folder is judged by the verdict engine
(:class:`secguide.trace.engine.VerdictEngine`) made from each side's model; a
verdict that differs, or a rule that one side has and the other not, is a change.
Nothing here decides a verdict.

Upstream: :func:`secguide.trace.hardening.compare_with_upstream` runs on each
side; a symbol whose standing with the database differs (agrees, differs in value
or profile, upstream only, guide only, waived) is a change.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secguide.diagnostics import SecguideError, SourceLoc, display_path
from secguide.model.hardening_db import HardeningDB
from secguide.model.items import ThreatModel
from secguide.trace.audit import AuditRule, BuildAudit, RuleResult, Verdict
from secguide.trace.engine import RuleChoice, VerdictEngine, choose_rules
from secguide.trace.hardening import HardeningComparison, compare_with_upstream
from secguide.zephyr.build_dirs import find_build_configs
from secguide.zephyr.dotconfig import DotConfig, read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB


@dataclass(frozen=True, slots=True)
class VerdictChange:
    """One rule on one build: its verdict before and after (None: the side has no such rule)."""

    recommendation: str
    symbol: str
    before: Verdict | None
    after: Verdict | None
    reason: str

    @property
    def newly_failing(self) -> bool:
        return self.after is Verdict.FAIL and self.before is not Verdict.FAIL

    def as_dict(self) -> dict[str, Any]:
        return {"recommendation": self.recommendation, "symbol": f"CONFIG_{self.symbol}",
                "before": self.before.value if self.before else None,
                "after": self.after.value if self.after else None, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class BuildDiff:
    """The verdicts of one reference build that the change moves."""

    path: str
    board: str
    changes: tuple[VerdictChange, ...] = ()
    #: why the build could not be audited ("" when it was)
    refused: str = ""

    @property
    def newly_failing(self) -> int:
        return sum(1 for change in self.changes if change.newly_failing)

    @property
    def fixed(self) -> int:
        return sum(1 for c in self.changes if c.before is Verdict.FAIL and c.after is not
                   Verdict.FAIL)

    def as_dict(self) -> dict[str, Any]:
        return {"build": self.path, "board": self.board, "refused": self.refused,
                "newly_failing": self.newly_failing, "fixed": self.fixed,
                "changes": [change.as_dict() for change in self.changes]}


@dataclass(frozen=True, slots=True)
class ReferenceBuild:
    """A build read once for both sides: its ``.config``, or why it cannot be read."""

    shown: str
    config: DotConfig | None
    refused: str = ""
    path: Path | None = None  # the .config (the engine reads the release beside it)


def reference_builds(folder: Path) -> list[ReferenceBuild]:
    """Every build below ``folder``, parsed.

    Raises:
        SecguideError: the folder is missing or holds no build (exit code 2).
    """
    if not folder.is_dir():
        raise SecguideError(f"{folder}: --builds needs a folder of builds or .config files",
                            exit_code=2)
    found: list[ReferenceBuild] = []
    for path in find_build_configs(folder).configs:
        shown = display_path(path)
        try:
            found.append(ReferenceBuild(shown, read_dotconfig(path), path=path))
        except SecguideError as error:
            found.append(ReferenceBuild(shown, None, str(error).removeprefix(f"{shown}: ")))
    if not found:
        raise SecguideError(f"{folder}: no .config below it", exit_code=2)
    return found


def _where_aside(rule: AuditRule) -> AuditRule:
    """The rule without its YAML location, which moves when lines are added above it."""
    return dataclasses.replace(rule, loc=SourceLoc(""))


def _results(audit: BuildAudit) -> dict[tuple[str, str], RuleResult]:
    return {(result.rule.id, result.rule.symbol): result for result in audit.results}


def _judge(engine: VerdictEngine, build: ReferenceBuild) -> dict[tuple[str, str], RuleResult]:
    assert build.config is not None
    return _results(engine.judge(build.config, config_path=build.path))


def build_changes(builds: Iterable[ReferenceBuild], base: ThreatModel, head: ThreatModel,
                  db: SymbolDB, tree_root: Path, profile: str) -> tuple[BuildDiff, ...]:
    """Per build, the verdicts that differ between the two sides' rules.

    A verdict depends on the rule, the build, the tree, the recorded renames and the
    product's waivers only, so when those agree, a rule both sides have alike (where
    it is written aside) gets the same verdict on both and is not judged again.

    Raises:
        RuleSourceError: a side has no such profile (exit code 2).
    """
    choice = RuleChoice(profile=profile)
    old_rules = choose_rules(choice, base, tree_root)
    new_rules = choose_rules(choice, head, tree_root)
    old_engine = VerdictEngine(base, db, rules=old_rules, profile=profile)
    new_engine = VerdictEngine(head, db, rules=new_rules, profile=profile)
    if old_engine.renames == new_engine.renames and old_engine.waivers == new_engine.waivers:
        same = {_where_aside(r) for r in old_rules} & {_where_aside(r) for r in new_rules}
        old_engine = VerdictEngine(base, db, profile=profile, rules=tuple(
            r for r in old_rules if _where_aside(r) not in same))
        new_engine = VerdictEngine(head, db, profile=profile, rules=tuple(
            r for r in new_rules if _where_aside(r) not in same))
    diffs = []
    for build in builds:
        if build.config is None:
            diffs.append(BuildDiff(build.shown, "", refused=build.refused))
            continue
        before = _judge(old_engine, build)
        after = _judge(new_engine, build)
        changes = []
        for key in [*before, *(k for k in after if k not in before)]:
            old, new = before.get(key), after.get(key)
            if old is not None and new is not None and old.verdict is new.verdict:
                continue
            shown_reason = (new or old).reason if (new or old) else ""
            if new is None:
                shown_reason = "no longer checked: the recommendation or setting is gone " \
                               "from the profile"
            changes.append(VerdictChange(key[0], key[1], old.verdict if old else None,
                                         new.verdict if new else None, shown_reason))
        config = build.config
        diffs.append(BuildDiff(build.shown, config.board_target or config.board or "",
                               tuple(changes)))
    return tuple(diffs)


# -- Zephyr's hardening database --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class UpstreamChange:
    """A database rule (or guide setting) whose standing with upstream the change moves."""

    symbol: str
    before: str
    after: str

    @property
    def now_matches(self) -> bool:
        return self.after == "agrees"

    def as_dict(self) -> dict[str, Any]:
        return {"symbol": f"CONFIG_{self.symbol}", "before": self.before, "after": self.after}


def _standing(comparison: HardeningComparison) -> Mapping[str, str]:
    found: dict[str, set[str]] = {}

    def note(symbol: str, what: str) -> None:
        found.setdefault(symbol, set()).add(what)

    for rule, _ in comparison.agree:
        note(rule.symbol, "agrees")
    for rule in comparison.upstream_only:
        note(rule.symbol, "upstream only")
    for rule, _ in comparison.waived:
        note(rule.symbol, "waived")
    for setting in comparison.guide_only:
        note(setting.setting.symbol, "guide only")
    for disagreement in comparison.value_differences:
        note(disagreement.rule.symbol, f"value differs (upstream {disagreement.upstream_text}, "
                                       f"guide {disagreement.guide_text})")
    for disagreement in comparison.profile_differences:
        note(disagreement.rule.symbol, f"profile differs (upstream {disagreement.upstream_text}"
                                       f", guide {disagreement.guide_text})")
    return {symbol: "; ".join(sorted(states)) for symbol, states in found.items()}


def upstream_changes(database: HardeningDB, base: ThreatModel, head: ThreatModel,
                     db: SymbolDB) -> tuple[UpstreamChange, ...]:
    """Symbols whose standing with the hardening database differs between the sides."""
    before = _standing(compare_with_upstream(base, database, db))
    after = _standing(compare_with_upstream(head, database, db))
    return tuple(UpstreamChange(symbol, before.get(symbol, "not ruled"),
                                after.get(symbol, "not ruled"))
                 for symbol in sorted(before.keys() | after.keys())
                 if before.get(symbol) != after.get(symbol))
