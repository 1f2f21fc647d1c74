"""Settings that accept alternatives: "one of these" members of a choice, "at least this one"."""

from __future__ import annotations

import datetime
import textwrap
from pathlib import Path

from secguide.model.loader import load_threat_model
from secguide.trace.audit import Verdict, audit_config, guide_rules
from secguide.trace.validate import validate_model
from secguide.zephyr.dotconfig import parse_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / "shared" / "builds" / "configs" / "nucleo_h753zi-stepper.config"


def _model(tmp_path: Path, alternatives: str, symbol: str = "STACK_CANARIES"):
    folder = tmp_path / "tm"
    folder.mkdir(parents=True)
    (folder / "recs.yaml").write_text(textwrap.dedent(f"""\
        recommendations:
          - id: REC-CANARY
            title: t
            area: stack-protection
            status: draft
            rationale: r
            settings:
              - symbol: {symbol}
                value: "y"
                alternatives: {alternatives}
            verification:
              - build_audit: production
        """))
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    return model


def test_the_requirement_reads_with_its_alternatives(tmp_path: Path) -> None:
    (setting,) = _model(tmp_path, "[STACK_CANARIES_STRONG, CONFIG_STACK_CANARIES_ALL]") \
        .recommendations[0].settings
    assert setting.alternatives == ("STACK_CANARIES_STRONG", "STACK_CANARIES_ALL")
    assert setting.requirement_text == ("CONFIG_STACK_CANARIES=y (or "
                                        "CONFIG_STACK_CANARIES_STRONG=y or "
                                        "CONFIG_STACK_CANARIES_ALL=y)")


def _codes(tmp_path: Path, db: SymbolDB, alternatives: str) -> list[tuple[str, str]]:
    model = _model(tmp_path, alternatives)
    return [(d.code, d.message) for d in validate_model(model, db)
            if d.code in ("bad-alternative", "unknown-symbol", "invalid-value")]


def test_alternatives_are_checked_against_the_tree(tmp_path: Path, db_v4: SymbolDB) -> None:
    assert _codes(tmp_path / "a", db_v4, "[STACK_CANARIES_STRONG]") == []
    ((code, message),) = _codes(tmp_path / "b", db_v4, "[STACK_CANARIES_STRANG]")
    assert code == "unknown-symbol" and "CONFIG_STACK_CANARIES_STRANG" in message
    ((code, message),) = _codes(tmp_path / "c", db_v4, "[USERSPACE]")
    assert code == "bad-alternative"
    assert "CONFIG_USERSPACE is not a member of the choice" in message
    ((code, _),) = _codes(tmp_path / "d", db_v4, "[STACK_CANARIES]")
    assert code == "bad-alternative"


def _audit(db: SymbolDB, model, extra: str):
    text = REAL.read_text() + extra
    config = parse_dotconfig(text, "nucleo/.config")
    return audit_config(config, guide_rules(model, "base"), db, profile="base",
                        today=datetime.date(2026, 6, 1)).results[0]


def test_a_real_build_with_a_stronger_member_passes(tmp_path: Path, db_v4: SymbolDB) -> None:
    """The real nucleo_h753zi build, with strong canaries turned on (as a strict build has)."""
    model = _model(tmp_path, "[STACK_CANARIES_STRONG, STACK_CANARIES_ALL]")
    result = _audit(db_v4, model, "CONFIG_STACK_CANARIES_STRONG=y\n"
                                  "# CONFIG_STACK_CANARIES is not set\n")
    assert result.verdict is Verdict.PASS
    assert result.found_as == "STACK_CANARIES_STRONG" and result.actual == "y"
    assert "accepts in place of CONFIG_STACK_CANARIES=y" in result.reason


def test_a_weaker_member_still_fails(tmp_path: Path, db_v4: SymbolDB) -> None:
    model = _model(tmp_path, "[STACK_CANARIES_STRONG, STACK_CANARIES_ALL]")
    result = _audit(db_v4, model, "CONFIG_STACK_CANARIES_EXPLICIT=y\n"
                                  "# CONFIG_STACK_CANARIES is not set\n")
    assert result.verdict is Verdict.FAIL
    assert result.reason.startswith("expected y (or CONFIG_STACK_CANARIES_STRONG=y or "
                                    "CONFIG_STACK_CANARIES_ALL=y), the build has n")


