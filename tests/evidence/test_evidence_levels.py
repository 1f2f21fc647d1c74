"""EvidenceVerdict levels on the real builds of ../shared/builds: no verdict above what was proven.

Each build is audited with the guide's strict profile (``evidence``'s default, as
``audit``'s) and judged with no product declaration, as a new user's first pack is.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest

from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.audit import audit_config, guide_rules
from secguide.trace.build_verdicts import (
    BuildVerdicts,
    EvidenceVerdict,
    audit_checks,
    build_verdicts,
)
from secguide.trace.results import Results, load_results
from secguide.zephyr.dotconfig import read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]
BUILDS = REPO.parent / "shared" / "builds"
CONFIGS = sorted(p for p in (BUILDS / "configs").glob("*.config")
                 if not p.name.startswith("sysbuild-"))
R05 = BUILDS / "results" / "r05-v4.2.0-native_sim.twister.json"
R06 = BUILDS / "results" / "r06-v4.3.0-native_sim64.twister.json"
TODAY = datetime.date(2026, 6, 1)


@pytest.fixture(scope="module")
def model() -> ThreatModel:
    return load_threat_model(REPO / "threatmodel")[0]


def judge(path: Path, model: ThreatModel, db: SymbolDB, *, results: Results | None = None,
          release: str | None = None, profile: str = "strict") -> BuildVerdicts:
    config = read_dotconfig(path)
    audit = audit_config(config, guide_rules(model, profile), db, profile=profile,
                         renames=model.recorded_renames(), today=TODAY)
    return build_verdicts(model, profile, audit_checks(audit), results, board=audit.board,
                          board_target=audit.board_target, arch=audit.arch,
                          build_release=release)


def test_there_are_real_builds_to_judge() -> None:
    assert len(CONFIGS) == 19


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_without_a_declaration_nothing_met_names_a_product_item(
        path: Path, model: ThreatModel, db_v4: SymbolDB) -> None:
    verdicts = judge(path, model, db_v4)
    manual_of = {r.recommendation.id: {v.id for v in r.recommendation.verifications
                                       if v.kind == "manual-check"}
                 for r in verdicts.recommendations
                 if r.verdict is not EvidenceVerdict.NOT_APPLICABLE}
    for c in verdicts.clauses:
        if c.verdict is EvidenceVerdict.MET:
            assert not c.clause.responsibilities, c.clause.id
            assert not any(manual_of.get(r) for r in c.clause.recommendations), c.clause.id
    for t in verdicts.threats:
        if t.verdict is EvidenceVerdict.MET:
            assert not [m for m in t.threat.mitigated_by if m.startswith("RESP-")], t.threat.id
            assert not any(manual_of.get(m) for m in t.threat.mitigated_by), t.threat.id


@pytest.mark.parametrize("path", CONFIGS, ids=lambda p: p.stem)
def test_a_threat_with_a_failed_mitigation_is_never_mitigated(
        path: Path, model: ThreatModel, db_v4: SymbolDB) -> None:
    verdicts = judge(path, model, db_v4)
    recs = {r.recommendation.id: r.verdict for r in verdicts.recommendations}
    for t in verdicts.threats:
        if any(recs.get(m) is EvidenceVerdict.NOT_MET for m in t.threat.mitigated_by):
            assert t.verdict is EvidenceVerdict.NOT_MET, t.threat.id


def test_weak_randomness_follows_its_failed_entropy_driver(model: ThreatModel,
                                                          db_v4: SymbolDB) -> None:
    # frdm_mcxn947-skywatch sets CONFIG_ENTROPY_GENERATOR=n (the example)
    verdicts = judge(BUILDS / "configs" / "frdm_mcxn947-skywatch.config", model, db_v4)
    recs = {r.recommendation.id: r for r in verdicts.recommendations}
    assert recs["REC-RNG-ENTROPY-DRIVER"].verdict is EvidenceVerdict.NOT_MET
    threat = {t.threat.id: t for t in verdicts.threats}["THR-WEAK-RANDOMNESS"]
    assert threat.verdict is EvidenceVerdict.NOT_MET
    assert "REC-RNG-ENTROPY-DRIVER" in threat.why


def _on_this_board(source: Path, tmp_path: Path, model: ThreatModel) -> Path:
    """r05 rewritten as if every target test of the guide had failed on the stepper's board:
    the strongest results another release could hold."""
    report = json.loads(source.read_text(encoding="utf-8"))
    suite = report["testsuites"][0]
    scenarios = sorted({v.ref for r in model.recommendations for v in r.verifications
                        if v.kind == "target-test"})
    report["testsuites"] = [{**suite, "name": name, "platform": "nucleo_h753zi/stm32h753xx",
                             "status": "failed", "testcases": []} for name in scenarios]
    copy = tmp_path / "twister.json"
    copy.write_text(json.dumps(report), encoding="utf-8")
    return copy


def test_results_of_another_release_change_no_verdict(tmp_path: Path, model: ThreatModel,
                                                      db_v4: SymbolDB) -> None:
    stepper = BUILDS / "configs" / "nucleo_h753zi-stepper.config"
    release = "v4.2.0-2572-g04dfa77d372d"  # the stepper's version.h (INDEX.tsv)

    def levels(verdicts: BuildVerdicts) -> list[tuple[str, EvidenceVerdict]]:
        return ([(r.recommendation.id, r.verdict) for r in verdicts.recommendations]
                + [(t.threat.id, t.verdict) for t in verdicts.threats]
                + [(c.clause.id, c.verdict) for c in verdicts.clauses])

    without = levels(judge(stepper, model, db_v4, release=release))
    failing_here = _on_this_board(R05, tmp_path, model)
    for files in ([R05], [R06], [failing_here], [R05, R06, failing_here]):
        given = judge(stepper, model, db_v4, results=load_results(files), release=release)
        assert levels(given) == without
        assert given.results_of_another_release
        assert all(u.use.value.startswith("not counted") for u in given.result_files)
    # the same runs, stated as this build's own release, do count: the test above can fail
    own = json.loads(failing_here.read_text(encoding="utf-8"))
    own["environment"]["zephyr_version"] = release
    failing_here.write_text(json.dumps(own), encoding="utf-8")
    counted = judge(stepper, model, db_v4, results=load_results([failing_here]),
                    release=release)
    assert levels(counted) != without


def test_evidence_defaults_to_audits_strict_profile_so_a_ztest_build_is_not_secure_by_default(
        tmp_path: Path, zephyr_v4_path: Path) -> None:
    from secguide.cli.main import main

    ztest = BUILDS / "configs" / "native_posix-twister-ztest.config"  # CONFIG_ZTEST=y
    assert main(["evidence", str(ztest), "--out", str(tmp_path / "out"),
                 "--threatmodel", str(REPO / "threatmodel")]) == 0
    data = json.loads((tmp_path / "out" / "evidence.json").read_text())
    assert data["profile"] == "strict"
    clause = {c["id"]: c for c in data["clauses"]}["CLS-CRA-I-2B"]  # secure by default
    assert clause["verdict"] == "not met"
    assert "REC-DBG-NO-TEST-CODE: CONFIG_ZTEST" in clause["why"]


def test_a_clause_the_guide_does_not_address_is_not_assessed_with_the_reason(
        model: ThreatModel, db_v4: SymbolDB) -> None:
    verdicts = judge(BUILDS / "configs" / "nucleo_h753zi-stepper.config", model, db_v4)
    gaps = [c for c in verdicts.clauses if c.clause.met_by == "not-addressed"]
    assert gaps  # the crosswalk declares its gaps
    for clause in gaps:
        assert clause.verdict is EvidenceVerdict.NOT_ASSESSED
        assert clause.why.startswith("the guide does not address it (met_by: not-addressed): ")
        assert clause.why.endswith(" ".join(clause.clause.justification.split()))
