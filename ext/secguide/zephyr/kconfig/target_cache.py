"""Board targets and their evaluations, kept on disk so that one answer costs one read.

Under the cache folder, one folder per tree (``boards-<key>``) holds:

* ``index.json``: the tree's inputs (Kconfig files, ``board.yml``/``soc.yml``, board
  defconfigs and twister files) and every folder walked, their *stamp* (sizes and
  mtimes, checked with ``stat`` calls alone), the inputs' content *fingerprint*, and the
  board targets (reading 2,000 YAML files takes most of a warm run otherwise);
* one folder per question (the settings asked about, the code that answers them),
  with one small compressed file per target: ``board TARGET`` reads one, not all.

A changed stamp with the same fingerprint (a fresh checkout) only refreshes the stamp;
a changed fingerprint starts the tree's folder afresh. Only the newest
:data:`KEEP_QUESTIONS` questions are kept: editing the model does not pile up copies.
A corrupt or unreadable file is ignored and rewritten; a read-only cache costs speed only.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

from secguide import __version__
from secguide.diagnostics import SecguideError
from secguide.files import write_atomically
from secguide.zephyr.boards import BoardTarget, board_targets
from secguide.zephyr.kconfig.cache import (
    KCONFIGLIB_VERSION,
    content_fingerprint,
    default_cache_dir,
    quick_stamp,
    scan_inputs_and_folders,
)
from secguide.zephyr.kconfig.target_workers import evaluate_in_workers, jobs_for
from secguide.zephyr.kconfig.targets import (
    Outcome,
    SettingProbe,
    TargetEvaluator,
    TargetProbe,
    WantedSetting,
)
from secguide.zephyr.tree import ZephyrTree, tree_files

CACHE_FORMAT = "secguide-board-targets"
#: Bump when the layout or the encoding changes meaning.
CACHE_SCHEMA = 5
#: Question folders kept per tree (the current model's and the one before).
KEEP_QUESTIONS = 2
#: The code whose answers the cache keeps: an edit to it is a new question.
_EVALUATION_CODE = ("targets.py", "target_blame.py", "target_reach.py")


def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in _EVALUATION_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _question_key(wanted: list[WantedSetting], avoid: Iterable[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([__version__, KCONFIGLIB_VERSION, CACHE_SCHEMA, _code_digest(),
                              [repr(w) for w in wanted], sorted(avoid)]).encode())
    return digest.hexdigest()[:24]


def _tree_folder(tree: ZephyrTree, cache_dir: Path | None) -> Path:
    key = hashlib.sha256(json.dumps([str(tree.root), __version__, CACHE_SCHEMA]).encode())
    return (cache_dir or default_cache_dir()) / f"boards-{key.hexdigest()[:24]}"


# -- the tree's index -------------------------------------------------------------------

def _is_board_file(name: str) -> bool:
    return name.endswith(("_defconfig", ".yaml"))


def _scan(root: Path) -> tuple[list[str], list[str]]:
    """Every input of target evaluation and every folder of the tree."""
    files, folders = scan_inputs_and_folders(root)
    if (root / "boards").is_dir():
        files += [f"boards/{relative}" for relative, _ in tree_files(root / "boards",
                                                                      _is_board_file)]
    return sorted(set(files)), folders


def _target_to_json(target: BoardTarget) -> dict[str, Any]:
    return {**asdict(target), "board_dir": str(target.board_dir),
            "defconfig": str(target.defconfig) if target.defconfig else None}


def _target_from_json(raw: dict[str, Any]) -> BoardTarget:
    return BoardTarget(**{**raw, "board_dir": Path(raw["board_dir"]),
                          "defconfig": Path(raw["defconfig"]) if raw["defconfig"] else None,
                          "supported": tuple(raw["supported"])})


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _write(path: Path, data: bytes | str) -> None:
    """Atomic; a read-only cache location only costs speed."""
    with contextlib.suppress(SecguideError, OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(path, data)


class _TreeIndex:
    """The tree's folder in the cache, checked against the tree once per process."""

    def __init__(self, tree: ZephyrTree, cache_dir: Path | None, use_cache: bool) -> None:
        self.tree, self.use_cache = tree, use_cache
        self.folder = _tree_folder(tree, cache_dir)
        self.targets: list[BoardTarget] | None = None
        self._fresh = False  # True when the folder's answers belong to this tree's content
        self.fingerprint = ""
        if use_cache:
            self._check()

    def _check(self) -> None:
        root = self.tree.root
        data = _read_json(self.folder / "index.json")
        if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
            data = None
        files = data.get("files") if data else None
        folders = data.get("folders") if data else None
        if data and isinstance(files, list) and isinstance(folders, list) \
                and quick_stamp(root, files, folders) == data.get("stamp"):
            self._load(data)
            return
        files, folders = _scan(root)
        fingerprint = content_fingerprint(root, files)
        if data and data.get("fingerprint") == fingerprint:
            self._load(data)  # same content, new mtimes (a fresh checkout): keep the answers
        else:
            shutil.rmtree(self.folder, ignore_errors=True)
        self.targets = self.targets or board_targets(self.tree)
        self.fingerprint = fingerprint
        _write(self.folder / "index.json", json.dumps({
            "format": CACHE_FORMAT, "stamp": quick_stamp(root, files, folders),
            "fingerprint": fingerprint, "files": files, "folders": folders,
            "targets": [_target_to_json(target) for target in self.targets]},
            separators=(",", ":")))
        self._fresh = True

    def _load(self, data: dict[str, Any]) -> None:
        self.fingerprint = str(data.get("fingerprint", ""))
        try:
            self.targets = [_target_from_json(raw) for raw in data["targets"]]
        except (TypeError, KeyError, AttributeError, ValueError):
            self.targets = None
        self._fresh = self.targets is not None

    def board_targets(self) -> list[BoardTarget]:
        if self.targets is None:
            self.targets = board_targets(self.tree)
        return self.targets

    def answers(self, question: str) -> Path | None:
        """The folder of one question's answers; None when the cache is not used."""
        return self.folder / question if self.use_cache and self._fresh else None


