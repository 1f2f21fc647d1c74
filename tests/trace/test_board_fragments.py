"""Board evaluation on the real tree: safe fragments, scope, whole-profile solving.

nucleo_h723zg (an STM32H7, no radio, no network interface in its defconfig) is the
board the issue reproduced on: its fragment once turned on Bluetooth, networking,
hawkBit and a scaffolding symbol naming another board.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from secguide.cli.board import format_text, report_as_json
from secguide.evidence.prj_conf import render_prj_conf
from secguide.model.loader import load_threat_model
from secguide.trace.boards import (
    BoardReport,
    BoardVerdict,
    board_reports,
    prj_conf_lines,
    target_conflicts,
)
from secguide.zephyr.boards import board_targets
from secguide.zephyr.kconfig.targets import TargetEvaluator
from secguide.zephyr.tree import resolve_tree

REPO = Path(__file__).resolve().parents[2]
NUCLEO = "nucleo_h723zg/stm32h723xx"
#: Targets of several architectures, TF-M, a choice-heavy SoC and an MMU.
SAMPLE = (NUCLEO, "qemu_x86/atom", "nrf5340dk/nrf5340/cpuapp/ns", "nrf52840dk/nrf52840",
          "esp32s3_devkitc/esp32s3/procpu", "qemu_cortex_a53/qemu_cortex_a53",
          "hifive1/fe310_g000", "frdm_k64f/mk64f12", "mps2/an521/cpu0/ns")
#: Subsystems a hardening fragment must never switch on by itself.
SUBSYSTEMS = ("BT", "BT_CLASSIC", "NETWORKING", "NET_SOCKETS", "HTTP_CLIENT", "HAWKBIT",
              "UPDATEHUB", "MCUMGR", "MBEDTLS", "NET_TCP", "FLASH", "SETTINGS", "USB_DEVICE_STACK")


@pytest.fixture(scope="module")
def model():
    return load_threat_model(REPO / "threatmodel")[0]


@pytest.fixture(scope="module")
def tree(zephyr_v4_path: Path):
    return resolve_tree(zephyr_v4_path)


@pytest.fixture(scope="module")
def evaluator(tree) -> TargetEvaluator:
    return TargetEvaluator(tree, board_targets(tree))


@pytest.fixture(scope="module")
def reports(model, tree) -> dict[str, BoardReport]:
    found = board_reports(model, tree, names=[board_targets(tree)[0].name, *_sample(tree)])
    return {report.target.name: report for report in found}


def _sample(tree) -> list[str]:
    names = {target.name for target in board_targets(tree)}
    picked = [name for name in SAMPLE if name in names]
    assert len(picked) == len(SAMPLE), f"missing from the tree: {set(SAMPLE) - names}"
    return picked


def _verdicts(report: BoardReport) -> dict[str, str]:
    return {item.rec_id: item.verdict for item in report.verdicts}


def _every_output(report: BoardReport) -> str:
    return "\n".join([render_prj_conf(report, zephyr_version="4.2.99"),
                      format_text(report, "4.2.99"), json.dumps(report_as_json(report))])


def test_fragment_never_switches_a_subsystem_on(reports) -> None:
    report = reports[NUCLEO]
    conf = render_prj_conf(report, zephyr_version="4.2.99")
    assigned = dict(re.findall(r"^CONFIG_(\w+)=(.*)$", conf, re.MULTILINE))
    assert not {name for name in SUBSYSTEMS if assigned.get(name) == "y"}
    # Every line is a setting the guide recommends itself, never one "needed by" another.
    assert [line for line in prj_conf_lines(report)[0]
            if any(reason.startswith("needed by") for reason in line.because)
            and line.symbol not in {s.symbol for r in report.verdicts for s in r.settings}] == []
    # A Bluetooth recommendation on a board without Bluetooth: out of the product's scope.
    verdicts = _verdicts(report)
    for rec_id in ("REC-BT-SECURE-CONNECTIONS-ONLY", "REC-BT-FULL-KEY-SIZE",
                   "REC-BT-NO-DEBUG-KEYS", "REC-DM-UPDATE-CHANNEL-SECURITY"):
        assert verdicts[rec_id] == BoardVerdict.INACTIVE, rec_id
    by_id = {item.rec_id: item for item in report.verdicts}
    # The recommendation's own subsystem scope (applies_to.when) is what it names.
    assert by_id["REC-BT-SECURE-CONNECTIONS-ONLY"].reason == (
        "applies only when CONFIG_BT_SMP, which does not hold on this target (its defaults "
        "with the guide's fragment)")
    assert "CONFIG_HAWKBIT" in by_id["REC-DM-UPDATE-CHANNEL-SECURITY"].reason
    assert "# REC-BT-FULL-KEY-SIZE (" in conf  # listed as a comment only


@pytest.mark.parametrize("name", SAMPLE)
def test_no_scaffolding_no_choice_stand_in_short_reasons(reports, name: str) -> None:
    if name not in reports:
        pytest.fail(f"{name} not evaluated")
    text = _every_output(reports[name])
    assert "SECGUIDE" not in text
    assert "<choice" not in text
    longest = max((item.reason for item in reports[name].verdicts), key=len)
    assert len(longest) <= 400, longest


def test_out_of_scope_is_never_the_default(reports) -> None:
    verdicts = _verdicts(reports[NUCLEO])
    for rec_id in ("REC-X86-GDT-STATIC", "REC-DBG-X86-DEBUG-INFO", "REC-X86-MMU"):
        assert verdicts[rec_id] == BoardVerdict.NOT_APPLICABLE, rec_id
    by_id = {item.rec_id: item for item in reports[NUCLEO].verdicts}
    assert by_id["REC-X86-GDT-STATIC"].reason == "for x86 only; this target is arm"
    # A hardware feature this Cortex-M7 lacks: not applicable, naming the fact.
    assert verdicts["REC-STACK-BUILTIN-GUARD"] == BoardVerdict.NOT_APPLICABLE
    assert "CONFIG_CPU_CORTEX_M_HAS_SPLIM" in by_id["REC-STACK-BUILTIN-GUARD"].reason
    # On x86 the same recommendations are judged, not skipped.
    x86 = _verdicts(reports["qemu_x86/atom"])
    assert x86["REC-X86-MMU"] == BoardVerdict.DEFAULT
    assert x86["REC-STACK-MPU-GUARD"] == BoardVerdict.NOT_APPLICABLE


def test_tls_behind_a_choice_is_judged(reports) -> None:
    """``MBEDTLS_PSA_CRYPTO_EXTERNAL_RNG`` sits in a choice that needs Mbed TLS: the choice's
    own dependency is followed, not shown as a ``<choice ...>`` that cannot be met."""
    by_id = {item.rec_id: item for item in reports[NUCLEO].verdicts}
    assert by_id["REC-TLS-ENTROPY"].verdict == BoardVerdict.INACTIVE
    assert "CONFIG_MBEDTLS" in by_id["REC-TLS-ENTROPY"].reason


def test_profile_is_solved_as_a_whole(reports) -> None:
    report = reports[NUCLEO]
    by_id = {item.rec_id: item for item in report.verdicts}
    # BOOT_BANNER selects PRINTK; turning the banner off (also recommended) frees it.
    assert by_id["REC-DBG-CONSOLE-OUTPUT"].verdict == BoardVerdict.AVAILABLE
    fragment = dict(report.fragment)
    assert fragment["PRINTK"] == "n" and fragment["BOOT_BANNER"] == "n"
    # On x86, USERSPACE=y (recommended) makes X86_USERSPACE select GDT_DYNAMIC, which
    # another recommendation wants off: unavailable, naming the other recommendation.
    gdt = {item.rec_id: item for item in reports["qemu_x86/atom"].verdicts}["REC-X86-GDT-STATIC"]
    assert gdt.verdict == BoardVerdict.UNAVAILABLE
    assert "REC-MP-USERSPACE" in gdt.conflicts
    assert "selected by CONFIG_X86_STACK_PROTECTION, CONFIG_X86_USERSPACE" in gdt.reason
    conflicts = target_conflicts([report, reports["qemu_x86/atom"]])
    assert any(c.rec_id == "REC-X86-GDT-STATIC" and "REC-MP-USERSPACE" in c.others
               and c.targets == 1 for c in conflicts)
    # One option of a choice: the stricter canary option carries both recommendations.
    lines = {line.symbol: line for line in prj_conf_lines(report)[0]}
    assert "STACK_CANARIES" not in lines
    assert set(lines["STACK_CANARIES_STRONG"].because) >= {"REC-STACK-CANARIES",
                                                           "REC-STACK-CANARIES-STRONG"}


def check_fragment(evaluator: TargetEvaluator, report: BoardReport, tmp_path: Path) -> list[str]:
    """What the rendered fragment promises and kconfiglib does not give (devicetree off
    and on), read back by kconfiglib after the target's defconfig."""
    conf = tmp_path / f"{report.target.name.replace('/', '_')}.conf"
    conf.write_text(render_prj_conf(report, zephyr_version="4.2.99"), encoding="utf-8")
    promised = dict(re.findall(r"^CONFIG_(\w+)=(.*)$", conf.read_text(), re.MULTILINE))
    wrong = []
    for devicetree in (False, True):
        got = evaluator.values_with(report.target.name, conf, devicetree=devicetree)
        wrong += [f"{report.target.name} (devicetree {'on' if devicetree else 'off'}): "
                  f"CONFIG_{name}={value} gives {got.get(name)!r}"
                  for name, value in promised.items() if got.get(name) != value]
    return wrong


def test_fragments_hold_on_a_sample(evaluator, reports, tmp_path: Path) -> None:
    wrong = [line for report in reports.values() if report.buildable
             for line in check_fragment(evaluator, report, tmp_path)]
    assert wrong == []
    assert all(reports[name].fragment for name in (NUCLEO, "qemu_x86/atom"))


@pytest.mark.slow
def test_fragments_hold_on_every_target(model, tree, evaluator, tmp_path: Path) -> None:
    wrong: list[str] = []
    reports = board_reports(model, tree)
    assert len(reports) > 1000
    for report in reports:
        if report.buildable:
            wrong += check_fragment(evaluator, report, tmp_path)
    assert wrong == []
