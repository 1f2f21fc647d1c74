"""Finding a Zephyr tree and telling which release and hardware model it uses."""

from __future__ import annotations

import enum
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from secguide.diagnostics import SecguideError


class HardwareModel(enum.Enum):
    """How a tree describes boards and SoCs; decides what doc-mode loading must generate."""

    #: Zephyr >= 3.7: ``board.yml``, ``soc.yml``, ``arch/archs.yml``.
    V2 = "v2"
    #: Zephyr 2.x - 3.6: ``boards/<arch>/<board>``, ``$(ARCH)``, ``$(BOARD_DIR)``.
    LEGACY = "legacy"
    #: Zephyr 1.x: legacy layout addressed through ``$ENV_VAR_*`` variables.
    LEGACY_ENV_VAR = "legacy-env-var"


@dataclass(frozen=True, slots=True)
class ZephyrTree:
    root: Path
    version: str
    hardware_model: HardwareModel


_VERSION_FIELD = re.compile(
    r"^\s*(VERSION_MAJOR|VERSION_MINOR|PATCHLEVEL|EXTRAVERSION)\s*=\s*(\S*)"
)


#: The files twister reads test scenarios from (:mod:`secguide.zephyr.scenarios`).
SCENARIO_FILES = frozenset({"testcase.yaml", "sample.yaml"})


def read_version(root: Path) -> str:
    """The release from Zephyr's ``VERSION`` file, e.g. ``4.2.99``."""
    fields: dict[str, str] = {}
    for line in (root / "VERSION").read_text(encoding="utf-8").splitlines():
        match = _VERSION_FIELD.match(line)
        if match:
            fields[match.group(1)] = match.group(2)
    try:
        version = f"{fields['VERSION_MAJOR']}.{fields['VERSION_MINOR']}.{fields['PATCHLEVEL']}"
    except KeyError as missing:
        raise SecguideError(f"{root / 'VERSION'}: no {missing.args[0]} field") from None
    extra = fields.get("EXTRAVERSION")
    return f"{version}-{extra}" if extra else version


#: Zephyr's sources on GitHub; ``{ref}`` is a tag or a branch.
ZEPHYR_SOURCE_URL = "https://github.com/zephyrproject-rtos/zephyr/blob/{ref}"


def source_url_for(version: str) -> str:
    """Where Zephyr's sources of ``version`` are browsable: the release tag ``vX.Y.Z``,
    or ``main`` for a development version (patch level 99, or a ``-rc``/``-dev`` suffix),
    which has no tag of its own."""
    release, _, extra = version.partition("-")
    development = release.endswith(".99") or (extra and not extra.startswith("rc"))
    return ZEPHYR_SOURCE_URL.format(ref="main" if development else f"v{version}")


def detect_hardware_model(root: Path) -> HardwareModel:
    if (root / "arch" / "archs.yml").is_file():
        return HardwareModel.V2
    zephyr_kconfig = (root / "Kconfig.zephyr").read_text(encoding="utf-8", errors="replace")
    if "ENV_VAR_" in zephyr_kconfig:
        return HardwareModel.LEGACY_ENV_VAR
    return HardwareModel.LEGACY


def tree_files(root: Path, wanted: Callable[[str], bool],
               folders: list[str] | None = None) -> list[tuple[str, os.DirEntry]]:
    """Files below ``root`` whose name ``wanted`` accepts, as (relative POSIX path, entry).

    One ``scandir`` pass, hidden folders skipped, symlinked folders not followed;
    sorted by path. The entries let callers ``stat()`` without a second lookup.
    ``folders``, when given, receives every folder visited (``""`` for ``root``,
    else ``"a/b/"``).
    """
    found: list[tuple[str, os.DirEntry]] = []
    pending = [("", str(root))]
    while pending:
        prefix, directory = pending.pop()
        if folders is not None:
            folders.append(prefix)
        with os.scandir(directory) as listing:
            for entry in listing:
                if entry.name.startswith("."):
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append((f"{prefix}{entry.name}/", entry.path))
                elif wanted(entry.name):
                    found.append((prefix + entry.name, entry))
    found.sort(key=lambda item: item[0])
    return found


def resolve_tree(explicit: str | os.PathLike[str] | None = None,
                 environ: Mapping[str, str] | None = None, *,
                 option: str = "--zephyr-base") -> ZephyrTree:
    """The tree named by ``explicit`` (given as ``option``), else by ``ZEPHYR_BASE``.

    Raises:
        SecguideError: no tree named, the path is missing, or it is not a Zephyr tree.
    """
    environ = os.environ if environ is None else environ
    if explicit is not None and str(explicit) != "":
        raw, source = str(explicit), option
    elif environ.get("ZEPHYR_BASE"):
        raw, source = environ["ZEPHYR_BASE"], "ZEPHYR_BASE"
    else:
        raise SecguideError(
            "no Zephyr tree given: set ZEPHYR_BASE or pass --zephyr-base PATH"
        )
    root = Path(raw).expanduser()
    if root.exists() and not root.is_dir():
        raise SecguideError(f"{source}={raw}: a file, not a Zephyr tree folder")
    if not root.is_dir():
        raise SecguideError(f"{source}={raw}: no such directory")
    missing = [name for name in ("Kconfig.zephyr", "VERSION") if not (root / name).is_file()]
    if missing:
        raise SecguideError(
            f"{source}={raw}: not a Zephyr tree (no {' and no '.join(missing)})"
        )
    root = root.resolve()
    return ZephyrTree(root=root, version=read_version(root),
                      hardware_model=detect_hardware_model(root))
