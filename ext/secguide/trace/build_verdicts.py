"""Verdicts for one product build: per recommendation, threat, asset and standard clause.

Inputs are what one build offers as evidence: the audit of its ``.config``
(:func:`secguide.trace.audit.audit_config`, one result per recommended setting),
the product's declaration (responsibilities fulfilled, manual checks recorded;
:mod:`secguide.model.product`), and twister results. Guide checks are not
inputs: they verify the guide, not the build.

One vocabulary, :class:`EvidenceVerdict`, serves recommendations, threats and clauses:

* ``met``: every applicable recommendation's settings PASS on this build, every
  manual check it names has a passing record, and every product responsibility
  named is declared fulfilled with a reference;
* ``configuration met, product items open``: the Zephyr part holds (or there is
  none), and product items (responsibilities, manual checks) are still open;
* ``deviation accepted by a product waiver``: a failing setting is waived;
* ``not met``: a setting FAILs, a counted target test or a recorded manual check
  failed;
* ``not assessed``: the audit could not judge a setting, or the chosen profile
  holds none of the recommendations against it;
* ``not applicable to this build``: every recommendation against it is
  NOT-APPLICABLE here (the architecture, hardware or subsystem is absent), with
  those reasons.

A threat or clause takes the *weakest* verdict of what applies to it: one failed
mitigation is never hidden by a passing one. An asset takes the weakest verdict of
the threats against it (``not assessed`` when no threat names it). Recommendations
outside the chosen profile are listed as not required and never lower a verdict.

Target tests are Zephyr test scenarios, each built with its own ``prj.conf`` and
run on a platform: they show a feature works on that hardware, never that this
product image does. A run counts only when it ran on this build's platform with
this build's Zephyr release (:func:`secguide.model.releases.same_release`); a
failed counted run makes its recommendation ``not met``; a passed one is shown
and proves nothing more. Runs of another release or platform are listed, never
counted.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from secguide.model.items import Asset, Clause, Recommendation, Standard, Threat, ThreatModel
from secguide.model.manual_records import ManualRecord
from secguide.model.product import Fulfilment
from secguide.model.releases import parse_release, same_release
from secguide.trace.audit import _arch_matches
from secguide.trace.needs import verification_id
from secguide.trace.results import Outcome, ResultFile, Results, TargetRun, release_words


class EvidenceVerdict(enum.StrEnum):
    """What one build's evidence proves about an item, weakest first in :data:`WEAKEST_FIRST`."""

    MET = "met"
    PRODUCT_OPEN = "configuration met, product items open"
    WAIVED = "deviation accepted by a product waiver"
    NOT_MET = "not met"
    NOT_ASSESSED = "not assessed"
    NOT_APPLICABLE = "not applicable to this build"

    @property
    def css(self) -> str:
        """A class name for the templates: ``v-not-met``."""
        return "v-" + self.name.lower().replace("_", "-")


#: The order in which verdicts combine: the first present decides.
WEAKEST_FIRST = (EvidenceVerdict.NOT_MET, EvidenceVerdict.NOT_ASSESSED, EvidenceVerdict.WAIVED,
                 EvidenceVerdict.PRODUCT_OPEN, EvidenceVerdict.MET)


def weakest(verdicts: Iterable[EvidenceVerdict]) -> EvidenceVerdict | None:
    found = set(verdicts)
    return next((v for v in WEAKEST_FIRST if v in found), None)


class ResultUse(enum.StrEnum):
    """Whether a result file's runs count toward this build's verdicts."""

    COUNTED = "counted"
    OTHER_RELEASE = "not counted: another Zephyr release"
    NO_RELEASE = "not counted: the file names no Zephyr release"
    BUILD_RELEASE_UNKNOWN = "not counted: the build's Zephyr release is not known"
    EMPTY = "empty: holds no test"
    GUIDE_CHECKS = "not counted: guide checks verify the guide, not this build"


@dataclass(frozen=True, slots=True)
class ResultFileUse:
    file: ResultFile
    use: ResultUse
    reason: str
    #: runs on this build's platform (counted or not)
    runs_here: int = 0


