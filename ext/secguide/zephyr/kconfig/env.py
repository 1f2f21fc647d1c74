"""The inputs Zephyr's build would generate, and the environment, for doc-mode loading.

Zephyr's CMake writes aggregation files into ``$(KCONFIG_BINARY_DIR)`` (which
SoC, board and architecture Kconfig files exist, modules, devicetree symbols)
and sets variables that name the board and architecture. To describe every
board at once we generate those files for *all* hardware, like Zephyr's
documentation build, and set variables to globs. Nothing here touches the
process environment except :func:`scoped_environ`, which restores it.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

import yaml

from secguide.zephyr.tree import HardwareModel, ZephyrTree

#: Variables a developer's shell may hold for a real build; they would narrow doc mode
#: to one board or change prefixes, so they are removed while loading.
_BUILD_VARIABLES = re.compile(
    r"^(ARCH|ARCH_DIR|BOARD|BOARD_.*|SOC_.*|SHIELD.*|KCONFIG_.*|srctree|CONFIG_|"
    r"ZEPHYR_.*|TOOLCHAIN_.*|ENV_VAR_.*|HWM_SCHEME|DTS_.*|EDT_PICKLE)$"
)


@contextlib.contextmanager
def scoped_environ(values: Mapping[str, str]) -> Iterator[None]:
    """Run a block with exactly ``values`` as the Zephyr build variables, then restore.

    kconfiglib reads ``os.environ`` directly, so the variables must be in the real
    environment while it parses; everything is put back afterwards, even on error.
    """
    saved = dict(os.environ)
    try:
        for key in [key for key in os.environ if _BUILD_VARIABLES.match(key)]:
            del os.environ[key]
        os.environ.update(values)
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def _safe_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _board_symbol(text: str) -> str:
    return "BOARD_" + re.sub(r"[^a-zA-Z0-9_]", "_", text).upper()


def _board_qualifiers(board: dict) -> list[str]:
    """``soc``, ``soc/cluster`` and ``.../variant`` qualifiers, named as list_boards does."""
    qualifiers: list[str] = []
    for soc in board.get("socs") or []:
        if not isinstance(soc, dict) or "name" not in soc:
            continue
        name = str(soc["name"])
        qualifiers.append(name)
        for variant in soc.get("variants") or []:
            if isinstance(variant, dict) and "name" in variant:
                qualifiers.append(f"{name}/{variant['name']}")
        for cluster in soc.get("cpuclusters") or []:
            if not isinstance(cluster, dict) or "name" not in cluster:
                continue
            qualifiers.append(f"{name}/{cluster['name']}")
            for variant in cluster.get("variants") or []:
                if isinstance(variant, dict) and "name" in variant:
                    qualifiers.append(f"{name}/{cluster['name']}/{variant['name']}")
    return qualifiers


def _v2_boards(root: Path) -> list[tuple[str, Path, list[str]]]:
    boards = []
    for board_yml in sorted(root.glob("boards/**/board.yml")):
        data = _safe_yaml(board_yml)
        entries = data.get("boards") or ([data["board"]] if "board" in data else [])
        for board in entries:
            if isinstance(board, dict) and "name" in board:
                boards.append((str(board["name"]), board_yml.parent, _board_qualifiers(board)))
    return boards


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def generate_v2_inputs(tree: ZephyrTree, binary_dir: Path) -> None:
    """Write the aggregation files a HWMv2 tree sources from ``$(KCONFIG_BINARY_DIR)``."""
    root = tree.root
    soc_dirs = sorted({path.parent for path in root.glob("soc/**/soc.yml")})
    _write(binary_dir / "soc" / "Kconfig.soc",
           "".join(f'osource "{(d / "Kconfig.soc").as_posix()}"\n' for d in soc_dirs))
    _write(binary_dir / "soc" / "Kconfig",
           "".join(f'osource "{(d / "Kconfig").as_posix()}"\n' for d in soc_dirs))
    _write(binary_dir / "soc" / "Kconfig.defconfig",
           "".join(f'osource "{(d / "Kconfig.defconfig").as_posix()}"\n' for d in soc_dirs))
    _write(binary_dir / "soc" / "Kconfig.sysbuild", "")

    archs = _safe_yaml(root / "arch" / "archs.yml").get("archs") or []
    _write(binary_dir / "arch" / "Kconfig", "".join(
        f'source "{(root / "arch" / str(arch["path"]) / "Kconfig").as_posix()}"\n'
        for arch in archs if isinstance(arch, dict) and "path" in arch
    ))

    boards = _v2_boards(root)
    board_lines: list[str] = []
    for name, directory, qualifiers in boards:
        for symbol in [_board_symbol(name)] + [_board_symbol(f"{name}/{q}") for q in qualifiers]:
            board_lines.append(f"config {symbol}\n\tbool\n")
        board_lines.append(f'osource "{(directory / ("Kconfig." + name)).as_posix()}"\n\n')
    board_dirs = sorted({directory for _, directory, _ in boards})
    _write(binary_dir / "boards" / "Kconfig.boards", "".join(board_lines))
    _write(binary_dir / "boards" / "Kconfig",
           "".join(f'osource "{(d / "Kconfig").as_posix()}"\n' for d in board_dirs))
    _write(binary_dir / "boards" / "Kconfig.defconfig",
           "".join(f'osource "{(d / "Kconfig.defconfig").as_posix()}"\n' for d in board_dirs))

    _write(binary_dir / "Kconfig.modules", modules_kconfig(root))
    for empty in ("Kconfig.sysbuild.modules", "Kconfig.dts",
                  "Kconfig.shield", "Kconfig.shield.defconfig", "Kconfig.arch"):
        _write(binary_dir / empty, "")


def modules_kconfig(root: Path) -> str:
    """``Kconfig.modules`` as a workspace holding every module the tree has glue for.

    Zephyr keeps each module's Kconfig in ``modules/<name>/Kconfig`` and sources them
    all under ``if 0`` (so their names exist for references), while the build's
    generated ``Kconfig.modules`` sources the ones present in the workspace, each
    with ``ZEPHYR_<NAME>_MODULE`` set. Without this file every module symbol would
    seem to depend on ``0`` ("can never be set"), which is not what a developer with
    the module sees.
    """
    blocks = []
    for kconfig in sorted(root.glob("modules/*/Kconfig")):
        name = kconfig.parent.name
        symbol = "ZEPHYR_" + re.sub(r"[^A-Za-z0-9_]", "_", name).upper() + "_MODULE"
        blocks.append(f'menu "{name} module"\nosource "{kconfig.as_posix()}"\n'
                      f"config {symbol}\n\tbool\n\tdefault y\nendmenu\n")
    return "\n".join(blocks)


def generate_legacy_inputs(binary_dir: Path) -> None:
    """Zephyr 2.x-3.6 source a few generated files; empty ones stand for "none"."""
    for empty in ("Kconfig.modules", "Kconfig.dts", "Kconfig.shield",
                  "Kconfig.shield.defconfig", "Kconfig.soc", "Kconfig.soc.defconfig",
                  "Kconfig.soc.arch", "Kconfig.sysbuild.modules"):
        _write(binary_dir / empty, "")


def doc_mode_environment(tree: ZephyrTree, binary_dir: Path) -> dict[str, str]:
    """The variables for loading ``tree`` with every architecture, SoC and board."""
    root = str(tree.root)
    common = {
        "ZEPHYR_BASE": root,
        "srctree": root,
        "KCONFIG_DOC_MODE": "1",
        "KCONFIG_BINARY_DIR": str(binary_dir),
        "CONFIG_": "CONFIG_",
        "BOARD_REVISION": "",
        "BOARD_QUALIFIERS": "",
        "BOARD_TARGET_STRING": "",
        # kconfiglib would import a stray ``kconfigfunctions`` module from sys.path;
        # ours are supplied by the loader instead.
        "KCONFIG_FUNCTIONS": "secguide._no_kconfig_functions_module",
    }
    if tree.hardware_model is HardwareModel.V2:
        generate_v2_inputs(tree, binary_dir)
        return common | {
            "ARCH_DIR": "arch",
            "ARCH": "*",
            "HWM_SCHEME": "v2",
            "BOARD": "boards",
            "KCONFIG_BOARD_DIR": str(binary_dir / "boards"),
        }
    generate_legacy_inputs(binary_dir)
    return common | {
        "ARCH": "*",
        "ARCH_DIR": "arch",
        "BOARD_DIR": "boards/*/*",
        "SOC_DIR": "soc",
        "KCONFIG_BOARD_DIR": "boards/*/*",
        "BOARD": "",
        "ENV_VAR_ARCH": "*",
        "ENV_VAR_BOARD_DIR": "boards/*/*",
    }
