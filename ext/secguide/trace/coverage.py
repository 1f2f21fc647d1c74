"""Coverage of the trace: what the model, the tree and the results leave open.

Gaps, each counted by ``secguide coverage --strict``:

* recommendations without a Kconfig setting, or without any verification;
* threats that nothing (or only deprecated recommendations) mitigates;
* assets no threat names (what endangers them is unknown; each asset's state in the
  guide, :mod:`secguide.trace.assets`, is listed too, without counting again the
  threats that make it weak);
* symbols of the tree's ``scripts/kconfig/hardened.csv`` (the list Zephyr's
  ``hardenconfig`` target checks) that no recommendation sets and no waiver explains;
* with result files: settings whose verification failed, errored, was skipped
  everywhere or did not run. A setting counts as verified only when *every*
  target test and build audit of its recommendation passed; manual checks are
  left to reviewers. Guide checks (this project's tests, e.g. those marked
  ``@pytest.mark.verifies``) are reported but never verify a setting: they
  prove the guide is valid for the tree, not that any product has the setting.

Deprecated recommendations are history: they are neither gaps nor coverage.
Without result files the results are *not evaluated* (not counted as "not run"),
so ``coverage`` on a fresh checkout speaks about the model alone.

:func:`compute_coverage` is the one entry point; the guide's coverage page and
the CLI both render its :class:`CoverageReport`.
"""

from __future__ import annotations

