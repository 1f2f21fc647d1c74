"""Text contrast of built pages, measured in headless Chromium, light and dark.

For every visible element of a page's article that holds text of its own (folded card
metadata unfolded), a small script computes the colour of its text and of what is behind
it (background colours of it and its ancestors composited, element opacity applied) and
the WCAG 2 contrast ratio of the two. WCAG AA asks 4.5:1 of text, 3:1 of large text
(24 px, or 18.66 px bold). The dark scheme is furo's own toggle (``data-theme="dark"``),
which reaches the same colours as the OS setting does.

``python scripts/contrast.py --html _build/html --page stack-protection`` prints one
line per failing text and a summary per page and scheme; exit 1 when any fails.
Background images are not looked at: the guide's text sits on plain colours. Disabled
controls are left out, as WCAG leaves them out.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMES = ("light", "dark")

#: The body of a function run in the page (see ``run_in_page``); returns the measures.
_MEASURE = r"""
  document.body.dataset.theme = SCHEME;
  // folded card metadata is read too: unfold it
  for (const fold of document.querySelectorAll("details.secguide-card-fold"))
    fold.open = true;
  function rgba(text) {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const p = m[1].split(/[ ,\/]+/).filter(Boolean).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(top, bottom) {  // top composited over an opaque bottom
    const a = top[3];
    return [0, 1, 2].map(i => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function background(el) {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255, 1];  // the canvas
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  }
  function opacity(el) {
    let o = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement)
      o *= Number(getComputedStyle(node).opacity);
    return o;
  }
  function luminance(c) {
    const l = c.slice(0, 3).map(v => { v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * l[0] + 0.7152 * l[1] + 0.0722 * l[2];
  }
  function ratio(a, b) {
    const la = luminance(a), lb = luminance(b);
    return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
  }
  function describe(el) {
    let text = el.tagName.toLowerCase();
    if (el.classList.length) text += "." + Array.from(el.classList).slice(0, 3).join(".");
    return text;
  }
  const root = document.querySelector("article") || document.body;
  const found = [];
  for (const el of root.querySelectorAll("*")) {
    const own = Array.from(el.childNodes).filter(n => n.nodeType === 3 && n.textContent.trim());
    if (!own.length || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || style.display === "none") continue;
    // WCAG asks no contrast of a control that is switched off ("Previous" on page 1)
    if (el.closest("[disabled], [aria-disabled='true']")) continue;
    const bg = background(el);
    const fg = over(rgba(style.color).slice(0, 3).concat([rgba(style.color)[3] * opacity(el)]), bg);
    const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
    const large = size >= 24 || (bold && size >= 18.66);
    const r = ratio(fg, bg);
    found.push({element: describe(el), text: own[0].textContent.trim().slice(0, 40),
                ratio: Math.round(r * 100) / 100, needed: large ? 3 : 4.5,
                color: fg.slice(0, 3).map(Math.round), background: bg.slice(0, 3).map(Math.round)});
  }
  return found;
"""


@dataclass(frozen=True)
class Measure:
    """The contrast of one text element."""

    element: str
    text: str
    ratio: float
    needed: float
    color: tuple[int, ...]
    background: tuple[int, ...]

    @property
    def passes(self) -> bool:
        return self.ratio >= self.needed


def run_in_page(chromium: str, page: Path, body: str, flags: Sequence[str] = ()) -> Any:
    """Run the JavaScript function ``body`` in ``page`` once loaded; its return value.

    The function runs after the page's own scripts (furo sets its theme, sphinx-needs
    folds the cards). A copy of the page beside it carries the script, so relative
    links to the theme's files still resolve; the copy is removed afterwards.
    ``flags`` are extra Chromium flags (``--force-dark-mode``).

    Raises:
        subprocess.CalledProcessError: Chromium failed.
        ValueError: the script did not run.
    """
    script = ('<script>window.addEventListener("load", () => setTimeout(() => {'
              f"const result = (function () {{{body}}})();"
              'const out = document.createElement("pre"); out.id = "secguide-result";'
              "out.textContent = JSON.stringify(result); document.body.appendChild(out);"
              "}, 0));</script>")
    text = page.read_text(encoding="utf-8").replace("</body>", script + "</body>", 1)
    handle, name = tempfile.mkstemp(prefix=".contrast-", suffix=".html", dir=page.parent)
    os.close(handle)
    copy = Path(name)
    try:
        copy.write_text(text, encoding="utf-8")
        with tempfile.TemporaryDirectory(prefix="secguide-chromium-") as profile:
            done = subprocess.run(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", *flags,
                 f"--user-data-dir={profile}", "--window-size=1400,2000",
                 "--virtual-time-budget=3000", "--dump-dom", copy.as_uri()],
                capture_output=True, text=True, timeout=120, check=True)
    finally:
        copy.unlink(missing_ok=True)
    start = done.stdout.find('<pre id="secguide-result">')
    if start < 0:
        raise ValueError(f"{page}: the script did not run")
    return json.loads(html.unescape(done.stdout[start:].split(">", 1)[1].split("</pre>", 1)[0]))


def measure(chromium: str, page: Path, scheme: str) -> list[Measure]:
    """Every text element of ``page`` (a built HTML file) in ``scheme``.

    Raises:
        subprocess.CalledProcessError: Chromium failed.
        ValueError: the script did not run, or ``scheme`` is not light or dark.
    """
    if scheme not in SCHEMES:
        raise ValueError(f"no colour scheme {scheme!r}")
    found = run_in_page(chromium, page, f"const SCHEME = {json.dumps(scheme)};{_MEASURE}")
    return [Measure(m["element"], m["text"], m["ratio"], m["needed"], tuple(m["color"]),
                    tuple(m["background"]))
            for m in found]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--html", type=Path, default=Path("_build/html"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    parser.add_argument("--page", action="append", default=[],
                        help="only pages whose path contains this text (repeatable)")
    args = parser.parse_args(argv)
    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f"contrast: {args.chromium} not found (apt-get install chromium)",
              file=sys.stderr)
        return 2
    pages = sorted(p for p in args.html.rglob("*.html")
                   if not p.relative_to(args.html).parts[0].startswith("_")
                   and p.name not in ("search.html", "genindex.html")
                   and (not args.page or any(part in str(p) for part in args.page)))
    failed = 0
    for page in pages:
        for scheme in SCHEMES:
            found = measure(chromium, page, scheme)
            bad = [m for m in found if not m.passes]
            failed += len(bad)
            lowest = min((m.ratio for m in found), default=0.0)
            print(f"{page.relative_to(args.html)} {scheme}: {len(found)} texts, "
                  f"lowest {lowest:.2f}:1, {len(bad)} below AA")
            for m in bad:
                print(f"  {m.ratio:.2f} < {m.needed} {m.element} {m.text!r} "
                      f"rgb{m.color} on rgb{m.background}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
