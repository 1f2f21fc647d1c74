"""``secguide export`` writes the same bytes from any working directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
TWISTER = Path("tests") / "fixtures" / "results" / "twister.json"


def _folder(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file()}


def test_export_from_two_working_directories_is_byte_identical(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, zephyr_v4_path: Path) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.chdir(REPO)
    assert main(["export", "--threatmodel", "threatmodel", "--zephyr-base", str(zephyr_v4_path),
                 "--results", str(TWISTER), "--out", str(tmp_path / "a")]) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert main(["export", "--threatmodel", str(REPO / "threatmodel"),
                 "--zephyr-base", str(zephyr_v4_path), "--results", str(REPO / TWISTER),
                 "--out", str(tmp_path / "b")]) == 0
    first, second = _folder(tmp_path / "a"), _folder(tmp_path / "b")
    assert first.keys() == {"manifest.json", "needs.json", "requirements.reqif",
                            "traceability.csv"}
    assert first == second
    # paths are relative to the project root, never the machine's layout
    manifest = first["manifest.json"].decode()
    assert '"path": "tests/fixtures/results/twister.json"' in manifest
    assert '"path": "threatmodel/' in manifest and str(REPO) not in manifest
    assert str(REPO).encode() not in first["needs.json"]
