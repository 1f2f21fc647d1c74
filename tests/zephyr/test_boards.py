"""Board targets of the real v4.2.99 tree, named as Zephyr names them."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError
from secguide.zephyr.boards import board_targets, find_target, same_target
from secguide.zephyr.tree import resolve_tree


@pytest.fixture(scope="module")
def targets(zephyr_v4_path: Path):
    return board_targets(resolve_tree(zephyr_v4_path))


def test_every_board_yml_gives_targets(targets, zephyr_v4_path: Path) -> None:
    board_files = list(zephyr_v4_path.glob("boards/**/board.yml"))
    assert len(board_files) > 800
    # More targets than files: SoCs with CPU clusters and variants add targets.
    assert len(targets) > len(board_files)
    assert len({t.name for t in targets}) == len(targets)


def test_clusters_come_from_soc_yml_and_variants_from_board_yml(targets) -> None:
    names = {t.name for t in targets}
    assert {"nrf5340dk/nrf5340/cpuapp", "nrf5340dk/nrf5340/cpunet",
            "nrf5340dk/nrf5340/cpuapp/ns", "qemu_x86/atom/nokpti"} <= names


def test_defconfig_and_twister_facts(targets) -> None:
    by_name = {t.name: t for t in targets}
    nucleo = by_name["nucleo_h753zi/stm32h753xx"]
    assert nucleo.defconfig is not None and nucleo.defconfig.name == "nucleo_h753zi_defconfig"
    assert (nucleo.arch, nucleo.ram_kb, nucleo.target_symbol) == (
        "arm", 512, "BOARD_NUCLEO_H753ZI_STM32H753XX")
    ns = by_name["nrf5340dk/nrf5340/cpuapp/ns"]
    assert ns.defconfig is not None and ns.defconfig.name == "nrf5340dk_nrf5340_cpuapp_ns_defconfig"
    # A single-SoC board may leave the SoC out of its file names.
    esp = by_name["esp32s3_devkitc/esp32s3/procpu"]
    assert esp.defconfig is not None and esp.defconfig.name == "esp32s3_devkitc_procpu_defconfig"


def test_find_target(targets) -> None:
    assert find_target(targets, "nucleo_h753zi").name == "nucleo_h753zi/stm32h753xx"
    with pytest.raises(SecguideError, match=r"has 3 targets; name one: .*cpuapp/ns"):
        find_target(targets, "nrf5340dk")
    with pytest.raises(SecguideError, match=r"no board target 'nucleo_h7'.*nucleo_h7"):
        find_target(targets, "nucleo_h7")


def test_legacy_tree_is_refused_in_one_line(zephyr_v1_path: Path) -> None:
    with pytest.raises(SecguideError, match="legacy hardware model") as caught:
        board_targets(resolve_tree(zephyr_v1_path))
    assert "\n" not in str(caught.value) and caught.value.exit_code == 2


@pytest.mark.parametrize(("old", "target"), [
    ("thingy53_nrf5340_cpuapp", "thingy53/nrf5340/cpuapp"),
    ("nrf5340dk_nrf5340_cpuapp_ns", "nrf5340dk/nrf5340/cpuapp/ns"),
    ("nrf52840dk_nrf52840", "nrf52840dk/nrf52840"),
])
def test_old_board_names_find_their_target(zephyr_v4_path: Path, old: str, target: str) -> None:
    """Names before HWMv2 (an old build's CONFIG_BOARD) lead to the target they became."""
    targets = board_targets(resolve_tree(zephyr_v4_path))
    assert find_target(targets, old).name == target
    assert same_target(target, old) and same_target(old, target)
    assert not same_target("thingy53/nrf5340/cpuapp", "thingy53_nrf5340_cpunet")
