"""A ready ``prj.conf`` fragment for one board target, from a jinja2 template.

Values and reasons come from the tree (expressions, symbol names) and the model;
they are put on single comment lines so that no text can add a line of its own.
"""

from __future__ import annotations

import re

import jinja2

from secguide.trace.boards import VERDICT_LABELS, BoardReport, prj_conf_lines

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("secguide", "templates"),
    autoescape=False,  # plain-text output; inertness comes from the filters below
    trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)


def _oneline(text: str) -> str:
    """Collapse whitespace so a value never starts a new line of the file."""
    return re.sub(r"\s+", " ", str(text)).strip()


def _confvalue(value: str) -> str:
    """y/n/m and numbers as they are; anything else as a quoted Kconfig string."""
    if re.fullmatch(r"[ynm]|-?(0x[0-9a-fA-F]+|\d+)", value):
        return value
    escaped = _oneline(value).replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


_ENV.filters["oneline"] = _oneline
_ENV.filters["confvalue"] = _confvalue


def render_prj_conf(report: BoardReport, *, zephyr_version: str,
                    profile: str | None = None) -> str:
    lines, left_out = prj_conf_lines(report)
    return _ENV.get_template("board_prj.conf.j2").render(
        target=_oneline(report.target.name), zephyr_version=zephyr_version, profile=profile,
        lines=lines, left_out=left_out, labels=VERDICT_LABELS)
