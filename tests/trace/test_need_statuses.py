"""A need's status says only what the model states: no item is "approved" without a
status of its own that claims it (and a review stamp behind that claim)."""

from __future__ import annotations

from pathlib import Path

from secguide.model.loader import load_threat_model
from secguide.trace.needs import need_items

REPO = Path(__file__).resolve().parents[2]


def test_items_without_a_status_of_their_own_are_not_shown_approved() -> None:
    model, problems = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert problems == []
    needs = {item.id: item for item in need_items(model)}
    own_status = {item.id: item.status
                  for item in (*model.recommendations, *model.responsibilities)}
    unowned = [need for need in needs.values()
               if need.type in {"assumption", "threat", "out_of_scope"}]
    assert len(unowned) >= 30
    assert {need.status for need in unowned} == {""}
    adversaries = [need for need in needs.values() if need.type == "adversary"]
    assert adversaries and {need.status for need in adversaries} <= {"addressed",
                                                                     "not addressed"}
    # where the model states a status, the need carries exactly that one
    for item_id, status in own_status.items():
        assert needs[item_id].status == status
