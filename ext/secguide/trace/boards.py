"""Which recommendations apply to a board target: recommendation x target verdicts.

The Kconfig layer solves the guide's settings together for each target, as one
prj.conf fragment, with the devicetree "off" and "on", and says per setting what
became of it and why. Here that becomes one verdict per recommendation:

* ``default``: every setting already has the recommended value on this target;
* ``available``: the fragment sets them;
* ``needs``: the fragment sets them together with other settings of the guide (listed);
* ``devicetree``: the answer changes with the devicetree, which is not known before a
  build (e.g. "needs an entropy driver enabled in the devicetree");
* ``unavailable``: the target has what the setting is about, but it cannot hold: a
  ``select`` forces the opposite, or another setting of the guide stands in the way
  (a profile conflict, named);
* ``inactive``: not applicable unless the product enables the subsystem the setting
  belongs to (``BT``, ``NETWORKING``...): the guide never switches a subsystem on to
  harden it;
* ``not-applicable``: the architecture, SoC or board lacks what the recommendation is
  about (``REC-X86-GDT-STATIC`` on an Arm board): never "already the default".
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from secguide.model.items import Recommendation, Setting, ThreatModel
from secguide.trace.scope import applies_when_text
from secguide.zephyr.boards import BoardTarget
from secguide.zephyr.kconfig.target_blame import Cause
from secguide.zephyr.kconfig.target_cache import (
    answers_key,
    iter_evaluations,
    load_board_targets,
)
from secguide.zephyr.kconfig.targets import Outcome, SettingProbe, TargetProbe, WantedSetting
from secguide.zephyr.tree import ZephyrTree


class BoardVerdict(StrEnum):
    DEFAULT = "default"
    AVAILABLE = "available"
    NEEDS = "needs"
    DEVICETREE = "devicetree"
    UNAVAILABLE = "unavailable"
    INACTIVE = "inactive"
    NOT_APPLICABLE = "not-applicable"


VERDICTS = tuple(BoardVerdict)
#: How each verdict reads in a sentence, for reports and the guide.
VERDICT_LABELS = {
    BoardVerdict.DEFAULT: "already the default",
    BoardVerdict.AVAILABLE: "available",
    BoardVerdict.NEEDS: "needs other settings too",
    BoardVerdict.DEVICETREE: "depends on devicetree",
    BoardVerdict.UNAVAILABLE: "unavailable",
    BoardVerdict.INACTIVE: "not applicable unless the product enables its subsystem",
    BoardVerdict.NOT_APPLICABLE: "not applicable to this target",
}
#: The verdicts under which the fragment applies a recommendation.
APPLIED = (BoardVerdict.DEFAULT, BoardVerdict.AVAILABLE, BoardVerdict.NEEDS)
#: Out of the target's or the product's scope: never ranked against the others.
OUT_OF_SCOPE = (BoardVerdict.INACTIVE, BoardVerdict.NOT_APPLICABLE)
#: A value that holds with the devicetree off and on: in sight in either, it is the default.
_HELD_ORDER = (BoardVerdict.DEFAULT, BoardVerdict.INACTIVE, BoardVerdict.NOT_APPLICABLE)
#: Worse verdicts win when a recommendation has several settings in scope.
_RANK = {BoardVerdict.DEFAULT: 0, BoardVerdict.AVAILABLE: 1, BoardVerdict.NEEDS: 2,
         BoardVerdict.DEVICETREE: 3, BoardVerdict.UNAVAILABLE: 4,
         BoardVerdict.INACTIVE: -1, BoardVerdict.NOT_APPLICABLE: -2}


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingVerdict:
    symbol: str
    wanted: str
    default: str
    verdict: BoardVerdict
    reason: str = ""
    needs: tuple[tuple[str, str], ...] = ()
    choice: str = ""  # the choice the symbol is an option of, if any
    #: recommendations whose own settings keep this one from holding (a profile conflict)
    conflicts: tuple[str, ...] = ()
    #: out of scope: the symbols behind it (``!X``: X would have to be turned off)
    scope: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class RecommendationVerdict:
    rec_id: str
    title: str
    verdict: BoardVerdict
    reason: str = ""
    settings: tuple[SettingVerdict, ...] = ()

    @property
    def needs(self) -> tuple[tuple[str, str], ...]:
        found = [need for setting in self.settings for need in setting.needs]
        return tuple(dict.fromkeys(found))

    @property
    def conflicts(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c for setting in self.settings for c in setting.conflicts))

    @property
    def shown_reason(self) -> str:
        """The reason a report shows: none for a recommendation already the default (its
        reason only restates that), so faces need not look at the verdict to decide."""
        return "" if self.verdict is BoardVerdict.DEFAULT else self.reason


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardReport:
    """Every recommendation's verdict for one target, and the fragment that applies them."""

    target: BoardTarget
    facts: dict[str, str]
    verdicts: tuple[RecommendationVerdict, ...] = field(default_factory=tuple)
    #: (symbol, value) lines that hold together on this target, devicetree off and on
    fragment: tuple[tuple[str, str], ...] = ()

    @property
    def buildable(self) -> bool:
        """False when the board's Kconfig selects no SoC and architecture for this target:
        ``board.yml`` inherits every CPU cluster of its SoC, not all are supported."""
        return bool(self.facts.get("ARCH"))

    def by_verdict(self, verdict: str) -> list[RecommendationVerdict]:
        return [item for item in self.verdicts if item.verdict == verdict]


