"""``secguide evidence BUILD``: an assessor's evidence folder for one product build."""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import sys
import time
from pathlib import Path

from secguide.cli.common import add_threatmodel_option, add_tree_options
from secguide.diagnostics import SecguideError, Severity, display_path, resolved
from secguide.evidence.build_report import (
    REPORT_FILES,
    BuildInfo,
    build_report_files,
    model_commit,
)
from secguide.evidence.export import evidence_time, hash_inputs, write_evidence
from secguide.input_limits import require_file
from secguide.model.items import ThreatModel
from secguide.model.manual_records import ManualRecord, load_manual_records
from secguide.model.product_model import model_input_files
from secguide.trace.build_verdicts import audit_checks, build_verdicts
from secguide.trace.engine import (
    BUILD_KINDS,
    DEFAULT_PROFILE,
    EngineRequest,
    RuleChoice,
    profile_for,
)
from secguide.trace.project import Project
from secguide.zephyr.dotconfig import read_dotconfig


def register(subparsers: argparse._SubParsersAction) -> None:
    evidence = subparsers.add_parser(
        "evidence", help="evidence for one product build: report (HTML, PDF) and machine files",
        description="Audit one build's .config against the guide, take the target-test "
                    "results of that build's platform, and write a verdict per threat and "
                    "per standard clause: report.html, report.pdf, evidence.json, "
                    "verdicts.csv, needs.json, requirements.reqif and manifest.json, "
                    "atomically into --out. SOURCE_DATE_EPOCH makes the output "
                    "byte-identical.")
    evidence.add_argument("build", metavar="BUILD", type=Path,
                          help="the build's .config, or a build folder holding zephyr/.config")
    evidence.add_argument("--results", metavar="FILE", type=Path, action="append", default=[],
                          help="twister.json or JUnit XML of target tests; repeatable")
    evidence.add_argument("--manual", metavar="FILE", type=Path,
                          help="records of the guide's manual checks performed on this build "
                               "(YAML: manual_checks: [{id, by, date, outcome, note}])")
    evidence.add_argument("--profile",
                          help="the guide profile the build claims (default: a product "
                               f"model's profile, else {DEFAULT_PROFILE}, as audit)")
    evidence.add_argument("--build-kind", choices=BUILD_KINDS, default="production",
                          help="recommendations limited to one kind of build apply "
                               "accordingly (default: production, as audit)")
    evidence.add_argument("--zephyr-version", metavar="RELEASE",
                          help="the Zephyr release the build was made with; default: the "
                               "build folder's version.h (as audit)")
    evidence.add_argument("--out", metavar="DIR", type=Path, required=True,
                          help="evidence folder (replaced as a whole)")
    add_threatmodel_option(evidence)
    add_tree_options(evidence)
    evidence.set_defaults(handler=_evidence)


def config_path(build: Path) -> Path:
    """The ``.config`` a BUILD argument stands for.

    Raises:
        SecguideError: nothing there, or a folder without a ``.config`` (exit 2).
    """
    if build.is_file():
        return build
    if build.is_dir():
        for candidate in (build / "zephyr" / ".config", build / ".config"):
            if candidate.is_file():
                return candidate
        raise SecguideError(f"{build}: a folder without zephyr/.config or .config; give "
                            "the build folder or the .config itself", exit_code=2)
    raise SecguideError(f"{build}: no such file or folder", exit_code=2)


def _evidence(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    created = evidence_time()
    # Paths are shown relative to the repository of the model (or by file name when
    # outside it), so the files are the same bytes from any working directory.
    base = resolved(args.threatmodel).parent
    project = Project.open(args.threatmodel, args.zephyr_base, results_files=args.results,
                           display_base=base, cache_dir=args.cache_dir,
                           use_cache=not args.no_cache)
    # Results of another Zephyr release do not stop a build's evidence (the build may
    # itself be of that release): they are named here and in the manifest's "results".
    for diagnostic in project.result_diagnostics:
        print(diagnostic, file=sys.stderr)
    errors = [d for d in project.findings(Severity.ERROR)
              if d not in project.result_diagnostics]
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{len(errors)} error(s) in the threat model: no evidence written "
                            f"({args.out} left as it was)", exit_code=1)
    model, db = project.model, project.db
    args.profile = profile_for(model, args.profile)
    if args.profile not in [p.name for p in model.profiles]:
        known = ", ".join(p.name for p in model.profiles)
        raise SecguideError(f"--profile {args.profile}: not a profile of the model; "
                            f"known: {known}", exit_code=2)
    path = config_path(args.build)
    config = read_dotconfig(path)
    if config.is_sysbuild:
        raise SecguideError(f"{display_path(path)}: a sysbuild top-level .config (SB_CONFIG_*) "
                            "sets no application options; give the image's build folder "
                            "(build/<image>) or its zephyr/.config", exit_code=2)
    engine = EngineRequest(choice=RuleChoice(profile=args.profile), today=created.date(),
                           build_kind=args.build_kind, zephyr_version=args.zephyr_version,
                           ).engine(model, db, project.tree.root)
    audit = engine.judge(config, config_path=path)
    bad_lines = audit.input_errors
    if bad_lines:
        for diagnostic in bad_lines:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{display_path(path)}: {len(bad_lines)} malformed line(s); "
                            "no evidence written", exit_code=2)
    manual = _manual_records(args.manual, model)
    results = project.results
    verdicts = build_verdicts(model, args.profile, audit_checks(audit), results,
                              board=audit.board, board_target=audit.board_target,
                              manual=manual)
    inputs = hash_inputs([(p, "threatmodel") for p in model_input_files(args.threatmodel)]
                         + [(path, "config")] + [(p, "results") for p in args.results]
        + ([(args.manual, "manual-checks")] if args.manual else []),
                         display_base=base)
    shown = {f.sha256: f.path for f in inputs}
    config_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    result_files = [dataclasses.replace(f, path=shown.get(f.sha256, f.path))
                    for f in (results.files if results else [])]
    build = BuildInfo(
        config=shown[config_sha], config_sha256=config_sha,
        board=audit.board, board_target=audit.board_target, arch=audit.arch,
        profile=args.profile, build_kind=audit.build_kind, tree_version=db.zephyr_version,
        tree_fingerprint=db.fingerprint, audit_counts=audit.counts, notes=audit.notes)
    files = build_report_files(model, build, verdicts, results=result_files, inputs=inputs,
                               commit=model_commit(args.threatmodel, model), created=created,
                               db=db)
    write_evidence(args.out, files)
    counts = verdicts.counts()
    threats = ", ".join(f"{n} {name}" for name, n in counts["threats"].items() if n)
    print(f"{args.out}: {', '.join(REPORT_FILES)} for {build.config} ({build.platform}); "
          f"threats: {threats}; in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    return 0


def _manual_records(path: Path | None, model: ThreatModel) -> dict[str, ManualRecord]:
    """The records given with ``--manual``; a bad file fails once, after every problem.

    Raises:
        SecguideError: the file is missing or has errors (exit 2).
    """
    if path is None:
        return {}
    require_file(path, display_path(path), what="manual-check records")
    known = {v.id for rec in model.recommendations for v in rec.verifications
             if v.kind == "manual-check"}
    records, problems = load_manual_records(path, display_path(path), known)
    if problems:
        for diagnostic in problems:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{display_path(path)}: {len(problems)} error(s) in the manual-check "
                            "records; no evidence written", exit_code=2)
    return records
