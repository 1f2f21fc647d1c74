"""Every export says where each item stands with the Working Group: state, reviewer, date."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest
from reqif.parser import ReqIFParser

from secguide.cli.main import main
from secguide.model.loader import load_threat_model
from secguide.trace.review import fingerprint
from secguide.zephyr.kconfig.cache import load_symbol_db

MINI_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "mini-model"


@pytest.fixture
def evidence(tmp_path: Path, mini_tree: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The review fixture exported: CANARIES freshly stamped by Ada, RANDOM carrying a
    stamp that matches nothing (suspect, by Old Reviewer), LEGACY-LOG never reviewed."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    model_dir = tmp_path / "tm"
    shutil.copytree(MINI_MODEL, model_dir)
    path = model_dir / "recommendations.yaml"
    # an approved item with a stale stamp is an error that blocks export; keep it in review
    path.write_text(path.read_text().replace("status: approved", "status: review"))
    model, diagnostics = load_threat_model(model_dir)
    assert diagnostics == []
    db = load_symbol_db(mini_tree, use_cache=False, cache_dir=tmp_path / "unused")[0]
    stamp = fingerprint(model.recommendations[0], db, model)
    text = path.read_text().replace(
        "    references: [CWE-121]\n",
        f"    references: [CWE-121]\n    review: {{by: Ada, date: 2026-01-02, "
        f"fingerprint: {stamp}}}\n", 1)
    path.write_text(text)
    out = tmp_path / "out"
    assert main(["export", "--out", str(out), "--threatmodel", str(model_dir),
                 "--zephyr-base", str(mini_tree)]) == 0
    return out


EXPECTED = {
    "REC-MINI-CANARIES": ("reviewed", "Ada", "2026-01-02"),
    "REC-MINI-RANDOM": ("suspect", "Old Reviewer", "2020-01-01"),
    "REC-MINI-LEGACY-LOG": ("unreviewed", "", ""),
}


def test_needs_json_carries_review_state_reviewer_and_date(evidence: Path) -> None:
    needs = json.loads((evidence / "needs.json").read_text())
    (version,) = needs["versions"].values()
    found = {rec_id: (need["review"], need["reviewed_by"], need["reviewed_on"])
             for rec_id, need in version["needs"].items() if rec_id.startswith("REC-")}
    assert found == EXPECTED


def test_csv_rows_carry_the_review_of_their_recommendation(evidence: Path) -> None:
    text = (evidence / "traceability.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    found = {r["recommendation"]: (r["review"], r["reviewed_by"], r["reviewed_on"])
             for r in rows}
    assert found == EXPECTED


def test_reqif_carries_review_state_reviewer_and_date(evidence: Path) -> None:
    bundle = ReqIFParser.parse(str(evidence / "requirements.reqif"))
    definitions = {}
    for spec_type in bundle.core_content.req_if_content.spec_types:
        for attribute in getattr(spec_type, "attribute_definitions", None) or ():
            definitions[attribute.identifier] = attribute.long_name
    found = {}
    for spec_object in bundle.core_content.req_if_content.spec_objects:
        values = {definitions[a.definition_ref]: a.value for a in spec_object.attributes}
        if str(values.get("ReqIF.ForeignID", "")).startswith("REC-"):
            found[values["ReqIF.ForeignID"]] = tuple(
                values.get(name, "") for name in ("review", "reviewed_by", "reviewed_on"))
    assert found == EXPECTED
