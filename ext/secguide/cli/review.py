"""``secguide review``: the Working Group's worklist, and its sign-off (``--accept``)."""

from __future__ import annotations

import argparse
import datetime
import difflib
import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence

from secguide.cli.common import (
    add_format_option,
    add_threatmodel_option,
    add_tree_options,
    load_model_or_fail,
    project_from_args,
)
from secguide.diagnostics import SecguideError, Severity, display_path, with_suggestion
from secguide.evidence.review_report import worklist_markdown
from secguide.files import source_date, write_atomically
from secguide.model.items import STATUSES, ThreatModel
from secguide.model.stamps import NewStamp, plan_stamps, write_stamps
from secguide.templates import render
from secguide.trace.project import Project
from secguide.trace.review import (
    Baseline,
    Reviewable,
    ReviewState,
    ReviewStatus,
    baseline_after_accept,
    baseline_path,
    baseline_text,
    findings_by_item,
    model_with_statuses,
    review_states,
    reviewable_items,
)
from secguide.trace.validate import APPROVAL_CODES
from secguide.zephyr.kconfig.symbols import SymbolDB


def register(subparsers: argparse._SubParsersAction) -> None:
    review = subparsers.add_parser(
        "review", help="Working Group review: list suspect and unreviewed items, or stamp them",
        description="Without --accept: list reviewable items (recommendations, threats, "
                    "responsibilities, assumptions, out-of-scope items) never reviewed, or "
                    "whose YAML, trace links or relied-on Kconfig symbols changed since their "
                    "review stamp. With --accept: stamp the given items as reviewed, in place; "
                    "an item with errors is refused.")
    add_threatmodel_option(review)
    add_tree_options(review)
    add_format_option(review, "text", "json", "md")
    listing = review.add_argument_group("listing")
    listing.add_argument("--all", action="store_true", help="list reviewed items too")
    listing.add_argument("--suspect", action="store_true",
                         help="list only suspect items (with --unreviewed: both)")
    listing.add_argument("--unreviewed", action="store_true",
                         help="list only unreviewed items (with --suspect: both)")
    listing.add_argument("--strict", action="store_true",
                         help="exit 1 if any item is suspect or unreviewed (CI)")
    accept = review.add_argument_group("sign-off")
    accept.add_argument("--accept", metavar="ID", nargs="+",
                        help="stamp these items as reviewed against the tree")
    accept.add_argument("--by", metavar="NAME", help="reviewer name (with --accept)")
    accept.add_argument("--date", metavar="YYYY-MM-DD",
                        help="review date (with --accept; default: today, or "
                             "$SOURCE_DATE_EPOCH's date in UTC)")
    accept.add_argument("--note", metavar="TEXT",
                        help="the reviewer's decision note, kept in the stamp (with --accept)")
    accept.add_argument("--status", choices=STATUSES,
                        help="also set the items' status, e.g. approved (with --accept; "
                             "recommendations and responsibilities)")
    review.set_defaults(handler=_review)