from collections.abc import Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.hardening_db import HardeningDB
from secguide.model.items import (
    VERIFICATION_KINDS,
    Recommendation,
    Setting,
    ThreatModel,
    Waiver,
)
from secguide.templates import render
from secguide.trace.assets import AssetProtection, AssetState, guide_asset_states
from secguide.trace.mitigation import active_recommendations, deprecated_ids, live_mitigations
from secguide.trace.needs import setting_id
from secguide.trace.results import Outcome, Results, worst
from secguide.zephyr.hardening import HardenedEntry, read_hardened_csv


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A model item named in a report: its ID and where it is written."""

    id: str
    loc: SourceLoc


@dataclass(frozen=True, slots=True)
class VerificationResult:
    kind: str
    ref: str
    outcome: Outcome


@dataclass(frozen=True, slots=True)
class SettingResult:
    """How one setting of one recommendation stands, given the results."""

    recommendation: str
    setting: str  # the setting need's ID (SET-...)
    symbol: str  # CONFIG_...
    outcome: Outcome
    verifications: tuple[VerificationResult, ...]
    loc: SourceLoc


@dataclass(frozen=True, slots=True)
class HardenedCoverage:
    """One ``hardened.csv`` symbol: the recommendations setting it, or its waiver."""

    entry: HardenedEntry
    covered_by: tuple[str, ...] = ()
    waiver: Waiver | None = None
    #: recommendations that set the symbol to a value other than hardened.csv's
    value_differs: tuple[str, ...] = ()
    #: False when the tree defines no such symbol: nothing can set or waive it
    defined: bool = True

    @property
    def status(self) -> str:
        """``covered``, ``waived``, ``absent`` (not defined by the tree) or ``uncovered``."""
        if self.covered_by:
            return "covered"
        if self.waiver is not None:
            return "waived"
        return "uncovered" if self.defined else "absent"


@dataclass(frozen=True, slots=True)
class CoverageReport:
    """Everything :func:`compute_coverage` found; see the module docstring for gaps."""

    zephyr_version: str
    results_evaluated: bool
    recommendations: int
    without_settings: tuple[ItemRef, ...]
    without_verifications: tuple[ItemRef, ...]
    unmitigated_threats: tuple[ItemRef, ...]
    settings: tuple[SettingResult, ...]
    hardened: tuple[HardenedCoverage, ...]
    stale_waivers: tuple[ItemRef, ...]
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    #: what the hardening list came from: the tree's hardened.csv or a hardening.yaml database
    hardened_source: str = "hardened.csv"
    #: each asset with the guide's answer to the threats against it
    assets: tuple[AssetState, ...] = ()

    @property
    def undecided_assets(self) -> tuple[AssetState, ...]:
        """Assets no threat names: a gap of the trace (their protection is unknown).
        Assets left unmitigated are counted already, as their unmitigated threats."""
        return tuple(a for a in self.assets if a.protection is AssetProtection.UNDECIDED)

    @property
    def hardened_uncovered(self) -> tuple[HardenedCoverage, ...]:
        return tuple(h for h in self.hardened if h.status == "uncovered")

    @property
    def settings_not_verified(self) -> tuple[SettingResult, ...]:
        """Settings whose automated verification failed or did not run (with results)."""
        if not self.results_evaluated:
            return ()
        return tuple(s for s in self.settings
                     if s.outcome not in (Outcome.PASSED, Outcome.MANUAL))

    @property
    def gaps(self) -> int:
        """The number of findings ``--strict`` fails on."""
        return (len(self.without_settings) + len(self.without_verifications)
                + len(self.unmitigated_threats) + len(self.hardened_uncovered)
                + len(self.settings_not_verified) + len(self.undecided_assets))

    def counts(self) -> dict[str, int]:
        by_status = {"covered": 0, "waived": 0, "absent": 0, "uncovered": 0}
        for item in self.hardened:
            by_status[item.status] += 1
        outcomes = {outcome.value: 0 for outcome in Outcome}
        for setting in self.settings:
            outcomes[setting.outcome.value] += 1
        return {
            "recommendations": self.recommendations,
            "recommendations_without_settings": len(self.without_settings),
            "recommendations_without_verifications": len(self.without_verifications),
            "threats_unmitigated": len(self.unmitigated_threats),
            "assets": len(self.assets),
            **{f"assets_{state.name.lower()}": sum(1 for a in self.assets
                                                   if a.protection is state)
               for state in AssetProtection},
            "settings": len(self.settings),
            **{f"settings_{name.replace(' ', '_')}": n for name, n in outcomes.items()},
            "settings_not_verified": len(self.settings_not_verified),
            "hardened_symbols": len(self.hardened),
            **{f"hardened_{name}": n for name, n in by_status.items()},
            "stale_waivers": len(self.stale_waivers),
            **{f"verifications_{kind.replace('-', '_')}": n
               for kind, n in self.verification_kinds().items()},
            "gaps": self.gaps,
        }

    def verification_kinds(self) -> dict[str, int]:
        """Distinct verifications of the current recommendations, by kind."""
        # a build audit checks one recommendation's settings: one per recommendation
        seen = {(v.kind, s.recommendation if v.kind == "build-audit" else v.ref)
                for s in self.settings for v in s.verifications}
        return {kind: sum(1 for k, _ in seen if k == kind) for kind in VERIFICATION_KINDS}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, deterministic (model order, hardened.csv order)."""
        def ref(item: ItemRef) -> dict[str, str]:
            return {"id": item.id, "source": str(item.loc)}

        return {
            "zephyr_version": self.zephyr_version,
            "hardened_source": self.hardened_source,
            "results_evaluated": self.results_evaluated,
            "counts": self.counts(),
            "recommendations_without_settings": [ref(i) for i in self.without_settings],
            "recommendations_without_verifications": [
                ref(i) for i in self.without_verifications],
            "threats_unmitigated": [ref(i) for i in self.unmitigated_threats],
            "assets": [{"id": a.asset_id, "category": a.category.value,
                        "state": a.protection.value, "why": a.why,
                        "threats": [t.threat_id for t in a.threats],
                        "source": str(a.loc)} for a in self.assets],
            "settings": [{
                "recommendation": s.recommendation, "setting": s.setting, "symbol": s.symbol,
                "outcome": s.outcome.value, "source": str(s.loc),
                "verifications": [{"kind": v.kind, "ref": v.ref, "outcome": v.outcome.value}
                                  for v in s.verifications],
            } for s in self.settings],
            "hardened": [{
                "symbol": f"CONFIG_{h.entry.symbol}", "value": h.entry.value,
                "status": h.status, "covered_by": list(h.covered_by),
                "waiver": h.waiver.reason if h.waiver else None,
                "value_differs": list(h.value_differs), "source": str(h.entry.loc),
            } for h in self.hardened],
            "stale_waivers": [ref(i) for i in self.stale_waivers],
            "diagnostics": [d.as_dict() for d in self.diagnostics],
        }


def _active(model: ThreatModel) -> list[Recommendation]:
    return active_recommendations(model)


#: The kinds whose outcome can verify a setting for a product (not guide checks).
PRODUCT_KINDS = ("build-audit", "target-test", "manual-check")