@dataclass(frozen=True, slots=True)
class SettingCheck:
    """One setting as the build's audit judged it."""

    symbol: str  # CONFIG_...
    expected: str
    verdict: str  # the audit's verdict text: PASS, FAIL, WAIVED, NOT-APPLICABLE, UNKNOWN
    actual: str | None
    reason: str
    config_line: int | None


@dataclass(frozen=True, slots=True)
class TestCheck:
    """One verification of a recommendation, as far as this build's evidence goes."""

    id: str
    kind: str
    ref: str
    outcome: str  # e.g. "Zephyr test scenario ... passed on nucleo_h753zi (counted)"


@dataclass(frozen=True, slots=True)
class Reason:
    """One item behind a verdict: what it is, its own verdict, and why."""

    item: str  # REC-..., RESP-..., TEST-MAN-...
    verdict: EvidenceVerdict
    text: str


@dataclass(frozen=True, slots=True)
class RecommendationResult:
    recommendation: Recommendation
    verdict: EvidenceVerdict
    settings: tuple[SettingCheck, ...]
    tests: tuple[TestCheck, ...]
    why: str
    open_items: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ThreatResult:
    threat: Threat
    verdict: EvidenceVerdict
    reasons: tuple[Reason, ...]
    why: str
    open_items: tuple[str, ...] = ()
    #: recommendations against it that the chosen profile does not hold (never counted)
    not_required: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ClauseResult:
    standard: Standard
    clause: Clause
    verdict: EvidenceVerdict
    reasons: tuple[Reason, ...]
    why: str
    open_items: tuple[str, ...] = ()
    not_required: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BuildVerdicts:
    """Everything one build's evidence says, ready for the report templates."""

    platform: str
    profile: str
    recommendations: tuple[RecommendationResult, ...]
    threats: tuple[ThreatResult, ...]
    clauses: tuple[ClauseResult, ...]
    #: platforms the result files report, and how many suites each
    result_platforms: Mapping[str, int]
    result_files: tuple[ResultFileUse, ...] = ()
    #: the release results are compared with, in words
    release: str = "unknown"
    fulfilled: Mapping[str, Fulfilment] = field(default_factory=dict)
    #: each asset: the weakest verdict of the threats against it
    assets: tuple[AssetResult, ...] = ()

    def counts(self) -> dict[str, dict[str, int]]:
        def tally(values: Iterable[EvidenceVerdict]) -> dict[str, int]:
            found = list(values)
            return {v.value: found.count(v) for v in EvidenceVerdict}
        return {"recommendations": tally(r.verdict for r in self.recommendations),
                "threats": tally(t.verdict for t in self.threats),
                "assets": tally(a.verdict for a in self.assets),
                "clauses": tally(c.verdict for c in self.clauses)}

    @property
    def excluded(self) -> tuple[str, ...]:
        """Every sentence saying what was given but not counted, for banners and files."""
        said = [f"{u.file.path}: {u.use.value} ({u.reason})" for u in self.result_files
                if u.use is not ResultUse.COUNTED]
        said += [f"{u.file.path}: no run on {self.platform}; its runs on other platforms are "
                 "shown, not counted" for u in self.result_files
                 if u.use is ResultUse.COUNTED and not u.file.empty and u.runs_here == 0]
        return tuple(said)

    @property
    def results_of_another_release(self) -> bool:
        return any(u.use in (ResultUse.OTHER_RELEASE, ResultUse.NO_RELEASE,
                             ResultUse.BUILD_RELEASE_UNKNOWN) for u in self.result_files)

    def open_items(self) -> tuple[str, ...]:
        """Product items the verdicts wait for, each once, in report order."""
        seen: dict[str, None] = {}
        for result in (*self.threats, *self.clauses, *self.recommendations):
            seen.update(dict.fromkeys(result.open_items))
        return tuple(seen)

    def as_dict(self) -> dict[str, Any]:
        def reasons(items: Sequence[Reason]) -> list[dict[str, str]]:
            return [{"item": r.item, "verdict": r.verdict.value, "text": r.text} for r in items]
        return {
            "platform": self.platform,
            "profile": self.profile,
            "vocabulary": [v.value for v in EvidenceVerdict],
            "result_platforms": dict(sorted(self.result_platforms.items())),
            "results": {
                "compared_with_release": self.release,
                "files": [{"path": u.file.path, "use": u.use.value, "reason": u.reason,
                           "zephyr_version": u.file.zephyr_version,
                           "entries": u.file.entries, "runs_on_this_platform": u.runs_here}
                          for u in self.result_files],
                "excluded": list(self.excluded),
            },
            "open_items": list(self.open_items()),
            "counts": self.counts(),
            "recommendations": [{
                "id": r.recommendation.id, "title": r.recommendation.title,
                "verdict": r.verdict.value, "why": r.why, "open_items": list(r.open_items),
                "settings": [{"symbol": s.symbol, "expected": s.expected, "verdict": s.verdict,
                              "actual": s.actual, "reason": s.reason,
                              "config_line": s.config_line} for s in r.settings],
                "verifications": [{"id": t.id, "kind": t.kind, "ref": t.ref,
                                   "outcome": t.outcome} for t in r.tests],
            } for r in self.recommendations],
            "threats": [{"id": t.threat.id, "title": t.threat.title,
                         "verdict": t.verdict.value, "why": t.why,
                         "reasons": reasons(t.reasons), "open_items": list(t.open_items),
                         "not_required": list(t.not_required)}
                        for t in self.threats],
            "assets": [{"id": a.asset.id, "title": a.asset.title,
                        "category": a.asset.category.value, "verdict": a.verdict.value,
                        "why": a.why, "threats": list(a.threats)} for a in self.assets],
            "clauses": [{"standard": c.standard.name, "id": c.clause.id,
                         "clause": c.clause.clause, "title": c.clause.title,
                         "met_by": c.clause.met_by, "verdict": c.verdict.value, "why": c.why,
                         "reasons": reasons(c.reasons), "open_items": list(c.open_items),
                         "not_required": list(c.not_required)}
                        for c in self.clauses],
        }


