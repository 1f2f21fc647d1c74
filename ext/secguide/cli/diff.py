"""``secguide diff BASE [HEAD]``: what a change to the threat model changes.

Parses, calls :func:`secguide.trace.diff.diff_projects`, prints. Exit codes: 0 no
change, 1 changes (with ``--fail-on``: only the named consequences), 2 bad input.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from secguide.cli.common import add_threatmodel_option, add_tree_options, project_from_args
from secguide.diagnostics import SecguideError, display_path


def _fail_on(text: str) -> list[str]:
    from secguide.trace.diff import FailOn

    names = [name.strip() for name in text.split(",") if name.strip()]
    known = [kind.value for kind in FailOn]
    for name in names:
        if name not in known:
            raise argparse.ArgumentTypeError(f"{name!r}: not one of {', '.join(known)}")
    return names


def register(subparsers: argparse._SubParsersAction) -> None:
    diff = subparsers.add_parser(
        "diff", help="what a change to the threat model changes (for pull-request review)",
        description="Compare two revisions of the threat model (git revisions of the "
                    "repository holding --threatmodel, or two model folders; HEAD defaults "
                    "to the working tree): items added, removed and changed, and the "
                    "consequences for the trace, Working Group review, check findings, "
                    "reference builds and Zephyr's hardening database. Exit 0 no change, "
                    "1 changes, 2 bad input.")
    diff.add_argument("base", metavar="BASE", help="git revision or model folder")
    diff.add_argument("head", metavar="HEAD", nargs="?",
                      help="git revision or model folder (default: the working tree)")
    diff.add_argument("--format", choices=("text", "json", "md"), default="text",
                      help="text (default), json, or md (a pull-request comment)")
    diff.add_argument("--output", "-o", metavar="FILE", type=Path,
                      help="write the report here (atomically) instead of standard output")
    diff.add_argument("--html", metavar="FILE", type=Path,
                      help="also write the report as an HTML page")
    diff.add_argument("--builds", metavar="DIR", type=Path,
                      help="reference builds (.config files or build folders) whose audit "
                           "verdicts to compare")
    diff.add_argument("--profile", default="strict",
                      help="profile the builds are audited against (default: strict)")
    diff.add_argument("--hardening", metavar="DIR", type=Path,
                      help="Zephyr hardening database to compare both sides with (default: "
                           "the tree's, when it has one)")
    diff.add_argument("--fail-on", metavar="KINDS", type=_fail_on,
                      help="exit 1 only for these consequences, comma-separated: suspect "
                           "(stamps made suspect), finding (check errors or warnings added), "
                           "verdict (a reference build newly FAILs)")
    add_threatmodel_option(diff)
    add_tree_options(diff)
    diff.set_defaults(handler=_diff)


def _diff(args: argparse.Namespace) -> int:
    from secguide.evidence.diff_report import render_html, render_report
    from secguide.files import write_atomically
    from secguide.model.hardening_db import CENTRAL_FILE, load_hardening_db
    from secguide.trace.diff import FailOn, diff_projects
    from secguide.trace.diff_builds import reference_builds
    from secguide.trace.revisions import ModelSide, open_side, working_tree

    if not args.threatmodel.is_dir() and not (Path(args.base).is_dir() and args.head
                                              and Path(args.head).is_dir()):
        raise SecguideError(f"{args.threatmodel}: no threat-model folder (--threatmodel)",
                            exit_code=2)
    builds = reference_builds(args.builds) if args.builds is not None else None
    with tempfile.TemporaryDirectory(prefix="secguide-diff-") as scratch:
        base = open_side(args.base, args.threatmodel, Path(scratch) / "base")
        head = (open_side(args.head, args.threatmodel, Path(scratch) / "head")
                if args.head else working_tree(args.threatmodel))
        base_project = project_from_args(args, threatmodel=base.threatmodel_dir, results=[],
                                         display_base=base.project_root)
        base_project.stamp_history = base.stamp_history()
        head_project = base_project.sibling(head.threatmodel_dir,
                                            display_base=head.project_root,
                                            stamp_history=head.stamp_history())
        hardening, hardening_from = None, ""
        root = args.hardening or base_project.tree.root
        if args.hardening is not None or (root / CENTRAL_FILE).is_file():
            hardening = load_hardening_db(root)
            if hardening.errors:
                for diagnostic in hardening.errors:
                    print(diagnostic, file=sys.stderr)
                raise SecguideError(f"{root}: {len(hardening.errors)} error(s) in the "
                                    "hardening database", exit_code=2)
            hardening_from = display_path(root)

        def label(side: ModelSide) -> str:
            return f"{side.label} ({side.commit[:12]})" if side.commit else side.label

        diff = diff_projects(base_project, head_project, base_label=label(base),
                             head_label=label(head), profile=args.profile, builds=builds,
                             builds_from=display_path(args.builds) if args.builds else "",
                             hardening=hardening, hardening_from=hardening_from)
    report = render_report(diff, args.format)
    if args.output:
        write_atomically(args.output, report)
    else:
        sys.stdout.write(report)
    if args.html:
        write_atomically(args.html, render_html(diff))
    if args.fail_on is not None:
        return 1 if diff.failing(FailOn(name) for name in args.fail_on) else 0
    return 1 if diff.changed else 0
