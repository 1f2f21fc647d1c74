"""Which files a hardening database folder is made of: listing only, nothing parsed.

Kept apart from :mod:`secguide.model.hardening_db` (which imports the YAML parser and
the schema validator) so that stamping the database's files, as every guide build
does, imports neither.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

CENTRAL_FILE = "scripts/kconfig/hardening.yaml"
SCHEMA_FILE = "scripts/schemas/hardening-schema.yaml"
FRAGMENT_NAME = "hardening.yaml"
#: Top-level folders whose fragments upstream collects (samples and tests are not among them).
FRAGMENT_ROOTS = ("arch", "boards", "drivers", "kernel", "lib", "modules", "share", "soc",
                  "subsys")


def _walk_fragments(top: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(top):
        dirs.sort()
        if FRAGMENT_NAME in files:
            yield Path(root) / FRAGMENT_NAME


def hardening_files(root: Path) -> list[Path]:
    """The central file (if present), then every fragment below :data:`FRAGMENT_ROOTS`, sorted."""
    central = root / CENTRAL_FILE
    fragments = [path for top in FRAGMENT_ROOTS if (root / top).is_dir()
                 for path in _walk_fragments(root / top)]
    fragments.sort(key=lambda path: path.relative_to(root).as_posix())
    return ([central] if central.is_file() else []) + fragments
