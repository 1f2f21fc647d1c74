"""Why a Kconfig expression is false on a target, in terms a product engineer can act on.

A setting that does not hold (or whose symbol is out of sight) is traced back, through
``depends on``, ``select`` and ``default``, to the facts that decide it, and each fact is
classified as :class:`Cause`:

* ``target``: the architecture, SoC or board lacks it: a prompt-less symbol that only the
  target's own Kconfig could select (``X86``, ``CPU_CORTEX_M_HAS_SPLIM``), or another
  board's guard. prj.conf cannot change it;
* ``devicetree``: it follows the devicetree (``DT_HAS_*``, ``$(dt_*)``), not known before
  a build;
* ``guide``: another setting of the guide's own fragment keeps it from holding;
* ``product``: a symbol the product could set (it has a prompt), such as ``BT``: the
  subsystem is simply not enabled. Names that must be turned *off* carry a ``!``.

The names are the symbols to act on: for a subsystem, the outermost symbol whose own
dependencies already hold (``BT``, not ``BT_SMP``). Scaffolding symbols of the guarded
parse never appear in them.
"""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

import kconfiglib

from secguide.zephyr.kconfig.loader import _flatten, choice_label

#: Names this module reports at most per cause (a dependency can list hundreds of boards).
MAX_NAMES = 4
SCAFFOLDING_PREFIX = "SECGUIDE_"
#: The one symbol that stands for every devicetree query of the guarded parse.
DEVICETREE_SWITCH = "SECGUIDE_DT_UNKNOWN"
_DT_HAS = re.compile(r"DT_HAS_\w+_ENABLED")


class Cause(StrEnum):
    TARGET = "target"
    DEVICETREE = "devicetree"
    GUIDE = "guide"
    PRODUCT = "product"


#: When every part must hold, the hardest cause decides; when any part would do, the easiest.
_AND_ORDER = (Cause.TARGET, Cause.DEVICETREE, Cause.GUIDE, Cause.PRODUCT)
_OR_ORDER = (Cause.PRODUCT, Cause.DEVICETREE, Cause.GUIDE, Cause.TARGET)
#: Why something is on: among the parts that hold it, the guide's own settings are named
#: first (that is a conflict within the guide), then what the product could change.
_HOLDER_ORDER = (Cause.GUIDE, Cause.PRODUCT, Cause.DEVICETREE, Cause.TARGET)

Blame = tuple[Cause, tuple[str, ...]]


def _combine(parts: list[Blame], order: tuple[Cause, ...]) -> Blame:
    for cause in order:
        chosen = [names for found, names in parts if found is cause]
        if chosen:
            names = tuple(dict.fromkeys(name for group in chosen for name in group))
            return cause, names[:MAX_NAMES]
    return Cause.TARGET, ()


#: Static shapes of the parse's expressions, asked for once per target and state
#: otherwise: flattened chains (by the expression's identity, checked) and prompts.
_FLAT: dict[tuple[int, int], tuple[Any, tuple[Any, ...]]] = {}
_PROMPTED: dict[Any, bool] = {}


def forget_shapes() -> None:
    """Drop the remembered shapes (a new parse: the old one's objects may go)."""
    _FLAT.clear()
    _PROMPTED.clear()


def flat(expr: Any, op: int) -> tuple[Any, ...]:
    """:func:`_flatten`, remembered: expressions never change after the parse."""
    key = (id(expr), op)
    hit = _FLAT.get(key)
    if hit is None or hit[0] is not expr:
        hit = _FLAT[key] = (expr, tuple(_flatten(expr, op)))
    return hit[1]


def has_prompt(sym: Any) -> bool:
    found = _PROMPTED.get(sym)
    if found is None:
        found = _PROMPTED[sym] = any(node.prompt for node in sym.nodes)
    return found


def is_scaffolding(name: str) -> bool:
    return name.startswith(SCAFFOLDING_PREFIX)


def own_expressions(sym: Any) -> list[Any]:
    """The expressions written on ``sym`` itself: dependencies, selects and implies
    pointing at it, defaults, ranges, and the conditions of its definitions and prompts."""
    exprs = [sym.direct_dep, sym.rev_dep, sym.weak_rev_dep]
    for value, condition in sym.defaults:
        exprs += [value, condition]
    for low, high, condition in getattr(sym, "ranges", ()):
        exprs += [low, high, condition]
    for node in sym.nodes:
        exprs.append(node.dep)
        if node.prompt:
            exprs.append(node.prompt[1])
    return exprs


