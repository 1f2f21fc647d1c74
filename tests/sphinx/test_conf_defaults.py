"""conf.py: the default build is the complete guide (last test results, 1.13 baseline)."""

from __future__ import annotations

import runpy
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _conf_in(project: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    """conf.py's values when it sits in ``project`` and no SECGUIDE_ variable is set."""
    project.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "conf.py", project / "conf.py")
    for variable in ("SECGUIDE_RESULTS", "SECGUIDE_BASELINE_ZEPHYR_BASE"):
        monkeypatch.delenv(variable, raising=False)
    return runpy.run_path(str(project / "conf.py"))


def test_results_and_baseline_are_used_when_present(tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "secguide"
    (project / "_build").mkdir(parents=True)
    (project / "_build" / "test-results.xml").write_text("<testsuites/>")
    baseline = tmp_path / "shared" / "zephyr" / "v1.13.0"
    baseline.mkdir(parents=True)
    (baseline / "VERSION").write_text("VERSION_MAJOR = 1\n")
    conf = _conf_in(project, monkeypatch)
    assert conf["secguide_results_files"] == [str(project / "_build" / "test-results.xml")]
    assert conf["secguide_baseline_zephyr_base"] == str(baseline)
    describe = conf["_describe"]
    assert callable(describe)
    described = describe()
    assert "test-results.xml" in described and "v1.13.0" in described


def test_nothing_is_invented_when_absent(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    conf = _conf_in(tmp_path / "secguide", monkeypatch)
    assert conf["secguide_results_files"] == []
    assert conf["secguide_baseline_zephyr_base"] == ""
    describe = conf["_describe"]
    assert callable(describe) and "none (run 'make test' first)" in describe()


def test_variables_override_the_defaults(tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "secguide"
    (project / "_build").mkdir(parents=True)
    (project / "_build" / "test-results.xml").write_text("<testsuites/>")
    project.mkdir(exist_ok=True)
    shutil.copy(REPO / "conf.py", project / "conf.py")
    monkeypatch.setenv("SECGUIDE_RESULTS", "")
    monkeypatch.setenv("SECGUIDE_BASELINE_ZEPHYR_BASE", "")
    conf = runpy.run_path(str(project / "conf.py"))
    assert conf["secguide_results_files"] == []
    assert conf["secguide_baseline_zephyr_base"] == ""
