"""``make pdf``: the whole guide as one PDF, from Sphinx's single-page HTML build.

The single page holds about 3.5 MB of HTML; laid out with the theme's stylesheets (furo,
sphinx-needs, DataTables) WeasyPrint spends its time matching thousands of selectors
against every element and ran for more than 15 minutes. So this takes only the guide's
body (the ``<article>``), drops scripts and the theme, and lays it out with one small
print stylesheet of its own (A4, page numbers, tables that fit, status lines kept on
the page of their item). A title page names what the PDF was built from: the Zephyr
release of the tree, the date (``$SOURCE_DATE_EPOCH`` when set, so a rebuild is dated the
same) and the commit of this project, i.e. of the threat model.

Needs WeasyPrint (the ``pdf`` extra, which ``make pdf`` installs) and the system's Pango
(Debian: ``libpango-1.0-0 libpangoft2-1.0-0``, which ``make pdf`` installs as root).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import re
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

PAGE_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm;
  @bottom-left { content: "Zephyr Security Guide"; font-size: 8pt; color: #555; }
  @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt; color: #555; } }
@page :first { @bottom-left { content: none; } @bottom-right { content: none; } }
html { font-family: "DejaVu Sans", sans-serif; font-size: 9pt; line-height: 1.35;
  color: #111; }
a { color: #14509e; text-decoration: none; }
h1 { font-size: 18pt; break-before: page; margin: 0 0 0.5em; }
h2 { font-size: 13pt; margin: 1.2em 0 0.4em; }
h3 { font-size: 11pt; margin: 1em 0 0.3em; }
h4, h5, h6 { font-size: 9.5pt; margin: 0.8em 0 0.3em; }
h1, h2, h3, h4, h5, h6 { break-after: avoid; }
/* each page of the guide starts a PDF page, its title (h2-h4 in the single page) large */
span[id^="document-"] + section { break-before: page; }
span[id^="document-"] + section > :is(h2, h3, h4) { font-size: 16pt; margin-top: 0; }
.secguide-title-page { break-after: page; padding-top: 80mm; }
.secguide-title-page h1 { break-before: avoid; font-size: 28pt; }
.secguide-title-page p { font-size: 12pt; margin: 0.3em 0; }
.headerlink, script,
.dataTables_wrapper .dt-buttons { display: none; }
pre, code, tt, .secguide-card-id, .pre { font-family: "DejaVu Sans Mono", monospace; }
code { font-size: 0.9em; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; font-size: 7.5pt; background: #f5f5f5;
  padding: 0.4em 0.6em; }
/* Tables: automatic layout, so a column is as wide as its longest unbreakable part. IDs
   break after their hyphens, symbols and board targets at the <wbr> after their _ and /
   (break_opportunities below), never inside a word; the widths the HTML build gives its
   columns are screen choices and are left to the content here. */
table { table-layout: auto; width: 100%; max-width: 100%; border-collapse: collapse;
  font-size: 7.5pt; margin: 0.4em 0 0.8em; }
col { width: auto !important; }
td, th { border: 0.5pt solid #bbb; padding: 0.15em 0.35em; vertical-align: top;
  overflow-wrap: normal; hyphens: manual; text-align: left; }
thead th { background: #eee; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
/* matrices of many columns: smaller type */
table.secguide-board-matrix, table.secguide-board-series, table.secguide-board-counts,
table.NEEDS_DATATABLES, table.NEEDS_TABLE, table.secguide-review { font-size: 6.8pt; }
td.needs_title { min-width: 40mm; }
td.needs_verification_kind, td.needs_status, td.needs_result { white-space: nowrap; }
td ul { padding-left: 1em; }
/* the review table's reasons: room for "never reviewed" on one line */
table.secguide-review td:last-child { min-width: 24mm; }
/* the traceability matrix reads best across the page: its pages are landscape */
@page wide { size: A4 landscape; }
span#document-traceability + section { page: wide; }
td p, th p { margin: 0; }
table.NEEDS_TABLE, table.NEEDS_DATATABLES, table.secguide-table { width: 100%; }
/* an item card: one unbreakable block with its status banner just above it */
/* (its metadata, folded on screen, is printed: WeasyPrint lays out a closed <details> open) */
.secguide-card { border: 0.75pt solid #999; break-inside: avoid; font-size: 8.5pt;
  margin-bottom: 0.5em; }
.secguide-card-head, .secguide-card-meta, .secguide-card-body { padding: 0.3em 0.6em; }
.secguide-card-head { background: #f0f0f0; font-size: 9pt; }
.secguide-card-line { display: block; }
.secguide-card-meta, .secguide-card-body { border-top: 0.5pt solid #ddd; margin: 0; }
.secguide-card-meta { font-size: 7.5pt; color: #333; }
.secguide-card-label { color: #666; }
.secguide-card-body > p { margin: 0.2em 0; }
.secguide-card-setting { margin-left: 5mm; }
.line-block { margin: 0.2em 0; }
.admonition { border-left: 2.5pt solid #888; background: #fafafa; padding: 0.2em 0.6em;
  margin: 0.5em 0 0.2em; break-inside: avoid; }
.admonition > p { margin: 0.2em 0; }
.admonition-title { font-weight: bold; }
/* an item's status line (status, Working Group review) stays on the page of its card */
p.secguide-status { break-after: avoid; font-size: 8pt; margin: 0.6em 0 0;
  padding: 0.15em 0.6em; border-left: 2.5pt solid #888; background: #fafafa; }
p.secguide-status-draft { border-color: #b03020; background: #fbeceb; }
p.secguide-status-review { border-color: #8a5a00; background: #fdf3e2; }
.secguide-badge-draft { color: #b03020; }
.secguide-badge-review { color: #8a5a00; }
.secguide-review-state, .secguide-badge { font-weight: bold; }
.secguide-review-unreviewed { color: #b03020; }
.secguide-review-suspect { color: #8a5a00; }
.secguide-review-reviewed { color: #1d6b3a; }
.secguide-drift-removed { color: #b03020; }
.secguide-drift-changed { color: #8a5a00; }
.secguide-drift-added { color: #1d6b3a; }
section.secguide-kconfig-entry { border-top: 0.5pt solid #ccc; break-inside: avoid; }
section.secguide-kconfig-entry h3, section.secguide-kconfig-entry h4 { margin-top: 0.4em; }
dl { margin: 0.3em 0; }
dl.field-list { display: block; }
dl.field-list > dt { font-weight: bold; float: left; clear: left; margin-right: 0.5em; }
dl.field-list > dd { margin: 0 0 0.15em 9em; }
dd { margin-left: 1.5em; }
ul, ol { margin: 0.2em 0; padding-left: 1.4em; }
img, object, svg { max-width: 100%; height: auto; }
"""

