"""Zephyr release numbers, compared as numbers ("4.10.0" comes after "4.9.99").

A tree's ``VERSION`` gives ``4.2.99`` for the development cycle that leads to
4.3.0, so a tree whose number is below a setting's ``since`` does not have to
define its symbol yet.
"""

from __future__ import annotations

import re

from secguide.model.items import Setting

_NUMBER = re.compile(r"\d+")


def release_key(version: str) -> tuple[int, int, int]:
    """``"4.2.99"`` -> ``(4, 2, 99)``; missing parts count as 0, text after them is ignored."""
    parts = [int(n) for n in _NUMBER.findall(version.split("-", 1)[0])[:3]] + [0, 0, 0]
    return parts[0], parts[1], parts[2]


def introduced_later(setting: Setting, tree_version: str) -> bool:
    """Whether the setting's symbol comes with a release newer than the tree."""
    return setting.since is not None and release_key(tree_version) < release_key(setting.since)


def is_development_tree(tree_version: str) -> bool:
    """A ``x.y.99`` tree sits between releases and may already hold the next one's symbols."""
    return release_key(tree_version)[2] >= 90
