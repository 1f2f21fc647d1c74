"""The audit engine: verdicts on crafted builds, and on the 20 real builds of ../shared."""

from __future__ import annotations

import csv
import datetime
from pathlib import Path

import pytest

from secguide.diagnostics import SourceLoc
from secguide.model.hardening_db import load_hardening_db
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.model.product_waivers import ProductWaiver
from secguide.trace.audit import (
    AuditRule,
    Verdict,
    audit_config,
    guide_rules,
    marker_results,
    upstream_rules,
)
from secguide.zephyr.dotconfig import parse_dotconfig, read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
CONFIGS = SHARED / "builds" / "configs"
TODAY = datetime.date(2026, 6, 1)


@pytest.fixture(scope="module")
def model() -> ThreatModel:
    return load_threat_model(REPO / "threatmodel")[0]


def _rule(symbol: str, value: str | None = "y", **extra: object) -> AuditRule:
    return AuditRule(id="REC-T", origin="guide", symbol=symbol, value=value, title="t",
                     rationale="r", loc=SourceLoc("t.yaml", 3), **extra)


def _judge(db: SymbolDB, text: str, rule: AuditRule, **kwargs: object):
    config = parse_dotconfig(text, "b/.config")
    return audit_config(config, [rule], db, profile="base", today=TODAY, **kwargs).results[0]


ARM = 'CONFIG_ARCH="arm"\nCONFIG_BOARD="b"\n'


def test_pass_and_fail_carry_the_config_line(db_v4: SymbolDB) -> None:
    passed = _judge(db_v4, ARM + "CONFIG_STACK_CANARIES=y\n", _rule("STACK_CANARIES"))
    assert (passed.verdict, passed.actual, passed.config_loc) == (
        Verdict.PASS, "y", SourceLoc("b/.config", 3))
    failed = _judge(db_v4, ARM + "# CONFIG_STACK_CANARIES is not set\n", _rule("STACK_CANARIES"))
    assert (failed.verdict, failed.actual, failed.config_loc.line) == (Verdict.FAIL, "n", 3)
    assert failed.reason == "expected y, the build has n"


def test_bounds_and_numbers(db_v4: SymbolDB) -> None:
    rule = _rule("STACK_POINTER_RANDOM", None, minimum=100)
    assert _judge(db_v4, ARM + "CONFIG_STACK_POINTER_RANDOM=0x100\n", rule).verdict is Verdict.PASS
    low = _judge(db_v4, ARM + "CONFIG_STACK_POINTER_RANDOM=99\n", rule)
    assert low.verdict is Verdict.FAIL and low.reason == "expected >= 100, the build has 99"
    text = _judge(db_v4, ARM + 'CONFIG_STACK_POINTER_RANDOM="x"\n', rule)
    assert text.verdict is Verdict.UNKNOWN and "cannot be compared with >= 100" in text.reason
    zero = _judge(db_v4, ARM + "CONFIG_FAULT_DUMP=0\n", _rule("FAULT_DUMP", "0"))
    assert zero.verdict is Verdict.PASS


def test_missing_symbol_the_build_turned_off_fails(db_v4: SymbolDB) -> None:
    # USERSPACE has a prompt: the product turned it off, so the setting applies and fails.
    text = ARM + ("CONFIG_ARCH_HAS_USERSPACE=y\nCONFIG_SRAM_REGION_PERMISSIONS=y\n"
                  "CONFIG_RUNTIME_ERROR_CHECKS=y\n# CONFIG_USERSPACE is not set\n")
    result = _judge(db_v4, text, _rule("BOUNDS_CHECK_BYPASS_MITIGATION"))
    assert result.verdict is Verdict.FAIL
    assert result.reason == ("not in the build (so not y): it depends on USERSPACE; USERSPACE "
                             "does not hold (not set in this build: USERSPACE)")
    off = _judge(db_v4, text, _rule("BOUNDS_CHECK_BYPASS_MITIGATION", "n"))
    assert off.verdict is Verdict.PASS and off.reason.startswith("not in the build, so n: ")


