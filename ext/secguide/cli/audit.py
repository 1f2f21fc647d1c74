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
from secguide.model.hardening_db import CENTRAL_FILE, load_hardening_db
from secguide.model.items import ThreatModel
from secguide.model.product_waivers import ProductWaiver, load_product_waivers
from secguide.trace.audit import (
    AuditRule,
    AuditSummary,
    BuildAudit,
    audit_config,
    guide_rules,
    upstream_rules,
)
from secguide.zephyr.build_dirs import build_version, find_build_configs, sysbuild_images
from secguide.zephyr.dotconfig import read_dotconfig
from secguide.zephyr.kconfig.symbols import SymbolDB

SYSBUILD_ONLY = ("sysbuild top-level configuration (SB_CONFIG_*): it sets no application "
                 "options, and no image build (build/<image>/zephyr/.config) is beside it")


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
                            "strict, as hardenconfig does)")
    audit.add_argument("--rules", choices=("guide", "upstream"), default="guide",
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
    audit.add_argument("--build-kind", choices=("production", "debug"), default="production",
                       help="recommendations limited to one kind of build apply accordingly")
    audit.add_argument("--format", choices=FORMATS, default="text",
                       help="output format (default: text)")
    audit.add_argument("--all", action="store_true",
                       help="text: list PASS and NOT-APPLICABLE results too")
    audit.add_argument("--output", "-o", metavar="FILE", type=Path,
                       help="write the report here (atomically) instead of standard output")
    add_threatmodel_option(audit)
    add_tree_options(audit)
    audit.set_defaults(handler=_audit)


def _rules(args: argparse.Namespace, model: ThreatModel, tree_root: Path
           ) -> tuple[tuple[AuditRule, ...], str]:
    if args.rules == "guide":
        if model.profile(args.profile) is None:
            names = ", ".join(p.name for p in model.profiles)
            raise SecguideError(f"--profile {args.profile}: the threat model has no such "
                                f"profile (profiles: {names})")
        return guide_rules(model, args.profile), "guide"
    root = args.hardening or tree_root
    if args.hardening is None and not (root / CENTRAL_FILE).is_file():
        raise SecguideError(f"{root} has no {CENTRAL_FILE}: give the database with "
                            "--hardening DIR")
    db = load_hardening_db(root, extra=args.hardening_extra)
    if db.errors:
        for diagnostic in db.errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{root}: {len(db.errors)} error(s) in the hardening database",
                            exit_code=2)
    if db.profile(args.profile) is None:
        names = ", ".join(p.name for p in db.profiles)
        raise SecguideError(f"--profile {args.profile}: the hardening database has no such "
                            f"profile (profiles: {names})")
    return upstream_rules(db, args.profile), "upstream"


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


def run_audits(targets: list[Path], rules: tuple[AuditRule, ...], rules_from: str,
               db: SymbolDB, model: ThreatModel, *, profile: str,
               waivers: tuple[ProductWaiver, ...] = (), today: datetime.date | None = None,
               build_kind: str = "production", board_target: str | None = None
               ) -> AuditSummary:
    """Audit every ``.config`` the targets stand for; sysbuild top levels are noted, not judged."""
    audits: list[BuildAudit] = []
    refused: list[tuple[str, str]] = []
    skipped: list[tuple[str, str]] = []
    renames = model.recorded_renames()
    for target in targets:
        inputs = find_build_configs(target)
        for top in inputs.sysbuild_top_levels:
            if not sysbuild_images(top):
                skipped.append((display_path(top), SYSBUILD_ONLY))
        for path in inputs.configs:
            try:
                config = read_dotconfig(path)
            except SecguideError as error:
                shown = display_path(path)
                # The reader's message starts with the path; the reports name it already.
                refused.append((shown, str(error).removeprefix(f"{shown}: ")))
                continue
            known = config.board_target or config.board
            if board_target and known and board_target not in (config.board_target,
                                                                config.board):
                continue
            notes = []
            if board_target and not known:
                notes.append(f"board target {board_target} given on the command line")
            if inputs.sysbuild_top_levels:
                notes.append("image of a sysbuild build")
            audits.append(audit_config(config, rules, db, profile=profile,
                                       rules_from=rules_from, renames=renames,
                                       waivers=waivers, today=today, build_kind=build_kind,
                                       notes=notes, markers=rules_from == "upstream",
                                       build_version=build_version(path)))
    return AuditSummary(tuple(audits), tuple(refused), tuple(skipped))


def _audit(args: argparse.Namespace) -> int:
    project = project_from_args(args, results=[])
    model = load_model_or_fail(project)
    # a product model's own waivers of guide recommendations, then the --waivers file's
    waivers = (*(model.product.product_waivers if model.product else ()), *_waivers(args.waivers))
    if args.profile is None:
        args.profile = model.product.profile if model.product else "strict"
    db = project.db
    rules, rules_from = _rules(args, model, project.tree.root)
    summary = run_audits(args.builds, rules, rules_from, db, model, profile=args.profile,
                         waivers=waivers, today=args.date, build_kind=args.build_kind,
                         board_target=args.board_target)
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
