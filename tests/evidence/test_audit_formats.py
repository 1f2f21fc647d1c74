"""Each audit format read by the tool its readers use: sarif-tools, junitparser, the text
a person reads, and hardenconfig's JSON with upstream's meanings (issue: verdicts that hold)."""

from __future__ import annotations

import contextlib
import io
import json
import shutil
from pathlib import Path

import pytest
from junitparser import Error, Failure, JUnitXml, Skipped
from sarif import loader as sarif_loader

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO.parent / "shared" / "builds" / "configs"
HARDENING = REPO.parent / "shared" / "zephyr" / "upstream-hardening"
TELNET = CONFIGS / "nucleo_h753zi-telnet.config"
REAL_BUILDS = sorted(p for p in CONFIGS.glob("*.config") if not p.name.startswith("sysbuild"))


@pytest.fixture(autouse=True)
def _tree(monkeypatch: pytest.MonkeyPatch, zephyr_v4_path: Path) -> None:
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))


def _audit(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["audit", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


# -- SARIF -------------------------------------------------------------------------------------

def test_sarif_lists_what_needs_attention_and_counts_the_rest(capsys, tmp_path: Path,
                                                             monkeypatch) -> None:
    work = tmp_path / "product"
    (work / "build" / "zephyr").mkdir(parents=True)
    shutil.copy(TELNET, work / "build" / "zephyr" / ".config")
    monkeypatch.chdir(work)
    model = ("--threatmodel", str(REPO / "threatmodel"))
    _, json_out = _audit(capsys, "build", "--format", "json", *model)
    counts = json.loads(json_out)["builds"][0]["counts"]
    code, out = _audit(capsys, "build", "--format", "sarif", *model)
    assert code == 1
    run = json.loads(out)["runs"][0]
    shown = [r["properties"]["verdict"] for r in run["results"]]
    # default: only FAIL, WAIVED and UNKNOWN are results (alerts), the rest is counted
    assert set(shown) == {"FAIL", "UNKNOWN"}
    assert shown.count("FAIL") == counts["FAIL"] > 0
    assert shown.count("UNKNOWN") == counts["UNKNOWN"]
    assert run["properties"]["resultsLeftOut"] == {"PASS": counts["PASS"],
                                                   "NOT-APPLICABLE": counts["NOT-APPLICABLE"]}
    # the artifact is named relative to the working directory, as code scanning wants it
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "build/zephyr/.config", "uriBaseId": "%SRCROOT%"}
    assert "%SRCROOT%" in run["originalUriBaseIds"]
    _, everything = _audit(capsys, "build", "--format", "sarif", "--all", *model)
    listed = json.loads(everything)["runs"][0]["results"]
    assert len(listed) == sum(counts.values())


def test_sarif_rules_link_help_and_results_have_stable_fingerprints(capsys, tmp_path) -> None:
    first = tmp_path / "a.sarif"
    _audit(capsys, str(TELNET), "--format", "sarif", "-o", str(first))
    log = json.loads(first.read_text())
    run = log["runs"][0]
    canaries = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "REC-STACK-CANARIES")
    assert canaries["helpUri"] == ("https://docs.zephyrproject.org/latest/kconfig.html"
                                   "#CONFIG_STACK_CANARIES")
    prints = [r["partialFingerprints"]["secguideFinding/v1"] for r in run["results"]]
    assert len(set(prints)) == len(prints)  # one per result
    second = tmp_path / "b.sarif"
    _audit(capsys, str(TELNET), "--format", "sarif", "-o", str(second))
    assert second.read_bytes() == first.read_bytes()
    # outside the working directory the artifact is an absolute file URI, not a bare path
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == TELNET.resolve().as_uri() or uri.startswith("file:///")


def test_sarif_is_read_by_sarif_tools(capsys, tmp_path: Path) -> None:
    path = tmp_path / "audit.sarif"
    code, _ = _audit(capsys, str(TELNET), "--format", "sarif", "-o", str(path))
    assert code == 1
    expected = json.loads(_audit(capsys, str(TELNET), "--format", "json")[1])
    counts = expected["builds"][0]["counts"]
    sarif = sarif_loader.load_sarif_file(str(path))
    records = sarif.get_records()
    errors = [r for r in records if r["Severity"] == "error"]
    assert len(errors) == counts["FAIL"] + counts["WAIVED"]
    assert len(records) == counts["FAIL"] + counts["WAIVED"] + counts["UNKNOWN"]
    userspace = next(r for r in errors if "CONFIG_USERSPACE " in r["Description"])
    assert userspace["Line"] == 680 and "Fix in prj.conf: CONFIG_USERSPACE=y" in \
        userspace["Description"]


# -- JUnit -------------------------------------------------------------------------------------

def test_junit_read_by_junitparser_tells_unknown_from_not_applicable(capsys) -> None:
    nrf91 = CONFIGS / "nrf9160dk_ns-ssd1306.config"
    code, out = _audit(capsys, str(nrf91), "--format", "junit")
    assert code == 1
    counts = json.loads(_audit(capsys, str(nrf91), "--format", "json")[1])["builds"][0]["counts"]
    suite = next(iter(JUnitXml.fromstring(out.encode())))
    cases = list(suite)
    kinds: dict[str, list[str]] = {}
    for case in cases:
        for outcome in case.result:
            kinds.setdefault(type(outcome).__name__, []).append(outcome.type)
    assert kinds.get("Failure", []) == ["FAIL"] * counts["FAIL"]
    assert kinds.get("Error", []) == ["UNKNOWN"] * counts["UNKNOWN"]
    assert sorted(kinds.get("Skipped", [])) == ["NOT-APPLICABLE"] * counts["NOT-APPLICABLE"]
    assert (suite.failures, suite.errors, suite.skipped) == (
        counts["FAIL"], counts["UNKNOWN"], counts["NOT-APPLICABLE"] + counts["WAIVED"])
    # a reader splits the classname at its last dot: the board's own dots must not be there
    names = {case.classname for case in cases}
    assert names == {"secguide.audit.nrf9160dk@0_14_0/nrf9160/ns"}
    assert all(isinstance(o, Failure | Error | Skipped) for c in cases for o in c.result)


