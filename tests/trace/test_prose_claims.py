"""The prose-claim checker: each recognised wording, stated falsely, is a finding at its line;
stated truly (or with a fact role), it is not."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secguide.model.loader import load_threat_model
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.symbols import SymbolDB


def _claims(tmp_path: Path, db: SymbolDB, rationale: str, note: str = "",
            symbol: str = "STACK_CANARIES"):
    folder = tmp_path / "tm"
    folder.mkdir(parents=True)
    lines = ["recommendations:", "  - id: REC-CLAIM", "    title: t", "    area: general",
             "    status: draft", "    rationale: >-", "      First line of the rationale."]
    lines += ["      " + line for line in textwrap.wrap(rationale, 200)]
    lines += ["    settings:", f"      - symbol: {symbol}", '        value: "y"']
    if note:
        lines += ["        note: >-", f"          {note}"]
    lines += ["    verification:", "      - build_audit: production"]
    (folder / "recs.yaml").write_text("\n".join(lines) + "\n")
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    written = (folder / "recs.yaml").read_text().splitlines()
    return [(d, written[d.loc.line - 1]) for d in validate_model(model, db)
            if d.code == "prose-claim"]


#: (wording, false statement, the word the finding's line must hold, true statement)
WORDINGS = [
    ("defaults to a value", "BOOT_BANNER defaults to n.", "BOOT_BANNER",
     "BOOT_BANNER defaults to y."),
    ("defaults to a number", "FAULT_DUMP defaults to 1.", "FAULT_DUMP",
     "FAULT_DUMP defaults to 2."),
    ("defaults to a symbol", "HW_STACK_PROTECTION defaults to ARCH_HAS_STACK_PROTECTION.",
     "HW_STACK_PROTECTION", "EXECUTE_XOR_WRITE defaults to y."),
    ("defaults to it", "HW_STACK_PROTECTION depends on ARCH_HAS_STACK_PROTECTION and "
     "defaults to it.", "defaults", "HW_STACK_PROTECTION depends on "
     "ARCH_HAS_STACK_PROTECTION."),
    ("on by default", "STACK_CANARIES is on by default.", "STACK_CANARIES",
     "BOOT_BANNER is on by default."),
    ("enabled by default", "USERSPACE is enabled by default.", "USERSPACE",
     "EXECUTE_XOR_WRITE is enabled by default."),
    ("off by default", "BOOT_BANNER is off by default.", "BOOT_BANNER",
     "USERSPACE is off by default."),
    ("disabled by default", "PRINTK is disabled by default.", "PRINTK",
     "STACK_CANARIES is disabled by default."),
    ("selects", "USERSPACE selects STACK_CANARIES.", "USERSPACE",
     "USERSPACE selects THREAD_STACK_INFO."),
    ("a list selects", "USERSPACE, ARM_MPU and BOOT_BANNER all select THREAD_STACK_INFO.",
     "BOOT_BANNER", "USERSPACE, ARM_MPU and STACK_SENTINEL all select THREAD_STACK_INFO."),
    ("which selects", "BOOT_BANNER, which selects LOG, prints a line.", "BOOT_BANNER",
     "BOOT_BANNER, which selects PRINTK, prints a line."),
    ("is selected by", "THREAD_STACK_INFO is selected by BOOT_BANNER.", "THREAD_STACK_INFO",
     "THREAD_STACK_INFO is selected by USERSPACE."),
    ("depends on", "STACK_SENTINEL depends on USERSPACE.", "STACK_SENTINEL",
     "EXECUTE_XOR_WRITE depends on USERSPACE."),
    ("depends on a list", "USERSPACE depends on ARCH_HAS_USERSPACE and MMU.", "USERSPACE",
     "USERSPACE depends on ARCH_HAS_USERSPACE and SRAM_REGION_PERMISSIONS."),
    ("ranges from", "BT_SMP_MIN_ENC_KEY_SIZE ranges from 1 to 16.", "BT_SMP_MIN_ENC_KEY_SIZE",
     "BT_SMP_MIN_ENC_KEY_SIZE ranges from 7 to 16."),
]


@pytest.mark.parametrize(("wording", "false", "on_line", "true"), WORDINGS,
                         ids=[w[0] for w in WORDINGS])
def test_each_wording_stated_falsely_is_found(tmp_path: Path, db_v4: SymbolDB, wording: str,
                                              false: str, on_line: str, true: str) -> None:
    (finding, line), = _claims(tmp_path / "false", db_v4,
                               "Some words first to fill a line or two of the text. " + false)
    assert on_line in line, (finding.message, line)
    assert "Zephyr 4.2.99 says:" in finding.message
    assert "State it from the tree with :kconfig:" in finding.message
    assert _claims(tmp_path / "true", db_v4, true) == []


@pytest.mark.parametrize(("note", "false"), [
    ("Depends on USERSPACE.", True), ("Depends on ENTROPY_GENERATOR.", False),
    ("Selected by USERSPACE.", True), ("Selected by no other option.", False),
    ("Defaults to y.", True), ("Has no default.", False),
    ("Default y.", True), ("Default n.", False),
    ("On by default.", True), ("Off by default.", False),
])
def test_a_note_that_starts_with_the_verb_is_about_its_setting(
        tmp_path: Path, db_v4: SymbolDB, note: str, false: bool) -> None:
    found = _claims(tmp_path, db_v4, "A rationale.", note=note)
    assert len(found) == (1 if false else 0), found
    if found:
        assert "CONFIG_STACK_CANARIES" in found[0][0].message
        assert "note: >-" in (tmp_path / "tm" / "recs.yaml").read_text().splitlines()[
            found[0][0].loc.line - 2]


def test_the_hw_stack_protection_finding_gives_the_tree_answer(tmp_path: Path,
                                                               db_v4: SymbolDB) -> None:
    (finding, _), = _claims(tmp_path, db_v4, "HW_STACK_PROTECTION defaults to "
                            "ARCH_HAS_STACK_PROTECTION, so it is usually on.")
    assert ("says: CONFIG_HW_STACK_PROTECTION has no default of its own (it is n unless set "
            "or selected); the Kconfig files of") in finding.message
    assert finding.message.endswith(":kconfig:default:`CONFIG_HW_STACK_PROTECTION`")


def test_a_fact_role_is_never_a_false_claim(tmp_path: Path, db_v4: SymbolDB) -> None:
    assert _claims(tmp_path, db_v4, ":kconfig:default:`CONFIG_HW_STACK_PROTECTION` and "
                   ":kconfig:selected-by:`CONFIG_THREAD_STACK_INFO`.") == []


def test_unrecognised_wordings_are_not_checked(tmp_path: Path, db_v4: SymbolDB) -> None:
    assert _claims(tmp_path, db_v4, "Turning on BOOT_BANNER brings in LOG as well, "
                   "people say, and MMU defaults are odd.") == []
