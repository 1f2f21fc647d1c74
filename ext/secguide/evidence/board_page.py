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


@dataclass(frozen=True, slots=True)
class BoardPage:
    """The board pages' counts, and the finder's data without the recommendations'
    page addresses (a Sphinx fact, added when the data file is written)."""

    summary: BoardSummary
    #: the finder's data; its ``rows`` are JSON texts, decoded only on demand (thousands
    #: of recommendations x a thousand targets of small lists would be gigabytes)
    finder: dict[str, Any]

    def finder_with_urls(self, rec_urls: dict[str, str]) -> dict[str, Any]:
        """The finder's data with each recommendation's page address appended."""
        return {**self._with_urls(rec_urls),
                "rows": [json.loads(row) for row in self.finder["rows"]]}

    def finder_json(self, rec_urls: dict[str, str]) -> str:
        """``json.dumps(finder_with_urls(rec_urls))`` (compact, ASCII), made without
        decoding the rows."""
        head = json.dumps({**self._with_urls(rec_urls), "rows": []}, ensure_ascii=True,
                          separators=(",", ":"))
        # rows are compact JSON of whole numbers (ASCII); a key in a JSON text is the only
        # place '"rows":[]' can stand unescaped
        return head.replace('"rows":[]', f'"rows":[{",".join(self.finder["rows"])}]', 1)

    def _with_urls(self, rec_urls: dict[str, str]) -> dict[str, Any]:
        recs = [[rec_id, title, rec_urls.get(rec_id, "")]
                for rec_id, title in self.finder["recs"]]
        return {**self.finder, "recs": recs}


class _Finder:
    """The finder's compact data, added one report at a time: string tables and
    indexes into them; targets that share their verdicts or fragment share one copy."""

    def __init__(self, zephyr_version: str) -> None:
        self.zephyr_version = zephyr_version
        self.strings: dict[str, int] = {}
        self.recs: list[list[str]] = []
        self.rec_index: dict[str, int] = {}
        self.rows: dict[str, int] = {}
        self.confs: dict[bytes, int] = {}
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
            self.confs[shape] = self._intern(
                render_prj_conf(renamed, zephyr_version=self.zephyr_version))
        target = report.target
        self.targets.append([target.name, target.full_name,
                             report.facts.get("ARCH", target.arch),
                             report.facts.get("SOC", target.soc), group_of(report)[1],
                             row, self.confs[shape]])

    def data(self) -> dict[str, Any]:
        return {"zephyr": self.zephyr_version, "verdicts": list(VERDICTS),
                "labels": [VERDICT_LABELS[v] for v in VERDICTS], "mark": TARGET_MARK,
                "recs": self.recs, "strings": list(self.strings),
                "rows": list(self.rows), "targets": self.targets}


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
