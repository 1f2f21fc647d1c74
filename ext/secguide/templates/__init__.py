"""Jinja2 templates for generated text: reports, markdown, ``hardening.yaml``.

One environment for the package: ``StrictUndefined`` (a missing value is a bug,
not an empty string), ``keep_trailing_newline``, and no autoescaping, because
the outputs are plain text or markdown; each template escapes what it inserts
with the filters below.
"""

from __future__ import annotations

import functools
import re
from typing import Any

import jinja2

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def markdown_inert(text: object) -> str:
    """Untrusted text made inert in markdown: specials escaped, one line, no HTML."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))


def one_line(text: object) -> str:
    """Control characters and line breaks removed, so one value cannot forge report lines."""
    return "".join(ch if ch.isprintable() else " " for ch in " ".join(str(text).split()))


@functools.cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.PackageLoader("secguide", "templates"),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True, autoescape=False)
    env.filters["md"] = markdown_inert
    env.filters["line"] = one_line
    return env


def render(name: str, **context: Any) -> str:
    """Render template ``name`` (e.g. ``audit.txt.j2``) with ``context``."""
    return environment().get_template(name).render(**context)
