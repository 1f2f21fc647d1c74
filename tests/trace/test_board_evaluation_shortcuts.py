"""Board evaluation's shortcuts give exactly the answers of the full search and walk.

Each shortcut is checked against the evaluation without it, for the shipped model's
settings on real targets of several architectures: the shortcuts are only allowed to
save time, never to change an outcome, a cause, a name or a fragment line.
"""

from __future__ import annotations

import gc
from pathlib import Path

import kconfiglib
import pytest

from secguide.diagnostics import SecguideError
from secguide.model.loader import load_threat_model
from secguide.trace.boards import _question, applicable_recommendations
from secguide.zephyr.boards import board_targets
from secguide.zephyr.kconfig import target_blame, target_workers, targets
from secguide.zephyr.kconfig.loader import _flatten
from secguide.zephyr.kconfig.target_cache import iter_evaluations
from secguide.zephyr.kconfig.target_reach import ReachIndex
from secguide.zephyr.kconfig.targets import TargetEvaluator, WantedSetting
from secguide.zephyr.tree import resolve_tree

REPO = Path(__file__).resolve().parents[2]
#: Cortex-M with TrustZone (secure and non-secure), Cortex-M7, x86 with an MMU, RISC-V,
#: Xtensa, Cortex-A (arm64), ARC, POSIX: targets where the guide's settings interact
#: (BOOT_BANNER/PRINTK, USERSPACE waking its scoped settings, choice options).
SAMPLE = ["nrf5340dk/nrf5340/cpuapp", "nrf5340dk/nrf5340/cpuapp/ns",
          "nucleo_h753zi/stm32h753xx", "qemu_x86/atom", "qemu_riscv32/qemu_virt_riscv32",
          "esp32s3_devkitc/esp32s3/procpu", "fvp_base_revc_2xaemv8a/fvp_base_revc_2xaemv8a",
          "em_starterkit/emsk_em9d", "native_sim/native"]


@pytest.fixture(scope="module")
def evaluator(zephyr_v4_path: Path) -> TargetEvaluator:
    tree = resolve_tree(zephyr_v4_path)
    return TargetEvaluator(tree, board_targets(tree))


@pytest.fixture(scope="module")
def question() -> tuple[list[WantedSetting], list[str]]:
    model = load_threat_model(REPO / "threatmodel")[0]
    return _question(applicable_recommendations(model, None))


def test_sample_targets_exist(evaluator: TargetEvaluator) -> None:
    assert set(SAMPLE) <= set(evaluator.targets)


def test_reach_follows_dependencies_and_selects(evaluator: TargetEvaluator) -> None:
    reach = ReachIndex(evaluator._kconf, evaluator._fixed)
    hopeful = reach.hopeful(frozenset({"BT"}))
    # BT_SMP depends on BT: turning it on searches BT. Neither USERSPACE nor the boot
    # banner leads to BT, and X86 is decided by the target alone (never searched through).
    assert {"BT", "BT_SMP", "BT_SMP_SC_PAIR_ONLY"} <= hopeful
    assert not {"USERSPACE", "BOOT_BANNER"} & hopeful
    assert "X86" not in reach.hopeful(frozenset({"X86_MMU"}))


def test_pruned_search_gives_the_same_answers(evaluator: TargetEvaluator, question,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    wanted, avoid = question
    pruned = [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    everything = frozenset(evaluator._kconf.syms)
    monkeypatch.setattr(evaluator._reach, "hopeful", lambda allowed: everything)
    evaluator._plans.clear()  # a question's plan remembers its reach
    try:
        searched = [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    finally:
        evaluator._plans.clear()
    assert pruned == searched
    # The sample does exercise the search: settings made possible by another one.
    assert any(probe.needs for target in pruned for probe in target.probes.values())


def test_remembered_values_and_shapes_give_the_same_answers(
        evaluator: TargetEvaluator, question, monkeypatch: pytest.MonkeyPatch) -> None:
    """Explanations remember each expression's value in their (unchanging) state, and
    flattened chains for the parse; evaluating everything afresh answers the same."""
    wanted, avoid = question
    remembered = [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    monkeypatch.setattr(target_blame.Blamer, "_value",
                        lambda _self, expr: kconfiglib.expr_value(expr))
    afresh = lambda expr, op: tuple(_flatten(expr, op))  # noqa: E731
    monkeypatch.setattr(target_blame, "flat", afresh)
    monkeypatch.setattr(targets, "flat", afresh)
    assert [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE] == remembered
    # The sample does ask for explanations: blocked settings with their causes.
    assert any(probe.outcome == "blocked" and probe.cause
               for target in remembered for probe in target.probes.values())


def test_forked_workers_give_the_same_answers_in_order(
        evaluator: TargetEvaluator, question, zephyr_v4_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    wanted, avoid = question
    alone = [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    plan = evaluator.plan(wanted, avoid)
    everything = list(range(len(plan.groups)))
    forked = list(target_workers.evaluate_in_workers(
        evaluator, plan, [(name, everything, True) for name in SAMPLE], 2))
    assert [name for name, _, _ in forked] == SAMPLE
    assert [plan.assemble(name, facts, answers) for name, facts, answers in forked] == alone
    # Through the cache's reader too: enough missing targets fork, in the same order.
    monkeypatch.setattr(target_workers, "PARALLEL_FROM", 3)
    monkeypatch.setenv("SECGUIDE_JOBS", "2")
    tree = resolve_tree(zephyr_v4_path)
    read = list(iter_evaluations(tree, list(evaluator.targets.values()), wanted, avoid,
                                 names=SAMPLE, use_cache=False))
    assert read == sorted(zip(SAMPLE, alone, strict=True))


def test_how_many_workers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECGUIDE_JOBS", raising=False)
    assert target_workers.jobs_for(1000) == 1  # asked for only
    monkeypatch.setenv("SECGUIDE_JOBS", "3")
    assert target_workers.jobs_for(target_workers.PARALLEL_FROM) == 3
    assert target_workers.jobs_for(target_workers.PARALLEL_FROM - 1) == 1  # not worth it
    monkeypatch.setenv("SECGUIDE_JOBS", "auto")
    assert 1 <= target_workers.jobs_for(1000) <= target_workers.MAX_JOBS
    monkeypatch.setenv("SECGUIDE_JOBS", "many")
    with pytest.raises(SecguideError, match="SECGUIDE_JOBS='many'"):
        target_workers.jobs_for(1000)


def test_workers_leave_a_callers_frozen_data_frozen(evaluator: TargetEvaluator,
                                                   question) -> None:
    """The guide's build freezes its long-lived data for the collector and gives it back
    at the end; forking workers in between must not give it back early."""
    wanted, avoid = question
    plan = evaluator.plan(wanted, avoid)
    tasks = [(name, [0], True) for name in SAMPLE[:2]]
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        list(target_workers.evaluate_in_workers(evaluator, plan, tasks, 2))
        assert gc.get_freeze_count() >= frozen > 0
    finally:
        gc.unfreeze()
    list(target_workers.evaluate_in_workers(evaluator, plan, tasks, 2))
    assert gc.get_freeze_count() == 0  # what the workers froze themselves, they give back
