"""The finder's data renders each distinct prj.conf fragment once (issue 26).

Targets of one SoC mostly share their verdicts and fragment; only the target's name
differs, and the data holds it apart (a mark the finder's script replaces)."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.evidence import board_page
from secguide.evidence.board_page import TARGET_MARK, make_board_page
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
    confs = {target[0]: data["strings"][target[6]] for target in data["targets"]}
    assert confs["alpha/stm32f4"] is confs["beta/stm32f4"]
    assert "# prj.conf fragment for @TARGET@ (Zephyr 4.2.99)" in confs["alpha/stm32f4"]
    assert "\n# REC-CANARIES\nCONFIG_STACK_CANARIES=y\n" in confs["alpha/stm32f4"]
    assert "CONFIG_STACK_CANARIES" not in confs["gamma/nrf52"]
    assert "Nothing to add" in confs["gamma/nrf52"]
