"""``secguide export``: the evidence folder (needs.json, CSV, ReqIF, manifest)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from secguide.cli.common import project_from_args
from secguide.cli.coverage import add_model_options
from secguide.diagnostics import SecguideError, Severity, resolved
from secguide.evidence.build_report import model_commit
from secguide.evidence.export import OUTPUT_FILES, build_evidence, hash_inputs, write_evidence
from secguide.model.product_model import model_input_files


def register(subparsers: argparse._SubParsersAction) -> None:
    export = subparsers.add_parser(
        "export", help="write the traceability evidence (needs.json, CSV, ReqIF, manifest)",
        description="Check the model, then write needs.json, traceability.csv, "
                    "requirements.reqif and manifest.json into --out, atomically. Set "
                    "SOURCE_DATE_EPOCH for byte-identical output.")
    export.add_argument("--out", metavar="DIR", type=Path, required=True,
                        help="evidence folder (replaced as a whole)")
    add_model_options(export)
    export.set_defaults(handler=_export)


def _export(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    # Paths are shown relative to the repository of the model (or by file name when
    # outside it), so the files are the same bytes from any working directory.
    base = resolved(args.threatmodel).parent
    project = project_from_args(args, display_base=base)
    errors = project.findings(Severity.ERROR)
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{len(errors)} error(s) in the threat model: no evidence written "
                            f"({args.out} left as it was)", exit_code=1)
    model, db, results = project.model, project.db, project.results
    inputs = hash_inputs([(path, "threatmodel") for path in model_input_files(args.threatmodel)]
                         + [(path, "results") for path in args.results],
                         display_base=base)
    files = build_evidence(model, zephyr_version=db.zephyr_version,
                           tree_fingerprint=db.fingerprint, inputs=inputs, results=results,
                           model_commit=model_commit(args.threatmodel, model),
                           reviews=project.reviews, db=db)
    write_evidence(args.out, files)
    print(f"{args.out}: {', '.join(OUTPUT_FILES)} for Zephyr {db.zephyr_version} "
          f"({len(model.recommendations)} recommendations, {len(inputs)} input files) "
          f"in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0
