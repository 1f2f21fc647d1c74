"""The board targets a HWMv2 tree declares, named the way ``west boards`` names them.

A *board target* is ``board/soc[/cpucluster][/variant]``: the SoC comes from the
board's ``board.yml``, CPU clusters from the SoC's ``soc.yml`` (or the board's own
entry), variants from ``board.yml``. Each target has the files a build's Kconfig
stage reads for it (``<board>_<qualifiers>_defconfig``, else ``<board>_defconfig``)
and, when present, its twister file ``<target>.yaml`` (arch, RAM, flash, features).
Everything here is read from the tree and treated as untrusted data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from secguide.diagnostics import SecguideError
from secguide.zephyr.tree import HardwareModel, ZephyrTree

#: libyaml's safe loader when available: a tree has over a thousand board files.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardTarget:
    """One buildable target, e.g. ``nrf5340dk/nrf5340/cpuapp/ns``."""

    name: str
    board: str
    qualifiers: str  # "nrf5340/cpuapp/ns": everything after the board name
    soc: str
    board_dir: Path
    vendor: str = ""
    full_name: str = ""
    defconfig: Path | None = None
    arch: str = ""
    ram_kb: int | None = None
    flash_kb: int | None = None
    supported: tuple[str, ...] = ()

    @property
    def board_symbol(self) -> str:
        """The Kconfig symbol Zephyr defines for the board (``BOARD_NRF5340DK``)."""
        return kconfig_board_symbol(self.board)

    @property
    def target_symbol(self) -> str:
        """The Kconfig symbol for the full target (``BOARD_NRF5340DK_NRF5340_CPUAPP_NS``)."""
        return kconfig_board_symbol(f"{self.board}/{self.qualifiers}")


def kconfig_board_symbol(text: str) -> str:
    """``BOARD_`` + the name upper-cased with every other character as ``_`` (normalize_upper)."""
    return "BOARD_" + re.sub(r"[^A-Za-z0-9_]", "_", text).upper()


def _yaml_mapping(path: Path) -> dict[str, Any]:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LOADER)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def _named(entries: Any) -> list[dict[str, Any]]:
    if not isinstance(entries, list):
        return []
    return [entry for entry in entries if isinstance(entry, dict) and "name" in entry]


def soc_clusters(root: Path) -> dict[str, tuple[str, ...]]:
    """SoC name -> its CPU clusters, from every ``soc.yml`` (family/series/socs nesting)."""
    clusters: dict[str, tuple[str, ...]] = {}
    for soc_yml in sorted(root.glob("soc/**/soc.yml")):
        pending: list[Any] = [_yaml_mapping(soc_yml)]
        while pending:
            node = pending.pop()
            if not isinstance(node, dict):
                continue
            for soc in _named(node.get("socs")):
                names = tuple(str(c["name"]) for c in _named(soc.get("cpuclusters")))
                clusters[str(soc["name"])] = names
            for key in ("family", "series"):
                pending += _named(node.get(key))
    return clusters


def _qualifiers(soc: dict[str, Any], known_clusters: tuple[str, ...]) -> list[str]:
    name = str(soc["name"])
    clusters = [str(c["name"]) for c in _named(soc.get("cpuclusters"))] or list(known_clusters)
    found = [f"{name}/{cluster}" for cluster in clusters] if clusters else [name]
    for variant in _named(soc.get("variants")):
        cluster = variant.get("cpucluster")
        prefix = f"{name}/{cluster}" if cluster else name
        found.append(f"{prefix}/{variant['name']}")
    for cluster in _named(soc.get("cpuclusters")):
        for variant in _named(cluster.get("variants")):
            found.append(f"{name}/{cluster['name']}/{variant['name']}")
    return list(dict.fromkeys(found))


def _twister_files(board_dir: Path) -> dict[str, dict[str, Any]]:
    """Twister board files of one folder, by their ``identifier``."""
    found = {}
    for path in sorted(board_dir.glob("*.yaml")):
        data = _yaml_mapping(path)
        if isinstance(data.get("identifier"), str):
            found[data["identifier"]] = data
    return found


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _defconfig(board_dir: Path, board: str, qualifiers: str, single_soc: bool) -> Path | None:
    """The defconfig a build reads: most specific name first; a board with one SoC
    may leave the SoC out of its file names (``esp32s3_devkitc_procpu_defconfig``)."""
    names = [qualifiers]
    if single_soc and "/" in qualifiers:
        names.append(qualifiers.split("/", 1)[1])
    for name in names:
        specific = board_dir / f"{board}_{name.replace('/', '_')}_defconfig"
        if specific.is_file():
            return specific
    generic = board_dir / f"{board}_defconfig"
    return generic if generic.is_file() else None


def board_targets(tree: ZephyrTree) -> list[BoardTarget]:
    """Every board target that the tree's ``board.yml`` files declare, sorted by name.

    Raises:
        SecguideError: the tree predates HWMv2 (no ``board.yml``), which this does not read.
    """
    if tree.hardware_model is not HardwareModel.V2:
        raise SecguideError(
            f"{tree.root}: Zephyr {tree.version} uses the legacy hardware model; "
            "per-board evaluation needs a HWMv2 tree (Zephyr >= 3.7)", exit_code=2)
    clusters = soc_clusters(tree.root)
    targets: dict[str, BoardTarget] = {}
    for board_yml in sorted(tree.root.glob("boards/**/board.yml")):
        data = _yaml_mapping(board_yml)
        boards = _named(data.get("boards")) or _named([data.get("board")])
        twister = _twister_files(board_yml.parent)
        for board in boards:
            name = str(board["name"])
            socs = _named(board.get("socs"))
            for soc in socs:
                for qualifiers in _qualifiers(soc, clusters.get(str(soc["name"]), ())):
                    target = f"{name}/{qualifiers}"
                    facts = twister.get(target) or (
                        twister.get(name) if len(socs) == 1 and "/" not in qualifiers else None
                    ) or {}
                    supported = facts.get("supported")
                    targets[target] = BoardTarget(
                        name=target, board=name, qualifiers=qualifiers, soc=str(soc["name"]),
                        board_dir=board_yml.parent,
                        vendor=str(board.get("vendor") or ""),
                        full_name=str(board.get("full_name") or ""),
                        defconfig=_defconfig(board_yml.parent, name, qualifiers, len(socs) == 1),
                        arch=str(facts.get("arch") or ""),
                        ram_kb=_int_or_none(facts.get("ram")),
                        flash_kb=_int_or_none(facts.get("flash")),
                        supported=tuple(sorted(str(s) for s in supported))
                        if isinstance(supported, list) else (),
                    )
    return [targets[name] for name in sorted(targets)]


def legacy_name(name: str) -> str:
    """The name a board target had before HWMv2 (Zephyr < 3.7), as old builds' ``CONFIG_BOARD``
    says it: qualifiers joined with ``_`` (``thingy53/nrf5340/cpuapp`` was
    ``thingy53_nrf5340_cpuapp``, ``nrf5340dk/nrf5340/cpuapp/ns`` was
    ``nrf5340dk_nrf5340_cpuapp_ns``); a revision (``@2.0.0``) is not part of it."""
    board, _, rest = name.partition("/")
    return "_".join([board.split("@")[0], *filter(None, rest.split("/"))])


def same_target(wanted: str, reported: str) -> bool:
    """Whether a board target given by a reader (``thingy53/nrf5340/cpuapp``) and one a
    build reports (``CONFIG_BOARD_TARGET``, or an old build's ``CONFIG_BOARD`` such as
    ``thingy53_nrf5340_cpuapp``) name the same target."""
    return wanted == reported or legacy_name(wanted) == legacy_name(reported)


def find_target(targets: list[BoardTarget], wanted: str) -> BoardTarget:
    """The target named ``wanted``: a full name, a board with exactly one target, or a
    target's name before HWMv2 (``thingy53_nrf5340_cpuapp``).

    Raises:
        SecguideError: no such target, or a board name with several targets (listed).
    """
    by_name = {target.name: target for target in targets}
    if wanted in by_name:
        return by_name[wanted]
    by_legacy = {legacy_name(target.name): target for target in targets}
    if "/" not in wanted and wanted not in {target.board for target in targets} \
            and legacy_name(wanted) in by_legacy:
        return by_legacy[legacy_name(wanted)]
    of_board = [target for target in targets if target.board == wanted.split("@")[0]]
    if len(of_board) == 1:
        return of_board[0]
    if of_board:
        raise SecguideError(f"board {wanted!r} has {len(of_board)} targets; name one: "
                            + ", ".join(target.name for target in of_board), exit_code=2)
    close = sorted(name for name in by_name if wanted.lower() in name.lower())[:5]
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    raise SecguideError(f"no board target {wanted!r} in this tree{hint}", exit_code=2)
