"""Source locations and diagnostics shared by every layer.

Validation never prints: it returns diagnostics, and the caller decides whether
they become compiler-style lines (CLI) or located Sphinx warnings.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from secguide.codes import Code, describe
from secguide.untrusted import inert


@dataclass(frozen=True, slots=True, order=True)
class SourceLoc:
    """A place in an input file; ``line`` and ``col`` are 1-based, 0 when unknown."""

    path: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.path}:{self.line}:{self.col}"
        if self.line:
            return f"{self.path}:{self.line}"
        return self.path

    @property
    def sphinx_location(self) -> str:
        """``path:line`` as Sphinx prints a string location verbatim."""
        return f"{self.path}:{self.line}" if self.line else self.path


class Severity(enum.Enum):
    ERROR = "error"
    WARNING = "warning"
    NOTE = "note"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding; ``code`` must be registered in :mod:`secguide.codes`."""

    loc: SourceLoc
    severity: Severity
    code: Code | str
    message: str

    def __post_init__(self) -> None:
        if describe(self.code) is None:
            # A programming error, caught by the first test that reaches the check.
            raise ValueError(f"diagnostic code {self.code!r} is not in secguide.codes")
        object.__setattr__(self, "code", Code(self.code))

    def __str__(self) -> str:
        # paths and messages quote untrusted text: never raw control characters
        return inert(f"{self.loc}: {self.severity.value}: {self.message} [{self.code}]")

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.loc.path,
            "line": self.loc.line,
            "col": self.loc.col,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
        }


def did_you_mean(candidates: Sequence[str], limit: int = 3) -> str:
    """The one wording of a suggestion: ``did you mean A, B, C?``; empty without candidates.

    Callers append it after ``"; "`` so every "not found" message reads the same way.
    """
    picks = list(dict.fromkeys(candidates))[:limit]
    if not picks:
        return ""
    return f"did you mean {', '.join(picks)}?"


def with_suggestion(message: str, candidates: Sequence[str], limit: int = 3) -> str:
    """``message`` followed by ``; did you mean ...?`` when there are candidates."""
    hint = did_you_mean(candidates, limit)
    return f"{message}; {hint}" if hint else message


class SecguideError(Exception):
    """A user-facing failure: the message is printed as is, without a traceback.

    ``exit_code`` follows the CLI convention: 1 for findings in the input, 2 for
    usage problems (bad paths, missing tree, bad arguments).
    """

    def __init__(self, message: str, *, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def resolved(path: Path) -> Path:
    """``path.resolve()``, or the absolute path when a symlink loop stops resolution.

    The loop is then reported, with the path, by whatever reads the path.
    """
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # Python 3.11 raises RuntimeError for a loop
        return path.absolute()


def display_path(path: Path, base: Path | None = None) -> str:
    """A path relative to ``base`` (default: the working directory) when it lies below it."""
    base = base or Path.cwd()
    try:
        return resolved(path).relative_to(resolved(base)).as_posix()
    except ValueError:
        return path.as_posix()
