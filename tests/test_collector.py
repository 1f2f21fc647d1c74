"""The cycle collector is paused while bulk data is built, and always resumes."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from secguide.collector import collector_paused
from secguide.trace import project as project_module
from secguide.trace.project import Project

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def _collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_running_after() -> None:
    seen = []

    @collector_paused
    def build(size: int) -> list[int]:
        seen.append(gc.isenabled())
        return list(range(size))

    assert build(3) == [0, 1, 2] and build.__name__ == "build"
    assert seen == [False] and gc.isenabled()


def test_resumes_after_an_error_and_after_nested_pauses() -> None:
    @collector_paused
    def inner() -> bool:
        return gc.isenabled()

    @collector_paused
    def outer() -> tuple[bool, bool]:
        return inner(), gc.isenabled()  # the inner end does not resume it early

    @collector_paused
    def failing() -> None:
        raise ValueError("bad input")

    assert outer() == (False, False) and gc.isenabled()
    with pytest.raises(ValueError, match="bad input"):
        failing()
    assert gc.isenabled()


def test_a_caller_that_paused_it_keeps_it_paused() -> None:
    @collector_paused
    def build() -> bool:
        return gc.isenabled()

    gc.disable()
    assert build() is False
    assert not gc.isenabled()


def test_the_projects_bulk_steps_run_paused(zephyr_v4_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Checking the model (the bulk of ``secguide check``) runs paused."""
    seen = []
    original = project_module.validate_model

    def watching(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return original(*args, **kwargs)

    monkeypatch.setattr(project_module, "validate_model", watching)
    project = Project.open(REPO / "threatmodel", zephyr_v4_path)
    assert project.diagnostics is project.diagnostics  # computed once
    assert seen == [False] and gc.isenabled()
