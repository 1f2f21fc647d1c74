"""``secguide diff`` reports: text, JSON, Markdown for a pull-request comment, an HTML page.

Each renderer takes the frozen :class:`~secguide.trace.diff.ModelDiff` and decides
nothing. Text from the model (titles, prose, reasons) is untrusted: the text
report keeps it on one line per value, the Markdown makes it inert
(:func:`secguide.templates.markdown_inert`, inside ``<del>``/``<ins>`` for word
diffs), the HTML page is autoescaped.

The Markdown puts the summary first and every section in a ``<details>`` block;
GitHub refuses comments over 65,536 characters, so it stays under
:data:`MARKDOWN_LIMIT`, listing fewer entries per section (and saying how many
it left out) until it fits.
"""

from __future__ import annotations

import functools
import json
from typing import Any

import jinja2

from secguide.templates import markdown_inert, one_line, render
from secguide.trace.diff import ModelDiff
from secguide.trace.item_diff import WordKind, Words

FORMATS = ("text", "json", "md")
MARKDOWN_LIMIT = 60_000
#: Entries per section tried in turn until the Markdown fits (None: all).
_ENTRY_LIMITS = (None, 100, 30, 10, 3, 0)


def words_text(words: tuple[Words, ...]) -> str:
    """A word diff in git's ``--word-diff=plain`` notation, on one line."""
    marks = {WordKind.REMOVED: "[-{}-]", WordKind.ADDED: "{{+{}+}}",
             WordKind.GAP: "[... {} ...]", WordKind.SAME: "{}"}
    return " ".join(marks[w.kind].format(one_line(w.text)) for w in words)


def words_markdown(words: tuple[Words, ...]) -> str:
    """A word diff as GitHub shows it: struck-through and inserted runs, text made inert."""
    marks = {WordKind.REMOVED: "<del>{}</del>", WordKind.ADDED: "<ins>{}</ins>",
             WordKind.GAP: "*\\[… {} …\\]*", WordKind.SAME: "{}"}
    return " ".join(marks[w.kind].format(markdown_inert(w.text)) for w in words)


def _summary(diff: ModelDiff) -> list[tuple[str, int]]:
    """(what, how many) for every kind of change, zero counts left out."""
    items = diff.items
    rows = [
        ("items added", sum(1 for i in items if i.change.value == "added")),
        ("items removed", sum(1 for i in items if i.change.value == "removed")),
        ("items changed", sum(1 for i in items if i.change.value == "changed")),
        ("threats whose mitigations change", len(diff.threats)),
        ("recommendations whose verifications change", len(diff.verifications)),
        ("clauses whose mapping or level changes", len(diff.clauses)),
        ("stamps made suspect", len(diff.suspect)),
        ("items needing Working Group sign-off", len(diff.sign_off)),
        ("stamps added, changed or removed", len(diff.stamps)),
        ("findings added", len(diff.findings_added)),
        ("findings fixed", len(diff.findings_fixed)),
        ("reference builds whose verdicts change", len(diff.changed_builds)),
        ("verdicts newly FAIL", sum(b.newly_failing for b in diff.builds or ())),
        ("upstream rules whose standing changes", len(diff.upstream or ())),
    ]
    return [(what, count) for what, count in rows if count]


def _context(diff: ModelDiff) -> dict[str, Any]:
    return {"d": diff, "summary": _summary(diff)}


def render_text(diff: ModelDiff) -> str:
    return render("diff.txt.j2", words=words_text, **_context(diff))


def render_json(diff: ModelDiff) -> str:
    return json.dumps(diff.as_dict(), indent=2, ensure_ascii=False) + "\n"


def render_markdown(diff: ModelDiff, limit: int = MARKDOWN_LIMIT) -> str:
    """The pull-request comment, under ``limit`` characters."""
    for entries in _ENTRY_LIMITS:
        text = render("diff.md.j2", words=words_markdown, limit=entries, **_context(diff))
        if len(text) <= limit:
            return text
    note = ("\n\n**Cut:** this comment was longer than GitHub allows; run "
            "`secguide diff` locally for the whole report.\n")
    return text[:limit - len(note)].rsplit("\n", 1)[0] + note


@functools.cache
def _html_environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("secguide", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              trim_blocks=True, lstrip_blocks=True)


def render_html(diff: ModelDiff) -> str:
    """A standalone page with the same content as the Markdown, every text autoescaped."""
    return _html_environment().get_template("diff.html.j2").render(**_context(diff))


def render_report(diff: ModelDiff, fmt: str) -> str:
    return {"text": render_text, "json": render_json, "md": render_markdown}[fmt](diff)
