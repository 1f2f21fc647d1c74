"""The Kconfig symbol database: plain data about every symbol of one Zephyr tree.

Built by :mod:`secguide.zephyr.kconfig.loader` from kconfiglib, cached on disk by
:mod:`secguide.zephyr.kconfig.cache`, read by validation, the guide, drift and exports.
No kconfiglib or Sphinx object leaks out of here: only strings and tuples.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from secguide.diagnostics import SourceLoc, with_suggestion
from secguide.zephyr.expr import choice_name


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionalValue:
    """A ``default``, ``select``, ``imply`` or ``range`` entry: a value and its ``if`` condition.

    ``condition`` is None when the entry is unconditional. For ranges ``value`` is
    ``"LOW HIGH"``. ``loc`` is where the entry was written.
    """

    value: str
    condition: str | None
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class ChoiceFacts:
    """The choice a symbol is an option of, as a build's ``.config`` can be read against it.

    ``term`` is how the choice appears in expression text (``<choice NAME>`` or
    ``<choice "prompt">``); ``options`` are its options in definition order;
    ``depends_on`` is the choice's own dependencies ("y" if none); an ``optional``
    choice may have no option selected.
    """

    term: str
    prompt: str = ""
    options: tuple[str, ...] = ()
    depends_on: str = "y"
    optional: bool = False

    @property
    def label(self) -> str:
        """``choice "Stack canaries protection options"`` or ``choice NAME``: no stand-in."""
        return choice_name(self.term)


@dataclass(frozen=True, slots=True, kw_only=True)
class KconfigSymbol:
    """One Kconfig symbol, merged over all places that define or extend it.

    Attributes:
        definitions: ``config``/``menuconfig`` sites, paths relative to the tree.
            Zephyr's ``configdefault`` blocks are *not* definitions; they are listed
            in ``configdefault_sites``.
        depends_on: the direct dependencies as Kconfig expression text ("y" if none).
        user_settable: True when some definition has a prompt, i.e. ``prj.conf``
            can set it; symbols without a prompt only follow defaults and selects.
        deprecated: Zephyr marks these by selecting ``DEPRECATED`` or a
            ``[DEPRECATED]`` prompt; setting them prints a build warning.
    """

    name: str
    type: str
    prompts: tuple[str, ...] = ()
    help: str = ""
    defaults: tuple[ConditionalValue, ...] = ()
    depends_on: str = "y"
    selects: tuple[ConditionalValue, ...] = ()
    implies: tuple[ConditionalValue, ...] = ()
    selected_by: tuple[str, ...] = ()
    implied_by: tuple[str, ...] = ()
    ranges: tuple[ConditionalValue, ...] = ()
    choice: str | None = None
    choice_facts: ChoiceFacts | None = None
    definitions: tuple[SourceLoc, ...] = ()
    configdefault_sites: tuple[SourceLoc, ...] = ()
    user_settable: bool = False
    deprecated: bool = False

    @property
    def config_name(self) -> str:
        return f"CONFIG_{self.name}"


def strip_config_prefix(name: str) -> str:
    name = name.strip()
    return name[len("CONFIG_"):] if name.startswith("CONFIG_") else name


@dataclass(frozen=True, slots=True)
class SymbolDB:
    """Every defined symbol of one Zephyr tree, with the facts that identify the tree.

    Attributes:
        zephyr_version: from the tree's ``VERSION`` file.
        fingerprint: sha256 over the content of every Kconfig input; equal trees,
            wherever checked out, have equal fingerprints.
        warnings: kconfiglib's parse warnings, kept as data for the caller.
    """

    zephyr_version: str
    fingerprint: str
    hardware_model: str
    symbols: Mapping[str, KconfigSymbol]
    warnings: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.symbols)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and strip_config_prefix(name) in self.symbols

    def __iter__(self) -> Iterator[KconfigSymbol]:
        return iter(self.symbols[name] for name in sorted(self.symbols))

    def get(self, name: str) -> KconfigSymbol | None:
        """The symbol called ``name`` (with or without ``CONFIG_``), or None."""
        return self.symbols.get(strip_config_prefix(name))

    def get_any_case(self, name: str) -> KconfigSymbol | None:
        """Like :meth:`get`, but ``config_stack_canaries`` finds ``STACK_CANARIES`` too.

        An exact name wins; otherwise the one symbol equal ignoring case (None when
        none, or when case alone tells several apart).
        """
        exact = self.get(name)
        if exact is not None:
            return exact
        wanted = name.strip().upper().removeprefix("CONFIG_")
        found = [symbol for key, symbol in self.symbols.items() if key.upper() == wanted]
        return found[0] if len(found) == 1 else None

    def search(self, pattern: str) -> list[KconfigSymbol]:
        """Symbols whose name or a prompt matches the regular expression (case-insensitive).

        Raises:
            re.error: ``pattern`` is not a valid regular expression.
        """
        regex = re.compile(pattern, re.IGNORECASE)
        return [
            symbol for symbol in self
            if regex.search(symbol.name) or any(regex.search(p) for p in symbol.prompts)
        ]

    def close_names(self, name: str, limit: int = 5) -> list[str]:
        """Defined names that look like ``name``: typos, and names sharing its stem."""
        wanted = strip_config_prefix(name).upper()
        names = list(self.symbols)
        close = difflib.get_close_matches(wanted, names, n=limit, cutoff=0.75)
        if len(close) < limit:
            stem = wanted.rsplit("_", 1)[0] if "_" in wanted else wanted
            close += sorted(
                n for n in names if n.startswith(stem) and n not in close and len(stem) >= 4
            )[: limit - len(close)]
        return close


def unknown_symbol_message(name: str, db: SymbolDB) -> str:
    """``CONFIG_X is not defined in Zephyr V; did you mean ...?``, for any place naming X."""
    close = [f"CONFIG_{c}" for c in db.close_names(name, limit=3)]
    return with_suggestion(f"CONFIG_{strip_config_prefix(name)} is not defined in Zephyr "
                           f"{db.zephyr_version}", close)
