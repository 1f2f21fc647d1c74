"""Every internal link of the built guide lands: file and anchor, in pages and in SVGs.

Runs over the whole site the session builds (``site`` fixture): each ``href``,
``src`` and ``data`` of every HTML page and every SVG (Graphviz diagrams link
their nodes to items) that points inside the site must name an existing file,
and its ``#fragment`` an ``id`` (or ``name``) in that file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

LINK_ATTRIBUTES = ("href", "src", "data")


@dataclass
class _Page:
    anchors: set[str] = field(default_factory=set)
    links: list[str] = field(default_factory=list)


class _Collector(HTMLParser):
    """IDs and outgoing links of one HTML or SVG document."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = _Page()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name"):
                self.page.anchors.add(value)
            # SVG links are namespaced: xlink:href, or ns1:href as sphinx-needs writes them
            elif name in LINK_ATTRIBUTES or name.endswith(":href"):
                self.page.links.append(value)

    handle_startendtag = handle_starttag


def _read(path: Path) -> _Page:
    collector = _Collector()
    collector.feed(path.read_text(encoding="utf-8"))
    return collector.page


def broken_links(root: Path) -> list[str]:
    """``page: link`` for every internal link whose file or anchor does not exist."""
    documents = sorted([*root.rglob("*.html"), *root.rglob("*.svg")])
    pages = {path.resolve(): _read(path) for path in documents}
    broken = []
    for path, page in pages.items():
        for link in page.links:
            parts = urlsplit(link)
            if parts.scheme or parts.netloc or link.startswith(("mailto:", "javascript:")):
                continue
            target = (path.parent / unquote(parts.path)).resolve() if parts.path else path
            if not target.exists():
                broken.append(f"{path.relative_to(root.resolve())}: {link} (no such file)")
                continue
            fragment = unquote(parts.fragment)
            if not fragment or target.suffix not in (".html", ".svg"):
                continue
            anchors = pages[target].anchors if target in pages else _read(target).anchors
            if fragment not in anchors:
                broken.append(f"{path.relative_to(root.resolve())}: {link} (no such anchor)")
    return broken


def test_the_checker_finds_a_missing_file_and_a_missing_anchor(tmp_path: Path) -> None:
    (tmp_path / "a.html").write_text(
        '<p id="here"><a href="b.html#there">x</a> <a href="#here">y</a>'
        '<a href="c.html">z</a> <a href="https://example.com/#nope">w</a></p>')
    (tmp_path / "b.html").write_text('<p id="elsewhere"></p>')
    (tmp_path / "_images").mkdir()
    (tmp_path / "_images" / "d.svg").write_text(
        '<svg xmlns:xlink="http://www.w3.org/1999/xlink"><a xlink:href="../a.html#gone"/>'
        '<ns0:a ns1:href="../b.html#elsewhere"/><ns0:a ns1:href="../b.html#lost"/></svg>')
    assert broken_links(tmp_path) == [
        "_images/d.svg: ../a.html#gone (no such anchor)",
        "_images/d.svg: ../b.html#lost (no such anchor)",
        "a.html: b.html#there (no such anchor)",
        "a.html: c.html (no such file)",
    ]


@pytest.mark.slow
def test_every_internal_link_of_the_guide_lands(site: Path) -> None:
    pages = list(site.rglob("*.html"))
    assert len(pages) > 10
    diagrams = list((site / "_images").glob("needflow-*.svg"))
    assert diagrams and all(_read(svg).links for svg in diagrams)
    assert broken_links(site) == []
