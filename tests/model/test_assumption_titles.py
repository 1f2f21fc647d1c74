"""Assumptions have short titles of their own; one without a title is named by its text,
and a stamp made before titles existed still matches."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from secguide.model.loader import load_threat_model
from secguide.trace.needs import need_items
from secguide.trace.review import item_title, review_document

REPO = Path(__file__).resolve().parents[2]


def _copy_model(tmp_path: Path) -> Path:
    folder = tmp_path / "threatmodel"
    shutil.copytree(REPO / "threatmodel", folder)
    return folder


def test_shipped_assumptions_have_short_titles_unlike_their_text() -> None:
    model, problems = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert problems == []
    assumptions = model.scope.assumptions
    assert len(assumptions) >= 8
    needs = {need.id: need for need in need_items(model)}
    for assumption in assumptions:
        assert assumption.title and len(assumption.title) < 80
        assert needs[assumption.id].title == assumption.title != assumption.text
        assert item_title(assumption) == assumption.title


def test_an_empty_title_is_refused_at_its_line(tmp_path: Path) -> None:
    folder = _copy_model(tmp_path)
    scope = folder / "scope.yaml"
    text = scope.read_text(encoding="utf-8")
    title = "title: Those who contribute to the product are trusted"
    line = text.splitlines().index(f"      {title}") + 1
    scope.write_text(text.replace(title, "title: ''"), encoding="utf-8")
    _, problems = load_threat_model(folder, display_base=tmp_path)
    assert [(p.loc.path, p.loc.line) for p in problems] == [("threatmodel/scope.yaml", line)]
    assert "title" in problems[0].message


def test_an_untitled_assumption_keeps_its_fingerprint_document() -> None:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    titled = model.scope.assumptions[0]
    untitled = dataclasses.replace(titled, title="")
    # the database is not read for assumptions: they rely on no Kconfig symbol
    with_title = review_document(titled, None, model)  # type: ignore[arg-type]
    without = review_document(untitled, None, model)  # type: ignore[arg-type]
    assert with_title["item"]["title"] == titled.title
    assert "title" not in without["item"]  # what a stamp made before titles were added saw
    assert item_title(untitled) == titled.text
