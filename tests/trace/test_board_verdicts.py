"""Recommendation x board-target verdicts for the real model on the real tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.evidence.prj_conf import render_prj_conf
from secguide.model.loader import load_threat_model
from secguide.trace.boards import BoardReport, board_reports, prj_conf_lines
from secguide.zephyr.dotconfig import parse_dotconfig
from secguide.zephyr.tree import resolve_tree

REPO = Path(__file__).resolve().parents[2]
NUCLEO = "nucleo_h753zi/stm32h753xx"


@pytest.fixture(scope="module")
def model():
    return load_threat_model(REPO / "threatmodel")[0]


@pytest.fixture(scope="module")
def reports(model, zephyr_v4_path: Path) -> dict[str, BoardReport]:
    tree = resolve_tree(zephyr_v4_path)
    return {r.target.name: r for r in board_reports(
        model, tree, names=[NUCLEO, "qemu_x86/atom"])}


def _verdicts(report: BoardReport) -> dict[str, str]:
    return {item.rec_id: item.verdict for item in report.verdicts}


def test_verdicts_on_an_stm32h7(reports) -> None:
    verdicts = _verdicts(reports[NUCLEO])
    assert verdicts["REC-MP-USERSPACE"] == "available"
    assert verdicts["REC-STACK-MPU-GUARD"] == "default"
    # Replaced by the stricter option of the same choice, which the fragment sets.
    assert verdicts["REC-STACK-CANARIES"] == "available"
    assert verdicts["REC-RNG-XOSHIRO"] == "devicetree"
    assert verdicts["REC-X86-MMU"] == "not-applicable"
    by_id = {item.rec_id: item for item in reports[NUCLEO].verdicts}
    assert by_id["REC-STACK-CANARIES"].reason.startswith(
        "CONFIG_STACK_CANARIES: replaced by CONFIG_STACK_CANARIES_STRONG")
    assert "CPU_CORTEX_M_HAS_SPLIM" in by_id["REC-STACK-BUILTIN-GUARD"].reason
    assert "ENTROPY_HAS_DRIVER" in by_id["REC-RNG-XOSHIRO"].reason
    # Deprecated recommendations are history, not advice for a board.
    assert "REC-MP-APPLICATION-MEMORY" not in verdicts


def test_x86_targets_get_the_x86_advice(reports) -> None:
    verdicts = _verdicts(reports["qemu_x86/atom"])
    assert verdicts["REC-X86-MMU"] == "default"
    assert verdicts["REC-STACK-MPU-GUARD"] == "not-applicable"


def test_profile_filters(model, zephyr_v4_path: Path) -> None:
    tree = resolve_tree(zephyr_v4_path)
    [base] = board_reports(model, tree, names=[NUCLEO], profile="base")
    [strict] = board_reports(model, tree, names=[NUCLEO], profile="strict")
    base_ids = {item.rec_id for item in base.verdicts}
    assert "REC-STACK-CANARIES-STRONG" not in base_ids
    assert base_ids < {item.rec_id for item in strict.verdicts}
    # Each profile is solved on its own: base keeps the plain canary option and the
    # banner (turning it off is strict), so PRINTK stays selected.
    base_lines = dict(base.fragment)
    assert base_lines["STACK_CANARIES"] == "y" and "STACK_CANARIES_STRONG" not in base_lines
    assert "PRINTK" not in base_lines


def test_prj_conf_lists_only_changes(reports) -> None:
    report = reports[NUCLEO]
    lines, left_out = prj_conf_lines(report)
    symbols = {line.symbol: line for line in lines}
    assert "MPU_STACK_GUARD" not in symbols  # already the default
    assert symbols["USERSPACE"].value == "y"
    assert symbols["ENTROPY_GENERATOR"].because == ("REC-RNG-ENTROPY-DRIVER",)
    assert {item.rec_id for item in left_out} >= {"REC-X86-MMU", "REC-RNG-XOSHIRO"}
    text = render_prj_conf(report, zephyr_version="4.2.99")
    # The fragment reads back cleanly, one value per assignment (no comment glued on).
    parsed = parse_dotconfig(text, "fragment")
    assert parsed.errors == ()
    assigned = {value.name: value.value for value in parsed}
    assert assigned == {line.symbol: line.value for line in lines}
    assert ("# REC-X86-MMU (not applicable to this target): for x86 only; this target is arm"
            in text)


def test_cache_serves_the_same_answer(model, zephyr_v4_path: Path, tmp_path: Path) -> None:
    tree = resolve_tree(zephyr_v4_path)
    first = board_reports(model, tree, names=[NUCLEO], cache_dir=tmp_path)
    # One small file per target: answering for one target reads one.
    [answer] = tmp_path.glob("boards-*/*/*.z")
    assert answer.stat().st_size < 20_000
    assert board_reports(model, tree, names=[NUCLEO], cache_dir=tmp_path) == first
    answer.write_bytes(b"not zlib")
    assert board_reports(model, tree, names=[NUCLEO], cache_dir=tmp_path) == first
    # Another profile is another question: its own folder, the first one kept.
    board_reports(model, tree, names=[NUCLEO], profile="base", cache_dir=tmp_path)
    assert len([p for p in next(tmp_path.glob("boards-*")).iterdir() if p.is_dir()]) == 2


def test_model_edits_keep_a_bounded_cache(model, zephyr_v4_path: Path, tmp_path: Path) -> None:
    """Each edited model is a new question; only the newest few are kept."""
    from dataclasses import replace

    from secguide.zephyr.kconfig.target_cache import KEEP_QUESTIONS

    tree = resolve_tree(zephyr_v4_path)
    for step in range(KEEP_QUESTIONS + 1):
        recs = list(model.recommendations)
        edited = replace(recs[0], settings=recs[0].settings[:1] + tuple(
            replace(s, symbol=f"NO_SUCH_SYMBOL_{step}") for s in recs[0].settings[:1]))
        board_reports(replace(model, recommendations=(edited, *recs[1:])), tree,
                      names=[NUCLEO], cache_dir=tmp_path)
    questions = [p for p in next(tmp_path.glob("boards-*")).iterdir() if p.is_dir()]
    assert len(questions) == KEEP_QUESTIONS


def test_strict_fragment_keeps_one_option_of_a_choice(model, zephyr_v4_path: Path) -> None:
    tree = resolve_tree(zephyr_v4_path)
    [strict] = board_reports(model, tree, names=[NUCLEO], profile="strict")
    lines, _ = prj_conf_lines(strict)
    symbols = {line.symbol: line for line in lines}
    # STACK_CANARIES and STACK_CANARIES_STRONG are options of one choice: the stricter wins.
    assert "STACK_CANARIES_STRONG" in symbols and "STACK_CANARIES" not in symbols
    assert "REC-STACK-CANARIES" in ", ".join(symbols["STACK_CANARIES_STRONG"].because)


def test_the_project_answers_the_same(model, zephyr_v4_path: Path) -> None:
    from secguide.trace.project import Project

    project = Project.open(REPO / "threatmodel", zephyr_v4_path)
    [via_project] = project.board_reports(names=[NUCLEO])
    [direct] = board_reports(model, resolve_tree(zephyr_v4_path), names=[NUCLEO])
    assert via_project.verdicts == direct.verdicts
    assert NUCLEO in {target.name for target in project.board_targets}



def test_a_setting_is_judged_by_its_best_option() -> None:
    """Canaries at least at the default level: on a target where the default member is
    blocked but the strong one is already on, the setting is met by the strong one."""
    from secguide.diagnostics import SourceLoc
    from secguide.model.items import Recommendation, Setting
    from secguide.trace.boards import recommendation_verdict
    from secguide.zephyr.kconfig.target_blame import Cause
    from secguide.zephyr.kconfig.targets import Outcome, SettingProbe, TargetProbe

    setting = Setting(symbol="STACK_CANARIES", value="y",
                      alternatives=("STACK_CANARIES_STRONG", "STACK_CANARIES_ALL"),
                      loc=SourceLoc("r.yaml", 3))
    rec = Recommendation(id="REC-C", title="t", area="stack-protection", status="draft",
                         rationale="r", settings=(setting,), loc=SourceLoc("r.yaml", 1))
    probes = {
        "STACK_CANARIES=y": SettingProbe(symbol="STACK_CANARIES", wanted="y", default="n",
                                         outcome=Outcome.BLOCKED, cause=Cause.GUIDE,
                                         names=("ENTROPY_GENERATOR",)),
        "STACK_CANARIES_STRONG=y": SettingProbe(symbol="STACK_CANARIES_STRONG", wanted="y",
                                                default="y", outcome=Outcome.HELD),
        "STACK_CANARIES_ALL=y": SettingProbe(symbol="STACK_CANARIES_ALL", wanted="y",
                                             default="n", outcome=Outcome.REACHED),
    }
    probe = TargetProbe(target="t", probes=probes, probes_with_devicetree=probes)
    verdict = recommendation_verdict(rec, probe)
    assert verdict is not None and verdict.verdict == "default"
    assert [s.symbol for s in verdict.settings] == ["STACK_CANARIES_STRONG"]
    # without the alternatives the same target cannot meet it
    plain = Recommendation(id="REC-C", title="t", area="stack-protection", status="draft",
                           rationale="r", settings=(Setting(symbol="STACK_CANARIES", value="y",
                                                            loc=SourceLoc("r.yaml", 3)),),
                           loc=SourceLoc("r.yaml", 1))
    assert recommendation_verdict(plain, probe).verdict == "unavailable"


def test_reports_key_tells_when_the_guide_data_is_current(model, zephyr_v4_path: Path,
                                                          tmp_path: Path) -> None:
    """The guide remakes the finder's data only when this key changes; it is known without
    evaluating a target, and changes with what the data shows."""
    from dataclasses import replace

    from secguide.trace.boards import reports_key

    tree = resolve_tree(zephyr_v4_path)
    first = reports_key(model, tree, cache_dir=tmp_path)
    assert first is not None and reports_key(model, tree, cache_dir=tmp_path) == first
    assert not list(tmp_path.glob("boards-*/*/*.z"))  # nothing evaluated
    recs = list(model.recommendations)
    retitled = replace(model, recommendations=(replace(recs[0], title="Another title"),
                                               *recs[1:]))
    assert reports_key(retitled, tree, cache_dir=tmp_path) != first
    assert reports_key(model, tree, profile="base", cache_dir=tmp_path) != first
    assert reports_key(model, tree, cache_dir=tmp_path, use_cache=False) is None
