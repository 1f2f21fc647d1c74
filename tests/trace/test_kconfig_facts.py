"""Kconfig facts stated from the tree: the text of each role, and the same text in exports."""

from __future__ import annotations

import re
from pathlib import Path

from secguide.model.loader import load_threat_model
from secguide.trace.kconfig_facts import FactKind, expand_fact_roles, fact_text
from secguide.trace.needs import need_items
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]


def _files_defaulting(tree: Path, name: str) -> int:
    """Board and SoC Kconfig files that give ``name`` a default, read from the files."""
    pattern = re.compile(rf"config {name}\n(?:\s*(?:#.*)?\n)*\s+default ")
    return sum(1 for folder in ("boards", "soc") for path in (tree / folder).rglob("Kconfig*")
               if pattern.search(path.read_text(errors="replace")))


def test_hw_stack_protection_has_no_default_of_its_own(db_v4: SymbolDB,
                                                       zephyr_v4_path: Path) -> None:
    files = _files_defaulting(zephyr_v4_path, "HW_STACK_PROTECTION")
    assert files > 10
    assert fact_text(FactKind.DEFAULT, db_v4.get("HW_STACK_PROTECTION")) == (
        "``CONFIG_HW_STACK_PROTECTION`` has no default of its own (it is ``n`` unless set or "
        f"selected); the Kconfig files of {files} board or SoC folders give their own "
        "targets one")


def test_each_kind_reads_the_tree(db_v4: SymbolDB) -> None:
    assert fact_text(FactKind.DEFAULT, db_v4.get("BOOT_BANNER")) == \
        "``CONFIG_BOOT_BANNER`` defaults to ``y``"
    assert fact_text(FactKind.RANGE, db_v4.get("BT_SMP_MIN_ENC_KEY_SIZE")) == \
        "``CONFIG_BT_SMP_MIN_ENC_KEY_SIZE`` ranges from ``7`` to ``16``"
    assert fact_text(FactKind.DEPENDS_ON, db_v4.get("STACK_SENTINEL")) == \
        "``CONFIG_STACK_SENTINEL`` depends on ``MULTITHREADING && !USERSPACE && !MPU_STACK_GUARD``"
    assert fact_text(FactKind.SELECTED_BY, db_v4.get("MPU_STACK_GUARD")) == (
        "``CONFIG_MPU_STACK_GUARD`` is selected by ``CONFIG_ARC_STACK_PROTECTION`` and "
        "``CONFIG_ARM_STACK_PROTECTION``")
    assert fact_text(FactKind.IMPLIED_BY, db_v4.get("BOOT_BANNER")) == \
        "``CONFIG_BOOT_BANNER`` is implied by no other symbol"
    many = fact_text(FactKind.SELECTED_BY, db_v4.get("THREAD_STACK_INFO"))
    assert many.endswith(f"and {len(db_v4.get('THREAD_STACK_INFO').selected_by) - 8} more")


def test_a_choice_member_never_shows_the_stand_in(db_v4: SymbolDB) -> None:
    text = fact_text(FactKind.DEPENDS_ON, db_v4.get("STACK_CANARIES"))
    assert "<choice" not in text
    assert 'the choice "Stack canaries protection options"' in text


def test_tree_text_cannot_break_out_of_the_literal(db_v4: SymbolDB) -> None:
    import dataclasses

    hostile = dataclasses.replace(db_v4.get("BOOT_BANNER"), depends_on="A && `B` \x1b[31m")
    text = fact_text(FactKind.DEPENDS_ON, hostile)
    assert text.count("``") == 4 and "\x1b" not in text and "`B`" not in text


def test_roles_expand_in_the_exported_items(db_v4: SymbolDB) -> None:
    """The need items every export writes carry the tree's text, not the role."""
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    by_id = {item.id: item for item in need_items(model, db_v4.zephyr_version, db=db_v4)}
    note = by_id["SET-STACK-HW-PROTECTION-HW-STACK-PROTECTION"].content
    assert ":kconfig:" not in note
    assert fact_text(FactKind.DEFAULT, db_v4.get("HW_STACK_PROTECTION")) in note
    raw = {item.id: item for item in need_items(model, db_v4.zephyr_version)}
    assert ":kconfig:default:`CONFIG_HW_STACK_PROTECTION`" in \
        raw["SET-STACK-HW-PROTECTION-HW-STACK-PROTECTION"].content


def test_an_unknown_symbol_role_is_left_as_written(db_v4: SymbolDB) -> None:
    text = "See :kconfig:default:`CONFIG_NO_SUCH_THING`."
    assert expand_fact_roles(text, db_v4) == text


def test_defaults_after_an_unconditional_one_are_not_listed(db_v4: SymbolDB) -> None:
    """Four eSPI drivers each write 'default y' for the Port 80 option: one fact, not four."""
    symbol = db_v4.get("ESPI_PERIPHERAL_DEBUG_PORT_80")
    assert len(symbol.defaults) >= 2
    assert fact_text(FactKind.DEFAULT, symbol) == \
        "``CONFIG_ESPI_PERIPHERAL_DEBUG_PORT_80`` defaults to ``y``"


def test_a_named_choice_is_named(db_v4: SymbolDB) -> None:
    assert fact_text(FactKind.DEPENDS_ON, db_v4.get("TIMER_RANDOM_GENERATOR")) == (
        "``CONFIG_TIMER_RANDOM_GENERATOR`` depends on ``TEST_RANDOM_GENERATOR && the choice "
        "RNG_GENERATOR_CHOICE``")
