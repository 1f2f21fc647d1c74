"""``secguide hardening import|export``: Zephyr's hardening database in and out."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from secguide.cli.common import (
    add_threatmodel_option,
    add_tree_options,
    load_model_or_fail,
    project_from_args,
)
from secguide.diagnostics import SecguideError, Severity, display_path
from secguide.files import write_atomically
from secguide.model.hardening_db import load_hardening_db
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.hardening import (
    compare_with_upstream,
    render_comparison_text,
    render_hardening_yaml,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    hardening = subparsers.add_parser(
        "hardening", help="Zephyr's hardening.yaml database: compare with it, write it",
        description="Read an upstream-layout hardening database and compare it with the guide "
                    "and the tree (import), or write the guide's recommendations as a "
                    "hardening.yaml (export).")
    actions = hardening.add_subparsers(dest="action", metavar="ACTION", required=True)
    read = actions.add_parser(
        "import", help="compare an upstream-layout database with the guide and the tree",
        description="Rules the guide has no recommendation for, recommendations upstream "
                    "lacks, values and profiles that disagree, rule symbols the tree does not "
                    "define. Exit 1 when the database itself has errors.")
    read.add_argument("directory", metavar="DIR", type=Path,
                      help="database root: a Zephyr tree, or a folder laid out like one "
                           "(scripts/kconfig/hardening.yaml plus fragments)")
    read.add_argument("--hardening-extra", metavar="FILE", type=Path, action="append",
                      default=[], help="extra hardening.yaml read after the database "
                                       "(as HARDENCONFIG_EXTRA_SOURCES); repeatable")
    read.add_argument("--format", choices=("text", "json"), default="text")
    add_threatmodel_option(read)
    add_tree_options(read)
    read.set_defaults(handler=_import)
    write = actions.add_parser(
        "export", help="write the guide's recommendations as a hardening.yaml",
        description="One rule per symbol (value or min/max, rationale, CWE references, "
                    "profiles) for the recommendations of --profile and the profiles it "
                    "extends. Without --with-profiles the file is an extra source for "
                    "HARDENCONFIG_EXTRA_SOURCES, which may not redefine upstream's profiles.")
    write.add_argument("--profile", default="strict",
                       help="profile to export (default: strict)")
    write.add_argument("--with-profiles", action="store_true",
                       help="also write the profiles section (a central hardening.yaml)")
    write.add_argument("--output", "-o", metavar="FILE", type=Path,
                       help="write here (atomically) instead of standard output")
    add_threatmodel_option(write)
    write.set_defaults(handler=_export)


def _import(args: argparse.Namespace) -> int:
    project = project_from_args(args, results=[])
    model = load_model_or_fail(project)
    database = load_hardening_db(args.directory, extra=args.hardening_extra)
    comparison = compare_with_upstream(model, database, project.db)
    if args.format == "json":
        print(json.dumps(comparison.as_dict(), indent=2, sort_keys=True))
    else:
        sys.stdout.write(render_comparison_text(comparison))
    if database.errors:
        # The report lists them (it may go to a file); the summary says why the exit is 1.
        print(f"secguide: error: {args.directory}: {len(database.errors)} error(s) in the "
              "hardening database (listed in the report)", file=sys.stderr)
        return 1
    return 0


def _model_without_tree(directory: Path) -> ThreatModel:
    """The model for export, which needs no Zephyr tree; errors refuse the export.

    Raises:
        SecguideError: the model has errors (exit 1).
    """
    model, diagnostics = load_threat_model(directory)
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    for diagnostic in errors:
        print(diagnostic, file=sys.stderr)
    if errors:
        raise SecguideError(f"{directory}: {len(errors)} error(s) in the threat model; fix "
                            "them first (see 'secguide check')", exit_code=1)
    return model


def _export(args: argparse.Namespace) -> int:
    model = _model_without_tree(args.threatmodel)
    text = render_hardening_yaml(model, args.profile, with_profiles=args.with_profiles,
                                 source=display_path(args.threatmodel))
    if args.output:
        write_atomically(args.output, text)
    else:
        sys.stdout.write(text)
    return 0
