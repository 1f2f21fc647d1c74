"""Item cards, status lines and diagrams as a browser shows them, light and dark.

Contrast is measured in headless Chromium by ``scripts/contrast.py`` (computed colours,
backgrounds composited), not read from the stylesheet; WCAG AA is the bar.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[2]


@functools.cache
def _contrast() -> ModuleType:
    """scripts/contrast.py (a script, not part of the package)."""
    spec = importlib.util.spec_from_file_location("secguide_contrast",
                                                  REPO / "scripts" / "contrast.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def chromium() -> str:
    found = shutil.which(os.environ.get("CHROMIUM", "chromium"))
    if found is None:
        pytest.skip("chromium not installed (make screenshots brings it)")
    return found


def test_the_measure_finds_low_contrast(chromium: str, tmp_path: Path) -> None:
    """The yardstick itself: grey on white fails, black on white passes, large text 3:1."""
    page = tmp_path / "page.html"
    page.write_text('<html><body data-theme="light"><article>'
                    '<p style="color:#999">grey</p><p style="color:#000">black</p>'
                    '<p style="color:#888;font-size:30px">large</p>'
                    '<div style="background:rgba(0,0,0,0.5)"><span style="color:#333">'
                    'dim</span></div><button disabled style="color:#ccc">off</button>'
                    '</article></body></html>', encoding="utf-8")
    found = {m.text: m for m in _contrast().measure(chromium, page, "light")}
    assert not found["grey"].passes and found["grey"].ratio == pytest.approx(2.85, abs=0.01)
    assert found["black"].passes and found["black"].ratio == 21
    assert found["large"].needed == 3 and found["large"].passes
    # #333 on black at half opacity over white (#808080): 2.93:1
    assert found["dim"].background == (128, 128, 128) and not found["dim"].passes
    assert "off" not in found  # a disabled control: WCAG asks no contrast of it


PAGES = ("recommendations/stack-protection.html", "recommendations/bluetooth.html",
         "threat-model.html", "responsibilities.html")


@pytest.mark.slow
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_cards_badges_and_status_lines_meet_wcag_aa(site: Path, chromium: str,
                                                    scheme: str) -> None:
    contrast = _contrast()
    for name in PAGES:
        found = contrast.measure(chromium, site / name, scheme)
        failing = [(m.element, m.text, m.ratio) for m in found if not m.passes]
        assert failing == [], name
        # what this is about was measured: status lines, review badges, card text and
        # the folded metadata
        for part in ("p.secguide-status", "span.secguide-review-state",
                     "span.secguide-card-value"):
            assert any(m.element.startswith(part) for m in found), (name, part)
        assert any(m.text == "source:" for m in found), name
    stack = contrast.measure(chromium, site / PAGES[0], scheme)
    assert any("secguide-badge-draft" in m.element for m in stack)
    assert any("secguide-badge-review" in m.element for m in stack)


_FILTERS = """
const img = document.querySelector("img.graphviz");
const result = {};
for (const theme of ["light", "dark", "auto"]) {
  document.body.dataset.theme = theme;
  result[theme] = getComputedStyle(img).filter;
}
return result;
"""


@pytest.mark.slow
def test_diagrams_follow_the_toggle_and_the_os_scheme(site: Path, chromium: str) -> None:
    page = site / "traceability.html"
    assert 'class="graphviz"' in page.read_text(encoding="utf-8")
    contrast = _contrast()
    light_os = contrast.run_in_page(chromium, page, _FILTERS)
    dark_os = contrast.run_in_page(chromium, page, _FILTERS, ["--force-dark-mode"])
    # furo's toggle wins; on "auto" the OS decides
    assert light_os["light"] == "none" and dark_os["light"] == "none"
    assert "invert" in light_os["dark"] and "invert" in dark_os["dark"]
    assert light_os["auto"] == "none" and "invert" in dark_os["auto"]
