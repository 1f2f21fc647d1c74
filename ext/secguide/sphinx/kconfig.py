"""The ``kconfig`` domain: Zephyr-compatible ``:kconfig:option:`` links and a reference page.

``:kconfig:option:`CONFIG_FOO``` links to the entry of ``CONFIG_FOO`` on the page
holding ``.. kconfig:reference::``, the same anchors Zephyr's documentation uses
(``#CONFIG_FOO``). That page lists every symbol the guide mentions (roles, literal
``CONFIG_`` names in pages, settings and YAML text), built from the symbol database
when the page is written, like ``sphinx.ext.todo``'s list; ``env-get-updated``
rewrites it when the set of mentioned symbols changed.

Literal ``CONFIG_FOO`` text in a page that names no symbol of the tree is a
warning at that line (YAML text is checked once, by :mod:`secguide.sphinx.model`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.utils import get_source_line
from sphinx.addnodes import pending_xref
from sphinx.application import Sphinx
from sphinx.builders import Builder
from sphinx.domains import Domain, ObjType
from sphinx.environment import BuildEnvironment
from sphinx.roles import XRefRole
from sphinx.util.docutils import SphinxDirective, SphinxRole
from sphinx.util.nodes import make_refnode

from secguide.codes import Code
from secguide.sphinx.model import ModelState, get_state, pages_unchanged
from secguide.sphinx.warnings import warn
from secguide.trace.kconfig_facts import FactKind, fact_text
from secguide.trace.text_symbols import CONFIG_NAME
from secguide.zephyr.kconfig.symbols import (
    ConditionalValue,
    KconfigSymbol,
    strip_config_prefix,
    unknown_symbol_message,
)

#: Longest list of ``selected by`` / ``implied by`` names shown in an entry.
MAX_LISTED = 25


class kconfig_reference(nodes.General, nodes.Element):
    """Placeholder replaced by the Kconfig entries when the page is written."""


def anchor(name: str) -> str:
    """The HTML anchor of a symbol's entry, as in Zephyr's docs: ``CONFIG_FOO``."""
    return f"CONFIG_{strip_config_prefix(name)}"


def unknown_message(name: str, state: ModelState) -> str:
    return unknown_symbol_message(name, state.db)


class KconfigOptionRole(XRefRole):
    """``:kconfig:option:`CONFIG_FOO```: a literal linked to the symbol's entry."""

    innernodeclass = nodes.literal

    def result_nodes(self, document: nodes.document, env: BuildEnvironment,
                     node: nodes.Element, is_ref: bool) -> tuple[list[nodes.Node], list[Any]]:
        target = node.get("reftarget", "")
        state = get_state(env)
        if target in state.db:
            mention(env, target, self.lineno)
        else:
            warn(Code.UNKNOWN_SYMBOL, unknown_message(target, state), node)
        return [node], []


def fact_nodes(text: str) -> list[nodes.Node]:
    """The nodes of a fact's text: its ````literal```` parts as literals, the rest as text."""
    parts = text.split("``")
    return [nodes.literal(part, part) if index % 2 else nodes.Text(part)
            for index, part in enumerate(parts) if part]


class KconfigFactRole(SphinxRole):
    """``:kconfig:default:`CONFIG_FOO``` and its siblings: the tree's answer, in words.

    The same text as in exports (:func:`secguide.trace.kconfig_facts.fact_text`);
    YAML prose gets it before parsing, pages through this role.
    """

    def __init__(self, kind: FactKind) -> None:
        super().__init__()
        self.kind = kind

    def run(self) -> tuple[list[nodes.Node], list[nodes.system_message]]:
        state = get_state(self.env)
        symbol = state.db.get(self.text.strip())
        if symbol is None:
            warn(Code.UNKNOWN_SYMBOL, unknown_message(self.text.strip(), state),
                 self.get_location())
            return [nodes.literal(self.text, self.text)], []
        mention(self.env, symbol.name, self.lineno)
        inline = nodes.inline(classes=["secguide-kconfig-fact"])
        inline += fact_nodes(fact_text(self.kind, symbol))
        return [inline], []


