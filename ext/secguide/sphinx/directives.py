"""Directives that render the threat model into pages, as docutils nodes.

Each directive names the facets of the model it shows (:mod:`secguide.sphinx.shown`:
the page is read again when one of them changes, not when a YAML file is saved), claims
the items it renders in the ``secguide`` domain (each item is one need, shown on
one page), and builds nodes directly. YAML prose is parsed in the restricted
profile of :mod:`secguide.sphinx.prose` with its own file as the source, so
markup problems point at the YAML file.

======================================  =============================================
directive                               renders
======================================  =============================================
``secguide-scope``                      boundary, shared responsibility, assumptions
``secguide-assets``                     assets, with the threats against each and the
                                        guide's answer to them
``secguide-adversaries``                adversaries (``:addressed: yes|no``)
``secguide-out-of-scope``               out-of-scope items
``secguide-threats``                    threats
``secguide-responsibilities``           developer responsibilities
``secguide-recommendations``            recommendations and their settings
                                        (``:area:``, ``:tag:``, ``:status:``,
                                        ``:architecture:``)
``secguide-settings``                   table of recommended Kconfig settings
``secguide-verifications``              verification needs (:mod:`.verifications`)
``secguide-review-status``              review state of every reviewable item
``secguide-coverage``                   trace gaps and ``hardened.csv`` coverage
``secguide-drift``                      changes of the model's symbols since a baseline
``secguide-codes``                      the catalogue of diagnostic codes
======================================  =============================================
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import directives
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective

from secguide import headers as H
from secguide.codes import CATALOGUE, Code, Scope
from secguide.diagnostics import SourceLoc
from secguide.model.items import (
    AREAS,
    STATUSES,
    MetBy,
    Recommendation,
)
from secguide.sphinx.domain import SELECTION_OPTIONS, item_reference
from secguide.sphinx.flows import flow_label
from secguide.sphinx.kconfig import ABSENT_SYMBOL, mention, option_reference
from secguide.sphinx.model import ModelState, get_state
from secguide.sphinx.needs import need_nodes
from secguide.sphinx.prjconf import prj_conf_blocks
from secguide.sphinx.prose import prose_nodes
from secguide.sphinx.shown import note_shown
from secguide.sphinx.warnings import warn
from secguide.trace.guide_pages import Selection, split_list
from secguide.trace.needs import NeedItem, setting_id
from secguide.trace.page_digests import Facet, options_arg
from sphinx import addnodes

if TYPE_CHECKING:  # imported when a page is read, not with the extension
    from secguide.trace.drift import Successor
    from secguide.trace.standards import ClauseRow

#: Statuses a reader must be warned of, as (badge, short warning) on the item's status line.
STATUS_NOTES = {
    "draft": ("Draft", "not for product decisions yet"),
    "review": ("In review", "may still change"),
    "deprecated": ("Deprecated", "no longer applies; see its replacement"),
}


def _list_option(argument: str | None) -> tuple[str, ...]:
    return split_list(argument)


def _yes_no(argument: str | None) -> str:
    return directives.choice(argument, ("yes", "no"))


class ModelDirective(SphinxDirective):
    """Common ground: what the page shows, item claims, YAML prose and status lines."""

    has_content = False
    #: Whether the card head says the status even below a status line: for a status
    #: that line never says (an asset's protection state is no workflow status).
    status_in_card: ClassVar[bool] = False

    @property
    def model_state(self) -> ModelState:
        return get_state(self.env)

    def run(self) -> list[nodes.Node]:
        note_shown(self.env, *self.facets())
        self.env.get_domain("secguide").note_model_doc(self.env.docname)
        return self.render()

    def facets(self) -> list[Facet]:
        """What of the model this directive shows; by default all of it."""
        return [("model",)]

    def render(self) -> list[nodes.Node]:
        raise NotImplementedError

    def claim(self, item: NeedItem) -> bool:
        """True when this directive may render ``item`` (no other place does)."""
        earlier = self.env.get_domain("secguide").claim(item.id, self.env.docname, self.lineno)
        if earlier is None:
            return True
        where = f"{self.env.doc2path(earlier[0])}:{earlier[1]}"
        warn(Code.DUPLICATE_ITEM,
             f"{item.id} is already rendered at {where}; each item is shown once",
             self.get_location())
        return False

    def need(self, item: NeedItem) -> list[nodes.Node]:
        """The need of ``item``, after its status line when it has one."""
        if not self.claim(item):
            return []
        status = self.status_line(item)
        # the status is said once: on the line when there is one
        show_status = not status or self.status_in_card
        rendered = [*self.origin_line(item), *status,
                    *need_nodes(self, item, self.model_state.absolute(item.loc),
                                show_status=show_status)]
        return [self.index_entry(item), *rendered]

    def index_entry(self, item: NeedItem) -> addnodes.index:
        """One general-index entry per item: its ID and title ("REC-X — Stack canaries").

        The IDs' prefixes (ADV-, REC-, THR-, ...) already group the index by kind; a
        second entry per kind would list every item twice.
        """
        title = item.title.replace(";", ",")  # ";" would split the entry into sub-entries
        text = f"{item.id} — {title}" if title and title != item.id else item.id
        return addnodes.index(entries=[("single", text, item.id, "", None)])

    def origin_line(self, item: NeedItem) -> list[nodes.Node]:
        """A product guide's line above each card: where the item comes from."""
        origin = item.extra.get("origin")
        if not origin:
            return []
        kind = origin.split(" ", 1)[0]
        # no apostrophes: Sphinx would turn them into typographic quotes
        text = {"product": "From the product threat model",
                "override": "From the product threat model, in place of the guide item"}.get(
                    kind, f"From the {origin}")
        line = nodes.paragraph("", text, classes=["secguide-origin", f"secguide-origin-{kind}"])
        self.set_source_info(line)
        return [line]

    def status_line(self, item: NeedItem) -> list[nodes.Node]:
        """One line above the card: a status to be warned of, and the Working Group review.

        ``[Draft] not for product decisions yet · Working Group review: [unreviewed]``.
        Plain text and classes only, so it reads without JavaScript and in print, where
        the stylesheet keeps it on the page of its card.
        """
        note = STATUS_NOTES.get(item.status)
        review = self.model_state.reviews.get(item.id)
        if note is None and review is None:
            return []
        line = nodes.paragraph("", "", classes=["secguide-status", "secguide-review-line"])
        if item.status:
            line["classes"].append(f"secguide-status-{item.status}")
        if note is not None:
            badge, warning = note
            line += nodes.inline(badge, badge, classes=["secguide-badge",
                                                        f"secguide-badge-{item.status}"])
            line += nodes.Text(f" {warning}")
            if review is not None:
                line += nodes.Text(" · ")
        if review is not None:
            line += nodes.Text("Working Group review: ")
            line += review_state_badge(review.status.value)
            if review.stamp is not None:
                line += nodes.Text(f" ({review.stamp.by}, {review.stamp.date})")
            if review.status.value == "suspect":
                line += nodes.Text(f" — {'; '.join(review.reasons)}")
        self.set_source_info(line)
        return [line]

    def prose(self, text: str, loc: SourceLoc) -> list[nodes.Node]:
        """YAML prose in the restricted profile, located in its YAML file."""
        return prose_nodes(self, text, self.model_state.absolute(loc), loc.line)

    def items_of(self, kind: str) -> list[NeedItem]:
        return [item for item in self.model_state.items if item.type == kind]


