"""``make screenshots``: every page of the built guide as PNG, whole, as readers see it.

Each page is shot at desktop (1400 px) and phone (390 px) width, in the light and the
dark colour scheme (the browser reports ``prefers-color-scheme``, which furo follows),
from top to bottom, into ``<out>/<page>--<width>-<scheme>.png``. ``--tiles`` also cuts
each page into window-high pieces, ``<out>/tiles/<page>--<width>-<scheme>--NN.png``, that
a person or an image viewer can read at full size. The search page is shot with a query
(a recommendation ID), so it shows whether search finds items.

While shooting, every page is checked for content wider than the window outside the
scrollable wrappers made for wide tables and diagrams (``overflowing``), and for text
whose contrast with its background is below WCAG's 4.5:1 (``low_contrast``); such pages
are listed at the end and the exit code is 1.

Drives the system's Chromium (Debian: ``apt-get install chromium``; ``--chromium`` or
``$CHROMIUM`` name another) through Playwright (the ``screenshots`` extra; no browser
download). Each page gets a fresh browser context, animations are stopped and
the caret hidden, so the same guide gives the same pictures.
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

# the guide's own long pages (the Kconfig reference is ~100,000 px tall), not hostile input
Image.MAX_IMAGE_PIXELS = None

#: (name, window width, window height): a desktop and a phone.
VIEWPORTS: tuple[tuple[str, int, int], ...] = (("1400", 1400, 900), ("390", 390, 844))
SCHEMES: tuple[str, ...] = ("light", "dark")
#: What the search page is shot with: an item ID a reader would type.
SEARCH_QUERY = "REC-STACK-CANARIES"
#: Chromium's flags for a quiet, repeatable headless run as root in a container.
FLAGS = ["--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--font-render-hinting=none",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

#: Elements sticking out past the window's right edge, except those inside a wrapper of the
#: page's text that scrolls sideways itself (furo's table wrapper, code blocks, diagrams),
#: inside a fixed box (furo's drawers wait off-screen) or hidden. Furo lets its whole
#: content column scroll on narrow screens, so only scrolling boxes inside the article
#: count: anything else sticking out makes the reader scroll the whole text sideways.
#: Each as "tag#id.class: right edge px"; the document's own width as "document".
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const article = document.querySelector("article") || document.body;
  const excused = (el) => {
    for (let p = el.parentElement; p; p = p.parentElement) {
      const style = getComputedStyle(p);
      if (style.position === "fixed") return true;
      if (p !== article && article.contains(p)
          && ["auto", "scroll"].includes(style.overflowX)) return true;
    }
    return false;
  };
  const out = [];
  if (document.documentElement.scrollWidth > width + 1)
    out.push(`document: ${document.documentElement.scrollWidth} px wide`);
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= width + 1) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.position === "fixed") continue;
    if (excused(el)) continue;
    const name = el.tagName.toLowerCase() + (el.id ? "#" + el.id : "")
      + (el.classList.length ? "." + [...el.classList].join(".") : "");
    out.push(`${name}: right edge ${Math.round(box.right)} px`);
    if (out.length >= 10) break;
  }
  return out;
}
"""


#: Text of the page (inside the article) whose colour has less contrast with the background
#: it is painted on than WCAG 2 asks (4.5:1; 3:1 for large text). The background is found by
#: blending the semi-transparent backgrounds of the element and its ancestors (badges and
#: banners use translucent tints). One line per kind of element: 'tag.class "text" ratio'.
CONTRAST_JS = """
() => {
  const parse = (css) => {
    const m = css.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const channel = (v) => {
    v /= 255;
    return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
  };
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g)
    + 0.0722 * channel(b);
  const over = (top, bottom) =>
    [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat([1]);
  const background = (el) => {
    const layers = [];
    for (let p = el; p; p = p.parentElement) {
      const c = parse(getComputedStyle(p).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let bg = [255, 255, 255, 1];
    if (layers.length && layers[layers.length - 1][3] >= 1) bg = layers.pop();
    while (layers.length) bg = over(layers.pop(), bg);
    return bg;
  };
  const out = [];
  const seen = new Set();
  const article = document.querySelector("article") || document.body;
  for (const el of article.querySelectorAll("*")) {
    const text = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (!text || style.visibility === "hidden" || !box.width || !box.height) continue;
    const bg = background(el);
    const fg = parse(style.color);
    if (!fg) continue;
    const l1 = luminance(over(fg, bg));
    const l2 = luminance(bg);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const key = el.tagName.toLowerCase() + "." + [...el.classList].join(".");
    if (ratio >= (large ? 3 : 4.5) || seen.has(key)) continue;
    seen.add(key);
    out.push(`${key} "${el.textContent.trim().slice(0, 30)}" ${ratio.toFixed(2)}`);
  }
  return out;
}
"""


@dataclass(frozen=True)
class Shot:
    """What shooting one page in one variant produced."""

    page: str
    variant: str
    height: int
    files: tuple[Path, ...]
    overflow: tuple[str, ...]
    contrast: tuple[str, ...]


def pages(html: Path) -> list[Path]:
    """Every page of the guide in a stable order: not Sphinx's internals, not the
    sphinx-needs permalink redirect (a script, no content)."""
    return sorted(path for path in html.rglob("*.html")
                  if not path.relative_to(html).parts[0].startswith("_")
                  and path.name != "permalink.html")


def page_name(html: Path, page: Path) -> str:
    """``standards/cra.html`` -> ``standards--cra``: one flat folder of files."""
    return str(page.relative_to(html).with_suffix("")).replace(os.sep, "--")