def test_missing_symbol_the_target_rules_out_is_not_applicable(db_v4: SymbolDB) -> None:
    # X86_KPTI depends on !X86_NO_MELTDOWN, a CPU fact the x86 SoC selects.
    text = 'CONFIG_ARCH="x86"\nCONFIG_X86=y\nCONFIG_USERSPACE=y\nCONFIG_X86_NO_MELTDOWN=y\n'
    result = _judge(db_v4, text, _rule("X86_KPTI"))
    assert result.verdict is Verdict.NOT_APPLICABLE
    assert result.reason.startswith("not in the build: depends on ")
    assert result.reason == ("not in the build: depends on USERSPACE && !X86_NO_MELTDOWN && "
                             "X86; !X86_NO_MELTDOWN does not hold on this board target")
    # Without ARCH_HAS_USERSPACE the target rules out USERSPACE itself, and so the setting.
    bare = _judge(db_v4, ARM + "# CONFIG_USERSPACE is not set\n",
                  _rule("BOUNDS_CHECK_BYPASS_MITIGATION"))
    assert bare.verdict is Verdict.NOT_APPLICABLE
    assert bare.reason.endswith("USERSPACE does not hold on this board target (it lacks "
                                "USERSPACE, which needs ARCH_HAS_USERSPACE && "
                                "RUNTIME_ERROR_CHECKS && SRAM_REGION_PERMISSIONS)")


def test_no_prompt_mismatch_is_not_applicable(db_v4: SymbolDB) -> None:
    assert not db_v4.get("CPU_HAS_MPU").user_settable
    result = _judge(db_v4, ARM + "# CONFIG_CPU_HAS_MPU is not set\n", _rule("CPU_HAS_MPU"))
    assert result.verdict is Verdict.NOT_APPLICABLE and "has no prompt" in result.reason


def test_unknown_symbol_and_symbol_only_the_build_knows(db_v4: SymbolDB) -> None:
    unknown = _judge(db_v4, ARM, _rule("SYS_HEAP_HARDENING_NONE", "n", since="4.4.0"))
    assert unknown.verdict is Verdict.UNKNOWN
    assert "does not define CONFIG_SYS_HEAP_HARDENING_NONE" in unknown.reason
    assert "comes with Zephyr 4.4.0" in unknown.reason
    newer = _judge(db_v4, ARM + "# CONFIG_SYS_HEAP_HARDENING_NONE is not set\n",
                   _rule("SYS_HEAP_HARDENING_NONE", "n"))
    assert newer.verdict is Verdict.PASS and "only the build's own value" in newer.reason


def test_former_name_from_recorded_renames(db_v4: SymbolDB, model: ThreatModel) -> None:
    result = _judge(db_v4, ARM + "CONFIG_APPLICATION_MEMORY=y\n", _rule("USERSPACE"),
                    renames=model.recorded_renames())
    assert (result.verdict, result.found_as) == (Verdict.PASS, "APPLICATION_MEMORY")
    assert "judged by CONFIG_APPLICATION_MEMORY" in result.reason


def test_architecture_hardware_and_build_kind_exclusions(db_v4: SymbolDB) -> None:
    x86_only = _judge(db_v4, ARM + "CONFIG_X86_PAE=y\n", _rule("X86_PAE", architectures=("x86",)))
    assert x86_only.verdict is Verdict.NOT_APPLICABLE
    assert x86_only.reason == "applies to x86; this build's architecture is arm"
    riscv = _judge(db_v4, 'CONFIG_ARCH="riscv32"\nCONFIG_X=y\n',
                   _rule("X", architectures=("riscv",)))
    assert riscv.verdict is not Verdict.NOT_APPLICABLE
    no_mpu = _judge(db_v4, ARM + "CONFIG_USERSPACE=y\n", _rule("USERSPACE", hardware=("mpu",)))
    assert no_mpu.verdict is Verdict.NOT_APPLICABLE and "needs mpu hardware" in no_mpu.reason
    mpu = _judge(db_v4, ARM + "CONFIG_CPU_HAS_MPU=y\nCONFIG_USERSPACE=y\n",
                 _rule("USERSPACE", hardware=("mpu", "mmu")))
    assert mpu.verdict is Verdict.PASS
    debug = _judge(db_v4, ARM + "CONFIG_LOG=y\n", _rule("LOG", "n", builds=("production",)),
                   build_kind="debug")
    assert debug.verdict is Verdict.NOT_APPLICABLE