# -- one setting ------------------------------------------------------------------------

def _symbols(names: Iterable[str]) -> str:
    return ", ".join(f"CONFIG_{name}" for name in names)


def _needs_text(needs: Iterable[tuple[str, str]]) -> str:
    return ", ".join(f"CONFIG_{name}={value}" for name, value in needs)


#: Symbols a reason names at most: a dependency can list hundreds of SoCs.
_MAX_SHOWN = 4


def _few(names: Iterable[str]) -> str:
    shown = list(dict.fromkeys(names))
    text = _symbols(shown[:_MAX_SHOWN])
    return text + (f" and {len(shown) - _MAX_SHOWN} more" if len(shown) > _MAX_SHOWN else "")


def scope_text(verdict: BoardVerdict, names: Iterable[str]) -> str:
    """Why a setting is out of this target's (``not-applicable``) or the product's
    (``inactive``) scope, from the symbols behind it."""
    names = list(names)
    if verdict == BoardVerdict.INACTIVE:
        turn_on = [name for name in names if not name.startswith("!")]
        turn_off = [name[1:] for name in names if name.startswith("!")]
        parts = ([f"enables {_few(turn_on)}"] if turn_on else []) + (
            [f"disables {_few(turn_off)}"] if turn_off else [])
        return "applies once the product " + " and ".join(parts) if parts else ""
    return f"depends on {_few(names)}, fixed by the target" if names else ""


