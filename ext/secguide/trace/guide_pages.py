"""Which recommendations the guide's pages show, read from the ``.rst`` sources.

A recommendation no page selects is missing from the published guide. That is a
fact about the model *and* the pages, so both faces need it: this module reads
the ``secguide-recommendations`` directives and their options from the page
sources without Sphinx, and :class:`Selection` is the one filter that directive
itself applies, so ``secguide check`` and the build give the same answer.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from secguide.diagnostics import resolved
from secguide.model.items import Recommendation

#: the directive and its option lines (indented ``:name: value``)
_DIRECTIVE = re.compile(r"^\.\. secguide-recommendations::[^\n]*\n((?:[ \t]+:[\w-]+:[^\n]*\n?)*)",
                        re.M)
_OPTION = re.compile(r"^[ \t]+:([\w-]+):[ \t]*(.*)$", re.M)


def split_list(argument: str | None) -> tuple[str, ...]:
    """A comma-separated option value as its entries."""
    return tuple(part.strip() for part in (argument or "").split(",") if part.strip())


@dataclass(frozen=True, slots=True)
class Selection:
    """The recommendations one directive shows; an empty criterion does not filter."""

    areas: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    architectures: tuple[str, ...] = ()

    @classmethod
    def from_options(cls, options: Mapping[str, Sequence[str]]) -> Selection:
        """From the directive's parsed ``:area:``, ``:tag:``, ``:status:``, ``:architecture:``."""
        return cls(areas=tuple(options.get("area", ())), tags=tuple(options.get("tag", ())),
                   statuses=tuple(options.get("status", ())),
                   architectures=tuple(options.get("architecture", ())))

    def matches(self, rec: Recommendation) -> bool:
        rec_archs = rec.applies_to.architectures  # empty: every architecture
        return ((not self.areas or rec.area in self.areas)
                and (not self.tags or bool(set(self.tags) & set(rec.tags)))
                and (not self.statuses or rec.status in self.statuses)
                and (not self.architectures or not rec_archs
                     or bool(set(self.architectures) & set(rec_archs))))


def guide_pages(source_dir: Path) -> list[Path]:
    """The ``.rst`` pages below ``source_dir``, without build output or hidden folders."""
    return sorted(path for path in source_dir.rglob("*.rst")
                  if not any(part.startswith(("_", ".")) for part in
                             path.relative_to(source_dir).parts[:-1]))


def page_selections(source_dir: Path) -> list[Selection]:
    """The selection of every ``secguide-recommendations`` directive of the guide."""
    found = []
    for page in guide_pages(source_dir):
        text = page.read_text(encoding="utf-8", errors="replace")
        for block in _DIRECTIVE.findall(text):
            options = {name: split_list(value) for name, value in _OPTION.findall(block)}
            found.append(Selection.from_options(options))
    return found


#: a page title: its first line of text, over-/underlined with one punctuation character
_TITLE = re.compile(r"\A\s*(?:([#*=~^\-])\1+\n)?([^\n]+?)[ \t]*\n([#*=~^\-])\3+[ \t]*$", re.M)


def area_titles(source_dir: Path) -> dict[str, str]:
    """The title of the page that shows one area alone (``:area: heap-libc`` ->
    "Heap and C library hardening"), for headings elsewhere that name the area."""
    titles: dict[str, str] = {}
    for page in guide_pages(source_dir):
        text = page.read_text(encoding="utf-8", errors="replace")
        title = _TITLE.match(text)
        areas = {area for block in _DIRECTIVE.findall(text)
                 for name, value in _OPTION.findall(block) if name == "area"
                 for area in split_list(value)}
        if title and len(areas) == 1:
            titles.setdefault(areas.pop(), title.group(2).strip())
    return titles


def shown_by_none(recommendations: Iterable[Recommendation],
                  selections: Sequence[Selection]) -> list[Recommendation]:
    """The recommendations no selection matches."""
    return [rec for rec in recommendations
            if not any(selection.matches(rec) for selection in selections)]


def default_guide_dir(threatmodel_dir: Path) -> Path | None:
    """The guide's page folder beside the model: ``source/``, else a folder holding
    ``conf.py`` and pages; None when neither exists (then the check is skipped)."""
    project = resolved(threatmodel_dir).parent
    if (project / "source").is_dir():
        return project / "source"
    if (project / "conf.py").is_file():
        return project
    return None
