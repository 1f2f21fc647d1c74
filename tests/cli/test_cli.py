"""The command line as a user meets it: exit codes, messages, formats, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from secguide.cli.kconfig import inert
from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_kconfig_show_text(capsys, zephyr_v4_path: Path) -> None:
    code, out, _ = _run(capsys, "kconfig", "show", "CONFIG_STACK_CANARIES",
                        "--zephyr-base", str(zephyr_v4_path))
    assert code == 0
    assert out.startswith("CONFIG_STACK_CANARIES  [bool]  (Zephyr 4.2.99)")
    assert "kernel/Kconfig:" in out
    assert "compiler stack canaries" in out


def test_kconfig_show_json_without_prefix(capsys, zephyr_v4_path: Path, db_v4) -> None:
    code, out, _ = _run(capsys, "kconfig", "show", "X86_PAE", "--format", "json",
                        "--zephyr-base", str(zephyr_v4_path))
    data = json.loads(out)
    assert code == 0
    assert data["name"] == "X86_PAE" and data["type"] == "bool"
    assert data["zephyr_version"] == "4.2.99"
    assert data["tree_fingerprint"] == db_v4.fingerprint
    assert data["help"] == db_v4.get("X86_PAE").help


@pytest.mark.parametrize("typed", ["config_stack_canaries", "Stack_Canaries",
                                   "CONFIG_stack_canaries"])
def test_kconfig_show_accepts_any_case(capsys, zephyr_v4_path: Path, typed: str) -> None:
    code, out, _ = _run(capsys, "kconfig", "show", typed, "--zephyr-base", str(zephyr_v4_path))
    assert code == 0
    assert out.startswith("CONFIG_STACK_CANARIES  [bool]  (Zephyr 4.2.99)")


def test_kconfig_show_unknown_suggests(capsys, zephyr_v4_path: Path) -> None:
    code, out, err = _run(capsys, "kconfig", "show", "X86_PAE_MODE",
                          "--zephyr-base", str(zephyr_v4_path))
    assert code == 1 and out == ""
    assert err.strip() == ("secguide: error: CONFIG_X86_PAE_MODE is not defined in Zephyr "
                           "4.2.99; did you mean CONFIG_X86_PAE?")


@pytest.mark.parametrize("empty", ["", "CONFIG_", "  "])
def test_kconfig_show_without_a_name_is_a_usage_error(capsys, zephyr_v4_path: Path,
                                                      empty: str) -> None:
    code, out, err = _run(capsys, "kconfig", "show", empty, "--zephyr-base", str(zephyr_v4_path))
    assert (code, out) == (2, "")
    assert err.strip() == "secguide: error: kconfig show: name a symbol, e.g. CONFIG_STACK_CANARIES"


def test_tree_that_is_a_file_is_named_so(capsys, tmp_path: Path) -> None:
    not_a_tree = tmp_path / "VERSION"
    not_a_tree.write_text("VERSION_MAJOR = 4\n")
    code, _, err = _run(capsys, "kconfig", "show", "X", "--zephyr-base", str(not_a_tree))
    assert code == 2
    assert err.strip().endswith(f"{not_a_tree}: a file, not a Zephyr tree folder")


def test_check_on_a_file_says_it_is_not_a_folder(capsys, tmp_path: Path, mini_tree: Path) -> None:
    model_file = tmp_path / "model.yaml"
    model_file.write_text("recommendations: []\n")
    code, _, err = _run(capsys, "check", "--threatmodel", str(model_file),
                        "--zephyr-base", str(mini_tree))
    assert code == 2
    assert err.strip() == (f"secguide: error: {model_file}: cannot read threat-model "
                           "folder: a file, not a folder")


def test_kconfig_search(capsys, zephyr_v4_path: Path) -> None:
    code, out, err = _run(capsys, "kconfig", "search", "^X86_NO_SPECTRE",
                          "--zephyr-base", str(zephyr_v4_path))
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == ["CONFIG_X86_NO_SPECTRE_V1", "CONFIG_X86_NO_SPECTRE_V2",
                     "CONFIG_X86_NO_SPECTRE_V4"]
    assert "3 symbol(s) match" in err


def test_kconfig_search_bad_regex(capsys, zephyr_v4_path: Path) -> None:
    code, _, err = _run(capsys, "kconfig", "search", "(", "--zephyr-base", str(zephyr_v4_path))
    assert code == 2 and "bad regular expression '('" in err


def test_missing_tree_is_a_usage_error(capsys, tmp_path: Path) -> None:
    code, _, err = _run(capsys, "kconfig", "show", "X", "--zephyr-base", str(tmp_path / "none"))
    assert code == 2
    assert err.strip().endswith("none: no such directory")


def test_unknown_subcommand(capsys) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["frobnicate"])
    assert caught.value.code == 2
    assert "invalid choice: 'frobnicate'" in capsys.readouterr().err


def test_check_reports_every_problem_and_exits_1(capsys, tmp_path: Path, mini_tree: Path) -> None:
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "a.yaml").write_text("threats:\n  - id: THR-A-B\n    title: [oops\n")
    (folder / "b.yaml").write_text(
        "recommendations:\n  - id: REC-A-B\n    title: t\n    area: general\n"
        "    status: draft\n    rationale: r\n    settings:\n      - symbol: NOT_THERE\n"
        "        value: y\n    verification:\n      - build_audit: production\n")
    code, out, _ = _run(capsys, "check", "--threatmodel", str(folder),
                        "--zephyr-base", str(mini_tree))
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith(f"{folder}/a.yaml:4:1: error: YAML syntax error") or
               "a.yaml:4:1: error: YAML syntax error" in line for line in lines)
    assert any("b.yaml:8:17: error: CONFIG_NOT_THERE does not exist in Zephyr 9.8.7"
               in line for line in lines)
    # REC-A-B mitigates no threat, but a.yaml (which may hold threats) did not parse:
    # that warning is held back rather than echo the syntax error.
    assert lines[-1].endswith("2 error(s), 0 warning(s) against Zephyr 9.8.7")


def test_check_json(capsys, tmp_path: Path, mini_tree: Path) -> None:
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "a.yaml").write_text("waivers:\n  - symbol: STACK_CANARIES\n    reason: r\n")
    code, out, _ = _run(capsys, "check", "--threatmodel", str(folder), "--format", "json",
                        "--zephyr-base", str(mini_tree))
    data = json.loads(out)
    assert code == 0
    assert (data["errors"], data["warnings"], data["diagnostics"]) == (0, 0, [])


def test_check_strict_fails_on_warnings(capsys, tmp_path: Path, mini_tree: Path) -> None:
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "a.yaml").write_text("threats:\n  - id: THR-A-B\n    title: t\n"
                                   "    description: d\n")
    assert _run(capsys, "check", "--threatmodel", str(folder),
                "--zephyr-base", str(mini_tree))[0] == 0
    code, out, _ = _run(capsys, "check", "--threatmodel", str(folder), "--strict",
                        "--zephyr-base", str(mini_tree))
    assert code == 1 and "warning: threat THR-A-B has no mitigation" in out


@pytest.mark.parametrize("argv", [
    ["check", "--threatmodel", "does/not/exist"],
    ["kconfig", "show", "X", "--zephyr-base", "/"],
])
def test_no_traceback_for_bad_input(argv: list[str], mini_tree: Path) -> None:
    if argv[0] == "check":
        argv = [*argv, "--zephyr-base", str(mini_tree)]
    result = subprocess.run([sys.executable, "-m", "secguide", *argv], capture_output=True,
                            text=True, cwd=REPO, check=False)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("secguide: error: ")


def test_check_on_the_shipped_model_is_clean(capsys, zephyr_v4_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    code, out, _ = _run(capsys, "check", "--strict", "--zephyr-base", str(zephyr_v4_path))
    *notes, summary = out.splitlines()
    assert summary == "threatmodel: 0 error(s), 0 warning(s) against Zephyr 4.2.99"
    # Only the settings kept for a later release ('since') are mentioned, as notes.
    assert notes, "the shipped model keeps settings of later releases"
    assert all(": note: " in line and line.endswith("[later-release-symbol]")
               for line in notes), notes
    assert code == 0


def test_check_verifies_test_scenarios_exist(capsys, tmp_path: Path,
                                             zephyr_v4_path: Path) -> None:
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "a.yaml").write_text(
        "recommendations:\n  - id: REC-A-B\n    title: t\n    area: general\n"
        "    status: draft\n    rationale: r\n    settings:\n      - symbol: STACK_CANARIES\n"
        "        value: y\n    verification:\n"
        "      - zephyr_test: kernel.memory_protection.stackprot\n"
        "      - zephyr_test: kernel.memory_protection.stackprott\n")
    code, out, _ = _run(capsys, "check", "--threatmodel", str(folder),
                        "--zephyr-base", str(zephyr_v4_path))
    errors = [line for line in out.splitlines() if ": error: " in line]
    assert code == 1
    assert len(errors) == 1
    assert "a.yaml:12:22: error: " in errors[0]
    assert "kernel.memory_protection.stackprott" in errors[0]
    assert "kernel.memory_protection.stackprot" in errors[0].split("stackprott", 1)[1]


def test_kconfig_info(capsys, zephyr_v4_path: Path, db_v4) -> None:
    code, out, _ = _run(capsys, "kconfig", "info", "--format", "json",
                        "--zephyr-base", str(zephyr_v4_path))
    facts = json.loads(out)
    assert code == 0
    assert facts["zephyr_version"] == "4.2.99" and facts["hardware_model"] == "v2"
    assert facts["symbols"] == len(db_v4)
    assert facts["tree_fingerprint"] == db_v4.fingerprint
    assert facts["loaded_from"] == "cache"  # the session fixture parsed it already


def test_kconfig_warnings_are_shown(capsys, zephyr_v1_path: Path, db_v1) -> None:
    # the 1.13 tree's Kconfig draws style warnings from kconfiglib (unquoted 'source' paths)
    assert db_v1.warnings
    code, out, _ = _run(capsys, "kconfig", "info", "--warnings",
                        "--zephyr-base", str(zephyr_v1_path))
    assert code == 0
    assert f"kconfig_warnings:  {len(db_v1.warnings)}" in out
    assert "arch/arm/soc/atmel_sam0/Kconfig:15: warning: style: quotes recommended" in out
    code, out, _ = _run(capsys, "kconfig", "info", "--warnings", "--format", "json",
                        "--zephyr-base", str(zephyr_v1_path))
    assert json.loads(out)["warnings"] == list(db_v1.warnings)
    code, out, _ = _run(capsys, "kconfig", "info", "--zephyr-base", str(zephyr_v1_path))
    assert "quotes recommended" not in out  # listed only when asked


def test_check_summary_counts_kconfig_warnings(capsys, zephyr_v1_path: Path, db_v1) -> None:
    _, out, _ = _run(capsys, "check", "--threatmodel", str(REPO / "threatmodel"),
                        "--zephyr-base", str(zephyr_v1_path))
    summary = out.splitlines()[-1]
    assert summary.endswith(f"against Zephyr 1.13.0; the tree's Kconfig has "
                            f"{len(db_v1.warnings)} kconfiglib warning(s) "
                            "(secguide kconfig info --warnings)")


def test_inert_tree_text() -> None:
    assert inert("a\x1b[31mred\x07\tb") == "a?[31mred?\tb"
