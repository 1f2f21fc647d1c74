"""One stamp for everything a guide build reads from a Zephyr tree, checked with ``stat``.

The guide's findings and pages depend on the tree's Kconfig inputs (the symbol
database), its test scenario files (``zephyr_test`` references), its board files
(the board pages' verdicts) and its hardening list. :func:`scan_tree_inputs` lists
those files and every folder once (one walk); :func:`tree_stamp` then tells whether
any of them changed with ``stat`` calls alone: a folder's mtime changes when an entry
is added, removed or renamed in it, a file's size or mtime when it is written. A
build with nothing to do can so trust what it computed from the tree last time
without reading the tree or the caches made from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secguide.zephyr.hardening import HARDENED_CSV
from secguide.zephyr.kconfig.stamps import is_kconfig_input, quick_stamp
from secguide.zephyr.tree import SCENARIO_FILES, tree_files


def _is_read_by_guide(name: str) -> bool:
    return is_kconfig_input(name) or name in SCENARIO_FILES


def _is_board_file(name: str) -> bool:
    """Board definitions and defconfigs (what board targets are evaluated from)."""
    return name.endswith(("_defconfig", ".yaml", ".yml"))


@dataclass(frozen=True, slots=True)
class TreeInputs:
    """The files of a tree a guide build reads (relative, sorted) and every folder."""

    root: str
    files: tuple[str, ...]
    folders: tuple[str, ...]

    def stamp(self) -> str | None:
        """sha256 of the folders' mtimes and the files' sizes and mtimes; None when a
        listed path is gone (the tree changed)."""
        return quick_stamp(Path(self.root), list(self.files), list(self.folders))

    def to_json(self) -> dict[str, Any]:
        return {"root": self.root, "files": list(self.files), "folders": list(self.folders)}

    @classmethod
    def from_json(cls, raw: Any) -> TreeInputs:
        """Raises: KeyError, TypeError, ValueError: ``raw`` is not such a record."""
        files, folders = list(raw["files"]), list(raw["folders"])
        if not all(isinstance(p, str) for p in files + folders):
            raise TypeError("tree inputs must be paths")
        return cls(str(raw["root"]), tuple(files), tuple(folders))


def scan_tree_inputs(root: Path) -> TreeInputs:
    """Walk the tree once: its Kconfig inputs, scenario files, board files, hardening
    list and every folder (hidden ones skipped, as every reader of the tree does)."""
    folders: list[str] = []
    files = [relative for relative, _ in tree_files(root, _is_read_by_guide, folders)]
    if (root / "boards").is_dir():
        files += [f"boards/{relative}"
                  for relative, _ in tree_files(root / "boards", _is_board_file)]
    if (root / HARDENED_CSV).is_file():
        files.append(HARDENED_CSV)
    return TreeInputs(str(root), tuple(sorted(set(files))), tuple(sorted(folders)))
