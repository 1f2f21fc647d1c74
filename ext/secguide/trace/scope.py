"""The subsystem scope of a recommendation (``applies_to.when``) against a build's values.

A recommendation about Bluetooth pairing says ``when: BT_SMP``: in a build
without ``CONFIG_BT_SMP`` there is nothing for it to harden. The audit (NOT-APPLICABLE),
the board evaluation (never turn a subsystem on to harden it) and ``check`` all
read the scope through this module, so they agree on what it means.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from secguide.model.items import Recommendation
from secguide.zephyr.expr import N, evaluate, symbols_in

_STRING_OR_WORD = re.compile(r'("(?:[^"\\]|\\.)*")|\b([A-Za-z0-9_]+)\b')


def scope_holds(when: str, values: Mapping[str, str]) -> bool | None:
    """Whether the Kconfig expression ``when`` holds for ``values`` (symbol -> value,
    without ``CONFIG_``, as a ``.config`` assigns them; a symbol missing counts as
    ``n``, as Kconfig reads it). Empty ``when`` always holds; None when unreadable.

    ``m`` counts as holding: a subsystem built as a module is present.
    """
    if not when.strip():
        return True
    value = evaluate(when, values.get)
    return None if value is None else value != N


def applies_in(rec: Recommendation, values: Mapping[str, str]) -> bool | None:
    """:func:`scope_holds` for a recommendation's ``applies_to.when``."""
    return scope_holds(rec.applies_to.when, values)


def applies_when_text(when: str) -> str:
    """``when`` as a reader meets the symbols elsewhere: ``CONFIG_NETWORKING && CONFIG_NET_TCP``
    (empty for an empty scope). Quoted strings are left as written."""
    names = set(symbols_in(when))

    def prefixed(match: re.Match[str]) -> str:
        word = match.group(2)
        return f"CONFIG_{word}" if word is not None and word in names else match.group(0)

    return _STRING_OR_WORD.sub(prefixed, " ".join(when.split()))
