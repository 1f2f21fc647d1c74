"""Zephyr release numbers, compared as numbers ("4.10.0" comes after "4.9.99").

A tree's ``VERSION`` gives ``4.2.99`` for the development cycle that leads to
4.3.0, so a tree whose number is below a setting's ``since`` does not have to
define its symbol yet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from secguide.model.items import Setting

_NUMBER = re.compile(r"\d+")


def release_key(version: str) -> tuple[int, int, int]:
    """``"4.2.99"`` -> ``(4, 2, 99)``; missing parts count as 0, text after them is ignored
    (``zephyr-v2.5.0-31748-g...`` -> ``(2, 5, 0)``)."""
    stated = parse_release(version)
    if stated is not None:
        return stated.numbers
    parts = [int(n) for n in _NUMBER.findall(version.split("-", 1)[0])[:3]] + [0, 0, 0]
    return parts[0], parts[1], parts[2]


def introduced_later(setting: Setting, tree_version: str) -> bool:
    """Whether the setting's symbol comes with a release newer than the tree."""
    return setting.since is not None and release_key(tree_version) < release_key(setting.since)


def is_development_tree(tree_version: str) -> bool:
    """A ``x.y.99`` tree sits between releases and may already hold the next one's symbols."""
    return release_key(tree_version)[2] >= 90


# -- release strings as builds and test runs state them --------------------------------------

#: ``4.2.99``, ``v4.2.0``, ``zephyr-v2.5.0-31748-g1f0c3d``, ``v3.4.99-ncs1``: an optional
#: ``zephyr-`` and ``v``, three numbers, then (git describe) commits after that tag and the
#: abbreviated commit, or another suffix that is kept but not interpreted.
_DESCRIBED = re.compile(r"(?:zephyr-)?v?(\d+)\.(\d+)\.(\d+)"
                        r"(?:-(\d+)-g([0-9a-f]{4,40})\b)?(\S*)$")


@dataclass(frozen=True, slots=True)
class Release:
    """A Zephyr release as one string states it.

    ``x.y.99`` (a tree's ``VERSION`` between releases) and a git-describe string with
    commits after its tag are *development* builds: they are not the release whose
    number they carry, and only their commit identifies them.
    """

    numbers: tuple[int, int, int]
    commits_after: int | None  # commits after the tag, from git describe
    commit: str | None  # abbreviated commit hash, from git describe
    text: str  # as written

    @property
    def development(self) -> bool:
        return bool(self.commits_after) or self.numbers[2] >= 90

    def describe(self) -> str:
        """The release in words that claim no more than the string says."""
        number = ".".join(str(n) for n in self.numbers)
        if self.commits_after:
            return (f"a development build after {number} ({self.commits_after} commits "
                    f"later, commit {self.commit})")
        if self.development:
            return f"a development build after {self.numbers[0]}.{self.numbers[1]}.0 ({number})"
        return f"Zephyr {number}"


def parse_release(text: str | None) -> Release | None:
    """The release a version string states; None when it states none (``main``, "")."""
    if not text:
        return None
    match = _DESCRIBED.match(text.strip())
    if match is None:
        return None
    major, minor, patch, after, commit, _rest = match.groups()
    return Release((int(major), int(minor), int(patch)), int(after) if after else None,
                   commit, text.strip())


def same_release(one: Release | None, other: Release | None) -> bool:
    """Whether two strings state the same Zephyr code.

    Two tagged releases are the same when their numbers are. A development build
    named by its commit is the same only as one of that commit: two builds "after
    4.2.0" may be thousands of commits apart, and ``4.2.99`` cannot be matched to
    a commit. Two strings that both name only ``4.2.99`` state the same thing.
    """
    if one is None or other is None or one.numbers != other.numbers:
        return False
    if one.commit and other.commit:
        shorter, longer = sorted((one.commit, other.commit), key=len)
        return longer.startswith(shorter)
    return one.commit is None and other.commit is None
