"""The symbol database against the real Zephyr trees in ../shared/zephyr."""

from __future__ import annotations

import tempfile

from secguide.diagnostics import SourceLoc
from secguide.zephyr.kconfig.symbols import SymbolDB


def test_v4_loads_every_board_and_soc(db_v4: SymbolDB) -> None:
    assert db_v4.zephyr_version == "4.2.99"
    assert db_v4.hardware_model == "v2"
    assert len(db_v4) > 20_000
    # Board and SoC symbols only exist when the generated aggregation files are supplied.
    assert "BOARD_QEMU_X86" in db_v4
    assert "SOC_NRF52840" in db_v4


def test_v4_stack_canaries(db_v4: SymbolDB) -> None:
    symbol = db_v4.get("CONFIG_STACK_CANARIES")
    assert symbol is not None
    assert symbol.type == "bool"
    assert symbol.help.strip()
    assert any(loc.path == "kernel/Kconfig" for loc in symbol.definitions)
    assert symbol.user_settable
    assert symbol.choice == '<choice "Stack canaries protection options">'


def test_v4_renamed_symbols(db_v4: SymbolDB) -> None:
    assert "X86_PAE" in db_v4
    assert "X86_PAE_MODE" not in db_v4
    assert "X86_PAE" in db_v4.close_names("X86_PAE_MODE")


def test_v4_configdefault_is_not_a_definition(db_v4: SymbolDB) -> None:
    symbol = db_v4.get("BT_HCI_ACL_FLOW_CONTROL")
    assert symbol is not None
    site = SourceLoc("drivers/bluetooth/hci/Kconfig", 191)
    assert site in symbol.configdefault_sites
    assert site not in symbol.definitions
    assert all(loc.path != "drivers/bluetooth/hci/Kconfig" for loc in symbol.definitions)
    # Its configdefault block still contributes defaults, located at that block.
    assert any(default.loc == site for default in symbol.defaults)


def test_v4_preprocessor_functions_get_doc_mode_values(db_v4: SymbolDB) -> None:
    # Its default is built from $(dt_path_enabled,...) and $(dt_chosen_enabled,...):
    # without doc-mode answers the line expands to nothing and the tree fails to parse.
    symbol = db_v4.get("STM32_STOP3_LP_MODE")
    assert symbol is not None
    assert [d.value for d in symbol.defaults] == ["n && n"]


def test_v4_deprecated_and_prompts(db_v4: SymbolDB) -> None:
    deprecated = [symbol.name for symbol in db_v4 if symbol.deprecated]
    assert deprecated, "Zephyr 4.2 marks some symbols deprecated"
    hidden = db_v4.get("REQUIRES_STACK_CANARIES")
    assert hidden is not None and not hidden.user_settable


def test_v1_legacy_tree(db_v1: SymbolDB) -> None:
    assert db_v1.zephyr_version == "1.13.0"
    assert db_v1.hardware_model == "legacy-env-var"
    assert len(db_v1) > 4_000
    for name in ("APPLICATION_MEMORY", "X86_PAE_MODE", "CONSOLE_SHELL"):
        assert name in db_v1, name


def test_fingerprints_differ_between_trees(db_v4: SymbolDB, db_v1: SymbolDB) -> None:
    assert len(db_v4.fingerprint) == 64
    assert db_v4.fingerprint != db_v1.fingerprint


def test_module_symbols_depend_on_what_the_module_says_not_on_if_0(db_v4: SymbolDB) -> None:
    # modules/Kconfig sources every module under "if 0"; the workspace's Kconfig.modules
    # (which secguide writes in doc mode) is the definition that counts.
    debug = db_v4.get("MBEDTLS_DEBUG")
    assert debug is not None and debug.depends_on == "MBEDTLS"
    assert not any("&& 0" in symbol.depends_on or symbol.depends_on == "0"
                   for symbol in db_v4 if symbol.definitions[0].path.startswith("modules/"))
    module = db_v4.get("ZEPHYR_MBEDTLS_MODULE")
    assert module is not None and [d.value for d in module.defaults] == ["y"]


def test_generated_files_are_named_stably_not_by_their_temporary_folder(db_v4: SymbolDB) -> None:
    board = db_v4.get("BOARD_NRF52840DK")
    assert board is not None
    paths = [loc.path for loc in board.definitions]
    assert "$(KCONFIG_BINARY_DIR)/boards/Kconfig.boards" in paths
    assert not any(loc.path.startswith(tempfile.gettempdir())
                   for symbol in db_v4 for loc in (*symbol.definitions, *(
                       d.loc for d in symbol.defaults)))
