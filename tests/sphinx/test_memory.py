"""A build freezes its long-lived data out of the collector's walks while it runs and
gives the process its collector back afterwards, after a failed build too: a test run
builds many guides in one process, and a collector left off would let garbage pile up."""

from __future__ import annotations

import gc
import shutil
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from tests.sphinx.test_sphinx_ext import FIXTURE

from secguide.sphinx.memory import loading_long_lived_data


def test_a_build_freezes_while_writing_and_releases_at_the_end(tmp_path: Path,
                                                               mini_tree: Path) -> None:
    src = tmp_path / "guide"
    shutil.copytree(FIXTURE, src)
    seen: list[tuple[bool, int]] = []
    app = SphinxTestApp("html", srcdir=src, builddir=src / "_build",
                        confoverrides={"secguide_zephyr_base": str(mini_tree)})
    try:
        app.connect("write-started", lambda app, builder: seen.append(
            (gc.isenabled(), gc.get_freeze_count())))
        app.build()
    finally:
        app.cleanup()
    assert seen and seen[0][0] and seen[0][1] > 0  # collecting, with the loaded data frozen
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_loading_that_fails_leaves_the_collector_running() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), loading_long_lived_data():
        assert not gc.isenabled()  # paused while loading
        raise ValueError("a bad model")
    assert gc.isenabled() and gc.get_freeze_count() == 0
