"""Kconfig facts as the guide states them: computed from the tree, never typed.

Prose names a fact with a role, ``:kconfig:default:`CONFIG_HW_STACK_PROTECTION```,
and the guide shows the tree's answer in its place ("``CONFIG_HW_STACK_PROTECTION``
has no default of its own ..."). The text is made here, once, so the guide's pages
(:mod:`secguide.sphinx.kconfig` renders the roles) and every export (the need items
carry the expanded text) say the same words.

Kinds: ``default`` (each default with its condition, in Kconfig's order; defaults
that boards and SoCs give their own targets counted apart), ``selected-by``,
``implied-by``, ``depends-on`` and ``range``. The text is reStructuredText with
every name and expression as an inline literal; what comes from the tree is made
safe for that (no backquotes, no control characters).
"""

from __future__ import annotations

import enum
import re

from secguide.zephyr.kconfig.symbols import (
    ConditionalValue,
    KconfigSymbol,
    SymbolDB,
    strip_config_prefix,
)


class FactKind(enum.StrEnum):
    DEFAULT = "default"
    SELECTED_BY = "selected-by"
    IMPLIED_BY = "implied-by"
    DEPENDS_ON = "depends-on"
    RANGE = "range"


#: A fact role in prose: ``:kconfig:default:`CONFIG_X``` (``CONFIG_`` optional).
FACT_ROLE = re.compile(r":kconfig:(?P<kind>" + "|".join(re.escape(k.value) for k in FactKind)
                       + r"):`(?P<name>[^`\n]*)`")

#: Names listed before "and N more".
MAX_NAMES = 8
#: Defaults listed before "and N more".
MAX_DEFAULTS = 4
#: Folders whose Kconfig files give defaults for their own board or SoC targets only.
_TARGET_FOLDERS = ("boards/", "soc/")

_CHOICE = re.compile(r'<choice(?:\s+(?:"(?P<prompt>[^"]*)"|(?P<name>[A-Za-z0-9_]+)))?[^>]*>')
_UNSAFE = re.compile(r"[`\x00-\x1f\x7f-\x9f\\]")


def _literal(text: str) -> str:
    """``text`` as an inline literal; tree text cannot break out of it."""
    text = _CHOICE.sub(lambda m: f'the choice "{m.group("prompt")}"' if m.group("prompt")
                       else f"the choice {m.group('name')}" if m.group("name")
                       else "a nameless choice", text)
    text = _UNSAFE.sub(" ", " ".join(text.split())).strip()
    return f"``{text}``" if text else "``''``"


def _names(names: list[str]) -> str:
    shown = [_literal(f"CONFIG_{name}") for name in names[:MAX_NAMES]]
    rest = len(names) - len(shown)
    if rest:
        return ", ".join(shown) + f" and {rest} more"
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _for_targets(symbol: KconfigSymbol, entry: ConditionalValue) -> bool:
    """A default a board or SoC gives its own targets: written under boards/ or soc/ for a
    symbol defined elsewhere too (a symbol only a SoC defines has its own defaults there)."""
    general_sites = [site for site in symbol.definitions
                     if not site.path.startswith(_TARGET_FOLDERS)]
    return bool(general_sites) and entry.loc.path.startswith(_TARGET_FOLDERS)


def general_defaults(symbol: KconfigSymbol) -> list[ConditionalValue]:
    """The defaults that apply to every target, in Kconfig's order (the first whose
    condition holds wins): those not written in a board's or SoC's own files."""
    return [entry for entry in symbol.defaults if not _for_targets(symbol, entry)]


def target_default_files(symbol: KconfigSymbol) -> set[str]:
    """The board and SoC files that give the symbol a default for their own targets."""
    return {entry.loc.path for entry in symbol.defaults if _for_targets(symbol, entry)}


def _default_text(symbol: KconfigSymbol, name: str) -> str:
    general = general_defaults(symbol)
    # Kconfig takes the first default whose condition holds: none after an unconditional
    # one can apply (drivers that each repeat "default y" say it once)
    first_plain = next((i for i, entry in enumerate(general) if not entry.condition), None)
    if first_plain is not None:
        general = general[:first_plain + 1]
    if general:
        parts = [_literal(entry.value) + (f" if {_literal(entry.condition)}"
                                          if entry.condition else "")
                 for entry in general[:MAX_DEFAULTS]]
        text = f"{name} defaults to " + ", else to ".join(parts)
        if len(general) > MAX_DEFAULTS:
            text += f", and {len(general) - MAX_DEFAULTS} more conditional defaults"
        elif general[-1].condition and symbol.type in ("bool", "tristate"):
            text += ", else to ``n``"
    else:
        text = f"{name} has no default of its own"
        if symbol.type in ("bool", "tristate"):
            text += " (it is ``n`` unless set or selected)"
    files = target_default_files(symbol)
    if files:
        text += (f"; the Kconfig files of {len(files)} board or SoC folder"
                 f"{'s' if len(files) != 1 else ''} give their own targets one")
    return text


def _range_text(symbol: KconfigSymbol, name: str) -> str:
    if not symbol.ranges:
        return f"{name} has no range"
    parts = []
    for entry in symbol.ranges[:MAX_DEFAULTS]:
        low, _, high = entry.value.partition(" ")
        parts.append(f"from {_literal(low)} to {_literal(high)}"
                     + (f" if {_literal(entry.condition)}" if entry.condition else ""))
    return f"{name} ranges " + ", else ".join(parts)


def fact_text(kind: FactKind, symbol: KconfigSymbol) -> str:
    """The tree's answer about ``symbol``, as one clause of reStructuredText."""
    name = _literal(symbol.config_name)
    if kind is FactKind.DEFAULT:
        return _default_text(symbol, name)
    if kind is FactKind.RANGE:
        return _range_text(symbol, name)
    if kind is FactKind.DEPENDS_ON:
        if symbol.depends_on in ("", "y"):
            return f"{name} has no dependencies"
        return f"{name} depends on {_literal(symbol.depends_on)}"
    names = sorted(symbol.selected_by if kind is FactKind.SELECTED_BY else symbol.implied_by)
    verb = "selected" if kind is FactKind.SELECTED_BY else "implied"
    if not names:
        return f"{name} is {verb} by no other symbol"
    return f"{name} is {verb} by {_names(names)}"


def role_text(kind: FactKind, name: str) -> str:
    """How prose asks for a fact: ``:kconfig:default:`CONFIG_X```."""
    return f":kconfig:{kind.value}:`CONFIG_{strip_config_prefix(name)}`"


def expand_fact_roles(text: str, db: SymbolDB) -> str:
    """``text`` with every fact role replaced by the tree's answer; a role naming a
    symbol the tree does not define is left as written (``check`` reports it)."""

    def answer(match: re.Match[str]) -> str:
        symbol = db.get(match.group("name").strip())
        if symbol is None:
            return match.group(0)
        return fact_text(FactKind(match.group("kind")), symbol)

    return FACT_ROLE.sub(answer, text) if ":kconfig:" in text else text
