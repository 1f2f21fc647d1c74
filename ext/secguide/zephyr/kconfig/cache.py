"""Loading a tree's symbol database, served from a fingerprinted cache on disk.

Two keys protect the cache. A *stamp* (paths, sizes and mtimes of every Kconfig
input, and the mtimes of the tree's folders, which change when a file is added or
removed) is cheap to compute from the lists the cache keeps and answers the
common case, an unchanged tree, with ``stat`` calls alone. When the stamp
differs (a fresh clone, a touched file), the *fingerprint* (sha256 of the inputs'
content) decides: equal content reuses the parse and refreshes the stamp, changed
content parses again. The cache is JSON, never pickle: a corrupt or foreign file is
ignored and rewritten, never trusted.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import kconfiglib

from secguide import __version__
from secguide.diagnostics import SecguideError, SourceLoc
from secguide.files import write_atomically
from secguide.zephyr.kconfig.stamps import (
    content_fingerprint,
    default_cache_dir,
    quick_stamp,
    scan_inputs_and_folders,
    scan_stamp,
)
from secguide.zephyr.kconfig.symbols import (
    ChoiceFacts,
    ConditionalValue,
    KconfigSymbol,
    SymbolDB,
)
from secguide.zephyr.tree import ZephyrTree, resolve_tree

CACHE_FORMAT = "secguide-kconfig-db"
#: Bump when the encoding or the extraction changes meaning.
CACHE_SCHEMA = 5

KCONFIGLIB_VERSION = ".".join(str(part) for part in kconfiglib.VERSION)

def _known_paths(cached: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    files, folders = cached.get("files"), cached.get("folders")
    if not (isinstance(files, list) and isinstance(folders, list)):
        return None
    if not all(isinstance(p, str) for p in files + folders):
        return None
    return files, folders


# -- encoding ---------------------------------------------------------------------------

def _enc_loc(loc: SourceLoc) -> list[Any]:
    return [loc.path, loc.line]


def _enc_values(values: tuple[ConditionalValue, ...]) -> list[list[Any]]:
    return [[v.value, v.condition, v.loc.path, v.loc.line] for v in values]


def _dec_values(raw: list[list[Any]]) -> tuple[ConditionalValue, ...]:
    return tuple(ConditionalValue(value=value, condition=cond, loc=SourceLoc(path, line))
                 for value, cond, path, line in raw)


def _enc_choice(facts: ChoiceFacts | None) -> list[Any] | None:
    if facts is None:
        return None
    return [facts.term, facts.prompt, list(facts.options), facts.depends_on, facts.optional]


def _dec_choice(raw: list[Any] | None) -> ChoiceFacts | None:
    if raw is None:
        return None
    term, prompt, options, depends_on, optional = raw
    return ChoiceFacts(term=term, prompt=prompt, options=tuple(options), depends_on=depends_on,
                       optional=optional)


def encode_symbol(symbol: KconfigSymbol) -> dict[str, Any]:
    return {
        "type": symbol.type,
        "prompts": list(symbol.prompts),
        "help": symbol.help,
        "defaults": _enc_values(symbol.defaults),
        "depends_on": symbol.depends_on,
        "selects": _enc_values(symbol.selects),
        "implies": _enc_values(symbol.implies),
        "selected_by": list(symbol.selected_by),
        "implied_by": list(symbol.implied_by),
        "ranges": _enc_values(symbol.ranges),
        "choice": symbol.choice,
        "choice_facts": _enc_choice(symbol.choice_facts),
        "definitions": [_enc_loc(loc) for loc in symbol.definitions],
        "configdefault_sites": [_enc_loc(loc) for loc in symbol.configdefault_sites],
        "user_settable": symbol.user_settable,
        "deprecated": symbol.deprecated,
    }


def decode_symbol(name: str, raw: dict[str, Any]) -> KconfigSymbol:
    return KconfigSymbol(
        name=name,
        type=raw["type"],
        prompts=tuple(raw["prompts"]),
        help=raw["help"],
        defaults=_dec_values(raw["defaults"]),
        depends_on=raw["depends_on"],
        selects=_dec_values(raw["selects"]),
        implies=_dec_values(raw["implies"]),
        selected_by=tuple(raw["selected_by"]),
        implied_by=tuple(raw["implied_by"]),
        ranges=_dec_values(raw["ranges"]),
        choice=raw["choice"],
        choice_facts=_dec_choice(raw["choice_facts"]),
        definitions=tuple(SourceLoc(p, n) for p, n in raw["definitions"]),
        configdefault_sites=tuple(SourceLoc(p, n) for p, n in raw["configdefault_sites"]),
        user_settable=raw["user_settable"],
        deprecated=raw["deprecated"],
    )


class _LazySymbols(Mapping[str, KconfigSymbol]):
    """Decodes a cached symbol on first access; most uses touch a few dozen of 20,000.

    Each symbol is stored as its own JSON text inside the cache file, so opening
    the cache parses 20,000 strings instead of a million small objects.
    """

    def __init__(self, raw: dict[str, str]) -> None:
        self._raw = raw
        self._decoded: dict[str, KconfigSymbol] = {}

    def __getitem__(self, name: str) -> KconfigSymbol:
        symbol = self._decoded.get(name)
        if symbol is None:
            symbol = decode_symbol(name, json.loads(self._raw[name]))
            self._decoded[name] = symbol
        return symbol

    def __iter__(self) -> Iterator[str]:
        return iter(self._raw)

    def raw_text(self, name: str) -> str:
        """The symbol's cached JSON text, undecoded: for cheap scans over every symbol."""
        return self._raw[name]

    def __len__(self) -> int:
        return len(self._raw)

    def __contains__(self, name: object) -> bool:
        return name in self._raw