def audit_checks(audit: Any) -> dict[str, list[SettingCheck]]:
    """Recommendation ID -> its settings as a :class:`~secguide.trace.audit.BuildAudit`
    judged them (rules from the guide; upstream rules name no recommendation)."""
    checks: dict[str, list[SettingCheck]] = {}
    for result in audit.results:
        rec_id = result.rule.recommendation_id
        if rec_id is None:
            continue
        line = result.config_loc.line if result.config_loc is not None else None
        checks.setdefault(rec_id, []).append(SettingCheck(
            f"CONFIG_{result.rule.symbol}", result.rule.expected_text, result.verdict.value,
            result.actual, result.reason, line))
    return checks


def platform_matches(reported: str, board: str | None, board_target: str | None) -> bool:
    """Whether a twister platform name is this build's board (with or without qualifiers)."""
    if board_target and reported == board_target:
        return True
    return bool(board) and reported.split("/", 1)[0].split("@", 1)[0] == board


# -- which results count ---------------------------------------------------------------

def result_file_uses(results: Results | None, build_release: str | None, *,
                     board: str | None, board_target: str | None) -> tuple[ResultFileUse, ...]:
    """Each result file, and whether its runs count for a build of ``build_release``."""
    if results is None:
        return ()
    build = parse_release(build_release)
    uses = []
    for file in results.files:
        here = sum(1 for run in results.runs if run.file == file.path
                   and platform_matches(run.platform, board, board_target))
        if file.format != "twister":
            uses.append(ResultFileUse(file, ResultUse.GUIDE_CHECKS,
                                      "JUnit results of the guide's own tests", 0))
        elif file.empty:
            uses.append(ResultFileUse(file, ResultUse.EMPTY, "no test suite in the file", 0))
        elif build is None:
            uses.append(ResultFileUse(
                file, ResultUse.BUILD_RELEASE_UNKNOWN,
                f"it ran {release_words(file.zephyr_version)}; no version.h beside the "
                ".config, no --zephyr-version, no declaration says which release the build is",
                here))
        elif not same_release(parse_release(file.zephyr_version), build):
            use = ResultUse.OTHER_RELEASE if file.zephyr_version else ResultUse.NO_RELEASE
            uses.append(ResultFileUse(
                file, use, f"it ran {release_words(file.zephyr_version)}; this build is "
                f"{build.describe()}", here))
        else:
            uses.append(ResultFileUse(file, ResultUse.COUNTED,
                                      f"same release as the build ({build.describe()})", here))
    return tuple(uses)


