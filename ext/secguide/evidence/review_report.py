"""The review worklist as Markdown (``secguide review --format md``), from a template.

Titles, reasons, notes and diffs come from the model and from Zephyr's Kconfig
help: untrusted text. The ``md`` filter makes them inert in a pull-request
comment (HTML characters as entities, Markdown punctuation escaped, one line);
``code`` keeps a diff line or a path from closing its code span or block.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

import jinja2

from secguide.trace.review import ReviewState

#: Characters that open inline constructs mid-line (emphasis, code, links, tables,
#: strikethrough); values never start a line, so list and heading markers stay plain.
_MD_PUNCTUATION = re.compile(r"([\\`*_\[\]|~])")


def md_text(value: object) -> str:
    """``value`` as inert one-line Markdown text."""
    text = " ".join(str(value).split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_PUNCTUATION.sub(r"\\\1", text)


def md_code(value: object) -> str:
    """``value`` for a code span or an indented diff line: no backticks, no line breaks."""
    return str(value).replace("`", "'").replace("\r", " ").replace("\n", " ")


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("secguide", "templates"),
                             autoescape=False, keep_trailing_newline=True,
                             undefined=jinja2.StrictUndefined)
    env.filters["md"] = md_text
    env.filters["code"] = md_code
    return env


def worklist_markdown(shown: Sequence[ReviewState], counts: Mapping[str, int],
                      zephyr_version: str) -> str:
    """The worklist of ``shown`` items, with the counts over every item."""
    template = _environment().get_template("review_worklist.md.j2")
    return template.render(shown=shown, counts=counts, zephyr_version=zephyr_version).rstrip() \
        + "\n"
