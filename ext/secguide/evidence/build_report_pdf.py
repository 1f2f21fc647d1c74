"""The build evidence report as PDF (fpdf2, core fonts): the HTML report's sections as tables.

Imported only when a PDF is written, so that every other ``secguide`` command
starts without loading fpdf2.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fpdf import FPDF, FontFace

from secguide import __version__
from secguide.evidence.build_report import BuildInfo
from secguide.evidence.export import _iso
from secguide.model.items import ThreatModel
from secguide.trace.build_verdicts import BuildVerdicts

_LATIN1 = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'",
                         "\u201c": '"', "\u201d": '"', "\u2192": "->", "\u2264": "<=",
                         "\u2265": ">=", "\u2026": "...", "\u00a0": " "})


def _pdf_text(text: Any) -> str:
    """Core PDF fonts hold Latin-1 only: map common punctuation, mark the rest '?'."""
    return str(text).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


class _Report(FPDF):
    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, f"secguide {__version__} - page {self.page_no()}", align="C")


def _table(pdf: _Report, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           widths: Sequence[int]) -> None:
    pdf.set_font("Helvetica", size=8)
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(235, 238, 242)),
                   first_row_as_headings=True) as table:
        head = table.row()
        for title in headers:
            head.cell(_pdf_text(title))
        for values in rows:
            row = table.row()
            for value in values:
                row.cell(_pdf_text(value))


def render_pdf(build: BuildInfo, verdicts: BuildVerdicts, model: ThreatModel,
               created: dt.datetime) -> bytes:
    """The report as PDF: the same sections as the HTML, in tables."""
    pdf = _Report(format="A4")
    pdf.set_creation_date(created)
    pdf.set_title(_pdf_text(f"Security evidence: {build.config}"))
    pdf.set_creator(f"secguide {__version__}")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.cell(0, 9, "Security evidence for one build", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=9)
    pdf.multi_cell(0, 4.5, _pdf_text(
        f"{build.config} - {build.platform} - profile {build.profile} - guide checked "
        f"against Zephyr {build.tree_version} - created {_iso(created)}"),
        new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.multi_cell(0, 4.5, _pdf_text(
        "The build audit compares this .config with the guide's settings: configuration, "
        "not behaviour. Target tests count only when a Zephyr test scenario ran on this "
        f"build's platform ({build.platform}). Guide checks verify the guide, never this "
        "build. Manual checks are listed for a person to perform and record."),
        new_x="LMARGIN", new_y="NEXT")
    audit = ", ".join(f"{n} {name}" for name, n in build.audit_counts.items())
    platforms = ", ".join(f"{p} ({n})" for p, n in sorted(verdicts.result_platforms.items()))
    pdf.ln(2)
    _table(pdf, ("Build", ""), [
        (".config", f"{build.config} (sha256 {build.config_sha256[:16]}...)"),
        ("Board", f"{build.board or 'unknown'} ({build.board_target or '-'})"),
        ("Architecture", build.arch or "unknown"),
        ("Audit", audit or "-"),
        ("Platforms in the results", platforms or "none"),
    ], (35, 155))

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.cell(0, 7, _pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    heading("Threats")
    _table(pdf, ("Threat", "Verdict", "Why"),
           [(f"{t.threat.id}\n{t.threat.title}", t.verdict.value, t.why)
            for t in verdicts.threats], (70, 35, 85))
    for standard in model.standards:
        heading(f"{standard.name} ({standard.edition})")
        _table(pdf, ("Clause", "Met by", "Verdict", "Why"),
               [(f"{c.clause.clause} {c.clause.title}", c.clause.met_by, c.verdict.value, c.why)
                for c in verdicts.clauses if c.standard.id == standard.id], (65, 25, 30, 70))
    heading("Recommendations and settings")
    rows = []
    for r in verdicts.recommendations:
        for s in r.settings or [None]:
            rows.append((f"{r.recommendation.id}\n{r.verdict.value}",
                         f"{s.symbol} = {s.expected}" if s else "-",
                         (s.actual if s.actual is not None else "not set") if s else "-",
                         s.verdict if s else "-"))
    _table(pdf, ("Recommendation", "Setting (expected)", "Build", "Audit"), rows,
           (55, 72, 28, 35))
    return bytes(pdf.output())


