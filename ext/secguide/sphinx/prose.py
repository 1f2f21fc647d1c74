"""The one way threat-model prose becomes docutils nodes: a restricted reStructuredText profile.

Prose is untrusted (see :mod:`secguide.trace.prose`, whose lists this module
applies). ``secguide check`` and the build refuse unsafe prose before it gets
here (a refused field arrives as :data:`~secguide.trace.prose.WITHHELD`); this
is the second line of defence, for whatever that scan might miss:

* ``raw_enabled`` and ``file_insertion_enabled`` are off while prose is parsed;
* a directive or role not on the allow-list is looked up as a stand-in that
  renders nothing and warns (``unsafe-markup``) at the YAML line;
* after parsing, a link whose scheme is not allowed loses its target (the text
  stays, inert), and any ``raw`` node is dropped.

Every prose field goes through here: the directives' own prose via
:func:`prose_nodes`, need content (parsed by sphinx-needs) inside
:func:`prose_profile` followed by :func:`neutralize`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives, roles
from docutils.parsers.rst.states import Inliner
from docutils.statemachine import StringList
from docutils.utils import unescape
from sphinx.environment import BuildEnvironment
from sphinx.util.docutils import SphinxDirective
from sphinx.util.parsing import nested_parse_to_nodes

from secguide.codes import Code
from secguide.diagnostics import display_path
from secguide.sphinx.model import get_state
from secguide.sphinx.warnings import warn
from secguide.trace.prose import (
    ALLOWED_DIRECTIVES,
    ALLOWED_OPTIONS,
    ALLOWED_ROLES,
    TEMPLATE_OPENERS,
    inert_for_needs,
    is_safe_uri,
    line_spec_fits,
    safe_prose,
    uri_scheme,
)


def _location(env: BuildEnvironment, source: str | None, line: int | None) -> str:
    """``path:line`` with the path as the model's diagnostics show it (relative to conf.py)."""
    if not source:
        return ""
    shown = display_path(Path(source), get_state(env).root)
    return f"{shown}:{line}" if line else shown


class RefusedDirective(SphinxDirective):
    """Stands in for any directive prose may not use: renders nothing, says so."""

    has_content = True
    optional_arguments = 1
    final_argument_whitespace = True
    option_spec: ClassVar[dict[str, Any] | None] = None

    def run(self) -> list[nodes.Node]:
        source, line = self.get_source_info()
        warn(Code.UNSAFE_MARKUP,
             f"directive '{self.name}' is not allowed in threat-model prose; "
             "it was not rendered", _location(self.env, source, line))
        return []


def refused_role(name: str, rawtext: str, text: str, lineno: int, inliner: Inliner,
                 options: dict[str, Any] | None = None,
                 content: Sequence[str] = ()) -> tuple[list[nodes.Node], list[Any]]:
    """Stands in for any role prose may not use: renders nothing, says so."""
    source, line = inliner.reporter.get_source_and_line(lineno)
    env = inliner.document.settings.env
    warn(Code.UNSAFE_MARKUP,
         f"role ':{name}:' is not allowed in threat-model prose; it was not rendered",
         _location(env, source, line))
    return [], []


def _template_free(need_role: Any) -> Any:
    """``need_role``, except that text holding a template opener is shown as plain text.

    sphinx-needs renders ``:need:`` text holding ``[[ ]]`` as a jinja template; here it
    never gets it (the model check refuses such text first; this is the second line).
    """
    def role(name: str, rawtext: str, text: str, lineno: int, inliner: Inliner,
             options: dict[str, Any] | None = None,
             content: Sequence[str] = ()) -> tuple[list[nodes.Node], list[Any]]:
        shown = unescape(text)
        if not any(opener in shown for opener in TEMPLATE_OPENERS):
            return need_role(name, rawtext, text, lineno, inliner, options or {}, content)
        source, line = inliner.reporter.get_source_and_line(lineno)
        warn(Code.UNSAFE_MARKUP, "template syntax in a ':need:' reference is not allowed in "
             "threat-model prose; it was not rendered",
             _location(inliner.document.settings.env, source, line))
        return [nodes.inline(rawtext, inert_for_needs(shown))], []
    return role


