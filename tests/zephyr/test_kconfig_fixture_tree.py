"""Kconfig loading on the hand-written mini tree: extraction details and error paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError, SourceLoc
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.tree import HardwareModel, resolve_tree


def test_mini_tree_symbols(mini_tree: Path, tmp_path: Path) -> None:
    db, report = load_symbol_db(mini_tree, cache_dir=tmp_path / "cache")
    assert report.source == "parse"
    assert db.zephyr_version == "9.8.7"
    canaries = db.get("STACK_CANARIES")
    assert canaries is not None
    assert canaries.definitions == (SourceLoc("kernel/Kconfig", 6),)
    assert canaries.configdefault_sites == (SourceLoc("kernel/Kconfig", 12),)
    assert [(d.value, d.condition) for d in canaries.defaults] == [("y", "MINI_HARDENED")]
    assert canaries.depends_on == "ENTROPY_GENERATOR"
    assert canaries.help.strip() == "Canaries detect stack smashing."

    randomness = db.get("CONFIG_STACK_POINTER_RANDOM")
    assert randomness is not None and randomness.type == "int"
    assert [r.value for r in randomness.ranges] == ["0 4096"]

    legacy = db.get("LEGACY_LOGGING")
    assert legacy is not None and legacy.deprecated
    assert db.get("DEPRECATED").selected_by == ("LEGACY_LOGGING",)

    helper = db.get("HIDDEN_HELPER")
    assert helper is not None and not helper.user_settable
    assert [d.value for d in helper.defaults] == ["y", "3 > 2"]
    assert [d.value for d in db.get("BOARD_FLASH_SIZE").defaults] == ["0"]
    assert "ARCH_FAKE" in db


def test_legacy_model_detected(mini_tree: Path) -> None:
    assert resolve_tree(mini_tree).hardware_model is HardwareModel.LEGACY


def test_syntax_error_names_file_and_line(mini_tree: Path, tmp_path: Path) -> None:
    kconfig = mini_tree / "kernel" / "Kconfig"
    kconfig.write_text(kconfig.read_text() + "\nconfig BROKEN\n\tbool \"x\"\n\tdepends on (A\n")
    broken_line = kconfig.read_text().splitlines().index("\tdepends on (A") + 1
    with pytest.raises(SecguideError) as caught:
        load_symbol_db(mini_tree, cache_dir=tmp_path / "cache")
    message = str(caught.value)
    assert f"{mini_tree / 'kernel' / 'Kconfig'}:{broken_line}:" in message
    assert caught.value.exit_code == 1


def test_missing_tree(tmp_path: Path) -> None:
    with pytest.raises(SecguideError, match="no such directory") as caught:
        resolve_tree(tmp_path / "nowhere")
    assert caught.value.exit_code == 2


def test_not_a_zephyr_tree(tmp_path: Path) -> None:
    (tmp_path / "VERSION").write_text("VERSION_MAJOR = 1\n")
    with pytest.raises(SecguideError, match=r"not a Zephyr tree \(no Kconfig.zephyr\)"):
        resolve_tree(tmp_path)


def test_no_tree_named() -> None:
    with pytest.raises(SecguideError, match="set ZEPHYR_BASE or pass --zephyr-base"):
        resolve_tree(None, environ={})


def test_zephyr_base_is_honoured(mini_tree: Path) -> None:
    assert resolve_tree(None, environ={"ZEPHYR_BASE": str(mini_tree)}).root == mini_tree.resolve()


def test_environment_is_restored(mini_tree: Path, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    monkeypatch.setenv("BOARD", "my_board")
    monkeypatch.delenv("KCONFIG_BINARY_DIR", raising=False)
    before = dict(os.environ)
    load_symbol_db(mini_tree, cache_dir=tmp_path / "cache", use_cache=False)
    assert dict(os.environ) == before
