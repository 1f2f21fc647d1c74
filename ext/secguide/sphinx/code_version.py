"""The environment version of the extension: a digest of secguide's own files.

Sphinx keeps parsed pages between builds and throws them away only when an
extension's ``env_version`` changes. Pages here are made from secguide's code
(need IDs, cards, tables), so after ``git pull`` an unchanged YAML file would
otherwise keep the old code's nodes and the build would warn about items the
new code names differently. A digest of the package's files makes any code
change a full rebuild, and nothing else does.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

#: The files pages are made from: code, templates, static files and the schema.
SOURCE_SUFFIXES = frozenset({".py", ".j2", ".css", ".js", ".svg", ".json", ".yaml"})


def code_version(package: Path) -> int:
    """A number that changes whenever a file of ``package`` that shapes pages changes."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.suffix not in SOURCE_SUFFIXES or "__pycache__" in path.parts \
                or not path.is_file():
            continue
        digest.update(path.relative_to(package).as_posix().encode("utf-8") + b"\0")
        digest.update(path.read_bytes() + b"\0")
    # Sphinx stores an int per extension; 48 bits of the digest are plenty to tell apart
    return int(digest.hexdigest()[:12], 16)
