"""``secguide export`` says which version of the threat model the evidence is of."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]


def _git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_manifest_records_the_models_commit_and_dirty_state(tmp_path: Path,
                                                            zephyr_v4_path: Path) -> None:
    out = tmp_path / "evidence"
    assert main(["export", "--out", str(out), "--threatmodel", str(REPO / "threatmodel"),
                 "--zephyr-base", str(zephyr_v4_path)]) == 0
    model = json.loads((out / "manifest.json").read_text())["model"]
    assert model["commit"] == _git("rev-parse", "HEAD")
    dirty = bool(_git("status", "--porcelain", "--", "threatmodel"))
    assert model["model_files_modified"] is dirty


def test_a_model_outside_git_has_no_commit(tmp_path: Path, zephyr_v4_path: Path) -> None:
    model_dir = tmp_path / "threatmodel"
    shutil.copytree(REPO / "threatmodel", model_dir)
    out = tmp_path / "evidence"
    assert main(["export", "--out", str(out), "--threatmodel", str(model_dir),
                 "--zephyr-base", str(zephyr_v4_path)]) == 0
    assert json.loads((out / "manifest.json").read_text())["model"] == {
        "commit": "", "model_files_modified": False}
