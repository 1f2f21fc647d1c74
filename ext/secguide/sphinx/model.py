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
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

from secguide.diagnostics import Diagnostic, SecguideError, SourceLoc
from secguide.model.git import GitUnavailable, Repository
from secguide.model.hardening_db import hardening_files, load_hardening_db
from secguide.model.items import ThreatModel
from secguide.model.loader import threatmodel_files
from secguide.sphinx.config import project_path, threatmodel_dir
from secguide.sphinx.memory import loading_long_lived_data
from secguide.sphinx.warnings import emit_diagnostic
from secguide.trace.coverage import CoverageReport
from secguide.trace.diff import ModelDiff, diff_against_revision
from secguide.trace.drift import DriftReport
from secguide.trace.guide_pages import guide_pages
from secguide.trace.hardening import HardeningComparison, compare_with_upstream
from secguide.trace.needs import NeedItem
from secguide.trace.project import Project
from secguide.trace.review import ReviewState, baseline_path
from secguide.trace.text_symbols import CONFIG_NAME, TextSymbol
from secguide.zephyr.kconfig.symbols import SymbolDB

__all__ = ["CONFIG_NAME", "ModelState", "get_app", "get_state", "load_state", "setup_model"]

logger = logging.getLogger("secguide")

class SecguideBuildError(ExtensionError):
    """The model or the tree cannot be loaded at all (not a finding in them)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ModelState:
    """The :class:`~secguide.trace.project.Project` of this build, plus what Sphinx adds.

    Everything about the model is asked of ``project`` (the same object ``secguide
    check`` uses); pages depend on what they show of it (:mod:`secguide.sphinx.shown`).

    Attributes:
        root: the project folder (conf.py); YAML locations are relative to it.
        all_files: the model's YAML files (one added or removed re-reads every page).
    """

    root: Path
    project: Project
    all_files: tuple[str, ...]
    #: the guide against ``secguide_hardening_db`` (None when not configured)
    hardening: HardeningComparison | None = None
    #: the model against ``secguide_diff_base`` (None when not configured)
    model_diff: ModelDiff | None = None

    @property
    def model(self) -> ThreatModel:
        return self.project.model

    @property
    def db(self) -> SymbolDB:
        return self.project.db

    @property
    def items(self) -> tuple[NeedItem, ...]:
        return self.project.need_items

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.project.diagnostics

    @property
    def text_symbols(self) -> tuple[TextSymbol, ...]:
        return self.project.text_symbols

    @property
    def reviews(self) -> Mapping[str, ReviewState]:
        return self.project.reviews

    @property
    def coverage(self) -> CoverageReport:
        return self.project.coverage

    @property
    def tree_root(self) -> Path:
        return self.project.tree.root

    @property
    def drift(self) -> DriftReport | None:
        """How the model's symbols changed since ``secguide_baseline_zephyr_base`` (if set)."""
        return self.project.drift

    def item(self, item_id: str) -> NeedItem | None:
        return self.project.need_by_id.get(item_id)

    def absolute(self, loc: SourceLoc) -> str:
        """The YAML file of ``loc`` as an absolute path (for dependencies and node sources)."""
        return _absolute(self.root, loc)

    def mentioned_symbols(self) -> set[str]:
        """Symbols (without ``CONFIG_``) the model itself names and the tree defines."""
        return self.project.mentioned_symbols()


def _absolute(root: Path, loc: SourceLoc) -> str:
    path = Path(loc.path)
    return str(path if path.is_absolute() else (root / path).resolve())


def _build_state(root: Path, project: Project) -> ModelState:
    return ModelState(root=root, project=project,
                      all_files=tuple(str(path) for path in project.model_files))


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
    # the pages too: which areas they render is an input of the findings (area-not-rendered)
    pages = guide_pages(Path(app.srcdir))
    for path in [*threatmodel_files(directory), *result_files(app), *extra, *pages,
                 *hardening_inputs(app)]:
        info = path.stat()
        stamps.append((str(path), info.st_size, info.st_mtime_ns))
    return (str(directory), tuple(stamps), app.config.secguide_zephyr_base,
            app.config.secguide_baseline_zephyr_base, app.config.secguide_kconfig_cache_dir,
            app.config.secguide_hardening_db, _diff_base_commit(app))


