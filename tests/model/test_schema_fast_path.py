"""The compiled schema validator (jsonschema-rs) is trusted only to say "valid": every
file it calls valid must be valid for jsonschema, which decides everything else.

Checked over every YAML file of the tests and of the shipped model, the hostile inputs
of the other tests, and mutants of each (wrong types, missing and unknown fields,
values with a final newline), and character by character for the schema's ``\\s``.
"""

from __future__ import annotations

import copy
import re
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from tests.model.test_hostile_yaml import HOSTILE
from tests.test_untrusted_input import CONTROL_MODEL, EVERY_FIELD

from secguide.model import schema
from secguide.model.loader import load_threat_model
from secguide.model.yaml_source import read_yaml
from secguide.untrusted import unsafe_characters

REPO = Path(__file__).resolve().parents[2]


def _slow_valid(data: Any) -> bool:
    return next(iter(schema._validator().iter_errors(data)), None) is None


def _texts() -> Iterator[tuple[str, str]]:
    for root in (REPO / "tests", REPO / "threatmodel"):
        for path in sorted(root.rglob("*.y*ml")):
            yield str(path.relative_to(REPO)), path.read_text(encoding="utf-8")
    for name, (text, _code, _words) in sorted(HOSTILE.items()):
        yield f"hostile {name}", text
    for files in (EVERY_FIELD, CONTROL_MODEL):
        for name, text in sorted(files.items()):
            yield f"untrusted {name}", textwrap.dedent(text)


def _documents(tmp_path: Path) -> list[tuple[str, Any]]:
    """Each text as the loader gives it to the schema (limits and inert text applied)."""
    found = []
    for index, (name, text) in enumerate(_texts()):
        path = tmp_path / f"{index}.yaml"
        path.write_text(text, encoding="utf-8")
        doc, _problems = read_yaml(path, name)
        if doc.data is not None:
            found.append((name, doc.data))
    return found


_STAND_INS: tuple[Any, ...] = (None, True, 0, 7, 1.5, "", "x", [], {}, ["x", "x"], {"x": 1})


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data[:2]):  # two entries of a list are enough
            yield from _paths(value, (*prefix, index))


def _replaced(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    copied = copy.copy(data)
    copied[path[0]] = _replaced(data[path[0]], path[1:], value)
    return copied


def _at(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


def _mutants(data: Any) -> Iterator[tuple[str, Any, bool]]:
    """(what changed, mutant, newline case): one section entry at a time, kept small."""
    if not isinstance(data, dict):
        return
    for section, value in data.items():
        entries = value[:2] if isinstance(value, list) else [value]
        for entry in entries:
            small = {section: [entry] if isinstance(value, list) else entry}
            for path in _paths(small):
                here = _at(small, path)
                for stand_in in _STAND_INS:
                    yield f"{path} = {stand_in!r}", _replaced(small, path, stand_in), False
                if isinstance(here, str):
                    yield f"{path} + newline", _replaced(small, path, here + "\n"), True
                if isinstance(here, dict):
                    yield f"{path} + unknown", _replaced(small, path, {**here, "zz": 1}), False
                    for key in list(here)[:4]:
                        fewer = {k: v for k, v in here.items() if k != key}
                        yield f"{path} - {key}", _replaced(small, path, fewer), False


def test_every_input_and_mutant_gets_the_same_answer(tmp_path: Path) -> None:
    documents = _documents(tmp_path)
    assert len(documents) > 40  # the model, the fixtures and the hostile inputs were read
    checked = disagreements = valid = 0
    for name, data in documents:
        cases = [("as written", data, False), *_mutants(data)]
        for what, mutant, newline in cases:
            fast, slow = schema.surely_valid(mutant), _slow_valid(mutant)
            checked += 1
            valid += slow
            assert not (fast and not slow), f"{name}: {what}: compiled validator too lenient"
            if fast != slow:
                # the one known difference, on the safe side: Python's '$' also matches
                # before a final newline, so jsonschema accepts 'REC-X\n' as an ID
                assert newline, f"{name}: {what}: validators disagree"
                disagreements += 1
    assert checked > 5_000 and valid > 1_000 and disagreements > 0


def _python_space(char: str) -> bool:
    return re.fullmatch(r"\s", char) is not None


def test_the_schema_space_class_differs_only_on_refused_characters() -> None:
    r"""The patterns use ``\s`` and ``\S``; where the two engines differ on a character,
    that character never reaches the schema (the reader makes it inert)."""
    every = [chr(code) for code in range(0x110000) if not 0xD800 <= code <= 0xDFFF]
    engine = jsonschema_rs.validator_for({"items": {"not": {"pattern": r"^\s$"}}})
    rust_space = {every[error.instance_path[0]] for error in engine.iter_errors(every)}
    python_space = {char for char in every if _python_space(char)}
    assert " " in rust_space and "\t" in python_space  # both sets were computed
    more_lenient = python_space - rust_space  # refused by Python, accepted by Rust
    assert more_lenient  # there is a difference (\x1c-\x1f): the reader must cover it
    assert all(unsafe_characters(char) for char in more_lenient), sorted(
        hex(ord(char)) for char in more_lenient if not unsafe_characters(char))


def test_a_final_newline_is_decided_by_jsonschema(tmp_path: Path) -> None:
    """jsonschema accepts ``REC-NL\\n`` as an ID; so does the loader, fast path or not."""
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "recs.yaml").write_text(textwrap.dedent("""\
        recommendations:
          - id: "REC-NL\\n"
            title: t
            area: general
            status: draft
            rationale: r
        """))
    data = read_yaml(folder / "recs.yaml", "recs.yaml")[0].data
    assert not schema.surely_valid(data) and _slow_valid(data)
    _model, problems = load_threat_model(folder, display_base=tmp_path)
    assert [d for d in problems if d.code not in ("no-setting", "no-verification")] == []


def test_data_the_compiled_validator_cannot_take_goes_to_jsonschema(
        monkeypatch: pytest.MonkeyPatch) -> None:
    with_number_key = {"threats": [{1: "x"}]}
    assert schema.surely_valid(with_number_key) is False
    assert not _slow_valid(with_number_key)
    monkeypatch.setattr(schema, "_fast_validator", lambda: None)
    assert schema.surely_valid({"threats": []}) is False