def _setting_outcome(outcomes: list[Outcome], has_manual: bool) -> Outcome:
    """The product outcome from the outcomes of the product kinds only."""
    automated = [o for o in outcomes if o is not Outcome.MANUAL]
    if not automated:
        return Outcome.MANUAL if has_manual else Outcome.NOT_RUN
    if any(o.is_bad for o in automated):
        return worst(automated)
    if all(o is Outcome.PASSED for o in automated):
        return Outcome.PASSED
    # One passing test does not make up for another that never ran.
    return Outcome.NOT_RUN if Outcome.NOT_RUN in automated else Outcome.SKIPPED


def _setting_results(recommendations: Iterable[Recommendation],
                     results: Results) -> list[SettingResult]:
    found: list[SettingResult] = []
    for rec in recommendations:
        marked: list[VerificationResult] = []
        if results.marked_outcome(rec.id) is not None:
            listed = {v.ref for v in rec.verifications}
            marked = [VerificationResult("guide-check", node,
                                         results.pytest.get(node, Outcome.NOT_RUN))
                      for node in results.verifies[rec.id] if node not in listed]
        for setting in rec.settings:
            # a verification naming another setting of the recommendation says nothing here
            verifications = [VerificationResult(v.kind, v.ref, results.outcome(v))
                             for v in rec.verifications
                             if v.setting in ("", setting.symbol)] + marked
            outcome = _setting_outcome([v.outcome for v in verifications
                                        if v.kind in PRODUCT_KINDS],
                                       any(v.kind == "manual-check" for v in verifications))
            found.append(SettingResult(rec.id, setting_id(rec, setting), setting.config_name,
                                       outcome, tuple(verifications), setting.loc))
    return found


def _differs(setting: Setting, expected: str) -> bool:
    if setting.value is not None:
        return setting.value != expected
    try:
        number = int(expected, 0)
    except ValueError:
        return True
    return ((setting.minimum is not None and number < setting.minimum)
            or (setting.maximum is not None and number > setting.maximum))


def _hardened(recommendations: list[Recommendation], entries: list[HardenedEntry],
              waivers: tuple[Waiver, ...], defined: Container[str] | None,
              ) -> tuple[list[HardenedCoverage], list[ItemRef]]:
    setters: dict[str, list[tuple[str, Setting]]] = {}
    for rec in recommendations:
        for setting in rec.settings:
            setters.setdefault(setting.symbol, []).append((rec.id, setting))
    waiver_of = {w.symbol.removeprefix("CONFIG_"): w for w in waivers}
    coverage = []
    for entry in entries:
        recs = setters.get(entry.symbol, [])
        covered = tuple(dict.fromkeys(rec_id for rec_id, _ in recs))
        differs = tuple(dict.fromkeys(rec_id for rec_id, s in recs if _differs(s, entry.value)))
        coverage.append(HardenedCoverage(entry, covered, waiver_of.get(entry.symbol), differs,
                                         defined is None or entry.symbol in defined))
    listed = {e.symbol for e in entries}
    # A waiver may answer a rule of Zephyr's newer hardening database (hardening.yaml)
    # that hardened.csv lacks; it is stale when a recommendation sets its symbol anyway,
    # or when neither hardened.csv lists nor the tree defines the symbol.
    stale = [ItemRef(f"CONFIG_{symbol}", w.loc) for symbol, w in waiver_of.items()
             if symbol in setters
             or (symbol not in listed and defined is not None and symbol not in defined)]
    return coverage, stale


def hardening_entries(database: HardeningDB) -> list[HardenedEntry]:
    """The rules of a ``hardening.yaml`` database as hardening-list entries.

    A ``min``/``max`` rule is compared through its bound: a setting whose own
    bounds admit that number does not differ.
    """
    return [HardenedEntry(rule.symbol, rule.value if rule.value is not None else
                          str(rule.minimum if rule.minimum is not None else rule.maximum),
                          rule.loc) for rule in database.rules]


