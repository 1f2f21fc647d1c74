"""Line-break opportunities inside the long tokens of tables: symbols, board targets, paths.

A table cell narrower than ``CONFIG_PMP_DATA_EXECUTION_PREVENTION`` either overflows or,
with ``overflow-wrap``, is cut anywhere ("PREVENTIO" / "N"). Browsers and WeasyPrint
already break after the hyphens of an ID such as ``REC-STACK-HW-PROTECTION``, but never
after an underscore or a slash. So, in the text of every table of a written page (site
and single page, hence the PDF), a ``<wbr>`` follows each ``_`` and ``/`` that joins two
parts of a token: the token then breaks only there, and a copied symbol carries no
invisible character (a zero-width space would be copied into a ``prj.conf``). The
search index is built from the doctree, not from this HTML, so it is unaffected.
"""

from __future__ import annotations

import re
from typing import Any

from sphinx.application import Sphinx

#: Tags and text of Sphinx's HTML; Sphinx escapes ``<`` and ``>`` in text and attributes.
_TOKENS = re.compile(r"(<[^>]*>)")
_TAG_NAME = re.compile(r"<\s*(/?)\s*([a-zA-Z0-9]+)")
#: A joint between two parts of a token ("1/2" keeps its digits together).
_JOINT = re.compile(r"(?<=[A-Za-z0-9])[_/](?=[A-Za-z])|(?<=[A-Za-z])[_/](?=[0-9])")
#: Content where a break opportunity would change what is shown or run.
_VERBATIM = frozenset({"pre", "script", "style", "textarea", "svg"})


def _joints(text: str) -> str:
    return _JOINT.sub(lambda m: f"{m.group(0)}<wbr>", text)


def break_opportunities(body: str) -> str:
    """``body`` with ``<wbr>`` after the joints of tokens in table text (not in tags,
    attributes, ``<pre>``, scripts or SVG)."""
    parts = _TOKENS.split(body)
    tables = 0
    verbatim = 0
    for index, part in enumerate(parts):
        if not part:
            continue
        if index % 2:  # a tag
            match = _TAG_NAME.match(part)
            if match is None or part.endswith("/>"):
                continue
            closing, name = match.group(1) == "/", match.group(2).lower()
            step = -1 if closing else 1
            if name == "table":
                tables = max(0, tables + step)
            elif name in _VERBATIM:
                verbatim = max(0, verbatim + step)
        elif tables and not verbatim:
            parts[index] = _joints(part)
    return "".join(parts)


def add_break_opportunities(app: Sphinx, pagename: str, templatename: str,
                            context: dict[str, Any], doctree: Any) -> None:
    """``html-page-context``: the page body with break opportunities in its tables."""
    if isinstance(context.get("body"), str):
        context["body"] = break_opportunities(context["body"])


def setup_line_breaks(app: Sphinx) -> None:
    app.connect("html-page-context", add_break_opportunities)
