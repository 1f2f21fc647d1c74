"""The on-disk symbol cache: served when valid, rebuilt when the tree or the file is bad."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from secguide.zephyr.kconfig.cache import load_symbol_db


def _load(tree: Path, cache: Path):
    return load_symbol_db(tree, cache_dir=cache)


def test_second_load_is_served_from_cache(mini_tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, report1 = _load(mini_tree, cache)
    second, report2 = _load(mini_tree, cache)
    assert (report1.source, report2.source) == ("parse", "cache")
    assert second.fingerprint == first.fingerprint
    assert second.get("STACK_CANARIES") == first.get("STACK_CANARIES")
    assert sorted(second.symbols) == sorted(first.symbols)


def test_touch_rechecks_content_and_edit_reparses(mini_tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first, _ = _load(mini_tree, cache)
    kconfig = mini_tree / "kernel" / "Kconfig"
    stat = kconfig.stat()
    os.utime(kconfig, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    touched, report = _load(mini_tree, cache)
    assert report.source == "cache-verified"
    assert touched.fingerprint == first.fingerprint

    kconfig.write_text(kconfig.read_text() + '\nconfig ADDED_LATER\n\tbool "new"\n')
    edited, report = _load(mini_tree, cache)
    assert report.source == "parse"
    assert edited.fingerprint != first.fingerprint
    assert "ADDED_LATER" in edited and "ADDED_LATER" not in first


def test_warm_load_lists_no_folder(mini_tree: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged tree is recognised from the cache's own lists, by stat calls only."""
    cache = tmp_path / "cache"
    _load(mini_tree, cache)

    def no_listing(path: object) -> None:
        raise AssertionError(f"the warm path listed {path}")

    monkeypatch.setattr(os, "scandir", no_listing)
    _, report = _load(mini_tree, cache)
    assert report.source == "cache"


def test_an_added_or_removed_input_is_noticed(mini_tree: Path, tmp_path: Path) -> None:
    """A new Kconfig file changes its folder's mtime, even in a folder new to the tree."""
    cache = tmp_path / "cache"
    first, _ = _load(mini_tree, cache)
    added = mini_tree / "drivers" / "new" / "Kconfig.extra"
    added.parent.mkdir(parents=True)
    added.write_text('config NEW_DRIVER\n\tbool "new driver"\n')
    second, report = _load(mini_tree, cache)
    assert report.source == "parse"  # a new input: the content fingerprint differs
    assert second.fingerprint != first.fingerprint
    added.unlink()
    third, report = _load(mini_tree, cache)
    assert report.source == "parse"
    assert third.fingerprint == first.fingerprint


def test_garbage_cache_file_is_survived(mini_tree: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    _, report = _load(mini_tree, cache)
    assert report.cache_file is not None
    for garbage in (b"\x00\xff not json", b"[1, 2, 3]",
                    b'{"format": "secguide-kconfig-db", "schema": 1, "symbols": 5}'):
        report.cache_file.write_bytes(garbage)
        db, again = _load(mini_tree, cache)
        assert again.source == "parse"
        assert "STACK_CANARIES" in db


def test_cached_symbol_with_wrong_shape_is_not_trusted(mini_tree: Path, tmp_path: Path) -> None:
    import json

    cache = tmp_path / "cache"
    _, report = _load(mini_tree, cache)
    data = json.loads(report.cache_file.read_text())
    data["zephyr_version"] = None
    del data["fingerprint"]
    report.cache_file.write_text(json.dumps(data))
    db, again = _load(mini_tree, cache)
    assert again.source == "parse"
    assert db.zephyr_version == "9.8.7"


def test_unwritable_cache_dir_still_loads(mini_tree: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file-not-dir"
    blocker.write_text("x")
    db, report = _load(mini_tree, blocker / "cache")
    assert report.source == "parse"
    assert "STACK_CANARIES" in db
