"""The "Your board" page and per-recommendation board counts.

Every board target of the tree is evaluated (from the on-disk cache when the tree is
unchanged; see :mod:`secguide.trace.boards`) only when a table must be made again: a
build with nothing to do, or with an edit no board table shows, evaluates nothing.

* ``secguide-your-board`` renders a search box whose script filters a compact
  data file (:mod:`secguide.sphinx.board_data`), plus summary tables per
  architecture and SoC series.
* ``secguide-board-counts`` (``:area:``) renders, for the recommendations of an
  area, on how many targets each is available, already the default, needs other
  settings, depends on the devicetree, or is unavailable, with the reasons
  grouped. It is a separate table below the recommendation cards.

What a table shows is kept in the ``secguide-boards`` domain with the key of the
verdicts it was made from (:func:`tables_key`: tree, settings asked, their scopes,
recommendation IDs, code; not titles or prose, which the tables do not show). A page
is read again when its table would now show something else (``env-get-outdated``):
when the key changed, the table is made again and compared with what the page shows,
so a setting edit that changes no count re-reads no page. A page read again for
another reason (its own YAML file's prose) takes its table from the domain.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable, Set
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.application import Sphinx
from sphinx.domains import Domain
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective

from secguide import headers as H
from secguide.diagnostics import SecguideError
from secguide.sphinx.board_data import DATA, SCRIPT, setup_board_data
from secguide.sphinx.domain import item_reference
from secguide.sphinx.kconfig import ABSENT_SYMBOL
from secguide.sphinx.model import ModelState, get_state, inputs_unchanged, load_state

# The verdicts and the board page's data are imported when a table is made, not with
# the extension: a build with nothing to do makes none.
if TYPE_CHECKING:
    from secguide.evidence.board_page import BoardPage
    from secguide.trace.board_summary import BoardSummary


@dataclass(frozen=True, slots=True)
class BoardsView:
    #: the counts and the finder's data (None when the tree has no board targets)
    page: BoardPage | None
    zephyr_version: str
    #: why there are no targets (e.g. a legacy tree), shown on the page instead
    unavailable: str = ""


#: The last state's verdicts: (state, view). The state itself, not its id(), is kept:
#: a new state may be given a freed one's id.
_VIEW: list[tuple[ModelState, BoardsView]] = []


def view_of(state: ModelState) -> BoardsView:
    """What the board pages show of every target, once per model and tree state: read
    from the cache folder, or made in one pass over the targets' reports."""
    if _VIEW and _VIEW[0][0] is state:
        return _VIEW[0][1]
    from secguide.evidence.board_page import board_page
    project = state.project
    version = project.tree.version
    try:
        reports = project.iter_board_reports()
        view = BoardsView(board_page(project.board_reports_key(), reports, version,
                                     cache_dir=project.cache_dir,
                                     use_cache=project.use_cache), version)
    except SecguideError as error:
        view = BoardsView(None, version, unavailable=str(error))
    _VIEW[:] = [(state, view)]
    return view


def get_view(env: BuildEnvironment) -> BoardsView:
    return view_of(get_state(env))


# -- what each table shows (plain data: compared between builds, kept in the domain) ------

#: A table's content: ``{"targets": n, "zephyr": version, "unavailable": why, "rows": ...}``
Content = dict[str, Any]


def _content(view: BoardsView, rows: Callable[[BoardSummary], Any]) -> Content:
    if view.page is None:
        return {"targets": 0, "zephyr": view.zephyr_version, "unavailable": view.unavailable,
                "rows": []}
    summary = view.page.summary
    return {"targets": summary.targets, "zephyr": view.zephyr_version, "unavailable": "",
            "rows": rows(summary)}


def counts_rows(summary: BoardSummary, rec_ids: list[str]) -> list[list[Any]]:
    """Per recommendation: [ID, targets per verdict, reasons why not (at most four lines)]."""
    from secguide.trace.boards import VERDICTS
    summaries = {s.rec_id: s for s in summary.recommendations}
    rows = []
    for rec_id in rec_ids:
        found = summaries.get(rec_id)
        if found is None:
            continue
        reasons = [f"{count}: {reason}" for reason, count in found.reasons[:3]]
        if len(found.reasons) > 3:
            rest = sum(count for _, count in found.reasons[3:])
            reasons.append(f"{rest}: {len(found.reasons) - 3} other reasons")
        rows.append([rec_id, [found.counts[v] for v in VERDICTS], reasons])
    return rows