_INDEXES: dict[tuple[str, str, bool], _TreeIndex] = {}


def _index(tree: ZephyrTree, cache_dir: Path | None, use_cache: bool) -> _TreeIndex:
    key = (str(tree.root), str(cache_dir or default_cache_dir()), use_cache)
    if key not in _INDEXES:
        _INDEXES[key] = _TreeIndex(tree, cache_dir, use_cache)
    return _INDEXES[key]


def load_board_targets(tree: ZephyrTree, *, cache_dir: Path | None = None,
                       use_cache: bool = True) -> list[BoardTarget]:
    """:func:`board_targets`, from the cache when the tree is unchanged.

    Raises:
        SecguideError: the tree predates HWMv2.
    """
    if not use_cache:
        return board_targets(tree)
    return _index(tree, cache_dir, use_cache).board_targets()


# -- one target's answer ----------------------------------------------------------------

def _enc_setting(probe: SettingProbe) -> list[Any]:
    return [probe.symbol, probe.wanted, probe.default, str(probe.outcome), probe.value,
            int(probe.hidden), str(probe.cause), list(probe.names), list(probe.selected_by),
            [list(need) for need in probe.needs], probe.choice]


def _dec_setting(raw: list[Any]) -> SettingProbe:
    (symbol, wanted, default, outcome, value, hidden, cause, names, selected_by, needs,
     choice) = raw
    return SettingProbe(symbol=symbol, wanted=wanted, default=default, outcome=Outcome(outcome),
                        value=value, hidden=bool(hidden), cause=cause, names=tuple(names),
                        selected_by=tuple(selected_by),
                        needs=tuple((str(a), str(b)) for a, b in needs) if needs else (),
                        choice=choice)


def _encode(probe: TargetProbe) -> bytes:
    """Compact: the devicetree-on world keeps only what differs from the off one."""
    off = {key: _enc_setting(p) for key, p in probe.probes.items()}
    on = {key: encoded for key, p in probe.probes_with_devicetree.items()
          if (encoded := _enc_setting(p)) != off.get(key)}
    facts_on = {k: v for k, v in probe.facts_with_devicetree.items()
                if probe.facts.get(k) != v}
    payload = {"target": probe.target, "facts": probe.facts, "facts_on": facts_on,
               "off": off, "on": on, "fragment": [list(line) for line in probe.fragment],
               "conditions": {k: list(v) for k, v in probe.conditions.items()}}
    return zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 6)


def _decode(data: bytes) -> TargetProbe:
    raw = json.loads(zlib.decompress(data))
    off = {key: _dec_setting(value) for key, value in raw["off"].items()}
    on = {**off, **{key: _dec_setting(value) for key, value in raw["on"].items()}}
    return TargetProbe(
        target=raw["target"], facts=dict(raw["facts"]),
        facts_with_devicetree={**raw["facts"], **raw["facts_on"]}, probes=off,
        probes_with_devicetree=on,
        fragment=tuple((str(a), str(b)) for a, b in raw["fragment"]),
        conditions={str(k): (v[0], v[1]) for k, v in raw["conditions"].items()})


