"""Page dependencies keyed on what a page shows, not on the YAML files' mtimes.

While a page is read, each directive names the facets of the model it shows
(:mod:`secguide.trace.page_digests`); the ``secguide`` domain keeps them with their
digests. Before the next build reads anything (``env-get-outdated``) a page whose facet
digests differ is read again; a YAML file touched, or given a comment, re-reads nothing.

What a page gets only when it is written (its cards' incoming trace links, the pages
its item links point to, sphinx-needs tables and diagrams) is checked after reading
(``env-get-updated``): such a page is written again, not read.
"""

from __future__ import annotations

import json
from collections.abc import Set
from typing import Any

from docutils import nodes
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment

from secguide.sphinx.cards import card_links
from secguide.sphinx.model import ModelState, get_state, pages_unchanged
from secguide.sphinx.needs import has_need_views
from secguide.trace.page_digests import Facet, ShownDigests, digest

#: The last state's digests: (state, digests). The state itself is kept, not its id().
_DIGESTS: list[tuple[ModelState, ShownDigests]] = []


def shown_digests(state: ModelState) -> ShownDigests:
    """The digests of this build's model, made once per loaded state."""
    if _DIGESTS and _DIGESTS[0][0] is state:
        return _DIGESTS[0][1]
    digests = ShownDigests(state.project, {"hardening": state.hardening,
                                           "model_diff": state.model_diff})
    _DIGESTS[:] = [(state, digests)]
    return digests


def note_shown(env: BuildEnvironment, *facets: Facet) -> None:
    """The page being read shows ``facets``: it is read again when one of them changes."""
    digests = shown_digests(get_state(env))
    shown = env.get_domain("secguide").data["shown"].setdefault(env.docname, {})
    for facet in facets:
        shown[json.dumps(facet)] = digests.of(facet)


def pages_showing_changes(env: BuildEnvironment, skip: Set[str]) -> list[str]:
    """Pages (not in ``skip``) with a facet whose digest is not the one they were read with."""
    digests = shown_digests(get_state(env))
    return sorted(doc for doc, shown in env.get_domain("secguide").data["shown"].items()
                  if doc not in skip and any(digests.of(tuple(json.loads(facet))) != held
                                             for facet, held in shown.items()))


# -- what is filled in when a page is written ---------------------------------------------

def note_links(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: the cards of the page and the items it links to, kept to notice
    when their links change; a page with sphinx-needs views is marked as such."""
    cards = sorted({node["need_id"] for node in doctree.findall(card_links)})
    xrefs = sorted({node["reftarget"] for node in doctree.findall(pending_xref)
                    if node.get("refdomain") == "secguide"})
    views = has_need_views(doctree)
    if cards or xrefs or views:
        app.env.get_domain("secguide").data["links"][app.env.docname] = {
            "cards": cards, "xrefs": xrefs, "views": views}


def written_digest(env: BuildEnvironment, record: dict[str, Any],
                   where: dict[str, tuple[str, int]], views: str) -> str:
    """What a page gets when written: its cards' incoming links, the pages of every item
    it links to, and (with need views) every need and its page."""
    digests = shown_digests(get_state(env))
    targets = set(record["xrefs"])
    for card in record["cards"]:
        targets.update(digests.neighbours(card))
    return digest([digests.links_of(record["cards"]),
                   [[t, where.get(t, ("", 0))[0]] for t in sorted(targets)],
                   views if record["views"] else ""])


def rewrite_pages_with_new_links(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-get-updated``: pages whose write-time content changed (a link added or
    removed by another item, a linked item moved to another page, a need view's needs)
    are written again. Pages read in this build are recorded, Sphinx writes them anyway.
    Nothing when no page was read and the model is the last build's (nothing loaded)."""
    if pages_unchanged(env):
        return []
    domain = env.get_domain("secguide")
    where = domain.data["items"]
    views = digest([shown_digests(get_state(env)).needs, sorted(
        [item_id, doc] for item_id, (doc, _line) in where.items())])
    written = domain.data["written"]
    rewrite = []
    for doc, record in domain.data["links"].items():
        now = written_digest(env, record, where, views)
        if written.get(doc) != now:
            written[doc] = now
            rewrite.append(doc)
    return rewrite
