"""twister.json read to the testcase, and results of another Zephyr release flagged.

The files under /work/shared/builds/results are real twister runs (INDEX.tsv there):
r05 ran Zephyr v4.2.0-31-g663da2302b04 and failed to build, r06 ran v4.3.0 and passed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.codes import Code
from secguide.diagnostics import Severity
from secguide.trace.results import Outcome, load_results, release_mismatches, release_of

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "builds" / "results"
R05 = REAL / "r05-v4.2.0-native_sim.twister.json"
R06 = REAL / "r06-v4.3.0-native_sim64.twister.json"
R01_XML = REAL / "r01-v3.0.99-native_posix.twister_report.xml"


def test_real_passed_suite_with_passed_testcases_is_passed() -> None:
    results = load_results([R06])
    assert results.zephyr["app.color_math"] is Outcome.PASSED


def test_a_passed_suite_with_one_failed_testcase_is_failed(tmp_path: Path) -> None:
    report = json.loads(R06.read_text(encoding="utf-8"))
    suite = report["testsuites"][0]
    assert suite["status"] == "passed"
    suite["testcases"][3]["status"] = "failed"
    copy = tmp_path / "twister.json"
    copy.write_text(json.dumps(report), encoding="utf-8")
    results = load_results([copy])
    assert results.zephyr["app.color_math"] is Outcome.FAILED
    assert results.platforms["app.color_math"] == {"native_sim/native/64": Outcome.FAILED}


def test_a_passed_suite_with_a_blocked_testcase_is_an_error(tmp_path: Path) -> None:
    report = json.loads(R06.read_text(encoding="utf-8"))
    report["testsuites"][0]["testcases"][0]["status"] = "blocked"
    copy = tmp_path / "twister.json"
    copy.write_text(json.dumps(report), encoding="utf-8")
    assert load_results([copy]).zephyr["app.color_math"] is Outcome.ERROR


def test_real_build_failure_with_blocked_testcases_is_an_error() -> None:
    results = load_results([R05])
    assert results.zephyr["stm32h753zi_stepper.unit"] is Outcome.ERROR


def test_a_testcase_with_an_unknown_status_is_refused(tmp_path: Path) -> None:
    report = json.loads(R06.read_text(encoding="utf-8"))
    report["testsuites"][0]["testcases"][1]["status"] = "greenish"
    copy = tmp_path / "twister.json"
    copy.write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(Exception, match=r"testcases\[1\]: unknown status 'greenish'"):
        load_results([copy])


@pytest.mark.parametrize(("text", "release"), [
    ("v4.2.0-31-g663da2302b04", (4, 2, 0)), ("v4.3.0", (4, 3, 0)), ("4.2.99", (4, 2, 99)),
    ("", None), ("main", None)])
def test_release_of(text: str, release: tuple[int, int, int] | None) -> None:
    assert release_of(text) == release


def test_real_results_of_other_releases_are_flagged_naming_both() -> None:
    found = release_mismatches(load_results([R05, R06, R01_XML]), "4.2.99")
    assert [d.code for d in found] == [Code.RESULTS_OTHER_RELEASE] * 2
    assert all(d.severity is Severity.ERROR for d in found)
    assert "v4.2.0-31-g663da2302b04" in found[0].message and "4.2.99" in found[0].message
    assert found[0].loc.path.endswith("r05-v4.2.0-native_sim.twister.json")
    assert "v4.3.0" in found[1].message
    # the same tagged release: nothing to say
    assert release_mismatches(load_results([R06]), "4.3.0") == []
    # 31 commits after v4.2.0 is a development build, not 4.2.0; only its own commit matches
    [after_tag] = release_mismatches(load_results([R05]), "4.2.0")
    assert "a development build after 4.2.0 (31 commits later, commit 663da2302b04)" in (
        after_tag.message)
    assert release_mismatches(load_results([R05]), "v4.2.0-31-g663da2302b04") == []


def test_a_twister_json_naming_no_release_is_flagged(tmp_path: Path) -> None:
    report = json.loads(R06.read_text(encoding="utf-8"))
    del report["environment"]
    copy = tmp_path / "twister.json"
    copy.write_text(json.dumps(report), encoding="utf-8")
    [finding] = release_mismatches(load_results([copy]), "4.2.99")
    assert "no Zephyr release" in finding.message


def test_coverage_cli_flags_results_of_another_release(
        capsys: pytest.CaptureFixture[str], zephyr_v4_path: Path) -> None:
    args = ["coverage", "--threatmodel", str(REPO / "threatmodel"),
            "--zephyr-base", str(zephyr_v4_path)]
    assert main([*args, "--results", str(R05)]) == 1
    err = capsys.readouterr().err
    assert "[results-other-release]" in err and "v4.2.0-31-g663da2302b04" in err
    assert "Zephyr 4.2.99" in err


def test_build_evidence_names_the_release_of_its_results(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], zephyr_v4_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    config = REAL.parent / "configs" / "nucleo_h753zi-stepper.config"
    out = tmp_path / "ev"
    assert main(["evidence", str(config), "--threatmodel", str(REPO / "threatmodel"),
                 "--zephyr-base", str(zephyr_v4_path), "--results", str(R05),
                 "--zephyr-version", "v4.2.0-2572-g04dfa77d372d", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "r05-v4.2.0-native_sim.twister.json: not counted: another Zephyr release" in err
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["results"][0]["zephyr_version"] == "v4.2.0-31-g663da2302b04"
    assert manifest["results"][0]["use"] == "not counted: another Zephyr release"
    assert manifest["not_counted"][0].startswith(
        "r05-v4.2.0-native_sim.twister.json: not counted: another Zephyr release (it ran "
        "Zephyr v4.2.0-31-g663da2302b04, a development build after 4.2.0 (31 commits later")


def test_the_project_findings_hold_it_so_check_and_the_guide_build_agree(
        zephyr_v4_path: Path) -> None:
    from secguide.trace.project import Project

    project = Project.open(REPO / "threatmodel", zephyr_v4_path, results_files=[R06])
    codes = [d.code for d in project.findings(Severity.ERROR)]
    assert Code.RESULTS_OTHER_RELEASE in codes
    assert Project.open(REPO / "threatmodel", zephyr_v4_path,
                        results_files=[REPO / "tests/fixtures/results/twister.json"]
                        ).result_diagnostics == ()
