"""One guarded parse of the real tree, evaluated per board target."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.zephyr.boards import board_targets
from secguide.zephyr.kconfig.targets import TargetEvaluator, WantedSetting
from secguide.zephyr.tree import resolve_tree

WANTED = [WantedSetting("USERSPACE", "y"), WantedSetting("BUILTIN_STACK_GUARD", "y"),
          WantedSetting("STACK_CANARIES", "y"), WantedSetting("XOSHIRO_RANDOM_GENERATOR", "y"),
          WantedSetting("X86_MMU", "y"), WantedSetting("MPU_STACK_GUARD", "y"),
          WantedSetting("HW_STACK_PROTECTION", "y"), WantedSetting("PRINTK", "n"),
          WantedSetting("NO_SUCH_SYMBOL", "y")]
AVOID = ["TEST_RANDOM_GENERATOR"]


@pytest.fixture(scope="module")
def evaluator(zephyr_v4_path: Path) -> TargetEvaluator:
    tree = resolve_tree(zephyr_v4_path)
    return TargetEvaluator(tree, board_targets(tree))


def test_hardware_of_the_target_only(evaluator: TargetEvaluator) -> None:
    facts = evaluator.evaluate("nucleo_h753zi/stm32h753xx", WANTED, AVOID).facts
    # Boards whose Kconfig.<board> says "default y" (mg100: nRF52840) must not leak in.
    assert (facts["ARCH"], facts["SOC"], facts["SOC_SERIES"]) == ("arm", "stm32h753xx", "stm32h7x")
    assert (facts["CPU_HAS_MPU"], facts["CPU_HAS_MMU"], facts["ARCH_HAS_USERSPACE"]) == (
        "y", "n", "y")
    x86 = evaluator.evaluate("qemu_x86/atom", WANTED, AVOID).facts
    assert (x86["ARCH"], x86["X86_MMU"], x86["CPU_HAS_MPU"]) == ("x86", "y", "n")


def test_probe_outcomes(evaluator: TargetEvaluator) -> None:
    probes = evaluator.evaluate("nucleo_h753zi/stm32h753xx", WANTED, AVOID).probes
    assert probes["USERSPACE=y"].outcome == "settable"
    assert probes["HW_STACK_PROTECTION=y"].outcome == "default"
    guard = probes["BUILTIN_STACK_GUARD=y"]
    assert guard.outcome == "blocked" and guard.blockers == ("CPU_CORTEX_M_HAS_SPLIM",)
    canaries = probes["STACK_CANARIES=y"]
    # The test generator is avoided, so the entropy generator is what it takes.
    assert canaries.outcome == "needs" and canaries.needs == (("ENTROPY_GENERATOR", "y"),)
    assert probes["PRINTK=n"].outcome == "forced"
    assert probes["X86_MMU=y"].outcome == "blocked" and "X86" in probes["X86_MMU=y"].blockers
    assert probes["NO_SUCH_SYMBOL=y"].outcome == "undefined"


def test_devicetree_changes_the_answer(evaluator: TargetEvaluator) -> None:
    probe = evaluator.evaluate("nucleo_h753zi/stm32h753xx", WANTED, AVOID)
    off, on = probe.probes["XOSHIRO_RANDOM_GENERATOR=y"], probe.probes_with_devicetree[
        "XOSHIRO_RANDOM_GENERATOR=y"]
    assert off.outcome == "blocked" and off.blockers == ("ENTROPY_HAS_DRIVER",)
    assert on.outcome == "needs" and ("ENTROPY_GENERATOR", "y") in on.needs


def test_trials_leave_no_trace(evaluator: TargetEvaluator) -> None:
    first = evaluator.evaluate("nrf5340dk/nrf5340/cpuapp/ns", WANTED, AVOID)
    evaluator.evaluate("qemu_x86/atom", WANTED, AVOID)
    again = evaluator.evaluate("nrf5340dk/nrf5340/cpuapp/ns", WANTED, AVOID)
    assert first == again
    # TF-M non-secure target: the defconfig's choices survive the trials.
    assert first.facts["TRUSTED_EXECUTION_NONSECURE"] == "y"
    assert first.facts["BUILTIN_STACK_GUARD"] == "y"
