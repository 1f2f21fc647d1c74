"""Verdicts for one build: recommendation, threat and clause, from audit, results and the
product's declaration.

A small model written here (``build_fixtures.MODEL``), audit checks given directly (the
audit engine has its own tests): each rule of the module docstring of
``secguide.trace.build_verdicts`` is exercised once. The real builds are in
``tests/evidence/test_evidence_levels.py``.
"""

from __future__ import annotations

from pathlib import Path

from build_fixtures import AUDIT, check, toy_model, twister_results
from secguide.diagnostics import SourceLoc
from secguide.model.manual_records import ManualRecord
from secguide.model.product import Fulfilment
from secguide.trace.build_verdicts import (
    EvidenceVerdict,
    ResultUse,
    build_verdicts,
    platform_matches,
)
from secguide.trace.results import Outcome

BOARD = {"board": "nucleo_h753zi", "board_target": "nucleo_h753zi/stm32h753xx"}
HERE = "nucleo_h753zi/stm32h753xx"


def verdicts_of(result):
    return ({r.recommendation.id: r.verdict for r in result.recommendations},
            {t.threat.id: t.verdict for t in result.threats},
            {c.clause.id: c.verdict for c in result.clauses})


def test_without_a_declaration_product_items_stay_open(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    result = build_verdicts(model, "base", AUDIT, None, **BOARD)
    recs, threats, clauses = verdicts_of(result)
    # settings PASS: met; REC-C is for x86 only and audited NOT-APPLICABLE
    assert recs == {"REC-A": EvidenceVerdict.MET, "REC-B": EvidenceVerdict.MET,
                    "REC-C": EvidenceVerdict.NOT_APPLICABLE}
    assert threats["THR-ONE"] is EvidenceVerdict.MET
    rec_c = {r.recommendation.id: r for r in result.recommendations}["REC-C"]
    assert [t.outcome for t in rec_c.tests] == [
        "not needed: the recommendation does not apply to this build"]
    # REC-C does not apply; RESP-X remains (the arch is unknown, so not "another architecture")
    assert threats["THR-THREE"] is EvidenceVerdict.PRODUCT_OPEN
    assert {t.threat.id: t.open_items for t in result.threats}["THR-THREE"] == ("RESP-X",)
    assert threats["THR-FOUR"] is EvidenceVerdict.NOT_APPLICABLE
    assert clauses == {"CLS-TOY-1": EvidenceVerdict.MET, "CLS-TOY-2": EvidenceVerdict.PRODUCT_OPEN,
                       "CLS-TOY-3": EvidenceVerdict.NOT_APPLICABLE,
                       "CLS-TOY-4": EvidenceVerdict.NOT_APPLICABLE}


def test_a_responsibility_declared_with_a_reference_closes_its_item(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    done = {"RESP-X": Fulfilment("reviewed", "docs/x.md#review")}
    result = build_verdicts(model, "base", AUDIT, None, fulfilled=done, **BOARD)
    _, threats, clauses = verdicts_of(result)
    assert threats["THR-THREE"] is EvidenceVerdict.MET
    assert clauses["CLS-TOY-2"] is EvidenceVerdict.MET
    reason = {c.clause.id: c for c in result.clauses}["CLS-TOY-2"].reasons[0]
    assert (reason.item, reason.verdict) == ("RESP-X", EvidenceVerdict.MET)
    assert "docs/x.md#review" in reason.text


def test_another_architecture_makes_a_threat_not_applicable_despite_a_responsibility(
        tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    result = build_verdicts(model, "base", AUDIT, None, arch="arm", **BOARD)
    threat = {t.threat.id: t for t in result.threats}["THR-THREE"]
    assert threat.verdict is EvidenceVerdict.NOT_APPLICABLE
    assert threat.why.startswith("not applicable to this build: REC-C:")


def test_a_manual_check_without_a_record_is_an_open_product_item(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    audit = {**AUDIT, "REC-C": [check("X86_PAE", "PASS")]}
    result = build_verdicts(model, "base", audit, None, **BOARD)
    rec_c = {r.recommendation.id: r for r in result.recommendations}["REC-C"]
    assert rec_c.verdict is EvidenceVerdict.PRODUCT_OPEN and rec_c.open_items == ("TEST-MAN-C",)
    threat = {t.threat.id: t for t in result.threats}["THR-THREE"]
    assert threat.verdict is EvidenceVerdict.PRODUCT_OPEN
    assert threat.open_items == ("TEST-MAN-C", "RESP-X")

    passed = ManualRecord(id="TEST-MAN-C", by="Ada", date="2026-03-04", outcome="passed",
                          loc=SourceLoc("p.yaml", 9))
    done = build_verdicts(model, "base", audit, None, manual={"TEST-MAN-C": passed},
                          fulfilled={"RESP-X": Fulfilment("done", "ticket 12")}, **BOARD)
    assert verdicts_of(done)[1]["THR-THREE"] is EvidenceVerdict.MET

    failed = ManualRecord(id="TEST-MAN-C", by="Ada", date="2026-03-04", outcome="failed",
                          loc=SourceLoc("p.yaml", 9))
    broken = build_verdicts(model, "base", audit, None, manual={"TEST-MAN-C": failed}, **BOARD)
    rec_c = {r.recommendation.id: r for r in broken.recommendations}["REC-C"]
    assert rec_c.verdict is EvidenceVerdict.NOT_MET
    assert [t.outcome for t in rec_c.tests] == ["failed by Ada on 2026-03-04"]


def test_a_threat_is_as_weak_as_its_weakest_applicable_mitigation(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    audit = {**AUDIT, "REC-A": [check("STACK_CANARIES", "FAIL")]}
    result = build_verdicts(model, "base", audit, None, **BOARD)
    recs, threats, clauses = verdicts_of(result)
    assert (recs["REC-A"], recs["REC-B"]) == (EvidenceVerdict.NOT_MET, EvidenceVerdict.MET)
    assert threats["THR-ONE"] is EvidenceVerdict.NOT_MET  # REC-B holding does not hide REC-A
    assert clauses["CLS-TOY-1"] is EvidenceVerdict.NOT_MET
    assert "REC-A: CONFIG_STACK_CANARIES not as recommended" in (
        {t.threat.id: t.why for t in result.threats}["THR-ONE"])

    audit = {**AUDIT, "REC-A": [check("STACK_CANARIES", "WAIVED")],
             "REC-B": [check("STACK_SENTINEL", "UNKNOWN")]}
    recs, threats, _ = verdicts_of(build_verdicts(model, "base", audit, None, **BOARD))
    assert (recs["REC-A"], recs["REC-B"]) == (EvidenceVerdict.WAIVED, EvidenceVerdict.NOT_ASSESSED)
    assert threats["THR-ONE"] is EvidenceVerdict.NOT_ASSESSED


def test_a_recommendation_outside_the_profile_never_lowers_a_verdict(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    failing_d = {**AUDIT, "REC-D": [check("STACK_POINTER_RANDOM", "FAIL")]}
    base = build_verdicts(model, "base", failing_d, None, **BOARD)
    threat = {t.threat.id: t for t in base.threats}["THR-TWO"]
    assert threat.verdict is EvidenceVerdict.MET and threat.not_required == ("REC-D",)
    assert verdicts_of(build_verdicts(model, "strict", failing_d, None, **BOARD))[1][
        "THR-TWO"] is EvidenceVerdict.NOT_MET
    # a build that also passes the strict setting reads the same under strict as under base
    for profile in ("base", "strict"):
        assert verdicts_of(build_verdicts(model, profile, AUDIT, None, **BOARD))[1][
            "THR-TWO"] is EvidenceVerdict.MET


def test_a_failed_target_test_counts_only_on_this_platform_and_release(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    counted = build_verdicts(model, "base", AUDIT,
                             twister_results("v4.2.0", **{HERE: Outcome.FAILED}),
                             build_release="4.2.0", **BOARD)
    assert verdicts_of(counted)[0]["REC-A"] is EvidenceVerdict.NOT_MET
    assert verdicts_of(counted)[1]["THR-ONE"] is EvidenceVerdict.NOT_MET
    assert [u.use for u in counted.result_files] == [ResultUse.COUNTED]

    baseline = verdicts_of(build_verdicts(model, "base", AUDIT, None, **BOARD))
    other_release = build_verdicts(model, "base", AUDIT,
                                   twister_results("v4.4.0", **{HERE: Outcome.FAILED}),
                                   build_release="4.2.0", **BOARD)
    assert verdicts_of(other_release) == baseline
    [use] = other_release.result_files
    assert use.use is ResultUse.OTHER_RELEASE and use.runs_here == 1
    assert other_release.results_of_another_release
    assert "not counted: another Zephyr release" in other_release.excluded[0]
    rec_a = {r.recommendation.id: r for r in other_release.recommendations}["REC-A"]
    assert [t.outcome for t in rec_a.tests] == [
        "Zephyr test scenario kernel.memory_protection.stackprot (failed on "
        "nucleo_h753zi/stm32h753xx): not counted, not counted: another Zephyr release"]

    unknown_release = build_verdicts(model, "base", AUDIT,
                                     twister_results("v4.2.0", **{HERE: Outcome.FAILED}),
                                     **BOARD)
    assert verdicts_of(unknown_release) == baseline
    assert unknown_release.result_files[0].use is ResultUse.BUILD_RELEASE_UNKNOWN

    elsewhere = build_verdicts(model, "base", AUDIT,
                               twister_results("v4.2.0", qemu_x86=Outcome.FAILED),
                               build_release="4.2.0", **BOARD)
    assert verdicts_of(elsewhere) == baseline
    assert elsewhere.excluded == (f"twister.json: no run on {HERE}; its runs on other "
                                  "platforms are shown, not counted",)
    assert elsewhere.result_platforms == {"qemu_x86": 1}


def test_platform_names() -> None:
    assert platform_matches("nucleo_h753zi/stm32h753xx", "nucleo_h753zi", None)
    assert platform_matches("nrf9160dk@0.14.0/nrf9160/ns", "nrf9160dk", None)
    assert platform_matches("native_sim/native", None, "native_sim/native")
    assert not platform_matches("native_sim/native", "nucleo_h753zi",
                                "nucleo_h753zi/stm32h753xx")
    assert not platform_matches("qemu_x86", None, None)


def test_a_clause_keeps_its_responsibilities_when_its_recommendations_are_scoped_away(
        tmp_path: Path) -> None:
    from secguide.model.loader import load_threat_model

    model = toy_model(tmp_path)
    folder = tmp_path / "tm"
    (folder / "model.yaml").write_text((folder / "model.yaml").read_text().replace(
        "met_by: configuration,\n       recommendations: [REC-C]",
        "met_by: configuration,\n       recommendations: [REC-C], responsibilities: [RESP-X]"))
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    result = build_verdicts(model, "base", AUDIT, None, arch="arm", **BOARD)
    # THR-THREE: the x86 attack is absent on arm; CLS-TOY-4: the product still owes RESP-X
    assert verdicts_of(result)[1]["THR-THREE"] is EvidenceVerdict.NOT_APPLICABLE
    assert verdicts_of(result)[2]["CLS-TOY-4"] is EvidenceVerdict.PRODUCT_OPEN


def test_a_run_without_suites_is_called_empty_and_counts_nowhere(tmp_path: Path) -> None:
    model = toy_model(tmp_path)
    empty = build_verdicts(model, "base", AUDIT, twister_results("v4.2.0"),
                           build_release="4.2.0", **BOARD)
    [use] = empty.result_files
    assert use.use is ResultUse.EMPTY
    assert empty.excluded == ("twister.json: empty: holds no test (no test suite in the file)",)
