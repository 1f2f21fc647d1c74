"""The guide against Zephyr's hardening database: comparison, export, round trip."""

from __future__ import annotations

from pathlib import Path

import jsonschema
import pytest
import yaml

from secguide.diagnostics import SecguideError
from secguide.model.hardening_db import load_hardening_db
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.hardening import (
    compare_with_upstream,
    export_rules,
    guide_settings,
    render_hardening_yaml,
)
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = REPO.parent / "shared" / "zephyr" / "upstream-hardening"


@pytest.fixture(scope="module")
def model() -> ThreatModel:
    return load_threat_model(REPO / "threatmodel")[0]


def test_comparison_partitions_every_upstream_rule(model: ThreatModel, db_v4: SymbolDB) -> None:
    database = load_hardening_db(UPSTREAM)
    c = compare_with_upstream(model, database, db_v4)
    assert c.rules == 119
    assert len(c.agree) + len(c.value_differences) + len(c.upstream_only) + len(c.waived) == 119
    assert len(c.unknown_to_tree) == 7
    ours = {g.setting.symbol for g in guide_settings(model)}
    assert {g.setting.symbol for g in c.guide_only} == ours - {r.symbol for r in database.rules}
    assert not {r.symbol for r in c.upstream_only} & ours
    for rule, waiver in c.waived:
        assert waiver.symbol == rule.symbol
    for difference in c.value_differences:
        upstream = database.rule(difference.rule.symbol)
        assert difference.upstream_text in (upstream.value, f">= {upstream.minimum}")
        assert difference.guide_text != difference.upstream_text


def test_profile_difference_reads_the_real_files(model: ThreatModel, db_v4: SymbolDB) -> None:
    c = compare_with_upstream(model, load_hardening_db(UPSTREAM), db_v4)
    for d in c.profile_differences:
        assert d.upstream_text in d.rule.profiles
        assert d.guide_text in d.guide.profiles
        assert d.upstream_text != d.guide_text


def _write_database(tmp_path: Path, text: str) -> Path:
    central = tmp_path / "db" / "scripts" / "kconfig" / "hardening.yaml"
    central.parent.mkdir(parents=True)
    central.write_text(text)
    return tmp_path / "db"


@pytest.mark.parametrize("profile", ["base", "strict"])
def test_export_passes_upstream_schema_and_round_trips(model: ThreatModel, tmp_path: Path,
                                                       profile: str) -> None:
    text = render_hardening_yaml(model, profile, with_profiles=True, source="threatmodel")
    schema = yaml.safe_load((UPSTREAM / "scripts" / "schemas" / "hardening-schema.yaml")
                            .read_text())
    jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(text))
    database = load_hardening_db(_write_database(tmp_path, text))
    assert database.diagnostics == ()
    exported = export_rules(model, profile)
    assert [(r.symbol, r.value, r.minimum, r.maximum, r.profiles, r.references)
            for r in database.rules] == [
        (r.symbol, r.value, r.minimum, r.maximum, r.profiles, r.references) for r in exported]
    assert [p.name for p in database.profiles] == list(model.profile_lineage(profile))[::-1]
    comparison = compare_with_upstream(model, database, None)
    assert comparison.value_differences == comparison.profile_differences == ()
    assert comparison.upstream_only == comparison.waived == ()
    if profile == "strict":
        assert comparison.guide_only == ()


def test_extra_source_export_has_no_profiles(model: ThreatModel) -> None:
    data = yaml.safe_load(render_hardening_yaml(model, "base", with_profiles=False,
                                                source="threatmodel"))
    assert set(data) == {"rules"}
    assert all(rule.get("profiles", ["base"]) == ["base"] for rule in data["rules"].values())


def test_export_refuses_unknown_profile(model: ThreatModel) -> None:
    with pytest.raises(SecguideError, match="no such profile"):
        export_rules(model, "paranoid")


def test_a_rule_the_guide_meets_more_ways_is_said_apart(model: ThreatModel,
                                                        db_v4: SymbolDB) -> None:
    """Upstream's STACK_CANARIES=y rule fails a build with strong canaries; the guide accepts
    it. The comparison keeps it an agreement and names the alternatives, text and JSON."""
    from secguide.trace.hardening import render_comparison_text

    c = compare_with_upstream(model, load_hardening_db(UPSTREAM), db_v4)
    (rule, guide), = c.wider
    assert (rule.symbol, guide.recommendation) == ("STACK_CANARIES", "REC-STACK-CANARIES")
    assert guide.setting.alternatives == ("STACK_CANARIES_STRONG", "STACK_CANARIES_ALL")
    text = render_comparison_text(c)
    assert ("CONFIG_STACK_CANARIES y; the guide also accepts CONFIG_STACK_CANARIES_STRONG=y, "
            "CONFIG_STACK_CANARIES_ALL=y (REC-STACK-CANARIES)") in text
    assert "agree with the guide (1 of them met more ways by the guide)" in text
    (entry,) = c.as_dict()["guide_accepts_more"]
    assert entry["also_accepted"] == ["CONFIG_STACK_CANARIES_STRONG=y",
                                      "CONFIG_STACK_CANARIES_ALL=y"]
