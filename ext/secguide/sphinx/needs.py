"""The one module that talks to sphinx-needs: configuration and need creation.

Need types, link types and fields come from :mod:`secguide.trace.needs` (the
single model-to-needs mapping); this module only hands them to sphinx-needs 9.1
(``needs_types``, ``needs_fields``, ``needs_links``) and turns one
:class:`~secguide.trace.needs.NeedItem` into need nodes with
``sphinx_needs.api.add_need``. A need's content is parsed as reStructuredText
from its YAML file and line (``MarkupContent.source``), so a markup problem in
a rationale is reported at the YAML line, not at the directive; it is parsed in
the restricted prose profile of :mod:`secguide.sphinx.prose`.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective
from sphinx_needs.api import InvalidNeedException, MarkupContent, add_need
from sphinx_needs.directives.needbar import Needbar
from sphinx_needs.directives.needextract import Needextract
from sphinx_needs.directives.needflow import NeedflowGraphiz, NeedflowPlantuml
from sphinx_needs.directives.needgantt import Needgantt
from sphinx_needs.directives.needlist import Needlist
from sphinx_needs.directives.needpie import Needpie
from sphinx_needs.directives.needsequence import Needsequence
from sphinx_needs.directives.needtable import Needtable
from sphinx_needs.directives.needuml import Needuml
from sphinx_needs.utils import add_doc

from secguide.codes import Code
from secguide.sphinx.model import get_app, get_state
from secguide.sphinx.prose import neutralize, prose_profile
from secguide.sphinx.warnings import warn
from secguide.trace.needs import EXTRA_FIELDS, LINK_TYPES, NEED_TYPES, NeedItem

#: IDs are upper-case words joined by hyphens: ``REC-STACK-CANARIES``.
NEED_ID_REGEX = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"

#: Colours of the link arrows in the traceability diagram.
_LINK_COLORS = {"mitigates": "#38761D", "threatened_by": "#CC0000",
                "implemented_by": "#B45F06", "verified_by": "#674EA7",
                "replaced_by": "#999999"}


#: The card every item is shown in: the title, the status and a short ID first, then
#: the item's text; the metadata and the trace links are folded under the arrow
#: (items are added collapsed), so a reader meets the point before the bookkeeping.
CARD_LAYOUT = "secguide"
#: The same card without the status word, for items whose status is said once, on the
#: status line above the card (see ``secguide.sphinx.directives``), and for settings,
#: whose status is their recommendation's.
CARD_LAYOUT_NO_STATUS = "secguide-no-status"

_COLLAPSE = ('<<collapse_button("meta", collapsed="icon:chevron-down", '
             'visible="icon:chevron-up", initial=False)>>')
_META = ['<<meta("type_name", prefix="kind: ")>>',
         '<<meta_all(no_links=True, exclude=["status", "title", "type_name", '
         '"layout", "style", "applies_when"])>>',
         "<<meta_links_all()>>"]
#: The second head line of a recommendation limited to a subsystem (``applies_to.when``):
#: the reader sees at once whether it concerns their build.
_SCOPE_LINE = '<<meta("applies_when", prefix="Applies when: ")>>'
#: The layouts of a card with that line: the name of the plain layout plus this suffix.
_SCOPED = "-scoped"


def _card(head: str, *more: str) -> dict[str, Any]:
    return {"grid": "simple", "layout": {"head": [head, *more], "meta": list(_META)}}


_HEADS = {
    CARD_LAYOUT: '**<<meta("title")>>** <<meta("status", prefix="· ")>> · '
                 f'<<meta_id()>> {_COLLAPSE}',
    CARD_LAYOUT_NO_STATUS: f'**<<meta("title")>>** · <<meta_id()>> {_COLLAPSE}',
}
_CARDS = {**{name: _card(head) for name, head in _HEADS.items()},
          **{name + _SCOPED: _card(head, _SCOPE_LINE) for name, head in _HEADS.items()}}


def needs_settings() -> dict[str, Any]:
    """The sphinx-needs configuration values secguide owns, as ``conf.py`` would set them."""
    return {
        "needs_types": [
            {"directive": t.directive, "title": t.title, "prefix": t.prefix,
             "color": t.color, "style": t.style}
            for t in NEED_TYPES
        ],
        "needs_fields": {
            name: {"description": f"secguide: {name.replace('_', ' ')}",
                   "schema": {"type": "string"}}
            for name in EXTRA_FIELDS
        },
        "needs_links": {
            link.option: {"outgoing": link.outgoing, "incoming": link.incoming,
                          "color": _LINK_COLORS.get(link.option, "#000000")}
            for link in LINK_TYPES
        },
        "needs_id_regex": NEED_ID_REGEX,
        "needs_id_required": True,
        "needs_flow_engine": "graphviz",
        "needs_layouts": dict(_CARDS),
        "needs_default_layout": CARD_LAYOUT,
        # sphinx-needs' own colours are light-only; secguide.css colours cards from the
        # theme's variables, so they read in light and dark mode alike.
        "needs_css": "blank.css",
    }


def configure_needs(app: Sphinx, config: Config) -> None:
    """``config-inited`` (before sphinx-needs reads its values): install secguide's types."""
    for name, value in needs_settings().items():
        config[name] = value


