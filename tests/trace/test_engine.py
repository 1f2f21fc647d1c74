"""The verdict engine: rule choice, builds below a folder, the release a build is judged as."""

from __future__ import annotations

import datetime
import shutil
from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError, SourceLoc
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.audit import AuditRule, guide_rules
from secguide.trace.engine import (
    DEFAULT_PROFILE,
    EngineRequest,
    RuleChoice,
    RuleSourceError,
    VerdictEngine,
)
from secguide.trace.release_fit import release_fit, release_note
from secguide.zephyr.dotconfig import parse_dotconfig, read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO.parent / "shared" / "builds" / "configs"
SYSBUILD_TOP = CONFIGS / "sysbuild-nrf21540dk-tasking.config"


@pytest.fixture(scope="module")
def model() -> ThreatModel:
    return load_threat_model(REPO / "threatmodel")[0]


def _engine(model: ThreatModel, db: SymbolDB, zephyr_version: str | None = None
            ) -> VerdictEngine:
    return EngineRequest(today=datetime.date(2026, 6, 1), zephyr_version=zephyr_version
                         ).engine(model, db, REPO)


def test_default_profile_is_strict(model: ThreatModel, db_v4: SymbolDB) -> None:
    engine = _engine(model, db_v4)
    assert DEFAULT_PROFILE == "strict" == engine.profile
    assert engine.rules == guide_rules(model, "strict") != guide_rules(model, "base")


def test_unknown_profile_and_missing_database_are_refused(model: ThreatModel,
                                                          db_v4: SymbolDB) -> None:
    with pytest.raises(RuleSourceError, match="--profile paranoid: the threat model has no"):
        EngineRequest(choice=RuleChoice(profile="paranoid")).engine(model, db_v4, REPO)
    with pytest.raises(RuleSourceError, match=r"has no .*hardening\.yaml: give the database"):
        EngineRequest(choice=RuleChoice(source="upstream")).engine(model, db_v4, REPO)


def test_only_images_of_a_sysbuild_are_noted_as_such(model: ThreatModel, db_v4: SymbolDB,
                                                     tmp_path: Path) -> None:
    # The folder of real builds holds a sysbuild top level without images: it is skipped,
    # and the other 19 builds are not images of it.
    summary = _engine(model, db_v4).judge_paths([CONFIGS])
    assert len(summary.audits) == 19
    assert [why.split(":")[0] for _, why in summary.skipped] == [
        "sysbuild top-level configuration (SB_CONFIG_*)"]
    assert not any("image of a sysbuild build" in a.notes for a in summary.audits)
    build = tmp_path / "build"
    (build / "zephyr").mkdir(parents=True)
    shutil.copy(SYSBUILD_TOP, build / "zephyr" / ".config")
    (build / "app" / "zephyr").mkdir(parents=True)
    shutil.copy(CONFIGS / "nrf52840dk-rtt_shell.config", build / "app" / "zephyr" / ".config")
    [image] = _engine(model, db_v4).judge_paths([build]).audits
    assert "image of a sysbuild build" in image.notes


def _version_h(zephyr_dir: Path, where: str, major: int, minor: int, patch: int) -> None:
    header = zephyr_dir / where
    header.parent.mkdir(parents=True)
    header.write_text(f"#define KERNEL_VERSION_MAJOR {major}\n#define KERNEL_VERSION_MINOR "
                      f"{minor}\n#define KERNEL_PATCHLEVEL {patch}\n")


def test_release_from_version_h_unless_stated(model: ThreatModel, db_v4: SymbolDB,
                                              tmp_path: Path) -> None:
    zephyr_dir = tmp_path / "build" / "zephyr"
    zephyr_dir.mkdir(parents=True)
    config = zephyr_dir / ".config"
    shutil.copy(CONFIGS / "qemu_x86-vehicleos.config", config)
    _version_h(zephyr_dir, "include/generated/zephyr/version.h", 3, 7, 0)
    engine = _engine(model, db_v4)
    assert (engine.release(config).version, engine.release(config).source) == (
        "3.7.0", "version.h")
    [audit] = engine.judge_paths([tmp_path / "build"]).audits
    assert audit.build_version == "3.7.0"
    stated = _engine(model, db_v4, zephyr_version="3.6.0")
    assert (stated.release(config).version, stated.release(config).source) == (
        "3.6.0", "--zephyr-version")
    bare = engine.release(CONFIGS / "qemu_x86-vehicleos.config")
    assert (bare.version, bare.source) == (None, "")


# -- the release of a bare .config, from its symbols -----------------------------------------

