"""Results that depend only on fingerprinted inputs, kept on disk between runs.

Drift between two trees and the guide-against-hardening comparison are the same
for every build whose tree fingerprints, model symbols and upstream files are the
same; a no-op ``make html`` or a second ``secguide`` command should not redo them.
Each result is one JSON file in the cache folder (``$SECGUIDE_CACHE_DIR``), named by
a digest of its key; the key is stored inside too and compared on read, so a
digest collision or a file from another version is recomputed, never trusted.

The key includes a digest of the source files that compute the result, so an
edited algorithm is never answered from an old file. A missing, unreadable,
corrupt or foreign file is recomputed and rewritten (atomically); a cache folder
that cannot be written only costs the time of recomputing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

from secguide import __version__
from secguide.diagnostics import SecguideError
from secguide.files import write_atomically
from secguide.zephyr.kconfig.cache import default_cache_dir

T = TypeVar("T")

#: Bumped when the file layout changes (the key and value encodings are the callers').
FORMAT = 1

_SOURCE_DIGESTS: dict[str, str] = {}


def source_digest(modules: Iterable[ModuleType]) -> str:
    """sha256 over the source files of ``modules`` (read once per process)."""
    digest = hashlib.sha256()
    for module in modules:
        path = str(module.__file__)
        if path not in _SOURCE_DIGESTS:
            _SOURCE_DIGESTS[path] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        digest.update(_SOURCE_DIGESTS[path].encode())
    return digest.hexdigest()


def cache_path(kind: str, key: Any, cache_dir: Path | None = None) -> Path:
    """The file that holds the result of ``kind`` for ``key`` (JSON-encodable)."""
    text = json.dumps([FORMAT, __version__, kind, key], sort_keys=True, separators=(",", ":"))
    name = f"{kind}-{hashlib.sha256(text.encode()).hexdigest()[:24]}.json"
    return (cache_dir or default_cache_dir()) / name


def cached(kind: str, key: Any, compute: Callable[[], T], *,
           encode: Callable[[T], Any], decode: Callable[[Any], T],
           cache_dir: Path | None = None, use_cache: bool = True,
           keep: int | None = None) -> T:
    """``compute()``, or its earlier result for the same ``key`` read from disk.

    ``keep``: after writing a new result, only the newest ``keep`` files of ``kind``
    stay (a large result per model edit must not pile up); None keeps every one.

    ``key`` must be JSON-encodable and hold everything the result depends on (input
    fingerprints, a :func:`source_digest` of the computing code). ``decode`` may
    raise ``KeyError``, ``TypeError`` or ``ValueError`` on a malformed value: the
    file is then recomputed.
    """
    if not use_cache:
        return compute()
    path = cache_path(kind, key, cache_dir)
    found = _read(path, kind, key, decode)
    if found is not None:
        return found[0]
    value = compute()
    payload = {"format": FORMAT, "tool": __version__, "kind": kind, "key": key,
               "value": encode(value)}
    with contextlib.suppress(SecguideError):
        write_atomically(path, json.dumps(payload, separators=(",", ":"), sort_keys=True))
    if keep is not None:
        _prune(path, kind, keep)
    return value


def _prune(written: Path, kind: str, keep: int) -> None:
    """Remove all but the newest ``keep`` files of ``kind`` beside ``written``."""
    def age(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0

    others = sorted((p for p in written.parent.glob(f"{kind}-*.json") if p != written),
                    key=age, reverse=True)
    for old in others[max(keep - 1, 0):]:
        with contextlib.suppress(OSError):
            old.unlink()


def _read(path: Path, kind: str, key: Any,
          decode: Callable[[Any], T]) -> tuple[T] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != FORMAT \
            or data.get("tool") != __version__ or data.get("kind") != kind:
        return None
    # compared as JSON text: tuples in ``key`` come back from the file as lists
    if json.dumps(data.get("key"), sort_keys=True) != json.dumps(key, sort_keys=True):
        return None
    try:
        return (decode(data["value"]),)
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
