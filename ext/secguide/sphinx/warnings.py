"""The one helper that emits secguide's warnings in the guide build.

Every warning carries ``type="secguide"`` and a subtype from the code catalogue
(:mod:`secguide.codes`), so a project can silence one category with
``suppress_warnings = ["secguide.<code>"]``. A location is either a docutils
node or a ``"path:line"`` string, which Sphinx prints as is.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.util import logging

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity
from secguide.untrusted import inert

logger = logging.getLogger("secguide")

WARNING_TYPE = "secguide"


def warn(code: Code, message: str, location: str | nodes.Node | None) -> None:
    """Emit one located warning of category ``code``."""
    # messages and locations quote untrusted text: never raw control characters
    if isinstance(location, str):
        location = inert(location)
    logger.warning(inert(message), type=WARNING_TYPE, subtype=Code(code).value,
                   location=location)


def emit_diagnostic(diagnostic: Diagnostic, location: str) -> None:
    """A core diagnostic as a Sphinx warning (errors and warnings) or an info line (notes)."""
    if diagnostic.severity is Severity.NOTE:
        logger.info(inert(f"{location}: note: {diagnostic.message} [{diagnostic.code}]"))
        return
    # Sphinx appends "[secguide.<code>]" itself (the subtype), so the code is not repeated.
    warn(diagnostic.code, diagnostic.message, location)
