"""Every page of the built guide fits the window: nothing sticks out sideways at 390 px
(a phone) or 1400 px (a desktop), except inside the scrollable wrappers made for wide
tables and diagrams; and all its text reads in the light and the dark colour scheme
(WCAG contrast). Computed in headless Chromium by ``scripts/screenshots.py``'s own
checks, on the guide the session builds (``site`` fixture).

Skipped, saying so, only when Chromium is not installed (``make test`` installs it).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = shutil.which(os.environ.get("CHROMIUM", "chromium"))
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; "
                             "'make test' installs it): the layout of the pages is NOT checked")


def _screenshots() -> ModuleType:
    spec = importlib.util.spec_from_file_location("screenshots", REPO / "scripts" /
                                                  "screenshots.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


screenshots = _screenshots()


@pytest.fixture(scope="module")
def chromium_browser() -> Iterator[Any]:
    assert CHROMIUM is not None
    with screenshots.browser(CHROMIUM) as launched:
        yield launched


def _overflow(browser: Any, page: Path, width: int) -> list[str]:
    with screenshots.window(browser, width, 844, "light") as tab:
        screenshots.load(tab, screenshots.page_url(page))
        return screenshots.overflowing(tab)


@needs_chromium
def test_the_check_finds_content_wider_than_the_window(chromium_browser: Any,
                                                       tmp_path: Path) -> None:
    page = tmp_path / "wide.html"
    # like furo on a phone: the content column scrolls; that does not excuse the slab
    page.write_text('<html><body><div class="content" style="overflow-x: auto"><article>'
                    '<p>fits</p><div id="slab" style="width: 900px">x</div>'
                    '<div style="overflow-x: auto"><table style="width: 2000px"><tr><td>'
                    'scrolls in its wrapper</td></tr></table></div></article></div>'
                    '</body></html>')
    found = _overflow(chromium_browser, page, 390)
    assert any(line.startswith("div#slab:") for line in found), found
    # the table inside a sideways-scrolling wrapper is fine
    assert not any(line.startswith("table") for line in found), found


@needs_chromium
def test_a_page_that_fits_has_no_finding(chromium_browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "narrow.html"
    page.write_text("<html><body><p>A short paragraph that wraps.</p></body></html>")
    assert _overflow(chromium_browser, page, 390) == []


@needs_chromium
@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1400])
def test_no_page_of_the_guide_is_wider_than_the_window(chromium_browser: Any, site: Path,
                                                       width: int) -> None:
    pages = screenshots.pages(site)
    assert len(pages) >= 30, pages  # the whole guide, not an empty folder
    wide = {}
    with screenshots.window(chromium_browser, width, 844, "light") as tab:
        for page in pages:
            screenshots.load(tab, screenshots.page_url(page), settle=False)
            if found := screenshots.overflowing(tab):
                wide[screenshots.page_name(site, page)] = found
    assert wide == {}, wide


@needs_chromium
def test_the_contrast_check_finds_faint_text(chromium_browser: Any, tmp_path: Path) -> None:
    page = tmp_path / "faint.html"
    page.write_text('<html><body style="background: #fff"><article>'
                    '<p class="faint" style="color: #ddd">light grey on white</p>'
                    '<p class="plain">black on white</p>'
                    '<div style="background: #222"><span class="dim" style="color: #333">'
                    'dark on dark</span></div>'
                    '<p class="tint" style="background: rgba(0, 0, 0, 0.1)">on a tint</p>'
                    '</article></body></html>')
    with screenshots.window(chromium_browser, 1400, 900, "light") as tab:
        screenshots.load(tab, page.as_uri(), settle=False)
        found = screenshots.low_contrast(tab)
    assert [line.split(" ")[0] for line in found] == ["p.faint", "span.dim"], found


@needs_chromium
@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_reads_in_both_colour_schemes(chromium_browser: Any, site: Path,
                                                 scheme: str) -> None:
    faint = {}
    with screenshots.window(chromium_browser, 1400, 900, scheme) as tab:
        for page in screenshots.pages(site):
            screenshots.load(tab, screenshots.page_url(page), settle=False)
            if found := screenshots.low_contrast(tab):
                faint[screenshots.page_name(site, page)] = found
        # the scheme really switched: furo paints the page dark
        background = tab.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert (background == "rgb(255, 255, 255)") == (scheme == "light"), background
    assert faint == {}, faint


@needs_chromium
@pytest.mark.slow
def test_search_finds_a_recommendation_by_its_id(chromium_browser: Any, site: Path) -> None:
    with screenshots.window(chromium_browser, 1400, 900, "light") as tab:
        screenshots.load(tab, screenshots.page_url(site / "search.html"))
        links = tab.evaluate("() => [...document.querySelectorAll('#search-results a')]"
                             ".map(a => a.getAttribute('href'))")
    assert any(link.startswith("recommendations/stack-protection.html") for link in links), \
        links
