"""``make screenshots``: every page of the built guide as PNG, as readers see it.

Each page is shot at desktop (1400 px) and phone (390 px) width, in the light and
the dark colour scheme (Chromium's ``--force-dark-mode`` makes the page see
``prefers-color-scheme: dark``, which furo follows), into
``<out>/<page>--<width>-<scheme>.png``. Needs a built guide (``make html``) and
Chromium (Debian: ``apt-get install chromium``; override with ``--chromium`` or
``$CHROMIUM``). Each shot uses a fresh throwaway profile, so nothing from the
user's browser leaks in. ``--page`` limits the run to some pages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: (name, window width, window height): a desktop and a phone.
VIEWPORTS: tuple[tuple[str, int, int], ...] = (("1400", 1400, 2000), ("390", 390, 2400))
SCHEMES: tuple[str, ...] = ("light", "dark")

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


def shoot(chromium: str, page: Path, target: Path, size: str, scheme: str = "light") -> None:
    """One screenshot of ``page`` into ``target``.

    Raises:
        subprocess.CalledProcessError: Chromium failed.
    """
    dark = ["--force-dark-mode"] if scheme == "dark" else []
    with tempfile.TemporaryDirectory(prefix="secguide-chromium-") as profile:
        subprocess.run([chromium, *FLAGS, *dark, f"--user-data-dir={profile}",
                        f"--screenshot={target}", f"--window-size={size}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)


def pages(html: Path) -> list[Path]:
    """Every page of the guide (not Sphinx's search page), in a stable order."""
    return sorted(path for path in html.rglob("*.html")
                  if not path.relative_to(html).parts[0].startswith("_")
                  and path.name != "search.html")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--html", type=Path, default=Path("_build/html"))
    parser.add_argument("--out", type=Path, default=Path("_build/screenshots"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
    parser.add_argument("--page", action="append", default=[],
                        help="only pages whose path contains this text (repeatable)")
    args = parser.parse_args(argv)
    chromium = shutil.which(args.chromium)
    if chromium is None:
        print(f"screenshots: {args.chromium} not found (apt-get install chromium)",
              file=sys.stderr)
        return 2
    if not (args.html / "index.html").is_file():
        print(f"screenshots: no guide in {args.html}; run 'make html' first", file=sys.stderr)
        return 2
    args.out.mkdir(parents=True, exist_ok=True)
    chosen = [page for page in pages(args.html)
              if not args.page or any(part in str(page) for part in args.page)]
    for page in chosen:
        name = str(page.relative_to(args.html).with_suffix("")).replace("/", "--")
        for width, x, y in VIEWPORTS:
            for scheme in SCHEMES:
                target = (args.out / f"{name}--{width}-{scheme}.png").resolve()
                shoot(chromium, page.resolve(), target, f"{x},{y}", scheme)
                print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