def _bounded(directive: type[Directive], name: str) -> type[Directive]:
    """``directive`` with only the options prose may give it (others are docutils errors),
    and an ``emphasize-lines`` beyond its block refused before Sphinx expands the range."""
    allowed = ALLOWED_OPTIONS.get(name.lower(), frozenset())

    class Bounded(directive):  # type: ignore[misc,valid-type]
        option_spec: ClassVar[dict[str, Any] | None] = {
            option: convert for option, convert in (directive.option_spec or {}).items()
            if option in allowed}

        def run(self) -> list[nodes.Node]:
            spec = self.options.get("emphasize-lines")
            if spec is not None and not line_spec_fits(str(spec), len(self.content)):
                source, line = self.state_machine.get_source_and_line(self.lineno)
                warn(Code.UNSAFE_MARKUP, "':emphasize-lines:' beyond the block is not "
                     "allowed in threat-model prose; the block was not rendered",
                     _location(self.state.document.settings.env, source, line))
                return []
            return super().run()

    Bounded.__name__ = f"Bounded{directive.__name__}"
    return Bounded


@contextmanager
def prose_profile(document: nodes.document) -> Iterator[None]:
    """While inside: reST as prose may use it (allow-listed directives and roles only)."""
    settings = document.settings
    saved = (settings.raw_enabled, settings.file_insertion_enabled)
    # Sphinx swaps these module functions per document being read; wrap whatever is
    # current, so allowed names still resolve through Sphinx's domains.
    lookup_directive, lookup_role = directives.directive, roles.role

    def directive(name: str, language: Any, doc: nodes.document) -> tuple[Any, list[Any]]:
        if name.lower() in ALLOWED_DIRECTIVES:
            found, messages = lookup_directive(name, language, doc)
            return (_bounded(found, name) if found else found), messages
        return RefusedDirective, []

    def role(name: str, language: Any, lineno: int, reporter: Any) -> tuple[Any, list[Any]]:
        if name.lower() == "need":
            found, messages = lookup_role(name, language, lineno, reporter)
            return (_template_free(found) if found else found), messages
        if name.lower() in ALLOWED_ROLES:
            return lookup_role(name, language, lineno, reporter)
        return refused_role, []

    settings.raw_enabled = False
    settings.file_insertion_enabled = False
    directives.directive = directive
    roles.role = role
    try:
        yield
    finally:
        directives.directive, roles.role = lookup_directive, lookup_role
        settings.raw_enabled, settings.file_insertion_enabled = saved


def neutralize(found: Sequence[nodes.Node], env: BuildEnvironment) -> None:
    """Unlink every link in ``found`` whose scheme prose may not use; drop raw nodes.

    An embedded link is a reference and a target with the same URI: it is
    reported once.
    """
    reported: set[str] = set()
    for root in found:
        if not isinstance(root, nodes.Element):
            continue
        for node in list(root.findall(nodes.Element)):
            if isinstance(node, nodes.raw):
                _refuse(env, node, "raw markup")
                node.parent.remove(node)
                continue
            if not isinstance(node, nodes.reference | nodes.target):
                continue
            uri = node.get("refuri")
            if uri is None or is_safe_uri(uri):
                continue
            if uri not in reported:
                reported.add(uri)
                scheme = uri_scheme(uri) or "//"
                _refuse(env, node, f"a link with scheme '{scheme}'")
            if isinstance(node, nodes.reference):
                node.replace_self(nodes.inline("", "", *node.children))
            else:
                del node["refuri"]


def _refuse(env: BuildEnvironment, node: nodes.Element, what: str) -> None:
    # inline nodes carry no line: the nearest block around them does
    holder: nodes.Node | None = node
    while holder is not None and not (holder.source and holder.line):
        holder = holder.parent
    source, line = (holder.source, holder.line) if holder is not None else (node.source, None)
    warn(Code.UNSAFE_MARKUP,
         f"{what} is not allowed in threat-model prose; it was not rendered",
         _location(env, source, line))


def prose_nodes(directive: SphinxDirective, text: str, source: str,
                first_line: int) -> list[nodes.Node]:
    """YAML prose as nodes, located at ``source`` (absolute) from ``first_line`` (1-based).

    Prose the model check refuses is replaced by a notice before parsing; the rest is
    made inert for sphinx-needs and jinja2 as need content is (one path for all prose).
    """
    return restricted_nodes(directive, inert_for_needs(safe_prose(text)), source, first_line)


def restricted_nodes(directive: SphinxDirective, text: str, source: str,
                     first_line: int) -> list[nodes.Node]:
    """``text`` parsed in the restricted profile, unlinked where needed (no model check)."""
    lines = text.splitlines()
    offset = max(first_line - 1, 0)
    # Folded YAML text has no line-for-line map to its file: every line is the field's.
    block = StringList(lines, items=[(source, offset)] * len(lines))
    with prose_profile(directive.state.document):
        # Titles would put prose into the page's table of contents.
        parsed = list(nested_parse_to_nodes(directive.state, block, source=source,
                                            offset=offset, allow_section_headings=False))
    neutralize(parsed, directive.env)
    return parsed
