"""The threat model and the Kconfig database, loaded once per build and shared by every page.

State is kept in a module-level cache keyed by the inputs (the YAML files'
paths, sizes and mtimes, the tree path and the DB fingerprint): an unchanged
model is not re-read, and ``-j auto`` workers forked after it is loaded inherit it.
Nothing per-document lives here; that is in the ``secguide`` domain.

The findings of the loader and validator are emitted on *every* build, so a broken
trace fails a no-op rebuild as well as a full one. They are kept in the cache folder
per fingerprint of their inputs (:mod:`secguide.sphinx.findings_memo`); a build whose
inputs are unchanged emits the kept ones and loads the state only if a page is read
or written. The digest of the inputs is kept beside the environment at the end of a
build, so the next one knows when its pages were made from the same model
(:func:`inputs_unchanged`) and need not ask the model anything.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Mapping, Set
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.errors import ExtensionError
from sphinx.util import logging

from secguide.diagnostics import SecguideError, SourceLoc
from secguide.files import write_atomically
from secguide.model.model_files import baseline_path, is_product_model, threatmodel_files
from secguide.sphinx.config import project_path, threatmodel_dir
from secguide.sphinx.findings_memo import Findings, FindingsMemo, MemoInputs
from secguide.sphinx.memory import loading_long_lived_data
from secguide.sphinx.warnings import emit_diagnostic
from secguide.trace.guide_pages import guide_pages
from secguide.zephyr.kconfig.stamps import default_cache_dir
from secguide.zephyr.tree import resolve_tree

# A build with nothing to do loads no model: what computes or holds the state is
# imported when the state is loaded (see load_state), not with the extension.
if TYPE_CHECKING:
    from secguide.diagnostics import Diagnostic
    from secguide.model.items import ThreatModel
    from secguide.trace.coverage import CoverageReport
    from secguide.trace.diff import ModelDiff
    from secguide.trace.drift import DriftReport
    from secguide.trace.hardening import HardeningComparison
    from secguide.trace.needs import NeedItem
    from secguide.trace.project import Project
    from secguide.trace.review import ReviewState
    from secguide.trace.text_symbols import TextSymbol
    from secguide.zephyr.kconfig.symbols import SymbolDB

__all__ = ["ModelState", "get_app", "get_state", "load_state", "setup_model"]

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


@dataclass(slots=True)
class _Build:
    """One running build: its application, its model state (loaded on first use: a
    build with nothing to do never needs it), the digest of the state's inputs and the
    digest the environment's pages were made from (None when not known)."""

    app: Sphinx
    state: ModelState | None = None
    inputs: str | None = None
    previous: str | None = None
    #: whether this build reads or removes pages (they may name other symbols, items...)
    pages_change: bool = False


#: Per running build, keyed by ``id(app.env)``. Directives and domains see only the
#: environment, and ``env.app`` is deprecated in Sphinx 9.
_CURRENT: dict[int, _Build] = {}

#: Beside the environment: the digest of the inputs its pages were made from.
INPUTS_FILE = "secguide-model-inputs"


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
    from secguide.model.git import GitUnavailable, Repository
    try:
        return Repository.of(threatmodel_dir(app)).commit(value)
    except GitUnavailable:
        return None  # the configuration check reports it


def hardening_inputs(app: Sphinx) -> list[Path]:
    """The files of the configured hardening database (none when not configured)."""
    value = app.config.secguide_hardening_db
    if not value:
        return []
    from secguide.model.hardening_files import hardening_files
    return hardening_files(project_path(app, value))


def _with_hardening(app: Sphinx, state: ModelState) -> ModelState:
    """The state plus the guide-against-upstream comparison.

    The database's own findings (schema, duplicate rules) are about upstream's
    files, not about the model, so they stay out of the project's list and are
    emitted beside it by :func:`report_diagnostics`.
    """
    value = app.config.secguide_hardening_db
    if not value:
        return state
    from secguide.model.hardening_db import load_hardening_db
    from secguide.trace.hardening import compare_with_upstream
    database = load_hardening_db(project_path(app, value), display_base=state.root)
    comparison = compare_with_upstream(state.model, database, state.db)
    return dataclasses.replace(state, hardening=comparison)


