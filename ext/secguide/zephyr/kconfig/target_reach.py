"""Which symbols the guide's fragment could possibly turn on, known before any search.

Making a setting possible searches "needs X, which needs Y, or a selector of Y": it turns
on only symbols the guide itself recommends (``allowed``). A search that can never reach
one of them cannot assign anything, so it fails without changing the configuration; the
tree's graph says so once, instead of every target rediscovering it.

The graph is a superset of what the search follows: the same edges (``depends on``
operands, the dependencies of a choice standing for the choice, selectors) whatever the
symbols' values, with no depth or selector limit. A symbol the target alone decides is
never searched through (the search stops there too).
"""

from __future__ import annotations

from typing import Any

import kconfiglib

from secguide.zephyr.kconfig.loader import _flatten
from secguide.zephyr.kconfig.target_blame import is_scaffolding

_BOOLEANS = (kconfiglib.BOOL, kconfiglib.TRISTATE)
#: Answers kept (one per distinct set of the guide's settings: a handful per build)
_KEEP = 16


def _searched(sym: Any) -> set[str]:
    """The symbols a search from ``sym`` may try to turn on, whatever their values: the
    symbol operands of its ``depends on`` terms (a choice standing for its own
    dependencies) and the first operand of each of its ``select`` terms."""
    names: set[str] = set()
    terms = _flatten(sym.direct_dep, kconfiglib.AND)
    seen_choices: set[int] = set()
    while terms:
        term = terms.pop()
        if isinstance(term, kconfiglib.Choice):
            if id(term) not in seen_choices:
                seen_choices.add(id(term))
                terms += _flatten(term.direct_dep, kconfiglib.AND)
            continue
        names |= {operand.name for operand in _flatten(term, kconfiglib.OR)
                  if isinstance(operand, kconfiglib.Symbol) and operand.nodes
                  and operand.orig_type in _BOOLEANS and not is_scaffolding(operand.name)}
    for term in _flatten(sym.rev_dep, kconfiglib.OR):
        selector = _flatten(term, kconfiglib.AND)[0]
        if isinstance(selector, kconfiglib.Symbol) and not is_scaffolding(selector.name):
            names.add(selector.name)
    return names


class ReachIndex:
    """For each symbol, the symbols whose search may lead to it (computed once per parse)."""

    def __init__(self, kconf: Any, fixed: frozenset[str]) -> None:
        #: name -> names of the symbols whose search may visit it
        self._searched_from: dict[str, set[str]] = {}
        for name, sym in kconf.syms.items():
            if not sym.nodes or name in fixed:
                continue  # never expanded by the search
            for item in _searched(sym):
                self._searched_from.setdefault(item, set()).add(name)
        self._hopeful: dict[frozenset[str], frozenset[str]] = {}

    def hopeful(self, allowed: frozenset[str]) -> frozenset[str]:
        """The symbols from which a search may reach one of ``allowed`` (themselves
        included): a search from any other symbol assigns nothing and fails."""
        found = self._hopeful.get(allowed)
        if found is None:
            if len(self._hopeful) >= _KEEP:
                self._hopeful.clear()
            reached = set(allowed)
            pending = list(allowed)
            while pending:
                for origin in self._searched_from.get(pending.pop(), ()):
                    if origin not in reached:
                        reached.add(origin)
                        pending.append(origin)
            found = self._hopeful[allowed] = frozenset(reached)
        return found