def need_nodes(directive: SphinxDirective, item: NeedItem, source_path: str, *,
               hidden: bool = False, show_status: bool = True) -> list[nodes.Node]:
    """The nodes of one need built from ``item``, rendered where ``directive`` stands.

    ``source_path`` is the absolute YAML path of the item. A need sphinx-needs
    refuses is reported at the item's YAML line and rendered as nothing. A ``hidden``
    need is recorded (links, needs.json, tables) but not drawn: the caller shows it
    and gives its node the need's ID as anchor. ``show_status=False`` leaves the
    status word out of the card's head (the page says it elsewhere).
    """
    content: str | MarkupContent = ""
    if item.content.strip():
        content = MarkupContent(item.content, markup=".rst",
                                source=(source_path, max(item.loc.line, 1)))
    fields = {name: value for name, value in item.extra.items() if value}
    links = {name: list(targets) for name, targets in item.links.items() if targets}
    # add_need, unlike the need directive, does not mark the page as holding needs;
    # without the mark sphinx-needs skips the page when resolving link nodes.
    add_doc(directive.env, directive.env.docname)
    try:
        # the content is model prose: parsed in the restricted profile, like all prose
        with prose_profile(directive.state.document):
            created = add_need(
                get_app(directive.env), directive.state, directive.env.docname,
                directive.lineno, need_type=item.type, title=item.title, id=item.id,
                content=content, status=item.status, tags=list(item.tags),
                # metadata folded: the card leads with its title, ID and text
                collapse=True, hide=hidden,
                layout=(CARD_LAYOUT if show_status else CARD_LAYOUT_NO_STATUS)
                + (_SCOPED if fields.get("applies_when") else ""),
                **links, **fields,
            )
    except InvalidNeedException as error:
        warn(Code.NEED, f"{item.id}: sphinx-needs refused the need: {error}",
             item.loc.sphinx_location)
        return []
    neutralize(created, directive.env)
    return created


#: sphinx-needs directives that show needs selected from the whole project by a filter
_NEED_VIEWS = (Needtable, Needlist, NeedflowGraphiz, NeedflowPlantuml, Needpie, Needbar,
               Needgantt, Needsequence, Needextract, Needuml)


def depend_on_model_for_need_views(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: a page with a needtable, needflow, ... depends on every model input.

    Such a view lists needs from every YAML file; Sphinx would otherwise re-read it
    only when its own ``.rst`` changes, and a title edited in YAML (or a new item)
    would stay stale on it until ``make clean``.
    """
    if next(doctree.findall(lambda node: isinstance(node, _NEED_VIEWS)), None) is None:
        return
    env = app.env
    state = get_state(env)
    for path in sorted(set(state.all_files).union(*state.files_by_kind.values())):
        env.note_dependency(path)
    # a YAML file added or removed re-reads it too (secguide domain, env-get-outdated)
    env.get_domain("secguide").note_model_doc(env.docname)


def drop_empty_card_bodies(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``, after sphinx-needs drew its cards: remove empty body rows.

    A setting without a note has no text; sphinx-needs' grid still draws its content
    row, an empty box under the title.
    """
    for row in list(doctree.findall(nodes.row)):
        if "content" in row["classes"] and "need" in row["classes"] and not any(
                entry.children for entry in row.children):
            row.parent.remove(row)


def setup_needs(app: Sphinx) -> None:
    """Load sphinx-needs (and with it Graphviz support) and give it secguide's vocabulary."""
    app.setup_extension("sphinx_needs")
    app.connect("config-inited", configure_needs, priority=1)
    app.connect("doctree-read", depend_on_model_for_need_views)
    # sphinx-needs replaces need nodes by their cards at the default priority (500)
    app.connect("doctree-resolved", drop_empty_card_bodies, priority=600)
