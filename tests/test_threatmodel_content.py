"""Content-level promises of the shipped threat model that a generic validator does not check.

- each of the eight symbols the 2018 draft recommended, and which no longer exist,
  is kept as a deprecated recommendation whose replacement is real in Zephyr 4.2
  and whose old symbol is real in Zephyr 1.13;
- every symbol of Zephyr's own hardening list (scripts/kconfig/hardened.csv) is
  either recommended or waived;
- every threat has a mitigation;
- the three adversaries the draft explicitly does not address are present.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secguide.model.items import Recommendation
from secguide.model.loader import load_threat_model
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parent.parent
MODEL, LOAD_DIAGNOSTICS = load_threat_model(REPO / "threatmodel", display_base=REPO)

STALE_DRAFT_SYMBOLS = (
    "APPLICATION_MEMORY",
    "X86_PAE_MODE",
    "RETPOLINE",
    "SYS_LOG",
    "KERNEL_DEBUG",
    "CONSOLE_SHELL",
    "X86_TSC_RANDOM_GENERATOR",
    "XOROSHIRO_RANDOM_GENERATOR",
)

# The successor the guide promises for each stale symbol (one of its replaced_by entries).
EXPECTED_SUCCESSOR = {
    "X86_PAE_MODE": "X86_PAE",
    "SYS_LOG": "LOG",
    "CONSOLE_SHELL": "SHELL",
    "XOROSHIRO_RANDOM_GENERATOR": "XOSHIRO_RANDOM_GENERATOR",
}

NOT_ADDRESSED = ("ADV-KERNEL-CORE", "ADV-OEM-COMPONENTS", "ADV-SYSTEM-BUILDER")


def _deprecated_for(symbol: str) -> list[Recommendation]:
    return [rec for rec in MODEL.recommendations
            if rec.deprecation is not None
            and any(s.symbol == symbol for s in rec.settings)]


def _hardened_symbols(zephyr_v4_path: Path) -> list[str]:
    """Symbols of hardened.csv; tolerates its one ``NAME=value`` line."""
    symbols = []
    for line in (zephyr_v4_path / "scripts" / "kconfig" / "hardened.csv").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            symbols.append(re.split(r"[,=]", line, maxsplit=1)[0].strip())
    return symbols


def test_model_loads_without_diagnostics() -> None:
    assert [str(d) for d in LOAD_DIAGNOSTICS] == []


@pytest.mark.parametrize("old", STALE_DRAFT_SYMBOLS)
def test_stale_draft_symbol_is_deprecated_with_real_successor(
        old: str, db_v4: SymbolDB, db_v1: SymbolDB) -> None:
    recs = _deprecated_for(old)
    assert len(recs) == 1, f"expected one deprecated recommendation for {old}, got {recs}"
    rec = recs[0]
    assert rec.status == "deprecated"
    assert old in db_v1, f"{old} should exist in Zephyr {db_v1.zephyr_version}"
    assert old not in db_v4, f"{old} still exists in Zephyr {db_v4.zephyr_version}"

    successors = rec.deprecation.replaced_by
    symbols = [s for s in successors if not s.startswith("REC-")]
    assert symbols, f"{rec.id} names no successor symbol"
    assert [s for s in symbols if s not in db_v4] == []
    if old in EXPECTED_SUCCESSOR:
        assert EXPECTED_SUCCESSOR[old] in symbols

    # Every REC- successor is a current (not deprecated) recommendation.
    for ref in (s for s in successors if s.startswith("REC-")):
        current = MODEL.recommendation(ref)
        assert current is not None and current.deprecation is None, ref
    assert rec.deprecation.note, f"{rec.id} must say what changed"


@pytest.mark.parametrize("old", STALE_DRAFT_SYMBOLS)
def test_stale_draft_symbol_has_a_current_recommendation(old: str, db_v4: SymbolDB) -> None:
    """Deprecating is not enough: some current recommendation sets a successor."""
    rec = _deprecated_for(old)[0]
    successors = set(rec.deprecation.replaced_by)
    current = [r for r in MODEL.recommendations if r.deprecation is None
               and (r.id in successors or any(s.symbol in successors for s in r.settings))]
    assert current, f"no current recommendation replaces {rec.id}"
    assert all(s.symbol in db_v4 for r in current for s in r.settings)


def test_every_hardened_csv_symbol_is_recommended_or_waived(
        zephyr_v4_path: Path, db_v4: SymbolDB) -> None:
    recommended = {s.symbol for r in MODEL.recommendations if r.deprecation is None
                   for s in r.settings}
    waived = {w.symbol for w in MODEL.waivers}
    hardened = _hardened_symbols(zephyr_v4_path)
    assert len(hardened) > 40
    # Entries naming symbols the tree does not define cannot be set or waived;
    # waivers.yaml lists them in a comment.
    absent = sorted(s for s in hardened if s not in db_v4)
    assert absent == ["SOC_ATMEL_SAME70_DISABLE_ERASE_PIN", "SOC_ATMEL_SAME70_WAIT_MODE",
                      "TEST_SHELL"]
    uncovered = [s for s in hardened if s in db_v4 and s not in recommended | waived]
    assert uncovered == []
    assert sorted(recommended & waived) == [], "a symbol is both recommended and waived"


def test_every_threat_has_a_mitigation() -> None:
    assert len(MODEL.threats) >= 15
    known = {r.id for r in MODEL.recommendations} | {r.id for r in MODEL.responsibilities}
    for threat in MODEL.threats:
        assert threat.mitigated_by, f"{threat.id} has no mitigation"
        assert set(threat.mitigated_by) <= known, threat.id


def test_three_adversaries_are_explicitly_not_addressed() -> None:
    adversaries = {a.id: a for a in MODEL.adversaries}
    for adversary_id in NOT_ADDRESSED:
        assert adversary_id in adversaries, adversary_id
        assert adversaries[adversary_id].addressed is False
        assert adversaries[adversary_id].reason
    assert sorted(a.id for a in MODEL.adversaries if not a.addressed) == sorted(NOT_ADDRESSED)
