"""The ``secguide_*`` configuration values: declared in one table, checked on ``config-inited``.

Every bad value is reported (as a located ``secguide.config`` error), then the
build stops once with a :class:`~sphinx.errors.ConfigError`, so a user fixes all
of them in one round.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from sphinx.application import Sphinx
from sphinx.config import Config
from sphinx.errors import ConfigError
from sphinx.util import logging

from secguide.diagnostics import SecguideError
from secguide.zephyr.tree import resolve_tree

logger = logging.getLogger("secguide")

Validator = Callable[[Any, Sphinx], str | None]


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigValue:
    """One ``conf.py`` setting: default, accepted types, rebuild scope, help and check."""

    name: str
    default: Any
    types: tuple[type, ...]
    rebuild: str
    help: str
    check: Validator | None = None


def _check_zephyr_base(value: str, app: Sphinx) -> str | None:
    try:
        resolve_tree(value or None)
    except SecguideError as error:
        return str(error)
    return None


def _check_baseline(value: str, app: Sphinx) -> str | None:
    return _check_zephyr_base(value, app) if value else None


def _check_threatmodel_dir(value: str, app: Sphinx) -> str | None:
    path = threatmodel_dir(app)
    if not path.is_dir():
        return f"{value!r} is not a directory (resolved to {path})"
    return None


def _check_url(value: str, app: Sphinx) -> str | None:
    if not value:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https", "file") or not (parsed.netloc or parsed.path):
        return f"{value!r} is not an http(s) or file URL"
    return None


def _check_result_files(value: list[str], app: Sphinx) -> str | None:
    missing = [str(p) for p in value
               if not isinstance(p, str) or not project_path(app, p).is_file()]
    return f"no such result file(s): {', '.join(missing)}" if missing else None


def _check_hardening_db(value: str, app: Sphinx) -> str | None:
    if not value:
        return None
    root = project_path(app, value)
    if not (root / "scripts" / "kconfig" / "hardening.yaml").is_file():
        return f"{value!r} has no scripts/kconfig/hardening.yaml (not a hardening database)"
    return None


def _check_diff_base(value: str, app: Sphinx) -> str | None:
    if not value:
        return None
    from secguide.model.git import GitUnavailable, Repository  # only with a diff base
    try:
        Repository.of(threatmodel_dir(app)).commit(value)
    except GitUnavailable as error:
        return f"{value!r}: {error}"
    return None


CONFIG_VALUES: tuple[ConfigValue, ...] = (
    ConfigValue(
        name="secguide_zephyr_base", default="", types=(str,), rebuild="env",
        help="Zephyr tree whose Kconfig the guide is checked against; empty: $ZEPHYR_BASE.",
        check=_check_zephyr_base,
    ),
    ConfigValue(
        name="secguide_baseline_zephyr_base", default="", types=(str,), rebuild="env",
        help="An older Zephyr tree; when set, the secguide-drift directive shows how the "
             "symbols the model uses changed since that release. Empty: no comparison.",
        check=_check_baseline,
    ),
    ConfigValue(
        name="secguide_threatmodel_dir", default="threatmodel", types=(str,), rebuild="env",
        help="Folder of the threat-model YAML files, relative to the folder of conf.py.",
        check=_check_threatmodel_dir,
    ),
    ConfigValue(
        name="secguide_source_url", default="", types=(str,), rebuild="html",
        help="Base URL of the Zephyr sources at the guide's version; definition sites "
             "'file:line' link to '<url>/<file>#L<line>'. Empty: no links.",
        check=_check_url,
    ),
    ConfigValue(
        name="secguide_kconfig_cache_dir", default="", types=(str,), rebuild="",
        help="Where the parsed Kconfig database is cached; empty: $SECGUIDE_CACHE_DIR "
             "or ~/.cache/secguide.",
    ),
    ConfigValue(
        name="secguide_results_files", default=[], types=(list, tuple), rebuild="env",
        help="JUnit XML or twister.json result files (relative to conf.py); their "
             "outcomes fill the 'result' field of verification needs. Empty: 'not run'.",
        check=_check_result_files,
    ),
    ConfigValue(
        name="secguide_hardening_db", default="", types=(str,), rebuild="env",
        help="Root of Zephyr's hardening.yaml database (a Zephyr tree or a folder laid out "
             "like one); the secguide-hardening directive compares the guide with it. "
             "Empty: no comparison.",
        check=_check_hardening_db,
    ),
    ConfigValue(
        name="secguide_diff_base", default="", types=(str,), rebuild="env",
        help="A git revision of the threat model (a branch, tag or commit of the repository "
             "holding it); the secguide-model-diff directive shows what changed since. "
             "Empty: no comparison.",
        check=_check_diff_base,
    ),
)


def project_path(app: Sphinx, value: str) -> Path:
    """``value`` as an absolute path; relative values start at the folder of conf.py."""
    base = Path(app.confdir) if app.confdir else Path.cwd()
    return (base / Path(value).expanduser()).resolve()


def threatmodel_dir(app: Sphinx) -> Path:
    """The threat-model folder as an absolute path."""
    return project_path(app, app.config.secguide_threatmodel_dir)


def validate_config(app: Sphinx, config: Config) -> None:
    """``config-inited``: report every bad ``secguide_*`` value, then fail once."""
    problems = []
    for value in CONFIG_VALUES:
        current = getattr(config, value.name)
        if not isinstance(current, value.types):
            names = " or ".join(t.__name__ for t in value.types)
            problems.append(f"{value.name}: expected {names}, got {type(current).__name__}")
            continue
        if value.check is not None and (problem := value.check(current, app)):
            problems.append(f"{value.name}: {problem}")
    conf_py = os.path.join(app.confdir, "conf.py") if app.confdir else "conf.py"
    for problem in problems:
        # a location without ":line" would be taken for a docname, so name the file inline
        logger.error(f"{conf_py}: {problem}", type="secguide", subtype="config")
    if problems:
        raise ConfigError(f"secguide: {len(problems)} invalid configuration value(s), see above")


def setup_config(app: Sphinx) -> None:
    """Declare every ``secguide_*`` value and check them when the configuration is read."""
    for value in CONFIG_VALUES:
        app.add_config_value(value.name, value.default, value.rebuild, types=value.types,
                             description=value.help)
    app.connect("config-inited", validate_config, priority=900)
