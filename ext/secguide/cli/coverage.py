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
    project_from_args,
)
from secguide.trace.coverage import format_text


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
    project = project_from_args(args)
    load_model_or_fail(project)
    report = project.coverage
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        print(format_text(report))
    return 1 if args.strict and report.gaps else 0
