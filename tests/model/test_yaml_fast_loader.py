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


#: Texts whose findings depend on marks: duplicate and non-text keys, control characters
#: in keys and values (a literal block's lines), a date that is none, unknown tags.
MARKED = {
    "duplicate": "threats:\n  - id: THR-A\n    id: THR-B\n",
    "key": "threats:\n  - ? [a, b]\n    : x\n",
    "control": 'recommendations:\n  - id: "REC-\\e"\n    "ti\\x07tle": t\n    rationale: |\n'
               "      one\n      two \u202e\n",
    "dates": "review: {date: 2026-02-30, on: 2026-01-02}\nn: [1, 0x1f, .nan, ~, yes]\n",
    "binary": "value: !!binary aGVsbG8=\n",
    "python-tag": "value: !!python/name:os.system x\n",
    "seq-tag-on-text": "value: !!seq x\n",
}


@pytest.mark.skipif(getattr(yaml, "CSafeLoader", None) is None, reason="PyYAML without libyaml")
@pytest.mark.parametrize("case", sorted(MARKED) + [f"hostile {name}" for name in
                                                   ("alias-bomb", "recursive-alias",
                                                    "flow-nesting", "block-nesting",
                                                    "alias-count", "long-scalar")])
def test_marks_and_limits_are_the_same_on_both_paths(tmp_path: Path, case: str,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.model.test_hostile_yaml import HOSTILE

    text = HOSTILE[case.removeprefix("hostile ")][0] if case.startswith("hostile") \
        else MARKED[case]
    path = tmp_path / "case.yaml"
    path.write_text(text, encoding="utf-8")
    fast = _read(path, yaml.CSafeLoader, monkeypatch)
    assert fast == _read(path, None, monkeypatch)
    # the cases are not silently fine: each has its finding (dates and bytes are data)
    assert bool(fast[-1]) is (case not in ("dates", "binary")), fast[-1]


def test_no_yaml_node_outlives_the_reading(tmp_path: Path) -> None:
    """The values keep no node (each holds marks and text): a model of thousands of items
    would keep every node of every file alive, in every build and command."""
    import gc

    path = tmp_path / "x.yaml"
    path.write_text("a: [1, 2, x, 2026-01-02, yes, ~]\nb: {c: text}\n")
    yaml_source.read_yaml(path, "x.yaml")
    gc.collect()
    assert [o for o in gc.get_objects() if isinstance(o, yaml.Node)] == []
