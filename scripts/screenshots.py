"""``make screenshots``: render pages of the built guide to PNG with headless Chromium.

Needs a built guide (``make html``) and Chromium (Debian: ``apt-get install
chromium``; override with ``--chromium`` or ``$CHROMIUM``). Each page is shot in
a fresh throwaway profile, so nothing from the user's browser leaks in.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: (output name, page below the HTML folder, window size)
PAGES: tuple[tuple[str, str, str], ...] = (
    ("index", "index.html", "1400,1000"),
    ("recommendation", "recommendations/stack-protection.html", "1400,2200"),
    ("matrix", "traceability.html", "1400,2400"),
    ("kconfig", "kconfig.html", "1400,1600"),
    ("coverage", "coverage.html", "1400,2400"),
)

FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars")


def shoot(chromium: str, page: Path, target: Path, size: str) -> None:
    """One screenshot of ``page`` into ``target``.

    Raises:
        subprocess.CalledProcessError: Chromium failed.
    """
    with tempfile.TemporaryDirectory(prefix="secguide-chromium-") as profile:
        subprocess.run([chromium, *FLAGS, f"--user-data-dir={profile}",
                        f"--screenshot={target}", f"--window-size={size}", page.as_uri()],
                       check=True, capture_output=True, timeout=120)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--html", type=Path, default=Path("_build/html"))
    parser.add_argument("--out", type=Path, default=Path("_build/screenshots"))
    parser.add_argument("--chromium", default=os.environ.get("CHROMIUM", "chromium"))
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
    for name, page, size in PAGES:
        target = (args.out / f"{name}.png").resolve()
        shoot(chromium, (args.html / page).resolve(), target, size)
        print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