def arch_rows(summary: BoardSummary) -> dict[str, Any]:
    """Recommendation x architecture: on how many targets it can be applied."""
    archs = list(summary.architectures)
    return {"archs": [[arch, summary.architectures[arch]] for arch in archs],
            "rows": [[rec_id, [by_arch.get(arch, 0) for arch in archs]]
                     for rec_id, by_arch in summary.applicable.items()]}


def series_rows(summary: BoardSummary) -> list[list[Any]]:
    """Per architecture and SoC series: how many recommendations apply to a typical target."""
    from secguide.trace.board_summary import SERIES_COLUMNS
    return [[row.arch, row.series, row.targets, *[row.medians[column] for column in SERIES_COLUMNS]]
            for row in summary.series]


def finder_rows(summary: BoardSummary) -> dict[str, Any]:
    return {"matrix": arch_rows(summary), "series": series_rows(summary)}


def table_id(kind: str, rec_ids: list[str] | None = None) -> str:
    """Names a table by what it shows: the finder's, or the counts of ``rec_ids``."""
    return json.dumps([kind, rec_ids or []])


def make_content(view: BoardsView, tid: str) -> Content:
    kind, rec_ids = json.loads(tid)
    if kind == "counts":
        return _content(view, lambda v: counts_rows(v, rec_ids))
    return _content(view, finder_rows)


def digest(content: Content) -> str:
    return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


# -- which pages show which table, and the tables of the last build ---------------------

class BoardTablesDomain(Domain):
    """``data["pages"]``: docname -> [{"tid", "areas", "shown"}] for each board table on
    it (``areas``: the counts directive's option, to notice a recommendation joining or
    leaving an area; ``shown``: the digest of the content the page was read with).
    ``data["tables"]``: table ID -> [key, content], not per page: a page read again
    finds its table there when the key is unchanged. ``data["links"]``: docname -> the
    pages its tables' recommendation links pointed to when it was last written."""

    name = "secguide-boards"
    label = "Security guide board tables"
    initial_data: ClassVar[dict[str, Any]] = {"pages": {}, "tables": {}, "links": {}}
    data_version = 2

    def clear_doc(self, docname: str) -> None:
        self.data["pages"].pop(docname, None)
        self.data["links"].pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for doc, records in otherdata["pages"].items():
            if doc in docnames:
                self.data["pages"][doc] = records
        self.data["tables"].update(otherdata["tables"])


#: The last state's tables key: (state, code version, key).
_KEY: list[tuple[ModelState, Any, str | None]] = []


def tables_key(env: BuildEnvironment) -> str | None:
    """What every board table is made from, known without evaluating anything: the
    board reports' key (tree, settings asked and their scopes, recommendation IDs,
    code) of the model with its titles left out (no table shows them), and this
    extension's code. None when the evaluation is not cached (always make again)."""
    state = get_state(env)
    code = env.version.get("secguide.sphinx")
    if _KEY and _KEY[0][0] is state and _KEY[0][1] == code:
        return _KEY[0][2]
    from secguide.trace.boards import reports_key
    model = state.model
    untitled = dataclasses.replace(model, recommendations=tuple(
        dataclasses.replace(rec, title="") for rec in model.recommendations))
    project = state.project
    try:
        answers = reports_key(untitled, project.tree, cache_dir=project.cache_dir,
                              use_cache=project.use_cache)
    except SecguideError:
        answers = None
    key = None if answers is None else hashlib.sha256(
        json.dumps([answers, code]).encode()).hexdigest()
    _KEY[:] = [(state, code, key)]
    return key


def current_content(env: BuildEnvironment, tid: str) -> Content:
    """The table's content for this build: kept from an earlier read when made from the
    same key, else made from the verdicts (which evaluates them) and kept."""
    key = tables_key(env)
    tables = env.get_domain(BoardTablesDomain.name).data["tables"]
    held = tables.get(tid)
    if key is not None and held is not None and held[0] == key:
        return held[1]
    content = make_content(get_view(env), tid)
    if key is not None:
        tables[tid] = [key, content]
    return content


