"""The "Your board" page and per-recommendation board counts.

Every board target of the tree is evaluated (from the on-disk cache when the tree is
unchanged; see :mod:`secguide.trace.boards`) only when a page is read or the finder's
data is out of date: a build with nothing to do evaluates and renders nothing.

* ``secguide-your-board`` renders a search box whose script filters a compact
  data file (``_static/secguide-boards-data.js``, written at ``build-finished``
  and loaded by a ``<script>`` tag, so the page works from ``file://`` where
  ``fetch()`` does not), plus summary tables per architecture and SoC series.
  The script inserts every string from the data as text, never as markup.
* ``secguide-board-counts`` (``:area:``) renders, for the recommendations of an
  area, on how many targets each is available, already the default, needs other
  settings, depends on the devicetree, or is unavailable, with the reasons
  grouped. It is a separate table below the recommendation cards.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

from secguide import headers as H
from secguide.diagnostics import SecguideError
from secguide.evidence.prj_conf import render_prj_conf
from secguide.files import temp_beside
from secguide.sphinx.domain import item_reference
from secguide.sphinx.kconfig import ABSENT_SYMBOL
from secguide.sphinx.model import get_state, load_state
from secguide.trace.boards import (
    VERDICT_LABELS,
    VERDICTS,
    BoardReport,
    group_of,
    summarize_recommendations,
)

logger = logging.getLogger("secguide")

STATIC = Path(__file__).resolve().parent / "static"
SCRIPT = "secguide-boards.js"
CSS = "secguide-boards.css"
DATA = "secguide-boards-data.js"
#: What the data file was made from (beside it; compared before making it again).
DATA_KEY = "secguide-boards-data.key"
#: Stands for the target's name in a shared prj.conf text; the script puts the name in.
TARGET_MARK = "@TARGET@"


@dataclass(frozen=True, slots=True)
class BoardsView:
    reports: tuple[BoardReport, ...]
    zephyr_version: str
    #: why there are no reports (e.g. a legacy tree), shown on the page instead
    unavailable: str = ""


_VIEWS: dict[Any, BoardsView] = {}


def _view(state: Any) -> BoardsView:
    """Every target's verdicts, once per model and tree state (read from the cache)."""
    key = (id(state), str(state.tree_root))
    if key not in _VIEWS:
        _VIEWS.clear()
        version = state.project.tree.version
        try:
            reports = state.project.board_reports()
            _VIEWS[key] = BoardsView(tuple(r for r in reports if r.buildable), version)
        except SecguideError as error:
            _VIEWS[key] = BoardsView((), version, unavailable=str(error))
    return _VIEWS[key]


def load_view(app: Sphinx, _env: Any, docnames: list[str]) -> None:
    """``env-before-read-docs``: the verdicts, before parallel readers fork, but only
    when some page is read: a build with nothing to do reads no answer at all."""
    if docnames:
        _view(load_state(app))


def get_view(env: Any) -> BoardsView:
    return _view(get_state(env))


# -- tables -----------------------------------------------------------------------------

def _table(headers: list[str], rows: list[list[nodes.Node | str]], widths: list[int],
           classes: list[str]) -> nodes.table:
    table = nodes.table(classes=["secguide-board-table", *classes])
    group = nodes.tgroup(cols=len(headers))
    table += group
    group.extend(nodes.colspec(colwidth=w) for w in widths)
    head = nodes.thead()
    group += head
    head += nodes.row("", *[nodes.entry("", nodes.paragraph(text=h)) for h in headers])
    body = nodes.tbody()
    group += body
    for cells in rows:
        row = nodes.row()
        for cell in cells:
            content = cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=str(cell))
            if isinstance(content, nodes.Inline):
                content = nodes.paragraph("", "", content)
            row += nodes.entry("", content)
        body += row
    return table


def counts_table(view: BoardsView, rec_ids: list[str]) -> nodes.Node:
    """Per recommendation: targets per verdict, and the reasons why not, grouped."""
    summaries = {s.rec_id: s for s in summarize_recommendations(list(view.reports))}
    rows: list[list[nodes.Node | str]] = []
    for rec_id in rec_ids:
        summary = summaries.get(rec_id)
        if summary is None:
            continue
        # Reasons quote the tree's expressions; like the drift page's change lists they are
        # not the guide's own mentions, so the Kconfig reference does not grow with them.
        reasons = nodes.bullet_list(classes=[ABSENT_SYMBOL])
        for reason, count in summary.reasons[:3]:
            reasons += nodes.list_item("", nodes.paragraph(text=f"{count}: {reason}"))
        if len(summary.reasons) > 3:
            rest = sum(count for _, count in summary.reasons[3:])
            reasons += nodes.list_item("", nodes.paragraph(
                text=f"{rest}: {len(summary.reasons) - 3} other reasons"))
        rows.append([item_reference(rec_id, rec_id),
                     *[str(summary.counts[v]) for v in VERDICTS],
                     reasons if summary.reasons else "—"])
    headers = [H.RECOMMENDATION, *[H.VERDICT[v] for v in VERDICTS], H.WHY_NOT]
    return _table(headers, rows, [16, *[7] * len(VERDICTS), 35], ["secguide-board-counts"])


