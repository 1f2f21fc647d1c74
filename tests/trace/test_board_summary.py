"""The board pages' counts, tallied one report at a time, equal counting all reports at once."""

from __future__ import annotations

import json
import types
from collections import Counter
from pathlib import Path

import pytest

from secguide.model.loader import load_threat_model
from secguide.trace.board_summary import BoardSummary, BoardTally
from secguide.trace.boards import (
    BoardReport,
    board_reports,
    group_of,
    iter_board_reports,
    summarize_recommendations,
)
from secguide.zephyr.tree import resolve_tree

REPO = Path(__file__).resolve().parents[2]
#: Several architectures, and SoC series with more than one target (medians of several).
SAMPLE = ("nucleo_h753zi/stm32h753xx", "nucleo_h743zi/stm32h743xx", "nucleo_h723zg/stm32h723xx",
          "qemu_x86/atom", "qemu_x86_64/atom", "nrf52840dk/nrf52840", "nrf52dk/nrf52832",
          "nrf5340dk/nrf5340/cpuapp", "esp32s3_devkitc/esp32s3/procpu",
          "qemu_cortex_a53/qemu_cortex_a53", "hifive1/fe310_g000")


@pytest.fixture(scope="module")
def model():
    return load_threat_model(REPO / "threatmodel")[0]


@pytest.fixture(scope="module")
def tree(zephyr_v4_path: Path):
    return resolve_tree(zephyr_v4_path)


@pytest.fixture(scope="module")
def reports(model, tree) -> list[BoardReport]:
    return [r for r in board_reports(model, tree, names=SAMPLE) if r.buildable]


@pytest.fixture(scope="module")
def summary(model, tree) -> BoardSummary:
    tally = BoardTally()
    for report in iter_board_reports(model, tree, names=SAMPLE):
        if report.buildable:
            tally.add(report)
    return tally.summary()


def test_reports_come_one_at_a_time_in_the_same_order(model, tree, reports) -> None:
    stream = iter_board_reports(model, tree, names=SAMPLE)
    assert isinstance(stream, types.GeneratorType)
    assert [r.target.name for r in stream if r.buildable] == [r.target.name for r in reports]
    assert len(reports) == len(SAMPLE)


def test_counts_and_reasons_per_recommendation(summary, reports) -> None:
    expected = {s.rec_id: s for s in summarize_recommendations(reports)}
    assert [s.rec_id for s in summary.recommendations] == list(expected)
    for got in summary.recommendations:
        assert got.counts == expected[got.rec_id].counts
        assert got.reasons == expected[got.rec_id].reasons
    assert summary.targets == len(SAMPLE)


def test_applicable_per_architecture(summary, reports) -> None:
    archs = Counter(group_of(r)[0] for r in reports)
    assert summary.architectures == dict(sorted(archs.items()))
    assert {"arm", "x86", "riscv", "xtensa", "arm64"} <= set(archs)
    for rec in ("REC-STACK-CANARIES", "REC-X86-KPTI", "REC-MP-USERSPACE"):
        on = Counter(group_of(r)[0] for r in reports for item in r.verdicts
                     if item.rec_id == rec and item.verdict in ("default", "available", "needs"))
        assert summary.applicable[rec] == {arch: on[arch] for arch in archs}, rec
    assert summary.applicable["REC-X86-KPTI"]["arm"] == 0


def test_series_medians(summary, reports) -> None:
    stm32h7 = [r for r in reports if group_of(r) == ("arm", "stm32h7x")]
    assert len(stm32h7) == 3
    [row] = [r for r in summary.series if (r.arch, r.series) == ("arm", "stm32h7x")]
    assert row.targets == 3
    defaults = sorted(sum(1 for i in r.verdicts if i.verdict == "default") for r in stm32h7)
    out = sorted(sum(1 for i in r.verdicts if i.verdict in ("inactive", "not-applicable"))
                 for r in stm32h7)
    assert row.medians["default"] == defaults[1]
    assert row.medians["out_of_scope"] == out[1]


def test_summary_survives_its_json(summary) -> None:
    text = json.dumps(summary.to_json())
    assert BoardSummary.from_json(json.loads(text)) == summary
