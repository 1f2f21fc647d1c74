"""``secguide board`` and ``secguide boards`` from the command line."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv, "--threatmodel", str(REPO / "threatmodel")])
    out, err = capsys.readouterr()
    return code, out, err


def test_board_conf(capsys, zephyr_v4_path: Path) -> None:
    code, out, _ = _run(capsys, "board", "nucleo_h753zi", "--format", "conf",
                        "--zephyr-base", str(zephyr_v4_path))
    assert code == 0
    assert out.startswith("# prj.conf fragment for nucleo_h753zi/stm32h753xx (Zephyr 4.2.99)")
    # The reason is the line above the assignment: a '#' after a value would join the value.
    assert re.search(r"\n# REC-MP-USERSPACE, REC-MP-MEMORY-DOMAINS[^\n]*\nCONFIG_USERSPACE=y\n",
                     out)
    assert "CONFIG_MPU_STACK_GUARD" not in out.split("# Recommendations that cannot")[0]


def test_board_text_and_json(capsys, zephyr_v4_path: Path) -> None:
    code, out, _ = _run(capsys, "board", "qemu_x86/atom", "--zephyr-base", str(zephyr_v4_path))
    assert code == 0 and out.startswith("qemu_x86/atom  (")
    assert "Unavailable (" in out and "REC-STACK-MPU-GUARD" in out
    code, out, _ = _run(capsys, "board", "qemu_x86/atom", "--format", "json", "--profile",
                        "base", "--zephyr-base", str(zephyr_v4_path))
    data = json.loads(out)
    verdicts = {r["id"]: r["verdict"] for r in data["recommendations"]}
    assert data["arch"] == "x86" and verdicts["REC-X86-MMU"] == "default"
    assert "CONFIG_USERSPACE=y" in data["fragment"]
    conflicts = {r["id"]: r["conflicts"] for r in data["recommendations"]}
    assert "REC-MP-USERSPACE" in conflicts["REC-X86-GDT-STATIC"]
    assert "REC-STACK-CANARIES-STRONG" not in verdicts  # strict only


@pytest.mark.parametrize(("argv", "message"), [
    (["board", "nrf5340dk"], "has 3 targets; name one"),
    (["board", "no_such_board"], "no board target 'no_such_board'"),
    (["board", "qemu_x86/atom", "--profile", "paranoid"], "--profile paranoid: no such profile"),
])
def test_usage_errors_are_one_line(capsys, zephyr_v4_path: Path, argv, message) -> None:
    code, out, err = _run(capsys, *argv, "--zephyr-base", str(zephyr_v4_path))
    assert code == 2 and out == ""
    assert message in err and err.count("\n") == 1


def test_legacy_tree_not_supported(capsys, zephyr_v1_path: Path) -> None:
    code, _, err = _run(capsys, "board", "qemu_x86", "--zephyr-base", str(zephyr_v1_path))
    assert code == 2 and "legacy hardware model" in err and err.count("\n") == 1


def test_old_board_name(capsys, zephyr_v4_path: Path) -> None:
    code, out, _ = _run(capsys, "board", "thingy53_nrf5340_cpuapp", "--format", "json",
                        "--zephyr-base", str(zephyr_v4_path))
    assert code == 0 and json.loads(out)["target"] == "thingy53/nrf5340/cpuapp"


SAMPLE = ("nucleo_h753zi/stm32h753xx", "qemu_x86/atom", "nrf52840dk/nrf52840")


@pytest.fixture
def three_targets(monkeypatch: pytest.MonkeyPatch):
    """``boards`` over three real targets (every target takes minutes when cold)."""
    from secguide.trace.boards import iter_board_reports
    from secguide.trace.project import Project

    handed: list[str] = []

    def sample(project: Project, profile: str | None = None):
        for report in iter_board_reports(project.model, project.tree, names=SAMPLE,
                                         profile=profile, cache_dir=project.cache_dir):
            handed.append(report.target.name)
            yield report

    monkeypatch.setattr(Project, "iter_board_reports", sample)
    return handed


def test_boards_json_is_one_document_written_target_by_target(
        capsys, zephyr_v4_path: Path, three_targets: list[str]) -> None:
    from secguide.cli.board import report_as_json
    from secguide.model.loader import load_threat_model
    from secguide.trace.boards import board_reports
    from secguide.zephyr.tree import resolve_tree

    code, out, _ = _run(capsys, "boards", "--format", "json",
                        "--zephyr-base", str(zephyr_v4_path))
    assert code == 0 and three_targets == sorted(SAMPLE)
    reports = board_reports(load_threat_model(REPO / "threatmodel")[0],
                            resolve_tree(zephyr_v4_path), names=SAMPLE)
    # the bytes json.dumps gives for the whole document at once
    assert out == json.dumps({"zephyr_version": "4.2.99",
                              "targets": [report_as_json(r) for r in reports]},
                             indent=1, sort_keys=True) + "\n"


def test_boards_csv_rows_per_target_and_recommendation(
        capsys, zephyr_v4_path: Path, three_targets: list[str]) -> None:
    code, out, _ = _run(capsys, "boards", "--format", "csv",
                        "--zephyr-base", str(zephyr_v4_path))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "target,board,arch,soc,soc_series,recommendation,verdict,reason"
    assert {line.split(",")[0] for line in lines[1:]} == set(SAMPLE)
    kpti = [line for line in lines if ",REC-X86-KPTI," in line]
    assert [line.split(",")[0] for line in kpti] == sorted(SAMPLE)
    assert kpti[0].split(",")[6] == "not-applicable"  # an Arm target
