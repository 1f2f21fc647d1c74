"""Verdicts that hold on the real builds of ../shared: choices, and what NOT-APPLICABLE may mean.

Each expectation below was worked out by reading the ``.config`` and the v4.2.99
Kconfig, not copied from the audit's output.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest

from secguide.diagnostics import SourceLoc
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.audit import BuildAudit, Verdict, audit_config, guide_rules
from secguide.trace.dependencies import BuildDependencies
from secguide.trace.hardware import hardware_answer
from secguide.zephyr.dotconfig import parse_dotconfig, read_dotconfig
from secguide.zephyr.kconfig.symbols import ChoiceFacts, KconfigSymbol, SymbolDB

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO.parent / "shared" / "builds" / "configs"
TODAY = datetime.date(2026, 6, 1)
APPLICATION_BUILDS = sorted(p.stem for p in CONFIGS.glob("*.config")
                            if not p.stem.startswith("sysbuild"))


@pytest.fixture(scope="module")
def model() -> ThreatModel:
    return load_threat_model(REPO / "threatmodel")[0]


@pytest.fixture(scope="module")
def audits(db_v4: SymbolDB, model: ThreatModel) -> dict[str, BuildAudit]:
    rules = guide_rules(model, "strict")
    return {name: audit_config(read_dotconfig(CONFIGS / f"{name}.config"), rules, db_v4,
                               profile="strict", today=TODAY, renames=model.recorded_renames())
            for name in APPLICATION_BUILDS}


def _result(audit: BuildAudit, symbol: str):
    return next(r for r in audit.results if r.rule.symbol == symbol)


def test_there_are_nineteen_application_builds() -> None:
    assert len(APPLICATION_BUILDS) == 19


# -- item 2: a choice in a dependency is read from the build, never taken as met ------------

def test_stack_canaries_choice_left_unused_fails(audits: dict[str, BuildAudit]) -> None:
    # nucleo_h753zi-stepper (4.2.99): CONFIG_ENTROPY_GENERATOR=y, and no line of the optional
    # choice "Stack canaries protection options": the choice is unused, so canaries are off.
    result = _result(audits["nucleo_h753zi-stepper"], "STACK_CANARIES")
    assert result.verdict is Verdict.FAIL
    assert result.reason == (
        'not in the build (so not y (or CONFIG_STACK_CANARIES_STRONG=y or '
        'CONFIG_STACK_CANARIES_ALL=y)): it depends on (ENTROPY_GENERATOR || '
        'TEST_RANDOM_GENERATOR) && choice "Stack canaries protection options"; the optional '
        'choice "Stack canaries protection options" has none of its options set '
        '(STACK_CANARIES, STACK_CANARIES_STRONG, STACK_CANARIES_ALL, STACK_CANARIES_EXPLICIT)')


@pytest.mark.parametrize("name", APPLICATION_BUILDS)
def test_no_build_reads_a_choice_as_met(name: str, audits: dict[str, BuildAudit]) -> None:
    canaries = _result(audits[name], "STACK_CANARIES")
    assert "its dependencies hold" not in canaries.reason
    assert canaries.verdict is not Verdict.UNKNOWN
    # No build here is for a Microchip MEC15xx SoC: the debug choice depends on that SoC.
    mec = _result(audits[name], "SOC_MEC1501_DEBUG_DISABLED")
    assert mec.verdict is Verdict.NOT_APPLICABLE
    assert "it lacks SOC_SERIES_MEC15XX, SOC_FAMILY_MICROCHIP_MEC" in mec.reason
    for result in audits[name].results:
        assert "<choice" not in result.reason


def test_a_mec_build_with_the_choice_in_use_is_judged(db_v4: SymbolDB) -> None:
    text = ('CONFIG_ARCH="arm"\nCONFIG_SOC_SERIES_MEC15XX=y\nCONFIG_SOC_FAMILY_MICROCHIP_MEC=y\n'
            "CONFIG_SOC_MEC1501_DEBUG_WITHOUT_TRACING=y\n")
    dependencies = BuildDependencies(parse_dotconfig(text, "mec/.config"), db_v4)
    state = dependencies.state(db_v4.get("SOC_MEC1501_DEBUG_DISABLED"))
    assert (state.met, state.target_lacks) == (True, False)


def _symbol(depends_on: str, choice: ChoiceFacts | None = None) -> KconfigSymbol:
    return KconfigSymbol(name="X", type="bool", prompts=("x",), depends_on=depends_on,
                         choice=choice.term if choice else None, choice_facts=choice,
                         definitions=(SourceLoc("Kconfig", 1),), user_settable=True)


def _tiny_db(*symbols: KconfigSymbol) -> SymbolDB:
    return SymbolDB(zephyr_version="9.9.9", fingerprint="0", hardware_model="v2",
                    symbols={s.name: s for s in symbols})


def test_a_choice_the_tree_does_not_record_is_unknown_never_met() -> None:
    # A dependency naming a choice the symbol is no option of cannot be evaluated.
    symbol = _symbol('A && <choice "Other">')
    db = _tiny_db(symbol)
    state = BuildDependencies(parse_dotconfig("CONFIG_A=y\n", "b/.config"), db).state(symbol)
    assert state.met is None
    assert 'choice "Other"' in state.why and "cannot be evaluated" in state.why
    # ... unless the rest decides it: n && anything is n.
    off = BuildDependencies(parse_dotconfig("# CONFIG_A is not set\n", "b/.config"), db)
    assert off.state(symbol).met is False


def test_a_choice_is_in_use_exactly_when_one_of_its_options_is_set() -> None:
    choice = ChoiceFacts(term="<choice MODE>", prompt="Mode", options=("FAST", "SAFE"),
                         optional=True)
    symbol = _symbol("<choice MODE>", choice)
    db = _tiny_db(symbol)
    used = BuildDependencies(parse_dotconfig("CONFIG_SAFE=y\n", "b/.config"), db)
    assert used.state(symbol).met is True
    unused = BuildDependencies(parse_dotconfig("CONFIG_B=y\n", "b/.config"), db).state(symbol)
    assert (unused.met, unused.target_lacks) == (False, False)
    assert unused.why == ("depends on choice MODE; the optional choice MODE has none of its "
                          "options set (FAST, SAFE)")


def test_an_unreadable_dependency_is_unknown(db_v4: SymbolDB) -> None:
    symbol = _symbol("A && $(dt_has_foo)")
    state = BuildDependencies(parse_dotconfig("CONFIG_A=y\n", "b/.config"),
                              _tiny_db(symbol)).state(symbol)
    assert state.met is None and "cannot be read" in state.why


def _show(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "secguide", "kconfig", "show", *args],
                          capture_output=True, text=True, check=True, cwd=REPO)
    return done.stdout


def test_kconfig_show_names_the_choice_and_its_options(zephyr_v4_path: Path) -> None:
    text = _show("CONFIG_STACK_CANARIES", "--zephyr-base", str(zephyr_v4_path))
    assert "<choice" not in text
    assert ('option of: choice "Stack canaries protection options" (an optional choice; '
            "options: STACK_CANARIES, STACK_CANARIES_STRONG, STACK_CANARIES_ALL, "
            "STACK_CANARIES_EXPLICIT)") in text
    assert ('depends on: (ENTROPY_GENERATOR || TEST_RANDOM_GENERATOR) && choice "Stack '
            'canaries protection options"') in text
    named = json.loads(_show("BT_SMP_LOG_LEVEL_DBG", "--format", "json",
                             "--zephyr-base", str(zephyr_v4_path)))
    assert "<choice" not in json.dumps(named)
    assert named["depends_on"] == "choice BT_SMP_LOG_LEVEL_CHOICE"
    assert named["choice_facts"]["options"][0] == "BT_SMP_LOG_LEVEL_INHERIT"


# -- item 3: NOT-APPLICABLE only for what the board target cannot change ---------------------

#: (build, symbol) that the build sets to a value the guide rejects, and the verdict due.
#: FAIL: the build turned it off itself; NOT-APPLICABLE: its devicetree has no entropy source
#: (the nRF and STM32 builds list CONFIG_DT_HAS_NORDIC_NRF_RNG_ENABLED / ..._STM32_RNG_..., the
#: QEMU boards and the RP2040 list no entropy-driver node).
REJECTED_VALUES = [
    ("esp32c3_devkitm-campainha", "WATCHDOG", Verdict.FAIL),
    ("esp32s3_devkitc-hacktor", "WATCHDOG", Verdict.FAIL),
    ("esp32s3_devkitc-hacktor", "ENTROPY_GENERATOR", Verdict.FAIL),  # ESPRESSIF_ESP32_TRNG
    ("longan_nano-uartcmd", "WATCHDOG", Verdict.FAIL),
    ("native_sim64-twister-color_math", "WATCHDOG", Verdict.FAIL),
    ("native_sim64-twister-color_math", "ENTROPY_GENERATOR", Verdict.FAIL),  # NATIVE_SIM_RNG
    ("qemu_cortex_m3-vehicleos", "WATCHDOG", Verdict.FAIL),
    ("nrf52840dk-rtt_shell", "ENTROPY_GENERATOR", Verdict.FAIL),  # NORDIC_NRF_RNG
    ("nrf5340dk-aes_gcm", "ENTROPY_GENERATOR", Verdict.FAIL),  # ZEPHYR_BT_HCI_ENTROPY
    ("nrf9160dk_ns-ssd1306", "ENTROPY_GENERATOR", Verdict.FAIL),  # ZEPHYR_PSA_CRYPTO_RNG
    ("hifive1_revb-zbus", "ENTROPY_GENERATOR", Verdict.FAIL),  # no devicetree facts: judged
    ("native_posix-twister-ztest", "ENTROPY_GENERATOR", Verdict.FAIL),  # likewise
    ("qemu_cortex_m3-vehicleos", "ENTROPY_GENERATOR", Verdict.NOT_APPLICABLE),
    ("qemu_cortex_a53-raptor", "ENTROPY_GENERATOR", Verdict.NOT_APPLICABLE),
    ("qemu_x86-vehicleos", "ENTROPY_GENERATOR", Verdict.NOT_APPLICABLE),
    ("qemu_x86-vehicleos", "STACK_CANARIES", Verdict.NOT_APPLICABLE),
    ("qemu_x86-vehicleos", "STACK_POINTER_RANDOM", Verdict.NOT_APPLICABLE),
    ("qemu_xtensa-microspeech", "ENTROPY_GENERATOR", Verdict.NOT_APPLICABLE),
    ("rpi_pico-softstart", "ENTROPY_GENERATOR", Verdict.NOT_APPLICABLE),
    ("longan_nano-uartcmd", "ENTROPY_GENERATOR", Verdict.NOT_APPLICABLE),
    ("processor-twister-userspace_hello", "ENTROPY_GENERATOR", Verdict.NOT_APPLICABLE),
]


@pytest.mark.parametrize(("name", "symbol", "verdict"), REJECTED_VALUES,
                         ids=[f"{n}-{s}" for n, s, _ in REJECTED_VALUES])
def test_a_rejected_value_is_excused_only_by_missing_hardware(
        name: str, symbol: str, verdict: Verdict, audits: dict[str, BuildAudit]) -> None:
    result = _result(audits[name], symbol)
    assert result.verdict is verdict, result.reason
    if verdict is Verdict.NOT_APPLICABLE:
        assert result.reason.startswith("needs entropy-source hardware, which this board "
                                        "target lacks (entropy-source: its devicetree enables "
                                        "none of the ")
    assert "mpu or mmu" not in result.reason


@pytest.mark.parametrize("name", APPLICATION_BUILDS)
def test_not_applicable_names_a_fact_of_the_target(name: str, audits: dict[str, BuildAudit],
                                                   ) -> None:
    """A value the guide rejects is never NOT-APPLICABLE for a reason the product controls."""
    config = read_dotconfig(CONFIGS / f"{name}.config")
    for result in audits[name].results:
        found = config.get(result.rule.symbol)
        if result.verdict is not Verdict.NOT_APPLICABLE or found is None:
            continue
        if result.rule.value is not None and found.value == result.rule.value:
            continue
        assert result.reason.startswith((
            "applies to ",  # architecture or build kind
            "applies where ",  # the model's subsystem scope (applies_to.when)
            "needs entropy-source hardware, which this board target lacks",
            "needs mpu hardware, which", "needs fpu hardware, which",
            "needs mpu or mmu hardware, which",
            "has no prompt",
        )), (result.rule.symbol, result.reason)


def test_entropy_source_is_read_from_the_devicetree_facts(db_v4: SymbolDB) -> None:
    nrf = read_dotconfig(CONFIGS / "nrf52840dk-rtt_shell.config")
    assert nrf.get("ENTROPY_HAS_DRIVER") is None  # ENTROPY_GENERATOR=n: no driver symbol
    answer = hardware_answer("entropy-source", nrf, db_v4)
    assert (answer.present, answer.fact) == (
        True, "CONFIG_DT_HAS_NORDIC_NRF_RNG_ENABLED=y (an entropy driver's devicetree node)")
    qemu = hardware_answer("entropy-source",
                           read_dotconfig(CONFIGS / "qemu_cortex_m3-vehicleos.config"), db_v4)
    assert qemu.present is False
    old = hardware_answer("entropy-source",
                          read_dotconfig(CONFIGS / "hifive1_revb-zbus.config"), db_v4)
    assert old.present is None and "records no devicetree facts" in old.fact


def test_watchdog_is_not_excused_by_a_missing_mpu(model: ThreatModel) -> None:
    rec = model.recommendation("REC-STACK-HW-PROTECTION")
    assert rec.applies_to.hardware == ()  # HW_STACK_PROTECTION's own dependency decides


def test_a_selected_option_names_what_selects_it(audits: dict[str, BuildAudit],
                                                 db_v4: SymbolDB) -> None:
    # frdm_mcxn947-skywatch: CONFIG_BOOT_BANNER=y (line 493), whose Kconfig entry selects
    # PRINTK unconditionally; CONFIG_PRINTK=y. Turning PRINTK off alone would not hold.
    printk = _result(audits["frdm_mcxn947-skywatch"], "PRINTK")
    assert printk.verdict is Verdict.FAIL
    assert printk.reason == ("expected n, the build has y; CONFIG_BOOT_BANNER=y selects it, so "
                             "it stays on until that is off too")
    alone = parse_dotconfig("# CONFIG_BOOT_BANNER is not set\nCONFIG_PRINTK=y\n", "b/.config")
    assert BuildDependencies(alone, db_v4).selected_by(db_v4.get("PRINTK")) == []
