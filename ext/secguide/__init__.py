"""secguide: the Zephyr Security Guide as a checked model traced to Kconfig.

The core (model, loader, validation, Kconfig symbol database, exporters) imports
nothing from Sphinx; ``setup`` below is the Sphinx entry point and pulls in the
glue only when Sphinx asks for it.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def setup(app: Any) -> dict[str, Any]:
    from secguide.sphinx_ext import setup as _setup

    return _setup(app)
