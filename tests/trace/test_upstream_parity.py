"""``--rules upstream`` judges as Zephyr's ``hardenconfig`` does; bounds are exact.

hardenconfig (scripts/kconfig/hardenconfig.py with hardeninglib.py) reads a rule whose
symbol the build lacks, or whose prompt is not visible in the build, as NA; compares a
visible int/hex symbol as a number (``< min`` or ``> max`` FAIL, a bound on a value that
is not a number FAIL); and lists every option whose ``select`` of EXPERIMENTAL,
DEPRECATED or NOT_SECURE is active, recommending ``n``.
"""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.diagnostics import SourceLoc
from secguide.trace.audit import AuditRule, Verdict, audit_config
from secguide.zephyr.dotconfig import parse_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CONFIGS = SHARED / "builds" / "configs"
HARDENING = SHARED / "zephyr" / "upstream-hardening"
APPLICATION_BUILDS = sorted(p.name for p in CONFIGS.glob("*.config")
                            if not p.name.startswith("sysbuild"))
ARM = 'CONFIG_ARCH="arm"\nCONFIG_BOARD="b"\nCONFIG_ARCH_HAS_USERSPACE=y\n'
TODAY = datetime.date(2026, 6, 1)


def _upstream(symbol: str, value: str | None = None, **bounds: int) -> AuditRule:
    return AuditRule(id=f"hardening:{symbol}", origin="upstream", symbol=symbol, value=value,
                     minimum=bounds.get("minimum"), maximum=bounds.get("maximum"), title="t",
                     rationale="r", loc=SourceLoc("hardening.yaml", 1))


def _guide(symbol: str, **bounds: int) -> AuditRule:
    return AuditRule(id="REC-T", origin="guide", symbol=symbol, minimum=bounds.get("minimum"),
                     maximum=bounds.get("maximum"), title="t", rationale="r",
                     loc=SourceLoc("t.yaml", 1))


def _verdict(db: SymbolDB, text: str, rule: AuditRule) -> Verdict:
    config = parse_dotconfig(ARM + text, "b/.config")
    return audit_config(config, [rule], db, profile="strict", today=TODAY).results[0].verdict


def test_missing_or_promptless_symbols_are_na(db_v4: SymbolDB) -> None:
    # The guide fails a build that turned USERSPACE off; hardenconfig calls the rule NA.
    assert _verdict(db_v4, "# CONFIG_USERSPACE is not set\n",
                    _upstream("BOUNDS_CHECK_BYPASS_MITIGATION", "y")) is Verdict.NOT_APPLICABLE
    assert _verdict(db_v4, "", _upstream("SYS_HEAP_HARDENING_NONE", "n")) \
        is Verdict.NOT_APPLICABLE  # no such symbol in the build
    assert not db_v4.get("CPU_HAS_MPU").user_settable
    assert _verdict(db_v4, "# CONFIG_CPU_HAS_MPU is not set\n", _upstream("CPU_HAS_MPU", "y")) \
        is Verdict.NOT_APPLICABLE  # no prompt: not visible
    assert _verdict(db_v4, "# CONFIG_USERSPACE is not set\n", _upstream("USERSPACE", "y")) \
        is Verdict.FAIL


@pytest.mark.parametrize("make_rule", [_upstream, _guide], ids=["upstream", "guide"])
@pytest.mark.parametrize(("bounds", "value", "verdict"), [
    ({"minimum": 100}, "100", Verdict.PASS),  # exactly at the minimum
    ({"minimum": 100}, "99", Verdict.FAIL),
    ({"minimum": 100}, "0x64", Verdict.PASS),  # 100 written in hex
    ({"maximum": 64}, "64", Verdict.PASS),  # exactly at the maximum
    ({"maximum": 64}, "65", Verdict.FAIL),
    ({"maximum": 64}, "0", Verdict.PASS),
    ({"minimum": 8, "maximum": 64}, "8", Verdict.PASS),
    ({"minimum": 8, "maximum": 64}, "7", Verdict.FAIL),
    ({"minimum": 8, "maximum": 64}, "64", Verdict.PASS),
    ({"minimum": 8, "maximum": 64}, "65", Verdict.FAIL),
])
def test_bounds_are_inclusive(db_v4: SymbolDB, make_rule, bounds: dict[str, int], value: str,
                              verdict: Verdict) -> None:
    rule = make_rule("STACK_POINTER_RANDOM", **bounds)
    assert _verdict(db_v4, f"CONFIG_STACK_POINTER_RANDOM={value}\n", rule) is verdict