def test_a_bare_config_is_compared_with_the_trees_at_hand(db_v4: SymbolDB, db_v1: SymbolDB
                                                          ) -> None:
    # CPU_FREQ (subsys/cpu_freq/Kconfig) has a prompt and no dependency in the 4.2.99 tree, so
    # every build of it writes the symbol; the stepper build (another 4.2.99 commit) lacks it,
    # the 4.3.0 build has it ("# CONFIG_CPU_FREQ is not set"). AUXDISPLAY likewise: the
    # 2.6.0 build lacks it. No build of these is of 1.13 (APPLICATION_MEMORY, always there).
    stepper = release_fit(read_dotconfig(CONFIGS / "nucleo_h753zi-stepper.config"), db_v4)
    assert "CPU_FREQ" in stepper.missing and not stepper.consistent
    assert release_fit(read_dotconfig(CONFIGS / "frdm_mcxn947-skywatch.config"),
                       db_v4).consistent
    old = read_dotconfig(CONFIGS / "hifive1_revb-zbus.config")
    assert "AUXDISPLAY" in release_fit(old, db_v4).missing
    assert "APPLICATION_MEMORY" in release_fit(old, db_v1).missing
    note = release_note(read_dotconfig(CONFIGS / "frdm_mcxn947-skywatch.config"),
                        [db_v4, db_v1])
    assert note.startswith("release unknown (no version.h beside the .config; "
                           "--zephyr-version states it). Against the trees at hand: ")
    assert "consistent with it (a neighbouring commit or release may write the same)" in note
    assert note.endswith("Closest: Zephyr 4.2.99")


def test_the_engine_notes_the_fit_only_when_the_release_is_unknown(
        model: ThreatModel, db_v4: SymbolDB, db_v1: SymbolDB, tmp_path: Path) -> None:
    engine = EngineRequest(release_trees=(db_v1,)).engine(model, db_v4, REPO)
    bare = engine.judge(read_dotconfig(CONFIGS / "qemu_x86-vehicleos.config"))
    [note] = [n for n in bare.notes if n.startswith("release unknown")]
    assert "Zephyr 4.2.99: " in note and "Zephyr 1.13.0: " in note
    stated = EngineRequest(zephyr_version="3.7.0").engine(model, db_v4, REPO)
    judged = stated.judge(read_dotconfig(CONFIGS / "qemu_x86-vehicleos.config"))
    assert judged.build_version == "3.7.0"
    assert not [n for n in judged.notes if n.startswith("release unknown")]


def test_version_h_git_describe_tells_a_development_build(model: ThreatModel, db_v4: SymbolDB,
                                                          tmp_path: Path) -> None:
    zephyr_dir = tmp_path / "build" / "zephyr"
    zephyr_dir.mkdir(parents=True)
    shutil.copy(CONFIGS / "nucleo_h753zi-stepper.config", zephyr_dir / ".config")
    _version_h(zephyr_dir, "include/generated/zephyr/version.h", 4, 2, 99)
    header = zephyr_dir / "include/generated/zephyr/version.h"
    header.write_text(header.read_text() + "#define BUILD_VERSION v4.2.0-2572-g04dfa77d372d\n")
    engine = _engine(model, db_v4)
    assert engine.release(zephyr_dir / ".config").version == "v4.2.0-2572-g04dfa77d372d"
    [audit] = engine.judge_paths([tmp_path / "build"]).audits
    assert ("release v4.2.0-2572-g04dfa77d372d (from version.h): a development build after "
            "4.2.0 (2572 commits later, commit 04dfa77d372d)") in audit.notes


@pytest.mark.parametrize(("release", "since", "verdict"), [
    ("3.7.0", "4.4.0", "NOT-APPLICABLE"),
    ("4.4.0", "4.4.0", "UNKNOWN"),  # the symbol should be there: the tree is older
    # a development build leads to the next minor release at most, and may have its symbols
    ("4.3.99", "4.4.0", "UNKNOWN"),
    ("v4.3.0-1890-g3ea2951bc01c", "4.4.0", "UNKNOWN"),
    ("4.2.99", "4.4.0", "NOT-APPLICABLE"),
    ("zephyr-v2.5.0-31748-g1f0c3d", "2.6.0", "UNKNOWN"),
    ("zephyr-v2.5.0-31748-g1f0c3d", "2.7.0", "NOT-APPLICABLE"),
])
def test_a_later_release_symbol_against_the_build_release(
        model: ThreatModel, db_v4: SymbolDB, release: str, since: str, verdict: str) -> None:
    rule = AuditRule(id="REC-T", origin="guide", symbol="SYS_HEAP_HARDENING_NONE", value="n",
                     title="t", rationale="r", since=since, loc=SourceLoc("t.yaml", 1))
    engine = VerdictEngine(model, db_v4, rules=(rule,), zephyr_version=release)
    [result] = engine.judge(parse_dotconfig('CONFIG_ARCH="arm"\n', "b/.config")).results
    assert result.verdict.value == verdict, result.reason


def test_a_stated_release_must_be_one(model: ThreatModel, db_v4: SymbolDB) -> None:
    with pytest.raises(SecguideError, match="--zephyr-version main: not a Zephyr release"):
        EngineRequest(zephyr_version="main").engine(model, db_v4, REPO)
