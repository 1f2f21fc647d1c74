"""A ready ``prj.conf`` fragment for one board target, from a jinja2 template.

Values and reasons come from the tree (expressions, symbol names) and the model;
they are put on single comment lines (the ``oneline`` filter) so that no text can
add a line of its own, and values are written as Kconfig reads them (``confvalue``).
"""

from __future__ import annotations

from secguide.templates import render
from secguide.trace.boards import VERDICT_LABELS, BoardReport, prj_conf_lines


def render_prj_conf(report: BoardReport, *, zephyr_version: str,
                    profile: str | None = None) -> str:
    lines, left_out = prj_conf_lines(report)
    return render("board_prj.conf.j2", target=" ".join(report.target.name.split()),
                  zephyr_version=zephyr_version, profile=profile, lines=lines,
                  left_out=left_out, labels=VERDICT_LABELS)
