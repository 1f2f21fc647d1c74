"""Every recommendation area of the model has a page of the real guide that renders it.

The areas are model data (the schema's ``area`` enum, ``secguide.model.items.AREAS``);
with a page per area, no valid model can hold a recommendation the guide does not
show, so ``item-not-shown`` stays a finding about the pages, never about the model.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from secguide.model.items import AREAS

REPO = Path(__file__).resolve().parents[2]
SCHEMA = REPO / "ext" / "secguide" / "model" / "schema" / "threatmodel.schema.json"
DIRECTIVE = re.compile(r"^\.\. secguide-recommendations::\n((?:[ \t]+:\w+:.*\n)*)", re.M)


def rendered_areas(source: Path) -> set[str]:
    areas: set[str] = set()
    for page in source.rglob("*.rst"):
        for options in DIRECTIVE.findall(page.read_text(encoding="utf-8")):
            match = re.search(r":area:\s*(.+)", options)
            if match is None:
                return set(AREAS)  # an unfiltered directive renders every area
            areas |= {part.strip() for part in match.group(1).split(",")}
    return areas


def test_areas_are_the_schema_enum() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    found = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if "area" in node.get("properties", {}):
                found.append(tuple(node["properties"]["area"]["enum"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert found == [AREAS]


def test_every_area_has_a_page() -> None:
    assert rendered_areas(REPO / "source") == set(AREAS)
