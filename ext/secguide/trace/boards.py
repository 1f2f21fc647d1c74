"""Which recommendations apply to a board target: recommendation x target verdicts.

The Kconfig layer reports, per target and per wanted setting, what happened when
the setting was tried with the devicetree "off" and "on". Here those probes become
one verdict per recommendation:

* ``default``: every setting already has the recommended value on this target;
* ``available``: prj.conf can set them;
* ``needs``: prj.conf can set them together with other settings (listed);
* ``unavailable``: a dependency fails (named), a ``select`` forces the opposite,
  or the symbol has no prompt;
* ``devicetree``: the answer changes with the devicetree, which is not known
  before a build (e.g. "needs an entropy driver enabled in the devicetree").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from secguide.model.items import Recommendation, Setting, ThreatModel
from secguide.zephyr.boards import BoardTarget
from secguide.zephyr.kconfig.target_cache import evaluate_targets, load_board_targets
from secguide.zephyr.kconfig.targets import SettingProbe, TargetProbe, WantedSetting
from secguide.zephyr.tree import ZephyrTree

VERDICTS = ("default", "available", "needs", "devicetree", "unavailable")
#: How each verdict reads in a sentence, for reports and the guide.
VERDICT_LABELS = {
    "default": "already the default",
    "available": "available",
    "needs": "needs other settings too",
    "devicetree": "depends on devicetree",
    "unavailable": "unavailable",
}
_KIND_OF_OUTCOME = {"default": "default", "settable": "available", "needs": "needs",
                    "blocked": "unavailable", "forced": "unavailable", "fixed": "unavailable",
                    "undefined": "unavailable"}
#: Worse verdicts win when a recommendation has several settings.
_RANK = {"default": 0, "available": 1, "needs": 2, "devicetree": 3, "unavailable": 4}


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingVerdict:
    symbol: str
    wanted: str
    default: str
    verdict: str
    reason: str = ""
    needs: tuple[tuple[str, str], ...] = ()
    choice: str = ""  # the choice the symbol is an option of, if any


@dataclass(frozen=True, slots=True, kw_only=True)
class RecommendationVerdict:
    rec_id: str
    title: str
    verdict: str
    reason: str = ""
    settings: tuple[SettingVerdict, ...] = ()

    @property
    def needs(self) -> tuple[tuple[str, str], ...]:
        found = [need for setting in self.settings for need in setting.needs]
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardReport:
    """Every recommendation's verdict for one target."""

    target: BoardTarget
    facts: dict[str, str]
    verdicts: tuple[RecommendationVerdict, ...] = field(default_factory=tuple)

    @property
    def buildable(self) -> bool:
        """False when the board's Kconfig selects no SoC and architecture for this target:
        ``board.yml`` inherits every CPU cluster of its SoC, not all are supported."""
        return bool(self.facts.get("ARCH"))

    def by_verdict(self, verdict: str) -> list[RecommendationVerdict]:
        return [item for item in self.verdicts if item.verdict == verdict]


def _why_not(probe: SettingProbe) -> str:
    """The failing dependency, the forcing select, or the missing prompt, in words."""
    if probe.outcome == "blocked":
        return "depends on " + ", ".join(probe.blockers) + " (not met on this target)"
    if probe.outcome == "forced":
        return f"selected by {', '.join(probe.forced_by)} (stays {probe.default})"
    if probe.outcome == "fixed":
        return f"no prompt: the target fixes it at {probe.default or 'unset'}"
    if probe.outcome == "undefined":
        return "not defined in this tree"
    return ""


def _needs_text(needs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"CONFIG_{name}={value}" for name, value in needs)