class KconfigReferenceDirective(SphinxDirective):
    """``.. kconfig:reference::``: the entries of every symbol the guide mentions."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        # nothing of the model is read here: the entries are made when the page is
        # written, and written again when what they show changed (rewrite_reference_page)
        self.env.get_domain("kconfig").data["reference_docs"][self.env.docname] = True
        self.env.get_domain("secguide").note_model_doc(self.env.docname)
        placeholder = kconfig_reference()
        self.set_source_info(placeholder)
        return [placeholder]


class KconfigDomain(Domain):
    """Kconfig symbols of the tree named by ``secguide_zephyr_base``.

    ``data["mentions_by_doc"]``: docname → {symbol: line} of every mention.
    ``data["reference_docs"]``: docname → True for pages with ``kconfig:reference``.
    ``data["rendered"]``: the symbols of the reference page as last written, and
    ``data["rendered_users"]``: the recommendations (and their pages) each entry named.
    """

    name = "kconfig"
    label = "Kconfig"
    object_types = {"option": ObjType("option", "option")}
    initial_data: dict[str, Any] = {"mentions_by_doc": {}, "reference_docs": {},
                                    "rendered": [], "rendered_users": []}
    data_version = 2

    roles = {"option": KconfigOptionRole(warn_dangling=False),
             **{kind.value: KconfigFactRole(kind) for kind in FactKind}}
    directives = {"reference": KconfigReferenceDirective}

    def mention(self, docname: str, name: str, line: int) -> None:
        self.data["mentions_by_doc"].setdefault(docname, {}).setdefault(
            strip_config_prefix(name), line)

    def reference_doc(self) -> str | None:
        return min(self.data["reference_docs"], default=None)

    def mentioned(self) -> set[str]:
        return {name for names in self.data["mentions_by_doc"].values() for name in names}

    def clear_doc(self, docname: str) -> None:
        self.data["mentions_by_doc"].pop(docname, None)
        self.data["reference_docs"].pop(docname, None)

    def merge_domaindata(self, docnames: Set[str], otherdata: dict[str, Any]) -> None:
        for doc, names in otherdata["mentions_by_doc"].items():
            if doc in docnames:
                self.data["mentions_by_doc"][doc] = names
        for doc in otherdata["reference_docs"]:
            if doc in docnames:
                self.data["reference_docs"][doc] = True

    def resolve_xref(self, env: BuildEnvironment, fromdocname: str, builder: Builder,
                     typ: str, target: str, node: pending_xref,
                     contnode: nodes.Element) -> nodes.reference | None:
        refdoc = self.reference_doc()
        if refdoc is None or target not in get_state(env).db:
            return None
        return make_refnode(builder, fromdocname, refdoc, anchor(target), contnode,
                            anchor(target))

    def resolve_any_xref(self, env: BuildEnvironment, fromdocname: str, builder: Builder,
                         target: str, node: pending_xref,
                         contnode: nodes.Element) -> list[tuple[str, nodes.reference]]:
        found = self.resolve_xref(env, fromdocname, builder, "option", target, node, contnode)
        return [("kconfig:option", found)] if found is not None else []

    def get_objects(self) -> Iterable[tuple[str, str, str, str, str, int]]:
        refdoc = self.reference_doc()
        if refdoc is None:
            return
        for name in sorted(self.data["rendered"]):
            yield anchor(name), anchor(name), "option", refdoc, anchor(name), 1


# -- literal CONFIG_ names in pages -----------------------------------------------------

#: Class of nodes that name a symbol *because* the tree lacks it (e.g. stale entries of
#: Zephyr's own hardened.csv); the literal-name check leaves them alone.
ABSENT_SYMBOL = "secguide-absent-symbol"


def check_literal_names(app: Sphinx, doctree: nodes.document) -> None:
    """``doctree-read``: every ``CONFIG_FOO`` written in the page must exist in the tree.

    Text inside Kconfig roles is checked by the role; text from YAML (need
    content, scope prose) is checked when the model is loaded.
    """
    env = app.env
    state = get_state(env)
    for text in doctree.findall(nodes.Text):
        if not CONFIG_NAME.search(text):
            continue
        parent = text.parent
        if parent is None or any(isinstance(a, pending_xref) or ABSENT_SYMBOL in
                                 getattr(a, "get", lambda *_: ())("classes", ())
                                 for a in _ancestors(parent)):
            continue
        source, line = get_source_line(parent)
        if source and Path(source).suffix in (".yaml", ".yml"):
            continue
        for match in CONFIG_NAME.finditer(text):
            name = match.group(0)
            if name in state.db:
                mention(env, name, line or 0)
            else:
                warn(Code.UNKNOWN_SYMBOL_TEXT, unknown_message(name, state), parent)


def _ancestors(node: nodes.Node) -> Iterable[nodes.Node]:
    while node is not None:
        yield node
        node = node.parent


# -- the reference page ---------------------------------------------------------------------

def reference_symbols(env: BuildEnvironment) -> list[str]:
    """Symbols with an entry: mentioned anywhere and defined in the tree, sorted."""
    state = get_state(env)
    names = env.get_domain("kconfig").mentioned() | state.mentioned_symbols()
    return sorted(name for name in names if name in state.db)


def rewrite_reference_page(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-get-updated``: the reference page is written again when what its entries
    show changed: the symbols, the recommendations setting each, and their pages."""
    # nothing can have changed when no page was read and the model and tree are those
    # of the last build
    if pages_unchanged(env):
        return []
    domain = env.get_domain("kconfig")
    refdoc = domain.reference_doc()
    current = reference_symbols(env) if refdoc is not None else []
    users: list[Any] = []
    if refdoc is not None:
        where = env.get_domain("secguide").data["items"]
        set_by = _users(get_state(env))
        users = [[name, [[rec_id, where.get(rec_id, ("", 0))[0]]
                         for rec_id in set_by.get(name, ())]] for name in current]
    if current == domain.data["rendered"] and users == domain.data["rendered_users"]:
        return []
    domain.data["rendered"] = current
    domain.data["rendered_users"] = users
    return [refdoc] if refdoc is not None else []


