"""Pausing Python's cycle collector while a command builds its data.

Loading and checking a model of thousands of items makes a few hundred thousand
objects that all live until the command ends. The collector starts a pass every 700
new objects and walks the survivors again in its older generations: at 3,000
recommendations that was a third of ``secguide check``. What is built under the
pause is data that stays (nodes, items, diagnostics, the decoded symbol table), so
pausing frees nothing late; the collector resumes when the outermost pause ends.
"""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable
from typing import ParamSpec, TypeVar

_Params = ParamSpec("_Params")
_Result = TypeVar("_Result")


def collector_paused(function: Callable[_Params, _Result]) -> Callable[_Params, _Result]:
    """``function`` run with the cycle collector paused (nested pauses are one pause)."""

    @functools.wraps(function)
    def paused(*args: _Params.args, **kwargs: _Params.kwargs) -> _Result:
        if not gc.isenabled():  # an outer pause (or the caller) owns the collector
            return function(*args, **kwargs)
        gc.disable()
        try:
            return function(*args, **kwargs)
        finally:
            gc.enable()

    return paused
