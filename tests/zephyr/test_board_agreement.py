"""Evaluated hardware facts agree with real builds' ``.config`` files.

For every build in ``../shared/builds/configs`` whose board target exists in the
tree, the hardware-capability symbols the recommendations depend on are compared
with what the build wrote. A difference must be explained: the application's
prj.conf can set the symbol (it has a prompt), the build used another Zephyr
release, or the value depends on the devicetree (it differs between our
devicetree-off and devicetree-on evaluations). The agreement rate is printed.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from secguide.zephyr.boards import board_targets
from secguide.zephyr.dotconfig import read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB
from secguide.zephyr.kconfig.targets import TargetEvaluator
from secguide.zephyr.tree import resolve_tree

CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "builds" / "configs"
#: What the recommendations' applicability hinges on (issue #12's list).
COMPARED = ("ARCH", "SOC", "CPU_HAS_MPU", "CPU_HAS_MMU", "ARCH_HAS_USERSPACE",
            "ARCH_HAS_STACK_PROTECTION", "HW_STACK_PROTECTION", "MPU_STACK_GUARD",
            "BUILTIN_STACK_GUARD", "CPU_HAS_FPU", "FPU", "TRUSTED_EXECUTION_NONSECURE")
STRINGS = ("ARCH", "SOC")


def _built_value(config, name: str) -> str:
    if name in STRINGS:
        return config.string(name) or ""
    value = config.get(name)
    return value.value if value is not None else "n"  # hidden n symbols are not written


def _target_of(config, row: dict[str, str], names: set[str]) -> str | None:
    """The build's target in today's naming: BOARD_TARGET without revision, else a board
    with one target, else a pre-HWMv2 ``board_soc`` name."""
    written = config.board_target or row["CONFIG_BOARD_TARGET"]
    if written:
        board, _, rest = written.partition("/")
        candidate = f"{board.split('@')[0]}/{rest}" if rest else board
        return candidate if candidate in names else None
    board = config.board or row["CONFIG_BOARD"]
    single = [name for name in names if name.split("/")[0] == board]
    if len(single) == 1:
        return single[0]
    legacy = [name for name in names if name.replace("/", "_") == board]
    return legacy[0] if len(legacy) == 1 else None


def _explain(name: str, built: str, off: str, on: str, release: str, tree_release: str,
             db: SymbolDB) -> str | None:
    if built == on != off:
        return "depends on the devicetree"
    symbol = db.get(name)
    if symbol is not None and symbol.user_settable:
        return "prj.conf can set it"
    if release.rsplit(".", 1)[0] != tree_release.rsplit(".", 1)[0]:
        return f"built with Zephyr {release}"
    return None


@pytest.mark.slow
def test_evaluated_hardware_agrees_with_real_builds(zephyr_v4_path: Path, db_v4: SymbolDB,
                                                    capsys: pytest.CaptureFixture) -> None:
    tree = resolve_tree(zephyr_v4_path)
    targets = board_targets(tree)
    evaluator = TargetEvaluator(tree, targets)
    names = {target.name for target in targets}
    rows = list(csv.DictReader((CONFIGS / "INDEX.tsv").open(encoding="utf-8"), delimiter="\t"))
    compared = agreed = 0
    unexplained: list[str] = []
    skipped: list[str] = []
    report: list[str] = []
    for row in rows:
        config = read_dotconfig(CONFIGS / f"{row['short_id']}.config")
        if config.is_sysbuild:
            skipped.append(f"{row['short_id']}: sysbuild top level, not an application image")
            continue
        target = _target_of(config, row, names)
        if target is None:
            skipped.append(f"{row['short_id']}: board {config.board!r} not in this tree")
            continue
        probe = evaluator.evaluate(target, [], [])
        release = row["zephyr_version"].split()[0]
        for name in COMPARED:
            built = _built_value(config, name)
            off = probe.facts.get(name, "" if name in STRINGS else "n")
            on = probe.facts_with_devicetree.get(name, off)
            compared += 1
            if built == off:
                agreed += 1
                continue
            why = _explain(name, built, off, on, release, tree.version, db_v4)
            line = f"{row['short_id']} ({target}): {name} built {built}, evaluated {off}"
            report.append(f"{line}: {why or 'UNEXPLAINED'}")
            if why is None:
                unexplained.append(line)
    with capsys.disabled():
        print(f"\nboard agreement: {agreed}/{compared} hardware facts agree "
              f"({agreed / compared:.1%}) over {len(rows) - len(skipped)} builds; "
              f"{len(skipped)} builds skipped")
        for line in report + skipped:
            print(f"  {line}")
    assert len(rows) - len(skipped) >= 12
    assert unexplained == []
    assert agreed / compared >= 0.95
