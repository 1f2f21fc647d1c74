"""Finding the ``.config`` files of a build argument: a file, a build folder, or many builds.

``west build`` writes ``build/zephyr/.config``; sysbuild writes its own
top-level ``build/zephyr/.config`` (``SB_CONFIG_*``) and one
``build/<image>/zephyr/.config`` per image; twister writes
``twister-out/<platform>/<scenario path>/<scenario>/zephyr/.config``.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from secguide.diagnostics import SecguideError

#: A folder of builds larger than this is refused rather than walked forever.
MAX_BUILDS = 20000
_SKIPPED_DIRS = {"CMakeFiles", ".git", "__pycache__", "node_modules"}


@dataclass(frozen=True, slots=True)
class BuildInputs:
    """The ``.config`` files to audit, and the sysbuild top levels found (not audited)."""

    configs: tuple[Path, ...]
    sysbuild_top_levels: tuple[Path, ...] = ()


def _is_sysbuild(path: Path) -> bool:
    try:
        with path.open("rb") as stream:
            head = stream.read(64 * 1024)
    except OSError:
        return False
    return b"\nSB_CONFIG_" in b"\n" + head and b"\nCONFIG_" not in b"\n" + head


def sysbuild_images(top_level: Path) -> list[Path]:
    """The image ``.config`` files beside a sysbuild top level (``build/*/zephyr/.config``)."""
    build = top_level.parent.parent if top_level.parent.name == "zephyr" else top_level.parent
    return sorted(p for p in build.glob("*/zephyr/.config") if p != top_level and p.is_file())


def _walk(root: Path) -> list[Path]:
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        found += [Path(current) / name for name in sorted(files)
                  if name == ".config" or (name.endswith(".config") and len(name) > 7)]
        if len(found) > MAX_BUILDS:
            raise SecguideError(f"{root}: more than {MAX_BUILDS} .config files; audit a "
                                "smaller folder")
    return found


def find_build_configs(target: Path) -> BuildInputs:
    """The ``.config`` files ``target`` stands for.

    A file is itself; ``build/zephyr/`` and ``build/`` mean their ``.config``;
    any other folder is searched for ``.config`` (and ``*.config``) files.
    A sysbuild top level is replaced by its images.

    Raises:
        SecguideError: ``target`` does not exist or holds no ``.config`` file.
    """
    if target.is_file():
        candidates = [target]
    elif target.is_dir():
        single = next((c for c in (target / ".config", target / "zephyr" / ".config")
                       if c.is_file()), None)
        candidates = [single] if single else _walk(target)
    else:
        raise SecguideError(f"{target}: no such file or folder")
    if not candidates:
        raise SecguideError(f"{target}: no .config file found (expected a build folder, "
                            "build/zephyr/.config, or a folder of builds)")
    configs: list[Path] = []
    top_levels: list[Path] = []
    for candidate in candidates:
        if _is_sysbuild(candidate):
            top_levels.append(candidate)
            configs += [image for image in sysbuild_images(candidate) if image not in configs]
        elif candidate not in configs:
            configs.append(candidate)
    return BuildInputs(tuple(configs), tuple(top_levels))


#: Where a build folder's ``version.h`` is, relative to its ``zephyr/`` folder (new, old).
_VERSION_HEADERS = ("include/generated/zephyr/version.h", "include/generated/version.h")
_VERSION_PART = re.compile(
    r"^#define\s+KERNEL_(VERSION_MAJOR|VERSION_MINOR|PATCHLEVEL)\s+(\d+)\s*$", re.M)


#: ``BUILD_VERSION``: the ``git describe`` of the tree the build was made from, when Zephyr
#: could run git (``v4.2.0-2572-g04dfa77d372d``, ``zephyr-v3.4.0``).
_DESCRIBED_BUILD = re.compile(r"^#define\s+BUILD_VERSION\s+(\S{1,100})\s*$", re.M)


def _version_header(config: Path) -> str | None:
    for relative in _VERSION_HEADERS:
        header = config.parent / relative
        try:
            if header.stat().st_size > 64 * 1024:
                continue
            return header.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return None


def build_describe(config: Path) -> str | None:
    """``BUILD_VERSION`` from the ``version.h`` beside the ``.config``: the git describe of
    the build's Zephyr tree, which names a development build's commit; None without one."""
    text = _version_header(config)
    match = _DESCRIBED_BUILD.search(text) if text is not None else None
    return match.group(1).strip('"') if match else None


def build_version(config: Path) -> str | None:
    """The Zephyr release a build was made with, from the ``version.h`` beside its ``.config``.

    ``None`` for a lone ``.config`` file (the file itself does not say) or an
    unreadable header; never a guess.
    """
    for relative in _VERSION_HEADERS:
        header = config.parent / relative
        try:
            if header.stat().st_size > 64 * 1024:
                continue
            text = header.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        parts = dict(_VERSION_PART.findall(text))
        if len(parts) == 3:
            return (f"{parts['VERSION_MAJOR']}.{parts['VERSION_MINOR']}."
                    f"{parts['PATCHLEVEL']}")
    return None