def check_reference_page(app: Sphinx, env: BuildEnvironment) -> None:
    """``env-check-consistency``: roles need a page to point at."""
    domain = env.get_domain("kconfig")
    if domain.reference_doc() is None and domain.data["mentions_by_doc"]:
        doc, names = next(iter(sorted(domain.data["mentions_by_doc"].items())))
        name, line = next(iter(names.items()))
        warn(Code.NO_KCONFIG_REFERENCE,
             f"CONFIG_{name} is linked but no page holds '.. kconfig:reference::'",
             f"{env.doc2path(doc)}:{line}")


def fill_reference(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """``doctree-resolved``: replace the placeholder with one entry per symbol.

    Live symbols come first; deprecated ones follow under their own heading, so a
    reader does not take one for a current option.
    """
    placeholders = list(doctree.findall(kconfig_reference))
    if not placeholders:
        return
    env = app.env
    state = get_state(env)
    names = reference_symbols(env)
    links = EntryLinks(app, docname, set(names), _users(state))
    symbols = [symbol for symbol in (state.db.get(name) for name in names) if symbol]
    entries: list[nodes.Node] = [symbol_entry(symbol, app.config.secguide_source_url, links)
                                 for symbol in symbols if not symbol.deprecated]
    deprecated = [symbol for symbol in symbols if symbol.deprecated]
    if deprecated:
        section = nodes.section(ids=["deprecated-symbols"], classes=["secguide-deprecated-items"])
        title = "Deprecated symbols"
        section += nodes.title(title, title)
        text = ("Zephyr still defines these symbols but warns when a configuration sets "
                "them; each is kept here because the guide mentions it.")
        section += nodes.paragraph(text, text)
        section += [symbol_entry(symbol, app.config.secguide_source_url, links)
                    for symbol in deprecated]
        entries.append(section)
    for placeholder in placeholders:
        placeholder.replace_self(entries if placeholder is placeholders[0] else [])


def _users(state: ModelState) -> dict[str, list[str]]:
    """Symbol name → IDs of the recommendations that set it or name it as a successor."""
    users: dict[str, list[str]] = {}
    for rec in state.model.recommendations:
        for setting in rec.settings:
            users.setdefault(strip_config_prefix(setting.symbol), []).append(rec.id)
    return {name: list(dict.fromkeys(ids)) for name, ids in users.items()}


#: Zephyr's own Kconfig reference, for symbols this guide has no entry of.
ZEPHYR_KCONFIG_DOCS = "https://docs.zephyrproject.org/latest/kconfig.html#CONFIG_{name}"

#: Tokens of a Kconfig expression as kconfiglib prints it.
_EXPR_TOKEN = re.compile(r'<choice "(?P<choice>[^"]*)">|<choice (?P<named>[A-Za-z0-9_]+)>|<choice>'
                         r'|(?P<name>[A-Za-z0-9_]+)|\s+|.')


@dataclass(frozen=True, slots=True)
class EntryLinks:
    """How an entry links out: symbols of this page, Zephyr's reference, recommendations."""

    app: Sphinx
    docname: str
    on_page: set[str]
    users: dict[str, list[str]]

    def symbol(self, name: str) -> nodes.Node:
        """``CONFIG_name`` linked to its entry here, else to Zephyr's reference."""
        text = f"CONFIG_{name}"
        literal = nodes.literal(text, text)
        if name in self.on_page:
            return nodes.reference("", "", literal, refid=anchor(name), internal=True)
        if name in get_state(self.app.env).db:
            return nodes.reference("", "", literal, internal=False,
                                   refuri=ZEPHYR_KCONFIG_DOCS.format(name=name))
        return literal

    def expression(self, text: str) -> nodes.paragraph:
        """A Kconfig expression with every defined symbol linked."""
        para = nodes.paragraph(classes=["secguide-kconfig-expr"])
        db = get_state(self.app.env).db
        for match in _EXPR_TOKEN.finditer(text):
            token = match.group(0)
            if match.group("choice") is not None or match.group("named") is not None:
                label = f"the choice “{match.group('choice') or match.group('named')}”"
                para += nodes.emphasis(label, label)
            elif match.group("name") and match.group("name") in db:
                para += self.symbol(match.group("name"))
            else:
                para += nodes.Text(token)
        return para

    def recommendation(self, item_id: str) -> nodes.Node:
        where = self.app.env.get_domain("secguide").items.get(item_id)
        inline = nodes.inline(item_id, item_id, classes=["secguide-item-ref"])
        if where is None:
            return inline
        return make_refnode(self.app.builder, self.docname, where[0], item_id, inline, item_id)


def _site(loc_path: str, line: int, source_url: str) -> nodes.Node:
    text = f"{loc_path}:{line}" if line else loc_path
    # generated files ($(KCONFIG_BINARY_DIR)/...) are not in Zephyr's repository
    if not source_url or loc_path.startswith("$("):
        return nodes.literal(text, text)
    uri = f"{source_url.rstrip('/')}/{loc_path}" + (f"#L{line}" if line else "")
    return nodes.reference(text, "", nodes.literal(text, text), refuri=uri)


def _field(name: str, *body: nodes.Node) -> nodes.field:
    return nodes.field("", nodes.field_name(name, name), nodes.field_body("", *body))


def _listing(entries: list[nodes.Node], limit: int = MAX_LISTED) -> nodes.Node:
    block = nodes.bullet_list(classes=["secguide-kconfig-list"])
    for entry in entries[:limit]:
        block += nodes.list_item("", entry if isinstance(entry, nodes.paragraph)
                                 else nodes.paragraph("", "", entry))
    if len(entries) > limit:
        more = f"… and {len(entries) - limit} more"
        block += nodes.list_item("", nodes.paragraph(more, more))
    return block


def _conditional(value: ConditionalValue, links: EntryLinks, *, symbol: bool) -> nodes.Node:
    """``value`` (a symbol link or a literal), then ``if <condition>`` with links."""
    para = (nodes.paragraph("", "", links.symbol(value.value)) if symbol
            else links.expression(value.value))
    if value.condition is not None:
        condition = links.expression(value.condition)
        para += nodes.inline(" if ", " if ", classes=["secguide-kconfig-cond"])
        para += condition.children
    return para


def _reopening(path: str) -> bool:
    """A board or SoC ``Kconfig.defconfig`` file: read only when building for it."""
    return "defconfig" in path.rsplit("/", 1)[-1]


def _default(value: ConditionalValue, links: EntryLinks, source_url: str) -> nodes.Node:
    """A default with its condition; one from a board or SoC file also names the file,
    which Zephyr reads only when building for that board or SoC."""
    para = _conditional(value, links, symbol=False)
    if _reopening(value.loc.path):
        para += nodes.inline(" — ", " — ", classes=["secguide-kconfig-cond"])
        para += _site(value.loc.path, value.loc.line, source_url)
    return para


def help_paragraphs(text: str) -> list[nodes.Node]:
    """Kconfig help reflowed: blank lines separate paragraphs, line breaks inside one are
    the source's wrapping, not the author's. Lines starting with a bullet (``-``, ``*``)
    or indented further than the paragraph stay lines of their own."""
    result: list[nodes.Node] = []
    for block in re.split(r"\n\s*\n", text.strip("\n")):
        lines = block.splitlines()
        if not block.strip():
            continue
        indent = min(len(line) - len(line.lstrip()) for line in lines if line.strip())
        keep_lines = any(line.lstrip().startswith(("- ", "* ", "o ")) or
                         len(line) - len(line.lstrip()) > indent for line in lines[1:])
        if keep_lines:
            shown = "\n".join(line[indent:] for line in lines)
            result.append(nodes.literal_block(shown, shown, classes=["secguide-kconfig-help"]))
        else:
            joined = " ".join(line.strip() for line in lines)
            result.append(nodes.paragraph(joined, joined, classes=["secguide-kconfig-help"]))
    return result


def symbol_entry(symbol: KconfigSymbol, source_url: str, links: EntryLinks) -> nodes.Node:
    """One reference entry, as Zephyr's own reference shows it and a little more:
    prompt, help, type, every default with its condition, dependencies and selects as
    links, definition sites linked to the sources, and the recommendations using it."""
    name = symbol.config_name
    bare = strip_config_prefix(name)
    section = nodes.section(ids=[anchor(name)], classes=["secguide-kconfig-entry"])
    section += nodes.title(name, name)
    if symbol.prompts:
        section += nodes.paragraph("", "", nodes.emphasis(symbol.prompts[0], symbol.prompts[0]))
    if symbol.deprecated:
        warning = nodes.warning()
        text = "Deprecated: Zephyr warns when a configuration sets this symbol."
        warning += nodes.paragraph(text, text)
        section += warning
    users = links.users.get(bare, [])
    if users:
        para = nodes.paragraph("", "Recommended by ", classes=["secguide-kconfig-users"])
        for index, item_id in enumerate(users):
            para += [nodes.Text(", ") if index else nodes.Text(""), links.recommendation(item_id)]
        section += para
    section += help_paragraphs(symbol.help) or [
        nodes.paragraph("", "", nodes.emphasis("No help text.", "No help text."))]
    fields = nodes.field_list()
    fields += _field("Type", nodes.paragraph("", "", nodes.literal(symbol.type, symbol.type)))
    settable = "yes" if symbol.user_settable else "no (no prompt: set by defaults and selects)"
    fields += _field("Settable in prj.conf", nodes.paragraph(settable, settable))
    if len(symbol.prompts) > 1:
        fields += _field("Other prompts", _listing(
            [nodes.Text(prompt) for prompt in symbol.prompts[1:]]))
    if symbol.defaults:
        fields += _field("Defaults", _listing(
            [_default(value, links, source_url) for value in symbol.defaults]))
    if symbol.ranges:
        fields += _field("Range", _listing(
            [_conditional(value, links, symbol=False) for value in symbol.ranges]))
    if symbol.depends_on != "y":
        fields += _field("Depends on", links.expression(symbol.depends_on))
    for label, values in (("Selects", symbol.selects), ("Implies", symbol.implies)):
        if values:
            fields += _field(label, _listing(
                [_conditional(value, links, symbol=True) for value in values]))
    for label, names in (("Selected by", symbol.selected_by),
                         ("Implied by", symbol.implied_by)):
        if names:
            fields += _field(label, _listing([links.expression(n) for n in names]))
    if symbol.choice:
        fields += _field("Member of", links.expression(symbol.choice))
    # board and SoC Kconfig.defconfig files only add defaults; they are named there
    primary = [loc for loc in symbol.definitions if not _reopening(loc.path)]
    fields += _field("Defined at", _listing(
        [_site(loc.path, loc.line, source_url) for loc in primary or symbol.definitions]))
    if symbol.configdefault_sites:
        fields += _field("configdefault at", _listing(
            [_site(loc.path, loc.line, source_url) for loc in symbol.configdefault_sites]))
    section += fields
    return section


def kconfig_domain(env: BuildEnvironment) -> KconfigDomain | None:
    """secguide's ``kconfig`` domain, or None inside Zephyr's docs (whose domain it is)."""
    domain = env.get_domain("kconfig")
    return domain if isinstance(domain, KconfigDomain) else None


def mention(env: BuildEnvironment, name: str, line: int) -> None:
    """Note that the current page names ``name`` (its entry goes on the reference page)."""
    domain = kconfig_domain(env)
    if domain is not None:
        domain.mention(env.docname, name, line)


def option_reference(name: str) -> pending_xref:
    """A ``:kconfig:option:`` link built in code (tables of settings)."""
    ref = pending_xref("", refdomain="kconfig", reftype="option",
                       reftarget=anchor(name), refexplicit=False, refwarn=False)
    ref += nodes.literal(anchor(name), anchor(name))
    return ref


def setup_kconfig(app: Sphinx) -> None:
    """The ``kconfig`` domain, its reference page and the literal-name check.

    When a ``kconfig`` domain is registered already (Zephyr's own documentation loads
    ``zephyr.kconfig`` first), that domain resolves the guide's links: secguide adds
    neither its domain nor its reference page.
    """
    if "kconfig" in app.registry.domains:
        app.connect("doctree-read", check_literal_names)
        return
    app.add_node(kconfig_reference)
    app.add_domain(KconfigDomain)
    app.connect("doctree-read", check_literal_names)
    app.connect("env-get-updated", rewrite_reference_page)
    app.connect("env-check-consistency", check_reference_page)
    app.connect("doctree-resolved", fill_reference)