# -- break opportunities --------------------------------------------------------------------
# A table cell narrower than CONFIG_PMP_DATA_EXECUTION_PREVENTION either overflows the page
# or, with overflow-wrap, is cut anywhere ("PREVENTIO" / "N"). Line breaking already allows
# a break after the hyphens of an ID such as REC-STACK-HW-PROTECTION, never after an
# underscore or a slash; so in table text a <wbr> follows each "_" and "/" that joins two
# parts of a token (symbols, board targets, paths), and the token breaks only there.

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


# Stylesheets kept from the HTML build: code colouring and diagram sizing only.
KEEP_CSS = ("_static/pygments.css", "_static/graphviz.css")


def _zephyr_version(zephyr_base: str) -> str:
    from secguide.diagnostics import SecguideError
    from secguide.zephyr.tree import read_version
    try:
        return read_version(Path(zephyr_base))
    except (OSError, SecguideError):  # the title page says unknown rather than no PDF
        return "unknown"


def _commit(repo: Path) -> str:
    try:
        done = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short=12", "HEAD"],
                              capture_output=True, text=True, check=True, timeout=30)
        dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--",
                                "threatmodel"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    suffix = " (with uncommitted threat-model changes)" if dirty.stdout.strip() else ""
    return done.stdout.strip() + suffix


