"""The guide ships with the tool: the wheel, installed anywhere, checks against its guide.

A product team installs secguide into its own environment and runs it in its own
folder, where there is no ``threatmodel/``. Each command must then use the guide the
package carries, say which version that is, and answer exactly as the same command in
this repository does.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from installed import REPO, build_wheel, fresh_environment
from secguide import __version__
from secguide.model.guide_package import model_digest

BUILD = REPO.parent / "shared" / "builds" / "configs" / "nucleo_h753zi-stepper.config"
EPOCH = "1767225600"


@pytest.fixture(scope="module")
def installed_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    return fresh_environment(folder, build_wheel(folder))


def _secguide(command: list[str], cwd: Path, zephyr: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ZEPHYR_BASE": str(zephyr), "SOURCE_DATE_EPOCH": EPOCH}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)


COMMANDS = [
    ["check", "--strict", "--format", "json"],
    ["check"],
    ["audit", str(BUILD), "--format", "json"],
    ["board", "nucleo_h753zi", "--format", "json"],
]


@pytest.mark.slow
@pytest.mark.parametrize("arguments", COMMANDS, ids=lambda a: "-".join(a[:2]).replace("/", ""))
def test_installed_command_answers_as_in_the_repository(
        installed_bin: Path, tmp_path: Path, zephyr_v4_path: Path,
        arguments: list[str]) -> None:
    empty = tmp_path / "product"
    empty.mkdir()
    outside = _secguide([str(installed_bin / "secguide"), *arguments], empty, zephyr_v4_path)
    inside = _secguide([sys.executable, "-m", "secguide", *arguments], REPO, zephyr_v4_path)
    assert outside.returncode == inside.returncode, outside.stderr
    assert outside.stdout == inside.stdout
    assert outside.stdout.strip()
    digest = model_digest(REPO / "threatmodel")
    said = outside.stderr.splitlines()[0]
    assert said.startswith(f"secguide: threat model: the guide of secguide {__version__}, "
                           f"model sha256:{digest[:12]} (")
    # the model it names is the wheel's copy, not this checkout
    assert str(installed_bin.parent) in said and str(REPO) not in said
    assert "threat model:" not in inside.stderr  # ./threatmodel wins in the repository
    assert list(empty.iterdir()) == []


@pytest.mark.slow
def test_installed_evidence_is_the_repositorys(installed_bin: Path, tmp_path: Path,
                                               zephyr_v4_path: Path) -> None:
    empty = tmp_path / "product"
    empty.mkdir()
    arguments = ["evidence", str(BUILD), "--out"]
    outside = _secguide([str(installed_bin / "secguide"), *arguments, "out"], empty,
                        zephyr_v4_path)
    assert outside.returncode == 0, outside.stderr
    inside = _secguide([sys.executable, "-m", "secguide", *arguments, str(tmp_path / "in")],
                       REPO, zephyr_v4_path)
    assert inside.returncode == 0, inside.stderr
    made, expected = empty / "out", tmp_path / "in"
    names = sorted(p.name for p in expected.iterdir())
    assert sorted(p.name for p in made.iterdir()) == names
    for name in names:
        if name != "manifest.json":
            assert (made / name).read_bytes() == (expected / name).read_bytes(), name
    ours, theirs = (json.loads((folder / "manifest.json").read_text())
                    for folder in (made, expected))
    # the same model files, by path relative to the guide and by content
    assert ours["inputs"] == theirs["inputs"]
    digest = model_digest(REPO / "threatmodel")
    guide = f"secguide {__version__}, model sha256:{digest[:12]}"
    assert ours["model"] == {"commit": "", "model_files_modified": False, "guide": guide}
    assert theirs["model"]["guide"] == guide and len(theirs["model"]["commit"]) == 40
    config = next(i for i in ours["inputs"] if i["role"] == "config")
    assert config["sha256"] == hashlib.sha256(BUILD.read_bytes()).hexdigest()


@pytest.mark.slow
def test_installed_guide_brings_its_pages(installed_bin: Path) -> None:
    """``recommendation-not-shown`` reads the guide's pages: the package carries them."""
    probe = ("from secguide.model.guide_package import installed_guide\n"
             "from secguide.trace.guide_pages import default_guide_dir, page_selections\n"
             "guide = installed_guide()\n"
             "pages = default_guide_dir(guide.threatmodel)\n"
             "print(guide.packaged, pages == guide.pages, len(page_selections(pages)))\n")
    done = subprocess.run([str(installed_bin / "python"), "-c", probe], capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    from secguide.trace.guide_pages import page_selections
    selections = len(page_selections(REPO / "source"))
    assert selections > 10
    assert done.stdout.split() == ["True", "True", str(selections)]
