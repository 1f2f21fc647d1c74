"""Bounds on every untrusted input file other than the threat model's YAML.

Result files, ``hardened.csv`` and the review baseline come from outside the
project (CI artefacts, a Zephyr tree, a pull request). Each is read only up to a
size no real one approaches, and JSON nesting too deep for the decoder is one
located error instead of a ``RecursionError``. The YAML limits live in
:mod:`secguide.model.yaml_source`; README "Limits on input files" lists them all.

Files named on the command line (result files, ``.config`` files, waivers, manual
records, extra hardening files, folders) are checked with :func:`require_file` and
:func:`require_folder` first, so that a missing one, an unreadable one or a folder
given for a file is the same one-line usage error (exit code 2) for every command.
"""

from __future__ import annotations

import errno
import json
from pathlib import Path
from typing import Any

from secguide.diagnostics import SecguideError

MiB = 1 << 20
#: JUnit XML or twister.json: a full twister run over every platform stays well below.
MAX_RESULT_BYTES = 256 * MiB
#: ``scripts/kconfig/hardened.csv`` of a Zephyr tree (about 1 KiB today).
MAX_HARDENED_CSV_BYTES = 1 * MiB
#: ``threatmodel/.review-baseline.json`` (a few KiB per reviewed item).
MAX_BASELINE_BYTES = 64 * MiB


def why_unusable(error: OSError, *, folder: bool = False) -> str:
    """The one wording of why a named path cannot be read, e.g. ``no such file``."""
    if isinstance(error, FileNotFoundError):
        return "no such folder" if folder else "no such file"
    if isinstance(error, IsADirectoryError):
        return "a folder, not a file"
    if isinstance(error, NotADirectoryError):
        return "a file, not a folder" if folder else "no such file"
    if error.errno == errno.ELOOP:
        return "a loop of symbolic links"
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def require_file(path: Path, shown: str, *, what: str) -> None:
    """Check that ``path`` names a file that can be opened for reading.

    Raises:
        SecguideError: ``{shown}: cannot read {what}: {why}`` (exit code 2).
    """
    try:
        with path.open("rb"):
            pass
    except OSError as error:
        raise SecguideError(f"{shown}: cannot read {what}: {why_unusable(error)}") from None
    except RuntimeError:  # Path on Python 3.11 reports a symlink loop this way
        raise SecguideError(f"{shown}: cannot read {what}: a loop of symbolic links") from None


def require_folder(path: Path, shown: str, *, what: str) -> None:
    """Check that ``path`` names a folder whose entries can be listed.

    Raises:
        SecguideError: ``{shown}: cannot read {what}: {why}`` (exit code 2).
    """
    try:
        if not path.is_dir():
            if path.exists():
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory")
            path.stat()  # the precise reason: missing, a loop, no permission
            raise FileNotFoundError(errno.ENOENT, "No such file or directory")
        next(iter(path.iterdir()), None)
    except OSError as error:
        raise SecguideError(f"{shown}: cannot read {what}: "
                            f"{why_unusable(error, folder=True)}") from None


def read_bounded(path: Path, shown: str, *, limit: int, what: str,
                 exit_code: int = 1) -> bytes:
    """The bytes of ``path``, refused when it holds more than ``limit`` of them.

    ``exit_code`` is that of a file too large: 1 for files the command checks, 2 for
    files given on the command line to help it.

    Raises:
        FileNotFoundError: ``path`` does not exist (callers decide what that means).
        SecguideError: unreadable (exit code 2) or larger than ``limit``.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise SecguideError(f"{shown}: cannot read {what}: {why_unusable(error)}") from None
    if len(data) > limit:
        raise SecguideError(f"{shown}: refused: {what} is larger than {limit // MiB} MiB",
                            exit_code=exit_code)
    return data


def loads_json(data: bytes, shown: str, *, exit_code: int = 1) -> Any:
    """Decode JSON, every failure one ``file[:line:col]: ...`` error.

    Raises:
        SecguideError: not UTF-8, not JSON, or nested too deeply to decode.
    """
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise SecguideError(f"{shown}: not UTF-8 text (byte {error.start})",
                            exit_code=exit_code) from None
    except json.JSONDecodeError as error:
        raise SecguideError(f"{shown}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}",
                            exit_code=exit_code) from None
    except RecursionError:
        raise SecguideError(f"{shown}: refused: JSON nested too deeply to be a real report",
                            exit_code=exit_code) from None
