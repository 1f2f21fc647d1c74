"""Which files a threat-model folder is made of: listing only, nothing parsed.

Kept apart from the loader (which imports the YAML parser and the schema validator)
so that stamping a model's files, as a build with nothing to do does, imports
neither.
"""

from __future__ import annotations

import os
from pathlib import Path

from secguide.diagnostics import resolved

#: A product model's declaration: the guide it extends (not a threat-model file).
DECLARATION = "extends.yaml"
#: The review baseline kept in a threat-model folder (:mod:`secguide.trace.review`).
BASELINE_NAME = ".review-baseline.json"


def is_product_model(directory: Path) -> bool:
    """Whether ``directory`` is a product model folder (it holds ``extends.yaml``)."""
    return (Path(directory) / DECLARATION).is_file()


def baseline_path(threatmodel_dir: Path) -> Path:
    """Where the baseline of a threat-model folder lives (for ``env.note_dependency``)."""
    return threatmodel_dir / BASELINE_NAME


def _yaml_files(directory: Path) -> list[Path]:
    """Every ``*.yaml`` below ``directory`` (hidden folders skipped), in a stable order.

    Folders that are symlinks are not entered (``os.walk`` default). A product model's
    ``extends.yaml`` is not a threat-model file: its own reader
    (:mod:`secguide.model.product_model`) takes it.
    """
    found = []
    for root, dirs, files in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found += [Path(root) / name for name in files
                  if name.endswith((".yaml", ".yml")) and not name.startswith(".")
                  and not (name == DECLARATION and Path(root) == Path(directory))]
    return sorted(found, key=lambda path: path.relative_to(directory).as_posix())


def _points_outside(path: Path, directory: Path) -> bool:
    """A symlink whose target is not inside ``directory`` (a loop counts as outside)."""
    if not path.is_symlink():
        return False
    try:
        return not path.resolve(strict=True).is_relative_to(resolved(directory))
    except (OSError, RuntimeError):  # dangling, a loop (3.11 raises RuntimeError)
        return True


def threatmodel_files(directory: Path) -> list[Path]:
    """Every model file below ``directory``, in a stable order; symlinks pointing outside
    the folder are left out (never read, not even hashed): see :func:`refused_links`."""
    return [path for path in _yaml_files(directory) if not _points_outside(path, directory)]


def refused_links(directory: Path) -> list[Path]:
    """Model files that are symlinks pointing outside ``directory`` (or nowhere)."""
    return [path for path in _yaml_files(directory) if _points_outside(path, directory)]
