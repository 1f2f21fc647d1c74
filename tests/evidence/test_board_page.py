"""The board pages' data, made in one pass over real reports and kept on disk by key."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from secguide.evidence.board_page import board_page, fragment_text, make_board_page
from secguide.evidence.prj_conf import render_prj_conf
from secguide.model.loader import load_threat_model
from secguide.trace.boards import VERDICTS, BoardReport, board_reports
from secguide.zephyr.tree import resolve_tree

REPO = Path(__file__).resolve().parents[2]
#: two STM32H7 targets (one SoC series) and two others
SAMPLE = ("nucleo_h753zi/stm32h753xx", "nucleo_h743zi/stm32h743xx", "qemu_x86/atom",
          "nrf52840dk/nrf52840")


@pytest.fixture(scope="module")
def reports(zephyr_v4_path: Path) -> list[BoardReport]:
    model = load_threat_model(REPO / "threatmodel")[0]
    return board_reports(model, resolve_tree(zephyr_v4_path), names=SAMPLE)


def test_finder_rows_and_fragments_are_each_targets_own(reports) -> None:
    page = make_board_page(iter(reports), "4.2.99")
    data = page.finder_with_urls({"REC-STACK-CANARIES": "recommendations/x.html#A"})
    assert [t[0] for t in data["targets"]] == sorted(SAMPLE)  # by name
    recs = data["recs"]
    assert ["REC-STACK-CANARIES", next(i.title for i in reports[0].verdicts
                                       if i.rec_id == "REC-STACK-CANARIES"),
            "recommendations/x.html#A"] in recs
    for report, target in zip(reports, data["targets"], strict=True):
        row = data["rows"][target[5]]
        decoded = {recs[r][0]: (VERDICTS[v], data["strings"][s] if s >= 0 else "")
                   for r, v, s in row}
        assert decoded == {i.rec_id: (i.verdict, i.shown_reason) for i in report.verdicts}
        assert fragment_text(data, target) == render_prj_conf(report, zephyr_version="4.2.99")
    assert page.summary.targets == len(SAMPLE)
    # the data file's text, made without decoding the rows, is that data's own JSON
    urls = {"REC-STACK-CANARIES": "recommendations/x.html#A"}
    assert page.finder_json(urls) == json.dumps(page.finder_with_urls(urls), ensure_ascii=True,
                                                separators=(",", ":"))


def _never(reports: list[BoardReport]) -> Iterator[BoardReport]:
    raise AssertionError("the reports were read although the page was cached")
    yield from reports


def test_a_page_is_read_back_by_its_key(reports, tmp_path: Path) -> None:
    first = board_page("key-1", iter(reports), "4.2.99", cache_dir=tmp_path)
    again = board_page("key-1", _never(reports), "4.2.99", cache_dir=tmp_path)
    assert again == first
    # another key is made afresh; only the newest two pages stay on disk
    board_page("key-2", iter(reports[:1]), "4.2.99", cache_dir=tmp_path)
    third = board_page("key-3", iter(reports[:2]), "4.2.99", cache_dir=tmp_path)
    assert third.summary.targets == 2
    assert len(list(tmp_path.glob("board-page-*.json"))) == 2
    with pytest.raises(AssertionError):
        board_page("key-1", _never(reports), "4.2.99", cache_dir=tmp_path)


def test_without_a_key_nothing_is_kept(reports, tmp_path: Path) -> None:
    page = board_page(None, iter(reports), "4.2.99", cache_dir=tmp_path)
    assert page.summary.targets == len(SAMPLE)
    assert not list(tmp_path.iterdir())
