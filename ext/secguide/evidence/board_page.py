"""Everything the guide's board pages show, made in one pass and kept on disk.

The pages show counts (:class:`~secguide.trace.board_summary.BoardSummary`) and the
finder's data: per target its verdicts and its ``prj.conf`` fragment. Both come
from one pass over the targets' reports, one report at a time (memory grows with
recommendations plus targets, not their product), and are kept in the cache folder
under the key of the verdicts they come from (tree, settings asked, recommendations
shown, code): a build with warm caches reads one file instead of decoding and judging
every target again.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from secguide.evidence import prj_conf
from secguide.evidence.prj_conf import render_prj_conf
from secguide.trace import board_summary, boards
from secguide.trace.board_summary import BoardSummary, BoardTally
from secguide.trace.boards import VERDICT_LABELS, VERDICTS, BoardReport, group_of
from secguide.trace.derived_cache import cached, source_digest

#: Stands for the target's name in a shared prj.conf text; the finder puts the name in.
TARGET_MARK = "@TARGET@"
#: The finder's lists of whole numbers, kept as JSON texts until the data file is written.
_NUMBER_LISTS = ("rows", "confs")


def fragment_text(finder: dict[str, Any], target: list[Any]) -> str:
    """A target's ``prj.conf`` fragment from the (decoded) finder data, as its script
    makes it: the fragment's lines joined, the target's name in place of the mark."""
    lines = (finder["strings"][index] for index in finder["confs"][target[6]])
    return "\n".join(lines).replace(finder["mark"], target[0])


@dataclass(frozen=True, slots=True)
class BoardPage:
    """The board pages' counts, and the finder's data without the recommendations'
    page addresses (a Sphinx fact, added when the data file is written)."""

    summary: BoardSummary
    #: the finder's data; its ``rows`` and ``confs`` are JSON texts, decoded only on
    #: demand (thousands of recommendations x a thousand targets of small lists would be
    #: gigabytes)
    finder: dict[str, Any]

    def finder_with_urls(self, rec_urls: dict[str, str]) -> dict[str, Any]:
        """The finder's data with each recommendation's page address appended."""
        return {**self._with_urls(rec_urls),
                **{key: [json.loads(text) for text in self.finder[key]]
                   for key in _NUMBER_LISTS}}

    def finder_json(self, rec_urls: dict[str, str]) -> str:
        """``json.dumps(finder_with_urls(rec_urls))`` (compact, ASCII), made without
        decoding the rows and fragments."""
        text = json.dumps({**self._with_urls(rec_urls), **{key: [] for key in _NUMBER_LISTS}},
                          ensure_ascii=True, separators=(",", ":"))
        # both are compact JSON of whole numbers (ASCII); a key in a JSON text is the only
        # place '"rows":[]' can stand unescaped
        for key in _NUMBER_LISTS:
            text = text.replace(f'"{key}":[]', f'"{key}":[{",".join(self.finder[key])}]', 1)
        return text

    def _with_urls(self, rec_urls: dict[str, str]) -> dict[str, Any]:
        recs = [[rec_id, title, rec_urls.get(rec_id, "")]
                for rec_id, title in self.finder["recs"]]
        return {**self.finder, "recs": recs}


class _Finder:
    """The finder's compact data, added one report at a time: string tables and
    indexes into them; targets that share their verdicts or fragment share one copy.

    A fragment is kept as the indexes of its lines: fragments differ by a few of their
    lines (at 1,000 generated recommendations 433 distinct fragments held 75 MB of text
    made of 2,285 distinct lines, 0.4 MB), and the data file is loaded by the page.
    """

    def __init__(self, zephyr_version: str) -> None:
        self.zephyr_version = zephyr_version
        self.strings: dict[str, int] = {}
        self.recs: list[list[str]] = []
        self.rec_index: dict[str, int] = {}
        self.rows: dict[str, int] = {}
        self.confs: dict[bytes, int] = {}
        #: each distinct fragment: the JSON text of its lines' string indexes
        self.conf_lines: list[str] = []
        self.targets: list[list[Any]] = []

    def _intern(self, text: str) -> int:
        return self.strings.setdefault(text, len(self.strings))

    def add(self, report: BoardReport) -> None:
        verdicts = []
        for item in report.verdicts:
            if item.rec_id not in self.rec_index:
                self.rec_index[item.rec_id] = len(self.recs)
                self.recs.append([item.rec_id, item.title])
            verdicts.append([self.rec_index[item.rec_id], VERDICTS.index(item.verdict),
                             self._intern(item.shown_reason) if item.shown_reason else -1])
        row = self.rows.setdefault(json.dumps(verdicts, separators=(",", ":")),
                                   len(self.rows))
        # everything the fragment is rendered from but the target's name: rendered once;
        # kept as a digest, not the verdicts themselves (every target's, at scale)
        shape = hashlib.sha256(repr((report.fragment, report.verdicts)).encode()).digest()
        if shape not in self.confs:
            renamed = replace(report, target=replace(report.target, name=TARGET_MARK))
            text = render_prj_conf(renamed, zephyr_version=self.zephyr_version)
            self.confs[shape] = len(self.conf_lines)
            self.conf_lines.append(json.dumps([self._intern(line) for line in text.split("\n")],
                                              separators=(",", ":")))
        target = report.target
        self.targets.append([target.name, target.full_name,
                             report.facts.get("ARCH", target.arch),
                             report.facts.get("SOC", target.soc), group_of(report)[1],
                             row, self.confs[shape]])

    def data(self) -> dict[str, Any]:
        return {"zephyr": self.zephyr_version, "verdicts": list(VERDICTS),
                "labels": [VERDICT_LABELS[v] for v in VERDICTS], "mark": TARGET_MARK,
                "recs": self.recs, "strings": list(self.strings),
                "rows": list(self.rows), "confs": self.conf_lines, "targets": self.targets}


def make_board_page(reports: Iterable[BoardReport], zephyr_version: str) -> BoardPage:
    """One pass over ``reports`` (buildable targets only are counted and listed)."""
    tally, finder = BoardTally(), _Finder(zephyr_version)
    for report in reports:
        if report.buildable:
            tally.add(report)
            finder.add(report)
    return BoardPage(tally.summary(), finder.data())


def _code_digest() -> str:
    """This module, the tally, the verdicts and the fragment's code and template."""
    template = Path(prj_conf.__file__).parents[1] / "templates" / "board_prj.conf.j2"
    return source_digest([sys.modules[__name__], prj_conf, board_summary, boards]) + \
        hashlib.sha256(template.read_bytes()).hexdigest()


def board_page(reports_key: str | None, reports: Iterable[BoardReport], zephyr_version: str,
               *, cache_dir: Path | None = None, use_cache: bool = True) -> BoardPage:
    """:func:`make_board_page`, or its earlier result for the same ``reports_key``
    (:meth:`secguide.trace.project.Project.board_reports_key`; None: no cache).
    ``reports`` is only iterated when the page is made."""
    def compute() -> BoardPage:
        return make_board_page(reports, zephyr_version)

    if reports_key is None:
        return compute()
    return cached("board-page", [reports_key, zephyr_version, _code_digest()], compute,
                  encode=lambda page: {"summary": page.summary.to_json(),
                                       "finder": page.finder},
                  decode=lambda raw: BoardPage(BoardSummary.from_json(raw["summary"]),
                                               dict(raw["finder"])),
                  cache_dir=cache_dir, use_cache=use_cache, keep=2)
