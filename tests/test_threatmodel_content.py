"""Content-level promises of the shipped threat model that a generic validator does not check.

- each of the eight symbols the 2018 draft recommended, and which no longer exist,
  is kept as a deprecated recommendation whose replacement is real in Zephyr 4.2
  and whose old symbol is real in Zephyr 1.13;
- every symbol of Zephyr's own hardening list (scripts/kconfig/hardened.csv) and
  of its newer hardening database (hardening.yaml) is either recommended or
  waived, with upstream's values and profiles except where the guide says why;
- every threat has a mitigation;
- the three adversaries the draft explicitly does not address are present.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from secguide.model.items import Recommendation, Setting
from secguide.model.loader import load_threat_model
from secguide.model.releases import release_key
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


# -- Zephyr's hardening database (hardening.yaml, the successor of hardened.csv) -------------

UPSTREAM_DB = REPO.parent / "shared" / "zephyr" / "upstream-hardening"
#: Where upstream's discovery looks for fragments next to the central file.
FRAGMENT_ROOTS = ("arch", "boards", "drivers", "kernel", "lib", "modules", "share", "soc",
                  "subsys")
#: Rule symbols whose value the guide deliberately sets differently (said in the rationale).
DIFFERING_ON_PURPOSE = {"INIT_STACKS": "y"}
#: Rule symbols the v4.2.99 tree does not define, with the release the model says brings them.
LATER_RELEASE = {
    "ARM64_PMUV3_USER_ACCESS": "4.5.0", "PMP_DATA_EXECUTION_PREVENTION": "4.5.0",
    "PMP_UNLOCK_ROM_FOR_DEBUG": "4.4.0", "MBEDTLS_DEBUG_C": "4.4.0",
    "MBEDTLS_SSL_EARLY_DATA": "4.5.0", "MBEDTLS_SSL_ENCRYPT_THEN_MAC": "4.5.0",
    "SYS_HEAP_HARDENING_NONE": "4.4.0",
}


def _upstream_rules() -> dict[str, dict]:
    """Every rule of the upstream database, discovered the way upstream discovers them."""
    if not UPSTREAM_DB.is_dir():
        pytest.fail(f"upstream hardening database missing: {UPSTREAM_DB}")
    files = [UPSTREAM_DB / "scripts" / "kconfig" / "hardening.yaml"]
    for root in FRAGMENT_ROOTS:
        files += sorted((UPSTREAM_DB / root).rglob("hardening.yaml"))
    rules: dict[str, dict] = {}
    for path in files:
        for symbol, rule in (yaml.safe_load(path.read_text()).get("rules") or {}).items():
            assert symbol not in rules, f"{symbol} ruled twice upstream"
            rules[symbol] = rule
    return rules


def _current_settings() -> dict[str, list[tuple[Recommendation, Setting]]]:
    found: dict[str, list[tuple[Recommendation, Setting]]] = {}
    for rec in MODEL.recommendations:
        if rec.deprecation is None:
            for setting in rec.settings:
                found.setdefault(setting.symbol, []).append((rec, setting))
    return found


def _upstream_value(rule: dict) -> str:
    if "value" in rule:
        return str(rule["value"]).lower() if isinstance(rule["value"], bool) else str(rule["value"])
    return " ".join(f"{key}={rule[key]}" for key in ("min", "max") if key in rule)


def _our_value(setting: Setting) -> str:
    if setting.value is not None:
        return setting.value
    return " ".join(f"{key}={bound}" for key, bound in (("min", setting.minimum),
                                                          ("max", setting.maximum))
                    if bound is not None)


def test_every_upstream_rule_symbol_is_recommended_or_waived() -> None:
    rules = _upstream_rules()
    assert len(rules) == 119  # as upstream's README counts them
    settings = _current_settings()
    waived = {w.symbol for w in MODEL.waivers}
    uncovered = sorted(s for s in rules if s not in settings and s not in waived)
    assert uncovered == []
    assert sorted(s for s in rules if s in settings and s in waived) == []


def test_upstream_values_match_except_where_the_guide_says_why() -> None:
    settings = _current_settings()
    for symbol, rule in _upstream_rules().items():
        for rec, setting in settings.get(symbol, []):
            expected = DIFFERING_ON_PURPOSE.get(symbol, _upstream_value(rule))
            assert _our_value(setting) == expected, f"{rec.id}/{symbol}"
    for symbol in DIFFERING_ON_PURPOSE:
        (rec, _), = settings[symbol]
        assert "hardening database" in rec.rationale, f"{rec.id} must say why it differs"


def test_upstream_profiles_are_kept() -> None:
    """A base rule upstream is base here; a strict-only rule is strict here."""
    settings = _current_settings()
    for symbol, rule in _upstream_rules().items():
        upstream = "base" if "base" in rule.get("profiles", ["base"]) else "strict"
        for rec, _ in settings.get(symbol, []):
            ours = "base" if "base" in rec.profiles else "strict"
            assert ours == upstream, f"{rec.id}/{symbol}: {ours}, upstream {upstream}"


def test_upstream_symbols_missing_from_the_tree_are_kept_with_their_release(
        db_v4: SymbolDB) -> None:
    rules = _upstream_rules()
    absent = {s for s in rules if s not in db_v4}
    assert absent == set(LATER_RELEASE)
    settings = _current_settings()
    for symbol, release in LATER_RELEASE.items():
        kept = settings.get(symbol, [])
        assert kept, f"{symbol} is not kept as a setting"
        for rec, setting in kept:
            assert setting.since == release, f"{rec.id}/{symbol}"
            assert release_key(setting.since) > release_key(db_v4.zephyr_version)


#: Threats the connectivity, update and debug areas brought, with the adversary behind each.
NEW_AREA_THREATS = {
    "THR-BT-PAIRING-DOWNGRADE": "ADV-PAIRING-MITM",
    "THR-ROGUE-UPDATE": "ADV-ROGUE-UPDATE-SERVER",
    "THR-MGMT-INTERFACE-EXPOSED": "ADV-REMOTE-NETWORK",
    "THR-DEBUG-PORT-ACCESS": "ADV-DEBUG-PROBE",
}


@pytest.mark.parametrize(("threat_id", "adversary_id"), NEW_AREA_THREATS.items())
def test_new_area_threat_is_mitigated_and_handed_over(threat_id: str, adversary_id: str) -> None:
    """Each is mitigated by a recommendation and hands the rest to the product."""
    threat = next(t for t in MODEL.threats if t.id == threat_id)
    assert adversary_id in threat.adversaries
    adversary = next(a for a in MODEL.adversaries if a.id == adversary_id)
    assert adversary.addressed
    recs = [m for m in threat.mitigated_by if m.startswith("REC-")]
    resps = [m for m in threat.mitigated_by if m.startswith("RESP-")]
    assert recs and resps, threat_id
    for rec_id in recs:
        rec = MODEL.recommendation(rec_id)
        assert rec is not None and rec.settings and rec.verifications, rec_id


#: Symbols that turn a whole subsystem on: a setting that depends on one of them only
#: exists in builds that have that subsystem.
SUBSYSTEM_ROOTS = frozenset({
    "BT", "BT_SMP", "BT_CLASSIC", "BT_MESH", "NETWORKING", "NET_TCP", "COAP", "WIFI",
    "WIFI_NM_WPA_SUPPLICANT", "MBEDTLS", "PSA_CRYPTO_CLIENT", "MCUMGR", "SHELL",
    "USB_DEVICE_STACK", "USB_DEVICE_STACK_NEXT", "FILE_SYSTEM", "HAWKBIT", "UPDATEHUB",
    "BUILD_WITH_TFM", "ESPI", "FPU"})
SUBSYSTEM_AREAS = ("bluetooth", "networking", "tls-crypto", "device-management")
#: Recommendations that name a subsystem's symbol without being about that subsystem.
NOT_SUBSYSTEM_SCOPED: set[str] = set()


def test_every_subsystem_recommendation_declares_its_scope(db_v4: SymbolDB) -> None:
    """A recommendation whose every setting depends on a subsystem (or that belongs to a
    subsystem's area) says when it applies, so a build without it is not judged by it."""
    from secguide.zephyr.expr import symbols_in

    unscoped = []
    for rec in MODEL.recommendations:
        if rec.deprecation is not None or rec.applies_to.when or rec.id in NOT_SUBSYSTEM_SCOPED:
            continue
        needs_subsystem = [bool(set(symbols_in(symbol.depends_on)) & SUBSYSTEM_ROOTS)
                           for symbol in map(db_v4.get, (s.symbol for s in rec.settings))
                           if symbol is not None]
        if rec.area in SUBSYSTEM_AREAS or (needs_subsystem and all(needs_subsystem)):
            unscoped.append(rec.id)
    assert unscoped == []


def test_every_current_recommendation_says_which_release_its_facts_were_checked_against(
        db_v4: SymbolDB) -> None:
    unchecked = [rec.id for rec in MODEL.recommendations
                 if rec.deprecation is None and rec.checked_against != db_v4.zephyr_version]
    assert unchecked == []


def test_a_recommendation_checked_against_another_release_is_noted(tmp_path: Path,
                                                                   db_v4: SymbolDB) -> None:
    from secguide.trace.validate import validate_model

    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "recs.yaml").write_text(
        "recommendations:\n  - id: REC-OLD\n    title: t\n    area: general\n"
        "    status: draft\n    checked_against: \"4.1.0\"\n    rationale: r\n"
        "    settings:\n      - symbol: BOOT_BANNER\n        value: \"n\"\n"
        "    verification:\n      - build_audit: production\n")
    model, problems = load_threat_model(folder)
    assert problems == []
    (note,) = [d for d in validate_model(model, db_v4) if d.code == "facts-checked-against"]
    assert note.severity.name == "NOTE"
    assert "last checked against Zephyr 4.1.0; the tree is Zephyr 4.2.99" in note.message
