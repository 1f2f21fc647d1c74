"""``secguide drift``: what changed between two Zephyr trees for the model's symbols."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from secguide.cli.common import add_format_option, load_model_or_fail
from secguide.templates import render
from secguide.trace.drift import DriftReport, SymbolDrift, drift_report
from secguide.trace.project import Project

_DEFAULT_MODEL = Path("threatmodel")
_HEADINGS = {
    "removed": "Removed",
    "changed": "Changed",
    "added": "Added",
    "unchanged": "Unchanged",
    "undefined": "Defined in neither tree",
    "later": "From a later Zephyr release (the model's since:), so in neither tree yet",
}


def register(subparsers: argparse._SubParsersAction) -> None:
    drift = subparsers.add_parser(
        "drift", help="how the symbols the model uses changed between two Zephyr trees",
        description="Compare two Zephyr trees for every symbol the threat model uses or used "
                    "(settings, deprecated items' old symbols, replaced_by symbols, waivers): "
                    "removed, added, type/prompt/help/default/dependency changes, and "
                    "successors proposed for removed symbols.")
    drift.add_argument("--from", dest="old_tree", metavar="OLD_TREE", required=True,
                       help="the older Zephyr tree")
    drift.add_argument("--to", dest="new_tree", metavar="NEW_TREE",
                       help="the newer Zephyr tree (default: $ZEPHYR_BASE)")
    drift.add_argument("--threatmodel", metavar="DIR", type=Path,
                       help="threat-model folder (default: ./threatmodel; skipped when absent "
                            "and --symbol is given)")
    drift.add_argument("--symbol", metavar="NAME", action="append", default=[],
                       help="also compare this symbol (repeatable)")
    drift.add_argument("--cache-dir", metavar="DIR", type=Path,
                       help="where parsed Kconfig databases are kept")
    drift.add_argument("--no-cache", action="store_true",
                       help="parse both trees even if cached copies are valid")
    drift.add_argument("--strict", action="store_true",
                       help="exit 1 if a symbol used by a current (not deprecated) "
                            "recommendation was removed or changed")
    add_format_option(drift, "text", "json", "md")
    drift.set_defaults(handler=_drift)


def _report(args: argparse.Namespace) -> DriftReport:
    model_dir = args.threatmodel
    if model_dir is None and (_DEFAULT_MODEL.is_dir() or not args.symbol):
        model_dir = _DEFAULT_MODEL  # else: only --symbol names, no model needed
    project = Project.open(model_dir or _DEFAULT_MODEL, args.new_tree, option="--to",
                           baseline_base=args.old_tree, baseline_option="--from",
                           cache_dir=args.cache_dir, use_cache=not args.no_cache)
    if model_dir is None:
        assert project.baseline_db is not None  # --from is required
        return drift_report(project.baseline_db, project.db, args.symbol)
    load_model_or_fail(project)
    return project.symbol_drift(args.symbol)


def _usage_text(entry: SymbolDrift) -> str:
    return "; ".join(str(usage) for usage in entry.usages)


def _successor_lines(entry: SymbolDrift) -> list[str]:
    lines = []
    for why in ("recorded", "close name", "similar help"):
        picks = [s for s in entry.successors if s.why == why]
        if not picks:
            continue
        texts = []
        for successor in picks:
            text = f"CONFIG_{successor.name}"
            if not successor.exists:
                text += " (missing!)"
            elif successor.new:
                text += " (new)"
            if why == "similar help":
                text += f" {successor.score:.2f}"
            texts.append(text)
        label = {"recorded": "model records replacement", "close name": "close names",
                 "similar help": "similar help"}[why]
        lines.append(f"{label}: {', '.join(texts)}")
    if not lines:
        lines.append("no successor found")
    return lines


def _release_text(entry: SymbolDrift, report: DriftReport) -> str:
    """``from Zephyr 4.5.0, after 4.2.99`` for a symbol a setting marks ``since``."""
    if entry.since is None:
        return ""
    if entry.later_release:
        return f"from Zephyr {entry.since}, after {report.new_version}"
    return f"from Zephyr {entry.since}"


def _context(report: DriftReport) -> dict[str, object]:
    groups = []
    for status in ("removed", "changed", "added", "later", "undefined"):
        if status == "later":
            chosen = [e for e in report.by_status("undefined") if e.later_release]
        elif status == "undefined":  # symbols expected in neither tree are listed above
            chosen = [e for e in report.by_status(status) if not e.later_release]
        else:
            chosen = report.by_status(status)
        entries = [{"drift": entry, "usage": _usage_text(entry),
                    "release": _release_text(entry, report),
                    "successors": _successor_lines(entry)} for entry in chosen]
        if entries:
            groups.append((status, _HEADINGS[status], entries))
    undefined = report.by_status("undefined")
    later = [entry for entry in undefined if entry.later_release]
    return {"report": report, "groups": groups,
            "unchanged": len(report.by_status("unchanged")),
            "counts": [(status, len(report.by_status(status)))
                       for status in ("removed", "changed", "added", "unchanged")]
            + [("from a later release", len(later)), ("undefined", len(undefined) - len(later))]}


def format_text(report: DriftReport) -> str:
    """Grouped by status (removed first); unchanged symbols are only counted."""
    return render("drift.txt.j2", **_context(report)).rstrip("\n")


def format_markdown(report: DriftReport) -> str:
    """The same content as Markdown, for a pull-request comment or an issue; tree text
    (help diffs, names) sits in code spans and fences it cannot close."""
    return render("drift.md.j2", **_context(report)).rstrip() + "\n"


def _drift(args: argparse.Namespace) -> int:
    report = _report(args)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    elif args.format == "md":
        print(format_markdown(report), end="")
    else:
        print(format_text(report))
    if args.strict:
        live = [entry for entry in report.symbols
                if entry.status in ("removed", "changed")
                and any(usage.role == "setting" for usage in entry.usages)]
        return 1 if live else 0
    return 0
