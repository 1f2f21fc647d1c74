"""Board targets and their evaluations, kept on disk so that one answer costs one read.

Under the cache folder, one folder per tree (``boards-<key>``) holds:

* ``index.json``: the tree's inputs (Kconfig files, ``board.yml``/``soc.yml``, board
  defconfigs and twister files) and every folder walked, their *stamp* (sizes and
  mtimes, checked with ``stat`` calls alone), the inputs' content *fingerprint*, and the
  board targets (reading 2,000 YAML files takes most of a warm run otherwise);
* one folder per question (the settings asked about, the code that answers them),
  with one small compressed file per target: ``board TARGET`` reads one, not all;
* one file per target (``g-*.g``) with the answers of the *groups* of settings
  (:mod:`.target_groups`), each keyed by the group's own settings: after an edit of
  the model, a new question re-evaluates only the groups whose settings changed, and
  none at all when only their order or other settings' did. It keeps the current
  question's groups and at most as many others, the most recently used.

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
    Facts,
    GroupAnswer,
    Outcome,
    Plan,
    SettingProbe,
    TargetEvaluator,
    TargetProbe,
    WantedSetting,
)
from secguide.zephyr.tree import ZephyrTree, tree_files

CACHE_FORMAT = "secguide-board-targets"
#: Bump when the layout or the encoding changes meaning.
CACHE_SCHEMA = 6
#: Question folders kept per tree (the current model's and the one before).
KEEP_QUESTIONS = 2
#: The code whose answers the cache keeps: an edit to it is a new question.
_EVALUATION_CODE = ("targets.py", "target_blame.py", "target_reach.py",
                    "target_groups.py")


def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in _EVALUATION_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _code_key() -> str:
    """The code and libraries that answer (any change: every answer is asked again)."""
    return json.dumps([__version__, KCONFIGLIB_VERSION, CACHE_SCHEMA, _code_digest()])


def _question_key(wanted: list[WantedSetting], avoid: Iterable[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([_code_key(), [repr(w) for w in wanted],
                              sorted(avoid)]).encode())
    return digest.hexdigest()[:24]


def _group_keys(plan: Plan) -> list[str]:
    """Per group, what its answer on a target depends on besides the target and the
    tree: its settings (symbol, value, scopes, architectures, whether solved) and the
    avoided symbols its search and explanations may meet."""
    keys = []
    for group in plan.groups:
        settings = [plan.wanted[member] for member in group.members]
        own = {w.symbol for w in settings} | set(group.avoided)
        digest = hashlib.sha256(json.dumps([
            [repr(w) for w in settings], sorted(plan.avoid_set & own)]).encode())
        keys.append(digest.hexdigest()[:24])
    return keys


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


def _enc_group(answer: GroupAnswer) -> list[Any]:
    off = [_enc_setting(probe) for probe in answer.probes]
    on = {str(position): encoded for position, probe
          in enumerate(answer.probes_with_devicetree)
          if (encoded := _enc_setting(probe)) != off[position]}
    return [off, on, [[name, value, list(place)] for name, value, place in answer.fragment],
            {expr: list(truths) for expr, truths in answer.conditions.items()}]


def _dec_group(raw: list[Any]) -> GroupAnswer:
    off_raw, on_raw, fragment, conditions = raw
    off = tuple(_dec_setting(item) for item in off_raw)
    on = tuple(_dec_setting(on_raw[str(position)]) if str(position) in on_raw else probe
               for position, probe in enumerate(off))
    return GroupAnswer(
        probes=off, probes_with_devicetree=on,
        fragment=tuple((str(name), str(value), tuple(int(n) for n in place))
                       for name, value, place in fragment),
        conditions={str(expr): (truths[0], truths[1]) for expr, truths in conditions.items()})


class _GroupStore:
    """One target's group answers on disk (``g-*.g``): a header line (the code that
    answered, the target, the groups held) and the compressed answers. A file of other
    code, of another target, or unreadable, holds nothing."""

    def __init__(self, tree_folder: Path, target: str) -> None:
        self.path = tree_folder / ("g-" + hashlib.sha256(target.encode()).hexdigest()[:20]
                                   + ".g")
        self.target = target
        self._header: dict[str, Any] | None = None
        self._body = b""

    def _read(self) -> dict[str, Any]:
        if self._header is None:
            self._header = {}
            try:
                head, _, self._body = self.path.read_bytes().partition(b"\n")
                header = json.loads(head)
                if (isinstance(header, dict) and header.get("code") == _code_key()
                        and header.get("target") == self.target
                        and isinstance(header.get("groups"), dict)):
                    self._header = header
            except (OSError, ValueError):
                pass
        return self._header

    def held(self) -> set[str]:
        return set(self._read().get("groups", {}))

    def load(self) -> tuple[Facts | None, dict[str, list[Any]]]:
        """The target's facts and the encoded answers of the groups held."""
        if not self._read():
            return None, {}
        try:
            body = json.loads(zlib.decompress(self._body))
            facts = (dict(body["facts"][0]), dict(body["facts"][1]))
            answers = body["groups"]
            if not isinstance(answers, dict):
                raise TypeError
        except (ValueError, KeyError, TypeError, IndexError, zlib.error):
            return None, {}
        return facts, answers

    def save(self, facts: Facts, current: dict[str, list[Any]],
             others: dict[str, list[Any]]) -> None:
        """The current question's answers, and at most as many of the others held, the
        most recently used first (an edit back and forth, another profile)."""
        used = self._read().get("groups", {})
        counter = int(self._read().get("counter", 0)) + 1
        kept = sorted((key for key in others if key not in current),
                      key=lambda key: used.get(key, 0), reverse=True)[:len(current)]
        groups = {key: counter for key in current} | {key: used.get(key, 0) for key in kept}
        header = json.dumps({"code": _code_key(), "target": self.target, "counter": counter,
                             "groups": groups}, separators=(",", ":"))
        body = zlib.compress(json.dumps(
            {"facts": list(facts), "groups": {**{key: others[key] for key in kept},
                                              **current}},
            separators=(",", ":")).encode(), 6)
        _write(self.path, header.encode() + b"\n" + body)


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
    first of all when answers are missing (then only the groups of settings that no
    target file holds are evaluated, in forked workers when there are enough targets to
    share the parse: :mod:`.target_workers`).

    Raises:
        SecguideError: the tree's Kconfig does not parse, or a defconfig is unreadable.
    """
    avoid = sorted(set(avoid))
    wanted_names = sorted({t.name for t in targets} if names is None else set(names))
    index = _index(tree, cache_dir, use_cache)
    folder = index.answers(_question_key(wanted, avoid))
    missing = [name for name in wanted_names
               if folder is None or not _answer_file(folder, name).is_file()]
    evaluation = _Evaluation(tree, targets, wanted, avoid,
                             index.folder if folder is not None else None)
    if missing:
        evaluation.start()
        todo = [(name, *found) for name in missing if (found := evaluation.todo(name))[0]]
        jobs = jobs_for(len(todo))
        if jobs > 1:
            assert evaluation.evaluator is not None and evaluation.plan is not None
            evaluation.forked = evaluate_in_workers(evaluation.evaluator, evaluation.plan,
                                                    todo, jobs)
            evaluation.forked_names = {name for name, _, _ in todo}
    for name in wanted_names:
        probe = None if name in missing else _read_answer(folder, name)
        if probe is None:
            probe = evaluation.answer(name)
            if folder is not None:
                _write(_answer_file(folder, name), _encode(probe))
        yield name, probe
    if evaluation.evaluator is not None and folder is not None:
        _prune(index.folder, folder)


class _Evaluation:
    """Targets' answers assembled from their groups' answers: those on disk, the others
    evaluated (here or by forked workers), written back for the next question."""

    def __init__(self, tree: ZephyrTree, targets: list[BoardTarget],
                 wanted: list[WantedSetting], avoid: list[str], store: Path | None) -> None:
        self.tree, self.targets, self.wanted, self.avoid = tree, targets, wanted, avoid
        self.store = store
        self.evaluator: TargetEvaluator | None = None
        self.plan: Plan | None = None
        self.keys: list[str] = []
        self.forked: Iterator[tuple[str, Facts, dict[int, GroupAnswer]]] | None = None
        self.forked_names: set[str] = set()

    def start(self) -> None:
        if self.evaluator is None:
            self.evaluator = TargetEvaluator(self.tree, self.targets)
            self.plan = self.evaluator.plan(self.wanted, self.avoid)
            self.keys = _group_keys(self.plan)

    def _store(self, name: str) -> _GroupStore | None:
        return _GroupStore(self.store, name) if self.store is not None else None

    def todo(self, name: str) -> tuple[list[int], bool]:
        """The groups no file holds for ``name`` (by index), and whether its facts are
        to be found too (no file)."""
        store = self._store(name)
        held = store.held() if store is not None else set()
        return [index for index, key in enumerate(self.keys) if key not in held], not held

    def answer(self, name: str) -> TargetProbe:
        self.start()
        assert self.evaluator is not None and self.plan is not None
        store = self._store(name)
        facts, held = store.load() if store is not None else (None, {})
        answers: dict[int, GroupAnswer] = {}
        for index, key in enumerate(self.keys):
            with contextlib.suppress(ValueError, KeyError, TypeError, IndexError):
                if key in held:
                    answers[index] = _dec_group(held[key])
        from_disk = set(answers)
        if name in self.forked_names:
            assert self.forked is not None
            done, found, fresh = next(self.forked)
            assert done == name  # answers come back in the order asked
            if facts is None and found[0]:  # asked for (no file), not kept from it
                facts = found
            answers |= fresh
        which = [index for index in range(len(self.keys)) if index not in answers]
        if facts is None or which:
            found, fresh = self.evaluator.evaluate_groups(name, self.plan, which,
                                                          with_facts=facts is None)
            facts = facts or found
            answers |= fresh
        if store is not None:
            store.save(facts, {key: held[key] if index in from_disk
                               else _enc_group(answers[index])
                               for index, key in enumerate(self.keys)}, held)
        return self.plan.assemble(name, facts, answers)
