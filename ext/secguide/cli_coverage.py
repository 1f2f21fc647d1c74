"""``secguide coverage``: what the trace leaves open, against a tree and test results."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from secguide.cli import add_format_option
from secguide.coverage import compute_coverage, format_text
from secguide.diagnostics import Diagnostic, SecguideError, Severity
from secguide.kconfig_cache import load_symbol_db
from secguide.loader import load_threat_model
from secguide.model import ThreatModel
from secguide.results import load_results
from secguide.zephyr_tree import resolve_tree


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """``--threatmodel``, ``--zephyr-base`` and ``--results``, shared with ``export``."""
    parser.add_argument("--threatmodel", metavar="DIR", type=Path, default=Path("threatmodel"),
                        help="threat-model folder (default: ./threatmodel)")
    parser.add_argument("--zephyr-base", metavar="PATH",
                        help="Zephyr tree to read (default: $ZEPHYR_BASE)")
    parser.add_argument("--results", metavar="FILE", type=Path, action="append", default=[],
                        help="JUnit XML (pytest --junitxml) or twister.json; repeatable")
    parser.add_argument("--cache-dir", metavar="DIR", type=Path,
                        help="where parsed Kconfig databases are kept")


def register(subparsers: argparse._SubParsersAction) -> None:
    coverage = subparsers.add_parser(
        "coverage", help="gaps in the requirement -> setting -> test trace",
        description="Recommendations without settings or verifications, unmitigated threats, "
                    "hardened.csv symbols nobody covers, and (with --results) settings whose "
                    "verification failed or did not run.")
    add_model_options(coverage)
    coverage.add_argument("--strict", action="store_true",
                          help="exit 1 when anything is uncovered")
    add_format_option(coverage)
    coverage.set_defaults(handler=_coverage)


def load_model_or_fail(directory: Path) -> ThreatModel:
    """The model, or the loader's errors printed and a SecguideError (exit 1).

    Raises:
        SecguideError: the folder is missing or the model has errors.
    """
    model, diagnostics = load_threat_model(directory)
    errors: list[Diagnostic] = [d for d in diagnostics if d.severity is Severity.ERROR]
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{directory}: {len(errors)} error(s) in the threat model; "
                            "run 'secguide check'", exit_code=1)
    return model


def _coverage(args: argparse.Namespace) -> int:
    model = load_model_or_fail(args.threatmodel)
    tree = resolve_tree(args.zephyr_base)
    db, _ = load_symbol_db(tree.root, cache_dir=args.cache_dir)
    results = load_results(args.results) if args.results else None
    report = compute_coverage(model, tree_root=tree.root, zephyr_version=db.zephyr_version,
                              results=results, defined=db)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        print(format_text(report))
    return 1 if args.strict and report.gaps else 0
