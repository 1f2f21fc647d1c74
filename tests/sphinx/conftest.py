"""Fixtures of the guide tests: one build of the real guide, shared by the session."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> Path:
    """``make html``'s command into a temporary folder; fails on any warning."""
    if shutil.which("dot") is None:
        pytest.fail("Graphviz 'dot' is not installed: 'make test' brings it (root on "
                    "Debian/Ubuntu), or install graphviz", pytrace=False)
    out = tmp_path_factory.mktemp("site")
    # conf.py takes the last "make test" report when there is one; these tests are about
    # the guide without results, whatever the checkout holds.
    env = {**os.environ, "ZEPHYR_BASE": str(zephyr_v4_path), "SECGUIDE_RESULTS": ""}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "sphinx-build"), "-b", "html", "-W", "--keep-going",
         "-j", "auto", "-q", "-c", ".", "source", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return out
