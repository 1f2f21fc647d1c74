"""Board evaluation in groups of settings gives the answers of one joint solve, and an
edit of the model re-evaluates only the groups it touches.

Settings whose cones cannot meet are solved, explained and cached apart
(:mod:`secguide.zephyr.kconfig.target_groups`). These tests compare the grouped
evaluation with the joint one (every setting in one group) on real targets of several
architectures, and count the groups evaluated after an edit.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import replace
from pathlib import Path

import kconfiglib
import pytest

from secguide.model.loader import load_threat_model
from secguide.trace.boards import _question, applicable_recommendations
from secguide.zephyr.boards import board_targets
from secguide.zephyr.kconfig import target_cache, targets
from secguide.zephyr.kconfig.target_groups import Partition, SettingGroup
from secguide.zephyr.kconfig.targets import TargetEvaluator, WantedSetting
from secguide.zephyr.tree import resolve_tree

REPO = Path(__file__).resolve().parents[2]
#: Cortex-M with TrustZone, Cortex-M7, x86, RISC-V, Xtensa, Cortex-A (arm64), ARC, POSIX,
#: and a Cortex-A7 whose DEBUG_COREDUMP explanation walks over 1,500 symbols.
SAMPLE = ["nrf5340dk/nrf5340/cpuapp/ns", "nucleo_h753zi/stm32h753xx", "qemu_x86/atom",
          "qemu_riscv32/qemu_virt_riscv32", "esp32s3_devkitc/esp32s3/procpu",
          "fvp_base_revc_2xaemv8a/fvp_base_revc_2xaemv8a", "em_starterkit/emsk_em9d",
          "native_sim/native", "osd32mp1_brk/osd32mp15x"]


@pytest.fixture(scope="module")
def tree(zephyr_v4_path: Path):
    return resolve_tree(zephyr_v4_path)


@pytest.fixture(scope="module")
def evaluator(tree) -> TargetEvaluator:
    return TargetEvaluator(tree, board_targets(tree))


@pytest.fixture(scope="module")
def question() -> tuple[list[WantedSetting], list[str]]:
    model = load_threat_model(REPO / "threatmodel")[0]
    return _question(applicable_recommendations(model, None))


def _joint(evaluator: TargetEvaluator, wanted, avoid, monkeypatch) -> list:
    """Every setting in one group: the joint solve of the whole question."""
    everything = Partition((SettingGroup(tuple(range(len(wanted))), tuple(sorted(
        set(avoid) - {w.symbol for w in wanted}))),), {})
    monkeypatch.setattr(targets, "partition", lambda *_args: everything)
    evaluator._plans.clear()
    try:
        return [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    finally:
        monkeypatch.undo()
        evaluator._plans.clear()


def test_the_shipped_model_splits_into_groups(evaluator, question) -> None:
    wanted, avoid = question
    plan = evaluator.plan(wanted, avoid)
    by_symbol = {wanted[member].symbol: group for group in plan.groups
                 for member in group.members}
    # Settings that meet are together: BOOT_BANNER selects PRINTK; STACK_CANARIES and
    # STACK_CANARIES_STRONG are options of one choice; USERSPACE wakes scoped settings.
    assert by_symbol["BOOT_BANNER"] is by_symbol["PRINTK"]
    assert by_symbol["STACK_CANARIES"] is by_symbol["STACK_CANARIES_STRONG"]
    # Bluetooth's debug keys cannot touch x86's debug information, nor GDB's stub.
    assert by_symbol["BT_USE_DEBUG_KEYS"] is not by_symbol["X86_DEBUG_INFO"]
    assert len(by_symbol["GDBSTUB"].members) == 1
    # GDB's stub depends on the architecture alone; the banner's group reads drivers.
    assert by_symbol["GDBSTUB"].devicetree_free
    assert not by_symbol["BOOT_BANNER"].devicetree_free
    assert len(plan.groups) > 10
    # Every setting in exactly one group, each group in the question's order.
    members = [member for group in plan.groups for member in group.members]
    assert sorted(members) == list(range(len(wanted)))
    assert all(list(group.members) == sorted(group.members) for group in plan.groups)


def test_groups_give_the_joint_answers(evaluator, question,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    wanted, avoid = question
    grouped = [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    assert grouped == _joint(evaluator, wanted, avoid, monkeypatch)
    # The sample exercises what joins settings: lines needed by other settings, choices.
    assert any(probe.needs for target in grouped for probe in target.probes.values())
    assert any(line[0] == "STACK_CANARIES_STRONG" for target in grouped
               for line in target.fragment) or any(
        probe.outcome == "replaced" for target in grouped for probe in target.probes.values())


def test_retries_skipped_only_when_nothing_read_changed(evaluator, question) -> None:
    """A failed setting is tried again only after an assignment in its cone; trying every
    failed one again after any assignment answers the same."""
    wanted, avoid = question
    skipping = [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    evaluator.plan(wanted, avoid)
    evaluator._plans = {key: replace(found, readers={})
                        for key, found in evaluator._plans.items()}
    try:
        assert [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE] == skipping
    finally:
        evaluator._plans.clear()


def test_an_explanation_does_not_depend_on_what_was_asked_before(evaluator,
                                                                 question) -> None:
    """DEBUG_COREDUMP=n on a Cortex-A7 walks over 1,500 symbols: it used to be explained
    ("the target lacks ARCH_SUPPORTS_COREDUMP") only when earlier explanations had
    walked part of the way, and "unknown" when asked alone."""
    wanted, avoid = question
    [coredump] = [w for w in wanted if w.key == "DEBUG_COREDUMP=n"]
    target = "osd32mp1_brk/osd32mp15x"
    alone = evaluator.evaluate(target, [coredump], avoid)
    together = evaluator.evaluate(target, wanted, avoid)
    for world in ("probes", "probes_with_devicetree"):
        assert getattr(alone, world)[coredump.key] == getattr(together, world)[coredump.key]
        probe = getattr(alone, world)[coredump.key]
        assert (probe.outcome, probe.cause, probe.names) == (
            "held", "target", ("ARCH_SUPPORTS_COREDUMP",))
    # And it is true: no product configuration turns ARCH_SUPPORTS_COREDUMP on there.
    evaluator._select(evaluator.targets[target], devicetree=True)
    sym = evaluator._kconf.syms["ARCH_SUPPORTS_COREDUMP"]
    assert sym.tri_value == 0 and not any(node.prompt for node in sym.nodes)
    assert kconfiglib.expr_value(sym.rev_dep) == 0


def test_groups_free_of_the_devicetree_answer_as_in_both_worlds(evaluator,
                                                                 question) -> None:
    """Solving a devicetree-free group in one world and copying its answer gives what
    solving it in both worlds gives."""
    wanted, avoid = question
    once = [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE]
    plan = evaluator.plan(wanted, avoid)
    assert any(plan.groups[index].devicetree_free and any(
        probe.outcome not in ("undefined", "elsewhere") for probe in
        (once[0].probes[wanted[member].key] for member in plan.groups[index].members))
        for index in range(len(plan.groups)))
    evaluator._plans = {key: replace(found, groups=tuple(
        replace(group, devicetree_free=False) for group in found.groups))
        for key, found in evaluator._plans.items()}
    try:
        assert [evaluator.evaluate(name, wanted, avoid) for name in SAMPLE] == once
    finally:
        evaluator._plans.clear()


class _Counting:
    """Counts the groups each target evaluates (the work, not the time)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.groups: dict[str, int] = {}
        original = TargetEvaluator.evaluate_groups

        def counted(evaluator, name, plan, which, **options):
            which = list(which)
            self.groups[name] = self.groups.get(name, 0) + len(which)
            return original(evaluator, name, plan, which, **options)

        monkeypatch.setattr(TargetEvaluator, "evaluate_groups", counted)


