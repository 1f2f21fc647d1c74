"""An asset is as protected as the least mitigated threat against it: in the guide (the
trace of the model) and on one build (the build's threat verdicts)."""

from __future__ import annotations

import textwrap
from pathlib import Path

from build_fixtures import AUDIT, MODEL, check
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.assets import AssetProtection, guide_asset_states
from secguide.trace.build_verdicts import EvidenceVerdict, build_verdicts
from secguide.trace.coverage import compute_coverage, format_text

BOARD = {"board": "nucleo_h753zi", "board_target": "nucleo_h753zi/stm32h753xx"}

ASSETS = """\
assets:
  - {id: AST-STACK, title: s, category: security, description: d}
  - {id: AST-X86, title: x, category: security, description: d}
  - {id: AST-SHARED, title: p, category: privacy, description: d}
  - {id: AST-NONE, title: n, category: function, description: d}
  - {id: AST-OPEN, title: o, category: network, description: d}
  - {id: AST-HANDED, title: h, category: network, description: d}
more_threats:
"""


def _model(tmp_path: Path) -> ThreatModel:
    text = textwrap.dedent(MODEL)
    for threat, assets in (("THR-ONE", "AST-STACK, AST-OPEN"), ("THR-TWO", "AST-STACK"),
                           ("THR-THREE", "AST-SHARED"), ("THR-FOUR", "AST-X86")):
        text = text.replace(f"{{id: {threat}, ", f"{{id: {threat}, assets: [{assets}], ")
    text = text.replace("responsibilities:\n", (
        "  - {id: THR-FIVE, title: t, description: d, assets: [AST-OPEN]}\n"
        "  - {id: THR-SIX, title: t, description: d, assets: [AST-HANDED],"
        " mitigated_by: [RESP-X]}\n"
        "responsibilities:\n"))
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "model.yaml").write_text(text, encoding="utf-8")
    (folder / "assets.yaml").write_text(ASSETS.replace("more_threats:\n", ""),
                                        encoding="utf-8")
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    return model


def test_guide_state_is_the_weakest_answer_of_the_threats_against_it(tmp_path: Path) -> None:
    states = {s.asset_id: s for s in guide_asset_states(_model(tmp_path))}
    assert {key: s.protection for key, s in states.items()} == {
        "AST-STACK": AssetProtection.MITIGATED,
        "AST-X86": AssetProtection.MITIGATED,
        "AST-SHARED": AssetProtection.MITIGATED,  # REC-C (x86) and RESP-X
        # nothing names it: undecided, never mitigated
        "AST-NONE": AssetProtection.UNDECIDED,
        # THR-ONE is mitigated, THR-FIVE is not: one unmitigated threat is enough
        "AST-OPEN": AssetProtection.UNMITIGATED,
        "AST-HANDED": AssetProtection.PRODUCT,
    }
    assert states["AST-OPEN"].why == "THR-FIVE has no current mitigation"
    assert [a.threat_id for a in states["AST-OPEN"].threats] == ["THR-ONE", "THR-FIVE"]
    assert "RESP-X" in states["AST-HANDED"].why


def test_build_verdict_is_the_weakest_threat_verdict(tmp_path: Path) -> None:
    model = _model(tmp_path)
    result = build_verdicts(model, "base", AUDIT, None, **BOARD)
    verdicts = {a.asset.id: a.verdict for a in result.assets}
    assert verdicts["AST-STACK"] is EvidenceVerdict.MET
    assert verdicts["AST-X86"] is EvidenceVerdict.NOT_APPLICABLE  # THR-FOUR: x86 only
    assert verdicts["AST-SHARED"] is EvidenceVerdict.PRODUCT_OPEN  # RESP-X not declared
    assert verdicts["AST-NONE"] is EvidenceVerdict.NOT_ASSESSED
    # THR-FIVE has nothing against it: not assessed, so its asset is not met either
    assert verdicts["AST-OPEN"] is EvidenceVerdict.NOT_ASSESSED
    assert result.counts()["assets"]["met"] == 1
    assert result.as_dict()["assets"][0] == {
        "id": "AST-STACK", "title": "s", "category": "security", "verdict": "met",
        "why": "every applicable threat against it is met", "threats": ["THR-ONE", "THR-TWO"]}

    # one failing setting: THR-ONE not met, and with it the asset, although THR-TWO holds
    failing = build_verdicts(model, "base", {**AUDIT, "REC-A": [check("STACK_CANARIES",
                                                                      "FAIL")]}, None, **BOARD)
    stack = next(a for a in failing.assets if a.asset.id == "AST-STACK")
    assert stack.verdict is EvidenceVerdict.NOT_MET
    assert stack.why == "THR-ONE: not met"


def test_coverage_counts_an_asset_no_threat_names_as_a_gap(tmp_path: Path) -> None:
    report = compute_coverage(_model(tmp_path))
    assert [a.asset_id for a in report.undecided_assets] == ["AST-NONE"]
    # THR-FIVE is the unmitigated threat; AST-NONE the one asset nothing names
    assert [t.id for t in report.unmitigated_threats] == ["THR-FIVE"]
    assert report.gaps == len(report.without_settings) + len(report.without_verifications) + 2
    counts = report.counts()
    assert (counts["assets"], counts["assets_mitigated"], counts["assets_product"],
            counts["assets_unmitigated"], counts["assets_undecided"]) == (6, 3, 1, 1, 1)
    text = format_text(report)
    assert "assets no threat names (1):\n  tm/assets.yaml:5:" in text
    assert "AST-OPEN: unmitigated (THR-FIVE has no current mitigation)" in text
    assert "assets: 6, 3 mitigated in the guide, 1 relying on the product" in text
    assert report.as_dict()["assets"][4]["threats"] == ["THR-ONE", "THR-FIVE"]