def compute_coverage(model: ThreatModel, *, tree_root: Path | None = None,
                     zephyr_version: str = "", results: Results | None = None,
                     defined: Container[str] | None = None,
                     hardening: HardeningDB | None = None) -> CoverageReport:
    """The coverage of ``model`` against the tree at ``tree_root`` and the results.

    ``tree_root`` is the Zephyr tree whose ``hardened.csv`` is checked (None: skip
    that part). ``defined`` holds the symbols the tree defines (a
    :class:`~secguide.zephyr.kconfig.symbols.SymbolDB` will do): a hardened.csv symbol
    outside it is ``absent``, not a gap, since nothing can set or waive it.
    ``results=None`` means no result files were given: outcomes are reported as
    "not run" but not counted as gaps. With ``hardening`` (Zephyr's newer
    ``hardening.yaml`` database) its rules are measured instead of ``hardened.csv``.

    Raises:
        OSError: ``hardened.csv`` exists but cannot be read.
    """
    active = _active(model)
    deprecated = deprecated_ids(model)
    without_settings = [ItemRef(r.id, r.loc) for r in active if not r.settings]
    marked = results.verifies if results else {}
    without_verifications = [ItemRef(r.id, r.loc) for r in active
                             if not r.verifications and not marked.get(r.id)]
    unmitigated = [ItemRef(t.id, t.loc) for t in model.threats
                   if not live_mitigations(t, deprecated)]
    settings = _setting_results(active, results or Results())

    diagnostics: list[Diagnostic] = []
    known = {r.id for r in model.recommendations}
    for rec_id, nodes in sorted(marked.items()):
        if rec_id not in known:
            diagnostics.append(Diagnostic(
                SourceLoc(nodes[0].split("::", 1)[0]), Severity.WARNING,
                "unknown-verified-id",
                f"{nodes[0]} is marked verifies({rec_id!r}), which is not a recommendation"))

    hardened: list[HardenedCoverage] = []
    stale: list[ItemRef] = []
    source = "hardened.csv"
    if hardening is not None:
        source = "hardening.yaml"
        diagnostics.extend(hardening.diagnostics)
        hardened, stale = _hardened(active, hardening_entries(hardening), model.waivers,
                                    defined)
    elif tree_root is not None:
        entries, problems = read_hardened_csv(tree_root)
        diagnostics.extend(problems)
        hardened, stale = _hardened(active, entries, model.waivers, defined)
    return CoverageReport(
        assets=tuple(guide_asset_states(model)),
        zephyr_version=zephyr_version,
        results_evaluated=results is not None,
        recommendations=len(active),
        without_settings=tuple(without_settings),
        without_verifications=tuple(without_verifications),
        unmitigated_threats=tuple(unmitigated),
        settings=tuple(settings),
        hardened=tuple(hardened),
        stale_waivers=tuple(stale),
        diagnostics=tuple(diagnostics),
        hardened_source=source,
    )


def format_text(report: CoverageReport) -> str:
    """The report as a terminal reads it: gaps first, each at its YAML line."""
    source = report.hardened_source
    absent = [h for h in report.hardened if h.status == "absent"]
    sections = [
        ("recommendations without a Kconfig setting",
         [f"{r.loc}: {r.id}" for r in report.without_settings]),
        ("recommendations without a verification",
         [f"{r.loc}: {r.id}" for r in report.without_verifications]),
        ("threats without a mitigation",
         [f"{r.loc}: {r.id}" for r in report.unmitigated_threats]),
        ("assets no threat names",
         [f"{a.loc}: {a.asset_id}" for a in report.undecided_assets]),
        ("assets the guide's recommendations alone do not answer (not gaps of their own)",
         [f"{a.loc}: {a.asset_id}: {a.protection.value} ({a.why})"
          for a in report.assets
          if a.protection in (AssetProtection.UNMITIGATED, AssetProtection.PRODUCT)]),
        ("settings not verified by the results",
         [f"{s.loc}: {s.symbol} ({s.recommendation}): {s.outcome.value}"
          for s in report.settings_not_verified]),
        (f"{source} symbols without a recommendation or waiver",
         [f"{h.entry.loc}: CONFIG_{h.entry.symbol}={h.entry.value}"
          for h in report.hardened_uncovered]),
        (f"{source} symbols this tree does not define (not gaps)",
         [f"{h.entry.loc}: CONFIG_{h.entry.symbol}" for h in absent]),
        (f"waivers for symbols that are covered or not in {source} (not gaps)",
         [f"{r.loc}: {r.id}" for r in report.stale_waivers]),
    ]
    counts = report.counts()
    results_text = ("results: " + ", ".join(
        f"{counts['settings_' + o.value.replace(' ', '_')]} {o.value}" for o in Outcome)
        if report.results_evaluated else "results: not evaluated (no --results given)")
    return render("coverage.txt.j2", report=report, sections=sections, counts=counts,
                  results_text=results_text, kinds=report.verification_kinds()).rstrip("\n")
