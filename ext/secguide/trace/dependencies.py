"""Why a symbol is or is not in a build, read from the build's own ``.config``.

A symbol missing from a ``.config`` is missing because its ``depends on`` fails
there. Who can change that decides the verdict:

- the *target* (architecture, SoC and board capability symbols, which have no
  prompt and are defined under ``arch/``, ``soc/`` or ``boards/``, and the
  devicetree facts ``DT_HAS_*``): the product cannot have the symbol on this
  board target, so a recommendation of it does not apply there;
- the *product* (anything ``prj.conf`` can set, and what follows from that): the
  symbol is off by the build's own choice, so a recommendation of it applies and
  the build does not follow it.

Choices are read the way Kconfig writes them: a ``.config`` records no choice,
only its options, so a choice is in use exactly when one of its options is set
(:func:`secguide.zephyr.expr.choice_mode`). A dependency that cannot be evaluated
is reported as such, never taken as met.
"""

from __future__ import annotations

from dataclasses import dataclass

from secguide.zephyr.dotconfig import DotConfig
from secguide.zephyr.expr import (
    N,
    Tristate,
    Y,
    choice_mode,
    choice_terms,
    conjuncts,
    evaluate,
    positive_symbols,
    readable,
    shown,
)
from secguide.zephyr.kconfig.symbols import ChoiceFacts, KconfigSymbol, SymbolDB

#: Where the tree defines the capability symbols of architectures, SoCs and boards
#: (generated aggregation files and the devicetree's ``Kconfig.dts`` included).
_TARGET_FOLDERS = ("arch/", "soc/", "boards/", "dts/", "$(KCONFIG_BINARY_DIR)/")


def is_target_fact(name: str, db: SymbolDB) -> bool:
    """Whether the board target alone decides ``name``: ``DT_HAS_*``, or a symbol without a
    prompt that only ``arch/``, ``soc/`` and ``boards/`` define."""
    if name.startswith("DT_HAS_"):
        return True
    symbol = db.get(name)
    if symbol is None or symbol.user_settable or not symbol.definitions:
        return False
    return all(loc.path.startswith(_TARGET_FOLDERS) for loc in symbol.definitions)


@dataclass(frozen=True, slots=True)
class DependencyState:
    """A symbol's dependencies in one build.

    ``met``: True/False, or None when they cannot be evaluated (``why`` says so).
    ``target_lacks``: when not met, True if the board target alone rules the symbol
    out (``why`` names the missing target facts), False if the build's own settings do.
    ``prerequisites``: when the build's own settings rule it out, the options to turn on
    in ``prj.conf`` first (deepest first) so that its dependencies hold; None when no such
    list exists (a failing ``||``, a choice, a comparison, an option without a prompt).
    """

    met: bool | None
    why: str = ""
    target_lacks: bool = False
    prerequisites: tuple[str, ...] | None = ()


def _listed(names: list[str], limit: int = 4) -> str:
    return ", ".join(names[:limit]) + (", ..." if len(names) > limit else "")