def _diff_base_commit(app: Sphinx) -> str | None:
    """The commit ``secguide_diff_base`` names now (a branch moves), None when unset."""
    value = app.config.secguide_diff_base
    if not value:
        return None
    try:
        return Repository.of(threatmodel_dir(app)).commit(value)
    except GitUnavailable:
        return None  # the configuration check reports it


def hardening_inputs(app: Sphinx) -> list[Path]:
    """The files of the configured hardening database (none when not configured)."""
    value = app.config.secguide_hardening_db
    return hardening_files(project_path(app, value)) if value else []


def _with_hardening(app: Sphinx, state: ModelState) -> ModelState:
    """The state plus the guide-against-upstream comparison.

    The database's own findings (schema, duplicate rules) are about upstream's
    files, not about the model, so they stay out of the project's list and are
    emitted beside it by :func:`report_diagnostics`.
    """
    value = app.config.secguide_hardening_db
    if not value:
        return state
    database = load_hardening_db(project_path(app, value), display_base=state.root)
    comparison = compare_with_upstream(state.model, database, state.db)
    return dataclasses.replace(state, hardening=comparison)


def _with_model_diff(app: Sphinx, state: ModelState) -> ModelState:
    """The state plus what the model changed since ``secguide_diff_base`` (if set)."""
    value = app.config.secguide_diff_base
    if not value:
        return state
    hardening = app.config.secguide_hardening_db
    database = load_hardening_db(project_path(app, hardening)) if hardening else None
    model_diff = diff_against_revision(state.project, value, hardening=database,
                                       hardening_from=hardening)
    return dataclasses.replace(state, model_diff=model_diff)


def result_files(app: Sphinx) -> tuple[Path, ...]:
    """The configured verification result files, as absolute paths."""
    return tuple(project_path(app, p) for p in app.config.secguide_results_files)


def load_state(app: Sphinx) -> ModelState:
    """The model state for this build's inputs, from the cache when they are unchanged.

    Inputs are looked at once per build: every ``builder-inited`` handler that asks
    again (the board pages do) gets the state this build loaded first, without
    stat-ing the model, reading the guide's pages or opening the Kconfig cache again.

    Raises:
        SecguideBuildError: the tree or the threat-model folder cannot be read.
    """
    loaded = _CURRENT.get(id(app.env))
    if loaded is not None and loaded[0] is app:
        return loaded[1]
    key = _input_key(app)
    cache_dir = app.config.secguide_kconfig_cache_dir
    root = Path(app.confdir)
    _CURRENT.pop(id(app.env), None)  # a new application may reuse a collected env's id
    try:
        project = Project.open(
            threatmodel_dir(app), app.config.secguide_zephyr_base or None,
            option="secguide_zephyr_base",
            baseline_base=app.config.secguide_baseline_zephyr_base or None,
            baseline_option="secguide_baseline_zephyr_base",
            results_files=result_files(app), display_base=root, guide_dir=Path(app.srcdir),
            cache_dir=Path(cache_dir) if cache_dir else None)
        key = (*key, project.db.fingerprint,
               project.baseline_db.fingerprint if project.baseline_db else None)
        if key not in _CACHE:
            _CACHE.clear()
            state = _build_state(root, project)
            # Computed now, in the main process, so -j workers forked later inherit them.
            for part in ("diagnostics", "need_items", "need_by_id", "reviews", "coverage",
                         "drift"):
                getattr(project, part)
            _CACHE[key] = _with_model_diff(app, _with_hardening(app, state))
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
    with loading_long_lived_data():
        state = load_state(app)
    hardening = state.hardening.diagnostics if state.hardening else ()
    for diagnostic in (*state.diagnostics, *hardening):
        emit_diagnostic(diagnostic, diagnostic.loc.sphinx_location)


def setup_model(app: Sphinx) -> None:
    """Load model and tree at the start of each build; report what is wrong with them."""
    app.connect("builder-inited", report_diagnostics)
