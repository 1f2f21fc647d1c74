"""The finder's data renders each distinct prj.conf fragment once (issue 26).

Targets of one SoC mostly share their verdicts and fragment; only the target's name
differs, and the data holds it apart (a mark the finder's script replaces)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secguide.evidence import board_page
from secguide.evidence.board_page import TARGET_MARK, fragment_text, make_board_page
from secguide.evidence.prj_conf import render_prj_conf
from secguide.trace.boards import (
    BoardReport,
    BoardVerdict,
    RecommendationVerdict,
    SettingVerdict,
)
from secguide.zephyr.boards import BoardTarget


def _report(name: str, soc: str, value: str, verdict: BoardVerdict) -> BoardReport:
    target = BoardTarget(name=name, board=name.split("/")[0], qualifiers=soc, soc=soc,
                         board_dir=Path("boards") / name, arch="arm")
    setting = SettingVerdict(symbol="STACK_CANARIES", wanted="y", default="n", verdict=verdict)
    rec = RecommendationVerdict(rec_id="REC-CANARIES", title="Turn on stack canaries",
                                verdict=verdict, settings=(setting,))
    return BoardReport(target=target, facts={"ARCH": "arm", "SOC": soc}, verdicts=(rec,),
                       fragment=(("STACK_CANARIES", value),) if value else ())


def test_each_distinct_fragment_is_rendered_once(monkeypatch: pytest.MonkeyPatch) -> None:
    rendered: list[str] = []
    real = board_page.render_prj_conf

    def counting(report: BoardReport, **options: str) -> str:
        rendered.append(report.target.name)
        return real(report, **options)

    monkeypatch.setattr(board_page, "render_prj_conf", counting)
    reports = (_report("alpha/stm32f4", "stm32f4", "y", BoardVerdict.AVAILABLE),
               _report("beta/stm32f4", "stm32f4", "y", BoardVerdict.AVAILABLE),
               _report("gamma/nrf52", "nrf52", "", BoardVerdict.DEFAULT))
    data = make_board_page(reports, "4.2.99").finder_with_urls({})
    # two distinct fragments (alpha's and beta's differ only in the target's name)
    assert rendered == [TARGET_MARK, TARGET_MARK]
    shared = {target[0]: target[6] for target in data["targets"]}
    assert shared["alpha/stm32f4"] == shared["beta/stm32f4"] != shared["gamma/nrf52"]
    confs = {target[0]: fragment_text(data, target) for target in data["targets"]}
    assert "# prj.conf fragment for alpha/stm32f4 (Zephyr 4.2.99)" in confs["alpha/stm32f4"]
    assert "# prj.conf fragment for beta/stm32f4 (Zephyr 4.2.99)" in confs["beta/stm32f4"]
    assert "\n# REC-CANARIES\nCONFIG_STACK_CANARIES=y\n" in confs["alpha/stm32f4"]
    assert "CONFIG_STACK_CANARIES" not in confs["gamma/nrf52"]
    assert "Nothing to add" in confs["gamma/nrf52"]


def _many(index: int, recs: int) -> BoardReport:
    """Target ``index`` of a synthetic tree: ``recs`` recommendations, each setting its own
    symbol; target ``i`` has recommendation ``i % recs`` already on by default, so every
    fragment is its own but shares all its other lines with the rest."""
    target = BoardTarget(name=f"board{index}/soc", board=f"board{index}", qualifiers="soc",
                         soc="soc", board_dir=Path("boards") / f"board{index}", arch="arm")
    verdicts, fragment = [], []
    for rec in range(recs):
        symbol = f"SYMBOL_{rec:03d}"
        verdict = BoardVerdict.DEFAULT if rec == index % recs else BoardVerdict.AVAILABLE
        setting = SettingVerdict(symbol=symbol, wanted="y", default="n", verdict=verdict)
        verdicts.append(RecommendationVerdict(rec_id=f"REC-SYN-{rec:03d}",
                                              title=f"Synthetic {rec}", verdict=verdict,
                                              settings=(setting,)))
        if verdict is BoardVerdict.AVAILABLE:
            fragment.append((symbol, "y"))
    return BoardReport(target=target, facts={"ARCH": "arm", "SOC": "soc"},
                       verdicts=tuple(verdicts), fragment=tuple(fragment))


def test_fragments_keep_each_line_once_at_scale() -> None:
    """300 targets x 200 recommendations: 200 distinct fragments of about 200 lines. The
    data holds each distinct line once and every fragment still reads in full."""
    reports = [_many(index, 200) for index in range(300)]
    page = make_board_page(reports, "4.2.99")
    data = page.finder_with_urls({})
    fragments = [fragment_text(data, target) for target in data["targets"]]
    for report, fragment in zip(reports, fragments, strict=True):
        assert fragment == render_prj_conf(report, zephyr_version="4.2.99")
    assert len(set(fragments)) == 300 and len(data["confs"]) == 200
    lines = {line for fragment in fragments for line in fragment.replace(
        "board", TARGET_MARK, 1).split("\n")}
    assert not any("\n" in text for text in data["strings"])
    # the fragments' text (2 MB when written whole) is held as its distinct lines
    assert sum(len(text) for text in data["strings"]) * 50 < sum(map(len, fragments))
    assert json.loads(page.finder_json({})) == data
    assert len(data["strings"]) <= len(lines) + 300
