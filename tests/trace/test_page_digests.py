"""The digests pages are kept by: equal when nothing a page shows changed, different otherwise.

On a copy of the shipped model and the real 4.2.99 tree; each edit is loaded fresh, as
the next build would load it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from secguide.trace.page_digests import ShownDigests, canonical, digest, options_arg
from secguide.trace.project import Project

REPO = Path(__file__).resolve().parents[2]
BLUETOOTH = options_arg({"area": ["bluetooth"]})
X86 = options_arg({"area": ["x86"]})
#: facets of the shipped guide's pages (an area page, its settings table, the aggregates)
FACETS = [("recommendations", BLUETOOTH), ("recommendations", X86), ("settings", BLUETOOTH),
          ("settings", options_arg({})), ("kind", "threat"), ("kind", "test"),
          ("verifications",), ("scope",), ("reviews",), ("coverage",), ("flows",),
          ("standard", "CRA"), ("standard", "EN-303-645"), ("drift",)]
#: the first recommendation of bluetooth.yaml and a sentence of its rationale
REC_ID = "REC-BT-SECURE-CONNECTIONS-ONLY"
SENTENCE = "reveal the key."


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    target = tmp_path / "threatmodel"
    shutil.copytree(REPO / "threatmodel", target)
    return target


def digests_of(model_dir: Path, tree: Path) -> dict[tuple[str, ...], str]:
    shown = ShownDigests(Project.open(model_dir, tree))
    found = {facet: shown.of(facet) for facet in FACETS}
    found[("cards",)] = digest(shown.cards)
    return found


def test_canonical_form_is_the_same_in_every_process() -> None:
    assert canonical(frozenset({"b", "a", "c"})) == ["a", "b", "c"]
    assert digest({"x": {"b", "a"}}) == digest({"x": {"a", "b"}})
    # an object of no known form matches nothing, not even itself: its page is re-read
    assert digest(object()) != digest(object())


def test_touch_and_comment_change_no_digest(model_copy: Path, zephyr_v4_path: Path) -> None:
    before = digests_of(model_copy, zephyr_v4_path)
    bluetooth = model_copy / "recommendations" / "bluetooth.yaml"
    later = bluetooth.stat().st_mtime_ns + 5_000_000_000
    os.utime(bluetooth, ns=(later, later))
    assert digests_of(model_copy, zephyr_v4_path) == before
    with bluetooth.open("a", encoding="utf-8") as yaml_file:
        yaml_file.write("# a comment only\n")
    assert digests_of(model_copy, zephyr_v4_path) == before


def test_rationale_edit_changes_what_shows_it(model_copy: Path, zephyr_v4_path: Path) -> None:
    before = digests_of(model_copy, zephyr_v4_path)
    bluetooth = model_copy / "recommendations" / "bluetooth.yaml"
    text = bluetooth.read_text(encoding="utf-8")
    assert text.count(SENTENCE) == 1 and f"id: {REC_ID}" in text
    bluetooth.write_text(text.replace(SENTENCE, "reveal the link key."), encoding="utf-8")
    after = digests_of(model_copy, zephyr_v4_path)
    differ = {facet for facet in before if before[facet] != after[facet]}
    # its card and its area page; the review table only if it was stamped (now suspect)
    project = Project.open(model_copy, zephyr_v4_path)
    stamped = project.reviews[REC_ID].stamp is not None
    assert differ == {("cards",), ("recommendations", BLUETOOTH)} | (
        {("reviews",)} if stamped else set())


def test_line_moved_changes_the_cards_below(model_copy: Path, zephyr_v4_path: Path) -> None:
    before = digests_of(model_copy, zephyr_v4_path)
    bluetooth = model_copy / "recommendations" / "bluetooth.yaml"
    bluetooth.write_text("# moved down\n" + bluetooth.read_text(encoding="utf-8"),
                         encoding="utf-8")
    after = digests_of(model_copy, zephyr_v4_path)
    differ = {facet for facet in before if before[facet] != after[facet]}
    # the cards show and warn at file:line; the verification notes are located too
    assert {("cards",), ("recommendations", BLUETOOTH), ("verifications",)} <= differ
    # tables of IDs and values, counts and chains show no line
    for unmoved in (("settings", BLUETOOTH), ("coverage",), ("reviews",), ("flows",),
                    ("recommendations", X86), ("standard", "CRA")):
        assert unmoved not in differ, unmoved


def test_a_facet_this_code_does_not_know_is_never_current(model_copy: Path,
                                                         zephyr_v4_path: Path) -> None:
    project = Project.open(model_copy, zephyr_v4_path)
    # a page recorded by other code must be read again, not trusted
    assert ShownDigests(project).of(("no-such-facet",)) != ShownDigests(project).of(
        ("no-such-facet",))