class _Reasons:
    """Turns probes into verdicts and short reasons; knows which recommendation owns
    which symbol, to name the other side of a conflict."""

    def __init__(self, recs: list[Recommendation]) -> None:
        owners: dict[str, list[str]] = {}
        for rec in recs:
            for setting in rec.settings:
                owners.setdefault(setting.symbol, []).append(rec.id)
        self.owners = {name: tuple(dict.fromkeys(ids)) for name, ids in owners.items()}
        #: the symbols the current target's fragment assigns
        self.fragment: frozenset[str] = frozenset()
        #: the target probe ``fragment`` was taken from
        self.fragment_of: TargetProbe | None = None
        #: verdicts already worked out: most targets share their probes (one SoC series)
        self._verdicts: dict[tuple[Any, ...], SettingVerdict] = {}
        #: each setting's probe keys, its own symbol's and its alternatives' (by identity)
        self._keys: dict[int, tuple[Setting, tuple[str, ...]]] = {}

    def option_keys(self, setting: Setting) -> tuple[str, ...]:
        """The probe keys of the setting's options, in order."""
        hit = self._keys.get(id(setting))
        if hit is None or hit[0] is not setting:
            hit = self._keys[id(setting)] = (setting, tuple(
                _wanted(setting, name).key for name in setting.options))
        return hit[1]

    def conflicts(self, probe: SettingProbe, rec_id: str) -> tuple[str, ...]:
        """The other recommendations whose settings keep this one from holding."""
        if probe.cause != Cause.GUIDE or probe.outcome not in (Outcome.BLOCKED,
                                                                Outcome.SELECTED):
            return ()
        return tuple(dict.fromkeys(owner for name in probe.names
                                   for owner in self.owners.get(name.lstrip("!"), ())
                                   if owner != rec_id))

    def _guide_text(self, probe: SettingProbe, rec_id: str) -> str:
        conflicts = self.conflicts(probe, rec_id)
        text = _symbols(name.lstrip("!") for name in probe.names)
        return f"{text} ({', '.join(conflicts)})" if conflicts else text

    def one_world(self, probe: SettingProbe, rec_id: str) -> tuple[BoardVerdict, str]:
        """The verdict of a setting in one devicetree world, and why."""
        outcome, cause = probe.outcome, probe.cause
        if outcome == Outcome.ELSEWHERE:
            return BoardVerdict.NOT_APPLICABLE, "meant for other architectures"
        if outcome == Outcome.DORMANT:
            return BoardVerdict.INACTIVE, "its subsystem is off in this target's defaults"
        if outcome == Outcome.HELD:
            if probe.hidden and cause == Cause.TARGET:
                return BoardVerdict.NOT_APPLICABLE, scope_text(BoardVerdict.NOT_APPLICABLE,
                                                               probe.names)
            if probe.hidden and cause in (Cause.PRODUCT, Cause.DEVICETREE):
                return BoardVerdict.INACTIVE, scope_text(BoardVerdict.INACTIVE, probe.names)
            return BoardVerdict.DEFAULT, ""
        if outcome in (Outcome.REACHED, Outcome.POSSIBLE):
            if probe.needs:
                return BoardVerdict.NEEDS, "together with " + _needs_text(probe.needs)
            if outcome == Outcome.REACHED and probe.symbol not in self.fragment:
                return BoardVerdict.AVAILABLE, "follows from the fragment's other lines"
            return BoardVerdict.AVAILABLE, ""
        if outcome == Outcome.REPLACED:
            owners = ", ".join(o for n in probe.names for o in self.owners.get(n, ()))
            return BoardVerdict.AVAILABLE, (
                f"replaced by {_symbols(probe.names)}, another option of the same choice"
                + (f" ({owners})" if owners else ""))
        if outcome == Outcome.BLOCKED:
            if cause in (Cause.TARGET, Cause.PRODUCT):
                verdict = (BoardVerdict.NOT_APPLICABLE if cause == Cause.TARGET
                           else BoardVerdict.INACTIVE)
                return verdict, scope_text(verdict, probe.names)
            if cause == Cause.DEVICETREE:
                return BoardVerdict.UNAVAILABLE, (
                    f"needs {_symbols(probe.names)}, which the devicetree decides"
                    if probe.names else "depends on the devicetree")
            if not probe.names:
                return BoardVerdict.UNAVAILABLE, (
                    f"depends on {_few(probe.names)}, not met on this target"
                    if probe.names else "its dependencies are not met on this target")
            return BoardVerdict.UNAVAILABLE, (
                "conflicts with the guide's own " + self._guide_text(probe, rec_id))
        if outcome == Outcome.SELECTED:
            text = f"selected by {_symbols(probe.selected_by[:4])} (stays {probe.value})"
            if cause == Cause.GUIDE:
                text += "; held by the guide's own " + self._guide_text(probe, rec_id)
            return BoardVerdict.UNAVAILABLE, text
        return BoardVerdict.UNAVAILABLE, (
            f"prj.conf cannot set it to {probe.wanted} on this target (stays {probe.value})")

    def setting(self, off: SettingProbe, on: SettingProbe, rec_id: str) -> SettingVerdict:
        """One setting's verdict from its probes with the devicetree off and on (the same
        probes, recommendation and fragment membership give the same verdict)."""
        key = (off, on, rec_id, off.symbol in self.fragment, on.symbol in self.fragment)
        found = self._verdicts.get(key)
        if found is None:
            found = self._verdicts[key] = self._setting(off, on, rec_id)
        return found

    def _setting(self, off: SettingProbe, on: SettingProbe, rec_id: str) -> SettingVerdict:
        (kind_off, why_off), (kind_on, why_on) = (self.one_world(off, rec_id),
                                                  self.one_world(on, rec_id))
        common = {"symbol": off.symbol, "wanted": off.wanted, "default": off.default,
                  "choice": off.choice, "needs": off.needs or on.needs,
                  "conflicts": tuple(dict.fromkeys(self.conflicts(off, rec_id)
                                                   + self.conflicts(on, rec_id)))}
        if off.outcome == on.outcome == Outcome.HELD and kind_off != kind_on:
            # The value holds either way; in sight in one world, it is the default there.
            if _HELD_ORDER.index(kind_on) < _HELD_ORDER.index(kind_off):
                off, kind_off, why_off = on, kind_on, why_on
            kind_on = kind_off
        if kind_off == kind_on:
            scope = off.names if kind_off in OUT_OF_SCOPE else ()
            return SettingVerdict(**common, verdict=kind_off, reason=why_off, scope=scope)
        if kind_off in APPLIED and kind_on in APPLIED:
            # Applied either way; the fragment holds in both worlds.
            worst, why = max(((kind_off, why_off), (kind_on, why_on)),
                             key=lambda pair: _RANK[pair[0]])
            return SettingVerdict(**common, verdict=worst, reason=why)
        with_dt = VERDICT_LABELS[kind_on] + (f" ({why_on})" if why_on else "")
        without = VERDICT_LABELS[kind_off] + (f" ({why_off})" if why_off else "")
        return SettingVerdict(**{**common, "needs": on.needs}, verdict=BoardVerdict.DEVICETREE,
                              reason=f"if the devicetree enables the hardware: {with_dt}; "
                                     f"otherwise {without}")


