"""The standards crosswalk: checking it, and what it leaves open per standard.

A clause of a standard (``threatmodel/standards/*.yaml``) names the model items
that address it and says how it is met (:class:`~secguide.model.items.MetBy`). A file
lists the standard's full clause list; group headings (``met_by: group``) are shown but
not assessed.
:func:`validate_standards` checks those links and that ``met_by`` agrees with
them; :func:`standard_coverage` reports, for one standard, what an assessor or
the product team needs to know:

* clauses with no mapping at all, and clauses declared not addressed: together the
  gaps ``coverage --strict`` fails on;
* clauses whose mapped items are all drafts, or none of them carries a Working
  Group review stamp: the claim rests on unreviewed text;
* the product responsibilities the standard's clauses hand over to the product team.

Every clause row also carries the Kconfig settings and verifications of its
recommendations, so the guide page and the CLI show the same chain
clause → recommendation → setting → verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity
from secguide.model.items import (
    Clause,
    MetBy,
    Recommendation,
    Responsibility,
    Standard,
    ThreatModel,
)
from secguide.trace.needs import verification_id

_LINKS = (("recommendations", "REC-"), ("responsibilities", "RESP-"), ("out_of_scope", "OOS-"))


def validate_standards(model: ThreatModel) -> list[Diagnostic]:
    """Dangling or wrong links of every clause, and ``met_by`` that its links contradict."""
    if model.unreadable_files:
        return []
    ids = model.by_id()
    found: list[Diagnostic] = []
    for clause in model.clauses():
        for field_name, prefix in _LINKS:
            loc = clause.field_locs.get(field_name, clause.loc)
            for target in getattr(clause, field_name):
                if target in model.invalid_ids:
                    continue
                if target not in ids:
                    found.append(Diagnostic(loc, Severity.ERROR, Code.UNKNOWN_ID,
                                            f"clause {clause.id}: {field_name} names {target}, "
                                            "which is not defined anywhere in the threat model"))
                elif not target.startswith(prefix):
                    found.append(Diagnostic(loc, Severity.ERROR, Code.WRONG_LINK,
                                            f"clause {clause.id}: {field_name} names {target}; "
                                            f"only {prefix.rstrip('-')} items belong there"))
                elif isinstance(ids[target], Recommendation) and ids[target].deprecation:
                    found.append(Diagnostic(loc, Severity.WARNING, Code.DEPRECATED_LINK,
                                            f"clause {clause.id} relies on {target}, which is "
                                            "deprecated"))
        found += _met_by_problems(clause)
    return found


def _met_by_problems(clause: Clause) -> list[Diagnostic]:
    loc = clause.field_locs.get("met_by", clause.loc)

    def problem(text: str) -> list[Diagnostic]:
        return [Diagnostic(loc, Severity.ERROR, Code.CLAUSE_MET_BY, f"clause {clause.id} {text}")]

    match clause.met_by:
        case MetBy.CONFIGURATION if not clause.recommendations:
            return problem("is met by configuration but names no recommendation")
        case MetBy.PRODUCT if not clause.responsibilities:
            return problem("is left to the product but names no responsibility to hand over")
        case MetBy.NOT_APPLICABLE if clause.recommendations:
            return problem("is not applicable yet names recommendations; say "
                           "'configuration' or drop them")
        case MetBy.NOT_ADDRESSED if clause.mapped:
            return problem("is not addressed yet names what addresses it; say how it is "
                           "met or drop the links")
        case MetBy.GROUP if clause.mapped:
            return problem("is a group heading, which is not assessed, yet names what "
                           "addresses it; map its clauses instead")
    return []


# -- one standard's coverage ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class ClauseRow:
    """One clause with what addresses it, down to settings and verifications."""

    clause: Clause
    recommendations: tuple[Recommendation, ...]
    responsibilities: tuple[Responsibility, ...]
    out_of_scope: tuple[str, ...]
    settings: tuple[str, ...]  # "CONFIG_X=y" texts, model order, no repeats
    verifications: tuple[tuple[str, str], ...]  # (need ID, kind), no repeats

    @property
    def unmapped(self) -> bool:
        """Nothing is said about it: no link, and not declared not applicable or not
        addressed."""
        return not self.clause.mapped and self.clause.met_by not in (MetBy.NOT_APPLICABLE,
                                                                     MetBy.NOT_ADDRESSED)

    @property
    def not_addressed(self) -> bool:
        return self.clause.met_by is MetBy.NOT_ADDRESSED

    @property
    def only_draft(self) -> bool:
        items = (*self.recommendations, *self.responsibilities)
        return bool(items) and all(item.status == "draft" for item in items)

    @property
    def unreviewed(self) -> bool:
        """No mapped recommendation carries a review stamp (responsibilities have none)."""
        return bool(self.recommendations) and all(r.review is None
                                                  for r in self.recommendations)


@dataclass(frozen=True, slots=True)
class StandardCoverage:
    standard: Standard
    rows: tuple[ClauseRow, ...]

    @property
    def unmapped(self) -> tuple[ClauseRow, ...]:
        return tuple(r for r in self.rows if r.unmapped)

    @property
    def not_addressed(self) -> tuple[ClauseRow, ...]:
        return tuple(r for r in self.rows if r.not_addressed)

    @property
    def only_draft(self) -> tuple[ClauseRow, ...]:
        return tuple(r for r in self.rows if r.only_draft)

    @property
    def unreviewed(self) -> tuple[ClauseRow, ...]:
        return tuple(r for r in self.rows if r.unreviewed)

    @property
    def handed_over(self) -> tuple[tuple[Responsibility, tuple[str, ...]], ...]:
        """Each responsibility the clauses leave to the product, with the clauses citing it."""
        cited: dict[str, list[str]] = {}
        by_id: dict[str, Responsibility] = {}
        for row in self.rows:
            for resp in row.responsibilities:
                by_id[resp.id] = resp
                cited.setdefault(resp.id, []).append(row.clause.clause)
        return tuple((by_id[rid], tuple(clauses)) for rid, clauses in cited.items())

    @property
    def gaps(self) -> int:
        """Clauses of the standard's full list that neither the guide's configuration nor a
        responsibility it hands over addresses: declared not addressed, or unmapped."""
        return len(self.unmapped) + len(self.not_addressed)

    def counts(self) -> dict[str, int]:
        """Counted against the standard's full list of assessed clauses; group headings
        are not clauses and are counted apart."""
        by_met = {name: sum(1 for r in self.rows if r.clause.met_by is name)
                  for name in MetBy if name is not MetBy.GROUP}
        return {"clauses": len(self.rows), "groups": len(self.standard.groups),
                **{f"met_by_{k.value.replace('-', '_')}": v for k, v in by_met.items()},
                "unmapped": len(self.unmapped), "only_draft": len(self.only_draft),
                "unreviewed": len(self.unreviewed),
                "responsibilities_handed_over": len(self.handed_over), "gaps": self.gaps}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, in file order."""
        return {
            "standard": {"id": self.standard.id, "name": self.standard.name,
                         "edition": self.standard.edition, "note": self.standard.note},
            "counts": self.counts(),
            "clauses": [{
                "id": r.clause.id, "clause": r.clause.clause, "title": r.clause.title,
                "met_by": r.clause.met_by.value, "level": r.clause.level,
                "group": r.clause.group, "status": r.clause.status,
                "recommendations": list(r.clause.recommendations),
                "responsibilities": list(r.clause.responsibilities),
                "out_of_scope": list(r.clause.out_of_scope),
                "settings": list(r.settings),
                "verifications": [{"id": vid, "kind": kind} for vid, kind in r.verifications],
                "unmapped": r.unmapped, "only_draft": r.only_draft,
                "unreviewed": r.unreviewed, "source": str(r.clause.loc),
            } for r in self.rows],
            "handed_over": [{"id": resp.id, "title": resp.title, "clauses": list(clauses)}
                            for resp, clauses in self.handed_over],
        }


