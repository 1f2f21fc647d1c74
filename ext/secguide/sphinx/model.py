"""The threat model and the Kconfig database, loaded once per build and shared by every page.

State is kept in a module-level cache keyed by the inputs (the YAML files'
paths, sizes and mtimes, the tree path and the DB fingerprint): an unchanged
model is not re-read, and ``-j auto`` workers forked after ``builder-inited``
inherit it. Nothing per-document lives here; that is in the ``secguide`` domain.

Diagnostics of the loader and validator are emitted on *every* build (they are
cheap), so a broken trace fails a no-op rebuild as well as a full one.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator, Mapping, Set
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model, threatmodel_files
from secguide.sphinx.config import project_path, threatmodel_dir
from secguide.sphinx.warnings import WarningType, emit_diagnostic
from secguide.trace.coverage import HARDENED_CSV, CoverageReport, compute_coverage
from secguide.trace.drift import DriftReport, model_drift
from secguide.trace.needs import NeedItem, need_items
from secguide.trace.results import load_results, marked_tests, need_results, results_source
from secguide.trace.review import ReviewState, baseline_path, load_baseline, review_states
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.kconfig.symbols import SymbolDB
from secguide.zephyr.scenarios import index_scenarios
from secguide.zephyr.tree import resolve_tree

logger = logging.getLogger("secguide")

#: ``CONFIG_FOO`` in running text; a trailing ``_`` is a prefix (``CONFIG_ARM_*``), not a name.
CONFIG_NAME = re.compile(r"\bCONFIG_[A-Z0-9_]*[A-Z0-9]\b")

#: Model kinds a directive can render; see :meth:`ModelState.files_for`.
KINDS = ("scope", "adversary", "out_of_scope", "threat", "responsibility",
         "recommendation", "test", "review", "coverage")


class SecguideBuildError(ExtensionError):
    """The model or the tree cannot be loaded at all (not a finding in them)."""


@dataclass(frozen=True, slots=True)
class TextSymbol:
    """A ``CONFIG_`` name written in a YAML text field."""

    name: str
    item_id: str
    field: str
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelState:
    """Everything a page needs from the inputs; immutable and shared by all documents.

    Attributes:
        root: the project folder (conf.py); YAML locations are relative to it.
        items: the need items, with links to IDs that do not exist removed (those
            are reported by validation, at their YAML line).
        diagnostics: loader, validation and YAML-text findings, in file order.
        files_by_kind: absolute YAML paths that hold items of each kind.
    """

    root: Path
    model: ThreatModel
    db: SymbolDB
    items: tuple[NeedItem, ...]
    diagnostics: tuple[Diagnostic, ...]
    files_by_kind: Mapping[str, frozenset[str]]
    all_files: tuple[str, ...]
    text_symbols: tuple[TextSymbol, ...]
    reviews: Mapping[str, ReviewState]
    coverage: CoverageReport
    tree_root: Path
    #: how the model's symbols changed since ``secguide_baseline_zephyr_base`` (if set)
    drift: DriftReport | None = None

    def item(self, item_id: str) -> NeedItem | None:
        return self._by_id().get(item_id)

    def _by_id(self) -> dict[str, NeedItem]:
        return {item.id: item for item in self.items}

    def absolute(self, loc: SourceLoc) -> str:
        """The YAML file of ``loc`` as an absolute path (for dependencies and node sources)."""
        path = Path(loc.path)
        return str(path if path.is_absolute() else (self.root / path).resolve())

    def files_for(self, kinds: Iterable[str]) -> set[str]:
        """The YAML files a page rendering ``kinds`` depends on.

        A filtered view depends on every file holding that kind, not only on the
        items it shows now: an item whose area changes must leave one page and join
        another. Recommendations and responsibilities also depend on the threat
        files, which hold the ``mitigated_by`` links shown on them.
        """
        wanted = set(kinds)
        if "review" in wanted:
            wanted.add("recommendation")
        if wanted & {"recommendation", "responsibility", "test"}:
            wanted.add("threat")
        if "test" in wanted:
            wanted.add("recommendation")
        return set().union(*(self.files_by_kind.get(kind, frozenset()) for kind in wanted))

    def mentioned_symbols(self) -> set[str]:
        """Symbols (without ``CONFIG_``) the model itself names and the tree defines."""
        names = {s.symbol for rec in self.model.recommendations for s in rec.settings}
        names |= {t.name.removeprefix("CONFIG_") for t in self.text_symbols}
        return {name for name in names if name in self.db}


def _text_fields(model: ThreatModel) -> Iterator[tuple[str, str, str, SourceLoc]]:
    """(item ID, field, text, loc) of every prose field of the model."""
    if model.scope is not None:
        yield "scope", "boundary", model.scope.boundary, model.scope.loc
        yield "scope", "shared_responsibility", model.scope.shared_responsibility, \
            model.scope.loc
        for assumption in model.scope.assumptions:
            yield assumption.id, "text", assumption.text, assumption.loc
    for adversary in model.adversaries:
        yield adversary.id, "description", adversary.description, adversary.loc
        yield adversary.id, "reason", adversary.reason, adversary.loc
    for item in model.out_of_scope:
        yield item.id, "reason", item.reason, item.loc
        yield item.id, "protection_from", item.protection_from, item.loc
    for threat in model.threats:
        yield threat.id, "description", threat.description, threat.loc
    for resp in model.responsibilities:
        yield resp.id, "description", resp.description, resp.loc
    for rec in model.recommendations:
        yield rec.id, "title", rec.title, rec.loc
        yield rec.id, "rationale", rec.rationale, rec.loc
        for setting in rec.settings:
            yield rec.id, f"note of {setting.config_name}", setting.note, setting.loc
        for verification in rec.verifications:
            yield rec.id, "verification note", verification.note, verification.loc
        if rec.deprecation is not None:
            yield rec.id, "deprecation note", rec.deprecation.note, rec.deprecation.loc


def text_symbols(model: ThreatModel) -> list[TextSymbol]:
    """Every ``CONFIG_FOO`` written in a prose field of the model."""
    return [TextSymbol(match.group(0), item_id, field, loc)
            for item_id, field, text, loc in _text_fields(model)
            for match in CONFIG_NAME.finditer(text or "")]


def retired_symbols(model: ThreatModel) -> set[str]:
    """``CONFIG_`` names the tree may lack by design: settings of deprecated
    recommendations, and settings kept for a later Zephyr release (``since``)."""
    return {s.config_name for rec in model.recommendations
            for s in rec.settings if rec.status == "deprecated" or s.since is not None}


def text_symbol_diagnostics(found: Iterable[TextSymbol], db: SymbolDB,
                            retired: Set[str] = frozenset()) -> list[Diagnostic]:
    """A diagnostic for each ``CONFIG_`` name in YAML text that the tree does not define.

    Names in ``retired`` (settings of deprecated recommendations, which record
    what the tree no longer has) are not findings.
    """
    diagnostics = []
    for symbol in found:
        if symbol.name in db or symbol.name in retired:
            continue
        close = db.close_names(symbol.name, limit=3)
        hint = f" (did you mean {', '.join('CONFIG_' + c for c in close)}?)" if close else ""
        diagnostics.append(Diagnostic(
            symbol.loc, Severity.ERROR, WarningType.UNKNOWN_SYMBOL_TEXT.value,
            f"{symbol.item_id}: {symbol.field} names {symbol.name}, which Zephyr "
            f"{db.zephyr_version} does not define{hint}"))
    return diagnostics


def _without_dangling_links(items: list[NeedItem]) -> list[NeedItem]:
    """Links only to IDs that exist; validation reports the others at their YAML line."""
    known = {item.id for item in items}
    cleaned = []
    for item in items:
        links = {name: tuple(t for t in targets if t in known)
                 for name, targets in item.links.items()}
        cleaned.append(dataclasses.replace(item, links=links))
    return cleaned


def _kind_of(item_id: str) -> str:
    prefixes = {"ASM-": "scope", "ADV-": "adversary", "OOS-": "out_of_scope",
                "THR-": "threat", "RESP-": "responsibility", "REC-": "recommendation"}
    return next((kind for prefix, kind in prefixes.items() if item_id.startswith(prefix)), "")


def _build_state(root: Path, directory: Path, db: SymbolDB, tree_root: Path,
                 result_files: tuple[Path, ...]) -> ModelState:
    model, diagnostics = load_threat_model(directory, display_base=root)
    scenarios = index_scenarios(tree_root)
    diagnostics = [*diagnostics, *scenarios.warnings,
                   *validate_model(model, db, scenarios=scenarios, repo_root=root)]
    found = text_symbols(model)
    diagnostics += text_symbol_diagnostics(found, db, retired_symbols(model))
    results = load_results(result_files, display_base=root) if result_files else None
    items = _without_dangling_links(
        need_items(model, db.zephyr_version, need_results(model, results),
                   marked=marked_tests(results), marked_source=results_source(results)))
    state = ModelState(root=root, model=model, db=db, items=tuple(items),
                       diagnostics=tuple(diagnostics), files_by_kind={},
                       all_files=(), text_symbols=tuple(found),
                       reviews=review_states(model, db, load_baseline(directory)),
                       coverage=compute_coverage(model, tree_root=tree_root,
                                                 zephyr_version=db.zephyr_version,
                                                 results=results, defined=db),
                       tree_root=tree_root)
    by_kind: dict[str, set[str]] = {kind: set() for kind in KINDS}
    if model.scope is not None:
        by_kind["scope"].add(state.absolute(model.scope.loc))
    for item in model.items():
        kind = _kind_of(item.id)
        if kind:
            by_kind[kind].add(state.absolute(item.loc))
    # A file that does not parse may hold any kind: every page depends on it, so fixing
    # it re-reads them all.
    for unreadable in model.unreadable_files:
        for kind in by_kind:
            by_kind[kind].add(state.absolute(SourceLoc(unreadable)))
    by_kind["test"] = by_kind["recommendation"] | {str(path) for path in result_files}
    hardened = tree_root / HARDENED_CSV
    by_kind["coverage"] = (by_kind["test"] | by_kind["threat"]
                           | {state.absolute(waiver.loc) for waiver in model.waivers}
                           | ({str(hardened)} if hardened.is_file() else set()))
    baseline = baseline_path(directory)
    by_kind["review"] = by_kind["recommendation"] | (
        {str(baseline.resolve())} if baseline.is_file() else set())
    files = tuple(str(path.resolve()) for path in threatmodel_files(directory))
    return dataclasses.replace(
        state, files_by_kind={kind: frozenset(paths) for kind, paths in by_kind.items()},
        all_files=files)


_CACHE: dict[tuple[Any, ...], ModelState] = {}
#: Per running build, keyed by ``id(app.env)``: the application and the state it loaded
#: at ``builder-inited``. Directives and domains see only the environment, and
#: ``env.app`` is deprecated in Sphinx 9.
_CURRENT: dict[int, tuple[Sphinx, ModelState]] = {}


def _input_key(app: Sphinx) -> tuple[Any, ...]:
    directory = threatmodel_dir(app)
    stamps = []
    baseline = baseline_path(directory)
    extra = [baseline] if baseline.is_file() else []
    for path in [*threatmodel_files(directory), *result_files(app), *extra]:
        info = path.stat()
        stamps.append((str(path), info.st_size, info.st_mtime_ns))
    return (str(directory), tuple(stamps), app.config.secguide_zephyr_base,
            app.config.secguide_baseline_zephyr_base, app.config.secguide_kconfig_cache_dir)


def result_files(app: Sphinx) -> tuple[Path, ...]:
    """The configured verification result files, as absolute paths."""
    return tuple(project_path(app, p) for p in app.config.secguide_results_files)


def load_state(app: Sphinx) -> ModelState:
    """The model state for this build's inputs, from the cache when they are unchanged.

    Raises:
        SecguideBuildError: the tree or the threat-model folder cannot be read.
    """
    key = _input_key(app)
    cache_dir = app.config.secguide_kconfig_cache_dir
    try:
        tree = resolve_tree(app.config.secguide_zephyr_base or None)
        db, _report = load_symbol_db(tree.root,
                                     cache_dir=Path(cache_dir) if cache_dir else None)
        key = (*key, db.fingerprint)
        baseline = None
        if app.config.secguide_baseline_zephyr_base:
            baseline, _ = load_symbol_db(app.config.secguide_baseline_zephyr_base,
                                         cache_dir=Path(cache_dir) if cache_dir else None)
            key = (*key, baseline.fingerprint)
        if key not in _CACHE:
            _CACHE.clear()
            state = _build_state(Path(app.confdir), threatmodel_dir(app), db,
                                 tree.root, result_files(app))
            if baseline is not None:
                state = dataclasses.replace(state, drift=model_drift(state.model, baseline, db))
            _CACHE[key] = state
    except SecguideError as error:
        raise SecguideBuildError(f"secguide: {error}") from error
    _CURRENT[id(app.env)] = (app, _CACHE[key])
    return _CACHE[key]


def get_state(env: BuildEnvironment) -> ModelState:
    """The state of the current build, as loaded at ``builder-inited`` (no re-check).

    Raises:
        SecguideBuildError: secguide was not set up for this environment's build.
    """
    return _current(env)[1]


def get_app(env: BuildEnvironment) -> Sphinx:
    """The application building ``env`` (for APIs that take one, like sphinx-needs')."""
    return _current(env)[0]


def _current(env: BuildEnvironment) -> tuple[Sphinx, ModelState]:
    try:
        return _CURRENT[id(env)]
    except KeyError:
        raise SecguideBuildError("secguide: the model was not loaded for this build "
                                 "(is 'secguide.sphinx' in extensions?)") from None


def report_diagnostics(app: Sphinx) -> None:
    """``builder-inited``: load the inputs and emit every finding as a located warning."""
    state = load_state(app)
    for diagnostic in state.diagnostics:
        emit_diagnostic(diagnostic, diagnostic.loc.sphinx_location)


def setup_model(app: Sphinx) -> None:
    """Load model and tree at the start of each build; report what is wrong with them."""
    app.connect("builder-inited", report_diagnostics)