# -- one recommendation -----------------------------------------------------------------

def recommendation_verdict(rec: Recommendation, probe: TargetProbe,
                           reasons: _Reasons | None = None) -> RecommendationVerdict | None:
    """The recommendation's verdict: its worst setting's among those in scope. ``None``
    when the tree defines none of its symbols (settings kept for a later release:
    ``secguide check`` notes those)."""
    reasons = reasons or _Reasons([rec])
    if reasons.fragment_of is not probe:  # once per target, not per recommendation
        reasons.fragment = frozenset(name for name, _ in probe.fragment)
        reasons.fragment_of = probe
    arch = probe.facts.get("ARCH", "")
    found = (best_option(setting, probe, reasons, rec.id) for setting in rec.settings)
    settings = tuple(verdict for verdict in found if verdict is not None)
    if not settings:
        return None
    archs = rec.applies_to.architectures
    if arch and archs and arch not in archs:  # HWMv2: arm and arm64 are two architectures
        return RecommendationVerdict(
            rec_id=rec.id, title=rec.title, verdict=BoardVerdict.NOT_APPLICABLE,
            reason=f"for {', '.join(archs)} only; this target is {arch}", settings=settings)
    when = rec.applies_to.when.strip()
    if when and probe.conditions.get(when) == (False, False):
        return RecommendationVerdict(
            rec_id=rec.id, title=rec.title, verdict=BoardVerdict.INACTIVE,
            reason=f"applies only when {_when_text(when)}, which does not "
                   "hold on this target (its defaults with the guide's fragment)",
            settings=settings)
    in_scope = [s for s in settings if s.verdict not in OUT_OF_SCOPE]
    if in_scope:
        worst = max((s.verdict for s in in_scope), key=_RANK.__getitem__)
    elif any(s.verdict == BoardVerdict.INACTIVE for s in settings):
        worst = BoardVerdict.INACTIVE
    else:
        worst = BoardVerdict.NOT_APPLICABLE
    if worst in OUT_OF_SCOPE:
        # Settings out of scope for related reasons: one sentence naming them all.
        reason = scope_text(worst, (name for s in settings if s.verdict == worst
                                    for name in s.scope))
    else:
        reason = "; ".join(f"CONFIG_{s.symbol}: {s.reason}" for s in settings
                           if s.verdict == worst and s.reason)
    return RecommendationVerdict(rec_id=rec.id, title=rec.title, verdict=worst,
                                 reason=reason, settings=settings)