def _run_text(run: TargetRun, counted: bool, why_not: str) -> str:
    said = f"Zephyr test scenario {run.scenario} ({run.outcome.value} on {run.platform})"
    return f"{said}: counted" if counted else f"{said}: not counted, {why_not}"


def _target_test(scenario: str, results: Results | None, uses: Mapping[str, ResultFileUse],
                 board: str | None, board_target: str | None, shown: str
                 ) -> tuple[Outcome | None, str]:
    """The counted outcome of a scenario (None when no run counts) and the runs in words."""
    runs = [r for r in (results.runs if results else ()) if r.scenario == scenario]
    if not runs:
        return None, f"Zephyr test scenario {scenario}: no result on any platform"
    counted: list[Outcome] = []
    said = []
    for run in runs:
        use = uses.get(run.file)
        on_this = platform_matches(run.platform, board, board_target)
        if not on_this:
            said.append(_run_text(run, False, f"another platform than {shown}"))
        elif use is None or use.use is not ResultUse.COUNTED:
            said.append(_run_text(run, False, use.use.value if use else "not read"))
        else:
            counted.append(run.outcome)
            said.append(_run_text(run, True, ""))
    worst_counted = next((o for o in (Outcome.FAILED, Outcome.ERROR, Outcome.PASSED,
                                      Outcome.SKIPPED, Outcome.NOT_RUN) if o in counted), None)
    return worst_counted, "; ".join(said)


# -- recommendations --------------------------------------------------------------------

@dataclass(slots=True)
class _Evidence:
    results: Results | None
    uses: Mapping[str, ResultFileUse]
    board: str | None
    board_target: str | None
    manual: Mapping[str, ManualRecord]

    @property
    def shown(self) -> str:
        return self.board_target or self.board or "this build's platform"


def _tests(rec: Recommendation, evidence: _Evidence
           ) -> tuple[list[TestCheck], list[str], list[str], list[str]]:
    """The verification rows; what failed (counted runs, manual records); the manual checks
    still open; and those recorded as passed."""
    checks: list[TestCheck] = []
    failed: list[str] = []
    open_checks: list[str] = []
    passed: list[str] = []
    for v in rec.verifications:
        vid = verification_id(v)
        if v.kind == "target-test":
            outcome, text = _target_test(v.ref, evidence.results, evidence.uses, evidence.board,
                                         evidence.board_target, evidence.shown)
            if outcome is not None and outcome.is_bad:
                failed.append(f"{vid} ({v.ref} {outcome.value} on {evidence.shown})")
        elif v.kind == "manual-check":
            record = evidence.manual.get(v.id)
            if record is None:
                text = "open: to be performed and recorded (who, when, result)"
                open_checks.append(vid)
            else:
                text = record.text
                if record.outcome == "failed":
                    failed.append(f"{vid} (failed by {record.by} on {record.date})")
                else:
                    passed.append(vid)
        elif v.kind == "build-audit":
            continue  # the settings rows are this audit
        else:
            text = "verifies the guide, not this build"
        checks.append(TestCheck(vid, v.kind, v.ref, text))
    return checks, failed, open_checks, passed