def _with_model_diff(app: Sphinx, state: ModelState) -> ModelState:
    """The state plus what the model changed since ``secguide_diff_base`` (if set)."""
    value = app.config.secguide_diff_base
    if not value:
        return state
    from secguide.model.hardening_db import load_hardening_db
    from secguide.trace.diff import diff_against_revision
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

    Inputs are looked at once per build: every caller that asks again (the board
    pages, the directives) gets the state this build loaded first, without stat-ing
    the model, reading the guide's pages or opening the Kconfig cache again.

    Raises:
        SecguideBuildError: the tree or the threat-model folder cannot be read.
    """
    build = _CURRENT.get(id(app.env))
    if build is not None and build.app is app and build.state is not None:
        return build.state
    if build is None or build.app is not app:
        # a new application may reuse a collected env's id
        build = _CURRENT[id(app.env)] = _Build(app)
    from secguide.trace.project import Project
    key = _input_key(app)
    cache_dir = app.config.secguide_kconfig_cache_dir
    root = Path(app.confdir)
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
    build.state = _CACHE[key]
    return build.state


def get_state(env: BuildEnvironment) -> ModelState:
    """The state of the current build, loaded on first use (once per build).

    Raises:
        SecguideBuildError: secguide was not set up for this environment's build, or
            the model cannot be loaded.
    """
    build = _current(env)
    if build.state is None:
        with loading_long_lived_data():
            return load_state(build.app)
    return build.state


def get_app(env: BuildEnvironment) -> Sphinx:
    """The application building ``env`` (for APIs that take one, like sphinx-needs')."""
    return _current(env).app


def _current(env: BuildEnvironment) -> _Build:
    try:
        return _CURRENT[id(env)]
    except KeyError:
        raise SecguideBuildError("secguide: the model was not loaded for this build "
                                 "(is 'secguide.sphinx' in extensions?)") from None


def inputs_digest(env: BuildEnvironment) -> str | None:
    """A digest of everything this build's model state is made from (the YAML files,
    the trees, results, pages, configuration, code); None when it could not be taken."""
    return _current(env).inputs


def inputs_unchanged(env: BuildEnvironment) -> bool:
    """Whether the pages kept in ``env`` were made from the same model inputs as this
    build's (the last build that finished had the same :func:`inputs_digest`): then
    nothing that depends only on the model, the tree and the code can have changed."""
    build = _current(env)
    return build.inputs is not None and build.inputs == build.previous


def pages_unchanged(env: BuildEnvironment) -> bool:
    """:func:`inputs_unchanged`, and this build reads and removes no page."""
    return inputs_unchanged(env) and not _current(env).pages_change


def _memo(app: Sphinx) -> FindingsMemo:
    cache_dir = app.config.secguide_kconfig_cache_dir
    return FindingsMemo(Path(cache_dir) if cache_dir else default_cache_dir(),
                        [str(Path(app.confdir).resolve()), str(Path(app.srcdir).resolve())])


def _memo_inputs(app: Sphinx) -> MemoInputs | None:
    """What the findings are computed from; None when they are not to be kept (a
    product model reads a guide folder of its own) or the trees cannot be resolved
    (loading the state reports that)."""
    if is_product_model(threatmodel_dir(app)):
        return None
    try:
        trees = [resolve_tree(app.config.secguide_zephyr_base or None).root]
        if app.config.secguide_baseline_zephyr_base:
            trees.append(resolve_tree(app.config.secguide_baseline_zephyr_base).root)
    except SecguideError:
        return None
    return MemoInputs(key=_input_key(app), trees=tuple(trees), code=_code_version())


def _code_version() -> int:
    from secguide.sphinx import ENV_VERSION  # the package's digest, taken once at import
    return ENV_VERSION


def _findings(app: Sphinx, memo: FindingsMemo,
              inputs: MemoInputs | None) -> tuple[Findings, str | None]:
    """This build's findings, kept from an earlier build with the same inputs or
    computed (loading the state) and kept."""
    if inputs is not None:
        kept = memo.lookup(inputs)
        if kept is not None:
            return kept
    scan = memo.scan(inputs) if inputs is not None else None
    if scan is not None:
        _CACHE.clear()  # an input the in-process key does not stamp may have changed
    with loading_long_lived_data():
        state = load_state(app)
    project = state.project
    findings = Findings(state.diagnostics,
                        state.hardening.diagnostics if state.hardening else ())
    if scan is None:
        return findings, None
    from secguide.trace.verifications import pytest_ref_files
    stamped = any(item.review is not None for item in project.model.reviewable())
    return findings, memo.store(scan, findings, pytest_ref_files(project.model, project.repo_root),
                                project.threatmodel_dir if stamped else None)


def report_diagnostics(app: Sphinx) -> None:
    """``builder-inited``: emit every finding about the inputs as a located warning.

    The findings come from the cache folder when every input is as when they were
    computed (:mod:`secguide.sphinx.findings_memo`); the model state is then loaded
    only if a page is read or written.
    """
    _CURRENT.pop(id(app.env), None)
    build = _CURRENT[id(app.env)] = _Build(app, previous=_read_previous(app))
    memo = _memo(app)
    findings, build.inputs = _findings(app, memo, _memo_inputs(app))
    for diagnostic in (*findings.project, *findings.hardening):
        emit_diagnostic(diagnostic, diagnostic.loc.sphinx_location)


def _read_previous(app: Sphinx) -> str | None:
    with contextlib.suppress(OSError, UnicodeDecodeError):
        return (Path(app.doctreedir) / INPUTS_FILE).read_text(encoding="utf-8").strip()
    return None


def note_pages_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``: pages are read, so the state is needed; loaded here,
    in the main process, before ``-j`` readers fork (each would load its own)."""
    if docnames:
        _current(env).pages_change = True
        get_state(env)


def note_pages_removed(app: Sphinx, env: BuildEnvironment, added: Set[str],
                       changed: Set[str], removed: Set[str]) -> list[str]:
    """``env-get-outdated``: a removed page changes what the pages mention, too."""
    if removed:
        _current(env).pages_change = True
    return []


def remember_inputs(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished``: the environment's pages are now made from this build's inputs."""
    build = _CURRENT.get(id(app.env))
    if build is None or build.app is not app:
        return
    path = Path(app.doctreedir) / INPUTS_FILE
    with contextlib.suppress(SecguideError, OSError):
        if exception is None and build.inputs is not None:
            write_atomically(path, build.inputs)
        elif path.exists():
            path.unlink()  # a failed build: what the pages were made from is unknown


def setup_model(app: Sphinx) -> None:
    """Load model and tree at the start of each build; report what is wrong with them."""
    app.connect("builder-inited", report_diagnostics)
    app.connect("env-get-outdated", note_pages_removed, priority=100)
    # after the memory module pauses the collector (100), before the board view (400)
    app.connect("env-before-read-docs", note_pages_read, priority=300)
    app.connect("build-finished", remember_inputs)
