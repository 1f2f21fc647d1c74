"""The build's findings, kept on disk per fingerprint of everything they are computed from.

Every build emits the model's findings as warnings (``make html -W`` fails on a
warning in a build with nothing to do too). Computing them means reading and
validating the YAML files, opening the Kconfig database and the tree's scenario
index: most of what a build with nothing to do would cost. So the findings are kept
in one JSON file per guide in the cache folder, with what they were computed from:

* the inputs :func:`secguide.sphinx.model.input_key` stamps (the YAML files, result
  files, review baseline, the guide's pages, the hardening database, the configuration);
* the tree and the baseline tree: every file a build reads from them and every folder,
  checked by ``stat`` (:mod:`secguide.zephyr.tree_stamp`);
* the test files ``pytest`` verifications name, the git commit review stamps are
  checked against (only when the model has stamps);
* secguide's code (every file of the package) and the libraries that judge the model.

A build whose inputs all match emits the kept findings and reads nothing else; any
difference, a missing, corrupt or foreign file computes them again and rewrites it.
A product model (which reads a guide folder of its own) is never kept.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.metadata
import json
import os
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from secguide import __version__
from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc
from secguide.files import write_atomically
from secguide.zephyr.tree_stamp import TreeInputs, scan_tree_inputs

#: Bumped when the file's layout changes.
FORMAT = 1

#: Libraries whose answers are part of the findings (parsing, schema, Kconfig).
_LIBRARIES = ("pyyaml", "jsonschema", "jsonschema-rs", "kconfiglib")


@functools.cache
def _library_versions() -> list[str | None]:
    versions: list[str | None] = [sys.version]
    for name in _LIBRARIES:
        try:
            versions.append(importlib.metadata.version(name))
        except importlib.metadata.PackageNotFoundError:
            versions.append(None)
    return versions


def file_stamp(path: Path) -> list[Any]:
    """[path, size, mtime in ns], or [path, None, None] for a missing file."""
    try:
        info = os.stat(path)
    except OSError:
        return [str(path), None, None]
    return [str(path), info.st_size, info.st_mtime_ns]


def encode_diagnostic(diagnostic: Diagnostic) -> list[Any]:
    loc = diagnostic.loc
    return [loc.path, loc.line, loc.col, diagnostic.severity.value, str(diagnostic.code),
            diagnostic.message]


def decode_diagnostic(raw: list[Any]) -> Diagnostic:
    """Raises: ValueError, TypeError: ``raw`` is not an encoded diagnostic."""
    path, line, col, severity, code, message = raw
    if not (isinstance(path, str) and isinstance(line, int) and isinstance(col, int)
            and isinstance(message, str)):
        raise TypeError("malformed diagnostic")
    return Diagnostic(SourceLoc(path, line, col), Severity(severity), code, message)


@dataclass(frozen=True, slots=True)
class Findings:
    """What a build emits: the project's findings, then the hardening database's."""

    project: tuple[Diagnostic, ...]
    hardening: tuple[Diagnostic, ...]


@dataclass(frozen=True, slots=True)
class MemoInputs:
    """What the findings of one build are computed from (see the module docstring).

    ``key`` is JSON data of the stamps taken every build; the trees' file lists are
    kept in the file, their stamps recomputed from them.
    """

    key: Any
    trees: tuple[Path, ...]
    code: int


class FindingsMemo:
    """The kept findings of one guide (one file per conf.py folder and source folder)."""

    def __init__(self, cache_dir: Path, slot: Sequence[str]) -> None:
        name = hashlib.sha256(json.dumps(list(slot)).encode()).hexdigest()[:24]
        self.path = cache_dir / f"guide-findings-{name}.json"
        self.slot = list(slot)

    def lookup(self, inputs: MemoInputs) -> tuple[Findings, str] | None:
        """The kept findings and the inputs' digest, when every input still matches."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data["format"] != FORMAT or data["tool"] != __version__ \
                    or data["slot"] != self.slot or data["code"] != inputs.code:
                return None
            if json.dumps(data["key"], sort_keys=True) != json.dumps(inputs.key, sort_keys=True):
                return None
            trees = [TreeInputs.from_json(raw) for raw in data["trees"]]
            if [tree.root for tree in trees] != [str(root) for root in inputs.trees]:
                return None
            stamps = [tree.stamp() for tree in trees]
            if None in stamps or stamps != data["tree_stamps"]:
                return None
            extra = data["extra"]
            if [file_stamp(Path(raw[0])) for raw in extra] != extra:
                return None
            if data["libraries"] != _library_versions():
                return None
            if data["git"] is not None and _git_head(Path(data["git"][0])) != data["git"][1]:
                return None
            findings = Findings(tuple(decode_diagnostic(d) for d in data["project"]),
                                tuple(decode_diagnostic(d) for d in data["hardening"]))
        except (OSError, ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError):
            return None
        return findings, _digest(inputs, stamps, extra, data["git"])

    def scan(self, inputs: MemoInputs) -> _Scan:
        """Before computing: the trees' files and stamps (a change made while the
        findings are computed then shows as a different stamp in the next build)."""
        started = time.time_ns()
        trees = [scan_tree_inputs(root) for root in inputs.trees]
        return _Scan(inputs, trees, [tree.stamp() for tree in trees], started)

    def store(self, scan: _Scan, findings: Findings, extra_files: Iterable[Path],
              git_folder: Path | None) -> str:
        """Keep ``findings`` computed from ``scan``'s inputs plus ``extra_files`` and, for
        review stamps, the commit of the repository holding ``git_folder``; the inputs'
        digest.

        ``extra_files`` are known only once the model is read, so they are stamped after
        the findings were computed: one written since the computation began (or just
        before: mtimes can be coarse) may have been read in its earlier state, and then
        nothing is kept.
        """
        extra = [file_stamp(path) for path in sorted(set(extra_files))]
        suspect = any(mtime is not None and mtime >= scan.started - _MTIME_SLACK_NS
                      for _path, _size, mtime in extra)
        git = None
        if git_folder is not None:
            git = [str(git_folder), _git_head(git_folder)]
        digest = _digest(scan.inputs, scan.stamps, extra, git)
        if None in scan.stamps or suspect:
            return digest  # an input changed while it was read: keep nothing
        payload = {"format": FORMAT, "tool": __version__, "slot": self.slot,
                   "code": scan.inputs.code, "key": scan.inputs.key,
                   "trees": [tree.to_json() for tree in scan.trees],
                   "tree_stamps": scan.stamps, "extra": extra,
                   "libraries": _library_versions(), "git": git,
                   "project": [encode_diagnostic(d) for d in findings.project],
                   "hardening": [encode_diagnostic(d) for d in findings.hardening]}
        with contextlib.suppress(SecguideError, OSError):
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(self.path, json.dumps(payload, separators=(",", ":")))
        return digest


@dataclass(frozen=True, slots=True)
class _Scan:
    inputs: MemoInputs
    trees: list[TreeInputs]
    stamps: list[str | None]
    #: when the inputs began to be read (``time.time_ns()``)
    started: int


#: How much earlier than the computation a file's mtime still counts as "during" it.
_MTIME_SLACK_NS = 2 * 10**9


def _digest(inputs: MemoInputs, stamps: list[str | None], extra: list[Any],
            git: list[Any] | None) -> str:
    """One name for everything the model state is made from."""
    text = json.dumps([__version__, inputs.code, inputs.key, stamps, extra, git,
                       _library_versions()], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def _git_head(folder: Path) -> str | None:
    """The commit checked out in the repository holding ``folder`` (None without git)."""
    from secguide.model.git import GitUnavailable, Repository
    try:
        return Repository.of(folder).commit("HEAD")
    except GitUnavailable:
        return None
