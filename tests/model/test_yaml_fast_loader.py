"""libyaml's composer gives the same data, lines and text spans as the pure-Python one."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from secguide.model import yaml_source

REPO = Path(__file__).resolve().parents[2]
FILES = sorted([*(REPO / "threatmodel").rglob("*.yaml"),
                *(REPO.parent / "shared" / "zephyr" / "upstream-hardening").rglob("*.yaml")])


def _read(path: Path, loader: object, monkeypatch: pytest.MonkeyPatch) -> tuple[object, ...]:
    monkeypatch.setattr(yaml_source, "_FAST_LOADER", loader)
    doc, diagnostics = yaml_source.read_yaml(path, path.name)
    return doc.data, doc.value_locs, doc.key_locs, doc.text_ends, [str(d) for d in diagnostics]


@pytest.mark.skipif(getattr(yaml, "CSafeLoader", None) is None, reason="PyYAML without libyaml")
def test_fast_and_pure_python_composers_agree(monkeypatch: pytest.MonkeyPatch) -> None:
    assert len(FILES) > 60
    for path in FILES:
        assert _read(path, yaml.CSafeLoader, monkeypatch) == _read(path, None, monkeypatch), path


def test_errors_are_worded_by_the_pure_python_composer(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("recommendations:\n  - id: REC-A-B\n    title: [unclosed\n")
    _, diagnostics = yaml_source.read_yaml(broken, "broken.yaml")
    assert [(d.loc.line, d.code) for d in diagnostics] == [(4, "yaml-syntax")]


def test_an_empty_file_is_not_called_a_threat_model_file(tmp_path: Path) -> None:
    # The reader also reads hardening.yaml, --hardening-extra, --waivers and --manual files.
    empty = tmp_path / "records.yaml"
    empty.write_text("")
    _, diagnostics = yaml_source.read_yaml(empty, "records.yaml")
    assert [(d.code, d.loc.line) for d in diagnostics] == [("empty-file", 1)]
    assert "file is empty" in diagnostics[0].message
    assert "threat-model" not in diagnostics[0].message
