"""Per-target evaluations, kept on disk and keyed by the tree's fingerprint.

The first run parses the tree (about 2 s) and evaluates the targets asked for;
later runs read them back. Like the symbol cache, a cheap *stamp* (paths, sizes,
mtimes of the Kconfig inputs and the board files) answers the common case and
the *fingerprint* (their content) decides when the stamp changed. The key also
holds the settings asked about, so a changed threat model evaluates again.
JSON only; a corrupt file is ignored and rewritten.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable
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
    scan_inputs,
)
from secguide.zephyr.kconfig.targets import (
    Outcome,
    SettingProbe,
    TargetEvaluator,
    TargetProbe,
    WantedSetting,
)
from secguide.zephyr.tree import ZephyrTree, tree_files

CACHE_FORMAT = "secguide-board-targets"
#: Bump when the evaluation or its encoding changes meaning.
CACHE_SCHEMA = 4


def _board_files(root: Path) -> tuple[list[str], str]:
    """Board defconfigs and twister files: inputs of target evaluation beyond Kconfig."""
    entries = []
    if not (root / "boards").is_dir():
        return [], hashlib.sha256(b"").hexdigest()
    for relative, entry in tree_files(root / "boards",
                                      lambda name: name.endswith(("_defconfig", ".yaml"))):
        info = entry.stat()
        entries.append((f"boards/{relative}", info.st_size, info.st_mtime_ns))
    digest = hashlib.sha256()
    for relative, size, mtime in entries:
        digest.update(f"{relative}\0{size}\0{mtime}\n".encode())
    return [relative for relative, _, _ in entries], digest.hexdigest()


#: The code whose answers the cache keeps: an edit to it is a new question.
_EVALUATION_CODE = ("targets.py", "target_blame.py")


def _code_digest() -> str:
    digest = hashlib.sha256()
    for name in _EVALUATION_CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()


def _question_key(tree: ZephyrTree, wanted: list[WantedSetting], avoid: Iterable[str]) -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps([str(tree.root), __version__, KCONFIGLIB_VERSION, CACHE_SCHEMA,
                              _code_digest(), [repr(w) for w in wanted],
                              sorted(avoid)]).encode())
    return digest.hexdigest()[:24]


def _encode(probe: TargetProbe) -> dict[str, Any]:
    return asdict(probe)


def _decode_setting(raw: dict[str, Any]) -> SettingProbe:
    return SettingProbe(
        symbol=raw["symbol"], wanted=raw["wanted"], default=raw["default"],
        outcome=Outcome(raw["outcome"]), value=raw["value"], hidden=bool(raw["hidden"]),
        cause=raw["cause"], names=tuple(raw["names"]), selected_by=tuple(raw["selected_by"]),
        needs=tuple((str(a), str(b)) for a, b in raw["needs"]), choice=str(raw["choice"]))


def _decode(raw: dict[str, Any]) -> TargetProbe:
    return TargetProbe(
        target=raw["target"], facts=dict(raw["facts"]),
        facts_with_devicetree=dict(raw["facts_with_devicetree"]),
        probes={k: _decode_setting(v) for k, v in raw["probes"].items()},
        probes_with_devicetree={k: _decode_setting(v)
                                for k, v in raw["probes_with_devicetree"].items()},
        fragment=tuple((str(a), str(b)) for a, b in raw["fragment"]),
        conditions={str(k): (v[0], v[1]) for k, v in raw["conditions"].items()})


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("format") != CACHE_FORMAT:
        return None
    if not isinstance(data.get("targets"), dict):
        return None
    return data


def _write(path: Path, payload: dict[str, Any]) -> None:
    """Atomic; a read-only cache location only costs speed, the parse result is still good."""
    with contextlib.suppress(SecguideError):
        write_atomically(path, json.dumps(payload, separators=(",", ":"), sort_keys=True))


def _tree_stamp(tree: ZephyrTree) -> tuple[str, list[str]]:
    kconfig_files, kconfig_stamp = scan_inputs(tree.root)
    board_files, board_stamp = _board_files(tree.root)
    return f"{kconfig_stamp}:{board_stamp}", kconfig_files + board_files


def _target_to_json(target: BoardTarget) -> dict[str, Any]:
    return {**asdict(target), "board_dir": str(target.board_dir),
            "defconfig": str(target.defconfig) if target.defconfig else None}


def _target_from_json(raw: dict[str, Any]) -> BoardTarget:
    return BoardTarget(**{**raw, "board_dir": Path(raw["board_dir"]),
                          "defconfig": Path(raw["defconfig"]) if raw["defconfig"] else None,
                          "supported": tuple(raw["supported"])})


def load_board_targets(tree: ZephyrTree, *, cache_dir: Path | None = None,
                       use_cache: bool = True) -> list[BoardTarget]:
    """:func:`board_targets`, kept beside the evaluations (reading 2,000 YAML files
    takes most of a warm run otherwise).

    Raises:
        SecguideError: the tree predates HWMv2.
    """
    stamp, _files = _tree_stamp(tree)
    key = hashlib.sha256(json.dumps([str(tree.root), __version__, CACHE_SCHEMA]).encode())
    path = (cache_dir or default_cache_dir()) / f"boards-{key.hexdigest()[:24]}.json"
    if use_cache:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("format") == CACHE_FORMAT and data.get("stamp") == stamp:
                return [_target_from_json(raw) for raw in data["targets"]]
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            pass  # missing or unreadable: read the tree instead
    targets = board_targets(tree)
    if use_cache:
        _write(path, {"format": CACHE_FORMAT, "stamp": stamp,
                      "targets": [_target_to_json(target) for target in targets]})
    return targets


def evaluate_targets(tree: ZephyrTree, targets: list[BoardTarget], wanted: list[WantedSetting],
                     avoid: Iterable[str] = (), *, names: Iterable[str] | None = None,
                     cache_dir: Path | None = None,
                     use_cache: bool = True) -> dict[str, TargetProbe]:
    """Evaluations of the targets ``names`` (default: all), from the cache when valid.

    Raises:
        SecguideError: the tree's Kconfig does not parse, or a defconfig is unreadable.
    """
    avoid = sorted(set(avoid))
    wanted_names = sorted({t.name for t in targets} if names is None else set(names))
    stamp, inputs = _tree_stamp(tree)
    path = (cache_dir or default_cache_dir()) / f"targets-{_question_key(tree, wanted, avoid)}.json"
    cached = _read(path) if use_cache else None
    fingerprint = None
    if cached is not None and cached.get("stamp") != stamp:
        fingerprint = content_fingerprint(tree.root, inputs)
        if cached.get("fingerprint") != fingerprint:
            cached = None
    known: dict[str, Any] = dict(cached["targets"]) if cached else {}
    missing = [name for name in wanted_names if name not in known]
    if missing:
        evaluator = TargetEvaluator(tree, targets)
        for name in missing:
            known[name] = _encode(evaluator.evaluate(name, wanted, avoid))
    if use_cache and (missing or cached is None or cached.get("stamp") != stamp):
        fingerprint = fingerprint or (cached or {}).get("fingerprint") or content_fingerprint(
            tree.root, inputs)
        _write(path, {"format": CACHE_FORMAT, "stamp": stamp, "fingerprint": fingerprint,
                      "zephyr_version": tree.version, "targets": known})
    return {name: _decode(known[name]) for name in wanted_names}
