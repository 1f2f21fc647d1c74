"""The bench's floor: a plain Sphinx + furo + sphinx-needs site made of the guide's own text.

The writer's loop of the guide is judged against what any Sphinx site of the same
pages and the same amount of text costs on the same machine. That site is made here
from a build of the guide: each page's main article (furo's ``furo-main-content``)
is read back as text, block by block (headings, paragraphs, list items, table cells,
code), and written as a plain reStructuredText page of the same name, inert: every
character that means something to reStructuredText is escaped. No directive, no need,
no diagram, no generated data: what is left is the floor any such site pays.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

#: Elements whose text is one block of the floor page.
_BLOCKS = {"p", "li", "td", "th", "dt", "dd", "pre", "h1", "h2", "h3", "h4", "caption"}
_HEADINGS = {"h1": "#", "h2": "*", "h3": "=", "h4": "-"}
#: Markup characters of reStructuredText, escaped so the text stays text.
_RST_SPECIAL = re.compile(r"([\\`*_|\[\]<>:])")
_SPACES = re.compile(r"\s+")


class _ArticleText(HTMLParser):
    """The blocks of text inside ``<article id="furo-main-content">``, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str, str]] = []
        self._article_depth = 0
        self._open: list[str] = []
        self._text: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article" and ("id", "furo-main-content") in attrs:
            self._article_depth = 1
            return
        if not self._article_depth:
            return
        if tag == "article":
            self._article_depth += 1
        if tag in ("script", "style", "svg"):
            self._skip += 1
        if tag in _BLOCKS:
            self._flush()
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self._article_depth:
            return
        if tag == "article":
            self._article_depth -= 1
            if not self._article_depth:
                self._flush()
            return
        if tag in ("script", "style", "svg") and self._skip:
            self._skip -= 1
        if tag in _BLOCKS:
            self._flush()
            if self._open and self._open[-1] == tag:
                self._open.pop()

    def handle_data(self, data: str) -> None:
        if self._article_depth and not self._skip:
            self._text.append(data)

    def _flush(self) -> None:
        raw = "".join(self._text)
        self._text = []
        kind = self._open[-1] if self._open else "p"
        text = raw.strip("\n") if kind == "pre" else _SPACES.sub(" ", raw).strip()
        if text.strip():
            self.blocks.append((kind, text))


def page_blocks(html: str) -> list[tuple[str, str]]:
    """(element, text) of each block of a built guide page's main article."""
    parser = _ArticleText()
    parser.feed(html)
    parser.close()
    return parser.blocks


def _rst_page(title: str, blocks: list[tuple[str, str]]) -> str:
    lines = [title, "#" * max(len(title), 4), ""]
    for kind, text in blocks:
        if kind == "pre":
            lines += ["::", "", *("   " + line for line in text.splitlines()), ""]
            continue
        inert = _RST_SPECIAL.sub(r"\\\1", text.replace("¶", "").strip())
        if not inert:
            continue
        if kind in _HEADINGS and kind != "h1":
            lines += [inert, _HEADINGS[kind] * max(len(inert), 4), ""]
        else:
            lines += [inert, ""]
    return "\n".join(lines) + "\n"


def floor_from_guide(html_dir: Path, target: Path) -> Path:
    """A floor project in ``target`` with one page per page of the built guide in
    ``html_dir`` (same names, same text), all in the index's toctree."""
    source = target / "source"
    source.mkdir(parents=True)
    (target / "conf.py").write_text('extensions = ["sphinx_needs"]\nhtml_theme = "furo"\n'
                                    'project = "Floor"\nexclude_patterns = []\n')
    names = []
    for page in sorted(html_dir.rglob("*.html")):
        relative = page.relative_to(html_dir)
        if relative.parts[0].startswith("_") or relative.name in ("genindex.html",
                                                                   "search.html"):
            continue
        name = relative.with_suffix("").as_posix()
        blocks = page_blocks(page.read_text(encoding="utf-8", errors="replace"))
        title = next((text for kind, text in blocks if kind == "h1"), name)
        title = _RST_SPECIAL.sub(r"\\\1", title.replace("¶", "").strip()) or name
        body = [block for block in blocks if block[0] != "h1"]
        out = source / f"{name}.rst"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(_rst_page(title, body))
        if name != "index":
            names.append(name)
    index = source / "index.rst"
    text = index.read_text() if index.exists() else "Floor\n#####\n\n"
    index.write_text(text + "\n.. toctree::\n   :maxdepth: 1\n\n"
                     + "".join(f"   {name}\n" for name in names))
    return target