# -- text --------------------------------------------------------------------------------------

def test_text_starts_with_the_summary_and_groups_by_verdict(capsys) -> None:
    _, out = _audit(capsys, str(TELNET))
    lines = out.splitlines()
    assert lines[2].startswith("  summary: 23 FAIL, 0 WAIVED, ")
    headings = [line.strip().split(" (")[0] for line in lines if line.startswith("  ") and
                not line.startswith("   ") and "): " in line and "note: " not in line]
    assert headings == ["FAIL", "UNKNOWN", "UNKNOWN, later release"]
    # a bound is fixed by the bound itself, and the FAIL says so in prj.conf's own words
    assert ("    REC-STACK-POINTER-RANDOM CONFIG_STACK_POINTER_RANDOM: expected >= 100, "
            "actual 0 [line 840]\n      fix in prj.conf: CONFIG_STACK_POINTER_RANDOM=100\n"
            ) in out
    later = out.split("UNKNOWN, later release (")[1]
    assert "CONFIG_MBEDTLS_SSL_EARLY_DATA" in later  # 4.5.0 symbol, kept apart
    assert "CONFIG_MBEDTLS_SSL_EARLY_DATA" not in out.split("UNKNOWN, later release (")[0]


def test_many_builds_open_with_their_table(capsys) -> None:
    _, out = _audit(capsys, str(TELNET), str(CONFIGS / "qemu_x86-vehicleos.config"))
    first = out.splitlines()[0].split()
    assert first == ["build", "board", "FAIL", "WAIVD", "UNKN", "PASS", "N/A"]
    assert "2 builds audited, 2 with failures" in out.split("\n\n")[0]


# -- hardenconfig JSON -------------------------------------------------------------------------

def test_hardenconfig_json_keeps_upstreams_meanings(capsys) -> None:
    _, out = _audit(capsys, str(TELNET), "--format", "hardenconfig-json")
    options = json.loads(out)["options"]
    names = [o["name"] for o in options]
    assert len(names) == len(set(names))  # one option per symbol (USERSPACE is asked twice)
    userspace = next(o for o in options if o["name"] == "USERSPACE")
    assert userspace["recommendations"] == ["REC-MP-USERSPACE", "REC-MP-MEMORY-DOMAINS"]
    random = next(o for o in options if o["name"] == "STACK_POINTER_RANDOM")
    assert random["recommended"] == ">=100"  # upstream's spelling, no space
    assert all(not o["source"].startswith("/") for o in options)
    early = next(o for o in options if o["name"] == "MBEDTLS_SSL_EARLY_DATA")
    assert early["result"] == "UNKNOWN" and early["current"] is None  # never written as NA
    # an option left out of the .config because its dependencies fail is NA, current 'n'
    not_applicable = [o for o in options if o["result"] == "NA" and o["current"] is not None]
    assert not_applicable and all(o["visible"] is False for o in not_applicable)
    assert {o["current"] for o in not_applicable} <= {"n", ""}
    assert "n" in {o["current"] for o in not_applicable}


UPSTREAM = ("--rules", "upstream", "--hardening", str(HARDENING))


@pytest.fixture(scope="module")
def folder_verdicts(zephyr_v4_path: Path) -> dict[tuple[str, ...], dict[str, dict]]:
    """``audit --format json`` of every real build at once, per kind of rules: by file name,
    each symbol's verdicts."""
    found: dict[tuple[str, ...], dict[str, dict]] = {}
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))
        for extra in ((), UPSTREAM):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                main(["audit", str(CONFIGS), "--format", "json", *extra])
            builds = {}
            for build in json.loads(out.getvalue())["builds"]:
                verdicts: dict[str, list[str]] = {}
                for result in build["results"]:
                    verdicts.setdefault(result["symbol"].removeprefix("CONFIG_"), []).append(
                        result["result"])
                builds[Path(build["config"]).name] = verdicts
            found[extra] = builds
    return found


@pytest.mark.parametrize("config", REAL_BUILDS, ids=lambda p: p.stem)
def test_json_and_hardenconfig_json_agree_on_every_real_build(capsys, config: Path,
                                                              folder_verdicts) -> None:
    to_upstream = {"PASS": "PASS", "FAIL": "FAIL", "WAIVED": "FAIL", "NOT-APPLICABLE": "NA",
                   "UNKNOWN": "UNKNOWN"}
    rank = ["FAIL", "UNKNOWN", "PASS", "NA"]
    for extra in ((), UPSTREAM):
        verdicts = folder_verdicts[extra][config.name]
        _, out = _audit(capsys, str(config), "--format", "hardenconfig-json", *extra)
        report = json.loads(out)
        assert {o["name"] for o in report["options"]} == set(verdicts)
        for option in report["options"]:
            wanted = min((to_upstream[v] for v in verdicts[option["name"]]), key=rank.index)
            assert option["result"] == wanted, (config.name, option["name"])
        assert report["fail_count"] == sum(o["result"] == "FAIL" for o in report["options"])
