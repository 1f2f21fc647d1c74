"""Kconfig preprocessor functions that Zephyr's build provides, with doc-mode values.

Zephyr's ``scripts/kconfig/kconfigfunctions.py`` answers ``$(dt_...)`` calls from
the devicetree of one board. A guide describes every board at once, so, like
Zephyr's own documentation build, we answer with neutral values: "not present"
for predicates, zero for numbers, empty for paths. Arithmetic helpers are real,
because Kconfig files feed them constants and expect the result to parse.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

#: kconfiglib's shape for a user function: (callable(kconf, name, *args), min args, max args)
FunctionEntry = tuple[Callable[..., str], int, int | None]


def _to_int(text: str) -> int:
    text = text.strip()
    if not text:
        return 0
    try:
        return int(text, 0)
    except ValueError:
        return 0


def _arith(op: Callable[[list[int]], int], as_hex: bool) -> Callable[..., str]:
    def call(_kconf: Any, _name: str, *args: str) -> str:
        result = op([_to_int(arg) for arg in args])
        return hex(result) if as_hex else str(result)

    return call


def _div(values: list[int]) -> int:
    result = values[0]
    for value in values[1:]:
        result = result // value if value else 0
    return result


def _mod(values: list[int]) -> int:
    result = values[0]
    for value in values[1:]:
        result = result % value if value else 0
    return result


def _sub(values: list[int]) -> int:
    return values[0] - sum(values[1:])


def _mul(values: list[int]) -> int:
    result = 1
    for value in values:
        result *= value
    return result


_ARITHMETIC: dict[str, Callable[[list[int]], int]] = {
    "add": sum,
    "sub": _sub,
    "mul": _mul,
    "div": _div,
    "mod": _mod,
    "max": max,
    "min": min,
    "inc": lambda values: values[0] + 1 if len(values) == 1 else sum(v + 1 for v in values),
    "dec": lambda values: values[0] - 1 if len(values) == 1 else sum(v - 1 for v in values),
}


def _normalize_upper(_kconf: Any, _name: str, text: str = "") -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", text).upper()


def _substring(_kconf: Any, _name: str, text: str, start: str, end: str = "") -> str:
    begin = _to_int(start)
    return text[begin:_to_int(end)] if end.strip() else text[begin:]


def neutral_value(name: str) -> str:
    """The doc-mode answer for a devicetree or hardware query named ``name``."""
    if name.endswith("_hex"):
        return "0x0"
    if name.endswith(("_int", "_num", "_size", "_addr")) or name.endswith("_int_prop"):
        return "0"
    if name.endswith(("_path", "_label", "_parent", "_str", "_name")):
        return ""
    return "n"


def _neutral(_kconf: Any, name: str, *_args: str) -> str:
    return neutral_value(name)


def zephyr_function(name: str) -> FunctionEntry | None:
    """An implementation for a Zephyr preprocessor function, or None if the name is not one.

    Names are matched by Zephyr's conventions rather than a fixed list, so that a
    newer tree's new ``dt_*`` helper still loads.
    """
    base, _, suffix = name.rpartition("_")
    if name in _ARITHMETIC:
        return (_arith(_ARITHMETIC[name], as_hex=False), 1, None)
    if suffix == "hex" and base in _ARITHMETIC:
        return (_arith(_ARITHMETIC[base], as_hex=True), 1, None)
    if name == "normalize_upper":
        return (_normalize_upper, 0, 1)
    if name == "substring":
        return (_substring, 2, 3)
    if name.startswith(("dt_", "shields_", "arch_", "soc_", "board_")):
        return (_neutral, 0, None)
    return None
