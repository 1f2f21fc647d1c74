"""Verdicts for one build: recommendation, threat and clause, from audit and target tests.

A small model written here, audit checks given directly (the audit engine has
its own tests), and twister results read from a fixture: each rule of the
module docstring of ``secguide.trace.build_verdicts`` is exercised once.
"""

from __future__ import annotations

from pathlib import Path

from build_fixtures import AUDIT, check, toy_model, twister_results
from secguide.trace.build_verdicts import (
    ClauseVerdict,
    RecVerdict,
    ThreatVerdict,
    build_verdicts,
    platform_matches,
)
from secguide.trace.results import Outcome


def test_a_target_test_counts_only_on_the_builds_platform(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    elsewhere = build_verdicts(model, "base", AUDIT, twister_results(qemu_x86=Outcome.PASSED),
                               board="nucleo_h753zi", board_target="nucleo_h753zi/stm32h753xx")
    verdict = {r.recommendation.id: r for r in elsewhere.recommendations}
    assert verdict["REC-A"].verdict is RecVerdict.CONFIGURED
    assert [t.outcome for t in verdict["REC-A"].tests] == ["not run on nucleo_h753zi/stm32h753xx"]
    assert elsewhere.result_platforms == {"qemu_x86": 1}

    here = build_verdicts(model, "base", AUDIT,
                          twister_results(**{"nucleo_h753zi/stm32h753xx": Outcome.PASSED}),
                          board="nucleo_h753zi", board_target="nucleo_h753zi/stm32h753xx")
    verdict = {r.recommendation.id: r for r in here.recommendations}
    assert verdict["REC-A"].verdict is RecVerdict.MET
    assert verdict["REC-B"].verdict is RecVerdict.CONFIGURED  # no target test listed
    assert verdict["REC-C"].verdict is RecVerdict.NOT_APPLICABLE
    assert [t.outcome for t in verdict["REC-C"].tests] == [
        "to be performed and recorded (person, date)"]
    threats = {t.threat.id: t for t in here.threats}
    assert threats["THR-ONE"].verdict is ThreatVerdict.MITIGATED
    assert threats["THR-ONE"].by == ("REC-A",)
    assert threats["THR-TWO"].verdict is ThreatVerdict.CONFIGURED
    assert threats["THR-THREE"].verdict is ThreatVerdict.PRODUCT
    assert threats["THR-FOUR"].verdict is ThreatVerdict.NOT_MITIGATED
    clauses = {c.clause.id: c.verdict for c in here.clauses}
    assert clauses == {"CLS-TOY-1": ClauseVerdict.CONFIGURED,  # the weakest of A and B
                       "CLS-TOY-2": ClauseVerdict.PRODUCT,
                       "CLS-TOY-3": ClauseVerdict.NOT_APPLICABLE,
                       "CLS-TOY-4": ClauseVerdict.NOT_MET}


def test_a_failing_setting_or_test_fails_and_is_not_hidden_by_a_responsibility(
        tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    audit = {**AUDIT, "REC-A": [check("STACK_CANARIES", "FAIL")],
             "REC-C": [check("X86_PAE", "FAIL")]}
    result = build_verdicts(model, "base", audit, None, board="b", board_target=None)
    verdict = {r.recommendation.id: r for r in result.recommendations}
    assert verdict["REC-A"].verdict is RecVerdict.FAILED
    threats = {t.threat.id: t for t in result.threats}
    # REC-C applies and fails: the threat is not mitigated, though a responsibility is listed
    assert threats["THR-THREE"].verdict is ThreatVerdict.NOT_MITIGATED
    assert "REC-C failed" in threats["THR-THREE"].why
    assert {c.clause.id: c.verdict for c in result.clauses}["CLS-TOY-1"] is ClauseVerdict.NOT_MET

    failed_test = build_verdicts(model, "base", AUDIT, twister_results(b=Outcome.FAILED), board="b",
                                 board_target=None)
    assert failed_test.recommendations[0].verdict is RecVerdict.FAILED


def test_waived_and_unknown_settings(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    audit = {**AUDIT, "REC-A": [check("STACK_CANARIES", "WAIVED")],
             "REC-B": [check("STACK_SENTINEL", "UNKNOWN")]}
    result = build_verdicts(model, "base", audit, None, board="b", board_target=None)
    verdict = {r.recommendation.id: r.verdict for r in result.recommendations}
    assert (verdict["REC-A"], verdict["REC-B"]) == (RecVerdict.WAIVED, RecVerdict.UNKNOWN)
    assert {t.threat.id: t.verdict for t in result.threats}["THR-ONE"] is ThreatVerdict.WAIVED


def test_platform_names() -> None:
    assert platform_matches("nucleo_h753zi/stm32h753xx", "nucleo_h753zi", None)
    assert platform_matches("nrf9160dk@0.14.0/nrf9160/ns", "nrf9160dk", None)
    assert platform_matches("native_sim/native", None, "native_sim/native")
    assert not platform_matches("native_sim/native", "nucleo_h753zi",
                                "nucleo_h753zi/stm32h753xx")
    assert not platform_matches("qemu_x86", None, None)


def test_a_recorded_failed_manual_check_fails_the_recommendation(tmp_path: Path) -> None:
    from secguide.diagnostics import SourceLoc
    from secguide.model.manual_records import ManualRecord

    model = toy_model(tmp_path)
    audit = {**AUDIT, "REC-C": [check("X86_PAE", "PASS")]}
    record = ManualRecord(id="TEST-MAN-C", by="Ada", date="2026-03-04", outcome="failed",
                          loc=SourceLoc("m.yaml", 2))
    result = build_verdicts(model, "base", audit, None, board="b", board_target=None,
                            manual={"TEST-MAN-C": record})
    rec_c = {r.recommendation.id: r for r in result.recommendations}["REC-C"]
    assert rec_c.verdict is RecVerdict.FAILED
    assert [t.outcome for t in rec_c.tests] == ["failed by Ada on 2026-03-04"]