def _rec_verdict(settings: Sequence[SettingCheck], failed: Sequence[str],
                 open_checks: Sequence[str], passed: Sequence[str]) -> tuple[EvidenceVerdict, str]:
    judged = [s for s in settings if s.verdict != "NOT-APPLICABLE"]
    if settings and not judged:
        reasons = sorted({s.reason for s in settings if s.reason})
        return (EvidenceVerdict.NOT_APPLICABLE,
                "; ".join(reasons) or "no setting applies to this build")
    failing = [s.symbol for s in judged if s.verdict == "FAIL"]
    if failing:
        return EvidenceVerdict.NOT_MET, f"{', '.join(failing)} not as recommended"
    if failed:
        return EvidenceVerdict.NOT_MET, f"failed: {', '.join(failed)}"
    unknown = [s for s in judged if s.verdict == "UNKNOWN"]
    if unknown:
        return EvidenceVerdict.NOT_ASSESSED, "; ".join(f"{s.symbol}: {s.reason}" for s in unknown)
    if any(s.verdict == "WAIVED" for s in judged):
        return EvidenceVerdict.WAIVED, "; ".join(f"{s.symbol}: {s.reason}" for s in judged
                                                 if s.verdict == "WAIVED")
    if open_checks:
        return EvidenceVerdict.PRODUCT_OPEN, (
            ("settings PASS" if judged else "no setting to audit")
            + f"; manual checks open: {', '.join(open_checks)}")
    said = ["settings PASS on this build"] if judged else []
    if passed:
        said.append(f"manual checks passed: {', '.join(passed)}")
    if not said:
        return EvidenceVerdict.NOT_ASSESSED, "nothing on this build verifies it"
    return EvidenceVerdict.MET, "; ".join(said)


def recommendation_results(model: ThreatModel, profile: str,
                           audit: Mapping[str, Sequence[SettingCheck]], evidence: _Evidence,
                           ) -> list[RecommendationResult]:
    """One result per active recommendation of ``profile``; ``audit`` maps recommendation
    IDs to the audit's checks of their settings."""
    found = []
    for rec in model.recommendations:
        if rec.deprecation is not None or not model.in_profile(rec, profile):
            continue
        settings = tuple(audit.get(rec.id, ()))
        tests, failed, open_checks, passed = _tests(rec, evidence)
        verdict, why = _rec_verdict(settings, failed, open_checks, passed)
        if verdict is EvidenceVerdict.NOT_APPLICABLE:
            # nothing to perform on a build the recommendation does not apply to
            open_checks = []
            tests = [dataclasses.replace(t, outcome="not needed: the recommendation does not "
                                         "apply to this build")
                     if t.kind == "manual-check" and t.id not in evidence.manual else t
                     for t in tests]
        found.append(RecommendationResult(rec, verdict, settings, tuple(tests), why,
                                          tuple(open_checks)))
    return found


# -- threats and clauses ----------------------------------------------------------------

def _responsibility_reasons(ids: Iterable[str], fulfilled: Mapping[str, Fulfilment]
                            ) -> list[Reason]:
    reasons = []
    for resp in ids:
        done = fulfilled.get(resp)
        if done is None:
            reasons.append(Reason(resp, EvidenceVerdict.PRODUCT_OPEN,
                                  "the product declares no fulfilment"))
        else:
            reasons.append(Reason(resp, EvidenceVerdict.MET,
                                  f"declared fulfilled: {done.how} (see {done.reference})"))
    return reasons


def _scoped_away(result: RecommendationResult, arch: str | None, build_kind: str) -> bool:
    """Whether a recommendation is NOT-APPLICABLE because the surface it protects is not in
    the build: another architecture, hardware the board target lacks, or a subsystem
    (``applies_to.when``) the build does not have. A recommendation for another kind of
    build says nothing about the surface."""
    scope = result.recommendation.applies_to
    if result.verdict is not EvidenceVerdict.NOT_APPLICABLE or build_kind not in scope.builds:
        return False
    other_arch = bool(scope.architectures) and arch is not None and not any(
        _arch_matches(arch, w) for w in scope.architectures)
    return other_arch or bool(scope.when) or bool(scope.hardware)


