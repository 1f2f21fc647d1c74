"""Result files, hardened.csv and the review baseline built to hurt: one clear error each."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secguide import input_limits
from secguide.diagnostics import SecguideError
from secguide.trace.results import load_results
from secguide.trace.review import baseline_path, load_baseline
from secguide.zephyr.hardening import HARDENED_CSV, read_hardened_csv

DEEP_JSON = "[" * 200_000 + "]" * 200_000


def _one_line(error: SecguideError) -> str:
    text = str(error)
    assert "\n" not in text and len(text) < 200
    return text


def test_deeply_nested_twister_json_is_refused(tmp_path: Path) -> None:
    report = tmp_path / "twister.json"
    report.write_text('{"testsuites": ' + DEEP_JSON + "}")
    with pytest.raises(SecguideError) as caught:
        load_results([report], display_base=tmp_path)
    assert _one_line(caught.value) == ("twister.json: refused: JSON nested too deeply to be "
                                       "a real report")
    assert caught.value.exit_code == 2


def test_deeply_nested_junit_is_read_without_recursion(tmp_path: Path) -> None:
    """expat is iterative: 100,000 nested elements are a wrong report, not a crash."""
    report = tmp_path / "deep.xml"
    report.write_text("<testsuites>" + "<x>" * 100_000 + "</x>" * 100_000 + "</testsuites>")
    results = load_results([report], display_base=tmp_path)
    assert results.pytest == {}


def test_oversized_result_file_is_refused_before_parsing(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(input_limits, "MAX_RESULT_BYTES", 1 << 20)
    monkeypatch.setattr("secguide.trace.results.MAX_RESULT_BYTES", 1 << 20)
    report = tmp_path / "big.xml"
    report.write_bytes(b"<testsuites>" + b" " * (2 << 20) + b"</testsuites>")
    with pytest.raises(SecguideError) as caught:
        load_results([report], display_base=tmp_path)
    assert _one_line(caught.value) == "big.xml: refused: result file is larger than 1 MiB"


def test_hostile_review_baseline_is_one_error(tmp_path: Path) -> None:
    baseline_path(tmp_path).write_text(DEEP_JSON)
    with pytest.raises(SecguideError) as caught:
        load_baseline(tmp_path)
    assert _one_line(caught.value).endswith(
        ".review-baseline.json: refused: JSON nested too deeply to be a real report")
    baseline_path(tmp_path).write_bytes(b'{"format": "\xff"}')
    with pytest.raises(SecguideError, match=r"review-baseline\.json: not UTF-8 text"):
        load_baseline(tmp_path)


def test_oversized_hardened_csv_is_refused(tmp_path: Path) -> None:
    """A multi-megabyte hardened.csv is no Zephyr's; it is refused, not read line by line."""
    csv = tmp_path / HARDENED_CSV
    csv.parent.mkdir(parents=True)
    csv.write_bytes(b"BOOT_BANNER,n\n" * 200_000)
    with pytest.raises(SecguideError) as caught:
        read_hardened_csv(tmp_path)
    assert _one_line(caught.value) == ("scripts/kconfig/hardened.csv: refused: hardened.csv "
                                       "is larger than 1 MiB")
    csv.write_bytes(b"BOOT_BANNER,\xff\n")
    with pytest.raises(SecguideError, match=r"hardened\.csv: not UTF-8 text"):
        read_hardened_csv(tmp_path)


def test_real_inputs_are_far_below_the_limits(zephyr_v4_path: Path) -> None:
    shared = zephyr_v4_path.parent.parent / "builds" / "results"
    for path in shared.iterdir():
        assert path.stat().st_size * 100 < input_limits.MAX_RESULT_BYTES
    assert (zephyr_v4_path / HARDENED_CSV).stat().st_size * 100 < \
        input_limits.MAX_HARDENED_CSV_BYTES
    json.loads((shared / "r05-v4.2.0-native_sim.twister.json").read_text())