def _edited(wanted: list[WantedSetting], symbol: str, value: str) -> list[WantedSetting]:
    return [replace(w, value=value) if w.symbol == symbol else w for w in wanted]


def test_an_edit_re_evaluates_only_its_group(tree, evaluator, question, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    wanted, avoid = question
    names = SAMPLE[:3]
    plan = evaluator.plan(wanted, avoid)
    all_targets = list(evaluator.targets.values())
    counting = _Counting(monkeypatch)
    first = dict(target_cache.iter_evaluations(tree, all_targets, wanted, avoid,
                                               names=names, cache_dir=tmp_path))
    assert counting.groups == dict.fromkeys(names, len(plan.groups))
    # GDBSTUB is in a group of its own: editing it re-evaluates that group alone.
    [stub_group] = [group for group in plan.groups
                    if {wanted[m].symbol for m in group.members} == {"GDBSTUB"}]
    edited = _edited(wanted, "GDBSTUB", "y")
    counting.groups.clear()
    second = dict(target_cache.iter_evaluations(tree, all_targets, edited, avoid,
                                                names=names, cache_dir=tmp_path))
    assert counting.groups == dict.fromkeys(names, len(stub_group.members))
    # The answers are those of a fresh evaluation of the edited question.
    assert second == {name: evaluator.evaluate(name, edited, avoid) for name in names}
    assert second != first
    # Moving a group's setting changes the question, not the groups' settings: nothing
    # is evaluated again, and the answers follow the new order.
    counting.groups.clear()
    reordered = [w for w in edited if w.symbol != "GDBSTUB"] + [
        w for w in edited if w.symbol == "GDBSTUB"]
    third = dict(target_cache.iter_evaluations(tree, all_targets, reordered, avoid,
                                               names=names, cache_dir=tmp_path))
    assert counting.groups == {}  # no group evaluated: every answer was held
    assert third == {name: evaluator.evaluate(name, reordered, avoid) for name in names}


def test_group_files_are_checked_and_bounded(tree, evaluator, question, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    wanted, avoid = question
    name = SAMPLE[1]
    all_targets = list(evaluator.targets.values())
    plan = evaluator.plan(wanted, avoid)

    def evaluate(question_wanted):
        return dict(target_cache.iter_evaluations(tree, all_targets, question_wanted, avoid,
                                                  names=[name], cache_dir=tmp_path))[name]

    expected = evaluate(wanted)
    [store] = tmp_path.glob("boards-*/g-*.g")
    counting = _Counting(monkeypatch)
    for damage in (b"not a header\n" + b"x" * 10,
                   store.read_bytes().split(b"\n", 1)[0] + b"\nnot zlib",
                   store.read_bytes().replace(name.encode(), b"qemu_x86/atom", 1)):
        store.write_bytes(damage)
        for question_folder in tmp_path.glob("boards-*/*/"):
            for answer in question_folder.glob("*.z"):
                answer.unlink()
        counting.groups.clear()
        assert evaluate(wanted) == expected  # recomputed, every group
        assert counting.groups == {name: len(plan.groups)}
    # Edits back and forth keep the file bounded: the current groups and as many others.
    for step in range(3):
        evaluate([*_edited(wanted, "X86_MMU", "n" if step % 2 else "y"),
                  WantedSetting(f"NO_SUCH_SYMBOL_{step}", "y")])
    header = store.read_bytes().split(b"\n", 1)[0]
    held = json.loads(header)["groups"]
    assert len(plan.groups) < len(held) <= 2 * (len(plan.groups) + 1)
    zlib.decompress(store.read_bytes().split(b"\n", 1)[1])  # still a whole file


def test_forked_workers_evaluate_only_the_missing_groups(tree, evaluator, question,
                                                          tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers get the groups no file holds; the facts come from the file."""
    from secguide.zephyr.kconfig import target_workers

    wanted, avoid = question
    names = SAMPLE[3:6]
    all_targets = list(evaluator.targets.values())
    list(target_cache.iter_evaluations(tree, all_targets, wanted, avoid, names=names,
                                       cache_dir=tmp_path))
    edited = _edited(wanted, "GDBSTUB", "y")
    asked: list[tuple[str, list[int], bool]] = []
    original = target_workers.evaluate_in_workers

    def spy(evaluator_, plan, tasks, jobs):
        asked.extend(tasks)
        return original(evaluator_, plan, tasks, jobs)

    monkeypatch.setattr(target_cache, "evaluate_in_workers", spy)
    monkeypatch.setattr(target_workers, "PARALLEL_FROM", 2)
    monkeypatch.setenv("SECGUIDE_JOBS", "2")
    forked = dict(target_cache.iter_evaluations(tree, all_targets, edited, avoid,
                                                names=names, cache_dir=tmp_path))
    plan = evaluator.plan(edited, avoid)
    [stub] = [index for index, group in enumerate(plan.groups)
              if {edited[m].symbol for m in group.members} == {"GDBSTUB"}]
    assert asked == [(name, [stub], False) for name in sorted(names)]
    assert forked == {name: evaluator.evaluate(name, edited, avoid) for name in names}
