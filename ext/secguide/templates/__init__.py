"""Jinja2 templates for generated text: reports, Markdown, ``prj.conf``, ``hardening.yaml``.

One environment for the package: ``StrictUndefined`` (a missing value is a bug,
not an empty string), ``keep_trailing_newline``, and no autoescaping, because
the outputs are plain text or Markdown, not HTML; tree and model text is
untrusted, so each template makes inert what it inserts with the filters below:
``md`` (Markdown specials escaped, one line), ``line`` (one printable line),
``md_code`` / ``md_fence`` (a code span or fence of a backtick run longer than
any in the text: a help text holding backticks cannot close it and turn the
rest of a pull-request comment into markup).
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")
_BACKTICKS = re.compile(r"`+")


def markdown_inert(text: object) -> str:
    """Untrusted text made inert in markdown: specials escaped, one line, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def one_line(text: object) -> str:
    """Control characters and line breaks removed, so one value cannot forge report lines."""
    return "".join(ch if ch.isprintable() else " " for ch in " ".join(str(text).split()))


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


def _collapsed(text: object) -> str:
    """Whitespace runs as one space: a value never starts a new line of the file."""
    return " ".join(str(text).split())


def kconfig_value(value: str) -> str:
    """A ``prj.conf`` value: y/n/m and numbers as they are, anything else as a quoted
    Kconfig string on one line."""
    if re.fullmatch(r"[ynm]|-?(0x[0-9a-fA-F]+|\d+)", value):
        return value
    escaped = _collapsed(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("secguide", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["md"] = markdown_inert
    env.filters["line"] = one_line
    env.filters["md_code"] = md_code
    env.filters["md_fence"] = md_fence
    env.filters["oneline"] = _collapsed
    env.filters["confvalue"] = kconfig_value
    return env


def render(name: str, **context: Any) -> str:
    """Render template ``name`` (e.g. ``audit.txt.j2``) with ``context``."""
    return environment().get_template(name).render(**context)
