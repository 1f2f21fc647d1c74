"""A manual check's card: its first sentence names it, its whole procedure is its text,
and that procedure is held to the prose policy like every other text of the model."""

from __future__ import annotations

import shutil
from pathlib import Path

from secguide.model.loader import load_threat_model
from secguide.trace.needs import need_items
from secguide.trace.prose import WITHHELD, check_prose

REPO = Path(__file__).resolve().parents[2]


def test_manual_checks_have_a_short_title_and_their_procedure_as_text() -> None:
    model, problems = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert problems == []
    procedures = {v.id: v.ref for rec in model.recommendations for v in rec.verifications
                  if v.kind == "manual-check"}
    needs = {need.id: need for need in need_items(model) if need.id in procedures}
    assert len(needs) == len(procedures) >= 10
    for need_id, need in needs.items():
        assert len(need.title) <= 82
        assert need.content.startswith(procedures[need_id])


def test_markup_in_a_procedure_is_refused_at_its_line(tmp_path: Path) -> None:
    folder = tmp_path / "threatmodel"
    shutil.copytree(REPO / "threatmodel", folder)
    path = folder / "recommendations" / "stack-protection.yaml"
    text = path.read_text(encoding="utf-8")
    anchor = "      - id: TEST-MAN-INIT-STACKS\n        manual: >-\n"
    assert anchor in text
    text = text.replace(anchor, anchor + "          .. raw:: html\n\n")
    path.write_text(text, encoding="utf-8")
    line = text.splitlines().index("          .. raw:: html") + 1
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    found = [d for d in check_prose(model) if "manual procedure" in d.message]
    assert [(d.loc.path, d.loc.line, d.code) for d in found] == [
        ("threatmodel/recommendations/stack-protection.yaml", line, "unsafe-markup")]
    need = next(n for n in need_items(model) if n.id == "TEST-MAN-INIT-STACKS")
    assert need.content == WITHHELD
