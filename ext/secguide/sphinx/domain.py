"""The ``secguide`` domain: which page shows which model item, kept per document.

Like ``sphinx.ext.todo``, per-document state lives in domain data with
``clear_doc`` and ``merge_domaindata``, so incremental and ``-j auto`` builds
agree. The domain also resolves internal item references (an ID to the page
that renders it) and notices when the inputs behind the pages changed in a way
``note_dependency`` cannot see (a YAML file added or removed, a different tree).
"""

from __future__ import annotations

from collections.abc import Iterable, Set
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.util.nodes import make_refnode

from secguide.codes import Code
from secguide.sphinx.model import get_state, inputs_unchanged
from secguide.sphinx.shown import (
    note_links,
    pages_showing_changes,
    rewrite_pages_with_new_links,
)
from secguide.sphinx.warnings import warn


class SecguideDomain(Domain):
    """Per-document record of rendered model items.

    ``data["items"]``: item ID → (docname, line) of the directive rendering it.
    ``data["model_docs"]``: docname → True for every page that renders model data.
    ``data["inputs"]``: the tree fingerprint and YAML file list of the last read.
    ``data["shown"]``: docname → {facet: digest} of what the page shows
    (:mod:`secguide.sphinx.shown`), to re-read it when one changes.
    ``data["links"]``: docname → its cards, item links and need views, and
    ``data["written"]``: docname → the digest of what they showed when it was last
    written, to write it again when one changes.
    """

    name = "secguide"
    label = "Security guide"
    object_types = {"item": ObjType("item", "item")}
    initial_data: dict[str, Any] = {"items": {}, "model_docs": {}, "inputs": {},
                                    "shown": {}, "links": {}, "written": {}}
    data_version = 3

    @property
    def items(self) -> dict[str, tuple[str, int]]:
        return self.data["items"]

    def claim(self, item_id: str, docname: str, line: int) -> tuple[str, int] | None:
        """Record that ``docname`` renders ``item_id``; the earlier claim if there is one."""
        earlier = self.items.get(item_id)
        if earlier is not None and earlier[0] != docname:
            return earlier
        if earlier is not None and earlier[1] != line:
            return earlier
        self.items[item_id] = (docname, line)
        self.data["model_docs"][docname] = True
        return None

    def note_model_doc(self, docname: str) -> None:
        self.data["model_docs"][docname] = True

    def clear_doc(self, docname: str) -> None:
        for item_id, (doc, _line) in list(self.items.items()):
            if doc == docname:
                del self.items[item_id]
        self.data["model_docs"].pop(docname, None)
        for per_doc in ("shown", "links", "written"):
            self.data[per_doc].pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for item_id, (doc, line) in otherdata["items"].items():
            if doc not in docnames:
                continue
            earlier = self.items.get(item_id)
            if earlier is not None and earlier[0] != doc:
                warn(Code.DUPLICATE_ITEM,
                     f"{item_id} is already rendered on {earlier[0]} (line {earlier[1]})",
                     f"{self.env.doc2path(doc)}:{line}")
                continue
            self.items[item_id] = (doc, line)
        for doc in otherdata["model_docs"]:
            if doc in docnames:
                self.data["model_docs"][doc] = True
        for per_doc in ("shown", "links"):
            for doc, record in otherdata[per_doc].items():
                if doc in docnames:
                    self.data[per_doc][doc] = record

    def resolve_xref(self, env: BuildEnvironment, fromdocname: str, builder: Builder,
                     typ: str, target: str, node: pending_xref,
                     contnode: nodes.Element) -> nodes.reference | None:
        where = self.items.get(target)
        if where is None:
            return None
        return make_refnode(builder, fromdocname, where[0], target, contnode, target)

    def resolve_any_xref(self, env: BuildEnvironment, fromdocname: str, builder: Builder,
                         target: str, node: pending_xref,
                         contnode: nodes.Element) -> list[tuple[str, nodes.reference]]:
        found = self.resolve_xref(env, fromdocname, builder, "item", target, node, contnode)
        return [("secguide:item", found)] if found is not None else []

    def get_objects(self) -> Iterable[tuple[str, str, str, str, str, int]]:
        """Every rendered item, so the search box finds ``REC-STACK-CANARIES``."""
        for item_id, (docname, _line) in sorted(self.items.items()):
            yield item_id, item_id, "item", docname, item_id, 1


def item_reference(item_id: str, text: str | None = None) -> pending_xref:
    """A link to the page rendering ``item_id``, resolved by this domain."""
    ref = pending_xref("", refdomain="secguide", reftype="item", reftarget=item_id,
                       refexplicit=text is not None)
    ref += nodes.inline(text or item_id, text or item_id, classes=["secguide-item-ref"])
    return ref


def outdated_by_inputs(app: Sphinx, env: BuildEnvironment, added: Set[str],
                       changed: Set[str], removed: Set[str]) -> list[str]:
    """``env-get-outdated``: model pages whose content changed.

    A YAML file added or removed, or a Kconfig tree whose content changed (a new
    fingerprint), re-reads every model page; otherwise a page is read again when what
    it shows changed (:func:`~secguide.sphinx.shown.pages_showing_changes`): an item
    edited, added to its selection or moved out of it, an aggregate it draws. Nothing
    when the pages were made from the same inputs (the model state is not even loaded).
    """
    if inputs_unchanged(env):
        return []
    state = get_state(env)  # loaded once per build, at builder-inited
    domain = env.get_domain("secguide")
    inputs = {"fingerprint": state.db.fingerprint, "files": list(state.all_files)}
    previous = domain.data["inputs"]
    domain.data["inputs"] = inputs
    if not previous or previous == inputs:
        return pages_showing_changes(env, changed | removed)
    kconfig = env.get_domain("kconfig") if "kconfig" in env.domains else None
    # Zephyr's own kconfig domain (inside Zephyr's docs) keeps no such record
    kconfig_docs = kconfig.data.get("mentions_by_doc", {}) if kconfig is not None else {}
    return sorted(set(domain.data["model_docs"]) | set(kconfig_docs))


#: the options of a recommendation view that choose recommendations
SELECTION_OPTIONS = ("area", "tag", "status", "architecture")


def check_every_item_shown(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-check-consistency``: each need item must be rendered on some page."""
    state = get_state(env)
    shown = env.get_domain("secguide").data["items"]
    # recommendations no directive selects are reported by the project, in both faces
    already = state.project.unrendered_items
    for item in state.items:
        if item.id not in shown and item.id not in already:
            warn(Code.ITEM_NOT_SHOWN,
                 f"{item.id} is not rendered on any page of the guide (no directive shows "
                 f"{item.type} items matching it)", item.loc.sphinx_location)


def forget_pages_to_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: forget every page about to be read before reading any.

    Sphinx's serial read forgets a page just before reading it; an item that moved to
    a page read earlier would then still be claimed by its old page (a duplicate-item
    warning, a duplicate need). Sphinx's parallel read forgets them all first; this
    makes the serial read do the same.
    """
    for docname in docnames:
        app.events.emit("env-purge-doc", env, docname)
        env.clear_doc(docname)


def setup_domain(app: Sphinx) -> None:
    """The ``secguide`` domain and the checks that span all documents."""
    app.add_domain(SecguideDomain)
    app.connect("env-get-outdated", outdated_by_inputs)
    app.connect("env-get-updated", rewrite_pages_with_new_links)
    app.connect("doctree-read", note_links)
    app.connect("env-before-read-docs", forget_pages_to_read)
    app.connect("env-check-consistency", check_every_item_shown)