def _answer_file(folder: Path, target: str) -> Path:
    return folder / (hashlib.sha256(target.encode()).hexdigest()[:20] + ".z")


def _read_answer(folder: Path | None, target: str) -> TargetProbe | None:
    if folder is None:
        return None
    try:
        probe = _decode(_answer_file(folder, target).read_bytes())
    except (OSError, ValueError, KeyError, TypeError, zlib.error):
        return None
    return probe if probe.target == target else None


def _prune(tree_folder: Path, keep: Path) -> None:
    """Only the newest question folders stay (the current one among them)."""
    with contextlib.suppress(OSError):
        os.utime(keep)
        questions = sorted((entry for entry in tree_folder.iterdir() if entry.is_dir()),
                           key=lambda entry: entry.stat().st_mtime_ns, reverse=True)
        for old in questions[KEEP_QUESTIONS:]:
            if old != keep:
                shutil.rmtree(old, ignore_errors=True)


def answers_key(tree: ZephyrTree, wanted: list[WantedSetting], avoid: Iterable[str] = (), *,
                cache_dir: Path | None = None, use_cache: bool = True) -> str | None:
    """What the answers to this question on this tree depend on (the tree's content, the
    question, the code), without evaluating or reading them; None without a cache."""
    index = _index(tree, cache_dir, use_cache)
    if index.answers("") is None or not index.fingerprint:
        return None
    return f"{index.fingerprint}:{_question_key(wanted, sorted(set(avoid)))}"


def evaluate_targets(tree: ZephyrTree, targets: list[BoardTarget], wanted: list[WantedSetting],
                     avoid: Iterable[str] = (), *, names: Iterable[str] | None = None,
                     cache_dir: Path | None = None,
                     use_cache: bool = True) -> dict[str, TargetProbe]:
    """Evaluations of the targets ``names`` (default: all), from the cache when valid.

    Raises:
        SecguideError: the tree's Kconfig does not parse, or a defconfig is unreadable.
    """
    return dict(iter_evaluations(tree, targets, wanted, avoid, names=names,
                                 cache_dir=cache_dir, use_cache=use_cache))


def iter_evaluations(tree: ZephyrTree, targets: list[BoardTarget], wanted: list[WantedSetting],
                     avoid: Iterable[str] = (), *, names: Iterable[str] | None = None,
                     cache_dir: Path | None = None,
                     use_cache: bool = True) -> Iterator[tuple[str, TargetProbe]]:
    """(target name, evaluation) of the targets ``names`` (default: all), by name, one at
    a time: a reader that summarises every target holds one evaluation, not 1,200. Cached
    answers are read as they come; the tree is parsed only at the first missing one, or
    first of all when enough are missing for forked workers to share the parse
    (:mod:`.target_workers`).

    Raises:
        SecguideError: the tree's Kconfig does not parse, or a defconfig is unreadable.
    """
    avoid = sorted(set(avoid))
    wanted_names = sorted({t.name for t in targets} if names is None else set(names))
    index = _index(tree, cache_dir, use_cache)
    folder = index.answers(_question_key(wanted, avoid))
    evaluator: TargetEvaluator | None = None
    # Many targets to evaluate: forked workers share the one parse (same answers, same
    # order); a file that turns out unreadable is still evaluated here, below.
    missing = [name for name in wanted_names
               if folder is None or not _answer_file(folder, name).is_file()]
    jobs = jobs_for(len(missing))
    forked = None
    if jobs > 1:
        evaluator = TargetEvaluator(tree, targets)
        forked = evaluate_in_workers(evaluator, missing, wanted, avoid, jobs)
    forked_names = set(missing) if forked is not None else set()
    for name in wanted_names:
        if forked is not None and name in forked_names:
            done, probe = next(forked)
            assert done == name  # answers come back in the order asked
            fresh = True
        else:
            probe = _read_answer(folder, name)
            fresh = probe is None
            if probe is None:
                if evaluator is None:
                    evaluator = TargetEvaluator(tree, targets)
                probe = evaluator.evaluate(name, wanted, avoid)
        if fresh and folder is not None:
            _write(_answer_file(folder, name), _encode(probe))
        yield name, probe
    if evaluator is not None and folder is not None:
        _prune(index.folder, folder)