def _decide(rec_ids: Sequence[str], resp_ids: Sequence[str], model: ThreatModel, profile: str,
            recs: Mapping[str, RecommendationResult], fulfilled: Mapping[str, Fulfilment],
            arch: str | None, build_kind: str, *, threat: bool
            ) -> tuple[EvidenceVerdict, tuple[Reason, ...], str, tuple[str, ...], tuple[str, ...]]:
    """The verdict of a threat or clause from its recommendations and responsibilities."""
    model_recs = {r.id: r for r in model.recommendations if r.deprecation is None}
    mine = [recs[i] for i in rec_ids if i in recs]
    not_required = tuple(i for i in rec_ids if i in model_recs and i not in recs
                         and not model.in_profile(model_recs[i], profile))
    applying = [r for r in mine if r.verdict is not EvidenceVerdict.NOT_APPLICABLE]
    rec_reasons = [Reason(r.recommendation.id, r.verdict, r.why) for r in mine]
    # Nothing against it applies: not applicable when nothing is left to the product, or,
    # for a threat, when every recommendation is scoped away (its architecture, hardware or
    # subsystem is absent: so is the attack). A standard's clause concerns the product
    # whatever its subsystems: its responsibilities still stand.
    absent = all(_scoped_away(r, arch, build_kind) for r in mine) if threat else False
    if mine and not applying and (not resp_ids or absent):
        why = ("not applicable to this build: "
               + "; ".join(f"{r.recommendation.id}: {r.why}" for r in mine))
        return EvidenceVerdict.NOT_APPLICABLE, tuple(rec_reasons), why, (), not_required
    reasons = [Reason(r.recommendation.id, r.verdict, r.why) for r in applying]
    reasons += _responsibility_reasons(resp_ids, fulfilled)
    open_items = tuple(i for r in applying for i in r.open_items) + tuple(
        r.item for r in reasons
        if r.item.startswith("RESP-") and r.verdict is not EvidenceVerdict.MET)
    if not applying and not_required and not resp_ids:
        return (EvidenceVerdict.NOT_ASSESSED, (), f"the profile '{profile}' holds none of its "
                f"recommendations ({', '.join(not_required)})", (), not_required)
    decided = weakest(r.verdict for r in reasons)
    if decided is None:
        return (EvidenceVerdict.NOT_ASSESSED, (), "nothing in the model addresses it", (),
                not_required)
    if not applying and not_required:
        decided = weakest((decided, EvidenceVerdict.NOT_ASSESSED))
    deciding = [r for r in reasons if r.verdict is decided]
    if decided is EvidenceVerdict.PRODUCT_OPEN:
        zephyr = ("the Zephyr part holds" if applying else "no Zephyr setting applies")
        why = f"{zephyr}; open: {', '.join(open_items)}"
    elif decided is EvidenceVerdict.MET:
        why = "every applicable recommendation holds" if applying else ""
        if resp_ids:
            why = "; ".join(filter(None, (why, "every responsibility is declared fulfilled")))
    else:
        why = "; ".join(f"{r.item}: {r.text}" for r in deciding)
    return decided, tuple(reasons), why, open_items, not_required


def threat_results(model: ThreatModel, profile: str, recs: Sequence[RecommendationResult],
                   fulfilled: Mapping[str, Fulfilment], arch: str | None = None,
                   build_kind: str = "production") -> list[ThreatResult]:
    by_id = {r.recommendation.id: r for r in recs}
    found = []
    for threat in model.threats:
        rec_ids = [m for m in threat.mitigated_by if m.startswith("REC-")]
        resp_ids = [m for m in threat.mitigated_by if m.startswith("RESP-")]
        verdict, reasons, why, open_items, not_required = _decide(
            rec_ids, resp_ids, model, profile, by_id, fulfilled, arch, build_kind, threat=True)
        found.append(ThreatResult(threat, verdict, reasons, why, open_items, not_required))
    return found


@dataclass(frozen=True, slots=True)
class AssetResult:
    """One asset on one build: the weakest verdict of the threats against it."""

    asset: Asset
    verdict: EvidenceVerdict
    why: str
    threats: tuple[str, ...] = ()


