"""What markup threat-model prose may use: the one policy both faces apply.

Prose fields (a recommendation's ``rationale``, a threat's ``description``, ...)
come from YAML that anyone can propose in a pull request, and the guide renders
them as reStructuredText on a published site. So prose gets an allow-list, not
the full language: inline markup, lists, literal blocks, a few admonitions,
links to the guide's own items and pages, ``:kconfig:option:`` and web links.
Everything else that reads files (``include``, ``literalinclude``, ``csv-table
:file:``, ``image``), emits markup verbatim (``raw``, roles derived from it),
changes how the rest of the page is read (``role``, ``default-role``,
``only``, ``ifconfig``, ``meta``, ``title``) or defines names other pages could
meet (labels, citations, substitutions) is refused.

This module is Sphinx-free: :func:`prose_findings` is a lexical scan over the
reStructuredText constructs that can carry any of that (explicit markup,
interpreted-text roles, standalone and embedded URIs), so ``secguide check``
reports exactly what ``make html`` does. The Sphinx layer parses prose with the
same lists as a second line of defence (``secguide.sphinx.prose``).
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.items import TextPlace, ThreatModel

#: The diagnostic code of every refusal, in ``secguide check`` and in the guide build.
UNSAFE_MARKUP = Code.UNSAFE_MARKUP

#: Directives prose may use: admonitions and code blocks (none reads a file).
ALLOWED_DIRECTIVES = frozenset({
    "note", "warning", "tip", "hint", "important", "caution", "attention", "danger",
    "error", "seealso", "code-block", "code", "sourcecode",
})

#: The options each allowed directive may carry (none for the admonitions): the rest
#: read files, register names or change classes, and are refused.
ALLOWED_OPTIONS: dict[str, frozenset[str]] = {
    **{name: frozenset() for name in ALLOWED_DIRECTIVES},
    "code-block": frozenset({"force", "linenos", "dedent", "lineno-start", "emphasize-lines",
                             "caption"}),
    "sourcecode": frozenset({"force", "linenos", "dedent", "lineno-start", "emphasize-lines",
                             "caption"}),
    "code": frozenset({"force", "number-lines"}),
}

#: The largest first line number or dedent a code block may ask for.
MAX_LINE_OPTION = 100_000
#: How many lines of a block ``emphasize-lines`` may count on.
MAX_BLOCK_LINES = 5_000

#: Interpreted-text roles prose may use ("" is the page's default role).
ALLOWED_ROLES = frozenset({
    "", "emphasis", "strong", "literal", "code", "sub", "subscript", "sup", "superscript",
    "title-reference", "title", "t", "abbreviation", "abbr", "kbd",
    "ref", "doc", "term", "need", "kconfig:option",
    # Kconfig facts, stated from the tree (secguide.trace.kconfig_facts)
    "kconfig:default", "kconfig:selected-by", "kconfig:implied-by", "kconfig:depends-on",
    "kconfig:range",
})

#: URI schemes a link in prose may use; a link without a scheme stays inside the guide.
ALLOWED_SCHEMES = frozenset({"http", "https", "mailto"})

#: What browsers drop from a URL before reading its scheme (``java\tscript:`` is
#: ``javascript:``), plus the rest of C0/C1 and spaces, which reST also drops.
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f-\x9f\u00ad\u200b-\u200f\u2028\u2029\ufeff]")
_SCHEME = re.compile(r"([^/?#]*?):")


def uri_scheme(uri: str) -> str | None:
    """The scheme a browser would see in ``uri`` (lower case), ``None`` if it has none.

    Look-alikes are folded first (NFKC: a full-width colon is a colon), so what is
    compared is what a browser or a later normalisation step would act on.
    """
    cleaned = _URL_IGNORED.sub("", unicodedata.normalize("NFKC", uri))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def is_safe_uri(uri: str) -> bool:
    """True for ``http``/``https``/``mailto`` links and links inside the guide.

    A link without a scheme is relative to the page; one starting with ``//``
    (or ``\\\\``, which browsers read the same) names another host.
    """
    scheme = uri_scheme(uri)
    if scheme is not None:
        return scheme in ALLOWED_SCHEMES
    cleaned = _URL_IGNORED.sub("", unicodedata.normalize("NFKC", uri)).replace("\\", "/")
    return not cleaned.startswith("//")


# -- the lexical scan ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class UnsafeMarkup:
    """One construct prose may not use: the line of the text it is on, what, and its words."""

    line: int  # 0-based line of the prose text
    what: str
    snippet: str


#: ``..`` that starts explicit markup; anywhere in a line, since a list item or a field
#: body can start with one (an ellipsis ``...`` does not count).
_EXPLICIT = re.compile(r"(?<![.\w])\.\.[ \t]+(?P<body>\S.*)$")
_DIRECTIVE = re.compile(r"(?P<name>[^\s|_\[][^\s]*?)[ \t]?::(?:\s|$)")
_SUBSTITUTION = re.compile(r"\|[^|]+\|")
_CITATION = re.compile(r"\[(?P<label>[^\]]+)\]")
_ANONYMOUS = re.compile(r"^\s*(?:__|\.\.[ \t]+__:)[ \t]+(?P<uri>\S.*)$")
_WORDS = re.compile(r"(\s+|`)")
_EMBEDDED = re.compile(r"<(?P<uri>[^<>`]+)>`", re.DOTALL)
_STANDALONE = re.compile(r"(?<![\w.+:/-])(?P<scheme>[^\W\d_][\w+.-]*):(?=[^\s:`])")
#: a directive's ``:name:`` option registers a label every page can ``:ref:``
_NAME_OPTION = re.compile(r"^\s*:name:(?:\s|$)")
_ADORNMENT = re.compile(r"^\s*([!-/:-@\[-`{-~])\1+\s*$")


def scan_form(line: str) -> str:
    """A line as the scan reads it: look-alikes folded (NFKC), backslash escapes removed.

    Conservative on purpose: ``java\\script:`` and a full-width colon are read as
    what a later normalisation step could make of them.
    """
    return unicodedata.normalize("NFKC", line).replace("\\", "")


def _target_uri(rest: str, following: list[str]) -> str:
    """The URI of ``.. _name: URI``, continued on more-indented lines as docutils joins it."""
    match = re.search(r"(?<!\\):(?:\s|$)", rest)
    uri = rest[match.end():] if match else ""
    return "".join([uri, *following]).replace(" ", "").replace("\t", "")


#: How far a hyperlink target's URI may continue; bounds the scan of hostile input.
_MAX_CONTINUATION = 100


def _indent(line: str) -> int:
    """Leading whitespace of ``line``; a blank line counts as not indented."""
    stripped = line.lstrip()
    return len(line) - len(stripped) if stripped else 0


def _continuation(lines: list[str], indents: list[int], index: int) -> list[str]:
    """The more-indented lines after ``lines[index]`` (a block's continuation)."""
    found = []
    for offset in range(index + 1, min(len(lines), index + 1 + _MAX_CONTINUATION)):
        if indents[offset] <= indents[index]:
            break
        found.append(lines[offset].strip())
    return found


def _explicit(body: str, lines: list[str], indents: list[int],
              index: int) -> UnsafeMarkup | None:
    snippet = f".. {body.split()[0]}"
    if body.startswith("|") and _SUBSTITUTION.match(body):
        return UnsafeMarkup(index, "a substitution definition", snippet)
    if body.startswith("__:"):
        return None  # anonymous target: its URI is checked with the short form
    if body.startswith("_"):
        uri = _target_uri(body, _continuation(lines, indents, index))
        if not uri:
            return UnsafeMarkup(index, "a label (hyperlink target without a URI)", snippet)
        if uri.endswith("_") or not is_safe_uri(uri):
            return UnsafeMarkup(index, f"a link target to '{uri}'", snippet)
        return None
    citation = _CITATION.match(body)
    if citation and not re.fullmatch(r"#[^\]]*|\d+|\*", citation.group("label")):
        return UnsafeMarkup(index, "a citation", snippet)
    directive = _DIRECTIVE.match(body)
    if directive and directive.group("name").lower() not in ALLOWED_DIRECTIVES:
        name = directive.group("name")
        return UnsafeMarkup(index, f"directive '{name}'", f".. {body[:directive.end()].strip()}")
    return None  # a comment, a footnote, or an allowed directive


_OPTION = re.compile(r"^\s*:(?P<name>[^:\s`]+):(?:\s+(?P<value>.*?))?\s*$")
_LINE_NUMBER = re.compile(r"\d{1,7}")


def line_spec_fits(spec: str, total: int) -> bool:
    """``emphasize-lines`` as Sphinx reads it, every number within the block's ``total`` lines.

    Sphinx expands each range into a list: ``1-99999999999999`` is a MemoryError.
    """
    for part in spec.split(","):
        ends = part.strip().split("-")
        if len(ends) > 2 or ends == ["", ""] or not all(
                _LINE_NUMBER.fullmatch(end) for end in ends if end):
            return False
        numbers = [int(end) for end in ends if end]
        if any(not 1 <= number <= total for number in numbers) or numbers != sorted(numbers):
            return False
    return True


def _option_findings(name: str, lines: list[str], indents: list[int],
                     index: int) -> list[UnsafeMarkup]:
    """Options of the allowed directive ``name`` at ``lines[index]`` off its allow-list, or
    with values out of bounds (``emphasize-lines`` beyond the block, a huge ``dedent``)."""
    allowed = ALLOWED_OPTIONS.get(name.lower(), frozenset())
    block = _continuation(lines, indents, index)
    found, options = [], 0
    for offset, line in enumerate(block, index + 1):
        option = _OPTION.match(line)
        if not line or option is None:
            break
        options += 1
        option_name, value = option.group("name"), (option.group("value") or "").strip()
        if option_name == "name":
            continue  # reported on its own (a label)
        if option_name.lower() not in allowed:
            found.append(UnsafeMarkup(offset, f"option ':{option_name}:' of directive "
                                              f"'{name}'", f":{option_name}:"))
        elif option_name in ("lineno-start", "dedent", "number-lines") and value and not (
                _LINE_NUMBER.fullmatch(value) and int(value) <= MAX_LINE_OPTION):
            found.append(UnsafeMarkup(offset, f"option ':{option_name}:' with a value "
                                              f"beyond {MAX_LINE_OPTION}", f":{option_name}:"))
        elif option_name == "emphasize-lines":
            total = _block_length(lines, indents, index, options)
            if not line_spec_fits(value, total):
                found.append(UnsafeMarkup(offset, f"':emphasize-lines:' beyond the block's "
                                                  f"{total} lines", ":emphasize-lines:"))
    return found


def _block_length(lines: list[str], indents: list[int], index: int, options: int) -> int:
    """Lines of the directive's content: its indented lines after the options, blank ones
    at either end left out (the block Sphinx numbers)."""
    content: list[str] = []
    directive_indent = indents[index]
    start = index + 1 + options
    # bounded, so that many nested blocks cannot make the scan quadratic
    end = start + MAX_BLOCK_LINES
    for line, indent in zip(lines[start:end], indents[start:end], strict=True):
        if line.strip() and indent <= directive_indent:
            break
        content.append(line)
    while content and not content[-1].strip():
        content.pop()
    while content and not content[0].strip():
        content.pop(0)
    return len(content)


#: What opens a template in jinja2 (``{{``, ``{%``) and in sphinx-needs' ``:need:`` role
#: text and functions (``[[``): text that reaches either is never evaluated.
TEMPLATE_OPENERS = ("[[", "{{", "{%")


def _template_lines(text: str) -> list[tuple[int, str]]:
    """(line, opener) for each template opener in ``text`` as docutils reads it: look-alikes
    folded, backslash escapes removed (an escaped space or line end vanishes entirely)."""
    found = []
    raw_lines = text.splitlines()
    for index, raw in enumerate(raw_lines):
        line = re.sub(r"\\\s", "", unicodedata.normalize("NFKC", raw)).replace("\\", "")
        if raw.rstrip(" ").endswith("\\") and index + 1 < len(raw_lines):
            # an escaped line end joins this line's last character to the next line
            line = line + scan_form(raw_lines[index + 1]).lstrip()[:1]
        found += [(index, opener) for opener in TEMPLATE_OPENERS if opener in line]
    return found


def _roles(line: str) -> Iterator[str]:
    """Names of the interpreted-text roles in ``line``: ``:name:`x``` and ```x`:name:``.

    Split into words at whitespace and backquotes (linear time; a regular expression
    with nested repeats is quadratic on ``:a:a:a...``). A role is the word right
    before or after a backquote that holds ``:name:``; any text before its first
    colon is ignored, so ``x:raw:`...``` counts as ``raw`` (docutils would not
    read it as a role; refusing it is the safe side).
    """
    parts = _WORDS.split(line)
    for index, part in enumerate(parts):
        if part.count(":") < 2:
            continue
        backquote_after = index + 1 < len(parts) and parts[index + 1] == "`"
        backquote_before = index > 0 and parts[index - 1] == "`"
        if backquote_after and part.endswith(":"):
            yield part[part.index(":") + 1:-1]
        elif backquote_before and part.startswith(":"):
            yield part[1:part.rindex(":")]


#: sphinx-needs evaluates ``[[function(...)]]`` and ``<<variant>>`` in need fields; a
#: ``copy`` filter or a variant condition is Python ``eval``-ed at build time.
_NEEDS_OPENERS = (("[[", "]]"), ("<<", ">>"))


def _needs_syntax(line: str, index: int) -> list[UnsafeMarkup]:
    """sphinx-needs function or variant syntax on one line (how sphinx-needs matches it)."""
    found = []
    for opener, closer in _NEEDS_OPENERS:
        start = line.find(opener)
        if start >= 0 and line.find(closer, start + 2) >= 0:
            found.append(UnsafeMarkup(index, f"sphinx-needs '{opener}...{closer}' syntax "
                                             "(evaluated by the build)", opener))
    return found


def inert_for_needs(text: str) -> str:
    """``text`` with sphinx-needs' ``[[`` and ``<<`` and jinja2's ``{{`` and ``{%`` broken by
    a word joiner (U+2060).

    It reads the same, but sphinx-needs (here, or in a project that imports our
    needs.json) no longer sees a function call or a variant in it. Prose gets this
    too, without a finding: in a need's content sphinx-needs evaluates only its
    ``ndf`` role (refused), so ``1 << 4`` in a rationale is just text.
    """
    return (text.replace("[[", "[\u2060[").replace("<<", "<\u2060<")
            .replace("{{", "{\u2060{").replace("{%", "{\u2060%"))


def prose_findings(text: str) -> list[UnsafeMarkup]:
    """Every construct in ``text`` that threat-model prose may not use, in text order."""
    lines = [scan_form(line) for line in (text or "").splitlines()]
    indents = [_indent(line) for line in lines]
    found: list[UnsafeMarkup] = []
    uri_lines: set[int] = set()  # lines whose link was judged as a whole already
    for index, line in enumerate(lines):
        explicit = _EXPLICIT.search(line)
        finding = (_explicit(explicit.group("body"), lines, indents, index)
                   if explicit else None)
        if explicit and finding is None:
            directive = _DIRECTIVE.match(explicit.group("body"))
            if directive:
                found += _option_findings(directive.group("name"), lines, indents, index)
        anonymous = _ANONYMOUS.match(line)
        if anonymous:
            uri = re.sub(r"\s", "", "".join([anonymous.group("uri"),
                                              *_continuation(lines, indents, index)]))
            if not is_safe_uri(uri):
                finding = UnsafeMarkup(index, f"a link target to '{uri}'",
                                       line.strip().split()[0])
        if finding:
            found.append(finding)
            if "link target" in finding.what:
                continued = len(_continuation(lines, indents, index))
                uri_lines.update(range(index, index + 1 + continued))
        for name in _roles(line):
            if name.lower() not in ALLOWED_ROLES:
                found.append(UnsafeMarkup(index, f"role ':{name}:'", f":{name}:"))
        if _NAME_OPTION.match(line):
            found.append(UnsafeMarkup(index, "a ':name:' option (a label)", ":name:"))
        if _ADORNMENT.match(line) and line.strip() not in ("::", ".."):
            previous = lines[index - 1].strip() if index else ""
            if previous or len(line.strip()) >= 4:
                found.append(UnsafeMarkup(index, "a section title or transition",
                                          line.strip()))
    found += [UnsafeMarkup(index, f"template syntax '{opener}' (sphinx-needs and jinja2 "
                                  "would evaluate it)", opener)
              for index, opener in _template_lines(text or "")]
    # embedded URIs may span lines (docutils joins them and drops the whitespace)
    joined = "\n".join(lines)
    starts = list(itertools.accumulate((len(line) + 1 for line in lines[:-1]), initial=0))

    def line_of(offset: int) -> int:
        return bisect.bisect_right(starts, offset) - 1

    spans: list[tuple[int, int]] = []
    for embedded in _EMBEDDED.finditer(joined):
        uri = re.sub(r"\s", "", embedded.group("uri"))
        spans.append(embedded.span())
        if not uri.endswith("_") and not is_safe_uri(uri):
            first = embedded.group("uri").split("\n", 1)[0]
            found.append(UnsafeMarkup(line_of(embedded.start()),
                                      f"a link to '{uri}'", f"<{first}"))
    for scheme in _STANDALONE.finditer(joined):
        line = line_of(scheme.start())
        # spans are sorted and disjoint: only the last one starting before can hold it
        before = bisect.bisect_right(spans, (scheme.start(), len(joined) + 1)) - 1
        inside = before >= 0 and spans[before][0] <= scheme.start() < spans[before][1]
        if inside or line in uri_lines or scheme.group("scheme").lower() in ALLOWED_SCHEMES:
            continue
        found.append(UnsafeMarkup(line, f"a '{scheme.group('scheme')}:' link", scheme.group(0)))
    return sorted(found, key=lambda finding: finding.line)


# -- the model's prose ---------------------------------------------------------------------

#: What a page shows instead of prose that uses refused markup (the build fails anyway
#: under ``-W``; without it, nothing of the refused text is published).
WITHHELD = ("This text is not shown: it uses markup that threat-model prose may not use "
            "(secguide check names it).")


@dataclass(frozen=True, slots=True)
class ProseField:
    """One free-text field of the model, with the location of the item that holds it."""

    item_id: str
    field: str
    text: str
    loc: SourceLoc


def prose_fields(model: ThreatModel) -> Iterator[ProseField]:
    """Every free-text field of the model (titles and IDs are plain text, not prose)."""
    if model.scope is not None:
        scope = model.scope
        yield ProseField("scope", "boundary", scope.boundary, scope.loc)
        yield ProseField("scope", "shared_responsibility", scope.shared_responsibility,
                         scope.loc)
        for assumption in scope.assumptions:
            yield ProseField(assumption.id, "text", assumption.text, assumption.loc)
    for asset in model.assets:
        yield ProseField(asset.id, "description", asset.description, asset.loc)
    for adversary in model.adversaries:
        yield ProseField(adversary.id, "description", adversary.description, adversary.loc)
        yield ProseField(adversary.id, "reason", adversary.reason, adversary.loc)
    for item in model.out_of_scope:
        yield ProseField(item.id, "reason", item.reason, item.loc)
        yield ProseField(item.id, "protection_from", item.protection_from, item.loc)
    for threat in model.threats:
        yield ProseField(threat.id, "description", threat.description, threat.loc)
    for resp in model.responsibilities:
        yield ProseField(resp.id, "description", resp.description, resp.loc)
    for rec in model.recommendations:
        yield ProseField(rec.id, "rationale", rec.rationale, rec.loc)
        for setting in rec.settings:
            yield ProseField(rec.id, f"note of {setting.config_name}", setting.note,
                             setting.loc)
        for verification in rec.verifications:
            yield ProseField(rec.id, "verification note", verification.note,
                             verification.loc)
            if verification.kind == "manual-check":  # the procedure is the card's text
                yield ProseField(rec.id, "manual procedure", verification.ref,
                                 verification.loc)
        if rec.deprecation is not None:
            yield ProseField(rec.id, "deprecation note", rec.deprecation.note,
                             rec.deprecation.loc)
    for waiver in model.waivers:
        yield ProseField(f"waiver of CONFIG_{waiver.symbol}", "reason", waiver.reason,
                         waiver.loc)
    for standard in model.standards:
        yield ProseField(standard.id, "summary", standard.summary, standard.loc)
        if standard.note:
            yield ProseField(standard.id, "note", standard.note, standard.loc)
        for clause in standard.entries:
            yield ProseField(clause.id, "justification", clause.justification, clause.loc)


def plain_fields(model: ThreatModel) -> Iterator[ProseField]:
    """Free text the model hands to sphinx-needs as need fields (titles, tags, values)."""
    for item in model.items():
        title = getattr(item, "title", "")
        if title:
            yield ProseField(item.id, "title", title, item.loc)
    for rec in model.recommendations:
        for tag in (*rec.tags, *rec.references):
            yield ProseField(rec.id, "tags/references", tag, rec.loc)
        for setting in rec.settings:
            if setting.value is not None:
                yield ProseField(rec.id, f"value of {setting.config_name}", setting.value,
                                 setting.loc)
        for verification in rec.verifications:
            yield ProseField(rec.id, "verification", verification.ref, verification.loc)
    for standard in model.standards:  # its clauses are items, above
        yield ProseField(standard.id, "name", standard.name, standard.loc)


def _plain_findings(text: str) -> list[UnsafeMarkup]:
    lines = [scan_form(line) for line in text.splitlines()]
    found = [finding for index, line in enumerate(lines)
             for finding in _needs_syntax(line, index)]
    return found + [UnsafeMarkup(index, f"template syntax '{opener}' (jinja2 would evaluate "
                                        "it)", opener)
                    for index, line in enumerate(lines) for opener in ("{{", "{%")
                    if opener in line]


@functools.lru_cache(maxsize=8192)
def _findings(text: str) -> tuple[UnsafeMarkup, ...]:
    return tuple(prose_findings(text))


def safe_prose(text: str) -> str:
    """``text`` when prose may show it as written, else :data:`WITHHELD`."""
    return WITHHELD if text and _findings(text) else text


def _place(model: ThreatModel, prose: ProseField) -> TextPlace | None:
    """Where the field's text is written: the copy in its file nearest after its item."""
    places = model.text_places.get((prose.loc.path, prose.text), ())
    line = prose.loc.line
    return min(places, key=lambda p: (p.loc.line < line, abs(p.loc.line - line)),
               default=None)


def _locate(place: TextPlace | None, fallback: SourceLoc, snippet: str,
            occurrence: int) -> SourceLoc:
    """The file line and column of the ``occurrence``-th ``snippet`` in the text's lines."""
    if place is None:
        return fallback
    seen = 0
    for offset, raw in enumerate(place.lines):
        line = scan_form(raw)
        start = line.find(snippet)
        while start >= 0:
            if seen == occurrence:
                return SourceLoc(place.loc.path, place.loc.line + offset, start + 1)
            seen += 1
            start = line.find(snippet, start + 1)
    return place.loc


#: Findings reported per field; the rest are counted in one more line. A field of
#: 100 000 ``javascript:`` links then costs milliseconds, not a quadratic search.
MAX_FINDINGS_PER_FIELD = 10


def check_prose(model: ThreatModel) -> list[Diagnostic]:
    """An ``unsafe-markup`` error for every refused construct, at the line it is written on."""
    found = []
    left_out, made_inert = "the text is left out of the guide", "it is shown inert"
    fields = [(prose, _findings(prose.text) if prose.text else (), left_out)
              for prose in prose_fields(model)]
    fields += [(plain, tuple(_plain_findings(plain.text)), made_inert)
               for plain in plain_fields(model)]
    for prose, findings, consequence in fields:
        if not findings:
            continue
        place = _place(model, prose)
        counts: dict[str, int] = {}
        for finding in findings[:MAX_FINDINGS_PER_FIELD]:
            occurrence = counts.get(finding.snippet, 0)
            counts[finding.snippet] = occurrence + 1
            found.append(Diagnostic(
                _locate(place, prose.loc, finding.snippet, occurrence), Severity.ERROR,
                UNSAFE_MARKUP,
                f"{prose.item_id}: {prose.field} uses {finding.what}, which threat-model "
                f"prose may not use; {consequence}"))
        if len(findings) > MAX_FINDINGS_PER_FIELD:
            found.append(Diagnostic(
                place.loc if place else prose.loc, Severity.ERROR, UNSAFE_MARKUP,
                f"{prose.item_id}: {prose.field} uses "
                f"{len(findings) - MAX_FINDINGS_PER_FIELD} more constructs prose may not use"))
    return found