# -- loading ----------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LoadReport:
    """How a load was served, for ``make bench`` and ``--verbose``."""

    source: str  # "parse", "cache" (stamp matched) or "cache-verified" (content matched)
    seconds: float
    cache_file: Path | None


def _cache_file(cache_dir: Path, tree: ZephyrTree) -> Path:
    key = hashlib.sha256(str(tree.root).encode()).hexdigest()[:16]
    return cache_dir / f"kconfig-{tree.version}-{key}.json"


def _read_cache(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if not isinstance(data, dict):
        return None
    expected = {"format": CACHE_FORMAT, "schema": CACHE_SCHEMA, "tool": __version__,
                "kconfiglib": KCONFIGLIB_VERSION}
    if any(data.get(key) != value for key, value in expected.items()):
        return None
    if not isinstance(data.get("symbols"), dict) or not isinstance(data.get("stamp"), str):
        return None
    return data


def _write_cache(path: Path, payload: dict[str, Any]) -> None:
    """Atomic; a read-only cache location only costs speed, the parse result is still good."""
    with contextlib.suppress(SecguideError):
        write_atomically(path, json.dumps(payload, separators=(",", ":"), sort_keys=True))


def _db_from_cache(data: dict[str, Any]) -> SymbolDB | None:
    try:
        return SymbolDB(
            zephyr_version=data["zephyr_version"],
            fingerprint=data["fingerprint"],
            hardware_model=data["hardware_model"],
            symbols=_LazySymbols(data["symbols"]),
            warnings=tuple(data["warnings"]),
        )
    except (KeyError, TypeError):
        return None


def load_symbol_db(zephyr_base: ZephyrTree | str | os.PathLike[str] | None = None, *,
                   cache_dir: Path | None = None,
                   use_cache: bool = True) -> tuple[SymbolDB, LoadReport]:
    """The symbol database of the tree at ``zephyr_base`` (else ``$ZEPHYR_BASE``).

    A :class:`ZephyrTree` that was resolved already is used as is.

    Raises:
        SecguideError: no usable tree, or its Kconfig does not parse.
    """
    started = time.perf_counter()
    tree = zephyr_base if isinstance(zephyr_base, ZephyrTree) else resolve_tree(zephyr_base)
    cache_path = _cache_file(cache_dir or default_cache_dir(), tree) if use_cache else None

    cached = _read_cache(cache_path) if cache_path else None
    known = _known_paths(cached) if cached is not None else None
    if cached is not None and known is not None \
            and quick_stamp(tree.root, *known) == cached.get("quick_stamp"):
        db = _db_from_cache(cached)
        if db is not None:
            return db, LoadReport("cache", time.perf_counter() - started, cache_path)
    files, folders = scan_inputs_and_folders(tree.root)
    # "stamp" keeps its old meaning (see scan_inputs), so that an older secguide
    # sharing the cache folder still recognises the file instead of re-parsing.
    stamps = {"stamp": scan_stamp(tree.root, files),
              "quick_stamp": quick_stamp(tree.root, files, folders) or "",
              "files": files, "folders": folders}
    fingerprint = None
    if cached is not None:
        fingerprint = content_fingerprint(tree.root, files)
        if cached.get("fingerprint") == fingerprint:
            db = _db_from_cache(cached)
            if db is not None and cache_path is not None:
                _write_cache(cache_path, cached | stamps)
                return db, LoadReport("cache-verified", time.perf_counter() - started,
                                      cache_path)

    # The parser (and what it imports) is only needed when the cache cannot answer.
    from secguide.zephyr.kconfig.loader import parse_symbols

    fingerprint = fingerprint or content_fingerprint(tree.root, files)
    symbols, warnings = parse_symbols(tree)
    db = SymbolDB(zephyr_version=tree.version, fingerprint=fingerprint,
                  hardware_model=tree.hardware_model.value, symbols=symbols,
                  warnings=warnings)
    if cache_path is not None:
        _write_cache(cache_path, {
            "format": CACHE_FORMAT,
            "schema": CACHE_SCHEMA,
            "tool": __version__,
            "kconfiglib": KCONFIGLIB_VERSION,
            "tree": str(tree.root),
            **stamps,
            "fingerprint": fingerprint,
            "zephyr_version": tree.version,
            "hardware_model": tree.hardware_model.value,
            "warnings": list(warnings),
            "symbols": {
                name: json.dumps(encode_symbol(symbols[name]), separators=(",", ":"))
                for name in sorted(symbols)
            },
        })
    return db, LoadReport("parse", time.perf_counter() - started, cache_path)
