"""In the PDF, symbols and targets in tables break only after ``_`` or ``/``
(``break_opportunities`` of scripts/pdf.py); IDs break after their hyphens by the usual
line-breaking rules.

The unit tests pin where a ``<wbr>`` goes and where it must not (tags, attributes,
``<pre>``, scripts, SVG, text outside tables, hyphens); the last test runs it over every
page of the real guide as Sphinx writes it: where the ``<wbr>`` go, never inside
``<pre>``, and taking them out gives back exactly what Sphinx wrote.
"""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_SPEC = importlib.util.spec_from_file_location("secguide_pdf_script", REPO / "scripts" / "pdf.py")
assert _SPEC is not None and _SPEC.loader is not None
_PDF = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(_PDF)
break_opportunities = _PDF.break_opportunities


def test_joints_of_ids_symbols_and_targets_get_a_break_opportunity() -> None:
    html = ('<table><tr><td><a href="#REC-STACK-HW-PROTECTION" title="REC-STACK-HW">'
            "REC-STACK-HW-PROTECTION</a></td><td><code>CONFIG_X86_NO_SPECTRE_V2</code></td>"
            "<td>nrf5340dk/nrf5340/cpuapp</td></tr></table>")
    out = break_opportunities(html)
    # hyphens already break; attributes are never touched
    assert ('<a href="#REC-STACK-HW-PROTECTION" title="REC-STACK-HW">'
            "REC-STACK-HW-PROTECTION</a>") in out
    assert "<code>CONFIG_<wbr>X86_<wbr>NO_<wbr>SPECTRE_<wbr>V2</code>" in out
    assert "nrf5340dk/<wbr>nrf5340/<wbr>cpuapp" in out


def test_digits_on_both_sides_stay_together_and_other_text_is_untouched() -> None:
    html = ("<p>OUT_OF_TABLE</p><table><tr><td>1/2 2_3 threat-model a _ b x_ SSE/FP"
            "</td></tr></table><p>AFTER_TABLE</p>")
    out = break_opportunities(html)
    assert "<p>OUT_OF_TABLE</p>" in out and "<p>AFTER_TABLE</p>" in out
    assert "1/2 2_3 threat-model a _ b x_ SSE/<wbr>FP<" in out


def test_verbatim_content_in_a_table_is_untouched() -> None:
    html = ("<table><tr><td><pre>CONFIG_A_B=y</pre><script>var a_b = c-d;</script>"
            '<svg><text>REC_A_B</text><polyline points="1 2"/></svg>REC_C_D</td></tr></table>')
    out = break_opportunities(html)
    assert "<pre>CONFIG_A_B=y</pre>" in out and "var a_b = c-d;" in out
    assert "<text>REC_A_B</text>" in out
    assert "REC_<wbr>C_<wbr>D" in out  # after the SVG, the cell is text again


def test_nested_tables_close_properly() -> None:
    html = "<table><tr><td><table><tr><td>A_B</td></tr></table>C_D</td></tr></table>E_F"
    out = break_opportunities(html)
    assert "A_<wbr>B" in out and "C_<wbr>D" in out and out.endswith("E_F")


@pytest.mark.slow
def test_the_guide_breaks_symbols_only_at_joints(site: Path) -> None:
    page = break_opportunities((site / "traceability.html").read_text(encoding="utf-8"))
    assert ">CONFIG_<wbr>HW_<wbr>STACK_<wbr>PROTECTION<" in page
    kconfig = break_opportunities((site / "kconfig.html").read_text(encoding="utf-8"))
    assert '<span class="pre">CONFIG_<wbr>HW_<wbr>STACK_<wbr>PROTECTION</span>' in kconfig
    for path in sorted(site.rglob("*.html")):
        written = path.read_text(encoding="utf-8")
        text = break_opportunities(written)
        assert text.replace("<wbr>", "") == written.replace("<wbr>", ""), path
        # never inside verbatim text: a prj.conf block copies exactly what it shows
        for block in re.findall(r"<pre\b.*?</pre>", text, flags=re.DOTALL):
            assert "<wbr>" not in block, path
        # only ever right after a joint
        assert re.findall(r"(?<![_/])<wbr>", text) == [], path
