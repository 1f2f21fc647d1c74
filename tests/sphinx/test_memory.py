"""A build freezes its long-lived data out of the collector's walks while it runs and
gives the process its collector back afterwards, after a failed build too: a test run
builds many guides in one process, and a collector left off would let garbage pile up."""

from __future__ import annotations

import gc
import os
import shutil
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp
from tests.sphinx.test_sphinx_ext import FIXTURE

from secguide.sphinx.memory import FULL_COLLECTION_EVERY, loading_long_lived_data


def test_a_build_freezes_while_writing_and_releases_at_the_end(tmp_path: Path,
                                                               mini_tree: Path) -> None:
    src = tmp_path / "guide"
    shutil.copytree(FIXTURE, src)
    seen: list[tuple[bool, int]] = []
    reading: list[tuple[int, int, int]] = []
    app = SphinxTestApp("html", srcdir=src, builddir=src / "_build",
                        confoverrides={"secguide_zephyr_base": str(mini_tree)})
    try:
        app.connect("write-started", lambda app, builder: seen.append(
            (gc.isenabled(), gc.get_freeze_count())))
        app.connect("doctree-read", lambda app, doctree: reading.append(gc.get_threshold()))
        app.build()
    finally:
        app.cleanup()
    assert seen and seen[0][0] and seen[0][1] > 0  # collecting, with the loaded data frozen
    # pages read with rarer full collections
    assert reading and {thresholds[2] for thresholds in reading} == {FULL_COLLECTION_EVERY}
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_loading_that_fails_leaves_the_collector_running() -> None:
    assert gc.isenabled()
    with pytest.raises(ValueError), loading_long_lived_data():
        assert not gc.isenabled()  # paused while loading
        raise ValueError("a bad model")
    assert gc.isenabled() and gc.get_freeze_count() == 0


def test_a_parallel_build_writes_in_one_process_with_the_pages_read_frozen(
        tmp_path: Path, mini_tree: Path) -> None:
    """-j 2: pages read by forked readers, written by the main process (Sphinx would fork
    a writer), with what was read frozen and rarer full collections while writing."""
    src = tmp_path / "guide"
    shutil.copytree(FIXTURE, src)
    before = gc.get_threshold()
    frozen_before_writing: list[int] = []
    written: list[tuple[int, int, tuple[int, int, int]]] = []
    app = SphinxTestApp("html", srcdir=src, builddir=src / "_build", parallel=2,
                        confoverrides={"secguide_zephyr_base": str(mini_tree)})
    try:
        app.connect("env-before-read-docs", lambda app, env, docs: frozen_before_writing
                    .append(gc.get_freeze_count()), priority=950)
        app.connect("html-page-context", lambda app, name, template, context, doctree:
                    written.append((os.getpid(), gc.get_freeze_count(), gc.get_threshold()))
                    if doctree is not None else None)
        app.build()
    finally:
        app.cleanup()
    assert len(written) == len(list(src.glob("*.rst")))
    assert {pid for pid, _, _ in written} == {os.getpid()}
    # the environment read by the workers joined the frozen data before writing
    assert all(count > frozen_before_writing[0] for _, count, _ in written)
    assert {thresholds[2] for _, _, thresholds in written} == {FULL_COLLECTION_EVERY}
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