def _applicable(counter: Counter) -> int:
    return counter["default"] + counter["available"] + counter["needs"]


def arch_matrix(view: BoardsView) -> nodes.Node:
    """Recommendation x architecture: on how many targets it can be applied."""
    archs = sorted({group_of(r)[0] for r in view.reports})
    per: dict[str, dict[str, Counter]] = {}
    totals: Counter = Counter()
    for report in view.reports:
        arch = group_of(report)[0]
        totals[arch] += 1
        for item in report.verdicts:
            per.setdefault(item.rec_id, {}).setdefault(arch, Counter())[item.verdict] += 1
    rows: list[list[nodes.Node | str]] = []
    for rec_id, by_arch in per.items():
        rows.append([item_reference(rec_id, rec_id), *[
            str(_applicable(by_arch.get(arch, Counter()))) for arch in archs]])
    headers = [H.RECOMMENDATION, *[H.architecture_column(arch, totals[arch]) for arch in archs]]
    return _table(headers, rows, [20] + [6] * len(archs), ["secguide-board-matrix"])


def series_table(view: BoardsView) -> nodes.Node:
    """Per architecture and SoC series: how many recommendations apply to a typical target."""
    groups: dict[tuple[str, str], list[BoardReport]] = {}
    for report in view.reports:
        groups.setdefault(group_of(report), []).append(report)
    rows: list[list[nodes.Node | str]] = []
    for (arch, series), reports in sorted(groups.items()):
        def median(verdicts: tuple[str, ...], reports: list[BoardReport] = reports) -> int:
            values = sorted(sum(1 for item in r.verdicts if item.verdict in verdicts)
                            for r in reports)
            return values[len(values) // 2]
        rows.append([arch, series, str(len(reports)),
                     str(median(("default",))), str(median(("available", "needs"))),
                     str(median(("devicetree",))), str(median(("unavailable",))),
                     str(median(("inactive", "not-applicable")))])
    headers = [H.ARCHITECTURE, H.SOC_SERIES, H.TARGETS, H.VERDICT["default"], H.CAN_BE_SET,
               H.VERDICT["devicetree"], H.VERDICT["unavailable"], H.OUT_OF_SCOPE]
    return _table(headers, rows, [12, 18, 8, 10, 10, 10, 10, 10], ["secguide-board-series"])


# -- directives -------------------------------------------------------------------------

class YourBoardDirective(SphinxDirective):
    """The board finder, and summary tables per architecture and SoC series."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        view = get_view(self.env)
        if view.unavailable:
            return [nodes.paragraph(text=f"Per-board evaluation is not available for this "
                                         f"tree: {view.unavailable}")]
        root = "../" * self.env.docname.count("/")
        prefix = root + "_static/"
        finder = nodes.raw("", f"""<div class="secguide-board-finder" data-root="{root}">
<label for="secguide-board-input">Board target</label>
<input id="secguide-board-input" type="search" list="secguide-board-list" autocomplete="off"
 placeholder="e.g. nrf52840dk, nucleo_h753zi, qemu_x86, esp32s3_devkitc" spellcheck="false">
<datalist id="secguide-board-list"></datalist>
<p id="secguide-board-status" class="secguide-board-status" aria-live="polite"></p>
<div id="secguide-board-result"></div>
</div>
<noscript><p>The board finder needs JavaScript; <code>secguide board TARGET</code> gives the
same answer on the command line.</p></noscript>
<script src="{prefix}{DATA}"></script>
<script src="{prefix}{SCRIPT}"></script>
""", format="html")
        count = nodes.paragraph(text=f"{len(view.reports)} board targets of Zephyr "
                                     f"{view.zephyr_version} are evaluated.")
        arch_section = self._section("By architecture", "secguide-boards-by-arch", [
            nodes.paragraph(text="On how many targets of each architecture (their number is "
                                 "in the heading) a recommendation can be applied: already "
                                 "the default, available, or available with other settings."),
            arch_matrix(view)])
        series_section = self._section("By SoC series", "secguide-boards-by-series", [
            nodes.paragraph(text="For a typical target of each SoC series (the median): how "
                                 "many recommendations are already the default, can be set, "
                                 "depend on the devicetree, are unavailable, or are out of "
                                 "scope (the target lacks what they are about, or they "
                                 "apply only once the product enables their subsystem)."),
            series_table(view)])
        return [count, finder, arch_section, series_section]

    def _section(self, title: str, ident: str, body: list[nodes.Node]) -> nodes.section:
        section = nodes.section(ids=[ident])
        section += nodes.title(text=title)
        section.extend(body)
        return section


class BoardCountsDirective(SphinxDirective):
    """On how many board targets each recommendation (of an area) applies, and why not."""

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"area": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        view = get_view(self.env)
        if view.unavailable:
            return []
        state = get_state(self.env)
        areas = {a.strip() for a in (self.options.get("area") or "").split(",") if a.strip()}
        rec_ids = [rec.id for rec in state.model.recommendations
                   if not areas or rec.area in areas]
        return [nodes.paragraph(text=f"On the {len(view.reports)} board targets of Zephyr "
                                     f"{view.zephyr_version} (before prj.conf):"),
                counts_table(view, rec_ids)]


# -- data file --------------------------------------------------------------------------

def boards_data(view: BoardsView, rec_urls: dict[str, str]) -> dict[str, Any]:
    """The compact data the finder filters: string tables and indexes into them."""
    strings: dict[str, int] = {}

    def intern(text: str) -> int:
        return strings.setdefault(text, len(strings))

    recs: list[list[Any]] = []
    rec_index: dict[str, int] = {}
    # Targets of one SoC mostly share their verdicts: each distinct list is stored once.
    rows: dict[str, int] = {}
    targets = []
    for report in view.reports:
        verdicts = []
        for item in report.verdicts:
            if item.rec_id not in rec_index:
                rec_index[item.rec_id] = len(recs)
                recs.append([item.rec_id, item.title, rec_urls.get(item.rec_id, "")])
            verdicts.append([rec_index[item.rec_id], VERDICTS.index(item.verdict),
                             intern(item.shown_reason) if item.shown_reason else -1])
        row = rows.setdefault(json.dumps(verdicts, separators=(",", ":")), len(rows))
        conf = render_prj_conf(_renamed(report), zephyr_version=view.zephyr_version)
        target = report.target
        targets.append([target.name, target.full_name, report.facts.get("ARCH", target.arch),
                        report.facts.get("SOC", target.soc), group_of(report)[1],
                        row, intern(conf)])
    return {"zephyr": view.zephyr_version, "verdicts": list(VERDICTS),
            "labels": [VERDICT_LABELS[v] for v in VERDICTS], "mark": TARGET_MARK,
            "recs": recs, "strings": list(strings),
            "rows": [json.loads(row) for row in rows], "targets": targets}


def _renamed(report: BoardReport) -> BoardReport:
    """The report with the target's name replaced by a mark: equal fragments share text."""
    from dataclasses import replace
    return replace(report, target=replace(report.target, name=TARGET_MARK))


def _write_asset(path: Path, text: str) -> None:
    """Atomic, and readable by a web server like Sphinx's own assets (0644)."""
    tmp = temp_beside(path, text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def write_data(app: Sphinx, exception: Exception | None) -> None:
    """``build-finished``: the finder's script and data, beside the page's other assets.

    The data (every target's verdicts and fragment) is made again only when what it
    shows changed: the answers' key (tree, settings asked, code), the recommendations'
    titles and the pages they are on. A build with nothing to do renders nothing."""
    if exception is not None or app.builder.format != "html":
        return
    domain = app.env.get_domain("secguide")
    # Relative to the site root; the finder page knows its own depth (data-root).
    urls = {item_id: f"{app.builder.get_target_uri(docname)}#{item_id}"
            for item_id, (docname, _line) in domain.data["items"].items()}
    static = Path(app.outdir) / "_static"
    for asset in (SCRIPT, CSS):
        _write_asset(static / asset, (STATIC / asset).read_text(encoding="utf-8"))
    state = get_state(app.env)
    try:
        answers = state.project.board_reports_key()
    except SecguideError:
        answers = None
    key = None if answers is None else hashlib.sha256(
        json.dumps([answers, urls], sort_keys=True).encode()).hexdigest()
    stamp = static / DATA_KEY
    if key is not None and (static / DATA).is_file() and stamp.is_file() \
            and stamp.read_text(encoding="utf-8") == key:
        return
    payload = json.dumps(boards_data(_view(state), urls), ensure_ascii=True,
                         separators=(",", ":"), sort_keys=False)
    _write_asset(static / DATA, f"window.SECGUIDE_BOARDS = {payload};\n")
    if key is not None:
        _write_asset(stamp, key)


def setup_boards(app: Sphinx) -> None:
    app.connect("env-before-read-docs", load_view)
    app.add_css_file(CSS)
    app.add_directive("secguide-your-board", YourBoardDirective)
    app.add_directive("secguide-board-counts", BoardCountsDirective)
    app.connect("build-finished", write_data)
