"""Bounds on every untrusted input file other than the threat model's YAML.

Result files, ``hardened.csv`` and the review baseline come from outside the
project (CI artefacts, a Zephyr tree, a pull request). Each is read only up to a
size no real one approaches, and JSON nesting too deep for the decoder is one
located error instead of a ``RecursionError``. The YAML limits live in
:mod:`secguide.model.yaml_source`; README "Limits on input files" lists them all.
"""

from __future__ import annotations

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


def read_bounded(path: Path, shown: str, *, limit: int, what: str) -> bytes:
    """The bytes of ``path``, refused when it holds more than ``limit`` of them.

    Raises:
        FileNotFoundError: ``path`` does not exist (callers decide what that means).
        SecguideError: unreadable (exit code 2) or larger than ``limit`` (exit code 1).
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError:
        raise
    except OSError as error:
        raise SecguideError(f"{shown}: cannot read {what}: {error.strerror or error}") from None
    if len(data) > limit:
        raise SecguideError(f"{shown}: refused: {what} is larger than {limit // MiB} MiB",
                            exit_code=1)
    return data


def loads_json(data: bytes, shown: str) -> Any:
    """Decode JSON, every failure one ``file[:line:col]: ...`` error (exit code 1).

    Raises:
        SecguideError: not UTF-8, not JSON, or nested too deeply to decode.
    """
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as error:
        raise SecguideError(f"{shown}: not UTF-8 text (byte {error.start})",
                            exit_code=1) from None
    except json.JSONDecodeError as error:
        raise SecguideError(f"{shown}:{error.lineno}:{error.colno}: not valid JSON: {error.msg}",
                            exit_code=1) from None
    except RecursionError:
        raise SecguideError(f"{shown}: refused: JSON nested too deeply to be a real report",
                            exit_code=1) from None
