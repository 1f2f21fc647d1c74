"""Warning categories of the guide build, and the one helper that emits them.

Every warning carries ``type="secguide"`` and a subtype from :class:`WarningType`
(or a diagnostic code of the loader/validator), so a project can silence one
category with ``suppress_warnings = ["secguide.<subtype>"]``. A location is
either a docutils node or a ``"path:line"`` string, which Sphinx prints as is.
"""

from __future__ import annotations

import enum

from docutils import nodes
from sphinx.util import logging

from secguide.diagnostics import Diagnostic, Severity

logger = logging.getLogger("secguide")

WARNING_TYPE = "secguide"


class WarningType(enum.Enum):
    """Subtypes of the warnings the Sphinx layer raises itself."""

    CONFIG = "config"
    """A ``secguide_*`` configuration value is invalid (reported before failing)."""
    UNKNOWN_SYMBOL = "unknown-symbol"
    """A ``:kconfig:option:`` role names a symbol the Zephyr tree does not define."""
    UNKNOWN_SYMBOL_TEXT = "unknown-symbol-text"
    """Literal ``CONFIG_FOO`` text in a page or in YAML text names no symbol of the tree."""
    NO_REFERENCE_PAGE = "no-kconfig-reference"
    """A Kconfig role is used but no page holds the ``kconfig:reference`` directive."""
    DUPLICATE_ITEM = "duplicate-item"
    """A model item is rendered by two directives; each item is one need, shown once."""
    ITEM_NOT_SHOWN = "item-not-shown"
    """A model item is rendered by no directive, so it is not in the published guide."""
    BAD_OPTION = "bad-option"
    """A directive option names an unknown area, status, or similar."""
    NEED = "need"
    """sphinx-needs refused a need built from the model."""
    UNSAFE_MARKUP = "unsafe-markup"
    """Threat-model prose uses markup prose may not use (:mod:`secguide.trace.prose`)."""


def warn(kind: WarningType | str, message: str, location: str | nodes.Node | None) -> None:
    """Emit one located warning of category ``kind`` (a member or a diagnostic code)."""
    subtype = kind.value if isinstance(kind, WarningType) else kind
    logger.warning(message, type=WARNING_TYPE, subtype=subtype, location=location)


def emit_diagnostic(diagnostic: Diagnostic, location: str) -> None:
    """A core diagnostic as a Sphinx warning (errors and warnings) or an info line (notes)."""
    if diagnostic.severity is Severity.NOTE:
        logger.info(f"{location}: note: {diagnostic.message} [{diagnostic.code}]")
        return
    # Sphinx appends "[secguide.<code>]" itself (the subtype), so the code is not repeated.
    warn(diagnostic.code, diagnostic.message, location)