def test_a_bound_on_a_value_that_is_no_number_fails_as_upstream(db_v4: SymbolDB) -> None:
    rule = _upstream("STACK_POINTER_RANDOM", minimum=100)
    assert _verdict(db_v4, 'CONFIG_STACK_POINTER_RANDOM="x"\n', rule) is Verdict.FAIL


def _report(capsys: pytest.CaptureFixture[str], target: Path, fmt: str) -> dict:
    main(["audit", str(target), "--rules", "upstream", "--hardening", str(HARDENING),
          "--format", fmt, "--date", "2026-06-01"])
    return json.loads(capsys.readouterr().out)


_AS_HARDENCONFIG = {"PASS": "PASS", "FAIL": "FAIL", "WAIVED": "FAIL", "NOT-APPLICABLE": "NA",
                    "UNKNOWN": "UNKNOWN"}


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch, zephyr_v4_path: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))


def test_json_and_hardenconfig_json_agree_on_every_real_build(
        capsys: pytest.CaptureFixture[str]) -> None:
    every = {Path(b["config"]).name: b for b in _report(capsys, CONFIGS, "json")["builds"]}
    assert sorted(every) == APPLICATION_BUILDS
    for name in APPLICATION_BUILDS:
        as_json = {r["symbol"].removeprefix("CONFIG_"): _AS_HARDENCONFIG[r["result"]]
                   for r in every[name]["results"]}
        assert len(as_json) == len(every[name]["results"]), name  # one result per symbol
        hardenconfig = _report(capsys, CONFIGS / name, "hardenconfig-json")
        assert {o["name"]: o["result"] for o in hardenconfig["options"]} == as_json, name
        assert hardenconfig["fail_count"] == sum(r == "FAIL" for r in as_json.values()), name


def _always_selecting_experimental(tree: Path) -> set[str]:
    """Options whose Kconfig entry selects EXPERIMENTAL without a condition (read from the
    tree's text, not from secguide's symbol database)."""
    found, current = set(), None
    for path in tree.rglob("Kconfig*"):
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if match := re.match(r"\s*(?:menu)?config\s+(\w+)\s*$", line):
                current = match.group(1)
            elif re.match(r"\s*select\s+EXPERIMENTAL\s*$", line) and current:
                found.add(current)
    return found


def test_an_enabled_experimental_option_is_a_failure(
        capsys: pytest.CaptureFixture[str], zephyr_v4_path: Path) -> None:
    # The 4.2.99 build enables CONFIG_ZVFS, which selects EXPERIMENTAL: hardenconfig counts
    # it with the database's failures.
    text = (CONFIGS / "nucleo_h753zi-stepper.config").read_text()
    enabled = {m.group(1) for m in re.finditer(r"^CONFIG_(\w+)=y$", text, re.M)}
    experimental = _always_selecting_experimental(zephyr_v4_path) & enabled
    assert experimental == {"ZVFS"}
    report = _report(capsys, CONFIGS / "nucleo_h753zi-stepper.config", "hardenconfig-json")
    database = [o for o in report["options"] if o["origin"] == "database"]
    marker_failures = {o["name"] for o in report["options"]
                       if o["origin"] == "marker" and o["result"] == "FAIL"}
    assert marker_failures == experimental
    assert report["fail_count"] == sum(o["result"] == "FAIL" for o in database) + 1
