"""The guide's ReqIF export types every need: one SPEC-OBJECT-TYPE per need type.

Exported from the real threat model against the real tree, parsed back with the
``reqif`` library, and compared with the export's own ``needs.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from reqif.parser import ReqIFParser

from secguide.cli.main import main
from secguide.evidence.reqif import GUIDE_OBJECTS, object_identifier, object_type_identifier

REPO = Path(__file__).resolve().parents[2]
TWISTER = REPO / "tests" / "fixtures" / "results" / "twister.json"


@pytest.fixture(scope="module")
def export(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> Path:
    out = tmp_path_factory.mktemp("guide-export") / "evidence"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")
        assert main(["export", "--threatmodel", str(REPO / "threatmodel"),
                     "--zephyr-base", str(zephyr_v4_path), "--results", str(TWISTER),
                     "--out", str(out)]) == 0
    return out


def test_every_need_is_an_object_of_its_own_type(export: Path) -> None:
    bundle = ReqIFParser.parse(str(export / "requirements.reqif"))
    assert bundle.exceptions == []
    content = bundle.core_content.req_if_content
    needs_data = json.loads((export / "needs.json").read_text())
    (version,) = needs_data["versions"].values()
    needs = version["needs"]
    kinds = dict(GUIDE_OBJECTS)
    expected_type = {object_identifier(nid): object_type_identifier(kinds[need["type"]])
                     for nid, need in needs.items()}
    # No need is left out and none falls back to a generic type.
    assert {o.identifier: o.spec_object_type for o in content.spec_objects} == expected_type
    object_types = {t.identifier: t for t in content.spec_types
                    if t.identifier.startswith("SOT-")}
    assert set(object_types) == set(expected_type.values())
    assert len(object_types) >= 8  # the real model has every kind but none missing

    for spec_object in content.spec_objects:
        own = {d.identifier: d.long_name
               for d in object_types[spec_object.spec_object_type].attribute_definitions}
        values = {}
        for attribute in spec_object.attributes:
            assert attribute.definition_ref in own, (spec_object.identifier,
                                                     attribute.definition_ref)
            values[own[attribute.definition_ref]] = attribute.value
        need_id = spec_object.identifier.removeprefix("SO-")
        assert values["ReqIF.ForeignID"] == need_id
        assert values["ReqIF.Name"] == needs[need_id]["title"]


def _attribute_names(export: Path) -> dict[str, set[str]]:
    content = ReqIFParser.parse(str(export / "requirements.reqif")).core_content.req_if_content
    return {t.long_name: {d.long_name for d in t.attribute_definitions}
            for t in content.spec_types if t.identifier.startswith("SOT-")}


def test_each_type_has_its_own_attributes(export: Path) -> None:
    names = _attribute_names(export)
    common = {"ReqIF.ForeignID", "ReqIF.Name", "ReqIF.Text", "Status", "Tags"}
    assert all(common <= attributes for attributes in names.values())
    assert {"symbol", "value", "zephyr_version"} <= names["setting"]
    assert {"verification_kind", "result"} <= names["verification"]
    assert {"area", "profiles"} <= names["requirement"]
    # A threat has no Kconfig symbol, a setting no verification outcome.
    assert "symbol" not in names["threat"] and "result" not in names["threat"]
    assert "result" not in names["setting"] and "verification_kind" not in names["setting"]
    # Definition IDs are per type, so a tool can map each type's columns apart.
    content = ReqIFParser.parse(str(export / "requirements.reqif")).core_content.req_if_content
    for spec_type in content.spec_types:
        if spec_type.identifier.startswith("SOT-"):
            prefix = "AD-" + spec_type.identifier.removeprefix("SOT-") + "-"
            assert all(d.identifier.startswith(prefix)
                       for d in spec_type.attribute_definitions), spec_type.identifier


def test_trace_links_between_typed_objects_survive(export: Path) -> None:
    content = ReqIFParser.parse(str(export / "requirements.reqif")).core_content.req_if_content
    types = {o.identifier: o.spec_object_type for o in content.spec_objects}
    pairs = {(r.relation_type_ref, types[r.source], types[r.target])
             for r in content.spec_relations}
    assert ("SRT-MITIGATES", "SOT-REQUIREMENT", "SOT-THREAT") in pairs
    assert ("SRT-IMPLEMENTED_BY", "SOT-REQUIREMENT", "SOT-SETTING") in pairs
    assert ("SRT-VERIFIED_BY", "SOT-REQUIREMENT", "SOT-VERIFICATION") in pairs
