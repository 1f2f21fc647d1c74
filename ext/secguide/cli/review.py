"""``secguide review``: list unreviewed and suspect recommendations, or stamp them reviewed."""

from __future__ import annotations

import argparse
import datetime
import difflib
import json
import os
from collections.abc import Iterable, Mapping, Sequence

from secguide.cli.common import (
    add_format_option,
    add_threatmodel_option,
    add_tree_options,
    load_model_or_fail,
    project_from_args,
)
from secguide.diagnostics import SecguideError, display_path, with_suggestion
from secguide.files import source_date, write_atomically
from secguide.model.items import ThreatModel
from secguide.model.stamps import NewStamp, plan_stamps, write_stamps
from secguide.text_templates import render
from secguide.trace.project import Project
from secguide.trace.review import (
    Baseline,
    ReviewState,
    ReviewStatus,
    baseline_after_accept,
    baseline_path,
    baseline_text,
    review_states,
)
from secguide.zephyr.kconfig.symbols import SymbolDB


def register(subparsers: argparse._SubParsersAction) -> None:
    review = subparsers.add_parser(
        "review", help="Working Group review: list suspect and unreviewed items, or stamp them",
        description="Without --accept: list recommendations that were never reviewed, or whose "
                    "YAML or relied-on Kconfig symbols changed since their review stamp. With "
                    "--accept: stamp the given recommendations as reviewed, in place.")
    add_threatmodel_option(review)
    add_tree_options(review)
    add_format_option(review)
    review.add_argument("--all", action="store_true", help="list reviewed items too")
    review.add_argument("--strict", action="store_true",
                        help="exit 1 if any recommendation is suspect or unreviewed")
    review.add_argument("--accept", metavar="ID", nargs="+",
                        help="stamp these recommendations as reviewed against the tree")
    review.add_argument("--by", metavar="NAME", help="reviewer name (with --accept)")
    review.add_argument("--date", metavar="YYYY-MM-DD",
                        help="review date (with --accept; default: today, or "
                             "$SOURCE_DATE_EPOCH's date in UTC)")
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
        for option, value in (("--by", args.by), ("--date", args.date)):
            if value is not None:
                raise SecguideError(f"{option} only makes sense with --accept")
        return
    if args.by is None or not args.by.strip():
        raise SecguideError("--accept needs --by NAME (who reviewed)")
    if "\n" in args.by or "\r" in args.by:
        raise SecguideError("--by: a name is one line")


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
        return _accept(args, model, db, baseline, date)
    states = project.reviews
    shown = [s for s in states.values() if args.all or s.status is not ReviewStatus.REVIEWED]
    if args.format == "json":
        counts = _counts(states.values())
        print(json.dumps({"zephyr_version": db.zephyr_version, "counts": counts,
                          "items": [s.as_dict() for s in shown]}, indent=2))
    else:
        print(format_states(shown, list(states.values()), db.zephyr_version))
    pending = any(s.status is not ReviewStatus.REVIEWED for s in states.values())
    return 1 if args.strict and pending else 0


def _counts(states: Iterable[ReviewState]) -> dict[str, int]:
    counts = {status.value: 0 for status in ReviewStatus}
    for state in states:
        counts[state.status.value] += 1
    return counts


def format_states(shown: Sequence[ReviewState], every: Sequence[ReviewState],
                  zephyr_version: str) -> str:
    """Compiler-style headlines (``path:line: ID: state``) with indented reasons and diffs."""
    clauses = sum(1 for state in every if state.item_id.startswith("CLS-"))
    items = f"{len(every) - clauses} recommendation(s)" + (
        f" and {clauses} standard clause(s)" if clauses else "")
    return render("review.txt.j2", shown=shown, items=items, counts=_counts(every),
                  zephyr_version=zephyr_version).rstrip("\n")


def _accept(args: argparse.Namespace, model: ThreatModel, db: SymbolDB, baseline: Baseline,
            date: str) -> int:
    by_id = {item.id: item for item in model.reviewable()}
    wanted = list(dict.fromkeys(args.accept))
    for item_id in wanted:
        if item_id not in by_id:
            message = f"{item_id}: no such recommendation in {args.threatmodel}"
            if item_id in model.by_id():
                message += " (only recommendations and standard clauses carry review stamps)"
            else:
                message = with_suggestion(
                    message, difflib.get_close_matches(item_id, list(by_id), n=3, cutoff=0.6))
            raise SecguideError(message, exit_code=1)
    states = review_states(model, db, baseline)
    stamps = {item_id: NewStamp(by=args.by.strip(), date=date,
                                fingerprint=states[item_id].fingerprint)
              for item_id in wanted}
    planned = plan_stamps(args.threatmodel, stamps)
    kept = [item.review.fingerprint for item in model.reviewable() if item.review is not None]
    records = baseline_after_accept(baseline, [by_id[i] for i in wanted], db, kept)
    # The baseline first: an extra record is harmless, a stamp without one loses detail.
    write_atomically(baseline_path(args.threatmodel), baseline_text(records))
    write_stamps(planned, stamps)
    for item_id in wanted:
        rec = by_id[item_id]
        previous = states[item_id].status.value
        print(f"{rec.loc}: {item_id}: stamped reviewed by {stamps[item_id].by} on {date} "
              f"(was {previous}; fingerprint {stamps[item_id].fingerprint[:12]}...)")
    print(f"{len(wanted)} item(s) stamped against Zephyr {db.zephyr_version}; "
          f"baseline {display_path(baseline_path(args.threatmodel))}")
    return 0