def area_ids(state: ModelState, areas: list[str] | None) -> list[str]:
    """The recommendations of ``areas`` (all when None), in model order."""
    return [rec.id for rec in state.model.recommendations
            if not areas or rec.area in areas]


def outdated_board_pages(app: Sphinx, env: BuildEnvironment, added: Set[str],
                         changed: Set[str], removed: Set[str]) -> list[str]:
    """``env-get-outdated``: pages whose board table would now show something else.

    A table whose key is unchanged shows the same; otherwise it is made again (the
    verdicts are evaluated, once) and compared with what the page shows. Nothing when
    the pages were made from the same model, tree and code (what every table shows)."""
    if inputs_unchanged(env):
        return []
    state = get_state(env)
    stale = []
    for doc, records in env.get_domain(BoardTablesDomain.name).data["pages"].items():
        if doc in removed or doc in changed:
            continue
        for record in records:
            areas = record["areas"]
            if areas is not None and record["tid"] != table_id("counts",
                                                               area_ids(state, areas)):
                stale.append(doc)  # a recommendation joined or left the area
                break
            if digest(current_content(env, record["tid"])) != record["shown"]:
                stale.append(doc)
                break
    return stale


def load_view_before_reading(app: Sphinx, env: BuildEnvironment,
                             docnames: list[str]) -> None:
    """``env-before-read-docs`` (before pages are forgotten): the verdicts, in the main
    process before parallel readers fork, but only when a page about to be read needs
    a table not kept from an earlier read, or is new (its directives are not known)."""
    if not docnames:
        return
    pages = env.get_domain(BoardTablesDomain.name).data["pages"]
    key = tables_key(env)
    tables = env.get_domain(BoardTablesDomain.name).data["tables"]
    new = any(doc not in env.all_docs for doc in docnames)
    missing = any(key is None or tables.get(record["tid"], [None])[0] != key
                  for doc in docnames for record in pages.get(doc, ()))
    if new or missing:
        view_of(load_state(app))


def linked_ids(tid: str, content: Content) -> list[str]:
    """The recommendations a table links to (its rows' first cells)."""
    if content["unavailable"]:
        return []
    if json.loads(tid)[0] == "counts":
        return [row[0] for row in content["rows"]]
    return [row[0] for row in content["rows"]["matrix"]["rows"]]