def page_url(page: Path) -> str:
    """The page's ``file://`` URL; the search page with a query."""
    url = page.resolve().as_uri()
    return f"{url}?q={SEARCH_QUERY}" if page.name == "search.html" else url


@contextmanager
def browser(chromium: str) -> Iterator[Any]:
    """A headless Chromium driven by Playwright.

    Raises:
        SystemExit: Playwright (the ``screenshots`` extra) is not installed.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        raise SystemExit("screenshots: Playwright is missing; "
                         "pip install -e '.[screenshots]' (make screenshots does)") from None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=FLAGS)
        try:
            yield launched
        finally:
            launched.close()


@contextmanager
def window(chromium_browser: Any, width: int, height: int, scheme: str) -> Iterator[Any]:
    """One browser tab of this size and colour scheme, in a fresh context."""
    context = chromium_browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=1,
        color_scheme=scheme, reduced_motion="reduce")
    try:
        yield context.new_page()
    finally:
        context.close()


def load(tab: Any, url: str, settle: bool = True) -> None:
    """Open ``url``; with ``settle``, wait until its scripts ran (search results, board
    finder, table widgets) as a picture needs."""
    tab.goto(url, wait_until="load")
    if not settle:
        return
    tab.wait_for_load_state("networkidle")
    if "?q=" in url:
        # Sphinx's search fills the results after loading its index, then says "finished"
        tab.wait_for_function(
            "() => /finished|found/i.test("
            "(document.querySelector('#search-progress') || {}).textContent || 'finished')",
            timeout=30_000)


def overflowing(tab: Any) -> list[str]:
    """What sticks out past the window's right edge on the open page (see OVERFLOW_JS)."""
    return list(tab.evaluate(OVERFLOW_JS))


def low_contrast(tab: Any) -> list[str]:
    """Text on the open page that is hard to read on its background (see CONTRAST_JS)."""
    return list(tab.evaluate(CONTRAST_JS))


def shoot(tab: Any, target: Path, tiles: Path | None, window_height: int) -> tuple[int, list[Path]]:
    """The open page, whole, into ``target``; with ``tiles``, also cut into window-high
    pieces named ``<tiles>--NN.png``. Returns the page's height and the files written."""
    tab.screenshot(path=str(target), full_page=True, animations="disabled", caret="hide",
                   scale="css")
    written = [target]
    with Image.open(target) as whole:
        width, height = whole.size
        if tiles is not None:
            for stale in tiles.parent.glob(f"{tiles.name}--[0-9][0-9].png"):
                stale.unlink()  # a page that got shorter leaves no old tiles behind
            for index in range(max(1, math.ceil(height / window_height))):
                top = index * window_height
                piece = tiles.parent / f"{tiles.name}--{index + 1:02d}.png"
                whole.crop((0, top, width, min(height, top + window_height))).save(piece)
                written.append(piece)
    return height, written


def run(html: Path, out: Path, chromium: str, chosen: list[Path], tiles: bool) -> list[Shot]:
    """Shoot ``chosen`` pages in every viewport and scheme."""
    out.mkdir(parents=True, exist_ok=True)
    if tiles:
        (out / "tiles").mkdir(exist_ok=True)
    shots = []
    with browser(chromium) as chromium_browser:
        for width_name, width, height in VIEWPORTS:
            for scheme in SCHEMES:
                for page in chosen:
                    # a fresh context per page: the search page leaves its query in
                    # localStorage, and every later page would show it highlighted
                    with window(chromium_browser, width, height, scheme) as tab:
                        name = f"{page_name(html, page)}--{width_name}-{scheme}"
                        load(tab, page_url(page))
                        overflow = overflowing(tab)
                        contrast = low_contrast(tab)
                        page_height, files = shoot(
                            tab, out / f"{name}.png", out / "tiles" / name if tiles else None,
                            height)
                    shots.append(Shot(page_name(html, page), f"{width_name}-{scheme}",
                                      page_height, tuple(files), tuple(overflow),
                                      tuple(contrast)))
    return shots


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--html", type=Path, default=Path("_build/html"))
    parser.add_argument("--out", type=Path, default=Path("_build/screenshots"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    parser.add_argument("--page", action="append", default=[],
                        help="only pages whose path contains this text (repeatable)")
    parser.add_argument("--tiles", action="store_true",
                        help="also cut each page into window-high PNGs under OUT/tiles")
    args = parser.parse_args(argv)
    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f"screenshots: {args.chromium} not found (apt-get install chromium)",
              file=sys.stderr)
        return 2
    if not (args.html / "index.html").is_file():
        print(f"screenshots: no guide in {args.html}; run 'make html' first", file=sys.stderr)
        return 2
    chosen = [page for page in pages(args.html)
              if not args.page or any(part in str(page) for part in args.page)]
    if not chosen:
        print(f"screenshots: no page matches {args.page}", file=sys.stderr)
        return 2
    shots = run(args.html, args.out, chromium, chosen, args.tiles)
    files = sum(len(shot.files) for shot in shots)
    print(f"screenshots: {len(chosen)} pages x {len(shots) // len(chosen)} variants, "
          f"{files} PNG files in {args.out}")
    wide = [shot for shot in shots if shot.overflow]
    for shot in wide:
        print(f"screenshots: {shot.page} ({shot.variant}) is wider than the window: "
              f"{'; '.join(shot.overflow[:3])}", file=sys.stderr)
    faint = [shot for shot in shots if shot.contrast]
    for shot in faint:
        print(f"screenshots: {shot.page} ({shot.variant}) has text hard to read: "
              f"{'; '.join(shot.contrast[:3])}", file=sys.stderr)
    return 1 if wide or faint else 0


if __name__ == "__main__":
    sys.exit(main())
