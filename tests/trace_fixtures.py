"""A small hand-built threat model for the results, coverage and export tests."""

from __future__ import annotations

from secguide.diagnostics import SourceLoc
from secguide.model.items import (
    Recommendation,
    Setting,
    Threat,
    ThreatModel,
    Verification,
    Waiver,
)

FILE = "threatmodel/recommendations/small.yaml"


def loc(line: int) -> SourceLoc:
    return SourceLoc(FILE, line, 5)


def small_model() -> ThreatModel:
    """Three recommendations: fully traced, pytest-verified, and one with gaps."""
    canaries = Recommendation(
        id="REC-SP-CANARIES", title="Stack canaries — on", area="stack-protection",
        status="review", rationale="Detect overwritten return addresses.\n\nAlways.",
        settings=(Setting(symbol="STACK_CANARIES", value="y", loc=loc(8)),),
        verifications=(
            Verification(kind="target-test", ref="kernel.memory_protection.stackprot",
                         note="canary \"smash\" test, with, commas", loc=loc(11)),
            Verification(kind="manual-check", ref="Check the map file", id="TEST-MAN-MAP-FILE",
                         loc=loc(12)),
        ),
        loc=loc(2))
    guard = Recommendation(
        id="REC-SP-GUARD", title="Hardware stack guard", area="stack-protection",
        status="review", rationale="Trap stack overflows.",
        settings=(Setting(symbol="HW_STACK_PROTECTION", value="y", loc=loc(20)),
                  Setting(symbol="STACK_POINTER_RANDOM", minimum=64, loc=loc(22))),
        verifications=(Verification(kind="guide-check",
                                    ref="tests/test_stack.py::test_canaries_set",
                                    loc=loc(25)),),
        loc=loc(15))
    bare = Recommendation(
        id="REC-GEN-BARE", title="Something without a setting", area="general",
        status="draft", rationale="Not traced yet.", loc=loc(30))
    threats = (
        Threat(id="THR-SMASH", title="Stack smashing", description="Overflow.",
               mitigated_by=("REC-SP-CANARIES", "REC-SP-GUARD"), loc=SourceLoc("t.yaml", 3)),
        Threat(id="THR-OPEN", title="Unmitigated", description="Nobody helps.",
               loc=SourceLoc("t.yaml", 9)),
    )
    waivers = (Waiver(symbol="BOOT_BANNER", reason="cosmetic", loc=SourceLoc("w.yaml", 2)),
               Waiver(symbol="STACK_CANARIES", reason="stale", loc=SourceLoc("w.yaml", 5)))
    return ThreatModel(threats=threats, recommendations=(canaries, guard, bare),
                       waivers=waivers, files=(FILE,))
