"""``secguide audit``: does a real build's ``.config`` follow the guide (or upstream's rules)?"""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from secguide.cli.common import (
    add_threatmodel_option,
    add_tree_options,
    load_model_or_fail,
    project_from_args,
)
from secguide.diagnostics import SecguideError, display_path
from secguide.evidence.audit_report import FORMATS, render_report
from secguide.files import write_atomically
from secguide.model.hardening_db import CENTRAL_FILE
from secguide.model.product_waivers import ProductWaiver, load_product_waivers
from secguide.trace.engine import (
    BUILD_KINDS,
    DEFAULT_PROFILE,
    RULE_SOURCES,
    EngineRequest,
    RuleChoice,
    RuleSourceError,
    profile_for,
)
from secguide.zephyr.kconfig.cache import load_symbol_db


def register(subparsers: argparse._SubParsersAction) -> None:
    audit = subparsers.add_parser(
        "audit", help="check a build's .config against the guide or Zephyr's hardening rules",
        description="PASS / FAIL / NOT-APPLICABLE / WAIVED / UNKNOWN for every recommendation "
                    "(or upstream rule) of a profile, for one build (build/, build/zephyr/, a "
                    ".config file) or every build below a folder. Exit 1 on any FAIL, 2 on "
                    "bad input.")
    audit.add_argument("builds", nargs="+", metavar="BUILD", type=Path,
                       help="build folder, .config file, or folder of many builds")
    audit.add_argument("--profile",
                       help="profile to check (default: a product model's profile, else "
                            f"{DEFAULT_PROFILE}, as hardenconfig does)")
    audit.add_argument("--rules", choices=RULE_SOURCES, default="guide",
                       help="the guide's recommendations (default) or the hardening database")
    audit.add_argument("--hardening", metavar="DIR", type=Path,
                       help="hardening database root for --rules upstream (default: the tree, "
                            f"when it has {CENTRAL_FILE})")
    audit.add_argument("--hardening-extra", metavar="FILE", type=Path, action="append",
                       default=[],
                       help="extra hardening.yaml (as HARDENCONFIG_EXTRA_SOURCES): adds "
                            "profiles and rules, overrides in-tree rules; repeatable")
    audit.add_argument("--board-target", metavar="T",
                       help="audit only builds for this board target (or board); names the "
                            "board of builds whose .config does not say")
    audit.add_argument("--waivers", metavar="FILE", type=Path,
                       help="the product's waivers (YAML: reason, approver, expires)")
    audit.add_argument("--date", metavar="YYYY-MM-DD", type=datetime.date.fromisoformat,
                       help="the day waiver expiry is judged on (default: today)")
    audit.add_argument("--build-kind", choices=BUILD_KINDS, default="production",
                       help="recommendations limited to one kind of build apply accordingly")
    audit.add_argument("--zephyr-version", metavar="RELEASE",
                       help="the Zephyr release the builds were made with (4.2.0, or git "
                            "describe: v4.2.0-2572-g04dfa77d372d); default: the build folder's "
                            "version.h")
    audit.add_argument("--compare-release", metavar="TREE", type=Path, action="append",
                       default=[],
                       help="another Zephyr tree to compare a build of unknown release with "
                            "(besides the tree); repeatable")
    audit.add_argument("--format", choices=FORMATS, default="text",
                       help="output format (default: text)")
    audit.add_argument("--all", action="store_true",
                       help="text: list PASS and NOT-APPLICABLE results too")
    audit.add_argument("--output", "-o", metavar="FILE", type=Path,
                       help="write the report here (atomically) instead of standard output")
    add_threatmodel_option(audit)
    add_tree_options(audit)
    audit.set_defaults(handler=_audit)


def _waivers(path: Path | None) -> tuple[ProductWaiver, ...]:
    if path is None:
        return ()
    waivers, problems = load_product_waivers(path)
    if problems:
        for diagnostic in problems:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{display_path(path)}: {len(problems)} error(s) in the waivers "
                            "file", exit_code=2)
    return waivers


def _audit(args: argparse.Namespace) -> int:
    project = project_from_args(args, results=[])
    model = load_model_or_fail(project)
    request = EngineRequest(
        choice=RuleChoice(profile=profile_for(model, args.profile), source=args.rules,
                          hardening=args.hardening, extra=tuple(args.hardening_extra)),
        waivers=_waivers(args.waivers), today=args.date, build_kind=args.build_kind,
        zephyr_version=args.zephyr_version,
        release_trees=tuple(load_symbol_db(tree, cache_dir=args.cache_dir,
                                           use_cache=not args.no_cache)[0]
                            for tree in args.compare_release))
    try:
        engine = request.engine(model, project.db, project.tree.root)
    except RuleSourceError as error:
        for diagnostic in error.diagnostics:
            print(diagnostic, file=sys.stderr)
        raise
    summary = engine.judge_paths(args.builds, board_target=args.board_target)
    if not summary.audits and not summary.refused:
        if summary.skipped:
            path, why = summary.skipped[0]
            raise SecguideError(f"{path}: not audited: {why}")
        raise SecguideError(f"no build matches --board-target {args.board_target}")
    for path, why in summary.refused:  # also when the report goes to a file (-o)
        named = why if why.startswith(f"{path}:") else f"{path}: {why}"
        print(f"secguide: error: {named}", file=sys.stderr)
    if args.format == "hardenconfig-json" and summary.refused and not summary.audits:
        return 2
    report = render_report(summary, args.format, show_all=args.all, product=model.product)
    if args.output:
        write_atomically(args.output, report)
    else:
        sys.stdout.write(report)
    for audit in summary.audits:
        for diagnostic in audit.config_diagnostics:
            print(diagnostic, file=sys.stderr)
    if summary.bad_input:
        return 2
    return 1 if summary.failed else 0
