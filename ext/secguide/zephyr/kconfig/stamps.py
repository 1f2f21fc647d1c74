"""Which files of a tree feed its Kconfig, and their stamps: ``stat`` calls, no kconfiglib.

Kept apart from :mod:`secguide.zephyr.kconfig.cache` so that telling whether a tree
changed costs no import of the parser (a build with nothing to do asks only that).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from secguide.zephyr.tree import tree_files

_INPUT_NAMES = frozenset({"board.yml", "soc.yml", "archs.yml", "VERSION"})


def is_kconfig_input(name: str) -> bool:
    """Whether a file of this name can feed the Kconfig database."""
    return "Kconfig" in name or name.endswith(".defconfig") or name in _INPUT_NAMES


def scan_inputs(root: Path) -> tuple[list[str], str]:
    """Every file that can feed doc-mode loading (relative, sorted) and their stat stamp."""
    files = [relative for relative, _ in tree_files(root, is_kconfig_input)]
    return files, scan_stamp(root, files)


def scan_stamp(root: Path, files: list[str]) -> str:
    """sha256 over the path, size and mtime of each of ``files``."""
    digest = hashlib.sha256()
    for relative in files:
        info = os.stat(root / relative)
        digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def scan_inputs_and_folders(root: Path) -> tuple[list[str], list[str]]:
    """Every Kconfig input (as :func:`scan_inputs`) and every folder walked, sorted."""
    folders: list[str] = []
    files = [relative for relative, _ in tree_files(root, is_kconfig_input, folders)]
    return files, sorted(folders)


def quick_stamp(root: Path, files: list[str], folders: list[str]) -> str | None:
    """The stamp of a tree whose inputs and folders are known: no folder is listed.

    A folder's mtime changes when an entry is added, removed or renamed in it, so
    the mtimes of the folders plus the size and mtime of the known inputs detect
    every change that :func:`scan_inputs` would, with ``stat`` calls alone (a third
    of the time of walking the tree). None when a listed path is gone.
    """
    digest = hashlib.sha256()
    base = f"{root}{os.sep}"
    stat = os.stat
    try:
        for folder in folders:
            digest.update(f"{folder}\0{stat(base + folder).st_mtime_ns}\n".encode())
        for relative in files:
            info = stat(base + relative)
            digest.update(f"{relative}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
    except (OSError, ValueError):
        return None
    return digest.hexdigest()


def content_fingerprint(root: Path, files: list[str]) -> str:
    """sha256 over each input's path and content: the same for every checkout of a tree."""
    digest = hashlib.sha256()
    for relative in files:
        digest.update(relative.encode() + b"\0")
        digest.update(hashlib.sha256((root / relative).read_bytes()).digest())
    return digest.hexdigest()


def default_cache_dir() -> Path:
    if os.environ.get("SECGUIDE_CACHE_DIR"):
        return Path(os.environ["SECGUIDE_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "secguide"
