"""Headings a reader navigates by are real sections (in the page's contents, with anchors),
and the general index names each item once, with its title. On the guide the session builds
(``site`` fixture)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def _contents(page: str) -> list[str]:
    """The titles in furo's "On this page" box of a built page."""
    toc = page.split('class="toc-tree"', 1)[1].split("</nav>", 1)[0]
    return [re.sub(r"<[^>]+>", "", title).strip()
            for title in re.findall(r'<a class="reference internal"[^>]*>(.*?)</a>', toc)]


@pytest.mark.parametrize(("page", "headings"), [
    ("hardening.html", ["Values that disagree", "Guide settings upstream has no rule for"]),
    # "--waivers" stays two hyphens (smart quotes would make it a dash)
    ("diagnostics.html", ["Reported by check and build", "Reported by audit --waivers"]),
    ("review-status.html", ["Every reviewable item"]),
    ("coverage.html", ["Zephyr\u2019s hardened.csv"]),
    ("overview.html", ["Security boundary", "Shared responsibility", "Assumptions"]),
])
def test_section_headings_are_in_the_page_contents(site: Path, page: str,
                                                   headings: list[str]) -> None:
    contents = _contents((site / page).read_text(encoding="utf-8"))
    assert [h for h in headings if h not in contents] == [], contents


def test_the_general_index_names_each_item_once_with_its_title(site: Path) -> None:
    index = (site / "genindex.html").read_text(encoding="utf-8")
    entries = re.findall(r">(REC-STACK-CANARIES(?: —[^<]*)?)</a>", index)
    assert entries == ["REC-STACK-CANARIES — Build with compiler stack canaries"], entries


def test_the_index_page_lists_the_contents_before_the_build_facts(site: Path) -> None:
    page = (site / "index.html").read_text(encoding="utf-8")
    assert page.index('class="toctree-wrapper') < page.index('id="this-build"')
