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