#: a heading word that names a file or an option: ``.config``, ``hardened.csv``, ``--waivers``
_FILE_OR_OPTION = re.compile(r"^[-.]|\.(csv|ya?ml|conf|config|rst)$")


def titled_section(directive: SphinxDirective, title: str) -> nodes.section:
    """A real section, not a rubric: it shows in the page's contents and gets an anchor.

    A directive may return sections when it stands at section level (as these do).
    Words that are file names or options (``.config``, ``--waivers``) are literals, so
    that smart quotes do not turn ``--`` into a dash.
    """
    section = nodes.section()
    heading = nodes.title(title, "")
    for index, word in enumerate(title.split(" ")):
        if index:
            heading += nodes.Text(" ")
        heading += (nodes.literal(word, word) if _FILE_OR_OPTION.search(word)
                    else nodes.Text(word))
    section += heading
    section["names"].append(nodes.fully_normalize_name(title))
    directive.state.document.note_implicit_target(section, section)
    directive.set_source_info(section)
    return section


class ScopeDirective(ModelDirective):
    """The security boundary, the shared responsibility, and the assumptions."""

    def facets(self) -> list[Facet]:
        return [("scope",)]

    def render(self) -> list[nodes.Node]:
        scope = self.model_state.model.scope
        if scope is None:
            return [nodes.paragraph("", "The threat model defines no scope.")]
        # Real sections, not rubrics: they belong in the page's contents and get anchors.
        result: list[nodes.Node] = []
        for label, text in (("Security boundary", scope.boundary),
                            ("Shared responsibility", scope.shared_responsibility)):
            section = self.section(label)
            section += self.prose(text, scope.loc)
            result.append(section)
        if scope.assumptions:
            section = self.section("Assumptions")
            for item in self.items_of("assumption"):
                section += self.need(item)
            result.append(section)
        return result

    def section(self, title: str) -> nodes.section:
        return titled_section(self, title)


