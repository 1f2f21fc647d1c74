"""Options and model loading shared by the ``secguide`` subcommands."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from secguide.diagnostics import SecguideError, Severity
from secguide.model.guide_package import default_threatmodel

if TYPE_CHECKING:  # the project pulls in every trace module: imported when a command uses it
    from secguide.model.items import ThreatModel
    from secguide.trace.project import Project


def add_tree_options(parser: argparse.ArgumentParser) -> None:
    """``--zephyr-base`` and cache options, shared by every command that reads a tree."""
    parser.add_argument("--zephyr-base", metavar="PATH",
                        help="Zephyr tree to read (default: $ZEPHYR_BASE)")
    parser.add_argument("--cache-dir", metavar="DIR", type=Path,
                        help="where parsed Kconfig databases are kept "
                             "(default: $SECGUIDE_CACHE_DIR or ~/.cache/secguide)")
    parser.add_argument("--no-cache", action="store_true",
                        help="parse the Kconfig tree even if a cached copy is valid")


def add_threatmodel_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--threatmodel", metavar="DIR", type=Path, default=None,
                        help="threat-model folder (default: ./threatmodel, else the guide "
                             "installed with secguide)")
    parser.set_defaults(resolve_threatmodel=True)


def resolve_default_threatmodel(args: argparse.Namespace) -> None:
    """Fill in ``args.threatmodel`` when the command takes one and none was given.

    ``./threatmodel`` wins; elsewhere the guide installed with secguide is used, and a
    line on stderr says which guide version that is (stdout stays the command's own).
    Locations in that model are then shown relative to the guide's folder
    (``threatmodel/x.yaml:12``), as in the guide's repository.
    """
    if not getattr(args, "resolve_threatmodel", False) or args.threatmodel is not None:
        return
    args.threatmodel, guide = default_threatmodel()
    if guide is not None:
        args.model_display_base = guide.root
        print(f"secguide: threat model: the guide of {guide.version} ({guide.threatmodel})",
              file=sys.stderr)


def project_from_args(args: argparse.Namespace, *, threatmodel: Path | None = None,
                      results: list[Path] | None = None,
                      display_base: Path | None = None) -> Project:
    """The project of the command's ``--threatmodel``, tree and cache options.

    ``display_base``: YAML locations are shown relative to it (default: the working
    directory).

    Raises:
        SecguideError: no usable tree.
    """
    from secguide.trace.project import Project

    return Project.open(threatmodel or args.threatmodel, args.zephyr_base,
                        results_files=results if results is not None
                        else getattr(args, "results", []),
                        display_base=display_base or model_display_base(args),
                        cache_dir=args.cache_dir,
                        use_cache=not args.no_cache)


def model_display_base(args: argparse.Namespace) -> Path | None:
    """Where locations in the command's model are shown from: the installed guide's
    folder when the command fell back to it, else None (the working directory)."""
    return getattr(args, "model_display_base", None)


def load_model_or_fail(project: Project) -> ThreatModel:
    """The model, or the loader's errors printed and a SecguideError (exit 1).

    For commands that need a readable model to work on (coverage, review, drift);
    ``secguide check`` reports instead of failing.

    Raises:
        SecguideError: the folder is missing or the model has errors.
    """
    errors = [d for d in project.load_diagnostics if d.severity is Severity.ERROR]
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{project.threatmodel_dir}: {len(errors)} error(s) in the threat "
                            "model; fix them first (see 'secguide check')", exit_code=1)
    return project.model


def add_format_option(parser: argparse.ArgumentParser, *choices: str) -> None:
    choices = choices or ("text", "json")
    parser.add_argument("--format", choices=choices, default=choices[0],
                        help=f"output format (default: {choices[0]})")
