"""``secguide board TARGET`` and ``secguide boards``: recommendations per board target."""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from secguide.cli.common import (
    add_threatmodel_option,
    add_tree_options,
    load_model_or_fail,
    project_from_args,
)
from secguide.diagnostics import SecguideError
from secguide.evidence.prj_conf import render_prj_conf
from secguide.model.items import ThreatModel
from secguide.spreadsheet import write_csv
from secguide.trace.boards import VERDICT_LABELS, VERDICTS, BoardReport
from secguide.zephyr.boards import find_target


def register(subparsers: argparse._SubParsersAction) -> None:
    board = subparsers.add_parser(
        "board", help="which recommendations apply to one board target",
        description="Evaluate the tree's Kconfig for one board target (board.yml, its SoC, "
                    "Kconfig.defconfig and <board>_defconfig, before prj.conf) and say, per "
                    "recommendation: already the default, available, needs other settings, "
                    "depends on devicetree, or unavailable (with the failing dependency).")
    board.add_argument("target", help="board target, e.g. nrf5340dk/nrf5340/cpuapp, or a "
                                      "board name with a single target")
    _common(board, ("text", "json", "conf"))
    board.set_defaults(handler=_board)

    boards = subparsers.add_parser(
        "boards", help="the recommendation x board-target matrix of the whole tree")
    _common(boards, ("json", "csv"))
    boards.set_defaults(handler=_boards)


def _common(parser: argparse.ArgumentParser, formats: tuple[str, ...]) -> None:
    add_threatmodel_option(parser)
    add_tree_options(parser)
    parser.add_argument("--profile", metavar="P",
                        help="only the recommendations of profile P (and those it extends)")
    parser.add_argument("--format", choices=formats, default=formats[0],
                        help=f"output format (default: {formats[0]})")


def _check_profile(model: ThreatModel, profile: str | None) -> None:
    if profile is not None and model.profile(profile) is None:
        names = ", ".join(p.name for p in model.profiles)
        raise SecguideError(f"--profile {profile}: no such profile (known: {names})",
                            exit_code=2)


def report_as_json(report: BoardReport) -> dict[str, Any]:
    target = report.target
    return {
        "target": target.name, "board": target.board, "soc": target.soc,
        "arch": report.facts.get("ARCH", target.arch),
        "soc_series": report.facts.get("SOC_SERIES", ""),
        "defconfig": target.defconfig.name if target.defconfig else None,
        "facts": report.facts,
        "fragment": [f"CONFIG_{name}={value}" for name, value in report.fragment],
        "recommendations": [
            {"id": item.rec_id, "verdict": item.verdict, "reason": item.reason,
             "conflicts": list(item.conflicts),
             "needs": [f"CONFIG_{n}={v}" for n, v in item.needs],
             "settings": [{"symbol": f"CONFIG_{s.symbol}", "wanted": s.wanted,
                           "default": s.default, "verdict": s.verdict, "reason": s.reason}
                          for s in item.settings]}
            for item in report.verdicts],
    }


def format_text(report: BoardReport, zephyr_version: str) -> str:
    target = report.target
    facts = report.facts
    out = [f"{target.name}  ({target.full_name or target.board}; arch {facts.get('ARCH', '?')}, "
           f"SoC {facts.get('SOC', target.soc)}; Zephyr {zephyr_version})"]
    if not report.buildable:
        out.append("note: the board's Kconfig selects no SoC or architecture for this target "
                   "(board.yml inherits every CPU cluster of the SoC); it is not buildable")
    if target.defconfig is None:
        out.append("note: the tree has no defconfig for this target; "
                   "evaluated from Kconfig defaults only")
    for verdict in VERDICTS:
        items = report.by_verdict(verdict)
        if not items:
            continue
        out.append("")
        out.append(f"{VERDICT_LABELS[verdict].capitalize()} ({len(items)}):")
        for item in items:
            line = f"  {item.rec_id:<32} {item.title}"
            out.append(line)
            if item.shown_reason:
                out.append(f"      {item.shown_reason}")
    return "\n".join(out)


def _board(args: argparse.Namespace) -> int:
    project = project_from_args(args, results=[])
    model = load_model_or_fail(project)
    _check_profile(model, args.profile)
    tree = project.tree
    target = find_target(list(project.board_targets), args.target)
    [report] = project.board_reports(names=[target.name], profile=args.profile)
    if args.format == "json":
        print(json.dumps(report_as_json(report) | {"zephyr_version": tree.version},
                         indent=2, sort_keys=True))
    elif args.format == "conf":
        sys.stdout.write(render_prj_conf(report, zephyr_version=tree.version,
                                         profile=args.profile))
    else:
        print(format_text(report, tree.version))
    return 0


_CSV_FIELDS = ("target", "board", "arch", "soc", "soc_series", "recommendation", "verdict",
               "reason")


def _boards(args: argparse.Namespace) -> int:
    project = project_from_args(args, results=[])
    model = load_model_or_fail(project)
    _check_profile(model, args.profile)
    tree = project.tree
    # one target at a time: every target's report at once grows with targets x settings
    reports = (report for report in project.iter_board_reports(profile=args.profile)
               if report.buildable)
    # the first target before any output: a tree that does not parse is one clear error
    first = next(reports, None)
    reports = itertools.chain([first] if first is not None else [], reports)
    if args.format == "json":
        _write_json_list(sys.stdout, "targets", (report_as_json(r) for r in reports),
                         {"zephyr_version": tree.version})
        return 0
    rows = ([report.target.name, report.target.board,
             report.facts.get("ARCH", report.target.arch), report.target.soc,
             report.facts.get("SOC_SERIES", ""), item.rec_id, item.verdict, item.reason]
            for report in reports for item in report.verdicts)
    write_csv(sys.stdout, _CSV_FIELDS, rows, line_end="\n")
    return 0


def _write_json_list(stream: TextIO, name: str, items: Iterable[Any],
                     rest: dict[str, Any]) -> None:
    """``json.dumps({name: list(items), **rest}, indent=1, sort_keys=True)`` and a newline,
    written one item at a time (the same bytes; ``name`` sorts before every key of
    ``rest``): a nested value is its own dump, indented one more level."""
    if any(key <= name for key in rest):
        raise ValueError(f"{name!r} must sort before every other key")
    stream.write("{\n " + json.dumps(name) + ": [")
    first = True
    for item in items:
        text = json.dumps(item, indent=1, sort_keys=True).replace("\n", "\n  ")
        stream.write(("\n  " if first else ",\n  ") + text)
        first = False
    stream.write("]" if first else "\n ]")
    for key in sorted(rest):
        stream.write(",\n " + json.dumps(key) + ": " +
                     json.dumps(rest[key], indent=1, sort_keys=True).replace("\n", "\n "))
    stream.write("\n}\n")
