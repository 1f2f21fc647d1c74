"""The evidence's JSON writer gives the bytes of json.dumps(indent=2, sort_keys=True)."""

from __future__ import annotations

import enum
import json
import random
from pathlib import Path
from typing import Any

import pytest

from secguide.evidence.export import build_evidence
from secguide.evidence.json_text import indented_json
from secguide.model.loader import load_threat_model

REPO = Path(__file__).resolve().parents[2]


def _reference(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)


class _Kind(enum.StrEnum):
    TEST = "test"


_TEXTS = ["", "plain", 'quote " and \\ backslash', "tab\tnew\nline", "\x00\x1b\x7f\x85",
          "\u2028\u2029 é 漢 😀", "</script>", "\ud800"]
_LEAVES: list[Any] = [*_TEXTS, 0, -1, 10**30, 1.5, 1e-7, float("inf"), float("nan"), True,
                      False, None, _Kind.TEST]


def _random_data(rng: random.Random, depth: int) -> Any:
    choice = rng.random()
    if depth == 0 or choice < 0.4:
        return rng.choice(_LEAVES)
    size = rng.randrange(0, 4)
    if choice < 0.6:
        return [rng.choice(_TEXTS) for _ in range(size)]  # the all-text fast path
    if choice < 0.8:
        container = [_random_data(rng, depth - 1) for _ in range(size)]
        return tuple(container) if rng.random() < 0.3 else container
    return {rng.choice(_TEXTS) + str(index): _random_data(rng, depth - 1)
            for index in range(size)}


def test_random_data_is_written_as_json_writes_it() -> None:
    rng = random.Random(26)
    for _ in range(3_000):
        data = _random_data(rng, 5)
        assert indented_json(data) == _reference(data), data


@pytest.mark.parametrize("data", [{3: "a", 1: 2}, {None: 1}, [{"x": {2.5: 3}}]])
def test_keys_that_are_not_text_are_left_to_json(data: Any) -> None:
    assert indented_json(data) == _reference(data)


@pytest.mark.parametrize("data", [{"a": {1, 2}}, [object()], {"a": b"bytes"}])
def test_what_json_cannot_hold_is_refused_as_json_refuses_it(data: Any) -> None:
    with pytest.raises(TypeError):
        _reference(data)
    with pytest.raises(TypeError):
        indented_json(data)


def test_the_shipped_models_evidence_is_the_same_text() -> None:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    files = build_evidence(model, zephyr_version="4.2.99", tree_fingerprint="f" * 16,
                           inputs=[], results=None)
    for name in ("needs.json", "manifest.json"):
        text = files[name].decode()
        assert text == _reference(json.loads(text)) + "\n", name
        assert len(text) > (100_000 if name == "needs.json" else 100)