def _waiver(expires: datetime.date, **match: str) -> ProductWaiver:
    return ProductWaiver(reason="service shell", approver="Jane", expires=expires,
                         loc=SourceLoc("w.yaml", 2), **match)


def test_waivers_waive_only_until_they_expire(db_v4: SymbolDB) -> None:
    text = ARM + "CONFIG_SHELL=y\n"
    rule = _rule("SHELL", "n")
    waived = _judge(db_v4, text, rule, waivers=[_waiver(TODAY, recommendation="REC-T")])
    assert waived.verdict is Verdict.WAIVED
    assert waived.reason == "waived until 2026-06-01 by Jane: service shell"
    expired = _judge(db_v4, text, rule,
                     waivers=[_waiver(TODAY - datetime.timedelta(days=1), symbol="SHELL")])
    assert expired.verdict is Verdict.FAIL and "w.yaml:2 expired on 2026-05-31" in expired.reason
    other = _judge(db_v4, text, rule, waivers=[_waiver(TODAY, symbol="LOG")])
    assert other.verdict is Verdict.FAIL


def _index() -> list[dict[str, str]]:
    with (CONFIGS / "INDEX.tsv").open(newline="") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


@pytest.mark.parametrize("row", _index(), ids=lambda row: row["short_id"])
def test_every_real_build_gets_a_verdict_per_recommendation(row: dict[str, str], db_v4: SymbolDB,
                                                            model: ThreatModel) -> None:
    config = read_dotconfig(CONFIGS / f"{row['short_id']}.config")
    rules = guide_rules(model, "strict")
    audit = audit_config(config, rules, db_v4, profile="strict", today=TODAY,
                         renames=model.recorded_renames())
    assert len(audit.results) == len(rules) > 40
    assert audit.config_diagnostics == ()
    if config.is_sysbuild:  # SB_CONFIG_ names are sysbuild's, not the application's
        assert audit.count(Verdict.NOT_APPLICABLE) == len(rules)
        return
    assert audit.arch and audit.arch.startswith(row["arch"].removesuffix("64")[:3])
    judged = [r for r in audit.results if r.verdict in (Verdict.PASS, Verdict.FAIL)]
    assert len(judged) > 15
    for result in judged:
        if result.actual is None:  # judged by its absence: the reason says what is off
            assert result.reason.startswith("not in the build"), result.reason
            continue
        # a judged value points at the .config line that holds it
        line = (CONFIGS / f"{row['short_id']}.config").read_text().splitlines()[
            result.config_loc.line - 1]
        assert result.found_as in line


def test_real_x86_build_verdicts(db_v4: SymbolDB, model: ThreatModel) -> None:
    config = read_dotconfig(CONFIGS / "qemu_x86-vehicleos.config")
    audit = audit_config(config, guide_rules(model, "strict"), db_v4, profile="strict",
                         today=TODAY)
    by_symbol = {r.rule.symbol: r for r in audit.results}
    assert by_symbol["X86_PAE"].verdict is Verdict.PASS  # CONFIG_X86_PAE=y in the file
    assert by_symbol["USERSPACE"].verdict is Verdict.FAIL
    assert by_symbol["USERSPACE"].config_loc.line == 480
    assert by_symbol["FAULT_DUMP"].verdict is Verdict.NOT_APPLICABLE  # arm only
    # KPTI needs USERSPACE, which this build turned off: the setting applies and fails
    assert by_symbol["X86_KPTI"].verdict is Verdict.FAIL
    assert "not set in this build: USERSPACE" in by_symbol["X86_KPTI"].reason


def test_profiles_select_rules(model: ThreatModel) -> None:
    base, strict = guide_rules(model, "base"), guide_rules(model, "strict")
    assert {r.id for r in base} < {r.id for r in strict}
    assert all("strict" not in r.profiles or "base" in r.profiles for r in base)


