"""Who lists an item (threats' mitigated_by, clauses' lists), answered from an index
built once per model, the same as scanning every list."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from secguide.model.items import Threat, ThreatModel
from secguide.model.loader import load_threat_model

REPO = Path(__file__).resolve().parents[2]


def _shipped() -> ThreatModel:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    return model


def test_the_index_answers_as_a_scan_of_every_list() -> None:
    model = _shipped()
    ids = [item.id for item in model.items()] + ["REC-NOT-THERE"]
    listed = 0
    for item_id in ids:
        assert model.threats_mitigated_by(item_id) == tuple(
            t for t in model.threats if item_id in t.mitigated_by)
        assert model.clauses_listing(item_id) == tuple(
            c for c in model.clauses()
            if item_id in (*c.recommendations, *c.responsibilities, *c.out_of_scope))
        listed += bool(model.threats_mitigated_by(item_id))
    assert listed > 50  # the shipped model's recommendations mitigate threats
    assert model.threats_mitigated_by("REC-NOT-THERE") == ()


def test_a_threat_listing_an_item_twice_is_one_answer_and_a_changed_model_its_own() -> None:
    model = _shipped()
    rec = model.recommendations[0].id
    twice = Threat(id="THR-TWICE", title="t", description="d", mitigated_by=(rec, rec),
                   loc=model.threats[0].loc)
    assert twice not in model.threats_mitigated_by(rec)  # the index is built here
    changed = dataclasses.replace(model, threats=(*model.threats, twice))
    assert changed.threats_mitigated_by(rec)[-1] is twice
    assert changed.threats_mitigated_by(rec).count(twice) == 1
    assert twice not in model.threats_mitigated_by(rec)
