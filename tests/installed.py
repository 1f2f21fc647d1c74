"""secguide as a product team gets it: the built wheel in a fresh virtual environment.

Offline by construction: the wheel is built with ``--no-build-isolation`` by the test
environment's own setuptools (the ``test`` extra brings it), installed with
``--no-index --no-deps``, and the fresh environment (``--system-site-packages`` off)
reaches the already installed dependencies through one ``.pth`` line naming the test
environment's site-packages. A ``.pth`` line adds a folder but does not run the ``.pth``
files inside it, so the test environment's editable secguide stays out of sight: the
fresh environment imports the wheel's copy or nothing.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
#: what a build of the package reads (pyproject.toml's readme, setup.py's guide folders)
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "ext",
                "threatmodel", "source")


def _run(command: list[str], cwd: Path | None = None) -> None:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600,
                          check=False)
    assert done.returncode == 0, f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}"


def build_wheel(folder: Path) -> Path:
    """The wheel of a copy of the repository's build inputs (the checkout stays clean)."""
    source = folder / "src"
    source.mkdir(parents=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "_build")
    for name in BUILD_INPUTS:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, ignore=ignore)
        else:
            shutil.copy2(REPO / name, source / name)
    wheels = folder / "wheels"
    _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-index",
          "--no-build-isolation", "--wheel-dir", str(wheels), str(source)])
    (wheel,) = wheels.glob("secguide-*.whl")
    return wheel


def fresh_environment(folder: Path, wheel: Path) -> Path:
    """A new virtual environment holding ``wheel``; returns its ``bin`` folder."""
    venv = folder / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    _run([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
          "--quiet", "--no-deps", "--no-index", str(wheel)])
    (packages,) = venv.glob("lib/python*/site-packages")
    (packages / "test-environment-dependencies.pth").write_text(
        "".join(f"{path}\n" for path in site.getsitepackages()))
    return venv / "bin"
