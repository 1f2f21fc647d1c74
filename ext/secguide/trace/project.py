"""The project: this guide's threat model against one Zephyr tree, assembled once.

Every face asks this object and none re-assembles the pipeline: ``secguide
check`` prints :attr:`Project.diagnostics`, the guide build emits the same list
as located warnings, ``export`` writes :attr:`Project.model` after checking it,
``coverage``/``review``/``drift`` read their reports from here. Because the two
faces read one list, ``secguide check --strict`` and ``make html -W`` cannot
disagree about the model.

Each part is computed on first use and kept (``cached_property``): ``secguide
kconfig`` never indexes scenarios, ``check`` never computes coverage. Nothing
here imports Sphinx.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path

from secguide.codes import Code
from secguide.collector import collector_paused
from secguide.diagnostics import Diagnostic, SecguideError, Severity, resolved
from secguide.model.guide_package import guide_of
from secguide.model.items import Recommendation, ThreatModel
from secguide.model.loader import threatmodel_files
from secguide.model.product_model import load_any_model
from secguide.trace.boards import (
    BoardReport,
    board_reports,
    iter_board_reports,
    reports_key,
)
from secguide.trace.coverage import CoverageReport, compute_coverage
from secguide.trace.derived_cache import cached, source_digest
from secguide.trace.drift import DriftReport, model_drift
from secguide.trace.guide_pages import default_guide_dir, page_selections, shown_by_none
from secguide.trace.needs import NeedItem, need_items, setting_id
from secguide.trace.product import product_diagnostics
from secguide.trace.results import (
    Results,
    load_results,
    marked_tests,
    need_results,
    release_mismatches,
    results_source,
)
from secguide.trace.review import Baseline, ReviewState, load_baseline, review_states
from secguide.trace.stamp_authors import (
    StampAuthor,
    StampHistory,
    stamp_authors,
    stamp_diagnostics,
)
from secguide.trace.text_symbols import (
    TextSymbol,
    retired_symbols,
    text_symbol_diagnostics,
    text_symbols,
)
from secguide.trace.validate import validate_model
from secguide.trace.verification_ids import id_collisions
from secguide.zephyr import scenarios as scenarios_module
from secguide.zephyr.boards import BoardTarget
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.kconfig.symbols import SymbolDB
from secguide.zephyr.kconfig.target_cache import load_board_targets
from secguide.zephyr.scenarios import (
    ScenarioIndex,
    decode_index,
    encode_index,
    index_scenarios,
    scenario_file_stamps,
)
from secguide.zephyr.tree import ZephyrTree, resolve_tree


def diagnostic_order(diagnostic: Diagnostic) -> tuple[str, int, int, str]:
    """File order: path, line, column, then code, so both faces list findings alike."""
    loc = diagnostic.loc
    return (loc.path, loc.line, loc.col, str(diagnostic.code))


class Project:
    """The threat model in ``threatmodel_dir`` checked against ``tree``.

    Args:
        threatmodel_dir: the folder of ``*.yaml`` files.
        tree: the Zephyr tree, resolved once by the caller (see :meth:`open`).
        results_files: JUnit XML / twister.json files whose outcomes join the trace.
        baseline_tree: an older tree; when given, :attr:`drift` compares against it.
        display_base: YAML locations are shown relative to it (default: the working
            directory). The CLI uses the working directory, the guide its conf.py folder.
        repo_root: where ``pytest:`` verifications are looked up (default: the folder
            holding ``threatmodel_dir``; not looked up for the packaged guide).
        guide_dir: the guide's ``.rst`` pages, to know which areas are published
            (default: :func:`default_guide_dir`; None there skips that check).
        cache_dir, use_cache: the Kconfig cache, as in :func:`load_symbol_db`.
        stamp_history: where the git history of review stamps is read (default: the
            repository holding ``threatmodel_dir``, if any).
    """

    def __init__(self, threatmodel_dir: Path, tree: ZephyrTree, *,
                 results_files: Sequence[Path] = (),
                 baseline_tree: ZephyrTree | None = None,
                 display_base: Path | None = None,
                 repo_root: Path | None = None,
                 guide_dir: Path | None = None,
                 cache_dir: Path | None = None,
                 use_cache: bool = True,
                 stamp_history: StampHistory | None = None) -> None:
        self.threatmodel_dir = Path(threatmodel_dir)
        self.tree = tree
        self.results_files = tuple(Path(p) for p in results_files)
        self.baseline_tree = baseline_tree
        self.display_base = display_base
        # The packaged guide's pytest references were checked in its repository; the
        # package carries no tests to look them up in.
        packaged = (guide := guide_of(self.threatmodel_dir)) is not None and guide.packaged
        self.repo_root: Path | None = repo_root or (
            None if packaged else resolved(self.threatmodel_dir).parent)
        self.guide_dir = guide_dir or default_guide_dir(self.threatmodel_dir)
        self.cache_dir = cache_dir
        self.use_cache = use_cache
        self.stamp_history = stamp_history

    @classmethod
    def open(cls, threatmodel_dir: Path, zephyr_base: str | os.PathLike[str] | None = None, *,
             baseline_base: str | os.PathLike[str] | None = None,
             option: str = "--zephyr-base", baseline_option: str = "--from",
             results_files: Sequence[Path] = (), display_base: Path | None = None,
             repo_root: Path | None = None, guide_dir: Path | None = None,
             cache_dir: Path | None = None, use_cache: bool = True) -> Project:
        """Resolve the tree (``zephyr_base`` or ``$ZEPHYR_BASE``) and the baseline, once.

        Raises:
            SecguideError: a tree is missing or is not a Zephyr tree (names ``option``).
        """
        tree = resolve_tree(zephyr_base, option=option)
        baseline = (resolve_tree(baseline_base, option=baseline_option)
                    if baseline_base else None)
        return cls(threatmodel_dir, tree, baseline_tree=baseline, results_files=results_files,
                   display_base=display_base, repo_root=repo_root, guide_dir=guide_dir,
                   cache_dir=cache_dir, use_cache=use_cache)

    def sibling(self, threatmodel_dir: Path, *, display_base: Path | None = None,
                guide_dir: Path | None = None, repo_root: Path | None = None,
                stamp_history: StampHistory | None = None) -> Project:
        """Another model folder against the same tree, sharing this project's parsed
        Kconfig and scenario index (``secguide diff`` compares two revisions this way)."""
        other = Project(threatmodel_dir, self.tree, display_base=display_base,
                        guide_dir=guide_dir, repo_root=repo_root, cache_dir=self.cache_dir,
                        use_cache=self.use_cache, stamp_history=stamp_history)
        other.__dict__["db"] = self.db  # filled in as the cached_property would
        other.__dict__["scenarios"] = self.scenarios
        return other

    # -- inputs ------------------------------------------------------------------------------

    @cached_property
    @collector_paused
    def db(self) -> SymbolDB:
        return load_symbol_db(self.tree, cache_dir=self.cache_dir,
                              use_cache=self.use_cache)[0]

    @cached_property
    def baseline_db(self) -> SymbolDB | None:
        if self.baseline_tree is None:
            return None
        return load_symbol_db(self.baseline_tree, cache_dir=self.cache_dir,
                              use_cache=self.use_cache)[0]

    @cached_property
    @collector_paused
    def _loaded(self) -> tuple[ThreatModel, tuple[Diagnostic, ...]]:
        model, diagnostics = load_any_model(self.threatmodel_dir,
                                            display_base=self.display_base)
        return model, tuple(diagnostics)

    @property
    def model(self) -> ThreatModel:
        """The model as loaded; items with errors in their YAML are left out."""
        return self._loaded[0]

    @property
    def load_diagnostics(self) -> tuple[Diagnostic, ...]:
        """Findings of reading the YAML files alone (syntax, schema, duplicate IDs)."""
        return self._loaded[1]

    @cached_property
    def model_files(self) -> tuple[Path, ...]:
        """The YAML files of the model, absolute."""
        return tuple(path.resolve() for path in threatmodel_files(self.threatmodel_dir))

    @cached_property
    @collector_paused
    def scenarios(self) -> ScenarioIndex:
        """The tree's test scenarios; parsing 1,600 YAML files is done once per set of
        file stamps and read from the cache folder after that."""
        root = self.tree.root
        key = {"tree": str(root), "files": scenario_file_stamps(root),
               "code": source_digest((scenarios_module,))}
        return cached("scenarios", key, lambda: index_scenarios(root), encode=encode_index,
                      decode=decode_index, cache_dir=self.cache_dir, use_cache=self.use_cache)

    @cached_property
    def results(self) -> Results | None:
        if not self.results_files:
            return None
        return load_results(self.results_files, display_base=self.display_base)

    # -- findings ------------------------------------------------------------------------

    @cached_property
    def text_symbols(self) -> tuple[TextSymbol, ...]:
        """``CONFIG_`` names written in the model's prose."""
        return tuple(text_symbols(self.model))

    @cached_property
    @collector_paused
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every finding about the model against the tree, in file order."""
        found = [*self.load_diagnostics, *self.scenarios.warnings,
                 *validate_model(self.model, self.db, scenarios=self.scenarios,
                                 repo_root=self.repo_root),
                 *text_symbol_diagnostics(self.text_symbols, self.db,
                                          retired_symbols(self.model)),
                 *self._unrendered_area_diagnostics(), *self.result_diagnostics,
                 *product_diagnostics(self.model, self.db),
                 *self.id_diagnostics, *stamp_diagnostics(self.stamp_authors.values())]
        return tuple(sorted(found, key=diagnostic_order))

    @cached_property
    def result_diagnostics(self) -> tuple[Diagnostic, ...]:
        """Result files that tested another Zephyr release than this tree."""
        return tuple(release_mismatches(self.results, self.db.zephyr_version))

    @cached_property
    def id_diagnostics(self) -> tuple[Diagnostic, ...]:
        """Different tests (in the model or marked in the results) that share a need ID."""
        results = self.results
        return tuple(id_collisions(self.model, marked_tests(results), results_source(results)))

    @cached_property
    def unshown_recommendations(self) -> tuple[Recommendation, ...]:
        """Recommendations no page of the guide selects (none without a guide folder)."""
        if self.guide_dir is None:
            return ()
        return tuple(shown_by_none(self.model.recommendations,
                                   page_selections(self.guide_dir)))

    @cached_property
    def unrendered_items(self) -> frozenset[str]:
        """Need IDs (those recommendations and their settings) no page shows."""
        return frozenset(item_id for rec in self.unshown_recommendations
                         for item_id in (rec.id, *(setting_id(rec, s) for s in rec.settings)))

    def _unrendered_area_diagnostics(self) -> list[Diagnostic]:
        return [Diagnostic(rec.loc, Severity.WARNING, Code.RECOMMENDATION_NOT_SHOWN,
                           f"recommendation {rec.id} (area '{rec.area}', status "
                           f"'{rec.status}') is shown on no page: no secguide-recommendations "
                           "directive of the guide selects it")
                for rec in self.unshown_recommendations]

    def findings(self, severity: Severity) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is severity]

    def fails(self, *, strict: bool) -> bool:
        """Whether the findings fail a run: errors always, warnings too when ``strict``."""
        return bool(self.findings(Severity.ERROR)
                    or (strict and self.findings(Severity.WARNING)))

    # -- the trace ----------------------------------------------------------------------

    @cached_property
    @collector_paused
    def need_items(self) -> tuple[NeedItem, ...]:
        """Need items, with links to IDs that do not exist removed (validation reports
        those at their YAML line)."""
        results = self.results
        items = need_items(self.model, self.db.zephyr_version,
                           need_results(self.model, results), marked=marked_tests(results),
                           marked_source=results_source(results), db=self.db)
        return tuple(_without_dangling_links(items))

    @cached_property
    def need_by_id(self) -> Mapping[str, NeedItem]:
        return {item.id: item for item in self.need_items}

    @cached_property
    def coverage(self) -> CoverageReport:
        return compute_coverage(self.model, tree_root=self.tree.root,
                                zephyr_version=self.db.zephyr_version,
                                results=self.results, defined=self.db)

    @cached_property
    def review_baseline(self) -> Baseline:
        return load_baseline(self.threatmodel_dir)

    @cached_property
    @collector_paused
    def reviews(self) -> Mapping[str, ReviewState]:
        return review_states(self.model, self.db, self.review_baseline)

    @cached_property
    def stamp_authors(self) -> Mapping[str, StampAuthor]:
        """Who committed each review stamp, from git (nothing to ask without stamps)."""
        if not any(item.review is not None for item in self.model.reviewable()):
            return {}
        history = self.stamp_history or StampHistory.of_folder(self.threatmodel_dir,
                                                               self.display_base)
        return stamp_authors(self.model, history)

    @cached_property
    def drift(self) -> DriftReport | None:
        """How the model's symbols changed since the baseline tree; None without one."""
        return self.symbol_drift() if self.baseline_db is not None else None

    def symbol_drift(self, extra: Iterable[str] = ()) -> DriftReport:
        """The model's symbols and ``extra`` names, baseline tree against this tree.

        Raises:
            SecguideError: the project has no baseline tree.
        """
        if self.baseline_db is None:
            raise SecguideError("no baseline tree to compare against", exit_code=2)
        return model_drift(self.model, self.baseline_db, self.db, extra,
                           cache_dir=self.cache_dir, use_cache=self.use_cache)

    # -- board targets ------------------------------------------------------------------

    @cached_property
    def board_targets(self) -> tuple[BoardTarget, ...]:
        """The tree's HWMv2 board targets (cached beside their evaluations).

        Raises:
            SecguideError: the tree predates HWMv2.
        """
        return tuple(load_board_targets(self.tree, cache_dir=self.cache_dir,
                                        use_cache=self.use_cache))

    def board_reports_key(self, profile: str | None = None) -> str | None:
        """:func:`secguide.trace.boards.reports_key` for this project (no evaluation)."""
        return reports_key(self.model, self.tree, profile=profile, cache_dir=self.cache_dir,
                           use_cache=self.use_cache)

    def board_reports(self, names: Iterable[str] | None = None,
                      profile: str | None = None) -> list[BoardReport]:
        """Recommendation x board-target verdicts (:mod:`secguide.trace.boards`) for the
        targets ``names`` (default: every target), optionally for one profile.

        Raises:
            SecguideError: legacy tree, unparsable Kconfig or unreadable defconfig.
        """
        return board_reports(self.model, self.tree, names=names, profile=profile,
                             cache_dir=self.cache_dir, use_cache=self.use_cache,
                             targets=list(self.board_targets))

    def iter_board_reports(self, profile: str | None = None) -> Iterator[BoardReport]:
        """:meth:`board_reports` of every target, one at a time (by name): every
        target's report at once grows with targets x settings.

        Raises:
            SecguideError: legacy tree, unparsable Kconfig or unreadable defconfig.
        """
        return iter_board_reports(self.model, self.tree, profile=profile,
                                  cache_dir=self.cache_dir, use_cache=self.use_cache,
                                  targets=list(self.board_targets))

    def mentioned_symbols(self) -> set[str]:
        """Symbols (without ``CONFIG_``) the model itself names and the tree defines."""
        names = {s.symbol for rec in self.model.recommendations for s in rec.settings}
        names |= {t.name.removeprefix("CONFIG_") for t in self.text_symbols}
        return {name for name in names if name in self.db}


def _without_dangling_links(items: Iterable[NeedItem]) -> list[NeedItem]:
    items = list(items)
    known = {item.id for item in items}
    return [dataclasses.replace(item, links={name: tuple(t for t in targets if t in known)
                                             for name, targets in item.links.items()})
            for item in items]
