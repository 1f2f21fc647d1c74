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

import re
import unicodedata

#: Directives prose may use: admonitions and code blocks (none reads a file).
ALLOWED_DIRECTIVES = frozenset({
    "note", "warning", "tip", "hint", "important", "caution", "attention", "danger",
    "error", "seealso", "code-block", "code", "sourcecode",
})

#: Interpreted-text roles prose may use ("" is the page's default role).
ALLOWED_ROLES = frozenset({
    "", "emphasis", "strong", "literal", "code", "sub", "subscript", "sup", "superscript",
    "title-reference", "title", "t", "abbreviation", "abbr", "kbd",
    "ref", "doc", "term", "need", "kconfig:option",
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
