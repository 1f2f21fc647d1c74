"""``secguide export``: the evidence folder (needs.json, CSV, ReqIF, manifest)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from secguide.cli.common import load_model_or_fail
from secguide.cli.coverage import add_model_options
from secguide.diagnostics import SecguideError, Severity
from secguide.evidence.export import OUTPUT_FILES, build_evidence, hash_inputs, write_evidence
from secguide.model.loader import threatmodel_files
from secguide.trace.results import load_results
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.scenarios import index_scenarios
from secguide.zephyr.tree import resolve_tree


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
    model = load_model_or_fail(args.threatmodel)
    tree = resolve_tree(args.zephyr_base)
    db, _ = load_symbol_db(tree.root, cache_dir=args.cache_dir, use_cache=not args.no_cache)
    problems = validate_model(model, db, scenarios=index_scenarios(tree.root),
                              repo_root=args.threatmodel.resolve().parent)
    errors = [d for d in problems if d.severity is Severity.ERROR]
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{len(errors)} error(s): no evidence written "
                            f"({args.out} left as it was)", exit_code=1)
    results = load_results(args.results) if args.results else None
    inputs = hash_inputs([(path, "threatmodel") for path in threatmodel_files(args.threatmodel)]
                         + [(path, "results") for path in args.results])
    files = build_evidence(model, zephyr_version=db.zephyr_version,
                           tree_fingerprint=db.fingerprint, inputs=inputs, results=results)
    write_evidence(args.out, files)
    print(f"{args.out}: {', '.join(OUTPUT_FILES)} for Zephyr {db.zephyr_version} "
          f"({len(model.recommendations)} recommendations, {len(inputs)} input files) "
          f"in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0
