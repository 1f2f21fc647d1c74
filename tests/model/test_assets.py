"""Assets: the model kind, its references from threats, and the checks on both."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secguide.diagnostics import Diagnostic, Severity
from secguide.model.items import AssetCategory
from secguide.model.loader import load_threat_model
from secguide.trace.validate import validate_references

ASSETS = """\
assets:
  - id: AST-KEYS
    title: Keys
    category: security
    description: The device's keys.
  - id: AST-LONELY
    title: Nobody's target
    category: privacy
    description: No threat names it.
"""

THREATS = """\
threats:
  - id: THR-LEAK
    title: Leak
    description: d
    assets: [AST-KEYS, AST-KEYZ, THR-OTHER]
    mitigated_by: [RESP-X]
  - id: THR-OTHER
    title: Other
    description: d
    mitigated_by: [RESP-X]
responsibilities:
  - id: RESP-X
    title: X
    description: d
"""


def _load(tmp_path: Path, **files: str) -> tuple[object, list[Diagnostic]]:
    folder = tmp_path / "tm"
    folder.mkdir(exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return load_threat_model(folder, display_base=tmp_path)


def test_assets_load_with_category_and_threat_entry_lines(tmp_path: Path) -> None:
    model, diagnostics = _load(tmp_path, **{"assets.yaml": ASSETS, "threats.yaml": THREATS})
    assert diagnostics == []
    keys = model.assets[0]
    assert (keys.id, keys.title, keys.category) == ("AST-KEYS", "Keys", AssetCategory.SECURITY)
    assert (keys.loc.path, keys.loc.line) == ("tm/assets.yaml", 2)
    leak = model.threats[0]
    assert leak.assets == ("AST-KEYS", "AST-KEYZ", "THR-OTHER")
    # each entry keeps its own column on line 5: "    assets: [AST-KEYS, AST-KEYZ, THR-OTHER]"
    assert [(loc.line, loc.col) for loc in leak.asset_locs] == [(5, 14), (5, 24), (5, 34)]
    assert [t.id for t in model.threats_against("AST-KEYS")] == ["THR-LEAK"]
    assert model.threats_against("AST-LONELY") == ()


def test_reference_checks_point_at_the_naming_entry(tmp_path: Path) -> None:
    model, _ = _load(tmp_path, **{"assets.yaml": ASSETS, "threats.yaml": THREATS})
    found = [(d.severity, d.code, d.loc.path, d.loc.line, d.loc.col)
             for d in validate_references(model)]
    assert found == [
        (Severity.ERROR, "unknown-id", "tm/threats.yaml", 5, 24),
        (Severity.ERROR, "wrong-link", "tm/threats.yaml", 5, 34),
        (Severity.WARNING, "no-asset", "tm/threats.yaml", 7, 9),
        (Severity.WARNING, "asset-unthreatened", "tm/assets.yaml", 6, 9),
    ]
    unknown = next(d for d in validate_references(model) if d.code == "unknown-id")
    assert "threat THR-LEAK: assets names AST-KEYZ" in unknown.message
    assert "did you mean AST-KEYS" in unknown.message


def test_a_model_without_assets_is_not_asked_for_them(tmp_path: Path) -> None:
    # phased in: threats of a model (or an older product model) that declares no asset
    model, _ = _load(tmp_path, **{"threats.yaml": THREATS.replace(
        "    assets: [AST-KEYS, AST-KEYZ, THR-OTHER]\n", "")})
    assert [d.code for d in validate_references(model)] == []


# (file text, code, line, phrase)
BAD = {
    "lower-case-id": (ASSETS.replace("AST-KEYS", "AST-keys"), "bad-value", 2,
                      "is not a valid id"),
    "wrong-prefix": (ASSETS.replace("AST-KEYS", "ASSET-KEYS"), "bad-value", 2,
                     "is not a valid id"),
    "unknown-category": (ASSETS.replace("category: security", "category: secret"),
                         "bad-value", 4, "'secret'"),
    "missing-category": (ASSETS.replace("    category: security\n", ""), "missing-field", 2,
                         "asset is missing required field 'category'"),
    "unknown-field": (ASSETS.replace("    category: security\n",
                                     "    category: security\n    owner: me\n"),
                      "unknown-field", 5, "'owner'"),
    "not-a-list": ("assets: AST-KEYS\n", "wrong-type", 1, "a list"),
    "markup-in-id": (ASSETS.replace("id: AST-KEYS", "id: 'AST-K `x`_ .. raw:: html'"),
                     "bad-value", 2, "is not a valid id"),
    "second-definition": (ASSETS.replace("AST-LONELY", "AST-KEYS"), "duplicate-id", 6,
                          "duplicate ID AST-KEYS"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_asset_input_is_one_located_error(case: str, tmp_path: Path) -> None:
    text, code, line, phrase = BAD[case]
    _, diagnostics = _load(tmp_path, **{"assets.yaml": text})
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    assert len(errors) == 1, [str(d) for d in diagnostics]
    assert (errors[0].code, errors[0].loc.path, errors[0].loc.line) == (code, "tm/assets.yaml",
                                                                       line)
    assert phrase in errors[0].message


def test_threat_assets_entry_that_is_not_text_is_refused(tmp_path: Path) -> None:
    threats = THREATS.replace("[AST-KEYS, AST-KEYZ, THR-OTHER]", "[{id: AST-KEYS}]")
    model, diagnostics = _load(tmp_path, **{"threats.yaml": threats})
    (error,) = [d for d in diagnostics if d.severity is Severity.ERROR]
    assert (error.loc.line, error.code) == (5, "wrong-type")
    assert "THR-LEAK" not in {t.id for t in model.threats}
