"""Which recommendations the guide's pages show, read without Sphinx.

A recommendation no ``secguide-recommendations`` directive selects would be
missing from the published guide; ``secguide check`` and the build both report
it (``recommendation-not-shown``), using the directive's own filter.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

from secguide.codes import Code
from secguide.model.items import AREAS
from secguide.model.loader import load_threat_model
from secguide.trace.guide_pages import Selection, page_selections, shown_by_none
from secguide.trace.project import Project

REPO = Path(__file__).resolve().parents[2]
FIXTURE = REPO / "tests" / "fixtures" / "sphinx" / "basic"


def test_real_guide_has_one_selection_per_area_page() -> None:
    selections = page_selections(REPO / "source")
    pages = {path.stem for path in (REPO / "source" / "recommendations").glob("*.rst")}
    assert {s.areas for s in selections} == {(page,) for page in pages - {"index"}}
    assert {"stack-protection", "x86"} <= pages
    assert set(pages) - {"index"} <= set(AREAS)


def test_real_model_is_shown_in_full() -> None:
    model, _ = load_threat_model(REPO / "threatmodel")
    assert shown_by_none(model.recommendations, page_selections(REPO / "source")) == []


def test_selection_reads_every_filter(tmp_path: Path) -> None:
    (tmp_path / "a.rst").write_text(".. secguide-recommendations::\n   :area: x86, general\n"
                                    "   :tag: boot\n\nText\n")
    (tmp_path / "_build").mkdir()
    (tmp_path / "_build" / "c.rst").write_text(".. secguide-recommendations::\n")
    assert page_selections(tmp_path) == [Selection(areas=("x86", "general"), tags=("boot",))]
    model, _ = load_threat_model(REPO / "threatmodel")
    rec = next(r for r in model.recommendations if r.area == "x86")
    selection = Selection(areas=("x86",), tags=("boot",))
    assert selection.matches(dataclasses.replace(rec, tags=("boot",)))
    assert not selection.matches(dataclasses.replace(rec, tags=()))
    assert not selection.matches(dataclasses.replace(rec, area="general", tags=("boot",)))


def test_recommendation_no_page_selects_is_a_finding(tmp_path: Path, mini_tree: Path) -> None:
    guide = tmp_path / "guide"
    shutil.copytree(FIXTURE, guide)
    model_page = guide / "model.rst"
    model_page.write_text(model_page.read_text().replace(
        ".. secguide-recommendations::\n", ".. secguide-recommendations::\n   :area: x86\n"))
    project = Project.open(guide / "threatmodel", mini_tree, display_base=guide)
    assert project.guide_dir == guide  # conf.py beside the model, no source/ folder
    [finding] = [d for d in project.diagnostics if d.code is Code.RECOMMENDATION_NOT_SHOWN]
    assert finding.loc.path == "threatmodel/recommendations.yaml"
    assert finding.loc.line == 2
    assert "REC-CANARIES (area 'stack-protection'" in finding.message
    assert project.unrendered_items == {"REC-CANARIES", "SET-CANARIES-STACK-CANARIES"}