def test_without_alternatives_the_stronger_member_fails(tmp_path: Path, db_v4: SymbolDB) -> None:
    """What the base profile did before: a strict build failed the base canary rule."""
    folder = tmp_path / "plain"
    model = _model(folder, "[STACK_CANARIES_ALL]")
    result = _audit(db_v4, model, "CONFIG_STACK_CANARIES_STRONG=y\n"
                                  "# CONFIG_STACK_CANARIES is not set\n")
    assert result.verdict is Verdict.FAIL


def test_the_shipped_canary_settings_accept_stronger_members(db_v4: SymbolDB) -> None:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    base = model.recommendation("REC-STACK-CANARIES").settings[0]
    strict = model.recommendation("REC-STACK-CANARIES-STRONG").settings[0]
    assert base.alternatives == ("STACK_CANARIES_STRONG", "STACK_CANARIES_ALL")
    assert strict.alternatives == ("STACK_CANARIES_ALL",)
    # the explicit member protects only marked functions: never an alternative
    assert "STACK_CANARIES_EXPLICIT" not in (*base.options, *strict.options)


BUILDS = REAL.parent


def _shipped_result(db: SymbolDB, config_name: str, rec_id: str,
                    edits: tuple[tuple[str, str], ...] = ()):
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    rules = [r for r in guide_rules(model, "base") if r.id == rec_id]
    text = (BUILDS / config_name).read_text()
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    config = parse_dotconfig(text, config_name)
    (result,) = audit_config(config, rules, db, profile="base",
                             today=datetime.date(2026, 6, 1)).results
    return result


def test_real_builds_reading_the_entropy_driver_pass_the_generator_rule(db_v4: SymbolDB) -> None:
    """Issue 23: base asked for Xoshiro128++ and failed builds with the tree's default, the
    entropy device generator. Both members that read the entropy driver now pass."""
    direct = _shipped_result(db_v4, "nucleo_h753zi-stepper.config", "REC-RNG-XOSHIRO")
    assert (direct.verdict, direct.found_as) == (Verdict.PASS, "ENTROPY_DEVICE_RANDOM_GENERATOR")
    seeded = _shipped_result(db_v4, "nrf54l15dk_ns-provisioner.config", "REC-RNG-XOSHIRO")
    assert (seeded.verdict, seeded.found_as) == (Verdict.PASS, "XOSHIRO_RANDOM_GENERATOR")


def test_real_builds_with_either_secure_generator_pass(db_v4: SymbolDB) -> None:
    hardware = _shipped_result(db_v4, "esp32c3_devkitm-campainha.config", "REC-RNG-CSPRNG")
    assert (hardware.verdict, hardware.found_as) == (Verdict.PASS,
                                                     "HARDWARE_DEVICE_CS_GENERATOR")
    hardware = _shipped_result(db_v4, "nucleo_h753zi-telnet.config", "REC-RNG-CSPRNG")
    assert (hardware.verdict, hardware.found_as) == (Verdict.PASS,
                                                     "HARDWARE_DEVICE_CS_GENERATOR")
    # the same real build with the other member of the choice picked (it has MBEDTLS)
    drbg = _shipped_result(db_v4, "nucleo_h753zi-telnet.config", "REC-RNG-CSPRNG", edits=(
        ("CONFIG_HARDWARE_DEVICE_CS_GENERATOR=y",
         "# CONFIG_HARDWARE_DEVICE_CS_GENERATOR is not set"),
        ("# CONFIG_CTR_DRBG_CSPRNG_GENERATOR is not set", "CONFIG_CTR_DRBG_CSPRNG_GENERATOR=y")))
    assert (drbg.verdict, drbg.found_as) == (Verdict.PASS, "CTR_DRBG_CSPRNG_GENERATOR")