def setting_verdict(off: SettingProbe, on: SettingProbe) -> SettingVerdict:
    """One setting's verdict from its probes with the devicetree off and on."""
    kind_off, kind_on = _KIND_OF_OUTCOME[off.outcome], _KIND_OF_OUTCOME[on.outcome]
    common = {"symbol": off.symbol, "wanted": off.wanted, "default": off.default,
              "choice": off.choice}
    if kind_off == kind_on:
        if kind_off == "needs":
            return SettingVerdict(**common, verdict="needs", needs=off.needs,
                                  reason="together with " + _needs_text(off.needs))
        return SettingVerdict(**common, verdict=kind_off, reason=_why_not(off))
    # The devicetree decides. Say what it takes and what happens without it.
    if kind_on in ("available", "needs", "default"):
        with_dt = VERDICT_LABELS[kind_on]
        if on.needs:
            with_dt += " with " + _needs_text(on.needs)
        reason = (f"if the devicetree enables the hardware: {with_dt}; "
                  f"otherwise {VERDICT_LABELS[kind_off]}")
        if kind_off == "unavailable":
            reason += f" ({_why_not(off)})"
        return SettingVerdict(**common, verdict="devicetree", reason=reason, needs=on.needs)
    reason = (f"unavailable if the devicetree enables it ({_why_not(on)}); "
              f"otherwise {VERDICT_LABELS[kind_off]}")
    return SettingVerdict(**common, verdict="devicetree", reason=reason)


def recommendation_verdict(rec: Recommendation,
                           probe: TargetProbe) -> RecommendationVerdict | None:
    """The recommendation's verdict: its worst setting's. ``None`` when the tree defines
    none of its symbols (settings kept for a later release: ``secguide check`` notes those)."""
    found = (best_option(setting, probe) for setting in rec.settings)
    settings = tuple(verdict for verdict in found if verdict is not None)
    if not settings:
        return None
    worst = max((s.verdict for s in settings), key=_RANK.__getitem__)
    reasons = [f"CONFIG_{s.symbol}: {s.reason}" for s in settings
               if s.verdict == worst and s.reason]
    return RecommendationVerdict(rec_id=rec.id, title=rec.title, verdict=worst,
                                 reason="; ".join(reasons), settings=settings)


def _wanted(setting: Setting, symbol: str | None = None) -> WantedSetting:
    return WantedSetting(symbol or setting.symbol, setting.value, setting.minimum,
                         setting.maximum)


def best_option(setting: Setting, probe: TargetProbe) -> SettingVerdict | None:
    """The verdict of the setting's best option on the target: its symbol or one of its
    alternatives (a strict build's stronger canaries meet the base setting too). None
    when the tree defines none of them."""
    verdicts = [setting_verdict(probe.probes[key], probe.probes_with_devicetree[key])
                for key in (_wanted(setting, name).key for name in setting.options)
                if probe.probes[key].outcome != "undefined"]
    return min(verdicts, key=lambda verdict: _RANK[verdict.verdict], default=None)


def applicable_recommendations(model: ThreatModel, profile: str | None) -> list[Recommendation]:
    """Current recommendations with settings, optionally of one profile (and its parents)."""
    return [rec for rec in model.recommendations
            if rec.status != "deprecated" and rec.settings
            and (profile is None or model.in_profile(rec, profile))]


def _question(recs: list[Recommendation]) -> tuple[list[WantedSetting], list[str]]:
    wanted = list(dict.fromkeys(_wanted(s, name) for rec in recs for s in rec.settings
                                for name in s.options))
    # Never satisfy a dependency with a symbol the guide asks to keep off.
    avoid = sorted({s.symbol for rec in recs for s in rec.settings if s.value == "n"})
    return wanted, avoid


def board_reports(model: ThreatModel, tree: ZephyrTree, *, names: Iterable[str] | None = None,
                  profile: str | None = None, cache_dir: Path | None = None,
                  use_cache: bool = True,
                  targets: list[BoardTarget] | None = None) -> list[BoardReport]:
    """Verdicts for the targets ``names`` (default: every target of the tree).

    Raises:
        SecguideError: legacy tree, unparsable Kconfig, or unreadable defconfig.
    """
    if targets is None:
        targets = load_board_targets(tree, cache_dir=cache_dir, use_cache=use_cache)
    by_name = {target.name: target for target in targets}
    # The question is asked for every current recommendation so that one cache
    # serves all profiles; a profile only filters the answers.
    all_recs = applicable_recommendations(model, None)
    wanted, avoid = _question(all_recs)
    probes = evaluate_targets(tree, targets, wanted, avoid, names=names,
                              cache_dir=cache_dir, use_cache=use_cache)
    recs = applicable_recommendations(model, profile)
    reports = []
    for name, probe in probes.items():
        verdicts = (recommendation_verdict(rec, probe) for rec in recs)
        reports.append(BoardReport(target=by_name[name], facts=probe.facts,
                                   verdicts=tuple(v for v in verdicts if v is not None)))
    return reports


