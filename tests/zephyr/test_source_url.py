"""Where a tree's sources are browsable: the release tag, or main for development."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.zephyr.tree import read_version, source_url_for

BASE = "https://github.com/zephyrproject-rtos/zephyr/blob/"


@pytest.mark.parametrize(("version", "ref"), [
    ("1.13.0", "v1.13.0"), ("4.2.0", "v4.2.0"), ("4.2.0-rc1", "v4.2.0-rc1"),
    ("4.2.99", "main"), ("3.7.0-dev", "main"),
])
def test_release_tag_or_main(version: str, ref: str) -> None:
    assert source_url_for(version) == BASE + ref


def test_the_shared_trees(zephyr_v4_path: Path, zephyr_v1_path: Path) -> None:
    assert source_url_for(read_version(zephyr_v4_path)) == BASE + "main"
    assert source_url_for(read_version(zephyr_v1_path)) == BASE + "v1.13.0"