class AssetsDirective(ModelDirective):
    """Each asset's card: its protection state in the guide is the card's status, the
    threats against it are its incoming ``endangers`` links (decided in
    :mod:`secguide.trace.assets`)."""

    status_in_card = True

    def facets(self) -> list[Facet]:
        # an asset's need holds its state, so a threat or a mitigation that changes the
        # state changes the need's digest too
        return [("kind", "asset")]

    def render(self) -> list[nodes.Node]:
        return [node for item in self.items_of("asset") for node in self.need(item)]


class AdversariesDirective(ModelDirective):
    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {"addressed": _yes_no}

    def facets(self) -> list[Facet]:
        return [("kind", "adversary")]

    def render(self) -> list[nodes.Node]:
        wanted = self.options.get("addressed")
        result: list[nodes.Node] = []
        for item in self.items_of("adversary"):
            addressed = "addressed" in item.tags
            if wanted is None or (wanted == "yes") == addressed:
                result += self.need(item)
        return result


class OutOfScopeDirective(ModelDirective):
    def facets(self) -> list[Facet]:
        return [("kind", "out_of_scope")]

    def render(self) -> list[nodes.Node]:
        return [node for item in self.items_of("out_of_scope") for node in self.need(item)]


class ThreatsDirective(ModelDirective):
    def facets(self) -> list[Facet]:
        return [("kind", "threat")]

    def render(self) -> list[nodes.Node]:
        return [node for item in self.items_of("threat") for node in self.need(item)]


class ResponsibilitiesDirective(ModelDirective):
    def facets(self) -> list[Facet]:
        return [("kind", "responsibility")]

    def render(self) -> list[nodes.Node]:
        return [node for item in self.items_of("responsibility") for node in self.need(item)]


class RecommendationFilter(ModelDirective):
    """Options shared by the views of recommendations; values are comma-separated lists."""

    option_spec: ClassVar[dict[str, Callable[[str], Any]]] = {
        "area": _list_option, "tag": _list_option, "status": _list_option,
        "architecture": _list_option,
    }

    #: the facet kind of what this view shows of its selection
    facet_kind: ClassVar[str] = "recommendations"

    def facets(self) -> list[Facet]:
        """The selection (a recommendation joining or leaving it re-reads the page) and
        what this view shows of each chosen recommendation."""
        options = {name: list(self.options.get(name, ())) for name in SELECTION_OPTIONS}
        return [(self.facet_kind, options_arg(options))]

    def selected(self) -> list[Recommendation]:
        """The recommendations matching every given option (unknown values are warned)."""
        for option, allowed in (("area", AREAS), ("status", STATUSES)):
            for value in self.options.get(option, ()):
                if value not in allowed:
                    warn(Code.BAD_OPTION, f":{option}: {value!r} is none of "
                         f"{', '.join(allowed)}", self.get_location())
        # the one filter, shared with secguide.trace's "shown on no page" check
        selection = Selection.from_options(self.options)
        return [rec for rec in self.model_state.model.recommendations if selection.matches(rec)]