@dataclass(frozen=True, slots=True)
class ConfLine:
    symbol: str
    value: str
    because: tuple[str, ...]  # recommendation IDs (or "needed by ...")


def prj_conf_lines(report: BoardReport) -> tuple[list[ConfLine], list[RecommendationVerdict]]:
    """Assignments that differ from the target's defaults, and the recommendations left out.

    Settable recommendations contribute their settings and what they need; the
    devicetree-dependent ones are left out with their reason, since a line that
    the build may drop silently would promise too much.
    """
    lines: dict[str, ConfLine] = {}
    chosen: dict[str, str] = {}  # choice -> the option a line turns on

    def add(symbol: str, value: str, because: str, choice: str = "") -> None:
        if choice and value == "y":
            # One option of a choice at a time: a later recommendation's option (a
            # stricter profile's) replaces an earlier one, and carries both reasons.
            earlier = chosen.get(choice)
            if earlier is not None and earlier != symbol:
                replaced = lines.pop(earlier)
                because = ", ".join([*replaced.because, because])
            chosen[choice] = symbol
        line = lines.get(symbol)
        if line is None:
            lines[symbol] = ConfLine(symbol, value, (because,))
        elif because not in line.because:
            lines[symbol] = ConfLine(symbol, line.value, (*line.because, because))

    left_out = []
    for item in report.verdicts:
        if item.verdict not in ("available", "needs", "default"):
            left_out.append(item)
            continue
        for setting in item.settings:
            for name, value in setting.needs:
                add(name, value, f"needed by {item.rec_id}")
            if setting.verdict != "default":
                add(setting.symbol, setting.wanted, item.rec_id, setting.choice)
    return list(lines.values()), left_out


@dataclass(frozen=True, slots=True, kw_only=True)
class RecommendationSummary:
    """How one recommendation fares over all targets: counts per verdict, reasons grouped."""

    rec_id: str
    counts: dict[str, int]
    #: (reason, number of targets) for unavailable/devicetree targets, most frequent first
    reasons: tuple[tuple[str, int], ...]


def _reason_key(item: RecommendationVerdict) -> str:
    """A reason without target-specific wording, so that equal causes group together."""
    return item.reason.replace(" (not met on this target)", "")


def summarize_recommendations(reports: list[BoardReport]) -> list[RecommendationSummary]:
    """Per recommendation: on how many targets each verdict, and why not where not."""
    counts: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for report in reports:
        for item in report.verdicts:
            per = counts.setdefault(item.rec_id, dict.fromkeys(VERDICTS, 0))
            per[item.verdict] += 1
            if item.verdict in ("unavailable", "devicetree"):
                key = f"{VERDICT_LABELS[item.verdict]}: {_reason_key(item)}"
                grouped = reasons.setdefault(item.rec_id, {})
                grouped[key] = grouped.get(key, 0) + 1
    return [RecommendationSummary(
        rec_id=rec_id, counts=per,
        reasons=tuple(sorted(reasons.get(rec_id, {}).items(), key=lambda kv: (-kv[1], kv[0]))))
        for rec_id, per in counts.items()]


def group_of(report: BoardReport) -> tuple[str, str]:
    """(architecture, SoC series or SoC) a target belongs to in the summary matrix."""
    arch = report.facts.get("ARCH") or report.target.arch or "?"
    return arch, report.facts.get("SOC_SERIES") or report.facts.get("SOC") or report.target.soc


def matrix_by_group(reports: list[BoardReport]) -> dict[tuple[str, str], dict[str, Counter]]:
    """(arch, series) -> recommendation ID -> Counter of verdicts over its targets."""
    matrix: dict[tuple[str, str], dict[str, Counter]] = {}
    for report in reports:
        row = matrix.setdefault(group_of(report), {})
        for item in report.verdicts:
            row.setdefault(item.rec_id, Counter())[item.verdict] += 1
    return dict(sorted(matrix.items()))