def review_date(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The stamp date: ``explicit``, else the UTC date of ``SOURCE_DATE_EPOCH``, else today.

    Raises:
        SecguideError: the date or ``SOURCE_DATE_EPOCH`` is malformed (exit code 2).
    """
    environ = os.environ if environ is None else environ
    if explicit is not None:
        try:
            if len(explicit) != 10:
                raise ValueError("expected 10 characters")
            return datetime.date.fromisoformat(explicit).isoformat()
        except ValueError as error:
            raise SecguideError(f"--date {explicit!r}: not a date in the form YYYY-MM-DD "
                                f"({error})") from None
    if environ.get("SOURCE_DATE_EPOCH"):
        return source_date(environ).date().isoformat()
    return datetime.date.today().isoformat()  # the reviewer's own day, not UTC's


def _check_arguments(args: argparse.Namespace) -> None:
    if args.accept is None:
        for option, value in (("--by", args.by), ("--date", args.date), ("--note", args.note),
                              ("--status", args.status)):
            if value is not None:
                raise SecguideError(f"{option} only makes sense with --accept")
        return
    for option, value in (("--all", args.all), ("--suspect", args.suspect),
                          ("--unreviewed", args.unreviewed), ("--strict", args.strict)):
        if value:
            raise SecguideError(f"{option} lists items; it does not go with --accept")
    if args.by is None or not args.by.strip():
        raise SecguideError("--accept needs --by NAME (who reviewed)")
    for option, value in (("--by", args.by), ("--note", args.note)):
        if value is not None and ("\n" in value or "\r" in value):
            raise SecguideError(f"{option}: one line of text")
    if args.note is not None and not args.note.strip():
        raise SecguideError("--note: empty; leave it out instead")


def load_inputs(args: argparse.Namespace) -> Project:
    """The project, refusing a model the loader found errors in.

    Raises:
        SecguideError: the model has errors (printed first, exit code 1), or no tree.
    """
    project = project_from_args(args, results=[])
    load_model_or_fail(project)
    return project


def _review(args: argparse.Namespace) -> int:
    _check_arguments(args)
    date = review_date(args.date) if args.accept is not None else ""
    project = load_inputs(args)
    model, db, baseline = project.model, project.db, project.review_baseline
    if args.accept is not None:
        return _accept(args, project, model, db, baseline, date)
    states = project.reviews
    shown = listed_states(states.values(), all_items=args.all, suspect=args.suspect,
                          unreviewed=args.unreviewed)
    counts = _counts(states.values())
    if args.format == "json":
        print(json.dumps({"zephyr_version": db.zephyr_version, "counts": counts,
                          "items": [s.as_dict() for s in shown]}, indent=2))
    elif args.format == "md":
        sys.stdout.write(worklist_markdown(shown, counts, db.zephyr_version))
    else:
        print(format_states(shown, list(states.values()), db.zephyr_version))
    pending = any(s.status is not ReviewStatus.REVIEWED for s in states.values())
    return 1 if args.strict and pending else 0


def listed_states(states: Iterable[ReviewState], *, all_items: bool = False,
                  suspect: bool = False, unreviewed: bool = False) -> list[ReviewState]:
    """The items a listing shows: not reviewed (default), everything (``all_items``), or
    only the suspect and/or unreviewed ones."""
    wanted = {ReviewStatus.SUSPECT, ReviewStatus.UNREVIEWED}
    if suspect or unreviewed:
        wanted = ({ReviewStatus.SUSPECT} if suspect else set()) | \
                 ({ReviewStatus.UNREVIEWED} if unreviewed else set())
    elif all_items:
        wanted = set(ReviewStatus)
    return [state for state in states if state.status in wanted]


def _counts(states: Iterable[ReviewState]) -> dict[str, int]:
    counts = {status.value: 0 for status in ReviewStatus}
    total = 0
    for state in states:
        counts[state.status.value] += 1
        total += 1
    return {**counts, "total": total}


def format_states(shown: Sequence[ReviewState], every: Sequence[ReviewState],
                  zephyr_version: str) -> str:
    """Compiler-style headlines (``path:line: ID: state: title``) with indented reasons."""
    return render("review.txt.j2", shown=shown, counts=_counts(every),
                  zephyr_version=zephyr_version).rstrip("\n")


def _resolve_ids(args: argparse.Namespace, model: ThreatModel) -> dict[str, Reviewable]:
    by_id = {item.id: item for item in reviewable_items(model)}
    wanted: dict[str, Reviewable] = {}
    for item_id in dict.fromkeys(args.accept):
        if item_id not in by_id:
            message = f"{item_id}: no such reviewable item in {args.threatmodel}"
            if item_id in model.by_id():
                message += " (adversaries carry no review stamps)"
            else:
                message = with_suggestion(
                    message, difflib.get_close_matches(item_id, list(by_id), n=3, cutoff=0.6))
            raise SecguideError(message, exit_code=1)
        item = by_id[item_id]
        if args.status is not None and not hasattr(item, "status"):
            raise SecguideError(f"{item.loc}: {item_id}: --status: only recommendations and "
                                "responsibilities have a status", exit_code=1)
        wanted[item_id] = item
    return wanted


def _refuse_items_with_errors(project: Project, wanted: Mapping[str, Reviewable]) -> None:
    """Signing off an item the checks reject would vouch for a broken trace. The sign-off
    findings themselves are what accepting clears, so they do not block it."""
    errors = [d for d in project.findings(Severity.ERROR) if d.code not in APPROVAL_CODES]
    owners = findings_by_item(project.model, errors)
    blocked = {item_id: owners[item_id] for item_id in wanted if owners.get(item_id)}
    if not blocked:
        return
    for problems in blocked.values():
        for diagnostic in problems:
            print(diagnostic, file=sys.stderr)
    summary = "; ".join(f"{item_id}: " + ", ".join(d.code for d in problems)
                        for item_id, problems in blocked.items())
    raise SecguideError(f"not stamped: fix the error(s) of the item(s) first ({summary})",
                        exit_code=1)


def _accept(args: argparse.Namespace, project: Project, model: ThreatModel, db: SymbolDB,
            baseline: Baseline, date: str) -> int:
    wanted = _resolve_ids(args, model)
    _refuse_items_with_errors(project, wanted)
    # The fingerprint covers the status, so stamp the item as it will read afterwards.
    if args.status is not None:
        model = model_with_statuses(model, dict.fromkeys(wanted, args.status))
        wanted = {item.id: item for item in reviewable_items(model) if item.id in wanted}
    before = review_states(model, db, baseline)
    note = args.note.strip() if args.note else ""
    stamps = {item_id: NewStamp(by=args.by.strip(), date=date,
                                fingerprint=before[item_id].fingerprint, note=note,
                                status=args.status)
              for item_id in wanted}
    planned = plan_stamps(args.threatmodel, stamps)
    kept = [item.review.fingerprint for item in reviewable_items(model)
            if item.review is not None]
    records = baseline_after_accept(baseline, wanted.values(), db, model, kept)
    # The baseline first: an extra record is harmless, a stamp without one loses detail.
    write_atomically(baseline_path(args.threatmodel), baseline_text(records))
    write_stamps(planned, stamps)
    for item_id, item in wanted.items():
        status = f", status {args.status}" if args.status else ""
        print(f"{item.loc}: {item_id}: stamped reviewed by {stamps[item_id].by} on {date}"
              f"{status} (was {before[item_id].status.value}; fingerprint "
              f"{stamps[item_id].fingerprint[:12]}...)")
    print(f"{len(wanted)} item(s) stamped against Zephyr {db.zephyr_version}; "
          f"baseline {display_path(baseline_path(args.threatmodel))}")
    return 0
