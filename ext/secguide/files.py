"""The one way secguide writes a file, the one reader of ``SOURCE_DATE_EPOCH``, and the one
rule for a path named inside an untrusted file.

Every file secguide writes (review stamps, the review baseline, evidence, caches)
goes through :func:`write_atomically`: a temporary file beside the target,
flushed and synced, then ``os.replace``, so a reader sees the old file or the
new one and never half of one. Every timestamp that lands in an output comes
from :func:`source_date`, so ``SOURCE_DATE_EPOCH`` makes outputs reproducible
with one rule.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath, PureWindowsPath

from secguide.diagnostics import SecguideError


def temp_beside(path: Path, data: str | bytes) -> Path:
    """``data`` in a new temporary file in ``path``'s folder, synced, with ``path``'s mode.

    Text is written as UTF-8 with newlines exactly as given.

    Raises:
        SecguideError: the folder cannot be written (exit code 1).
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise SecguideError(f"{path}: cannot write: {error.strerror or error}",
                            exit_code=1) from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            handle.flush()
            os.fsync(handle.fileno())
        # mkstemp makes the file 0600; keep the target's mode, or give a new file the
        # umask's mode, as open() would.
        os.chmod(tmp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
    except OSError as error:
        Path(tmp).unlink(missing_ok=True)
        raise SecguideError(f"{path}: cannot write: {error.strerror or error}",
                            exit_code=1) from None
    return Path(tmp)


def _umask() -> int:
    """The process's umask (reading it means setting it; it is put back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomically(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data``; readers see the old file or the new one, never a mix.

    Keeps the permission bits of an existing file.

    Raises:
        SecguideError: the file cannot be written; it is left as it was (exit code 1).
    """
    tmp = temp_beside(path, data)
    try:
        os.replace(tmp, path)
    except OSError as error:
        tmp.unlink(missing_ok=True)
        raise SecguideError(f"{path}: cannot write: {error.strerror or error}",
                            exit_code=1) from None


def source_date(environ: Mapping[str, str] | None = None) -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` (reproducible builds) if set, else now; UTC, whole seconds.

    Raises:
        SecguideError: the variable is set but not a whole number of seconds (exit code 2).
    """
    environ = os.environ if environ is None else environ
    raw = environ.get("SOURCE_DATE_EPOCH", "")
    if raw == "":
        return dt.datetime.now(dt.UTC).replace(microsecond=0)
    try:
        if not raw.isdigit():
            raise ValueError(raw)
        return dt.datetime.fromtimestamp(int(raw), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise SecguideError(f"SOURCE_DATE_EPOCH={raw!r}: not a whole number of seconds "
                            "since 1970") from None


#: What a file named inside the model may make secguide read (a test module is kilobytes).
MAX_REFERENCED_FILE_BYTES = 1 << 20


class UnsafeReference(ValueError):
    """A path named in an untrusted file is refused; the message is one line and the same
    whether or not a file exists there."""


def project_file(root: Path, reference: str, *, under: str = "") -> Path:
    """The file ``reference`` names, relative to ``root``, if it stays below ``root/under``.

    Refused: an empty reference, an absolute path or a drive, a backslash, a NUL or other
    control character, a ``..`` component, and a path that symlinks lead out of
    ``root/under``. Nothing is read and nothing about the target is told.

    Raises:
        UnsafeReference: the reference is refused.
    """
    folder = f"{under.strip('/')}/" if under else "the project"
    refusal = UnsafeReference(
        f"not a relative path inside {folder} (absolute paths, '..', devices and "
        "links out of the project are refused)")
    if (not reference or "\\" in reference or any(ord(c) < 32 or c == "\x7f" for c in reference)
            or PureWindowsPath(reference).drive):
        raise refusal
    relative = PurePosixPath(reference)
    if relative.is_absolute() or ".." in relative.parts:
        raise refusal
    if under and relative.parts[:len(PurePosixPath(under).parts)] != PurePosixPath(under).parts:
        raise refusal
    try:
        project = Path(root).resolve()
        # the folder itself must not lead out of the project either
        base = (project / under).resolve() if under else project
        target = (project / relative).resolve()
    except (OSError, RuntimeError):  # a symlink loop (3.11 raises RuntimeError)
        raise refusal from None
    if not (base.is_relative_to(project) and target.is_relative_to(base)):
        raise refusal
    return target


def read_bounded_text(path: Path, limit: int = MAX_REFERENCED_FILE_BYTES) -> str:
    """UTF-8 text of the regular file ``path``, refused beyond ``limit`` bytes.

    Raises:
        UnsafeReference: not a regular file, or larger than ``limit``.
        OSError: the file cannot be opened (it does not exist, ...).
        UnicodeDecodeError: not UTF-8.
    """
    # non-blocking: opening a pipe must not wait for a writer before fstat can refuse it
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise UnsafeReference("not a regular file (devices and pipes are refused)")
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise UnsafeReference(f"larger than {limit} bytes")
    return data.decode("utf-8")
