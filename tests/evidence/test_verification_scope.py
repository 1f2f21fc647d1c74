"""A verification verifies what it names: the whole recommendation or one of its settings."""

from __future__ import annotations

import csv
import dataclasses
import io
import json
from pathlib import Path

import pytest

from secguide.diagnostics import Severity
from secguide.evidence.export import InputFile, build_evidence
from secguide.model.loader import load_threat_model
from secguide.trace.coverage import compute_coverage
from secguide.trace.review import fingerprint, review_document
from secguide.trace.validate import validate_model
from secguide.trace.verification_ids import target_test_id
from secguide.zephyr.kconfig.symbols import SymbolDB

STACKPROT = target_test_id("kernel.memory_protection.stackprot")
MODEL = """\
recommendations:
  - id: REC-GUARD
    title: Guard the stacks
    area: general
    status: draft
    rationale: r
    settings:
      - symbol: CONFIG_HW_STACK_PROTECTION
        value: y
      - symbol: CONFIG_WATCHDOG
        value: y
    verification:
      - zephyr_test: kernel.memory_protection.stackprot
        setting: {scoped}
      - build_audit: production
"""


def _load(tmp_path: Path, scoped: str = "CONFIG_HW_STACK_PROTECTION"):
    folder = tmp_path / "tm"
    folder.mkdir(exist_ok=True)
    (folder / "recs.yaml").write_text(MODEL.format(scoped=scoped))
    model, diagnostics = load_threat_model(folder, display_base=tmp_path)
    assert diagnostics == []
    return model


@pytest.fixture
def evidence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return build_evidence(_load(tmp_path), zephyr_version="4.2.99", tree_fingerprint="f" * 64,
                          inputs=[InputFile("tm/recs.yaml", "0" * 64, "threatmodel")])


def test_a_setting_is_never_paired_with_a_test_of_its_sibling(
        evidence: dict[str, bytes]) -> None:
    rows = list(csv.DictReader(io.StringIO(evidence["traceability.csv"].decode("utf-8-sig"))))
    assert [(r["symbol"], r["verification"], r["verifies"]) for r in rows] == [
        ("CONFIG_HW_STACK_PROTECTION", STACKPROT, "setting"),
        ("CONFIG_HW_STACK_PROTECTION", "TEST-AUDIT-GUARD", "recommendation"),
        ("CONFIG_WATCHDOG", "TEST-AUDIT-GUARD", "recommendation"),
    ]


def test_needs_json_and_reqif_carry_the_scope(evidence: dict[str, bytes]) -> None:
    needs = json.loads(evidence["needs.json"])["versions"]["4.2.99"]["needs"]
    stackprot = STACKPROT
    assert needs["SET-GUARD-WATCHDOG"]["verified_by"] == ["TEST-AUDIT-GUARD"]
    assert needs["SET-GUARD-HW-STACK-PROTECTION"]["verified_by"] == [
        stackprot, "TEST-AUDIT-GUARD"]
    assert needs["REC-GUARD"]["verified_by"] == [stackprot, "TEST-AUDIT-GUARD"]
    assert needs[stackprot]["verifies"] == "SET-GUARD-HW-STACK-PROTECTION"
    assert needs["TEST-AUDIT-GUARD"]["verifies"] == "REC-GUARD"
    reqif = evidence["requirements.reqif"].decode()
    assert 'THE-VALUE="SET-GUARD-HW-STACK-PROTECTION"' in reqif


def test_shipped_form_without_prefix_is_accepted(tmp_path: Path, db_v4: SymbolDB) -> None:
    model = _load(tmp_path, scoped="HW_STACK_PROTECTION")
    assert model.recommendations[0].verifications[0].setting == "HW_STACK_PROTECTION"
    assert not [d for d in validate_model(model, db_v4) if d.severity is Severity.ERROR]


def test_a_setting_the_recommendation_lacks_is_an_error_at_its_line(
        tmp_path: Path, db_v4: SymbolDB) -> None:
    model = _load(tmp_path, scoped="CONFIG_STACK_CANARIES")
    errors = [d for d in validate_model(model, db_v4) if d.severity is Severity.ERROR]
    assert [(e.code, e.loc.line) for e in errors] == [("unknown-verified-setting", 14)]
    assert "CONFIG_STACK_CANARIES, which is not one of its settings" in errors[0].message


def test_coverage_judges_a_setting_only_by_what_verifies_it(tmp_path: Path) -> None:
    report = compute_coverage(_load(tmp_path))
    assert {s.symbol: [v.ref for v in s.verifications] for s in report.settings} == {
        "CONFIG_HW_STACK_PROTECTION": ["kernel.memory_protection.stackprot", "production"],
        "CONFIG_WATCHDOG": ["production"],
    }


def test_scoping_a_verification_changes_the_review_fingerprint_but_unscoped_ones_keep_it(
        tmp_path: Path, db_v4: SymbolDB) -> None:
    scoped = _load(tmp_path, scoped="HW_STACK_PROTECTION")
    rec = scoped.recommendations[0]
    unscoped = dataclasses.replace(rec, verifications=tuple(
        dataclasses.replace(v, setting="", setting_loc=None) for v in rec.verifications))
    document = review_document(unscoped, db_v4, scoped)
    # stamps made before 'setting:' existed covered verifications without that key
    assert all("setting" not in v for v in document["item"]["verifications"])
    assert fingerprint(rec, db_v4, scoped) != fingerprint(unscoped, db_v4, scoped)
