"""``secguide product init BUILD``: a starting product declaration for one build."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from secguide.cli.common import add_threatmodel_option, add_tree_options, project_from_args
from secguide.cli.evidence import config_path
from secguide.diagnostics import SecguideError, Severity, display_path
from secguide.files import write_atomically
from secguide.templates import render
from secguide.trace.build_verdicts import audit_checks, build_verdicts
from secguide.trace.engine import EngineRequest, RuleChoice
from secguide.trace.product_build import build_release, open_items_for_declaration
from secguide.zephyr.dotconfig import read_dotconfig


def register(subparsers: argparse._SubParsersAction) -> None:
    product = subparsers.add_parser(
        "product", help="the product's declaration for 'evidence --product'",
        description="Product declarations: the product team's claims that the evidence of "
                    "one build weighs beside its own audit.")
    actions = product.add_subparsers(dest="action", metavar="ACTION", required=True)
    init = actions.add_parser(
        "init", help="write a starting product.yaml for one build",
        description="Write a starting product declaration for BUILD: its board target and "
                    "Zephyr release, the profile, and, as comments to copy, every product "
                    "responsibility and manual check still open on this build. The file is "
                    "written atomically and never over an existing one.")
    init.add_argument("build", metavar="BUILD", type=Path,
                      help="the build's .config, or a build folder holding zephyr/.config")
    init.add_argument("--out", metavar="FILE", type=Path, default=Path("product.yaml"),
                      help="where to write it (default: product.yaml)")
    init.add_argument("--profile", default="strict",
                      help="the guide profile the product claims (default: strict)")
    add_threatmodel_option(init)
    add_tree_options(init)
    init.set_defaults(handler=_init)


def _init(args: argparse.Namespace) -> int:
    if args.out.exists():
        raise SecguideError(f"{display_path(args.out)}: already exists; a declaration is never "
                            "overwritten (remove it or give another --out)", exit_code=2)
    project = project_from_args(args, results=[])
    errors = project.findings(Severity.ERROR)
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{len(errors)} error(s) in the threat model", exit_code=1)
    model, db = project.model, project.db
    if args.profile not in [p.name for p in model.profiles]:
        known = ", ".join(p.name for p in model.profiles)
        raise SecguideError(f"--profile {args.profile}: not a profile of the model; "
                            f"known: {known}", exit_code=2)
    path = config_path(args.build)
    config = read_dotconfig(path)
    if config.is_sysbuild:
        raise SecguideError(f"{display_path(path)}: a sysbuild top-level .config names no "
                            "application image; give the image's build folder", exit_code=2)
    audit = EngineRequest(choice=RuleChoice(profile=args.profile)).engine(
        model, db, project.tree.root).judge(config, config_path=path)
    verdicts = build_verdicts(model, args.profile, audit_checks(audit), None,
                              board=audit.board, board_target=audit.board_target,
                              arch=audit.arch, build_kind=audit.build_kind)
    responsibilities, manual_checks = open_items_for_declaration(model, verdicts)
    text = render("product.yaml.j2", file_name=args.out.name, config=display_path(path),
                  board_target=audit.board_target or audit.board or "",
                  release=build_release(None, None, path).text or "",
                  profile=args.profile, responsibilities=responsibilities,
                  manual_checks=manual_checks)
    write_atomically(args.out, text)
    print(f"{display_path(args.out)}: {len(responsibilities)} responsibilities and "
          f"{len(manual_checks)} manual checks open on {display_path(path)}; fill in the "
          "product's name and version before 'secguide evidence --product'", file=sys.stderr)
    return 0