def _date() -> str:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    when = (dt.datetime.fromtimestamp(int(epoch), dt.UTC) if epoch and epoch.isdigit()
            else dt.datetime.now(dt.UTC))
    return when.strftime("%Y-%m-%d")


def title_page(version: str, date: str, commit: str) -> str:
    """The first page: what this PDF is and what it was built from."""
    facts = [f"Checked against Zephyr {version}", f"Built {date}",
             f"Threat model commit {commit}"]
    return ('<section class="secguide-title-page"><h1>Zephyr Security Guide</h1>'
            + "".join(f"<p>{html.escape(fact)}</p>" for fact in facts) + "</section>")


_DOCUMENT_START = re.compile(r'<span id="document-([^"]+)"></span>')


def only_documents(body: str, names: Sequence[str]) -> str:
    """The parts of the single page that are the named source documents (``traceability``,
    ``recommendations/x86``): a quick print preview of some pages."""
    starts = list(_DOCUMENT_START.finditer(body))
    known = [match.group(1) for match in starts]
    missing = [name for name in names if name not in known]
    if missing:
        raise ValueError(f"no page {', '.join(missing)} in the guide; pages: {', '.join(known)}")
    kept = []
    for index, match in enumerate(starts):
        if match.group(1) in names:
            end = starts[index + 1].start() if index + 1 < len(starts) else len(body)
            kept.append(body[match.start():end])
    return "".join(kept)


def print_document(page: str, cover: str, documents: Sequence[str] = ()) -> str:
    """The guide's body alone, without scripts or theme, behind the title page; only the
    named ``documents`` when some are given."""
    start = page.find("<article")
    end = page.rfind("</article>")
    if start < 0 or end < 0:
        raise ValueError("no <article> in the single-page build (not the furo theme?)")
    body = page[page.find(">", start) + 1:end]
    if documents:
        body = only_documents(body, documents)
    body = re.sub(r"<script\b.*?</script>", "", body, flags=re.DOTALL | re.IGNORECASE)
    body = break_opportunities(body)
    links = "".join(f'<link rel="stylesheet" href="{css}">' for css in KEEP_CSS)
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
            f"<title>Zephyr Security Guide</title>{links}</head>"
            f"<body>{cover}{body}</body></html>")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--html", type=Path, default=Path("_build/singlehtml"))
    parser.add_argument("--out", type=Path, default=Path("_build/pdf/zephyr-security-guide.pdf"))
    parser.add_argument("--zephyr-base", default=os.environ.get("ZEPHYR_BASE", ""))
    parser.add_argument("--page", action="append", default=[], metavar="DOC",
                        help="only this page of the guide (e.g. traceability; repeatable): "
                             "a quick look at its print layout")
    args = parser.parse_args(argv)
    index = args.html / "index.html"
    if not index.is_file():
        print(f"pdf: no single-page guide in {args.html}; run the singlehtml build first",
              file=sys.stderr)
        return 2
    try:
        import weasyprint
    except OSError as error:  # WeasyPrint loads Pango when imported
        print(f"pdf: WeasyPrint cannot load Pango ({error}); Debian: apt-get install "
              "libpango-1.0-0 libpangoft2-1.0-0", file=sys.stderr)
        return 2
    repo = Path(__file__).resolve().parents[1]
    cover = title_page(_zephyr_version(args.zephyr_base), _date(), _commit(repo))
    try:
        page = print_document(index.read_text(encoding="utf-8"), cover, args.page)
    except ValueError as error:
        print(f"pdf: {index}: {error}", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".pdf.part")
    document = weasyprint.HTML(string=page, base_url=str(index.resolve()))
    document.write_pdf(partial, stylesheets=[weasyprint.CSS(string=PAGE_CSS)])
    partial.replace(args.out)  # atomic: a reader never sees half a PDF
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
