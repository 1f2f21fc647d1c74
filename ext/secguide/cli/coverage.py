"""``secguide coverage``: what the trace leaves open, against a tree and test results."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from secguide.cli.common import (
    add_format_option,
    add_threatmodel_option,
    add_tree_options,
    load_model_or_fail,
    project_from_args,
)
from secguide.diagnostics import SecguideError
from secguide.model.hardening_db import load_hardening_db
from secguide.model.items import ThreatModel
from secguide.trace.coverage import compute_coverage, format_text
from secguide.trace.standards import format_text as format_standard
from secguide.trace.standards import standard_coverage


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
    coverage.add_argument("--standard", metavar="NAME",
                          help="one standard of threatmodel/standards/ instead (e.g. "
                               "EN-303-645, CRA): unmapped clauses, claims resting on draft or "
                               "unreviewed items, responsibilities for the product team")
    coverage.add_argument("--hardening", metavar="DIR", type=Path,
                          help="measure against Zephyr's hardening.yaml database below DIR "
                               "instead of the tree's hardened.csv")
    coverage.add_argument("--strict", action="store_true",
                          help="exit 1 when anything is uncovered")
    add_format_option(coverage)
    coverage.set_defaults(handler=_coverage)


def _coverage(args: argparse.Namespace) -> int:
    project = project_from_args(args)
    model = load_model_or_fail(project)
    if args.standard is not None:
        return _standard_coverage(model, args)
    hardening = load_hardening_db(args.hardening) if args.hardening else None
    if hardening is None:
        report = project.coverage
    else:
        report = compute_coverage(model, zephyr_version=project.db.zephyr_version,
                                  results=project.results, defined=project.db,
                                  hardening=hardening)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        print(format_text(report))
    # results of another release, and tests that would share one verification ID
    findings = (*project.result_diagnostics, *project.id_diagnostics)
    for diagnostic in findings:
        print(diagnostic, file=sys.stderr)
    if (hardening is not None and hardening.errors) or findings:
        return 1
    return 1 if args.strict and report.gaps else 0


def _standard_coverage(model: ThreatModel, args: argparse.Namespace) -> int:
    standard = model.standard(args.standard)
    if standard is None:
        known = ", ".join(s.key for s in model.standards) or "none"
        raise SecguideError(f"--standard {args.standard}: no such standard in "
                            f"{args.threatmodel}; known: {known}", exit_code=2)
    report = standard_coverage(model, standard)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2, sort_keys=True))
    else:
        print(format_standard(report))
    return 1 if args.strict and report.gaps else 0
