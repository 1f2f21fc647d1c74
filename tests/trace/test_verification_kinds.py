"""What each verification kind proves: a guide check never verifies a product.

Run over the shipped model with the results CI produces: every mission test
(``tests/test_mission.py``, one guide check per recommended setting) passed.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from secguide.evidence.export import build_evidence
from secguide.model.items import VERIFICATION_KINDS
from secguide.model.loader import load_threat_model
from secguide.trace.coverage import compute_coverage, format_text
from secguide.trace.needs import need_items
from secguide.trace.results import Outcome, Results, marked_tests, need_results

REPO = Path(__file__).resolve().parents[2]


def _mission_passed() -> tuple:
    model, problems = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert problems == []
    results = Results()
    for rec in model.recommendations:
        node = f"tests/test_mission.py::test_recommended_setting_is_real[{rec.id}]"
        results.pytest[node] = Outcome.PASSED
        results.verifies[rec.id] = [node]
    return model, results


def test_every_shipped_verification_has_one_of_the_four_kinds() -> None:
    model, _ = _mission_passed()
    kinds = {v.kind for r in model.recommendations for v in r.verifications}
    assert kinds <= set(VERIFICATION_KINDS)
    assert {"build-audit", "target-test", "manual-check"} <= kinds
    manual = [v for r in model.recommendations for v in r.verifications
              if v.kind == "manual-check"]
    # short, given in the YAML, unique
    assert all(v.id.startswith("TEST-MAN-") and len(v.id) <= 40 for v in manual)
    assert len({v.id for v in manual}) == len(manual) >= 10


def test_no_passed_rests_on_a_guide_check_alone() -> None:
    model, results = _mission_passed()
    items = need_items(model, "4.2.99", results=need_results(model, results),
                       marked=marked_tests(results))
    guide = [i for i in items if i.extra.get("verification_kind") == "guide-check"]
    assert len(guide) == len(model.recommendations)
    assert {i.extra["result"] for i in guide} == {"valid for tree"}
    assert not any("passed" in i.extra.get("result", "") for i in items)

    report = compute_coverage(model, results=results)
    # nothing but guide checks ran: no setting is verified for a product
    assert report.settings and not [s for s in report.settings
                                    if s.outcome is Outcome.PASSED]
    counts = report.counts()
    active = [r for r in model.recommendations if r.deprecation is None and r.settings]
    assert counts["verifications_guide_check"] == len(active)
    assert counts["verifications_build_audit"] == sum(
        1 for r in active if any(v.kind == "build-audit" for v in r.verifications))
    assert f"{len(active)} guide checks (they verify the guide, never a product)" in format_text(
        report)

    files = build_evidence(model, zephyr_version="4.2.99", tree_fingerprint="f" * 64,
                           inputs=[], results=results)
    rows = list(csv.DictReader(io.StringIO(files["traceability.csv"].decode("utf-8-sig"))))
    assert not [r for r in rows if "passed" in r["result"]]
    assert {r["result"] for r in rows if r["verification_kind"] == "guide-check"} == {
        "valid for tree"}
    # result values start the attribute / field; "passed" also occurs in 'proves' texts
    assert b'THE-VALUE="passed' not in files["requirements.reqif"]
    assert b'THE-VALUE="valid for tree"' in files["requirements.reqif"]
    assert b'"result": "passed' not in files["needs.json"]