def clause_row(model: ThreatModel, clause: Clause) -> ClauseRow:
    """The chain below one clause, as far as the model defines it."""
    recs = tuple(r for r in (model.recommendation(i) for i in clause.recommendations) if r)
    by_id = {resp.id: resp for resp in model.responsibilities}
    resps = tuple(by_id[i] for i in clause.responsibilities if i in by_id)
    settings = dict.fromkeys(s.requirement_text for r in recs for s in r.settings)
    verifications = dict.fromkeys((verification_id(v), v.kind)
                                  for r in recs for v in r.verifications)
    return ClauseRow(clause, recs, resps, clause.out_of_scope, tuple(settings),
                     tuple(verifications))


def standard_coverage(model: ThreatModel, standard: Standard) -> StandardCoverage:
    return StandardCoverage(standard, tuple(clause_row(model, c) for c in standard.clauses))


def format_text(report: StandardCoverage) -> str:
    """The report for a terminal: gaps and weak claims at their YAML lines, then a summary."""
    lines: list[str] = []

    def listing(title: str, rows: tuple[ClauseRow, ...]) -> None:
        if rows:
            lines.append(f"{title} ({len(rows)}):")
            lines.extend(f"  {r.clause.loc}: {r.clause.clause} {r.clause.title}" for r in rows)

    listing("clauses with no mapping", report.unmapped)
    listing("clauses the guide does not address (declared gaps)", report.not_addressed)
    listing("clauses mapped only to draft items", report.only_draft)
    listing("clauses whose recommendations carry no review stamp", report.unreviewed)
    if report.handed_over:
        lines.append(f"product responsibilities to hand to the product team "
                     f"({len(report.handed_over)}):")
        lines.extend(f"  {resp.id}: {resp.title} (clauses {', '.join(clauses)})"
                     for resp, clauses in report.handed_over)
    counts = report.counts()
    lines.append(
        f"{report.standard.name} ({report.standard.edition}): {counts['clauses']} clauses "
        f"(the full list; {counts['groups']} group headings not counted); "
        f"{counts['met_by_configuration']} addressed by configuration, "
        f"{counts['met_by_product']} "
        f"left to the product, {counts['met_by_not_applicable']} not applicable, "
        f"{counts['met_by_not_addressed']} not addressed; {report.gaps} gap(s)")
    return "\n".join(lines)