#: The longest quotation of a model expression in a reason.
_MAX_QUOTED = 120


@functools.lru_cache(maxsize=4096)
def _when_text(when: str) -> str:
    """A scope as a reason quotes it (asked for once per target and recommendation)."""
    return _shortened(applies_when_text(when))


def _shortened(text: str) -> str:
    """A long expression cut at a word, marked as cut."""
    if len(text) <= _MAX_QUOTED:
        return text
    return text[:_MAX_QUOTED].rsplit(" ", 1)[0] + " …"


def _wanted(setting: Setting, symbol: str | None = None) -> WantedSetting:
    return WantedSetting(symbol or setting.symbol, setting.value, setting.minimum,
                         setting.maximum)


def applicable_recommendations(model: ThreatModel, profile: str | None) -> list[Recommendation]:
    """Current recommendations with settings, optionally of one profile (and its parents)."""
    return [rec for rec in model.recommendations
            if rec.status != "deprecated" and rec.settings
            and (profile is None or model.in_profile(rec, profile))]


#: Which option of a setting speaks for it: the one closest to holding.
_BEST_ORDER = (BoardVerdict.DEFAULT, BoardVerdict.AVAILABLE, BoardVerdict.NEEDS,
               BoardVerdict.DEVICETREE, BoardVerdict.UNAVAILABLE, BoardVerdict.INACTIVE,
               BoardVerdict.NOT_APPLICABLE)


def best_option(setting: Setting, probe: TargetProbe, reasons: _Reasons | None = None,
                rec_id: str = "") -> SettingVerdict | None:
    """The verdict of the setting's best option on the target: its symbol or one of its
    alternatives (a strict build's stronger canaries meet the base setting too). None
    when the tree defines none of them."""
    reasons = reasons or _Reasons([])
    verdicts = [reasons.setting(probe.probes[key], probe.probes_with_devicetree[key], rec_id)
                for key in reasons.option_keys(setting)
                if key in probe.probes and probe.probes[key].outcome != Outcome.UNDEFINED]
    return min(verdicts, key=lambda verdict: _BEST_ORDER.index(verdict.verdict), default=None)


def _question(recs: list[Recommendation]) -> tuple[list[WantedSetting], list[str]]:
    """The settings to solve together, in the model's order; a setting of recommendations
    for some architectures only is tried only there (all of them, if any rec has none).
    A setting's alternatives are only looked at (``solve=False``), never assigned: the
    fragment writes the setting's own symbol."""
    archs: dict[str, set[str] | None] = {}
    whens: dict[str, set[str] | None] = {}
    order: dict[str, WantedSetting] = {}
    solved: set[str] = set()
    for rec in recs:
        for setting in rec.settings:
            solved.add(_wanted(setting).key)
            for name in setting.options:
                key = _wanted(setting, name).key
                order.setdefault(key, _wanted(setting, name))
                _scope_of(rec, key, archs, whens)
    wanted = [replace(_wanted_with(item, archs[key], whens[key]), solve=key in solved)
              for key, item in order.items()]
    # Never satisfy a dependency with a symbol the guide asks to keep off.
    avoid = sorted({s.symbol for rec in recs for s in rec.settings if s.value == "n"})
    return wanted, avoid


def _scope_of(rec: Recommendation, key: str, archs: dict[str, set[str] | None],
              whens: dict[str, set[str] | None]) -> None:
    """Widen a wanted setting's architectures and ``when`` scopes by ``rec``'s (an empty
    one, for any recommendation, means everywhere)."""
    known = archs.get(key, set())
    scope = rec.applies_to.architectures
    archs[key] = None if known is None or not scope else known | set(scope)
    known_when = whens.get(key, set())
    when = rec.applies_to.when.strip()
    whens[key] = None if known_when is None or not when else known_when | {when}


def _wanted_with(item: WantedSetting, archs: set[str] | None,
                 whens: set[str] | None) -> WantedSetting:
    return replace(item, architectures=tuple(sorted(archs or ())),
                   when=tuple(sorted(whens or ())))


