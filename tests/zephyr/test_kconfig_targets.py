"""One guarded parse of the real tree, evaluated per board target."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.zephyr.boards import board_targets
from secguide.zephyr.kconfig.target_blame import Cause
from secguide.zephyr.kconfig.targets import Outcome, TargetEvaluator, WantedSetting
from secguide.zephyr.tree import resolve_tree

WANTED = [WantedSetting("USERSPACE", "y"), WantedSetting("BUILTIN_STACK_GUARD", "y"),
          WantedSetting("STACK_CANARIES", "y"), WantedSetting("XOSHIRO_RANDOM_GENERATOR", "y"),
          WantedSetting("X86_MMU", "y"), WantedSetting("MPU_STACK_GUARD", "y"),
          WantedSetting("HW_STACK_PROTECTION", "y"), WantedSetting("PRINTK", "n"),
          WantedSetting("NO_SUCH_SYMBOL", "y"), WantedSetting("ENTROPY_GENERATOR", "y"),
          WantedSetting("BT_SMP_SC_PAIR_ONLY", "y")]
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
    probe = evaluator.evaluate("nucleo_h753zi/stm32h753xx", WANTED, AVOID)
    probes = probe.probes
    assert probes["USERSPACE=y"].outcome == Outcome.REACHED
    assert probes["HW_STACK_PROTECTION=y"].outcome == Outcome.HELD
    guard = probes["BUILTIN_STACK_GUARD=y"]
    assert guard.outcome == Outcome.BLOCKED
    assert (guard.cause, guard.names) == (Cause.TARGET, ("CPU_CORTEX_M_HAS_SPLIM",))
    canaries = probes["STACK_CANARIES=y"]
    # The test generator is avoided; the entropy generator, asked for too, is what it takes.
    assert canaries.outcome == Outcome.REACHED
    assert canaries.needs == (("ENTROPY_GENERATOR", "y"),)
    # Nothing asks for the banner to go off, and it selects PRINTK.
    assert probes["PRINTK=n"].outcome == Outcome.SELECTED
    assert "BOOT_BANNER" in probes["PRINTK=n"].selected_by
    x86 = probes["X86_MMU=y"]
    assert (x86.outcome, x86.cause, x86.names) == (Outcome.BLOCKED, Cause.TARGET, ("X86",))
    assert probes["NO_SUCH_SYMBOL=y"].outcome == Outcome.UNDEFINED
    # Bluetooth is never switched on to harden it: the product has not enabled it.
    smp = probes["BT_SMP_SC_PAIR_ONLY=y"]
    assert (smp.outcome, smp.cause, smp.names) == (Outcome.BLOCKED, Cause.PRODUCT, ("BT",))
    assert dict(probe.fragment) == {"USERSPACE": "y", "STACK_CANARIES": "y",
                                    "ENTROPY_GENERATOR": "y"}


def test_devicetree_changes_the_answer(evaluator: TargetEvaluator) -> None:
    probe = evaluator.evaluate("nucleo_h753zi/stm32h753xx", WANTED, AVOID)
    off, on = probe.probes["XOSHIRO_RANDOM_GENERATOR=y"], probe.probes_with_devicetree[
        "XOSHIRO_RANDOM_GENERATOR=y"]
    assert (off.outcome, off.cause, off.names) == (Outcome.BLOCKED, Cause.DEVICETREE,
                                                   ("ENTROPY_HAS_DRIVER",))
    # With the devicetree's RNG the entropy generator makes it the choice's default; no
    # line of its own, which would not hold without that RNG.
    assert on.outcome == Outcome.REACHED
    assert "XOSHIRO_RANDOM_GENERATOR" not in dict(probe.fragment)


def test_trials_leave_no_trace(evaluator: TargetEvaluator) -> None:
    first = evaluator.evaluate("nrf5340dk/nrf5340/cpuapp/ns", WANTED, AVOID)
    evaluator.evaluate("qemu_x86/atom", WANTED, AVOID)
    again = evaluator.evaluate("nrf5340dk/nrf5340/cpuapp/ns", WANTED, AVOID)
    assert first == again
    # TF-M non-secure target: the defconfig's choices survive the trials.
    assert first.facts["TRUSTED_EXECUTION_NONSECURE"] == "y"
    assert first.facts["BUILTIN_STACK_GUARD"] == "y"
