"""``west secguide`` in a throw-away west workspace, and the Zephyr module's build target.

The workspace is built offline: ``west init -l`` on a local manifest whose ``zephyr``
project is a link to the real v4.2.99 tree and whose ``secguide`` project is a link to
this checkout (declaring ``west-commands: scripts/west-commands.yml``). Nothing is
fetched: west reads projects from their paths. ``ZEPHYR_BASE`` is unset, so the tree
can only come from the workspace.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from installed import REPO

BUILD = REPO.parent / "shared" / "builds" / "configs" / "nucleo_h753zi-stepper.config"
OTHER_BUILD = REPO.parent / "shared" / "builds" / "configs" / "qemu_x86-vehicleos.config"
EPOCH = "1767225600"

MANIFEST = """\
manifest:
  remotes:
    - name: offline
      url-base: file:///nowhere
  projects:
    - name: zephyr
      remote: offline
      revision: main
      path: zephyr
    - name: secguide
      remote: offline
      revision: main
      path: modules/tools/secguide
      west-commands: scripts/west-commands.yml
  self:
    path: app
"""


def _environment(workspace: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("ZEPHYR_BASE", "WEST_CONFIG_LOCAL", "WEST_DIR")}
    # west's global and system options must not reach into the test
    env["WEST_CONFIG_GLOBAL"] = str(workspace / "global-westconfig")
    env["WEST_CONFIG_SYSTEM"] = str(workspace / "system-westconfig")
    env["SOURCE_DATE_EPOCH"] = EPOCH
    return env


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> Path:
    top = tmp_path_factory.mktemp("west-workspace")
    (top / "app").mkdir()
    (top / "app" / "west.yml").write_text(MANIFEST)
    (top / "zephyr").symlink_to(zephyr_v4_path)
    (top / "modules" / "tools").mkdir(parents=True)
    (top / "modules" / "tools" / "secguide").symlink_to(REPO)
    for build, config in (("build", BUILD), ("build-x86", OTHER_BUILD)):
        (top / "app" / build / "zephyr").mkdir(parents=True)
        shutil.copy(config, top / "app" / build / "zephyr" / ".config")
    done = subprocess.run([sys.executable, "-m", "west", "init", "-l", "app"], cwd=top,
                          env=_environment(top), capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return top


def _west(workspace: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "west", "secguide", *arguments],
                          cwd=workspace / "app", env=_environment(workspace),
                          capture_output=True, text=True, timeout=600, check=False)


def _secguide(workspace: Path, zephyr: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    env = {**_environment(workspace), "ZEPHYR_BASE": str(zephyr)}
    return subprocess.run([sys.executable, "-m", "secguide", *arguments], cwd=workspace / "app",
                          env=env, capture_output=True, text=True, timeout=600, check=False)


def test_west_lists_the_extension(workspace: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "west", "help"], cwd=workspace / "app",
                          env=_environment(workspace), capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    assert "extension commands from project secguide" in done.stdout
    assert "secguide:" in done.stdout


@pytest.mark.slow
@pytest.mark.parametrize(("west_arguments", "direct_arguments"), [
    (["check", "--format", "json"], ["check", "--format", "json"]),
    (["audit", "--format", "json"], ["audit", "build", "--format", "json"]),
    (["-d", "build-x86", "audit", "--format", "json"], ["audit", "build-x86", "--format", "json"]),
    (["audit", "build-x86", "--format", "json"], ["audit", "build-x86", "--format", "json"]),
    (["board", "nucleo_h753zi", "--format", "json"],
     ["board", "nucleo_h753zi", "--format", "json"]),
], ids=["check", "audit-build", "audit-d", "audit-named", "board"])
def test_west_secguide_uses_the_workspace_tree_and_build(
        workspace: Path, zephyr_v4_path: Path, west_arguments: list[str],
        direct_arguments: list[str]) -> None:
    through_west = _west(workspace, *west_arguments)
    direct = _secguide(workspace, zephyr_v4_path, *direct_arguments)
    assert direct.stdout.strip()
    assert through_west.returncode == direct.returncode, through_west.stderr
    assert through_west.stdout == direct.stdout
    data = json.loads(through_west.stdout)
    if west_arguments[0] == "check":
        assert data["zephyr_version"] == "4.2.99"  # the workspace's zephyr project


@pytest.mark.slow
def test_west_secguide_audit_reads_build_by_default(workspace: Path) -> None:
    done = _west(workspace, "audit")
    assert done.returncode == 1  # the stepper build has debug options on: findings
    first = done.stdout.splitlines()[0]
    assert first.startswith("build/zephyr/.config: guide rules")
    assert "board nucleo_h753zi/stm32h753xx" in done.stdout


@pytest.mark.slow
def test_west_secguide_evidence_of_the_build_folder(workspace: Path,
                                                    zephyr_v4_path: Path) -> None:
    through_west = _west(workspace, "evidence", "--out", "evidence-west")
    assert through_west.returncode == 0, through_west.stderr
    direct = _secguide(workspace, zephyr_v4_path, "evidence", "build", "--out",
                       "evidence-direct")
    assert direct.returncode == 0, direct.stderr
    made = workspace / "app" / "evidence-west"
    expected = workspace / "app" / "evidence-direct"
    for name in ("evidence.json", "verdicts.csv", "report.html"):
        assert (made / name).read_bytes() == (expected / name).read_bytes(), name
    evidence = json.loads((made / "evidence.json").read_text())
    assert "nucleo_h753zi" in json.dumps(evidence["build"])


@pytest.mark.slow
def test_west_secguide_passes_usage_errors_through(workspace: Path) -> None:
    done = _west(workspace, "audit", "--no-such-option")
    assert done.returncode == 2
    assert "error: unrecognized arguments: --no-such-option" in done.stderr


def test_module_yml_declares_only_what_zephyr_reads() -> None:
    """zephyr/module.yml: keys of Zephyr's module schema, and the folders they name exist
    (Zephyr refuses a ``cmake`` folder without CMakeLists.txt)."""
    meta = yaml.safe_load((REPO / "zephyr" / "module.yml").read_text())
    assert set(meta) == {"name", "build"}
    assert set(meta["build"]) == {"cmake"}
    assert (REPO / meta["build"]["cmake"] / "CMakeLists.txt").is_file()
    commands = yaml.safe_load((REPO / "scripts" / "west-commands.yml").read_text())
    (entry,) = commands["west-commands"]
    assert (REPO / entry["file"]).is_file()
    assert [c["name"] for c in entry["commands"]] == ["secguide"]


HARNESS = """\
cmake_minimum_required(VERSION 3.20)
project(zephyr_build_stand_in NONE)
# What Zephyr's build has defined when it adds a module's CMake folder.
set(ZEPHYR_BASE "{zephyr}")
set(DOTCONFIG "{config}")
set(APPLICATION_SOURCE_DIR "{app}")
add_subdirectory("{module}" modules/secguide)
"""


@pytest.mark.slow
def test_module_build_target_audits_the_builds_config(tmp_path: Path,
                                                      zephyr_v4_path: Path) -> None:
    """``secguide_audit``, the target the module adds, run by CMake as Zephyr's build
    would include it (a stand-in project defines the variables Zephyr's build does)."""
    cmake = shutil.which("cmake")
    if cmake is None:
        pytest.skip("cmake is not installed: the module's CMake target cannot be run")
    app = tmp_path / "app"
    app.mkdir()
    config = tmp_path / "build" / "zephyr" / ".config"
    config.parent.mkdir(parents=True)
    shutil.copy(BUILD, config)
    (tmp_path / "CMakeLists.txt").write_text(HARNESS.format(
        zephyr=zephyr_v4_path, config=config, app=app, module=REPO / "zephyr"))
    secguide = Path(sys.executable).parent / "secguide"
    env = {key: value for key, value in os.environ.items() if key != "ZEPHYR_BASE"}
    configure = subprocess.run([cmake, "-S", str(tmp_path), "-B", str(tmp_path / "cmake"),
                                f"-DSECGUIDE_EXECUTABLE={secguide}"], env=env,
                               capture_output=True, text=True, timeout=120, check=False)
    assert configure.returncode == 0, configure.stderr
    run = subprocess.run([cmake, "--build", str(tmp_path / "cmake"), "--target",
                          "secguide_audit"], env=env, capture_output=True, text=True,
                         timeout=600, check=False)
    assert run.returncode != 0  # the build has findings: the target fails, as hardenconfig
    assert f"{config}: guide rules" in run.stdout
    failing = run.stdout.split("  FAIL (")[1].split("\n\n")[0]
    assert "    REC-DBG-LOG CONFIG_LOG: expected n, actual y" in failing
