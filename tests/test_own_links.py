"""This suite's own trace links: every ``@pytest.mark.verifies`` names a real recommendation.

A marker on a test that merely exercises the plugin (its inner pytest run has
markers of its own) would put a link into this project's JUnit report that no
recommendation answers; the guide and the evidence would then show a verification
that verifies nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.model.loader import load_threat_model
from secguide.pytest_plugin import marked_ids

REPO = Path(__file__).resolve().parent.parent


def test_every_verifies_marker_of_this_suite_names_a_real_recommendation(
        request: pytest.FixtureRequest) -> None:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    known = {rec.id for rec in model.recommendations}
    unknown = {item.nodeid: rec_id for item in request.session.items
               for rec_id in marked_ids(item) if rec_id not in known}
    assert unknown == {}