class RecommendationsDirective(RecommendationFilter):
    """Each chosen recommendation as a need, followed by the needs of its settings."""

    def render(self) -> list[nodes.Node]:
        chosen = self.selected()
        if not chosen:
            text = "No recommendation matches this selection."
            return [nodes.paragraph(text, text)]
        result: list[nodes.Node] = self.flow_link()
        for rec in chosen:
            if rec.status != "deprecated":
                result += self.rendered(rec)
        # Deprecated items are history, not advice: apart, after the live ones, marked.
        deprecated = [rec for rec in chosen if rec.status == "deprecated"]
        if deprecated:
            box = nodes.container(classes=["secguide-deprecated-items"])
            title = "Deprecated recommendations"
            box += nodes.rubric(title, title)
            text = ("These no longer apply to current Zephyr releases. They stay so that "
                    "a reader of an older version of this guide finds what replaced them.")
            box += nodes.paragraph(text, text)
            for rec in deprecated:
                box += self.rendered(rec)
            result.append(box)
        areas = self.options.get("area", ())
        if len(areas) == 1:
            title = "Copy-paste configuration"
            text = ("The prj.conf lines of this area's current recommendations, per "
                    "profile; strict includes base.")
            result += [nodes.rubric(title, title), nodes.paragraph(text, text),
                       *prj_conf_blocks(self, self.model_state, areas[0])]
        return result

    def rendered(self, rec: Recommendation) -> list[nodes.Node]:
        """The recommendation's need and the needs of its settings."""
        state = self.model_state
        item = state.item(rec.id)
        if item is None:
            return []
        result = self.need(item)
        result += accepted_conflict_lines(rec)
        for setting in rec.settings:
            setting_item = state.item(setting_id(rec, setting))
            if setting_item is not None and self.claim(setting_item):
                # a setting's status is its recommendation's, said on the line above
                result += need_nodes(self, setting_item, state.absolute(setting_item.loc),
                                     show_status=False)
        return result

    def flow_link(self) -> list[nodes.Node]:
        """On a one-area page: a link to the area's trace diagram."""
        areas = self.options.get("area", ())
        if len(areas) != 1:
            return []
        ref = pending_xref("", refdomain="std", reftype="ref", reftarget=flow_label(areas[0]),
                           refexplicit=True, refwarn=True)
        ref += nodes.inline("trace diagram of this area", "trace diagram of this area")
        return [nodes.paragraph("", "How these recommendations connect to threats and "
                                "settings: ", ref, nodes.Text("."),
                                classes=["secguide-flow-link"])]


def accepted_conflict_lines(rec: Recommendation) -> list[nodes.Node]:
    """One line per profile conflict the recommendation keeps on purpose, under its card:
    which recommendation's setting wins, and the reason (YAML text, shown as plain text)."""
    lines: list[nodes.Node] = []
    for entry in rec.accepted_conflicts:
        line = nodes.paragraph("", "", classes=["secguide-accepted-conflict"])
        line += nodes.strong("Conflict kept on purpose: ", "Conflict kept on purpose: ")
        line += nodes.Text(f"in a profile that also holds {entry.with_id}, that "
                           f"recommendation's setting wins over this one. {entry.reason}")
        lines.append(line)
    return lines


_MET_BY_TEXT = {MetBy.CONFIGURATION: "Addressed by Zephyr configuration",
                MetBy.PRODUCT: "Left to the product", MetBy.NOT_APPLICABLE: "Not applicable",
                MetBy.NOT_ADDRESSED: "Not addressed by this guide"}


class StandardDirective(ModelDirective):
    """One standard of the crosswalk: each clause, then what addresses it, its Kconfig
    settings and its verifications (``.. secguide-standard:: EN-303-645``)."""

    required_arguments = 1

    def facets(self) -> list[Facet]:
        return [("standard", self.arguments[0])]

    def render(self) -> list[nodes.Node]:
        model = self.model_state.model
        standard = model.standard(self.arguments[0])
        if standard is None:
            known = ", ".join(s.key for s in model.standards) or "none"
            warn(Code.BAD_OPTION, f"no standard {self.arguments[0]!r} in the threat "
                 f"model; known: {known}", self.get_location())
            return []
        from secguide.trace.standards import standard_coverage
        report = standard_coverage(model, standard)
        counts = report.counts()
        intro = (f"{standard.name}, {standard.edition}. The full list of its "
                 f"{counts['clauses']} assessed clauses"
                 + (f" under {counts['groups']} group headings" if counts["groups"] else "")
                 + f": {counts['met_by_configuration']} addressed by Zephyr configuration "
                 "(the product's responsibilities named beside it stay open), "
                 f"{counts['met_by_product']} left to the product, "
                 f"{counts['met_by_not_applicable']} not applicable, "
                 f"{counts['met_by_not_addressed']} not addressed by this guide.")
        result: list[nodes.Node] = [*self.prose(standard.summary, standard.loc),
                                    nodes.paragraph(intro, intro)]
        if standard.note:
            result += self.prose(standard.note, standard.loc)
        rows = {row.clause.id: row for row in report.rows}
        for clause in standard.entries:
            item = self.model_state.item(clause.id)
            if item is None:
                continue
            result += self.need(item)
            if clause.id in rows:
                result.append(_table((H.ADDRESSED_BY, H.KCONFIG_SETTINGS, H.VERIFIED_BY),
                                     [self._chain(rows[clause.id])], (40, 35, 25),
                                     ("secguide-clause-chain",)))
        return result

    def _chain(self, row: ClauseRow) -> list[nodes.Node]:
        met = _MET_BY_TEXT[row.clause.met_by]
        if row.clause.level:
            met += f" ({row.clause.level})"
        addressed = nodes.paragraph("", "", nodes.strong(met, met), nodes.Text(": "))
        for index, target in enumerate(row.clause.mapped):
            if index:
                addressed += nodes.Text(", ")
            addressed += item_reference(target)
        if not row.clause.mapped:
            addressed += nodes.Text("see the justification"
                                    if row.clause.met_by in (MetBy.NOT_APPLICABLE,
                                                             MetBy.NOT_ADDRESSED)
                                    else "nothing yet")
        settings = nodes.paragraph()
        for index, text in enumerate(row.settings):
            if index:
                settings += nodes.Text(", ")
            settings += nodes.literal(text, text)
        if not row.settings:
            settings += nodes.Text("none (left to the product)" if row.clause.met_by == "product"
                                   else "none")
        tests = nodes.paragraph()
        for index, (need_id, kind) in enumerate(row.verifications):
            if index:
                tests += nodes.Text(", ")
            tests += item_reference(need_id)
            tests += nodes.Text(f" ({kind.replace('-', ' ')})")
        if not row.verifications:
            tests += nodes.Text("none")
        return [addressed, settings, tests]


