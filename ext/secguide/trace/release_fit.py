"""Which Zephyr release a bare ``.config`` fits, from its symbols alone.

A ``.config`` names no release. What it can show, against a tree of a known
release, is whether the two disagree: every build of that release writes the
symbols that have a prompt and no dependency (outside board, SoC, architecture
and module files, which only some builds read), so a ``.config`` missing some of
them was not made from that tree's source; symbols the tree does not define
point the same way (or at modules outside the tree). Agreement proves little (a
neighbouring commit writes the same symbols), so a fit is worded as "consistent
with", never as "built with".
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

from secguide.zephyr.dotconfig import DotConfig
from secguide.zephyr.kconfig.symbols import SymbolDB

#: Files only some builds read: a symbol defined there is not written by every build.
_SOME_BUILDS = ("$(", "boards/", "soc/", "arch/", "modules/")
#: Symbols generated per build from outside the tree (modules, devicetree, toolchain).
_GENERATED_PREFIXES = ("DT_HAS_", "ZEPHYR_", "TOOLCHAIN_")


@dataclass(frozen=True, slots=True)
class ReleaseFit:
    """How one ``.config`` compares with one tree of a known release."""

    tree_version: str
    always_written: int  # symbols every build of the tree writes
    missing: tuple[str, ...]  # of those, the ones the .config lacks
    compared: int  # the .config's own symbols compared (generated ones left out)
    unknown: tuple[str, ...]  # of those, the ones the tree does not define

    @property
    def consistent(self) -> bool:
        return not self.missing

    def sentence(self) -> str:
        """The finding in words that claim no more than it shows."""
        known = self.compared - len(self.unknown)
        head = (f"Zephyr {self.tree_version}: {known} of the .config's {self.compared} "
                "symbols are defined there")
        if self.consistent:
            return (f"{head}, and it has all {self.always_written} symbols every build of "
                    f"this {self.tree_version} tree writes: consistent with it (a neighbouring "
                    "commit or release may write the same)")
        shown = ", ".join(self.missing[:3]) + (", ..." if len(self.missing) > 3 else "")
        return (f"{head}; it lacks {len(self.missing)} of the {self.always_written} symbols "
                f"every build of this {self.tree_version} tree writes ({shown}): built from "
                "another commit or release")


def _is_always_written(text: str) -> bool:
    # A prefilter on the cached JSON text: decoding 20,000 symbols would take a second.
    return '"depends_on":"y"' in text and '"user_settable":true' in text \
        and '"choice":null' in text


_ALWAYS_WRITTEN: dict[tuple[str, str], tuple[str, ...]] = {}


def _always_written_names(db: SymbolDB) -> tuple[str, ...]:
    key = (db.zephyr_version, db.fingerprint)
    if key not in _ALWAYS_WRITTEN:
        _ALWAYS_WRITTEN[key] = _scan_always_written(db)
    return _ALWAYS_WRITTEN[key]


def _scan_always_written(db: SymbolDB) -> tuple[str, ...]:
    raw = getattr(db.symbols, "raw_text", None)
    names = []
    for name in db.symbols:
        if raw is not None:
            text = raw(name)
            if not _is_always_written(text):
                continue
            # The few fields needed, without building the whole symbol (a tenth of the time).
            data = json.loads(text)
            facts = (data["depends_on"], data["user_settable"], data["choice"],
                     [path for path, _line in data["definitions"]])
        else:
            symbol = db.symbols[name]
            facts = (symbol.depends_on, symbol.user_settable, symbol.choice,
                     [loc.path for loc in symbol.definitions])
        depends_on, settable, choice, paths = facts
        if depends_on != "y" or not settable or choice is not None:
            continue
        if any(path.startswith(_SOME_BUILDS) for path in paths):
            continue
        names.append(name)
    return tuple(sorted(names))


def release_fit(config: DotConfig, db: SymbolDB) -> ReleaseFit:
    """How ``config`` compares with the tree ``db`` was read from."""
    always = _always_written_names(db)
    own = [name for name in config.values if not name.startswith(_GENERATED_PREFIXES)]
    return ReleaseFit(tree_version=db.zephyr_version, always_written=len(always),
                      missing=tuple(name for name in always if name not in config),
                      compared=len(own), unknown=tuple(name for name in own if name not in db))


def release_note(config: DotConfig, trees: Sequence[SymbolDB]) -> str:
    """One note for a build of unknown release: how it fits each tree at hand, and which
    fits best (fewest of its always-written symbols missing, in proportion)."""
    fits = [release_fit(config, db) for db in trees]
    note = ("release unknown (no version.h beside the .config; --zephyr-version states it). "
            "Against the trees at hand: " + "; ".join(fit.sentence() for fit in fits))
    if len(fits) > 1:
        best = min(fits, key=lambda fit: len(fit.missing) / max(fit.always_written, 1))
        note += f". Closest: Zephyr {best.tree_version}"
    return note
