"""Verdicts for one product build: per recommendation, per threat, per standard clause.

Inputs are what one build offers as evidence: the audit of its ``.config``
(:func:`secguide.trace.audit.audit_config`, one result per recommended setting)
and the target-test results of *its* platform (twister results for other
platforms prove nothing about it). Guide checks are not inputs: they verify the
guide, not the build.

A recommendation is

* ``met``: every applicable setting PASSes and every target test passed on the
  build's platform;
* ``configured``: the settings PASS but no target test passed here (none listed,
  or not run on this platform): configured, not shown to work;
* ``waived``: a failing setting is accepted by a product waiver;
* ``failed``: a setting FAILs, a target test failed on this platform, or a
  recorded manual check failed;
* ``unknown``: the audit could not judge a setting;
* ``not applicable``: the build cannot have any of its settings.

A threat is ``mitigated`` (by a recommendation that is met), ``configured``
(only by configured ones), ``accepted by a waiver``, ``not mitigated`` (the
recommendations that apply to the build fail or cannot be judged, or nothing
applies), or ``left to the product`` (no recommendation applies to this build and
responsibilities mitigate it). A clause of a standard
follows its ``met_by``: ``left to the product``, ``not applicable``, or, for
configuration, the weakest verdict of its recommendations that apply.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from secguide.model.items import Clause, Recommendation, Standard, Threat, ThreatModel
from secguide.model.manual_records import ManualRecord
from secguide.trace.needs import verification_id
from secguide.trace.results import Outcome, Results, worst


class RecVerdict(enum.Enum):
    MET = "met"
    CONFIGURED = "configured"
    WAIVED = "waived"
    FAILED = "failed"
    UNKNOWN = "unknown"
    NOT_APPLICABLE = "not applicable"


class ThreatVerdict(enum.Enum):
    MITIGATED = "mitigated"
    CONFIGURED = "configured, not tested"
    WAIVED = "accepted by a waiver"
    PRODUCT = "left to the product"
    NOT_MITIGATED = "not mitigated"


class ClauseVerdict(enum.Enum):
    MET = "met"
    CONFIGURED = "configured, not tested"
    WAIVED = "accepted by a waiver"
    NOT_MET = "not met"
    PRODUCT = "left to the product"
    NOT_APPLICABLE = "not applicable"


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
    outcome: str  # e.g. "passed on nucleo_h753zi", "not run on nucleo_h753zi", "to be performed"


@dataclass(frozen=True, slots=True)
class RecommendationResult:
    recommendation: Recommendation
    verdict: RecVerdict
    settings: tuple[SettingCheck, ...]
    tests: tuple[TestCheck, ...]
    why: str


@dataclass(frozen=True, slots=True)
class ThreatResult:
    threat: Threat
    verdict: ThreatVerdict
    by: tuple[str, ...]  # the items that decide the verdict
    why: str


@dataclass(frozen=True, slots=True)
class ClauseResult:
    standard: Standard
    clause: Clause
    verdict: ClauseVerdict
    why: str


@dataclass(frozen=True, slots=True)
class BuildVerdicts:
    """Everything one build's evidence says, ready for the report templates."""

    platform: str
    recommendations: tuple[RecommendationResult, ...]
    threats: tuple[ThreatResult, ...]
    clauses: tuple[ClauseResult, ...]
    #: platforms the result files report, and how many suites each
    result_platforms: Mapping[str, int]

    def counts(self) -> dict[str, dict[str, int]]:
        def tally(values: Iterable[str], names: Iterable[str]) -> dict[str, int]:
            found = list(values)
            return {name: found.count(name) for name in names}
        return {
            "recommendations": tally((r.verdict.value for r in self.recommendations),
                                     (v.value for v in RecVerdict)),
            "threats": tally((t.verdict.value for t in self.threats),
                             (v.value for v in ThreatVerdict)),
            "clauses": tally((c.verdict.value for c in self.clauses),
                             (v.value for v in ClauseVerdict)),
        }

    def as_dict(self) -> dict[str, Any]:
        return {
            "platform": self.platform,
            "result_platforms": dict(sorted(self.result_platforms.items())),
            "counts": self.counts(),
            "recommendations": [{
                "id": r.recommendation.id, "title": r.recommendation.title,
                "verdict": r.verdict.value, "why": r.why,
                "settings": [{"symbol": s.symbol, "expected": s.expected, "verdict": s.verdict,
                              "actual": s.actual, "reason": s.reason,
                              "config_line": s.config_line} for s in r.settings],
                "verifications": [{"id": t.id, "kind": t.kind, "ref": t.ref,
                                   "outcome": t.outcome} for t in r.tests],
            } for r in self.recommendations],
            "threats": [{"id": t.threat.id, "title": t.threat.title,
                         "verdict": t.verdict.value, "by": list(t.by), "why": t.why}
                        for t in self.threats],
            "clauses": [{"standard": c.standard.name, "id": c.clause.id,
                         "clause": c.clause.clause, "title": c.clause.title,
                         "met_by": c.clause.met_by, "verdict": c.verdict.value, "why": c.why}
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


def _target_outcome(scenario: str, results: Results | None, board: str | None,
                    board_target: str | None, shown: str) -> tuple[Outcome, str]:
    runs = (results.platforms.get(scenario, {}) if results else {})
    here = [o for p, o in runs.items() if platform_matches(p, board, board_target)]
    if not here:
        return Outcome.NOT_RUN, f"not run on {shown}"
    outcome = worst(here)
    return outcome, f"{outcome.value} on {shown}"


def _tests(rec: Recommendation, results: Results | None, board: str | None,
           board_target: str | None, shown: str, manual: Mapping[str, ManualRecord]
           ) -> tuple[list[TestCheck], list[Outcome]]:
    checks: list[TestCheck] = []
    target: list[Outcome] = []
    for v in rec.verifications:
        if v.kind == "target-test":
            outcome, text = _target_outcome(v.ref, results, board, board_target, shown)
            target.append(outcome)
        elif v.kind == "manual-check":
            record = manual.get(v.id)
            text = record.text if record else "to be performed and recorded (person, date)"
            if record is not None and record.outcome == "failed":
                target.append(Outcome.FAILED)
        elif v.kind == "build-audit":
            continue  # the settings rows are this audit
        else:
            text = "verifies the guide, not this build"
        checks.append(TestCheck(verification_id(v), v.kind, v.ref, text))
    return checks, target


def _rec_verdict(settings: Sequence[SettingCheck], target: Sequence[Outcome]) -> tuple[
        RecVerdict, str]:
    judged = [s for s in settings if s.verdict != "NOT-APPLICABLE"]
    if not judged:
        return RecVerdict.NOT_APPLICABLE, "no setting applies to this build"
    failing = [s.symbol for s in judged if s.verdict == "FAIL"]
    if failing:
        return RecVerdict.FAILED, f"{', '.join(failing)} not as recommended"
    if any(o.is_bad for o in target):
        return RecVerdict.FAILED, "a target test or a recorded manual check failed"
    if any(s.verdict == "UNKNOWN" for s in judged):
        return RecVerdict.UNKNOWN, "the audit could not judge every setting"
    if any(s.verdict == "WAIVED" for s in judged):
        return RecVerdict.WAIVED, "a failing setting is accepted by a product waiver"
    if target and all(o is Outcome.PASSED for o in target):
        return RecVerdict.MET, "settings PASS and every target test passed on this platform"
    if not target:
        return RecVerdict.CONFIGURED, "settings PASS; the guide lists no target test"
    return RecVerdict.CONFIGURED, "settings PASS; target tests did not pass on this platform"


def recommendation_results(model: ThreatModel, profile: str,
                           audit: Mapping[str, Sequence[SettingCheck]],
                           results: Results | None, *, board: str | None,
                           board_target: str | None,
                           manual: Mapping[str, ManualRecord] | None = None,
                           ) -> list[RecommendationResult]:
    """One result per active recommendation of ``profile``; ``audit`` maps recommendation
    IDs to the audit's checks of their settings."""
    shown = board_target or board or "this build's platform"
    found = []
    for rec in model.recommendations:
        if rec.deprecation is not None or not model.in_profile(rec, profile):
            continue
        settings = tuple(audit.get(rec.id, ()))
        tests, target = _tests(rec, results, board, board_target, shown, manual or {})
        verdict, why = _rec_verdict(settings, target)
        found.append(RecommendationResult(rec, verdict, settings, tuple(tests), why))
    return found


_THREAT_ORDER = ((RecVerdict.MET, ThreatVerdict.MITIGATED),
                 (RecVerdict.CONFIGURED, ThreatVerdict.CONFIGURED),
                 (RecVerdict.WAIVED, ThreatVerdict.WAIVED))


def threat_results(model: ThreatModel,
                   recs: Sequence[RecommendationResult]) -> list[ThreatResult]:
    by_id = {r.recommendation.id: r for r in recs}
    found = []
    for threat in model.threats:
        mine = [by_id[m] for m in threat.mitigated_by if m in by_id]
        for rec_verdict, threat_verdict in _THREAT_ORDER:
            deciding = tuple(r.recommendation.id for r in mine if r.verdict is rec_verdict)
            if deciding:
                found.append(ThreatResult(threat, threat_verdict, deciding,
                                          f"{', '.join(deciding)}: {rec_verdict.value}"))
                break
        else:
            applying = tuple(r.recommendation.id for r in mine
                             if r.verdict is not RecVerdict.NOT_APPLICABLE)
            resps = tuple(m for m in threat.mitigated_by if m.startswith("RESP-"))
            if applying:
                found.append(ThreatResult(threat, ThreatVerdict.NOT_MITIGATED, applying,
                                          "the recommendations that apply do not hold: "
                                          + ", ".join(f"{by_id[i].recommendation.id} "
                                                      f"{by_id[i].verdict.value}"
                                                      for i in applying)))
            elif resps:
                found.append(ThreatResult(threat, ThreatVerdict.PRODUCT, resps,
                                          "no recommendation applies to this build; the "
                                          "product's responsibilities remain"))
            else:
                found.append(ThreatResult(threat, ThreatVerdict.NOT_MITIGATED, (),
                                          "nothing in this profile mitigates it for this "
                                          "build"))
    return found


_CLAUSE_RANK = (RecVerdict.FAILED, RecVerdict.UNKNOWN, RecVerdict.WAIVED,
                RecVerdict.CONFIGURED, RecVerdict.MET)
_CLAUSE_OF = {RecVerdict.FAILED: ClauseVerdict.NOT_MET, RecVerdict.UNKNOWN: ClauseVerdict.NOT_MET,
              RecVerdict.WAIVED: ClauseVerdict.WAIVED,
              RecVerdict.CONFIGURED: ClauseVerdict.CONFIGURED, RecVerdict.MET: ClauseVerdict.MET}


def clause_results(model: ThreatModel,
                   recs: Sequence[RecommendationResult]) -> list[ClauseResult]:
    by_id = {r.recommendation.id: r for r in recs}
    found = []
    for standard in model.standards:
        for clause in standard.clauses:
            if clause.met_by == "not-applicable":
                found.append(ClauseResult(standard, clause, ClauseVerdict.NOT_APPLICABLE,
                                          "the clause does not apply to an operating system"))
                continue
            if clause.met_by == "product":
                found.append(ClauseResult(standard, clause, ClauseVerdict.PRODUCT,
                                          f"hand over {', '.join(clause.responsibilities)}"))
                continue
            applying = [by_id[r] for r in clause.recommendations if r in by_id
                        and by_id[r].verdict is not RecVerdict.NOT_APPLICABLE]
            if not applying:
                found.append(ClauseResult(standard, clause, ClauseVerdict.NOT_MET,
                                          "none of its recommendations applies to this "
                                          "build or profile"))
                continue
            weakest = next(v for v in _CLAUSE_RANK if any(r.verdict is v for r in applying))
            deciding = [r.recommendation.id for r in applying if r.verdict is weakest]
            found.append(ClauseResult(standard, clause, _CLAUSE_OF[weakest],
                                      f"{', '.join(deciding)}: {weakest.value}"))
    return found


def build_verdicts(model: ThreatModel, profile: str,
                   audit: Mapping[str, Sequence[SettingCheck]], results: Results | None, *,
                   board: str | None, board_target: str | None,
                   manual: Mapping[str, ManualRecord] | None = None) -> BuildVerdicts:
    """Every verdict for one build; ``manual`` holds the records of manual checks
    performed on it (see :mod:`secguide.model.manual_records`)."""
    recs = recommendation_results(model, profile, audit, results, board=board,
                                  board_target=board_target, manual=manual)
    platforms: dict[str, int] = {}
    if results is not None:
        seen: set[tuple[str, str]] = set()
        for scenario, runs in results.platforms.items():
            for platform in runs:
                # a scenario is recorded under two spellings; count it once
                key = (scenario.rsplit("/", 1)[-1], platform)
                if key not in seen:
                    seen.add(key)
                    platforms[platform] = platforms.get(platform, 0) + 1
    return BuildVerdicts(board_target or board or "unknown", tuple(recs),
                         tuple(threat_results(model, recs)),
                         tuple(clause_results(model, recs)), platforms)