def test_upstream_rules_on_a_real_build(db_v4: SymbolDB) -> None:
    hardening = load_hardening_db(SHARED / "zephyr" / "upstream-hardening")
    rules = upstream_rules(hardening, "base")
    assert len(rules) == 77 and len(upstream_rules(hardening, "strict")) == 119
    config = read_dotconfig(CONFIGS / "nucleo_h753zi-telnet.config")
    audit = audit_config(config, rules, db_v4, profile="base", rules_from="upstream",
                         today=TODAY)
    canaries = next(r for r in audit.results if r.rule.symbol == "STACK_CANARIES")
    assert (canaries.verdict, canaries.actual, canaries.config_loc.line) == (
        Verdict.FAIL, "n", 839)
    assert canaries.rule.id == "hardening:STACK_CANARIES"
    assert (canaries.rule.loc.path.endswith("upstream-hardening/kernel/hardening.yaml"),
            canaries.rule.loc.line) == (True, 44)


def test_markers_list_options_selecting_a_marker_as_hardenconfig_does(
        db_v4: SymbolDB) -> None:
    config = read_dotconfig(CONFIGS / "nucleo_h753zi-telnet.config")
    found = {r.rule.id: r for r in marker_results(config, db_v4)}
    # CONFIG_SHELL_TELNET_SUPPORT_COMMAND=y at line 1536; the tree's Kconfig has it select
    # EXPERIMENTAL without a condition: enabled, so FAIL, as hardenconfig counts it.
    telnet = found["marker:EXPERIMENTAL:SHELL_TELNET_SUPPORT_COMMAND"]
    assert (telnet.verdict, telnet.actual, telnet.config_loc.line) == (Verdict.FAIL, "y", 1536)
    assert telnet.reason == "enabled; in Zephyr 4.2.99 (the tree) it selects CONFIG_EXPERIMENTAL"
    for result in found.values():  # a PASS is an option the build turned off
        value = config.get(result.rule.symbol)
        if result.verdict is Verdict.PASS:
            assert value is None or not value.is_set
        if result.verdict is Verdict.FAIL:
            assert value is not None and value.is_set
    ruled = marker_results(config, db_v4, frozenset({"SHELL_TELNET_SUPPORT_COMMAND"}))
    assert "SHELL_TELNET_SUPPORT_COMMAND" not in {r.rule.symbol for r in ruled}
    # The one NOT_SECURE option needs WIFI_NM_WPA_SUPPLICANT: it selects only where that holds.
    insecure = "WIFI_NM_WPA_SUPPLICANT_CRYPTO_ENTERPRISE"
    assert db_v4.get("NOT_SECURE").selected_by == (insecure,)
    on = parse_dotconfig(f"CONFIG_WIFI_NM_WPA_SUPPLICANT=y\nCONFIG_{insecure}=y\n", "c")
    assert [(r.rule.id, r.verdict) for r in marker_results(on, db_v4)
            if r.rule.symbol == insecure] == [(f"marker:NOT_SECURE:{insecure}", Verdict.FAIL)]
    off = parse_dotconfig(f"CONFIG_{insecure}=y\n", "c")
    assert insecure not in {r.rule.symbol for r in marker_results(off, db_v4)}
    plain = audit_config(config, [], db_v4, profile="base", today=TODAY)
    assert plain.results == ()  # markers only when asked (upstream rules, as hardenconfig)


def test_build_release_decides_settings_of_later_releases(db_v4: SymbolDB) -> None:
    rule = _rule("SYS_HEAP_HARDENING_NONE", "n", since="4.4.0")
    older = _judge(db_v4, ARM, rule, build_version="3.7.0")
    assert older.verdict is Verdict.NOT_APPLICABLE
    assert older.reason == "CONFIG_SYS_HEAP_HARDENING_NONE comes with Zephyr 4.4.0; this build " \
                           "is Zephyr 3.7.0"
    assert _judge(db_v4, ARM, rule, build_version="4.4.0").verdict is Verdict.UNKNOWN
    assert _judge(db_v4, ARM, rule).verdict is Verdict.UNKNOWN
