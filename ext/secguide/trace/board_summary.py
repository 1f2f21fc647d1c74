"""What the guide's board pages show of every target, tallied one report at a time.

With thousands of recommendations, holding every target's :class:`BoardReport` at
once costs gigabytes (1,235 targets x 1,000 recommendations took 1.5 GB); the pages
show only counts: per recommendation, the targets per verdict and the reasons why
not; per architecture, the targets a recommendation can be applied on; per SoC
series, the typical (median) target. :class:`BoardTally` takes the reports one by
one and keeps just those counts, so memory grows with recommendations plus targets,
not with their product.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from secguide.trace.boards import (
    APPLIED,
    VERDICTS,
    BoardReport,
    BoardVerdict,
    RecommendationSummary,
    group_of,
    reason_key,
)

#: The series table's columns: the verdicts each one counts, for a typical target.
SERIES_COLUMNS: dict[str, tuple[BoardVerdict, ...]] = {
    "default": (BoardVerdict.DEFAULT,),
    "settable": (BoardVerdict.AVAILABLE, BoardVerdict.NEEDS),
    "devicetree": (BoardVerdict.DEVICETREE,),
    "unavailable": (BoardVerdict.UNAVAILABLE,),
    "out_of_scope": (BoardVerdict.INACTIVE, BoardVerdict.NOT_APPLICABLE),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SeriesRow:
    """One (architecture, SoC series): its targets, and per column the median target's
    number of recommendations."""

    arch: str
    series: str
    targets: int
    medians: dict[str, int]


@dataclass(frozen=True, slots=True, kw_only=True)
class BoardSummary:
    """The counts the board pages show, over every buildable target."""

    targets: int
    #: per recommendation (in the model's order): targets per verdict, reasons grouped
    recommendations: tuple[RecommendationSummary, ...]
    #: architecture -> number of targets, by name
    architectures: dict[str, int]
    #: recommendation -> architecture -> targets it can be applied on (``APPLIED``)
    applicable: dict[str, dict[str, int]]
    series: tuple[SeriesRow, ...]

    def recommendation(self, rec_id: str) -> RecommendationSummary | None:
        return next((s for s in self.recommendations if s.rec_id == rec_id), None)

    def to_json(self) -> dict[str, Any]:
        return {"targets": self.targets,
                "recommendations": [[s.rec_id, s.counts, [list(r) for r in s.reasons]]
                                    for s in self.recommendations],
                "architectures": self.architectures, "applicable": self.applicable,
                "series": [[r.arch, r.series, r.targets, r.medians] for r in self.series]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BoardSummary:
        return cls(
            targets=int(data["targets"]),
            recommendations=tuple(
                RecommendationSummary(rec_id=str(rec_id), counts=dict(counts),
                                      reasons=tuple((str(r), int(n)) for r, n in reasons))
                for rec_id, counts, reasons in data["recommendations"]),
            architectures=dict(data["architectures"]),
            applicable={rec: dict(by_arch) for rec, by_arch in data["applicable"].items()},
            series=tuple(SeriesRow(arch=arch, series=series, targets=int(targets),
                                   medians=dict(medians))
                         for arch, series, targets, medians in data["series"]))


@dataclass(slots=True)
class BoardTally:
    """Counts of :class:`BoardSummary`, added one report at a time (:meth:`add`)."""

    _counts: dict[str, Counter] = field(default_factory=dict)
    _reasons: dict[str, Counter] = field(default_factory=dict)
    _archs: Counter = field(default_factory=Counter)
    _applicable: dict[str, Counter] = field(default_factory=dict)
    #: (arch, series) -> per target, its number of recommendations per series column
    _series: dict[tuple[str, str], list[tuple[int, ...]]] = field(default_factory=dict)
    _targets: int = 0

    def add(self, report: BoardReport) -> None:
        """Count ``report``'s verdicts (the caller leaves out targets not buildable)."""
        arch, series = group_of(report)
        self._targets += 1
        self._archs[arch] += 1
        per_column = Counter()
        for item in report.verdicts:
            verdict = BoardVerdict(item.verdict)
            self._counts.setdefault(item.rec_id, Counter())[verdict] += 1
            key = reason_key(item)
            if key is not None:
                self._reasons.setdefault(item.rec_id, Counter())[key] += 1
            applicable = self._applicable.setdefault(item.rec_id, Counter())
            if verdict in APPLIED:
                applicable[arch] += 1
            per_column[verdict] += 1
        self._series.setdefault((arch, series), []).append(tuple(
            sum(per_column[v] for v in verdicts) for verdicts in SERIES_COLUMNS.values()))

    def summary(self) -> BoardSummary:
        recommendations = tuple(RecommendationSummary(
            rec_id=rec_id, counts={v: counts[v] for v in VERDICTS},
            reasons=tuple(sorted(self._reasons.get(rec_id, Counter()).items(),
                                 key=lambda kv: (-kv[1], kv[0]))))
            for rec_id, counts in self._counts.items())
        rows = []
        for (arch, series), per_target in sorted(self._series.items()):
            medians = {column: sorted(counts[index] for counts in per_target)[
                len(per_target) // 2] for index, column in enumerate(SERIES_COLUMNS)}
            rows.append(SeriesRow(arch=arch, series=series, targets=len(per_target),
                                  medians=medians))
        archs = dict(sorted(self._archs.items()))
        return BoardSummary(
            targets=self._targets, recommendations=recommendations, architectures=archs,
            applicable={rec_id: {arch: counts[arch] for arch in archs}
                        for rec_id, counts in self._applicable.items()},
            series=tuple(rows))
