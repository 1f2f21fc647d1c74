"""Reading the threat model's git repository: revisions, file snapshots and line history.

Everything runs ``git`` read-only (``rev-parse``, ``archive``, ``ls-tree``, ``blame``,
``show``); nothing here checks out, resets or writes into the user's repository. A
revision is extracted with ``git archive`` into a folder the caller owns, through
:mod:`tarfile`'s ``data`` filter, so a crafted archive cannot write outside it.

Every call is bounded in time; git missing, a folder outside any repository or an
unknown revision are reported as :class:`GitUnavailable` with one line saying why,
so callers can say "could not verify" instead of guessing.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import tarfile
from dataclasses import dataclass
from pathlib import Path

from secguide.diagnostics import resolved

#: Seconds one git command may take; a blame of a model file takes milliseconds.
GIT_TIMEOUT = 30
_SIGNED_OFF = re.compile(r"^Signed-off-by:\s*(?P<name>.*?)\s*<(?P<email>[^>]*)>\s*$",
                         re.MULTILINE | re.IGNORECASE)
_ZERO_SHA = "0" * 40


class GitUnavailable(Exception):
    """git cannot answer: not installed, not a repository, unknown revision, shallow clone."""


def run_git(cwd: Path, *args: str, binary: bool = False) -> str | bytes:
    """``git -C cwd args...`` output; :class:`GitUnavailable` with git's first line on failure."""
    try:
        done = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True,
                              timeout=GIT_TIMEOUT, check=False,
                              env=_git_environment())
    except (OSError, subprocess.TimeoutExpired) as error:
        raise GitUnavailable(f"cannot run git: {error}") from None
    if done.returncode != 0:
        first = (done.stderr.decode("utf-8", "replace").strip().splitlines() or ["failed"])[0]
        raise GitUnavailable(first.removeprefix("fatal: "))
    return done.stdout if binary else done.stdout.decode("utf-8", "replace")


def _git_environment() -> dict[str, str]:
    """The caller's environment without variables that would point git at another
    repository (as a hook sets them), in the C locale, never prompting."""
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE",
                                  "GIT_OBJECT_DIRECTORY")}
    return environment | {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}


@dataclass(frozen=True, slots=True)
class Repository:
    """A git work tree and the path of a folder inside it."""

    root: Path
    #: the folder, relative to ``root`` (POSIX, "" for the root itself)
    prefix: str

    @classmethod
    def of(cls, folder: Path) -> Repository:
        """The repository holding ``folder``.

        Raises:
            GitUnavailable: not in a git work tree (or git missing).
        """
        root = Path(str(run_git(folder, "rev-parse", "--show-toplevel")).strip())
        prefix = resolved(folder).relative_to(resolved(root)).as_posix()
        return cls(resolved(root), "" if prefix == "." else prefix)

    def commit(self, revision: str) -> str:
        """The full SHA of ``revision`` (a branch, tag, ``HEAD~2``, an SHA).

        Raises:
            GitUnavailable: no such commit.
        """
        if revision.startswith("-"):  # never let a revision be read as an option
            raise GitUnavailable(f"{revision}: not a revision")
        try:
            return str(run_git(self.root, "rev-parse", "--verify", "--quiet",
                               f"{revision}^{{commit}}")).strip()
        except GitUnavailable:
            raise GitUnavailable(f"{revision}: no such revision in {self.root.name}") from None

    def is_shallow(self) -> bool:
        return str(run_git(self.root, "rev-parse", "--is-shallow-repository")).strip() == "true"

    def existing_paths(self, commit: str, paths: list[str]) -> list[str]:
        """Those of ``paths`` (relative to the root) that ``commit`` has."""
        listed = str(run_git(self.root, "ls-tree", "--name-only", commit, "--", *paths))
        return [line for line in listed.splitlines() if line]

    def extract(self, commit: str, paths: list[str], into: Path) -> None:
        """Write ``paths`` as they are in ``commit`` below ``into`` (``git archive``)."""
        data = run_git(self.root, "archive", "--format=tar", commit, "--", *paths, binary=True)
        assert isinstance(data, bytes)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            archive.extractall(into, filter="data")


@dataclass(frozen=True, slots=True)
class LineCommit:
    """The commit that last changed a line, with who made it and who signed it off."""

    sha: str
    author: str  # "Name <email>"
    author_email: str
    committer: str
    committer_email: str
    signed_off_by: tuple[tuple[str, str], ...] = ()  # (name, email)

    @property
    def uncommitted(self) -> bool:
        return self.sha == _ZERO_SHA


def blame(repo: Repository, path: str, lines: list[tuple[int, int]],
          commit: str | None = None) -> dict[int, LineCommit]:
    """Line number -> the commit that last changed it, for the (first, last) ranges.

    ``path`` is relative to the repository root; ``commit`` None blames the work tree
    (uncommitted lines get :attr:`LineCommit.uncommitted`).

    Raises:
        GitUnavailable: the file is not tracked, or git fails.
    """
    if not lines:
        return {}
    args = ["blame", "--porcelain"]
    for first, last in lines:
        args += ["-L", f"{first},{last}"]
    args += [*([commit] if commit else []), "--", path]
    output = str(run_git(repo.root, *args))
    headers: dict[str, dict[str, str]] = {}
    found: dict[int, str] = {}
    current: str | None = None
    for line in output.splitlines():
        if line.startswith("\t"):
            current = None
            continue
        parts = line.split(" ")
        if current is None and len(parts) >= 3 and len(parts[0]) == 40:
            current = parts[0]
            found[int(parts[2])] = current
            headers.setdefault(current, {})
        elif current is not None and parts:
            headers[current].setdefault(parts[0], line[len(parts[0]) + 1:])
    bodies = _commit_trailers(repo, [sha for sha in headers if sha != _ZERO_SHA])
    commits = {sha: LineCommit(
        sha=sha,
        author=f"{fields.get('author', '')} {fields.get('author-mail', '')}".strip(),
        author_email=fields.get("author-mail", "").strip("<>").lower(),
        committer=f"{fields.get('committer', '')} {fields.get('committer-mail', '')}".strip(),
        committer_email=fields.get("committer-mail", "").strip("<>").lower(),
        signed_off_by=bodies.get(sha, ())) for sha, fields in headers.items()}
    return {number: commits[sha] for number, sha in found.items()}


def _commit_trailers(repo: Repository, shas: list[str]) -> dict[str, tuple[tuple[str, str], ...]]:
    """SHA -> the (name, email) of every ``Signed-off-by:`` trailer of its message."""
    if not shas:
        return {}
    output = str(run_git(repo.root, "show", "-s", "--format=%H%n%B%x00", *shas, "--"))
    trailers: dict[str, tuple[tuple[str, str], ...]] = {}
    for record in output.split("\x00"):
        record = record.strip("\n")
        if not record:
            continue
        sha, _, body = record.partition("\n")
        trailers[sha.strip()] = tuple((m["name"], m["email"].lower())
                                      for m in _SIGNED_OFF.finditer(body))
    return trailers