def symbol_inputs(sym: Any) -> set[Any]:
    """Every symbol whose value can change ``sym``'s: dependencies, selects, implies,
    defaults, ranges, the conditions of its prompts, and the other options of its choice."""
    found: set[Any] = set()
    exprs = own_expressions(sym)
    choice = getattr(sym, "choice", None)
    if choice is not None:
        found |= set(choice.syms)
        exprs.append(choice.direct_dep)
        for value, condition in choice.defaults:
            exprs += [value, condition]
    for expr in exprs:
        found |= {item for item in kconfiglib.expr_items(expr)
                  if isinstance(item, kconfiglib.Symbol)}
    return found


def target_determined(kconf: Any) -> frozenset[str]:
    """Symbols whose value only the board target decides, in any configuration: no
    prompt, and every input is a constant, a board guard or such a symbol itself
    (``X86``, ``SOC_SERIES_STM32H7X``, ``CPU_CORTEX_M_HAS_SPLIM``). Computed once per
    parse, so that explaining a missing architecture does not walk every SoC again."""
    inputs = {name: symbol_inputs(sym) for name, sym in kconf.syms.items()
              if sym.nodes and not has_prompt(sym) and not _DT_HAS.fullmatch(name)}
    known = {name for name in kconf.syms if is_scaffolding(name)
             and name != DEVICETREE_SWITCH}
    changed = True
    while changed:
        changed = False
        for name, found in list(inputs.items()):
            if all(item.is_constant or not item.nodes or item.name in known
                   for item in found):
                known.add(name)
                del inputs[name]
                changed = True
    return frozenset(known)