class BuildDependencies:
    """Evaluates dependencies of the tree's symbols against one ``.config``."""

    #: How deep "could the product turn this on?" follows dependencies of dependencies.
    MAX_DEPTH = 6

    def __init__(self, config: DotConfig, db: SymbolDB) -> None:
        self.config, self.db = config, db
        self._impossible: dict[str, bool] = {}

    def value(self, name: str) -> str | None:
        found = self.config.get(name)
        return found.value if found is not None else None

    def is_set(self, name: str) -> bool:
        found = self.config.get(name)
        return found is not None and found.is_set

    def _target_known(self, name: str) -> bool:
        return is_target_fact(name, self.db)

    def _known_on_target(self, name: str, depth: int = 0) -> bool:
        """Whether the target alone fixes ``name``'s value in this build: a target fact, or
        a symbol the build does not set whose own dependencies the target rules out
        (``ARM_TRUSTZONE_M`` has a prompt, but needs ``CPU_HAS_TEE``)."""
        if self._target_known(name):
            return True
        if self.is_set(name) or depth >= self.MAX_DEPTH:
            return False
        if name not in self._impossible:
            self._impossible[name] = False  # a cycle counts as "the product may"
            symbol = self.db.get(name)
            self._impossible[name] = symbol is not None and symbol.depends_on not in ("", "y") \
                and self._on_target(symbol.depends_on, symbol, depth + 1) == N
        return self._impossible[name]

    def _on_target(self, text: str, symbol: KconfigSymbol, depth: int = 0) -> Tristate:
        """``text`` with every value the product could change left unknown."""
        return evaluate(text, self.value,
                        known=lambda name: self._known_on_target(name, depth),
                        choice=lambda term: self._mode_on_target(symbol, term, depth))

    def _choice_of(self, symbol: KconfigSymbol, term: str) -> ChoiceFacts | None:
        facts = symbol.choice_facts
        return facts if facts is not None and facts.term == term else None

    def _mode(self, symbol: KconfigSymbol, term: str) -> Tristate:
        facts = self._choice_of(symbol, term)
        return None if facts is None else choice_mode(facts.options, self.value)

    def _mode_on_target(self, symbol: KconfigSymbol, term: str, depth: int = 0) -> Tristate:
        """The choice's mode as far as the target decides it: in use, impossible, or open."""
        facts = self._choice_of(symbol, term)
        if facts is None:
            return None
        if choice_mode(facts.options, self.value) != N:
            return choice_mode(facts.options, self.value)
        return N if self._on_target(facts.depends_on, symbol, depth) == N else None

    def holds(self, text: str, symbol: KconfigSymbol | None = None) -> Tristate:
        """The value of ``text`` in this build (choices read through ``symbol``'s own)."""
        def mode(term: str) -> Tristate:
            return self._mode(symbol, term) if symbol is not None else None

        return evaluate(text, self.value, choice=mode)

    def state(self, symbol: KconfigSymbol) -> DependencyState:
        """Whether ``symbol``'s dependencies hold in the build, and if not, who decides."""
        text = symbol.depends_on
        if text in ("", "y"):
            return DependencyState(True)
        shown_text = shown(text)
        if not readable(text):
            return DependencyState(None, f"its dependencies ({shown_text}) cannot be read")
        value = self.holds(text, symbol)
        if value is None:
            terms = [t for t in choice_terms(text) if self._choice_of(symbol, t) is None]
            what = (f"they name {shown(terms[0])}, whose options the tree does not record "
                    "for this symbol" if terms else "part of them cannot be evaluated")
            return DependencyState(None, f"its dependencies ({shown_text}) cannot be "
                                         f"evaluated from the .config: {what}")
        if value != N:
            return DependencyState(True)
        if self._on_target(text, symbol) == N:
            return DependencyState(False, self._target_reason(symbol, shown_text), True)
        return DependencyState(False, self._product_reason(symbol, shown_text),
                               prerequisites=self._prerequisites(symbol, 0))

    def _prerequisites(self, symbol: KconfigSymbol, depth: int) -> tuple[str, ...] | None:
        """The prompted booleans to set to ``y`` (their own prerequisites first) so that
        every failing ``&&`` term of ``symbol``'s dependencies holds; None when a failing
        term is anything else, or the chain is deeper than :attr:`MAX_DEPTH`: then no list
        of ``prj.conf`` lines can be promised, and the reason alone is shown."""
        if depth >= self.MAX_DEPTH:
            return None
        needed: list[str] = []
        for term in conjuncts(symbol.depends_on):
            if self.holds(term, symbol) != N:
                continue
            option = self.db.get(term.strip())
            if option is None or option.type != "bool" or not option.user_settable \
                    or option.choice or self._target_known(option.name):
                return None
            holds = Y if option.depends_on in ("", "y") else self.holds(option.depends_on,
                                                                       option)
            if holds is None:
                return None  # its own dependencies cannot be read: no line is promised
            if holds == N:
                deeper = self._prerequisites(option, depth + 1)
                if deeper is None:
                    return None
                needed += deeper
            needed.append(option.name)
        return tuple(dict.fromkeys(needed))

    def _target_reason(self, symbol: KconfigSymbol, shown_text: str) -> str:
        """The ``&&`` terms of the dependencies the board target rules out, in words."""
        parts = []
        facts = symbol.choice_facts
        for term in conjuncts(symbol.depends_on):
            if self._on_target(term, symbol) != N:
                continue
            if facts is not None and term == facts.term:
                parts.append(f"{facts.label} depends on {shown(facts.depends_on)}, "
                             f"{self._lacking(facts.depends_on)}")
            else:
                parts.append(f"{shown(term)} does not hold on this board target"
                             + (f" ({self._lacking(term)})" if positive_symbols(term) else ""))
        return f"depends on {shown_text}; {'; '.join(parts)}"

    def _lacking(self, text: str) -> str:
        """``it lacks A, B (B needs C)`` for the symbols of ``text`` the target rules out."""
        names = []
        for name in positive_symbols(text):
            if self.is_set(name) or not self._known_on_target(name):
                continue
            symbol = self.db.get(name)
            if self._target_known(name) or symbol is None:
                names.append(name)
            else:
                names.append(f"{name}, which needs {shown(symbol.depends_on)}")
        return f"it lacks {_listed(names)}" if names else "which it does not meet"

    def _product_reason(self, symbol: KconfigSymbol, shown_text: str) -> str:
        """Each failing ``&&`` term of the dependencies, in words."""
        parts = []
        facts = symbol.choice_facts
        for term in conjuncts(symbol.depends_on):
            if self.holds(term, symbol) != N:
                continue
            if facts is not None and term == facts.term:
                kind = "optional " if facts.optional else ""
                parts.append(f"the {kind}{facts.label} has none of its options set "
                             f"({_listed(list(facts.options))})")
                continue
            off = [name for name in positive_symbols(term) if not self.is_set(name)]
            named = f" (not set in this build: {_listed(off)})" if off else ""
            parts.append(f"{shown(term)} does not hold{named}")
        if not parts:
            return f"depends on {shown_text}, which this build does not meet"
        return f"depends on {shown_text}; {'; '.join(parts)}"

    def selected_by(self, symbol: KconfigSymbol) -> list[str]:
        """The options of this build whose ``select`` forces ``symbol`` on: set in the
        ``.config``, with the select's condition and their own dependencies holding."""
        found = []
        for name in symbol.selected_by:
            selector = self.db.get(name)
            if selector is None or not self.is_set(name):
                continue
            for entry in selector.selects:
                if entry.value != symbol.name:
                    continue
                if entry.condition is None or self.holds(entry.condition, selector):
                    found.append(name)
                    break
        return found

