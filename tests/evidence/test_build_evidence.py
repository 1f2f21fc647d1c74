"""``secguide evidence``: one real build with real twister results, end to end."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from reqif.parser import ReqIFParser

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared" / "builds"
CONFIG = SHARED / "configs" / "nucleo_h753zi-stepper.config"
TWISTER = SHARED / "results" / "r05-v4.2.0-native_sim.twister.json"


def run_evidence(out: Path, *extra: str, config: Path = CONFIG, cwd: Path | None = None) -> int:
    previous = Path.cwd()
    os.chdir(cwd or previous)
    try:
        return main(["evidence", str(config), "--results", str(TWISTER), "--out", str(out),
                     "--threatmodel", str(REPO / "threatmodel"), *extra])
    finally:
        os.chdir(previous)


@pytest.fixture(scope="module")
def evidence(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> Path:
    out = tmp_path_factory.mktemp("ev") / "out"
    os.environ["SOURCE_DATE_EPOCH"] = "1767225600"
    try:
        # r05 ran another Zephyr release than this build: the pack is written, exit 1
        assert run_evidence(out) == 1
    finally:
        del os.environ["SOURCE_DATE_EPOCH"]
    return out


def test_every_file_is_written(evidence: Path) -> None:
    assert sorted(p.name for p in evidence.iterdir()) == sorted(
        ["report.html", "report.pdf", "evidence.json", "verdicts.csv", "needs.json",
         "requirements.reqif", "manifest.json"])
    pdf = (evidence / "report.pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and pdf.count(b"/Type /Page\n") >= 3


def test_byte_identical_from_another_working_directory(evidence: Path, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    again = tmp_path / "again"
    assert run_evidence(again, cwd=tmp_path) == 1
    for name in sorted(p.name for p in evidence.iterdir()):
        assert (again / name).read_bytes() == (evidence / name).read_bytes(), name


def test_the_verdicts_say_what_this_build_shows(evidence: Path) -> None:
    data = json.loads((evidence / "evidence.json").read_text())
    assert data["build"]["board_target"] == "nucleo_h753zi/stm32h753xx"
    assert data["profile"] == "strict"  # the default, as for audit
    # the twister results are for native_sim, of another release: shown, counted nowhere
    assert data["result_platforms"] == {"native_sim/native": 1}
    [used] = data["results"]["files"]
    assert used["use"] == "not counted: the build's Zephyr release is not known"
    assert used["runs_on_this_platform"] == 0
    recs = {r["id"]: r for r in data["recommendations"]}
    userspace = recs["REC-MP-USERSPACE"]
    assert userspace["verdict"] == "not met"
    assert userspace["settings"][0]["verdict"] == "FAIL"
    assert userspace["settings"][0]["actual"] == "n"
    threats = {t["id"]: t for t in data["threats"]}
    assert threats["THR-PRIVILEGE-ESCALATION"]["verdict"] == "not met"
    assert {r["item"]: r["verdict"] for r in threats["THR-PRIVILEGE-ESCALATION"]["reasons"]}[
        "REC-MP-USERSPACE"] == "not met"
    # no Bluetooth in this build and no product item left: not applicable, with the reason
    assert threats["THR-BT-BOND-OVERWRITE"]["verdict"] == "not applicable to this build"
    # its recommendations are scoped to Bluetooth (applies_to.when): the product's pairing
    # responsibility does not keep a threat of an absent subsystem open
    assert threats["THR-BT-PAIRING-DOWNGRADE"]["verdict"] == "not applicable to this build"
    assert "REC-BT-SECURE-CONNECTIONS-ONLY: " in threats["THR-BT-PAIRING-DOWNGRADE"]["why"]
    clauses = {c["id"]: c for c in data["clauses"]}
    # no declaration: the product's own clause is open, naming what is open
    assert clauses["CLS-EN303645-5-1-1"]["verdict"] == "configuration met, product items open"
    assert clauses["CLS-EN303645-5-1-1"]["open_items"] == ["RESP-UNIQUE-CREDENTIALS"]
    assert clauses["CLS-EN18031-NMM-1"]["verdict"] == "not applicable to this build"
    assert clauses["CLS-CRA-I-2D"]["verdict"] == "not met"  # REC-MP-USERSPACE fails


def test_manifest_pins_every_input(evidence: Path) -> None:
    import hashlib

    manifest = json.loads((evidence / "manifest.json").read_text())
    assert manifest["build"]["sha256"] == hashlib.sha256(CONFIG.read_bytes()).hexdigest()
    roles = {entry["role"] for entry in manifest["inputs"]}
    assert roles == {"config", "results", "threatmodel"}
    assert manifest["results"][0]["sha256"] == hashlib.sha256(TWISTER.read_bytes()).hexdigest()
    assert len(manifest["model"]["commit"]) == 40
    assert manifest["zephyr"]["tree_fingerprint"]
    assert manifest["libraries"]["fpdf2"] and manifest["libraries"]["jinja2"]
    outputs = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    assert outputs["report.pdf"] == hashlib.sha256(
        (evidence / "report.pdf").read_bytes()).hexdigest()


def test_reqif_objects_are_typed(evidence: Path) -> None:
    bundle = ReqIFParser.parse_from_string((evidence / "requirements.reqif").read_text())
    content = bundle.core_content.req_if_content
    types = {t.identifier: t.long_name for t in content.spec_types
             if t.identifier.startswith("SOT-")}
    # every need type of the needs.json beside it, the scope's items included
    assert set(types.values()) == {"threat", "responsibility", "requirement", "setting",
                                   "verification", "clause", "assumption", "adversary",
                                   "out-of-scope", "asset"}
    kinds = {o.identifier: o.spec_object_type for o in content.spec_objects}
    assert kinds["SO-REC-MP-USERSPACE"] == "SOT-REQUIREMENT"
    assert kinds["SO-CLS-CRA-I-2D"] == "SOT-CLAUSE"
    assert kinds["SO-THR-PRIVILEGE-ESCALATION"] == "SOT-THREAT"
    clause_attrs = {a.definition_ref for o in content.spec_objects
                    if o.identifier == "SO-CLS-CRA-I-2D" for a in o.attributes}
    assert "AD-CLAUSE-MET-BY" in clause_attrs and "AD-CLAUSE-SYMBOL" not in clause_attrs


def test_untrusted_text_is_inert_in_the_html(tmp_path: Path, zephyr_v4_path: Path) -> None:
    hostile = tmp_path / "hostile.config"
    text = CONFIG.read_text().replace('CONFIG_BOARD="nucleo_h753zi"',
                                      'CONFIG_BOARD="<script>alert(1)</script>"')
    assert text != CONFIG.read_text()
    hostile.write_text(text)
    assert run_evidence(tmp_path / "out", config=hostile) == 1
    page = (tmp_path / "out" / "report.html").read_text()
    assert "<script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_bad_arguments_are_one_line_and_exit_2(tmp_path: Path, zephyr_v4_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    assert run_evidence(tmp_path / "o", config=tmp_path / "missing.config") == 2
    assert "no such file or folder" in capsys.readouterr().err
    assert run_evidence(tmp_path / "o", "--profile", "paranoid") == 2
    assert "--profile paranoid: not a profile" in capsys.readouterr().err
    sysbuild = SHARED / "configs" / "sysbuild-nrf21540dk-tasking.config"
    assert run_evidence(tmp_path / "o", config=sysbuild) == 2
    assert "a sysbuild top-level .config (SB_CONFIG_*)" in capsys.readouterr().err
    empty = tmp_path / "build"
    empty.mkdir()
    assert run_evidence(tmp_path / "o", config=empty) == 2
    assert not (tmp_path / "o").exists()
    build = tmp_path / "b" / "zephyr"
    build.mkdir(parents=True)
    shutil.copy(CONFIG, build / ".config")
    assert run_evidence(tmp_path / "o", config=tmp_path / "b") == 1


def test_manual_check_records_name_a_person_and_a_date(tmp_path: Path, zephyr_v4_path: Path,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    records = tmp_path / "manual.yaml"
    records.write_text("manual_checks:\n"
                       "  - id: TEST-MAN-USER-THREADS\n"
                       "    by: Jane Doe\n"
                       "    date: 2026-03-04\n"
                       "    outcome: passed\n")
    assert run_evidence(tmp_path / "out", "--manual", str(records)) == 1
    data = json.loads((tmp_path / "out" / "evidence.json").read_text())
    userspace = {r["id"]: r for r in data["recommendations"]}["REC-MP-USERSPACE"]
    assert {v["id"]: v["outcome"] for v in userspace["verifications"]}[
        "TEST-MAN-USER-THREADS"] == "passed by Jane Doe on 2026-03-04"
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert "manual-checks" in {entry["role"] for entry in manifest["inputs"]}

    records.write_text("manual_checks:\n"
                       "  - id: TEST-MAN-USER-THREADS\n"
                       "    by: Jane Doe\n"
                       "    date: 2026-02-30\n"
                       "    outcome: fine\n"
                       "  - id: TEST-MAN-NOT-IN-THE-GUIDE\n"
                       "    by: Jane Doe\n"
                       "    date: 2026-03-04\n"
                       "    outcome: passed\n")
    assert run_evidence(tmp_path / "bad", "--manual", str(records)) == 2
    err = capsys.readouterr().err
    assert ":4:11: error: '2026-02-30' is not a date" in err
    assert ":5:14: error: 'fine' is not allowed for 'outcome'" in err
    assert ":6:9: error: TEST-MAN-NOT-IN-THE-GUIDE is not a manual check of the guide" in err
    assert not (tmp_path / "bad").exists()


def test_results_of_the_builds_own_platform_and_release_count(tmp_path: Path,
                                                             zephyr_v4_path: Path) -> None:
    config = SHARED / "configs" / "native_sim64-twister-color_math.config"
    twister = SHARED / "results" / "r06-v4.3.0-native_sim64.twister.json"
    args = ["evidence", str(config), "--results", str(twister),
            "--threatmodel", str(REPO / "threatmodel")]
    # INDEX.tsv: this build is Zephyr 4.3.0 (its version.h), as is r06
    assert main([*args, "--zephyr-version", "v4.3.0", "--out", str(tmp_path / "out")]) == 0
    data = json.loads((tmp_path / "out" / "evidence.json").read_text())
    assert data["build"]["board_target"] == "native_sim/native/64"
    assert list(data["result_platforms"]) == ["native_sim/native/64"]
    [used] = data["results"]["files"]
    assert (used["use"], used["runs_on_this_platform"]) == ("counted", 1)
    assert data["results"]["excluded"] == []
    page = (tmp_path / "out" / "report.html").read_text()
    assert "counted toward no verdict" not in page
    # without saying which release the build is, nothing can count
    assert main([*args, "--out", str(tmp_path / "unknown")]) == 1


def test_an_asset_is_not_met_when_one_threat_against_it_is_not(evidence: Path) -> None:
    # the telnet build has CONFIG_USERSPACE=n: THR-PRIVILEGE-ESCALATION is not met, and
    # assets.yaml's AST-KERNEL-MEMORY, which it endangers, with it
    data = json.loads((evidence / "evidence.json").read_text())
    assets = {a["id"]: a for a in data["assets"]}
    kernel = assets["AST-KERNEL-MEMORY"]
    assert kernel["verdict"] == "not met"
    assert "THR-PRIVILEGE-ESCALATION: not met" in kernel["why"]
    assert "THR-PRIVILEGE-ESCALATION" in kernel["threats"]
    assert sum(data["counts"]["assets"].values()) == len(assets) == 10
    rows = (evidence / "verdicts.csv").read_text(encoding="utf-8-sig").splitlines()
    assert any(row.startswith("asset,AST-KERNEL-MEMORY,") and ",not met," in row
               for row in rows)
    page = (evidence / "report.html").read_text()
    row = page.split('<tr id="AST-KERNEL-MEMORY">', 1)[1].split("</tr>", 1)[0]
    assert 'class="v v-not-met">not met<' in row
    assert '<a href="#THR-PRIVILEGE-ESCALATION">' in row