def reports_key(model: ThreatModel, tree: ZephyrTree, *, profile: str | None = None,
                cache_dir: Path | None = None, use_cache: bool = True) -> str | None:
    """What :func:`board_reports` for every target depends on, known without evaluating
    anything: a face that kept what it made from them can tell it is still current.
    None when there is no cache to tell."""
    recs = applicable_recommendations(model, profile)
    key = answers_key(tree, *_question(recs), cache_dir=cache_dir, use_cache=use_cache)
    if key is None:
        return None
    shown = [[rec.id, rec.title, rec.applies_to.architectures, rec.applies_to.when]
             for rec in recs]
    digest = hashlib.sha256(json.dumps([key, shown, _code_digest()]).encode())
    return digest.hexdigest()


def _code_digest() -> str:
    """This module and the fragment's template: how verdicts and reasons read."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for name in ("board_prj.conf.j2",):
        with contextlib.suppress(OSError):
            digest.update((Path(__file__).parents[1] / "templates" / name).read_bytes())
    return digest.hexdigest()


def board_reports(model: ThreatModel, tree: ZephyrTree, *, names: Iterable[str] | None = None,
                  profile: str | None = None, cache_dir: Path | None = None,
                  use_cache: bool = True,
                  targets: list[BoardTarget] | None = None) -> list[BoardReport]:
    """Verdicts for the targets ``names`` (default: every target of the tree).

    The recommendations of ``profile`` (default: all) are solved together per target,
    as the one fragment a product would add: what one setting selects, another may
    forbid, and the verdicts say so.

    Raises:
        SecguideError: legacy tree, unparsable Kconfig, or unreadable defconfig.
    """
    return list(iter_board_reports(model, tree, names=names, profile=profile,
                                   cache_dir=cache_dir, use_cache=use_cache, targets=targets))


def iter_board_reports(model: ThreatModel, tree: ZephyrTree, *,
                       names: Iterable[str] | None = None, profile: str | None = None,
                       cache_dir: Path | None = None, use_cache: bool = True,
                       targets: list[BoardTarget] | None = None) -> Iterator[BoardReport]:
    """:func:`board_reports` one target at a time, by name: with thousands of
    recommendations, every target's report at once would not fit in memory.

    Raises:
        SecguideError: legacy tree, unparsable Kconfig, or unreadable defconfig.
    """
    if targets is None:
        targets = load_board_targets(tree, cache_dir=cache_dir, use_cache=use_cache)
    by_name = {target.name: target for target in targets}
    recs = applicable_recommendations(model, profile)
    wanted, avoid = _question(recs)
    reasons = _Reasons(recs)
    for name, probe in iter_evaluations(tree, targets, wanted, avoid, names=names,
                                        cache_dir=cache_dir, use_cache=use_cache):
        verdicts = (recommendation_verdict(rec, probe, reasons) for rec in recs)
        yield BoardReport(target=by_name[name], facts=probe.facts,
                          verdicts=tuple(v for v in verdicts if v is not None),
                          fragment=probe.fragment)


# -- the prj.conf fragment --------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ConfLine:
    symbol: str
    value: str
    because: tuple[str, ...]  # recommendation IDs (or "needed by ...")


_REPLACED = "replaced by CONFIG_"


def _note(found: dict[str, list[str]], symbol: str, rec_id: str) -> None:
    """``rec_id`` names ``symbol`` (each recommendation once, in order)."""
    ids = found.setdefault(symbol, [])
    if not ids or ids[-1] != rec_id:
        ids.append(rec_id)


def prj_conf_lines(report: BoardReport) -> tuple[list[ConfLine], list[RecommendationVerdict]]:
    """The fragment's lines with the recommendations they serve, and the recommendations
    it leaves out (as comments: out of scope, devicetree-dependent or unavailable).

    Every line is one the Kconfig layer checked: loading the target's defconfig and
    the fragment gives each line's value, with the devicetree off and on.
    """
    items = report.verdicts
    # Which recommendations name each symbol (in the verdicts' order): one pass, not one
    # per line.
    setting_of: dict[str, list[str]] = {}
    replacing: dict[str, list[str]] = {}
    needing: dict[str, list[str]] = {}
    for item in items:
        for setting in item.settings:
            _note(setting_of, setting.symbol, item.rec_id)
            # A stricter option of a choice serves the weaker one's recommendation too.
            if setting.reason.startswith(_REPLACED) and "," in setting.reason:
                _note(replacing, setting.reason[len(_REPLACED):setting.reason.index(",")],
                      item.rec_id)
            for name, _value in setting.needs:
                _note(needing, name, item.rec_id)
    lines = []
    for symbol, value in report.fragment:
        because = setting_of.get(symbol, [])
        because = because + [rec_id for rec_id in replacing.get(symbol, ())
                             if rec_id not in because]
        needed = [f"needed by {rec_id}" for rec_id in needing.get(symbol, ())
                  if rec_id not in because]
        reasons = tuple(dict.fromkeys(because + needed))
        lines.append(ConfLine(symbol, value, reasons or ("a setting of the guide",)))
    left_out = [item for item in report.verdicts if item.verdict not in APPLIED]
    return lines, left_out


# -- summaries --------------------------------------------------------------------------

@dataclass(frozen=True, slots=True, kw_only=True)
class RecommendationSummary:
    """How one recommendation fares over all targets: counts per verdict, reasons grouped."""

    rec_id: str
    counts: dict[str, int]
    #: (reason, number of targets) for unavailable/devicetree targets, most frequent first
    reasons: tuple[tuple[str, int], ...]


#: The verdicts whose reasons a summary groups: what keeps a recommendation from a target
#: (a subsystem the product may enable is the product's choice, not a reason).
_EXPLAINED = (BoardVerdict.UNAVAILABLE, BoardVerdict.DEVICETREE, BoardVerdict.NOT_APPLICABLE)


def reason_key(item: RecommendationVerdict) -> str | None:
    """How a summary groups the verdict's reason ("unavailable: ..."), or None for a
    verdict whose reason a summary does not group."""
    if item.verdict not in _EXPLAINED:
        return None
    return f"{VERDICT_LABELS[item.verdict]}: {item.reason}"


def summarize_recommendations(reports: list[BoardReport]) -> list[RecommendationSummary]:
    """Per recommendation: on how many targets each verdict, and why not where not."""
    counts: dict[str, dict[str, int]] = {}
    reasons: dict[str, dict[str, int]] = {}
    for report in reports:
        for item in report.verdicts:
            per = counts.setdefault(item.rec_id, dict.fromkeys(VERDICTS, 0))
            per[item.verdict] += 1
            key = reason_key(item)
            if key is not None:
                grouped = reasons.setdefault(item.rec_id, {})
                grouped[key] = grouped.get(key, 0) + 1
    return [RecommendationSummary(
        rec_id=rec_id, counts=per,
        reasons=tuple(sorted(reasons.get(rec_id, {}).items(), key=lambda kv: (-kv[1], kv[0]))))
        for rec_id, per in counts.items()]


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetConflict:
    """A setting that another recommendation's setting keeps from holding, and on how
    many targets (``check``'s ``profile-conflict`` and the guide count these)."""

    rec_id: str
    symbol: str
    others: tuple[str, ...]
    #: the chain in words, as on the most frequent target (``selected by ...``)
    reason: str
    targets: int


def target_conflicts(reports: Iterable[BoardReport]) -> list[TargetConflict]:
    """Every (recommendation, setting, conflicting recommendations) over ``reports``,
    with the number of targets it happens on, most frequent first."""
    found: dict[tuple[str, str, tuple[str, ...]], Counter] = {}
    for report in reports:
        for item in report.verdicts:
            if item.verdict in OUT_OF_SCOPE:
                continue  # out of scope by design (its ``when`` says so), not in conflict
            for setting in item.settings:
                if setting.conflicts:
                    key = (item.rec_id, setting.symbol, setting.conflicts)
                    found.setdefault(key, Counter())[setting.reason] += 1
    return sorted((TargetConflict(rec_id=rec_id, symbol=symbol, others=others,
                                   reason=reasons.most_common(1)[0][0],
                                   targets=sum(reasons.values()))
                   for (rec_id, symbol, others), reasons in found.items()),
                  key=lambda c: (-c.targets, c.rec_id, c.symbol))


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
