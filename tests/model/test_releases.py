"""Release strings as builds, trees and twister runs state them (one parser for all)."""

from __future__ import annotations

import pytest

from secguide.model.releases import parse_release, release_key, same_release


@pytest.mark.parametrize(("text", "numbers", "development"), [
    ("zephyr-v2.5.0-31748-g1f0c3d2a", (2, 5, 0), True),  # 31748 commits after the tag
    ("v4.2.0-31-g663da2302b04", (4, 2, 0), True),  # r05's environment.zephyr_version
    ("zephyr-v3.4.0", (3, 4, 0), False),  # nucleo_h753zi-telnet's version.h
    ("v4.3.0", (4, 3, 0), False),
    ("4.2.99", (4, 2, 99), True),  # a tree's VERSION between 4.2 and 4.3
    ("v3.4.99-ncs1", (3, 4, 99), True),
])
def test_release_strings(text: str, numbers: tuple[int, int, int], development: bool) -> None:
    stated = parse_release(text)
    assert stated is not None
    assert (stated.numbers, stated.development) == (numbers, development)
    assert release_key(text) == numbers


def test_a_describe_string_says_it_is_a_development_build_after_its_tag() -> None:
    stated = parse_release("zephyr-v2.5.0-31748-g1f0c3d2a")
    assert stated is not None
    assert stated.describe() == ("a development build after 2.5.0 (31748 commits later, "
                                 "commit 1f0c3d2a)")


@pytest.mark.parametrize("text", ["", "main", "unknown"])
def test_no_release(text: str) -> None:
    assert parse_release(text) is None


@pytest.mark.parametrize(("one", "other", "same"), [
    ("v4.3.0", "4.3.0", True),
    ("v4.2.0-31-g663da2302b04", "4.2.0", False),  # 31 commits later is not the release
    ("v4.2.0-31-g663da2302b04", "4.2.99", False),  # 4.2.99 names no commit
    ("v4.2.0-2572-g04dfa77d372d", "v4.2.0-31-g663da2302b04", False),
    ("v4.2.0-31-g663da2302b04", "v4.2.0-31-g663da23", True),  # abbreviations of one commit
    ("v4.4.0", "4.2.99", False),
    ("v4.2.99", "4.2.99", True),  # both name the development line only
])
def test_same_release(one: str, other: str, same: bool) -> None:
    assert same_release(parse_release(one), parse_release(other)) is same
