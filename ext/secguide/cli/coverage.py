"""``secguide coverage``: what the trace leaves open, against a tree and test results."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from secguide.cli.common import (
    add_format_option,
    add_threatmodel_option,
    add_tree_options,
    load_model_or_fail,
)
from secguide.trace.coverage import compute_coverage, format_text
from secguide.trace.results import load_results
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.tree import resolve_tree


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """The threat model, the tree and ``--results``, shared with ``export``."""
    add_threatmodel_option(parser)
    add_tree_options(parser)
    parser.add_argument("--results", metavar="FILE", type=Path, action="append", default=[],
                        help="JUnit XML (pytest --junitxml) or twister.json; repeatable")


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


def _coverage(args: argparse.Namespace) -> int:
    model = load_model_or_fail(args.threatmodel)
    tree = resolve_tree(args.zephyr_base)
    db, _ = load_symbol_db(tree.root, cache_dir=args.cache_dir, use_cache=not args.no_cache)
    results = load_results(args.results) if args.results else None
    report = compute_coverage(model, tree_root=tree.root, zephyr_version=db.zephyr_version,
                              results=results, defined=db)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        print(format_text(report))
    return 1 if args.strict and report.gaps else 0
