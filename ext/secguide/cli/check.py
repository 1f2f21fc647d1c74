"""``secguide check``: the threat model against itself and against a Zephyr tree."""

from __future__ import annotations

import argparse
import json

from secguide.cli.common import add_format_option, add_threatmodel_option, add_tree_options
from secguide.diagnostics import Diagnostic, Severity
from secguide.model.loader import load_threat_model
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.scenarios import index_scenarios
from secguide.zephyr.tree import resolve_tree


def register(subparsers: argparse._SubParsersAction) -> None:
    check = subparsers.add_parser(
        "check", help="validate the threat model and its Kconfig settings",
        description="Load threatmodel/*.yaml, check schema, IDs and references, and check "
                    "every recommended Kconfig setting against the Zephyr tree.")
    add_threatmodel_option(check)
    add_tree_options(check)
    add_format_option(check)
    check.add_argument("--strict", action="store_true", help="fail on warnings too")
    check.set_defaults(handler=_check)


def check_diagnostics(args: argparse.Namespace) -> tuple[list[Diagnostic], str]:
    """Every diagnostic of load and validation, and the Zephyr version checked against."""
    model, diagnostics = load_threat_model(args.threatmodel)
    tree = resolve_tree(args.zephyr_base)
    db, _ = load_symbol_db(tree.root, cache_dir=args.cache_dir, use_cache=not args.no_cache)
    scenarios = index_scenarios(tree.root)
    found = validate_model(model, db, scenarios=scenarios,
                           repo_root=args.threatmodel.resolve().parent)
    return diagnostics + list(scenarios.warnings) + found, db.zephyr_version


def _check(args: argparse.Namespace) -> int:
    diagnostics, version = check_diagnostics(args)
    errors = sum(d.severity is Severity.ERROR for d in diagnostics)
    warnings = sum(d.severity is Severity.WARNING for d in diagnostics)
    if args.format == "json":
        print(json.dumps({"zephyr_version": version, "errors": errors, "warnings": warnings,
                          "diagnostics": [d.as_dict() for d in diagnostics]}, indent=2))
    else:
        for diagnostic in diagnostics:
            print(diagnostic)
        print(f"{args.threatmodel}: {errors} error(s), {warnings} warning(s) "
              f"against Zephyr {version}")
    return 1 if errors or (args.strict and warnings) else 0
