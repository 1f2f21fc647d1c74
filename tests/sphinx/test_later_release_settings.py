"""The real guide lists settings kept for a later Zephyr release ('since') with that release."""

from __future__ import annotations

import html
import re
from pathlib import Path

from secguide.model.loader import load_threat_model

REPO = Path(__file__).resolve().parents[2]


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_settings_of_a_later_release_are_listed_with_their_release(site: Path) -> None:
    """A 'since' setting appears in its area's table, unlinked, with the release that brings it."""
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    later = [(rec, s) for rec in model.recommendations for s in rec.settings if s.since]
    assert later
    for rec, setting in later:
        page = (site / "recommendations" / f"{rec.area}.html").read_text(encoding="utf-8")
        row = next(r for r in re.findall(r"<tr.*?</tr>", page, re.S)
                   if setting.config_name in r and rec.id in r)
        assert f"from Zephyr {setting.since}" in _text(row)
        # No Kconfig entry exists for it in this tree, so the name is not a link to one.
        assert f'href="../kconfig.html#{setting.config_name}"' not in row
