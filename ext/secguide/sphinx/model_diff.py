"""The ``secguide-model-diff`` directive: what the model changed since ``secguide_diff_base``.

Renders the :class:`~secguide.trace.diff.ModelDiff` computed once per build in
:mod:`secguide.sphinx.model` (the same comparison ``secguide diff BASE`` prints),
so a preview build of a pull request says what the pull request changes. Lists
only (no tables); model text goes into text nodes. Without ``secguide_diff_base``
it renders a short note, so the Changes page can carry it unconditionally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.application import Sphinx

from secguide.sphinx.directives import ModelDirective, titled_section
from secguide.sphinx.domain import item_reference
from secguide.trace.item_diff import FieldChange, WordKind
from secguide.trace.page_digests import Facet

if TYPE_CHECKING:  # imported with the state, not with the extension
    from secguide.trace.diff import ItemDiff, LinkChange, ModelDiff

_WORD_CLASSES = {WordKind.REMOVED: "secguide-diff-removed",
                 WordKind.ADDED: "secguide-diff-added", WordKind.GAP: "secguide-diff-gap"}


def _para(text: str) -> nodes.paragraph:
    return nodes.paragraph(text, text)


def _bullets(entries: list[nodes.Node]) -> nodes.bullet_list:
    listing = nodes.bullet_list()
    for entry in entries:
        listing += nodes.list_item("", entry if isinstance(entry, nodes.paragraph)
                                   else nodes.paragraph("", "", entry))
    return listing


def _field(change: FieldChange) -> nodes.paragraph:
    para = nodes.paragraph("", f"{change.name}: ")
    if not change.words:
        para += nodes.Text(f"{change.before} → {change.after}")
        return para
    for index, words in enumerate(change.words):
        if index:
            para += nodes.Text(" ")
        text = f"[… {words.text} …]" if words.kind is WordKind.GAP else words.text
        if words.kind is WordKind.SAME:
            para += nodes.Text(text)
        else:
            para += nodes.inline(text, text, classes=[_WORD_CLASSES[words.kind]])
    return para


class ModelDiffDirective(ModelDirective):
    """Items added, removed and changed, and the consequences, as lists."""

    def facets(self) -> list[Facet]:
        return [("extra", "model_diff")]

    def item(self, item: ItemDiff) -> nodes.Node:
        head = nodes.paragraph("", f"{item.change.value} {item.kind} ")
        head += (nodes.literal(item.id, item.id) if item.change.value == "removed"
                 else item_reference(item.id))
        head += nodes.Text(f": {item.title}")
        entry = nodes.container("", head)
        if item.fields:
            entry += _bullets([_field(change) for change in item.fields])
        return entry

    def links(self, title: str, changes: tuple[LinkChange, ...], gains: str, loses: str
              ) -> list[nodes.Node]:
        rows: list[nodes.Node] = []
        for change in changes:
            bits = [f"gains {gains} {', '.join(change.gained)}" if change.gained else "",
                    f"loses {loses} {', '.join(change.lost)}" if change.lost else "",
                    f"met_by {change.level}" if change.level else ""]
            rows.append(_para(f"{title} {change.id}: " + "; ".join(b for b in bits if b)))
        return rows

    def section(self, title: str, *content: nodes.Node) -> list[nodes.Node]:
        section = titled_section(self, title)
        section += list(content)
        return [section]

    def render(self) -> list[nodes.Node]:
        d: ModelDiff | None = self.model_state.model_diff
        if d is None:
            return [_para("No base revision is configured (secguide_diff_base), so there "
                          "is nothing to compare the threat model with.")]
        if not d.changed:
            return [_para(f"No changes to the threat model since {d.base}.")]
        result: list[nodes.Node] = [_para(
            f"Compared with {d.base}; 'secguide diff' prints the same, and with --builds "
            "also the verdicts that change on reference builds.")]
        result += self.section("Items", *[self.item(item) for item in d.items]) \
            if d.items else []
        trace = [*self.links("threat", d.threats, "mitigation", "mitigation"),
                 *self.links("recommendation", d.verifications, "verification",
                             "verification"),
                 *self.links("clause", d.clauses, "mapping to", "mapping to")]
        result += self.section("Trace", _bullets(trace)) if trace else []
        review = [*(_para(f"stamp made suspect: {s.id} (reviewed by {s.by} on {s.date}): "
                          + "; ".join(s.reasons)) for s in d.suspect),
                  *(_para(f"needs sign-off: {s.id}: {s.why}") for s in d.sign_off),
                  *(_para(f"stamp {s.change.value}: {s.id} by {s.by} on {s.date}"
                          + (f"; committed by {s.committed_by or 'nobody yet'}: {s.origin}"
                             if s.origin else "")) for s in d.stamps)]
        result += self.section("Review", _bullets(review)) if review else []
        checks = [*(_para(f"added: {f}") for f in d.findings_added),
                  *(_para(f"fixed: {f}") for f in d.findings_fixed)]
        result += self.section("Checks", _bullets(checks)) if checks else []
        upstream = [_para(f"CONFIG_{u.symbol}: {u.before} → {u.after}")
                    for u in d.upstream or ()]
        result += self.section("Zephyr's hardening database", _bullets(upstream)) \
            if upstream else []
        return result


def setup_model_diff(app: Sphinx) -> None:
    app.add_directive("secguide-model-diff", ModelDiffDirective)
