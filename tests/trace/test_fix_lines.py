"""The ``prj.conf`` lines an audit offers for a FAIL make the setting hold.

A setting absent from a build because its own dependency is off (``USERSPACE`` not
set) is not fixed by its own line: Kconfig ignores an assignment to a symbol whose
dependencies fail. The audit lists the options to turn on first, or none at all when
no list of lines can be promised (a failing ``||``, a devicetree fact). The proof is
kconfiglib's: the build's own ``.config`` plus the offered lines, read for the build's
board target, gives the setting its value, and the setting's line alone does not.
"""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from secguide.model.loader import load_threat_model
from secguide.trace.audit import BuildAudit, RuleResult, Verdict, audit_config, guide_rules
from secguide.zephyr.boards import board_targets
from secguide.zephyr.dotconfig import read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB
from secguide.zephyr.kconfig.targets import TargetEvaluator
from secguide.zephyr.tree import resolve_tree

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO.parent / "shared" / "builds" / "configs"
#: Real 4.2.99-era builds whose board target the tree has, with FAILs behind a dependency.
BUILDS = {"nucleo_h753zi-stepper": "nucleo_h753zi/stm32h753xx",
          "qemu_x86-vehicleos": "qemu_x86/atom",
          "qemu_cortex_a53-raptor": "qemu_cortex_a53/qemu_cortex_a53",
          # TFM_ISOLATION_LEVEL depends on BUILD_WITH_TFM, whose own dependencies this
          # secure-side target cannot meet: no line may be promised for it
          "frdm_mcxn947-skywatch": "frdm_mcxn947/mcxn947/cpu0"}


@pytest.fixture(scope="module")
def audits(db_v4: SymbolDB) -> dict[str, BuildAudit]:
    model = load_threat_model(REPO / "threatmodel")[0]
    rules = guide_rules(model, "strict")
    return {name: audit_config(read_dotconfig(CONFIGS / f"{name}.config"), rules, db_v4,
                               profile="strict", today=datetime.date(2026, 6, 1),
                               renames=model.recorded_renames())
            for name in BUILDS}


@pytest.fixture(scope="module")
def evaluator(zephyr_v4_path: Path) -> TargetEvaluator:
    tree = resolve_tree(zephyr_v4_path)
    return TargetEvaluator(tree, board_targets(tree))


def _result(audit: BuildAudit, symbol: str) -> RuleResult:
    return next(r for r in audit.results if r.rule.symbol == symbol)


def _value_after(evaluator: TargetEvaluator, name: str, target: str, lines: tuple[str, ...],
                 tmp_path: Path, symbol: str) -> set[str]:
    """The symbol's value with the build's .config and ``lines`` read on top, in both
    devicetree worlds of the evaluator."""
    conf = tmp_path / f"{name}.conf"
    conf.write_text((CONFIGS / f"{name}.config").read_text() + "\n".join(lines) + "\n")
    return {evaluator.values_with(target, conf, devicetree=world).get(symbol, "")
            for world in (False, True)}


def test_a_setting_behind_userspace_is_fixed_with_userspace_first(audits) -> None:
    # BOUNDS_CHECK_BYPASS_MITIGATION "depends on USERSPACE" (arch/Kconfig), and the
    # stepper build leaves USERSPACE unset: the fix turns it on first.
    result = _result(audits["nucleo_h753zi-stepper"], "BOUNDS_CHECK_BYPASS_MITIGATION")
    assert result.verdict is Verdict.FAIL
    assert result.fix_lines == ("CONFIG_USERSPACE=y", "CONFIG_BOUNDS_CHECK_BYPASS_MITIGATION=y")


def test_an_option_kept_on_by_a_select_gets_no_promised_line(audits) -> None:
    # BOOT_BANNER "select PRINTK" (kernel/Kconfig.init): CONFIG_PRINTK=n alone would not
    # hold, so no line is offered and the reason names what keeps it on
    result = _result(audits["qemu_x86-vehicleos"], "PRINTK")
    assert result.verdict is Verdict.FAIL and result.actual == "y"
    assert result.fix_lines == () and result.fix_line is None
    assert "CONFIG_BOOT_BANNER=y selects it" in result.reason


def test_an_option_whose_own_dependencies_cannot_be_met_is_not_promised(audits) -> None:
    result = _result(audits["frdm_mcxn947-skywatch"], "TFM_ISOLATION_LEVEL")
    assert result.verdict is Verdict.FAIL and result.actual is None
    assert result.fix_lines == ()
    assert "BUILD_WITH_TFM does not hold" in result.reason


def test_a_failing_or_gets_no_promised_lines(audits, db_v4: SymbolDB) -> None:
    # STACK_POINTER_RANDOM needs TEST_RANDOM_GENERATOR || ENTROPY_HAS_DRIVER: no one line
    # list is right for every product (the second is an entropy driver's, not a prompt).
    assert "||" in db_v4.get("STACK_POINTER_RANDOM").depends_on
    found = [r for audit in audits.values() for r in audit.results
             if r.rule.symbol == "STACK_POINTER_RANDOM" and r.actual is None
             and r.verdict is Verdict.FAIL]
    for result in found:
        assert result.fix_lines == () and result.fix_line is None


@pytest.mark.parametrize("name", sorted(BUILDS))
def test_offered_lines_hold_when_kconfig_reads_them(name: str, audits, evaluator,
                                                     tmp_path: Path) -> None:
    target = BUILDS[name]
    behind = [r for r in audits[name].results
              if r.verdict is Verdict.FAIL and len(r.fix_lines) > 1]
    assert behind, f"{name}: no FAIL behind a dependency to check"
    for result in behind:
        symbol, wanted = result.fix_lines[-1].removeprefix("CONFIG_").split("=", 1)
        assert _value_after(evaluator, name, target, result.fix_lines, tmp_path,
                            symbol) == {wanted}, result.fix_lines
        # the setting's own line alone is what the audit used to offer: it does not hold
        alone = _value_after(evaluator, name, target, result.fix_lines[-1:], tmp_path, symbol)
        assert wanted not in alone, (symbol, alone)
