"""Result files as real runs leave them: Windows suite names, empty files and empty runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError
from secguide.trace.results import Outcome, load_results

REAL = Path(__file__).resolve().parents[2].parent / "shared" / "builds" / "results"
R06 = REAL / "r06-v4.3.0-native_sim64.twister.json"


def test_a_windows_suite_name_with_backslashes_names_its_scenario(tmp_path: Path) -> None:
    report = json.loads(R06.read_text(encoding="utf-8"))
    # r06 was run with --no-detailed-test-id; twister on Windows writes the directory so
    report["testsuites"][0]["name"] = "..\\tests\\color_math\\app.color_math"
    copy = tmp_path / "twister.json"
    copy.write_text(json.dumps(report), encoding="utf-8")
    results = load_results([copy])
    assert results.zephyr["app.color_math"] is Outcome.PASSED
    assert results.platforms["app.color_math"] == {"native_sim/native/64": Outcome.PASSED}
    [run] = results.runs
    assert (run.scenario, run.suite) == ("app.color_math", "../tests/color_math/app.color_math")


@pytest.mark.parametrize("content", [b"", b"\n  \r\n"])
def test_an_empty_result_file_is_called_empty(tmp_path: Path, content: bytes) -> None:
    empty = tmp_path / "twister.json"
    empty.write_bytes(content)
    with pytest.raises(SecguideError, match=r"twister.json: the result file is empty") as caught:
        load_results([empty])
    assert caught.value.exit_code == 2


def test_a_run_without_suites_is_read_and_counted_as_empty(tmp_path: Path) -> None:
    report = json.loads(R06.read_text(encoding="utf-8"))
    report["testsuites"] = []
    copy = tmp_path / "twister.json"
    copy.write_text(json.dumps(report), encoding="utf-8")
    [read] = load_results([copy, R06]).files[:1]
    assert read.empty and read.entries == 0
    assert not load_results([R06]).files[0].empty
