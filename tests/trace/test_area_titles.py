"""Area page titles read from the guide's sources (used as the trace diagrams' headings)."""

from __future__ import annotations

from pathlib import Path

from secguide.trace.guide_pages import area_titles

REPO = Path(__file__).resolve().parents[2]


def test_the_real_area_pages_give_their_titles() -> None:
    titles = area_titles(REPO / "source")
    assert titles["heap-libc"] == "Heap and C library hardening"
    assert titles["tls-crypto"] == "TLS and cryptography"
    assert len(titles) >= 13, titles


def test_only_a_page_of_one_area_names_it(tmp_path: Path) -> None:
    (tmp_path / "a.rst").write_text(
        "=====\nAlpha\n=====\n\nText.\n\n.. secguide-recommendations::\n   :area: alpha\n")
    (tmp_path / "mixed.rst").write_text(
        "Mixed\n#####\n\n.. secguide-recommendations::\n   :area: alpha, beta\n")
    (tmp_path / "untitled.rst").write_text(".. secguide-recommendations::\n   :area: gamma\n")
    assert area_titles(tmp_path) == {"alpha": "Alpha"}