def _table(headers: Sequence[str], rows: Iterable[Sequence[nodes.Node | str]],
           widths: Sequence[int], classes: Sequence[str] = ()) -> nodes.table:
    """A table; empty ``widths`` leave the column widths to the browser."""
    # "colwidths-given" makes the HTML writer emit the colspec widths as <col> styles.
    given = ["colwidths-given"] if widths else []
    table = nodes.table(classes=["secguide-table", *given, *classes])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths or [1] * len(headers):
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    head += _row(headers)
    group += head
    body = nodes.tbody()
    for row in rows:
        body += _row(row)
    group += body
    return table


def _row(cells: Sequence[nodes.Node | str]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        if isinstance(cell, str):
            entry += nodes.paragraph(cell, cell)
        else:
            body = isinstance(cell, nodes.paragraph | nodes.bullet_list | nodes.container)
            entry += cell if body else nodes.paragraph("", "", cell)
        row += entry
    return row


class SettingsDirective(RecommendationFilter):
    """A table of the Kconfig settings of the chosen recommendations."""

    facet_kind = "settings"  # IDs, statuses and values: a rationale edit leaves it be

    def render(self) -> list[nodes.Node]:
        db = self.model_state.db
        rows = []
        # deprecated recommendations' settings last, apart from the live ones, as the cards
        chosen = sorted(self.selected(), key=lambda rec: rec.status == "deprecated")
        for rec in chosen:
            for setting in rec.settings:
                symbol = db.get(setting.symbol)
                kind = (symbol.type if symbol else f"from Zephyr {setting.since}"
                        if setting.since else "not in this tree")
                required = setting.requirement_text.removeprefix(setting.config_name)
                required = required.removeprefix("=").strip() or "set"
                rows.append([option_reference(setting.symbol),
                             nodes.literal(required, required),
                             item_reference(rec.id), rec.status, kind])
        if not rows:
            text = "No recommended setting matches this selection."
            return [nodes.paragraph(text, text)]
        return [_table((H.KCONFIG_SYMBOL, H.VALUE, H.RECOMMENDATION, H.STATUS, H.TYPE),
                       rows, (30, 14, 30, 12, 14), ("secguide-settings",))]


class ReviewStatusDirective(ModelDirective):
    """A table of the review state of every recommendation and standard clause
    (:mod:`secguide.trace.review`).

    *reviewed*: stamped and unchanged since; *suspect*: the item or a Zephyr
    symbol it relies on changed after the stamp; *unreviewed*: never stamped.
    """

    def facets(self) -> list[Facet]:
        return [("reviews",)]

    #: suspect first: those need a reviewer now; then never reviewed; then done
    _ORDER = ("suspect", "unreviewed", "reviewed")

    def render(self) -> list[nodes.Node]:
        model = self.model_state.model
        reviews = [(item, self.model_state.reviews[item.id]) for item in model.reviewable()
                   if item.id in self.model_state.reviews]
        if not reviews:
            text = "The threat model has no recommendations to review."
            return [nodes.paragraph(text, text)]
        reviews.sort(key=lambda pair: self._ORDER.index(pair[1].status.value))
        counts = {state: sum(1 for _, r in reviews if r.status.value == state)
                  for state in self._ORDER}
        summary = nodes.paragraph("", f"{len(reviews)} reviewable items: ",
                                  classes=["secguide-review-counts"])
        for index, state in enumerate(self._ORDER):
            summary += [nodes.Text(", " if index else ""), review_state_badge(
                f"{counts[state]} {state}", state)]
        result: list[nodes.Node] = [summary]
        suspects = [(item, review) for item, review in reviews
                    if review.status.value == "suspect"]
        if suspects:
            listing = nodes.definition_list(classes=["secguide-review-suspects"])
            for item, review in suspects:
                term = nodes.term("", "", item_reference(item.id), nodes.Text(f" {review.title}"))
                body = nodes.definition()
                for change in review.changes:
                    body += nodes.paragraph(change.message, change.message)
                    if change.diff:
                        text = "\n".join(change.diff)
                        body += nodes.literal_block(text, text, language="diff")
                listing += nodes.definition_list_item("", term, body)
            section = titled_section(self, "Suspect: changed since the review")
            section += listing
            result.append(section)
        cells = []
        for item, review in reviews:
            stamp = f"{review.stamp.by}, {review.stamp.date}" if review.stamp else "never"
            # "never reviewed" would repeat the Review column on every unreviewed row
            reasons: nodes.Node = nodes.paragraph("—", "—")
            if review.status.value != "unreviewed":
                reasons = nodes.bullet_list()
                for reason in review.reasons:
                    reasons += nodes.list_item("", nodes.paragraph(reason, reason))
            # threats, assumptions and out-of-scope items have no status of their own
            cells.append([item_reference(item.id), review.title, getattr(item, "status", "-"),
                          stamp,
                          nodes.paragraph("", "", review_state_badge(review.status.value)),
                          reasons])
        section = titled_section(self, "Every reviewable item")
        section += _table((H.ITEM, H.TITLE, H.STATUS, H.LAST_REVIEW, H.REVIEW, H.WHY),
                          cells, (18, 30, 10, 16, 10, 30), ("secguide-review",))
        result.append(section)
        return result


def review_state_badge(text: str, state: str | None = None) -> nodes.inline:
    """A coloured badge for a review state (``reviewed``, ``suspect``, ``unreviewed``)."""
    return nodes.inline(text, text, classes=["secguide-review-state",
                                             f"secguide-review-{state or text}"])


class CoverageDirective(ModelDirective):
    """Trace gaps and the coverage of Zephyr's ``hardened.csv`` (:mod:`secguide.trace.coverage`)."""

    def facets(self) -> list[Facet]:
        return [("coverage",)]

    def render(self) -> list[nodes.Node]:
        report = self.model_state.coverage
        counts = report.counts()
        summary = [
            ("Current recommendations", counts["recommendations"]),
            ("Settings", counts["settings"]),
            ("Recommendations without a setting", counts["recommendations_without_settings"]),
            ("Recommendations without a verification",
             counts["recommendations_without_verifications"]),
            ("Threats without a mitigation", counts["threats_unmitigated"]),
            ("Verifications: target tests / build audits / manual checks",
             f"{counts['verifications_target_test']} / {counts['verifications_build_audit']} / "
             f"{counts['verifications_manual_check']}"),
            ("Guide checks (verify the guide against the tree, never a product)",
             counts["verifications_guide_check"]),
            ("hardened.csv symbols: covered / waived / absent / uncovered",
             f"{counts['hardened_covered']} / {counts['hardened_waived']} / "
             f"{counts['hardened_absent']} / {counts['hardened_uncovered']}"),
            ("Gaps", counts["gaps"]),
        ]
        if report.results_evaluated:
            summary.insert(2, ("Settings whose verification failed or did not run",
                               counts["settings_not_verified"]))
        result: list[nodes.Node] = [_table((H.MEASURE, H.COUNT),
                                           [(label, str(value)) for label, value in summary],
                                           (70, 30), ("secguide-coverage",))]
        gaps = [*report.without_settings, *report.without_verifications,
                *report.unmitigated_threats]
        if gaps:
            section = titled_section(self, "Gaps in the trace")
            listing = nodes.bullet_list()
            for ref in gaps:
                listing += nodes.list_item("", nodes.paragraph("", "", item_reference(ref.id)))
            section += listing
            result.append(section)
        if report.settings_not_verified:
            # the summary counts them as gaps: an assessor needs to see which they are
            section = titled_section(self, "Settings not verified by these results")
            text = ("Settings whose build audits, target tests and manual checks have no "
                    "passing result in the configured results (guide checks never count).")
            section += nodes.paragraph(text, text)
            section += _table(
                (H.KCONFIG_SYMBOL, H.RECOMMENDATION, H.RESULT),
                [[self.setting_symbol(s.symbol), item_reference(s.recommendation),
                  s.outcome.value] for s in report.settings_not_verified],
                (45, 35, 20), ("secguide-not-verified",))
            result.append(section)
        rows = []
        for entry in report.hardened:  # in the file's order, to read beside it
            if entry.covered_by:
                where: nodes.Node = nodes.paragraph("", "", *[
                    node for rec_id in entry.covered_by
                    for node in (item_reference(rec_id), nodes.Text(" "))])
            elif entry.waiver is not None:
                where = nodes.paragraph(entry.waiver.reason, entry.waiver.reason)
            else:
                text = f"not defined in Zephyr {report.zephyr_version}"
                where = nodes.emphasis(text, text)
            if entry.defined:
                mention(self.env, entry.entry.symbol, self.lineno)
                symbol: nodes.Node = option_reference(entry.entry.symbol)
            else:
                symbol = nodes.literal(f"CONFIG_{entry.entry.symbol}",
                                       f"CONFIG_{entry.entry.symbol}",
                                       classes=[ABSENT_SYMBOL])
            rows.append([symbol, nodes.literal(entry.entry.value, entry.entry.value),
                         entry.status, where])
        if rows:
            section = titled_section(self, f"Zephyr's {report.hardened_source}")
            section += _table((H.KCONFIG_SYMBOL, H.VALUE, H.COVERAGE, H.COVERED_BY), rows,
                              (34, 12, 11, 43), ("secguide-hardened",))
            result.append(section)
        return result


    def setting_symbol(self, symbol: str) -> nodes.Node:
        """A recommended symbol, linked to its Kconfig entry when the tree defines it."""
        name = symbol.removeprefix("CONFIG_")
        if name in self.model_state.db:
            mention(self.env, name, self.lineno)
            return option_reference(name)
        return nodes.literal(symbol, symbol, classes=[ABSENT_SYMBOL])


class DriftDirective(ModelDirective):
    """How the symbols the model uses changed since a baseline release (``trace.drift``).

    Renders a note when ``secguide_baseline_zephyr_base`` is not set, so a page
    can carry the directive unconditionally.
    """

    def facets(self) -> list[Facet]:
        return [("drift",)]

    #: statuses in the order a reviewer needs them, with how the summary says them
    _ORDER = {"removed": "were removed", "changed": "changed", "added": "are new",
              "undefined": "are defined in neither tree", "unchanged": "are unchanged"}

    def render(self) -> list[nodes.Node]:
        report = self.model_state.drift
        if report is None:
            text = ("No baseline release is configured (secguide_baseline_zephyr_base), "
                    "so there is nothing to compare against.")
            return [nodes.paragraph(text, text)]
        # Symbols a later release brings (the settings' since:) are counted apart from
        # those missing from both trees, which would otherwise read as rot.
        later = len(report.later_release)
        sizes = {status: len(report.by_status(status)) - (later if status == "undefined" else 0)
                 for status in self._ORDER}
        phrases = [f"{sizes[status]} {phrase}" for status, phrase in self._ORDER.items()
                   if sizes[status]]
        if later:
            phrases.insert(-1 if sizes["unchanged"] else len(phrases),
                           f"{later} come with a later release than {report.new_version}, "
                           "as their settings say (since)")
        intro = (f"Between Zephyr {report.old_version} and Zephyr {report.new_version}, of the "
                 f"{len(report.symbols)} symbols this guide uses or used: "
                 f"{', '.join(phrases)}.")
        rows = []
        rank = list(self._ORDER)
        for entry in sorted(report.symbols, key=lambda e: (rank.index(e.status), e.name)):
            if entry.status == "unchanged":
                continue
            # Messages name removed symbols on purpose (e.g. "CONFIG_X no longer exists").
            changes = nodes.container(classes=[ABSENT_SYMBOL, "secguide-drift-changes"])
            for change in entry.changes:
                changes += nodes.paragraph(change.message, change.message)
                if change.diff:
                    text = "\n".join(change.diff)
                    block = nodes.literal_block(text, text, language="diff")
                    changes += block
            successors = [s for s in entry.successors if _strong_successor(s)]
            if successors:
                para = nodes.paragraph("", "Successor: " if len(successors) == 1
                                       else "Successors: ")
                for index, successor in enumerate(successors):
                    if index:
                        para += nodes.Text(", ")
                    if successor.exists:
                        mention(self.env, successor.name, self.lineno)
                        para += option_reference(successor.name)
                    else:
                        para += nodes.literal(successor.name, f"CONFIG_{successor.name}")
                    para += nodes.Text(f" ({successor.why})")
                changes += para
            name = f"CONFIG_{entry.name}"
            term = nodes.term()
            if entry.name in self.model_state.db:
                mention(self.env, entry.name, self.lineno)
                term += option_reference(entry.name)
            else:
                term += nodes.literal(name, name, classes=[ABSENT_SYMBOL])
            status = "new" if entry.status == "added" else entry.status
            if entry.later_release:  # expected in neither tree: the model says so (since:)
                status = f"from Zephyr {entry.since}"
            term += nodes.Text(" ")
            term += nodes.inline(status, status, classes=[
                "secguide-badge", f"secguide-drift-{entry.status}"])
            users = [item_id for item_id in dict.fromkeys(u.item_id for u in entry.usages)]
            if users:
                term += nodes.Text(" used by ")
                for index, item_id in enumerate(users):
                    if index:
                        term += nodes.Text(", ")
                    term += item_reference(item_id) if item_id else nodes.Text("a waiver")
            rows.append(nodes.definition_list_item("", term, nodes.definition("", changes)))
        result: list[nodes.Node] = [nodes.paragraph(intro, intro)]
        note = ("Successors listed are those the threat model records (replaced_by, or a "
                "deprecated item's replacement) and symbols whose help text is nearly the "
                "same; names that merely look alike are left out here and listed by "
                "secguide drift.")
        result.append(nodes.paragraph(note, note))
        if rows:
            result.append(nodes.definition_list("", *rows, classes=["secguide-drift"]))
        return result


#: A successor found by help-text similarity is shown from this score up; below it, and
#: for names that only look alike, the guide would present a guess as a fact.
STRONG_HELP_SIMILARITY = 0.8


def _strong_successor(successor: Successor) -> bool:
    return successor.why == "recorded" or (
        successor.why == "similar help" and successor.score >= STRONG_HELP_SIMILARITY)


class CodesDirective(SphinxDirective):
    """The diagnostic-code catalogue (:mod:`secguide.codes`): one definition list per scope.

    A list, not a table: it reads at phone width without sideways scrolling.
    """

    has_content = False

    def run(self) -> list[nodes.Node]:
        result: list[nodes.Node] = []
        for scope in Scope:
            infos = [info for info in CATALOGUE.values() if info.scope is scope]
            if not infos:
                continue
            section = titled_section(self, f"Reported by {scope.reported_by}")
            listing = nodes.definition_list(classes=["secguide-codes"])
            for info in infos:
                item = nodes.definition_list_item()
                term = nodes.term()
                term += nodes.literal(info.code.value, info.code.value)
                definition = nodes.definition()
                definition += nodes.paragraph(info.summary, info.summary)
                item += [term, definition]
                listing += item
            section += listing
            result.append(section)
        return result


DIRECTIVES: dict[str, type[SphinxDirective]] = {
    "secguide-scope": ScopeDirective,
    "secguide-assets": AssetsDirective,
    "secguide-adversaries": AdversariesDirective,
    "secguide-out-of-scope": OutOfScopeDirective,
    "secguide-threats": ThreatsDirective,
    "secguide-responsibilities": ResponsibilitiesDirective,
    "secguide-recommendations": RecommendationsDirective,
    "secguide-settings": SettingsDirective,
    "secguide-review-status": ReviewStatusDirective,
    "secguide-coverage": CoverageDirective,
    "secguide-drift": DriftDirective,
    "secguide-codes": CodesDirective,
    "secguide-standard": StandardDirective,
}


def setup_directives(app: Sphinx) -> None:
    """Register every model directive."""
    for name, directive in DIRECTIVES.items():
        app.add_directive(name, directive)
