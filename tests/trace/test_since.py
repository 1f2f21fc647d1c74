"""Settings kept for a later Zephyr release (``since``): a note on older trees, checked on newer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from secguide.diagnostics import Severity
from secguide.model.loader import load_threat_model
from secguide.model.releases import introduced_later, release_key
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.symbols import SymbolDB


def _model(tmp_path: Path, symbol: str, since: str | None):
    folder = tmp_path / "tm"
    folder.mkdir()
    since_line = f"        since: \"{since}\"\n" if since else ""
    (folder / "recs.yaml").write_text(
        "recommendations:\n"
        "  - id: REC-LATER\n    title: t\n    area: heap-libc\n    status: draft\n"
        "    rationale: r\n    settings:\n"
        f"      - symbol: {symbol}\n        value: \"n\"\n{since_line}"
        "    verification:\n      - build_audit: production\n")
    return load_threat_model(folder, display_base=tmp_path)


@pytest.mark.parametrize(("version", "key"), [
    ("4.2.99", (4, 2, 99)), ("4.5", (4, 5, 0)), ("4.10.0", (4, 10, 0)),
    ("4.4.0-rc1", (4, 4, 0)), ("", (0, 0, 0))])
def test_release_key_compares_numbers(version: str, key: tuple[int, int, int]) -> None:
    assert release_key(version) == key


def test_release_ordering_is_numeric_not_textual() -> None:
    assert release_key("4.9.99") < release_key("4.10.0")
    assert release_key("4.2.99") < release_key("4.3.0") < release_key("4.4.0")


def test_absent_symbol_from_a_later_release_is_a_note(tmp_path: Path, db_v4: SymbolDB) -> None:
    model, load = _model(tmp_path, "SYS_HEAP_HARDENING_NONE", "4.4.0")
    assert load == []
    (setting,) = model.recommendations[0].settings
    assert setting.since == "4.4.0"
    assert introduced_later(setting, db_v4.zephyr_version)
    kconfig = [d for d in validate_model(model, db_v4) if d.loc == setting.loc]
    assert [(d.severity, d.code) for d in kconfig] == [(Severity.NOTE, "later-release-symbol")]
    assert "comes with Zephyr 4.4.0" in kconfig[0].message
    assert "4.2.99 does not define it yet" in kconfig[0].message


def test_without_since_the_same_symbol_is_an_error(tmp_path: Path, db_v4: SymbolDB) -> None:
    model, _ = _model(tmp_path, "SYS_HEAP_HARDENING_NONE", None)
    codes = [(d.severity, d.code) for d in validate_model(model, db_v4)]
    assert (Severity.ERROR, "unknown-symbol") in codes


def test_unknown_symbol_in_a_tree_at_or_after_since_is_an_error(
        tmp_path: Path, db_v4: SymbolDB) -> None:
    """A tree that has reached the release must define the symbol (here: a misspelt one)."""
    model, _ = _model(tmp_path, "SYS_HEAP_HARDENNING_NONE", "4.2.0")
    errors = [d for d in validate_model(model, db_v4) if d.severity is Severity.ERROR]
    assert [d.code for d in errors] == ["unknown-symbol"]


def test_symbol_present_before_since_in_a_release_tree_is_a_warning(
        tmp_path: Path, db_v4: SymbolDB) -> None:
    model, _ = _model(tmp_path, "STACK_SENTINEL", "9.0.0")
    released = dataclasses.replace(db_v4, zephyr_version="4.2.0")
    codes = [d.code for d in validate_model(model, released) if d.severity is Severity.WARNING]
    assert "since-too-late" in codes
    # A development snapshot (x.y.99) may already carry the next release's symbols.
    codes = [d.code for d in validate_model(model, db_v4) if d.severity is Severity.WARNING]
    assert "since-too-late" not in codes


def test_since_must_look_like_a_release(tmp_path: Path) -> None:
    _, load = _model(tmp_path, "STACK_SENTINEL", "soon")
    assert load and "since" in str(load[0]) and "recs.yaml:" in str(load[0])
