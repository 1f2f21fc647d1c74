"""The build evidence report as PDF (fpdf2): the HTML report's sections as tables.

Imported only when a PDF is written, so that every other ``secguide`` command
starts without loading fpdf2.

Archived evidence has to stay readable and searchable: when the system has DejaVu
Sans (Debian's ``fonts-dejavu-core``, which ``make test`` brings for Pango), the
report embeds it (subset, with a Unicode map so text can be searched and copied)
and declares PDF/A-2B: fpdf2 then refuses unembedded fonts and adds its sRGB
output intent and the XMP identification. Without those fonts it falls back to
the core Helvetica, embeds nothing and declares no PDF/A. No PDF/A validator
(veraPDF) has checked the output; the tests check what can be checked without one:
every font embedded, the PDF/A identification and the output intent present, IDs
extracted whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from fpdf import FPDF, FontFace

from secguide import __version__
from secguide.evidence.build_report import BuildInfo, report_sections
from secguide.evidence.export import _iso
from secguide.model.items import ThreatModel
from secguide.trace.build_verdicts import (
    BuildVerdicts,
    ClauseResult,
    RecommendationResult,
    ThreatResult,
)

_LATIN1 = str.maketrans({"\u2014": "-", "\u2013": "-", "\u2018": "'", "\u2019": "'",
                         "\u201c": '"', "\u201d": '"', "\u2192": "->", "\u2264": "<=",
                         "\u2265": ">=", "\u2026": "...", "\u00a0": " "})


def _pdf_text(text: Any) -> str:
    """Core PDF fonts hold Latin-1 only: map common punctuation, mark the rest '?'."""
    return str(text).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


#: Where Linux distributions install DejaVu Sans (Debian and Ubuntu, Fedora, Arch).
FONT_DIRS = (Path("/usr/share/fonts/truetype/dejavu"), Path("/usr/share/fonts/dejavu-sans-fonts"),
             Path("/usr/share/fonts/TTF"))
#: fpdf2 style -> DejaVu Sans file (the two styles the report uses; both in
#: fonts-dejavu-core, whose obliques are in -extra).
_FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
EMBEDDED_FAMILY = "DejaVuSans"
PDFA = "PDF/A-2B"


def embeddable_font_dir(dirs: Sequence[Path] = FONT_DIRS) -> Path | None:
    """The first folder holding every DejaVu Sans style the report uses, or None."""
    return next((d for d in dirs if all((d / f).is_file() for f in _FONT_FILES.values())),
                None)


def _xmp(title: str, creator: str, created: dt.datetime) -> str:
    """The XMP packet of a PDF/A-2B report: identification, title, tool and dates."""
    stamp = created.astimezone(dt.UTC).isoformat(timespec="seconds")
    return "\n".join([
        '<x:xmpmeta xmlns:x="adobe:ns:meta/">',
        '  <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"',
        '    xmlns:dc="http://purl.org/dc/elements/1.1/"',
        '    xmlns:xmp="http://ns.adobe.com/xap/1.0/"',
        '    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/">',
        f'    <rdf:Description rdf:about="" xmp:CreatorTool={quoteattr(creator)}',
        f'        xmp:CreateDate="{stamp}" xmp:ModifyDate="{stamp}"',
        f'        xmp:MetadataDate="{stamp}">',
        "      <pdfaid:part>2</pdfaid:part>",
        "      <pdfaid:conformance>B</pdfaid:conformance>",
        '      <dc:title><rdf:Alt><rdf:li xml:lang="x-default">'
        f"{escape(title)}</rdf:li></rdf:Alt></dc:title>",
        "    </rdf:Description>",
        "  </rdf:RDF>",
        "</x:xmpmeta>",
    ])


class _Report(FPDF):
    """The report's page layout. The layout code names one family, "Helvetica"; with
    DejaVu Sans embedded, that name is served by it (see the module docstring)."""

    def __init__(self, font_dir: Path | None) -> None:
        super().__init__(format="A4", enforce_compliance=PDFA if font_dir else None)
        self.embedded = font_dir is not None
        if font_dir is not None:
            for style, name in _FONT_FILES.items():
                self.add_font(EMBEDDED_FAMILY, style, str(font_dir / name))

    def output(self, *args: Any, **kwargs: Any) -> Any:
        if self.embedded:
            # fpdf2's own XMP stamps the modification date with the clock, which would
            # make two runs with one SOURCE_DATE_EPOCH differ: write it from the
            # creation date instead
            self.set_xmp_metadata(_xmp(self.title or "", self.creator or "",
                                       self.creation_date))
        return super().output(*args, **kwargs)

    def set_font(self, family: str | None = None, style: str = "", size: float = 0) -> None:
        if self.embedded and (family or "").lower() == "helvetica":
            family = EMBEDDED_FAMILY
        super().set_font(family, style, size)

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, f"secguide {__version__} - page {self.page_no()}", align="C")


def break_at_hyphens(text: str, fits: Callable[[str], bool]) -> str:
    """``text`` with every word too wide for its line (``fits`` says) cut into lines after
    its hyphens, so that an ID such as ``REC-BT-SECURE-CONNECTIONS-ONLY`` breaks only
    where it has a hyphen and never inside a part. fpdf2 breaks at spaces only and cuts
    an over-long word anywhere; a part too wide even on its own is left to it."""
    def lines_of(word: str) -> str:
        if fits(word):
            return word
        lines: list[str] = []
        for part in re.findall(r"[^-]*-|[^-]+$", word):
            if lines and fits(lines[-1] + part):
                lines[-1] += part
            else:
                lines.append(part)
        return "\n".join(lines)
    return "\n".join(" ".join(lines_of(word) for word in line.split(" "))
                     for line in text.split("\n"))


def _table(pdf: _Report, headers: Sequence[str], rows: Sequence[Sequence[Any]],
           widths: Sequence[int]) -> None:
    pdf.set_font("Helvetica", size=8)
    # the widths add up to the page's text width, in mm; a cell loses its padding on
    # both sides (fpdf2's default: the cell margin)
    scale = pdf.epw / sum(widths)
    room = [w * scale - 2 * pdf.c_margin for w in widths]
    with pdf.table(col_widths=widths, text_align="LEFT", line_height=4,
                   headings_style=FontFace(emphasis="BOLD", fill_color=(235, 238, 242)),
                   first_row_as_headings=True) as table:
        head = table.row()
        for title in headers:
            head.cell(_pdf_text(title))
        for values in rows:
            row = table.row()
            for value, width in zip(values, room, strict=True):
                row.cell(break_at_hyphens(_pdf_text(value),
                                          lambda text, w=width: pdf.get_string_width(text) <= w))


def setting_text(symbol: str, expected: str) -> str:
    """``CONFIG_X = y``, but ``CONFIG_X >= 16`` for a bound (never ``= >= 16``)."""
    return f"{symbol} {expected}" if expected.startswith((">", "<")) else f"{symbol} = {expected}"


def render_pdf(build: BuildInfo, verdicts: BuildVerdicts, model: ThreatModel,
               created: dt.datetime) -> bytes:
    """The report as PDF: the HTML's sections in its order, in tables."""
    sections = report_sections(verdicts, model)
    pdf = _Report(embeddable_font_dir())
    pdf.set_creation_date(created)
    pdf.set_title(_pdf_text(f"Security evidence: {build.config}"))
    pdf.set_creator(f"secguide {__version__}")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=15)
    pdf.cell(0, 9, "Security evidence for one build", new_x="LMARGIN", new_y="NEXT")

    def heading(text: str) -> None:
        pdf.ln(3)
        pdf.set_font("Helvetica", style="B", size=12)
        pdf.cell(0, 7, _pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    def paragraph(text: str) -> None:
        pdf.set_font("Helvetica", size=9)
        pdf.multi_cell(0, 4.5, _pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    audit = ", ".join(f"{n} {name}" for name, n in build.audit_counts.items())
    _table(pdf, ("Build", ""), [
        (".config", f"{build.config} (sha256 {build.config_sha256[:16]}...)"),
        ("Board", f"{build.board or 'unknown'} ({build.board_target or '-'})"),
        ("Architecture", build.arch or "unknown"),
        ("Zephyr release", build.release),
        ("Build kind, profile", f"{build.build_kind}, {build.profile}"),
        ("Audit", audit or "-"),
        ("Created", _iso(created)),
    ], (35, 155))
    heading("Product declaration")
    if build.product:
        p = build.product
        _table(pdf, ("Declaration", ""), [
            ("Product", f"{p.name} {p.version}"),
            ("File", f"{p.path} (sha256 {p.sha256[:16]}...)"),
            ("Declares", f"{p.responsibilities} responsibilities fulfilled, {p.manual_checks} "
                         f"manual-check records, {p.waivers} waivers")], (35, 155))
    else:
        paragraph("None given: no product responsibility is declared fulfilled and no manual "
                  "check is recorded; nothing that names one can be met in this report.")
    if verdicts.excluded or sections.not_assessed:
        pdf.ln(2)
        pdf.set_draw_color(179, 38, 30)
        pdf.set_line_width(0.6)
        top, first = pdf.get_y(), pdf.page
        pdf.set_font("Helvetica", style="B", size=11)
        pdf.set_text_color(179, 38, 30)
        pdf.cell(0, 7, "Not counted and not assessed", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        for line in verdicts.excluded:
            paragraph(f"- Not counted: {line}")
        for r in sections.not_assessed:
            paragraph(f"- Not assessed: {_item_name(r)}: {r.why}")
        if pdf.page == first:  # a frame only when the banner fits on its page
            pdf.rect(pdf.l_margin - 1, top - 1, pdf.epw + 2, pdf.get_y() - top + 2)
        pdf.set_line_width(0.2)
        pdf.set_draw_color(0, 0, 0)
    pdf.ln(2)
    paragraph("The build audit compares this .config with the guide's settings: configuration, "
              "not behaviour. Met means every applicable recommendation's settings pass, every "
              "manual check it names has a passing record, and every product responsibility it "
              "names is declared fulfilled with a reference. A threat or clause takes the "
              "weakest verdict of what applies to it. Target tests are Zephyr test scenarios "
              "with their own prj.conf, run on a platform: they count only on "
              f"{build.platform} with this build's release, and never as the product's tests.")

    heading("Threats")
    _table(pdf, ("Threat", "EvidenceVerdict", "Why"),
           [(f"{t.threat.id}\n{t.threat.title}", t.verdict.value, t.why)
            for t in sections.threats], (60, 35, 95))
    if verdicts.assets:
        heading("Assets")
        paragraph("Each asset takes the weakest verdict of the threats against it.")
        _table(pdf, ("Asset", "EvidenceVerdict", "Why"),
               [(f"{a.asset.id}\n{a.asset.title}", a.verdict.value, a.why)
                for a in verdicts.assets], (60, 35, 95))
    for standard, rows in sections.clauses_by_standard:
        heading(f"{standard.name} ({standard.edition})")
        _table(pdf, ("Clause", "EvidenceVerdict", "Why"),
               [(f"{c.clause.clause} {c.clause.title}", c.verdict.value, c.why)
                for c in rows], (60, 35, 95))
    heading("Not applicable to this build")
    _table(pdf, ("Threat or clause", "Why"),
           [(f"{t.threat.id}\n{t.threat.title}", t.why)
            for t in sections.not_applicable_threats]
           + [(f"{c.standard.name} {c.clause.clause} {c.clause.title}", c.why)
              for c in sections.not_applicable_clauses], (60, 130))
    heading("Recommendations and settings")
    rows = []
    for r in verdicts.recommendations:
        for s in r.settings or [None]:
            rows.append((f"{r.recommendation.id}\n{r.verdict.value}",
                         setting_text(s.symbol, s.expected) if s else "-",
                         (s.actual if s.actual is not None else "not set") if s else "-",
                         s.verdict if s else "-"))
    _table(pdf, ("Recommendation", "Setting (expected)", "Build", "Audit"), rows,
           (55, 72, 28, 35))
    return bytes(pdf.output())


def _item_name(result: ThreatResult | ClauseResult | RecommendationResult) -> str:
    if isinstance(result, ThreatResult):
        return result.threat.id
    if isinstance(result, ClauseResult):
        return f"{result.standard.name} {result.clause.clause}"
    return result.recommendation.id