def rewrite_moved_links(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-get-updated``: pages whose tables link to a recommendation now rendered on
    another page are written again (not read: what they show is the same), so their
    links follow it."""
    domain = env.get_domain(BoardTablesDomain.name)
    items = env.get_domain("secguide").data["items"]
    moved = []
    for doc, records in domain.data["pages"].items():
        ids = sorted({rec_id for record in records for rec_id in record["links"]})
        where = digest({"pages": [items.get(rec_id, ("", 0))[0] for rec_id in ids]})
        if domain.data["links"].get(doc) != where:
            domain.data["links"][doc] = where
            moved.append(doc)
    return moved


def forget_unshown_tables(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-updated``: keep only the tables some page shows."""
    domain = env.get_domain(BoardTablesDomain.name)
    shown = {record["tid"] for records in domain.data["pages"].values() for record in records}
    for tid in set(domain.data["tables"]) - shown:
        del domain.data["tables"][tid]


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


def counts_table(rows: list[list[Any]]) -> nodes.Node:
    """Per recommendation: targets per verdict, and the reasons why not, grouped."""
    from secguide.trace.boards import VERDICTS
    cells: list[list[nodes.Node | str]] = []
    for rec_id, counts, reasons in rows:
        # Reasons quote the tree's expressions; like the drift page's change lists they are
        # not the guide's own mentions, so the Kconfig reference does not grow with them.
        listed = nodes.bullet_list(classes=[ABSENT_SYMBOL])
        for reason in reasons:
            listed += nodes.list_item("", nodes.paragraph(text=reason))
        cells.append([item_reference(rec_id, rec_id), *[str(count) for count in counts],
                      listed if reasons else "—"])
    headers = [H.RECOMMENDATION, *[H.VERDICT[v] for v in VERDICTS], H.WHY_NOT]
    return _table(headers, cells, [16, *[7] * len(VERDICTS), 35], ["secguide-board-counts"])


def arch_matrix(matrix: dict[str, Any]) -> nodes.Node:
    """Recommendation x architecture: on how many targets it can be applied."""
    rows: list[list[nodes.Node | str]] = [
        [item_reference(rec_id, rec_id), *[str(count) for count in counts]]
        for rec_id, counts in matrix["rows"]]
    headers = [H.RECOMMENDATION, *[H.architecture_column(arch, total)
                                   for arch, total in matrix["archs"]]]
    return _table(headers, rows, [20] + [6] * len(matrix["archs"]), ["secguide-board-matrix"])


def series_table(series: list[list[Any]]) -> nodes.Node:
    """Per architecture and SoC series: how many recommendations apply to a typical target."""
    rows: list[list[nodes.Node | str]] = [[str(cell) for cell in row] for row in series]
    headers = [H.ARCHITECTURE, H.SOC_SERIES, H.TARGETS, H.VERDICT["default"], H.CAN_BE_SET,
               H.VERDICT["devicetree"], H.VERDICT["unavailable"], H.OUT_OF_SCOPE]
    return _table(headers, rows, [12, 18, 8, 10, 10, 10, 10, 10], ["secguide-board-series"])


# -- directives -------------------------------------------------------------------------

class _BoardTableDirective(SphinxDirective):
    def shown(self, tid: str, areas: list[str] | None) -> Content:
        """The table's content, noted as what this page shows."""
        content = current_content(self.env, tid)
        pages = self.env.get_domain(BoardTablesDomain.name).data["pages"]
        pages.setdefault(self.env.docname, []).append(
            {"tid": tid, "areas": areas, "shown": digest(content),
             "links": linked_ids(tid, content)})
        return content


class YourBoardDirective(_BoardTableDirective):
    """The board finder, and summary tables per architecture and SoC series."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        content = self.shown(table_id("finder"), None)
        if content["unavailable"]:
            return [nodes.paragraph(text=f"Per-board evaluation is not available for this "
                                         f"tree: {content['unavailable']}")]
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
        count = nodes.paragraph(text=f"{content['targets']} board targets of Zephyr "
                                     f"{content['zephyr']} are evaluated.")
        arch_section = self._section("By architecture", "secguide-boards-by-arch", [
            nodes.paragraph(text="On how many targets of each architecture (their number is "
                                 "in the heading) a recommendation can be applied: already "
                                 "the default, available, or available with other settings."),
            arch_matrix(content["rows"]["matrix"])])
        series_section = self._section("By SoC series", "secguide-boards-by-series", [
            nodes.paragraph(text="For a typical target of each SoC series (the median): how "
                                 "many recommendations are already the default, can be set, "
                                 "depend on the devicetree, are unavailable, or are out of "
                                 "scope (the target lacks what they are about, or they "
                                 "apply only once the product enables their subsystem)."),
            series_table(content["rows"]["series"])])
        return [count, finder, arch_section, series_section]

    def _section(self, title: str, ident: str, body: list[nodes.Node]) -> nodes.section:
        section = nodes.section(ids=[ident])
        section += nodes.title(text=title)
        section.extend(body)
        return section


class BoardCountsDirective(_BoardTableDirective):
    """On how many board targets each recommendation (of an area) applies, and why not."""

    has_content = False
    option_spec: ClassVar[dict[str, Any]] = {"area": directives.unchanged}

    def run(self) -> list[nodes.Node]:
        areas = sorted({a.strip() for a in (self.options.get("area") or "").split(",")
                        if a.strip()})
        rec_ids = area_ids(get_state(self.env), areas)
        content = self.shown(table_id("counts", rec_ids), areas)
        if content["unavailable"]:
            return []
        return [nodes.paragraph(text=f"On the {content['targets']} board targets of Zephyr "
                                     f"{content['zephyr']} (before prj.conf):"),
                counts_table(content["rows"])]


def setup_boards(app: Sphinx) -> None:
    app.add_domain(BoardTablesDomain)
    app.connect("env-get-outdated", outdated_board_pages)
    # before the secguide domain forgets the pages to read (priority 500)
    app.connect("env-before-read-docs", load_view_before_reading, priority=400)
    app.connect("env-updated", forget_unshown_tables)
    app.connect("env-get-updated", rewrite_moved_links)
    app.add_directive("secguide-your-board", YourBoardDirective)
    app.add_directive("secguide-board-counts", BoardCountsDirective)
    setup_board_data(app, view_of)