class Blamer:
    """Explains false expressions in one configuration state (memoised: use one per state).

    ``guide_on`` are the symbols the guide's fragment turns or keeps on, ``guide_off``
    those it wants off: a dependency on them is the guide's own conflict.

    An explanation is what a walk from its symbol alone would find, whatever was
    explained before: Kconfig forbids dependency loops, so a remembered symbol's cause is
    the one a fresh walk gives, and no step budget cuts a walk short (a budget shared
    with earlier explanations made an answer depend on what was asked first). A hub
    such as ``ENTROPY_HAS_DRIVER`` is still walked once per state, not once per question.
    """

    def __init__(self, guide_on: frozenset[str], guide_off: frozenset[str],
                 fixed: frozenset[str] = frozenset()) -> None:
        self.guide_on, self.guide_off, self.fixed = guide_on, guide_off, fixed
        self._off: dict[str, Blame] = {}
        self._on: dict[str, Blame] = {}
        #: expression values in this state, by identity (the expression is kept with its
        #: value, so that a temporary one's identity is never reused while remembered)
        self._values: dict[int, tuple[Any, int]] = {}

    @staticmethod
    def explain(method: Any, sym: Any) -> Blame:
        """``method(sym)``: ``out_of_sight`` or ``selected``, bound to this Blamer."""
        return method(sym)

    def _value(self, expr: Any) -> int:
        """kconfiglib's ``expr_value``, remembered for every sub-expression: the state
        does not change while a Blamer explains it, and walks evaluate the same terms of
        long ``select`` and ``depends on`` chains over and over."""
        if expr.__class__ is not tuple:
            return expr.tri_value
        hit = self._values.get(id(expr))
        if hit is not None and hit[0] is expr:
            return hit[1]
        operator = expr[0]
        if operator == kconfiglib.AND:
            first = self._value(expr[1])
            value = 0 if not first else min(first, self._value(expr[2]))
        elif operator == kconfiglib.OR:
            first = self._value(expr[1])
            value = 2 if first == 2 else max(first, self._value(expr[2]))
        elif operator == kconfiglib.NOT:
            value = 2 - self._value(expr[1])
        else:
            value = kconfiglib.expr_value(expr)  # a comparison
        self._values[id(expr)] = (expr, value)
        return value

    def false_expr(self, expr: Any) -> Blame:
        """Why ``expr`` (currently false) is false."""
        if isinstance(expr, kconfiglib.Symbol):
            return self.off_symbol(expr)
        if isinstance(expr, kconfiglib.Choice):
            if self._value(expr.direct_dep) == 0:
                return self.false_expr(expr.direct_dep)
            return Cause.PRODUCT, (choice_label(expr),)
        operator = expr[0]
        if operator == kconfiglib.AND:
            return self._every([term for term in flat(expr, kconfiglib.AND)
                                if self._value(term) == 0])
        if operator == kconfiglib.OR:
            return self._any(flat(expr, kconfiglib.OR))
        if operator == kconfiglib.NOT:
            return self.true_expr(expr[1])
        return self._comparison(expr)

    def _cheap_first(self, terms: list[Any]) -> list[Any]:
        """Symbols the target decides, and symbols with a visible prompt, answer at once."""
        def cost(term: Any) -> int:
            if isinstance(term, kconfiglib.Symbol):
                return 0 if term.name in self.fixed or has_prompt(term) else 1
            return 2
        return sorted(terms, key=cost)

    def _every(self, terms: list[Any]) -> Blame:
        """All of ``terms`` (false) must hold: one the target fixes settles it."""
        parts = []
        for term in self._cheap_first(terms):
            found = self.false_expr(term)
            if found[0] is Cause.TARGET:
                return found
            parts.append(found)
        return _combine(parts, _AND_ORDER)

    def _any(self, terms: list[Any]) -> Blame:
        """Any one of ``terms`` (all false) would do: one the product can set settles it."""
        parts = []
        for term in self._cheap_first(terms):
            found = self.false_expr(term)
            if found[0] is Cause.PRODUCT:
                return found
            parts.append(found)
        return _combine(parts, _OR_ORDER)

    def true_expr(self, expr: Any) -> Blame:
        """Why ``expr`` (currently true) is true, when it has to become false."""
        if isinstance(expr, kconfiglib.Symbol):
            return self.on_symbol(expr)
        if isinstance(expr, kconfiglib.Choice):
            return Cause.TARGET, ()
        operator = expr[0]
        if operator == kconfiglib.AND:
            return _combine([self.true_expr(term) for term in flat(expr, kconfiglib.AND)],
                            _HOLDER_ORDER)
        if operator == kconfiglib.OR:
            return _combine([self.true_expr(term) for term in flat(expr, kconfiglib.OR)
                             if self._value(term) != 0], _AND_ORDER)
        if operator == kconfiglib.NOT:
            return self.false_expr(expr[1])
        return self._comparison(expr)

    def _comparison(self, expr: Any) -> Blame:
        """``A = "x"``, ``A < 3``: blame what keeps an operand out of sight, else the
        operands the product could set."""
        parts: list[Blame] = []
        for operand in expr[1:]:
            if not isinstance(operand, kconfiglib.Symbol) or operand.is_constant:
                continue
            if operand.nodes and self._value(operand.direct_dep) == 0:
                parts.append(self.false_expr(operand.direct_dep))
            elif has_prompt(operand) and not is_scaffolding(operand.name):
                parts.append((Cause.PRODUCT, (operand.name,)))
        if parts:
            return _combine(parts, _OR_ORDER)
        return Cause.TARGET, (kconfiglib.expr_str(expr),)

    def selected(self, sym: Any) -> Blame:
        """Why ``sym`` stays on although the guide wants it off: its selectors."""
        holders = [flat(term, kconfiglib.AND)[0] for term in flat(sym.rev_dep,
                                                                          kconfiglib.OR)
                   if self._value(term) != 0]
        return _combine([self.true_expr(holder) for holder in holders], _AND_ORDER)

    def off_symbol(self, sym: Any) -> Blame:
        """Why ``sym`` is off, when something needs it on."""
        name = sym.name
        if name in self._off:
            return self._off[name]
        self._off[name] = (Cause.TARGET, ())  # a loop (Kconfig forbids them) leads nowhere
        self._off[name] = found = self._off_symbol(sym)
        return found

    def _off_symbol(self, sym: Any) -> Blame:
        name = sym.name
        if sym.is_constant:
            return Cause.TARGET, ()
        if _DT_HAS.fullmatch(name):
            return Cause.DEVICETREE, (name,)
        if is_scaffolding(name):
            # The devicetree switch, or the guard of another board: this target lacks it.
            return (Cause.DEVICETREE, ()) if name == DEVICETREE_SWITCH else (Cause.TARGET, ())
        if not sym.nodes:
            return Cause.TARGET, (name,)
        if name.startswith("BOARD_"):
            return Cause.TARGET, ()  # another board's: this target is not that board
        if name in self.fixed:
            return Cause.TARGET, (name,)
        if has_prompt(sym) and sym.visibility:
            if name in self.guide_off:
                return Cause.GUIDE, (name,)
            return Cause.PRODUCT, (name,)
        return self.out_of_sight(sym)

    def out_of_sight(self, sym: Any) -> Blame:
        """Why the product cannot set ``sym`` (no visible prompt) and nothing turns it on."""
        if self._value(sym.direct_dep) == 0:
            cause, names = self.false_expr(sym.direct_dep)
            if cause is Cause.TARGET and not has_prompt(sym):
                return cause, (sym.name,)
            return cause, names
        # On only through a select, an imply or a default condition, or once the
        # condition of its prompt holds.
        ways = [(kconfiglib.AND, node.dep, node.prompt[1]) for node in sym.nodes if node.prompt]
        ways += [term for term in flat(sym.rev_dep, kconfiglib.OR)
                 if term is not sym.kconfig.n]
        ways += [term for term in flat(sym.weak_rev_dep, kconfiglib.OR)
                 if term is not sym.kconfig.n]
        for value, condition in sym.defaults:
            if self._value(value) != 0:
                ways.append(condition)
            elif isinstance(value, kconfiglib.Symbol) and not value.is_constant:
                ways.append((kconfiglib.AND, value, condition))
        false_ways = [way for way in ways if self._value(way) == 0]
        if not false_ways:
            return Cause.TARGET, (sym.name,)
        cause, names = self._any(false_ways)
        if cause in (Cause.TARGET, Cause.DEVICETREE):
            # Other boards' symbols say nothing about this one: name the symbol itself.
            names = tuple(name for name in names if not name.startswith("BOARD_"))
            if not has_prompt(sym) or not names:
                return cause, (sym.name,)
        return cause, names

    def on_symbol(self, sym: Any) -> Blame:
        """Why ``sym`` is on, when something needs it off."""
        name = sym.name
        if name in self._on:
            return self._on[name]
        self._on[name] = (Cause.TARGET, ())  # a loop (Kconfig forbids them) leads nowhere
        self._on[name] = found = self._on_symbol(sym)
        return found

    def _on_symbol(self, sym: Any) -> Blame:
        name = sym.name
        if sym.is_constant or is_scaffolding(name):
            return Cause.TARGET, ()
        if _DT_HAS.fullmatch(name):
            return Cause.DEVICETREE, (name,)
        if name in self.guide_on:
            return Cause.GUIDE, (name,)
        holders = [term for term in flat(sym.rev_dep, kconfiglib.OR)
                   if self._value(term) != 0]
        if holders:
            return _combine([self.true_expr(term) for term in holders], _AND_ORDER)
        if has_prompt(sym) and sym.visibility:
            return Cause.PRODUCT, ("!" + name,)
        for value, condition in sym.defaults:  # the first default that applies decides
            if self._value(condition) != 0:
                parts = [self.true_expr(condition)]
                if isinstance(value, kconfiglib.Symbol) and not value.is_constant:
                    parts.append(self.true_expr(value))
                return _combine(parts, _HOLDER_ORDER)
        return Cause.TARGET, (name,)


def selectors_holding(sym: Any) -> tuple[str, ...]:
    """The symbols whose ``select`` holds ``sym`` at its value (first operand of each term)."""
    names = []
    for term in flat(sym.rev_dep, kconfiglib.OR):
        if kconfiglib.expr_value(term) == 0:
            continue
        first = flat(term, kconfiglib.AND)[0]
        text = getattr(first, "name", None) or kconfiglib.expr_str(term)
        if not is_scaffolding(text):
            names.append(text)
    return tuple(sorted(set(names)))