def asset_results(model: ThreatModel, threats: Sequence[ThreatResult]) -> list[AssetResult]:
    """Each asset's verdict on a build, from that build's threat verdicts."""
    by_id = {result.threat.id: result for result in threats}
    found = []
    for asset in model.assets:
        mine = [by_id[t.id] for t in model.threats_against(asset.id) if t.id in by_id]
        ids = tuple(result.threat.id for result in mine)
        if not mine:
            found.append(AssetResult(asset, EvidenceVerdict.NOT_ASSESSED,
                                     "no threat names it, so what endangers it is unknown"))
            continue
        decided = weakest(result.verdict for result in mine)
        if decided is None:  # every threat against it is absent from this build
            found.append(AssetResult(asset, EvidenceVerdict.NOT_APPLICABLE,
                                     "no threat against it applies to this build", ids))
            continue
        deciding = [r for r in mine if r.verdict is decided]
        if decided is EvidenceVerdict.MET:
            why = "every applicable threat against it is met"
        else:
            why = "; ".join(f"{r.threat.id}: {r.verdict.value}" for r in deciding)
        found.append(AssetResult(asset, decided, why, ids))
    return found


#: ``met_by`` values whose clauses this build's evidence can decide.
_ASSESSED_BY = ("configuration", "product")


def clause_results(model: ThreatModel, profile: str, recs: Sequence[RecommendationResult],
                   fulfilled: Mapping[str, Fulfilment], arch: str | None = None,
                   build_kind: str = "production") -> list[ClauseResult]:
    by_id = {r.recommendation.id: r for r in recs}
    found = []
    for standard in model.standards:
        for clause in standard.clauses:
            if clause.met_by == "not-applicable":
                found.append(ClauseResult(standard, clause, EvidenceVerdict.NOT_APPLICABLE, (),
                                          "the clause does not concern an operating system: "
                                          + clause.justification.strip()))
                continue
            if clause.met_by not in _ASSESSED_BY:
                found.append(ClauseResult(standard, clause, EvidenceVerdict.NOT_ASSESSED, (),
                                          f"the guide does not address it "
                                          f"(met_by: {clause.met_by}): "
                                          + " ".join(clause.justification.split())))
                continue
            verdict, reasons, why, open_items, not_required = _decide(
                clause.recommendations, clause.responsibilities, model, profile, by_id,
                fulfilled, arch, build_kind, threat=False)
            found.append(ClauseResult(standard, clause, verdict, reasons, why, open_items,
                                      not_required))
    return found


def _platform_counts(results: Results | None) -> dict[str, int]:
    platforms: dict[str, int] = {}
    for run in results.runs if results else ():
        platforms[run.platform] = platforms.get(run.platform, 0) + 1
    return platforms


def build_verdicts(model: ThreatModel, profile: str,
                   audit: Mapping[str, Sequence[SettingCheck]], results: Results | None, *,
                   board: str | None, board_target: str | None, arch: str | None = None,
                   build_kind: str = "production", build_release: str | None = None,
                   manual: Mapping[str, ManualRecord] | None = None,
                   fulfilled: Mapping[str, Fulfilment] | None = None) -> BuildVerdicts:
    """Every verdict for one build.

    ``build_release`` is the build's Zephyr release as stated (version.h, the
    declaration or ``--zephyr-version``); results count only when they ran it.
    ``manual`` holds the records of manual checks performed on the build and
    ``fulfilled`` the responsibilities the product declares fulfilled.
    """
    uses = result_file_uses(results, build_release, board=board, board_target=board_target)
    evidence = _Evidence(results, {u.file.path: u for u in uses}, board, board_target,
                         manual or {})
    fulfilled = dict(fulfilled or {})
    recs = recommendation_results(model, profile, audit, evidence)
    stated = parse_release(build_release)
    threats = threat_results(model, profile, recs, fulfilled, arch, build_kind)
    return BuildVerdicts(
        board_target or board or "unknown", profile, tuple(recs), tuple(threats),
        tuple(clause_results(model, profile, recs, fulfilled, arch, build_kind)),
        _platform_counts(results),
        uses, stated.describe() if stated else "unknown", fulfilled,
        tuple(asset_results(model, threats)))
