"""The one module that talks to sphinx-needs: configuration and need creation.

Need types, link types and fields come from :mod:`secguide.trace.needs` (the
single model-to-needs mapping); this module only hands them to sphinx-needs 9.1
(``needs_types``, ``needs_fields``, ``needs_links``) and turns one
:class:`~secguide.trace.needs.NeedItem` into a need registered with
``sphinx_needs.api.add_need`` (hidden: sphinx-needs records it, for links,
needs.json and tables) and the item's card (:mod:`secguide.sphinx.cards`). A
need's content is parsed as reStructuredText from its YAML file and line, so a
markup problem in a rationale is reported at the YAML line, not at the
directive; it is parsed in the restricted prose profile of
:mod:`secguide.sphinx.prose`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import ENV_PICKLE_FILENAME, Sphinx
from sphinx.config import Config
from sphinx.util.docutils import SphinxDirective, switch_source_input
from sphinx_needs.api import InvalidNeedException, MarkupContent, add_need, get_needs_view
from sphinx_needs.builder import build_needs_json
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
from secguide.sphinx.cards import LinkLines, card_nodes, fill_card_links, setup_cards
from secguide.sphinx.model import get_app, pages_unchanged
from secguide.sphinx.prose import neutralize, prose_profile
from secguide.sphinx.warnings import warn
from secguide.trace.needs import EXTRA_FIELDS, LINK_TYPES, NEED_TYPES, NeedItem

#: IDs are upper-case words joined by hyphens: ``REC-STACK-CANARIES``.
NEED_ID_REGEX = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"

#: Colours of the link arrows in the traceability diagram.
_LINK_COLORS = {"mitigates": "#38761D", "threatened_by": "#CC0000", "endangers": "#BF9000",
                "implemented_by": "#B45F06", "verified_by": "#674EA7",
                "replaced_by": "#999999"}


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

    ``source_path`` is the absolute YAML path of the item. The need is registered
    with sphinx-needs without its own rendering (links, needs.json, tables) and shown
    as a light card (:mod:`secguide.sphinx.cards`). A need sphinx-needs refuses is
    reported at the item's YAML line and rendered as nothing. A ``hidden`` need gets
    no card: the caller shows it and gives its node the need's ID as anchor.
    ``show_status=False`` leaves the status word out of the card's head (the page
    says it elsewhere).
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
        created = add_need(
            get_app(directive.env), directive.state, directive.env.docname,
            directive.lineno, need_type=item.type, title=item.title, id=item.id,
            content=content, status=item.status, tags=list(item.tags),
            # recorded, not drawn: the card below shows it
            hide=True, **links, **fields,
        )
    except InvalidNeedException as error:
        warn(Code.NEED, f"{item.id}: sphinx-needs refused the need: {error}",
             item.loc.sphinx_location)
        return []
    if hidden:
        return created
    body = _parse_prose(directive, item.content, source_path, max(item.loc.line, 1))
    return [*created, card_nodes(item, body, source_path, show_status=show_status)]


def _parse_prose(directive: SphinxDirective, text: str, source_path: str,
                 first_line: int) -> list[nodes.Node]:
    """``text`` (model prose from ``source_path`` at ``first_line``) parsed as reST.

    Parsed in the restricted prose profile, each line mapped to its YAML line, so a
    markup problem is reported there; links with unsafe schemes and raw nodes removed.
    """
    if not text.strip():
        return []
    lines = [line.removesuffix("\r") for line in text.split("\n")]
    block = StringList(lines, items=[(source_path, first_line - 1 + index)
                                     for index in range(len(lines))])
    holder = nodes.Element()
    state = directive.state
    document = state.document
    # the nested parse notes every line it reads on the document: the nodes made after
    # the card must not take the YAML file as their source
    current = (document.current_source, document.current_line)
    try:
        with prose_profile(document), switch_source_input(state, block):
            state.nested_parse(block, 0, holder, match_titles=False)
    finally:
        document.current_source, document.current_line = current
    neutralize(list(holder.children), directive.env)
    return list(holder.children)


def _link_lines(app: Sphinx, need_id: str) -> LinkLines:
    """The trace links of one need, outgoing then incoming per link type, as sphinx-needs
    resolved them (incoming links exist only once every page is read)."""
    needs = get_needs_view(app)
    need = needs.get(need_id)
    if need is None:
        return []
    lines = []
    for link in LINK_TYPES:
        for label, key in ((link.outgoing, link.option), (link.incoming, f"{link.option}_back")):
            targets = need[key]
            if targets:
                lines.append((label, [(target, _docname(needs, target)) for target in targets]))
    return lines


def _docname(needs: Any, need_id: str) -> str | None:
    target = needs.get(need_id)
    return target["docname"] if target is not None else None


def fill_links(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: the cards' trace links, from the resolved needs."""
    fill_card_links(app, doctree, docname, lambda need_id: _link_lines(app, need_id))


#: sphinx-needs directives that show needs selected from the whole project by a filter
_NEED_VIEWS = (Needtable, Needlist, NeedflowGraphiz, NeedflowPlantuml, Needpie, Needbar,
               Needgantt, Needsequence, Needextract, Needuml)


def has_need_views(doctree: nodes.document) -> bool:
    """Whether the page has a needtable, needflow, ...: views sphinx-needs fills from
    every need when the page is written."""
    return next(doctree.findall(lambda node: isinstance(node, _NEED_VIEWS)), None) is not None


def depend_on_model_for_need_views(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: a page with a needtable, needflow, ... shows needs of every YAML file.

    Sphinx-needs fills such a view when the page is written, so the page is written
    again (not read) when a need changed (:mod:`secguide.sphinx.shown`); a YAML file
    added or removed, or another tree, re-reads it (secguide domain, env-get-outdated).
    """
    if has_need_views(doctree):
        app.env.get_domain("secguide").note_model_doc(app.env.docname)


def needs_json_current(app: Sphinx) -> bool:
    """Whether the ``needs.json`` in the output folder holds this build's needs already.

    It does when no page was read or removed, the model is the one of the last build
    that finished (:func:`~secguide.sphinx.model.pages_unchanged`), no needs file is
    imported, and the file was written after the environment was last saved (another
    builder sharing the environment may have read pages since).
    """
    if app.config.needs_file or not pages_unchanged(app.env):
        return False
    try:
        written = (Path(app.outdir) / "needs.json").stat().st_mtime_ns
        saved = (Path(app.doctreedir) / ENV_PICKLE_FILENAME).stat().st_mtime_ns
    except OSError:
        return False
    return written >= saved


def write_needs_json_unless_current(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished``: sphinx-needs' own writer, skipped when the file is current
    (a build with nothing to do would otherwise encode every need again)."""
    if exception is None and needs_json_current(app):
        return
    build_needs_json(app, exception)


def _gate_needs_json(app: Sphinx) -> None:
    """Put :func:`write_needs_json_unless_current` where sphinx-needs connected its writer."""
    for listener in list(app.events.listeners.get("build-finished", ())):
        if listener.handler is build_needs_json:
            app.disconnect(listener.id)
            app.connect("build-finished", write_needs_json_unless_current,
                        priority=listener.priority)


def setup_needs(app: Sphinx) -> None:
    """Load sphinx-needs (and with it Graphviz support) and give it secguide's vocabulary."""
    app.setup_extension("sphinx_needs")
    _gate_needs_json(app)
    app.connect("config-inited", configure_needs, priority=1)
    app.connect("doctree-read", depend_on_model_for_need_views)
    setup_cards(app)
    app.connect("doctree-resolved", fill_links)
