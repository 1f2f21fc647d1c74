"""Item cards: a few plain nodes per item instead of a sphinx-needs layout table.

Every threat, recommendation, setting, manual check... is shown as a card: the title,
the status and the ID first (plus, for an item limited to a subsystem, the line saying
when it applies), the metadata and the trace links folded under that head, then the
item's text. The need itself is still registered with sphinx-needs (hidden), which stays
the traceability store: needs.json, needtable and needflow, ``:need:`` references. The
card carries the need's ID as its anchor, so every link to the need lands on it.

Why not sphinx-needs' layouts: they build each card from layout strings parsed per need
(``meta_all`` walks every field through the inline parser), about half of a guide's
rendering time at a few thousand items; these cards are built directly from the item.

The fold is an HTML ``<details>`` element: it opens and closes without a script and
with the keyboard, and a screen reader announces its state. Trace links are filled in
when the page is written (``doctree-resolved``), once sphinx-needs knows every incoming
link. Every text of the card is a text node (the model's words never become markup),
and smart quotes leave it as the model wrote it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util.nodes import make_refnode

from secguide.trace.needs import EXTRA_FIELDS, NEED_TYPES, NeedItem

#: The metadata fields not repeated in the fold: the head shows them.
_SHOWN_IN_HEAD = frozenset({"applies_when"})
_TYPE_TITLES = {t.directive: t.title for t in NEED_TYPES}


class card_fold(nodes.General, nodes.Element):
    """A ``<details>`` element: its first child (a :class:`card_head`) stays visible."""


class card_head(nodes.General, nodes.Element):
    """The ``<summary>`` of a card: title, status, ID; a click folds the metadata."""


class card_links(nodes.General, nodes.Element):
    """Where a card's trace links go, filled in by :func:`fill_card_links`."""


#: ``(label, [(need ID, docname or None), ...])`` per link line of a need, in the order
#: the card shows them: what :mod:`secguide.sphinx.needs` reads from sphinx-needs.
LinkLines = Sequence[tuple[str, Sequence[tuple[str, str | None]]]]


def _line(*children: nodes.Node, classes: Sequence[str] = ()) -> nodes.inline:
    return nodes.inline("", "", *children, classes=["secguide-card-line", *classes])


def _labelled(label: str, value: str) -> list[nodes.Node]:
    return [nodes.inline(label, label, classes=["secguide-card-label"]),
            nodes.inline(value, value, classes=["secguide-card-value"])]


def _field_class(field: str) -> str:
    return f"secguide-card-{field.replace('_', '-')}"


def _head(item: NeedItem, show_status: bool) -> card_head:
    title_line = _line(nodes.strong(item.title, item.title, classes=["secguide-card-title"]))
    if show_status and item.status:
        title_line += nodes.Text(" · ")
        title_line += nodes.inline(item.status, item.status, classes=["secguide-card-status"])
    title_line += nodes.Text(" · ")
    title_line += nodes.reference(item.id, item.id, refid=item.id, internal=True,
                                  classes=["secguide-card-id"])
    head = card_head("", title_line, classes=["secguide-card-head"])
    if scope := item.extra.get("applies_when"):
        head += _line(*_labelled("Applies when: ", scope),
                      classes=[_field_class("applies_when")])
    return head


def _metadata(item: NeedItem, source_path: str) -> nodes.line_block:
    """One line per field (``name: value``), then the trace links (filled in later).

    Each line carries its source, line and raw text: Sphinx gives a line without them
    its own (``ApplySourceWorkaround``), rendering the line as XML for a debug message
    first, whether debug messages are shown or not (2 % of reading a large guide)."""
    fields = [("kind", _TYPE_TITLES.get(item.type, item.type))]
    if item.tags:
        fields.append(("tags", ", ".join(item.tags)))
    fields += [(name, item.extra[name]) for name in EXTRA_FIELDS
               if item.extra.get(name) and name not in _SHOWN_IN_HEAD]
    lines = []
    for name, value in fields:
        line = nodes.line(f"{name}: {value}", "", *_labelled(f"{name}: ", value),
                          classes=[_field_class(name)])
        line.source, line.line = source_path, item.loc.line
        lines.append(line)
    return nodes.line_block("", *lines, card_links(need_id=item.id),
                            classes=["secguide-card-meta"])


def card_nodes(item: NeedItem, body: Sequence[nodes.Node], source_path: str, *,
               show_status: bool = True) -> nodes.container:
    """The card of ``item`` with ``body`` (its parsed text, maybe none) under the head.

    ``source_path`` is the item's YAML file: the card's words come from there (checks
    of the page's own text leave them alone; the model's checks cover them).
    ``show_status=False`` leaves the status word out (the page says it elsewhere).
    """
    fold = card_fold("", _head(item, show_status), _metadata(item, source_path),
                     classes=["secguide-card-fold"])
    # the model's words exactly as written: no curly quotes in titles, IDs, symbols
    # (the item's text below is prose, typeset like any paragraph)
    fold["support_smartquotes"] = False
    card = nodes.container("", fold, ids=[item.id],
                           classes=["secguide-card", f"secguide-card-{item.type}"])
    card.source, card.line = source_path, item.loc.line
    if body:
        card += nodes.container("", *body, classes=["secguide-card-body"])
    return card


def fill_card_links(app: Sphinx, doctree: nodes.document, docname: str,
                    links_of: Callable[[str], LinkLines]) -> None:
    """Replace each :class:`card_links` of ``doctree`` by one line per link type."""
    for placeholder in list(doctree.findall(card_links)):
        lines: list[nodes.Node] = []
        for label, targets in links_of(placeholder["need_id"]):
            line = nodes.line("", "", nodes.inline(label, f"{label}: ",
                                                   classes=["secguide-card-label"]),
                              classes=["secguide-card-links"])
            for index, (target, target_doc) in enumerate(targets):
                if index:
                    line += nodes.Text(", ")
                line += _link(app, docname, target, target_doc)
            lines.append(line)
        placeholder.replace_self(lines)


def _link(app: Sphinx, docname: str, target: str, target_doc: str | None) -> nodes.Node:
    text = nodes.Text(target)
    if target_doc is None:  # a need no page shows: its ID, unlinked
        return nodes.inline(target, "", text, classes=["secguide-card-dead-link"])
    return make_refnode(app.builder, docname, target_doc, target, text, target)


def _visit_details(self: Any, node: card_fold) -> None:
    self.body.append(self.starttag(node, "details"))


def _depart_details(self: Any, node: card_fold) -> None:
    self.body.append("</details>\n")


def _visit_summary(self: Any, node: card_head) -> None:
    self.body.append(self.starttag(node, "summary", suffix=""))


def _depart_summary(self: Any, node: card_head) -> None:
    self.body.append("</summary>\n")


def _visit_nothing(self: Any, node: nodes.Element) -> None:
    """Other formats: the children as they are (the metadata shown, nothing folds)."""


def setup_cards(app: Sphinx) -> None:
    """Teach every writer the card's nodes."""
    plain = (_visit_nothing, _visit_nothing)
    others = {name: plain for name in ("latex", "text", "man", "texinfo")}
    app.add_node(card_fold, html=(_visit_details, _depart_details), **others)
    app.add_node(card_head, html=(_visit_summary, _depart_summary), **others)
    # replaced before any writer runs; a writer meeting one would be a bug, said loudly
    app.add_node(card_links)
