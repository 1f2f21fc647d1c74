"""The explicit profile set: loading, lineage, and its findings at file:line."""

from __future__ import annotations

import textwrap
from pathlib import Path

from secguide.diagnostics import Diagnostic
from secguide.model.items import DEFAULT_PROFILES, ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.validate import validate_profiles

REPO = Path(__file__).resolve().parents[2]

REC = """\
recommendations:
  - id: REC-A
    title: A
    area: general
    status: review
    rationale: Because.
    profiles: [{profiles}]
"""

PROFILES = """\
profiles:
  - name: base
    description: Every build.
  - name: strict
    extends: base
    description: More.
"""


def _load(tmp_path: Path, **files: str) -> tuple[ThreatModel, list[Diagnostic]]:
    for name, text in files.items():
        (tmp_path / "tm").mkdir(exist_ok=True)
        (tmp_path / "tm" / f"{name}.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return load_threat_model(tmp_path / "tm", display_base=tmp_path)


def _lines(diagnostics: list[Diagnostic]) -> list[str]:
    return [f"{d.loc.path}:{d.loc.line} {d.code}" for d in diagnostics]


def test_the_guide_declares_base_inside_strict() -> None:
    model, diagnostics = load_threat_model(REPO / "threatmodel")
    assert not [d for d in diagnostics if "profile" in d.code]
    assert [p.name for p in model.declared_profiles] == ["base", "strict"]
    assert model.profile("strict").extends == "base"
    assert model.profile_lineage("strict") == ("strict", "base")
    assert model.profile_lineage("base") == ("base",)
    assert validate_profiles(model) == []
    base_only = [r for r in model.recommendations if r.profiles == ("base",)]
    strict_only = [r for r in model.recommendations if r.profiles == ("strict",)]
    assert base_only and strict_only
    assert all(model.in_profile(r, "strict") for r in base_only + strict_only)
    assert not any(model.in_profile(r, "base") for r in strict_only)


def test_without_a_declaration_upstreams_set_applies(tmp_path: Path) -> None:
    model, diagnostics = _load(tmp_path, recs=REC.format(profiles="strict"))
    assert diagnostics == []
    assert model.profiles == DEFAULT_PROFILES
    assert validate_profiles(model) == []
    assert model.in_profile(model.recommendations[0], "strict")


def test_custom_profile_extending_strict(tmp_path: Path) -> None:
    extra = PROFILES + "  - name: medical\n    extends: strict\n    description: Ours.\n"
    model, diagnostics = _load(tmp_path, profiles=extra, recs=REC.format(profiles="base"))
    assert diagnostics == [] and validate_profiles(model) == []
    assert model.profile_lineage("medical") == ("medical", "strict", "base")
    assert model.in_profile(model.recommendations[0], "medical")


def test_unknown_profile_on_a_recommendation_is_an_error_at_its_line(tmp_path: Path) -> None:
    model, _ = _load(tmp_path, profiles=PROFILES, recs=REC.format(profiles="base, paranoid"))
    found = validate_profiles(model)
    assert _lines(found) == ["tm/recs.yaml:7 unknown-profile"]
    assert "names profile 'paranoid'; profiles declared: base, strict" in found[0].message


def test_unknown_parent_and_cycles(tmp_path: Path) -> None:
    text = PROFILES.replace("extends: base", "extends: bsae") + (
        "  - name: a\n    extends: b\n    description: x\n"
        "  - name: b\n    extends: a\n    description: y\n")
    model, diagnostics = _load(tmp_path, profiles=text)
    assert diagnostics == []
    found = validate_profiles(model)
    assert _lines(found) == ["tm/profiles.yaml:4 unknown-profile",
                             "tm/profiles.yaml:7 profile-cycle",
                             "tm/profiles.yaml:10 profile-cycle"]
    assert "extends 'bsae', which is not declared" in found[0].message
    assert model.profile_lineage("a") == ("a", "b")


def test_duplicate_and_malformed_profiles_are_loader_errors(tmp_path: Path) -> None:
    text = PROFILES + "  - name: base\n    description: again\n  - name: Bad Name\n" \
        "    description: x\n  - name: nodesc\n"
    model, diagnostics = _load(tmp_path, profiles=text)
    assert sorted(_lines(diagnostics)) == ["tm/profiles.yaml:11 missing-field",
                                           "tm/profiles.yaml:7 duplicate-profile",
                                           "tm/profiles.yaml:9 bad-value"]
    assert [p.name for p in model.declared_profiles] == ["base", "strict"]
