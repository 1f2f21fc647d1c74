"""The .config reader: the 20 real builds of ../shared/builds/configs, and crafted edge cases."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError, Severity
from secguide.zephyr.dotconfig import MAX_CONFIG_BYTES, parse_dotconfig, read_dotconfig

CONFIGS = Path(__file__).resolve().parents[3] / "shared" / "builds" / "configs"


def _index() -> list[dict[str, str]]:
    with (CONFIGS / "INDEX.tsv").open(newline="") as stream:
        return list(csv.DictReader(stream, delimiter="\t"))


INDEX = _index()


def test_index_lists_all_twenty_builds() -> None:
    assert len(INDEX) == 20
    assert {f"{row['short_id']}.config" for row in INDEX} == {
        path.name for path in CONFIGS.glob("*.config")}


@pytest.mark.parametrize("row", INDEX, ids=[row["short_id"] for row in INDEX])
def test_real_config_reads_clean_and_matches_index(row: dict[str, str]) -> None:
    config = read_dotconfig(CONFIGS / f"{row['short_id']}.config")
    assert config.diagnostics == ()
    text = (CONFIGS / f"{row['short_id']}.config").read_text()
    written = [line for line in text.splitlines()
               if line.startswith(("CONFIG_", "SB_CONFIG_")) or line.endswith(" is not set")]
    assert len(config.values) == len(written) > 50
    sysbuild = row["CONFIG_BOARD"].startswith("SB:")
    assert config.is_sysbuild is sysbuild
    assert config.board == (row["CONFIG_BOARD"].removeprefix("SB:") or None)
    assert config.crlf is (row["eol"] == "CRLF")
    if row["CONFIG_BOARD_TARGET"]:
        assert config.board_target == row["CONFIG_BOARD_TARGET"].removeprefix("SB:")


def test_real_values_keep_their_kind_and_line() -> None:
    config = read_dotconfig(CONFIGS / "esp32c3_devkitm-campainha.config")
    arena = config.get("CONFIG_COMMON_LIBC_MALLOC_ARENA_SIZE")
    assert arena is not None and (arena.kind, arena.as_int(), arena.loc.line) == ("int", -1, 134)
    mask = config.get("RISCV_MCAUSE_EXCEPTION_MASK")
    assert mask is not None and (mask.kind, mask.as_int(), mask.loc.line) == (
        "hex", 0x7FFFFFFF, 99)
    assert config.devicetree_info == (3, 31)
    assert config.get("DT_HAS_ESPRESSIF_ESP32_AES_ENABLED").in_devicetree_info
    assert not config.get("WIFI").in_devicetree_info


def test_real_not_set_dollar_string_and_crlf() -> None:
    config = read_dotconfig(CONFIGS / "nucleo_h753zi-telnet.config")
    canaries = config.get("STACK_CANARIES")
    assert canaries is not None
    assert (canaries.value, canaries.kind, canaries.is_set, canaries.loc.line) == (
        "n", "tristate", False, 839)
    revision = config.get("BOARD_REVISION")
    assert revision is not None and revision.value == "$BOARD_REVISION"
    assert config.string("BOARD") == "nucleo_h753zi"  # no trailing \r from CRLF
    prompt = read_dotconfig(CONFIGS / "esp32s3_devkitc-hacktor.config").get("SHELL_PROMPT_UART")
    assert prompt is not None and (prompt.value, prompt.loc.line) == ("hacktor:~$ ", 2062)


def test_missing_config_board_is_none_not_a_guess() -> None:
    config = read_dotconfig(CONFIGS / "processor-twister-userspace_hello.config")
    assert config.board is None
    assert config.diagnostics == ()


def test_sysbuild_top_level_uses_sb_prefix() -> None:
    config = read_dotconfig(CONFIGS / "sysbuild-nrf21540dk-tasking.config")
    assert config.prefix == "SB_CONFIG_"
    assert config.get("SB_CONFIG_SOC").value == "nrf52840"
    assert config.get("SOC") is config.get("SB_CONFIG_SOC")


def test_string_escapes_are_undone() -> None:
    config = parse_dotconfig('CONFIG_A="say \\"hi\\" \\\\ $HOME"\nCONFIG_B=""\n', "x/.config")
    assert config.get("A").value == 'say "hi" \\ $HOME'
    assert config.get("B").value == ""
    assert config.diagnostics == ()


@pytest.mark.parametrize(("line", "why"), [
    ("CONFIG_A=", "no value after '='"),
    ('CONFIG_A="open', "without a closing quote"),
    ('CONFIG_A="a"b"', "without a closing quote"),
    ("CONFIG_A=yes", "neither y/m/n"),
    ("CONFIG_A=0x", "neither y/m/n"),
    ("CONFIG_A= y", "whitespace"),
    ("CONFIG_A-B=y", "not a Kconfig assignment"),
    ("FOO=y", "not a Kconfig assignment"),
])
def test_malformed_lines_are_findings_at_their_line(line: str, why: str) -> None:
    config = parse_dotconfig(f"# header\nCONFIG_OK=y\n{line}\n", "b/.config")
    assert len(config.diagnostics) == 1
    finding = config.diagnostics[0]
    assert (str(finding.loc), finding.severity, finding.code) == (
        "b/.config:3", Severity.ERROR, "dotconfig.malformed")
    assert why in finding.message
    assert config.get("OK").value == "y"


def test_duplicate_assignment_warns_and_last_wins() -> None:
    config = parse_dotconfig("CONFIG_A=1\nCONFIG_A=2\n", "c")
    assert config.get("A").value == "2"
    assert [(d.loc.line, d.severity, d.code) for d in config.diagnostics] == [
        (2, Severity.WARNING, "dotconfig.duplicate")]
    assert "first at line 1" in config.diagnostics[0].message


def test_mixed_prefixes_are_refused_per_line() -> None:
    config = parse_dotconfig("SB_CONFIG_A=y\nCONFIG_B=y\n", "d")
    assert config.is_sysbuild and "B" not in config
    assert [d.code for d in config.diagnostics] == ["dotconfig.mixed-prefix"]


def test_file_without_assignments_is_a_finding() -> None:
    config = parse_dotconfig("# just a comment\n", "e")
    assert [d.code for d in config.diagnostics] == ["dotconfig.empty"]


def test_a_zero_byte_file_is_a_finding_too() -> None:
    # An empty .config (a failed build step, a truncated copy) must not audit clean.
    config = parse_dotconfig("", "e")
    assert [(d.code, d.loc.line) for d in config.diagnostics] == [("dotconfig.empty", 1)]


def test_unclosed_devicetree_block_is_a_warning() -> None:
    config = parse_dotconfig("#\n# Devicetree Info\n#\nCONFIG_DT_HAS_X_ENABLED=y\n", "f")
    assert config.devicetree_info is None
    assert [(d.loc.line, d.severity) for d in config.diagnostics] == [(2, Severity.WARNING)]


def test_oversized_binary_and_non_utf8_files_are_refused(tmp_path: Path) -> None:
    big = tmp_path / "big.config"
    with big.open("wb") as stream:
        stream.truncate(MAX_CONFIG_BYTES + 1)
    with pytest.raises(SecguideError, match="larger than 16 MiB"):
        read_dotconfig(big)
    binary = tmp_path / "bin.config"
    binary.write_bytes(b"CONFIG_A=y\n\0\0")
    with pytest.raises(SecguideError, match="binary data"):
        read_dotconfig(binary)
    latin = tmp_path / "latin.config"
    latin.write_bytes(b'CONFIG_A=y\nCONFIG_B="caf\xe9"\n')
    with pytest.raises(SecguideError, match=r"latin.config:2: not UTF-8"):
        read_dotconfig(latin)
    with pytest.raises(SecguideError, match="cannot read"):
        read_dotconfig(tmp_path / "missing.config")


def test_build_version_from_version_h_beside_the_config(tmp_path: Path) -> None:
    from secguide.zephyr.build_dirs import build_version

    zephyr = tmp_path / "build" / "zephyr"
    header = zephyr / "include" / "generated" / "zephyr" / "version.h"
    header.parent.mkdir(parents=True)
    (zephyr / ".config").write_text('CONFIG_BOARD="x"\n')
    assert build_version(zephyr / ".config") is None
    header.write_text("#define KERNEL_VERSION_MAJOR 3\n#define KERNEL_VERSION_MINOR 7\n"
                      "#define KERNEL_PATCHLEVEL 0\n#define KERNEL_VERSION_STRING \"3.7.0\"\n")
    assert build_version(zephyr / ".config") == "3.7.0"
    assert build_version(CONFIGS / "qemu_x86-vehicleos.config") is None  # a lone .config


def test_a_line_longer_than_zephyr_writes_is_refused_at_its_line() -> None:
    # A 10 MB value would otherwise be copied into every report (and overflow the PDF).
    text = 'CONFIG_ARCH="arm"\nCONFIG_BOARD="' + "b" * 10_000_000 + '"\nCONFIG_SHELL=y\n'
    config = parse_dotconfig(text, "long")
    assert [(d.code, d.loc.line) for d in config.diagnostics] == [("dotconfig.malformed", 2)]
    assert "BOARD" not in config and config.get("SHELL") is not None
    assert len(config.diagnostics[0].message) < 200
