"""Text for people and tools (reports, Markdown) from jinja2 templates in ``templates/``.

One environment for plain text: no HTML escaping (the output is not HTML), but
tree and model text is untrusted, so Markdown outputs pass it through
:func:`md_code` / :func:`md_fence`, which pick a backtick run longer than any in
the text: a help text holding backticks cannot close the code span or fence and
turn the rest of a pull-request comment into markup.
"""

from __future__ import annotations

import re
from typing import Any

import jinja2

_BACKTICKS = re.compile(r"`+")


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in _BACKTICKS.findall(text)), default=0)


def md_code(text: str) -> str:
    """``text`` as one inline Markdown code span, whatever backticks it holds."""
    text = " ".join(str(text).split())  # one line: a code span cannot hold a newline
    ticks = "`" * (_longest_backtick_run(text) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def md_fence(lines: list[str]) -> str:
    """A fence of backticks longer than any run in ``lines`` (at least three)."""
    return "`" * max(3, _longest_backtick_run("\n".join(lines)) + 1)


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("secguide", "templates"),
    autoescape=False,  # plain text and Markdown; untrusted parts go through md_code/md_fence
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
_ENV.filters["md_code"] = md_code
_ENV.filters["md_fence"] = md_fence


def render(name: str, **context: Any) -> str:
    """The template ``templates/<name>`` filled with ``context``."""
    return _ENV.get_template(name).render(**context)
