"""YAML built to hurt: every case ends in one located error, quickly, without a traceback.

The limits (file size, nesting depth, aliases, expanded size, scalar length) are
far above what a real threat model reaches; the real model is loaded too, to
prove it stays well inside them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from secguide.diagnostics import Severity
from secguide.model import yaml_source
from secguide.model.loader import load_threat_model
from secguide.model.yaml_source import read_yaml

REPO = Path(__file__).resolve().parents[2]


def _billion_laughs(levels: int = 9) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for level in range(1, levels + 1):
        refs = ",".join(f"*a{level - 1}" for _ in range(9))
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"


HOSTILE = {
    # 9**10 strings once expanded: the classic alias bomb
    "alias-bomb": (_billion_laughs(), "yaml-limit", "expand to more than"),
    # an anchor that contains itself: expansion never ends
    "recursive-alias": ("threats: &loop [*loop]\n", "yaml-limit", "refers to itself"),
    # 50,000 nested flow sequences: PyYAML's composer recurses once per level
    "flow-nesting": ("threats: " + "[" * 50_000 + "]" * 50_000 + "\n", "yaml-limit",
                     "nested deeper than"),
    # block nesting, 1,000 mappings deep (half a megabyte of indentation)
    "block-nesting": ("".join(f"{' ' * i}k{i}:\n" for i in range(1_000)) + " " * 1_000 + "x\n",
                      "yaml-limit", "nested deeper than"),
    # many aliases of one small node
    "alias-count": ("a: &x 1\nb: [" + ", ".join(["*x"] * 5_000) + "]\n", "yaml-limit",
                    "aliases"),
    # one scalar of 3 MB (over the file limit as well as the scalar limit)
    "huge-scalar": ("threats: '" + "A" * 3_000_000 + "'\n", "yaml-limit", "larger than"),
    # a scalar under the file limit but far above any real text
    "long-scalar": ("threats: '" + "A" * 300_000 + "'\n", "yaml-limit", "longer than"),
}


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "bomb.yaml").write_text(text, encoding="utf-8")
    return folder


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_yaml_is_one_located_error(tmp_path: Path, case: str) -> None:
    text, code, phrase = HOSTILE[case]
    folder = _write(tmp_path, text)
    _model, diagnostics = load_threat_model(folder, display_base=tmp_path)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    assert len(errors) == 1, [str(d)[:200] for d in diagnostics]
    error = errors[0]
    assert error.code == code
    assert error.loc.path == "tm/bomb.yaml"
    assert phrase in error.message
    assert "\n" not in str(error)
    assert len(str(error)) < 300


def test_limits_are_far_above_the_real_model(zephyr_v4_path: Path) -> None:
    """Every real threat-model file loads without a limit finding, with room to spare."""
    for path in sorted((REPO / "threatmodel").rglob("*.yaml")):
        assert path.stat().st_size * 20 < yaml_source.MAX_FILE_BYTES, path
        _doc, problems = read_yaml(path, path.name)
        assert [p for p in problems if p.code == "yaml-limit"] == []


def _run_check(folder: Path, zephyr: Path) -> subprocess.CompletedProcess[str]:
    """``secguide check`` in a child limited to 1 GiB of address space (a bomb would not fit)."""
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"
        "from secguide.cli.main import main\n"
        "sys.exit(main(sys.argv[1:]))\n"
    )
    return subprocess.run(
        [sys.executable, "-c", code, "check", "--threatmodel", str(folder),
         "--zephyr-base", str(zephyr)],
        capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.parametrize("case", ["alias-bomb", "flow-nesting", "huge-scalar"])
def test_check_on_hostile_yaml_exits_1_without_traceback(tmp_path: Path, case: str,
                                                         zephyr_v4_path: Path) -> None:
    folder = _write(tmp_path, HOSTILE[case][0])
    done = _run_check(folder, zephyr_v4_path)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr + done.stdout
    located = [line for line in done.stdout.splitlines() if "[yaml-limit]" in line]
    assert len(located) == 1
    assert located[0].startswith(f"{folder}/bomb.yaml:1:")
