"""``secguide evidence BUILD``: an assessor's evidence folder for one product build."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from secguide.cli.common import add_threatmodel_option, add_tree_options
from secguide.diagnostics import Diagnostic, SecguideError, Severity, display_path, resolved
from secguide.evidence.build_report import (
    REPORT_FILES,
    BuildInfo,
    ProductIdentity,
    build_report_files,
    model_commit,
)
from secguide.evidence.export import InputFile, evidence_time, hash_inputs, write_evidence
from secguide.input_limits import require_file
from secguide.model.items import ThreatModel
from secguide.model.manual_records import ManualRecord, load_manual_records
from secguide.model.product import ProductDeclaration, load_product
from secguide.model.product_model import model_input_files
from secguide.trace.build_verdicts import audit_checks, build_verdicts
from secguide.trace.engine import (
    BUILD_KINDS,
    DEFAULT_PROFILE,
    EngineRequest,
    RuleChoice,
    profile_for,
)
from secguide.trace.product_build import build_release, declaration_mismatches
from secguide.trace.project import Project
from secguide.trace.results import shown_as
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
    evidence.add_argument("--product", metavar="FILE", type=Path,
                          help="the product's declaration (product.yaml: name, version, board "
                               "target, Zephyr release, profile, responsibilities fulfilled, "
                               "manual-check records, waivers); 'secguide product init BUILD' "
                               "writes a starting file. Without it, every product item is open")
    evidence.add_argument("--manual", metavar="FILE", type=Path,
                          help="records of the guide's manual checks performed on this build "
                               "(YAML: manual_checks: [{id, by, date, outcome, note}])")
    evidence.add_argument("--profile",
                          help="the guide profile the build claims (default: the "
                               f"declaration's, else a product model's, else {DEFAULT_PROFILE}, "
                               "as audit)")
    evidence.add_argument("--build-kind", choices=BUILD_KINDS, default="production",
                          help="recommendations limited to one kind of build apply "
                               "accordingly (default: production, as audit)")
    evidence.add_argument("--zephyr-version", metavar="RELEASE",
                          help="the build's Zephyr release (4.2.0, or git describe: "
                               "v4.2.0-2572-g04dfa77d372d); default: the declaration's, else "
                               "the build folder's version.h (as audit). Results count only "
                               "when they ran this release")
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
    # The project compares results with the guide's tree; for a build's evidence they
    # are compared with the build's own release below, so those findings are not errors.
    errors = [d for d in project.findings(Severity.ERROR)
              if d not in project.result_diagnostics]
    if errors:
        for diagnostic in errors:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{len(errors)} error(s) in the threat model: no evidence written "
                            f"({args.out} left as it was)", exit_code=1)
    model, db = project.model, project.db
    path = config_path(args.build)
    declaration = _declaration(args.product, model)
    profile = profile_for(model, args.profile or (declaration.profile if declaration else None))
    if profile not in [p.name for p in model.profiles]:
        known = ", ".join(p.name for p in model.profiles)
        raise SecguideError(f"--profile {profile}: not a profile of the model; "
                            f"known: {known}", exit_code=2)
    config = read_dotconfig(path)
    if config.is_sysbuild:
        raise SecguideError(f"{display_path(path)}: a sysbuild top-level .config (SB_CONFIG_*) "
                            "sets no application options; give the image's build folder "
                            "(build/<image>) or its zephyr/.config", exit_code=2)
    engine = EngineRequest(choice=RuleChoice(profile=profile), today=created.date(),
                           waivers=declaration.waivers if declaration else (),
                           build_kind=args.build_kind, zephyr_version=args.zephyr_version,
                           ).engine(model, db, project.tree.root)
    audit = engine.judge(config, config_path=path)
    release = build_release(args.zephyr_version, declaration, path)
    bad_lines = audit.input_errors
    if bad_lines:
        for diagnostic in bad_lines:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{display_path(path)}: {len(bad_lines)} malformed line(s); "
                            "no evidence written", exit_code=2)
    if declaration is not None:
        _refuse(declaration_mismatches(declaration, board=audit.board,
                                       board_target=audit.board_target,
                                       version_h=release.version_h,
                                       config_shown=display_path(path)),
                declaration.path, "the product declaration does not describe this build")
    manual = {**(declaration.manual if declaration else {}),
              **_manual_records(args.manual, model)}
    inputs = hash_inputs([(p, "threatmodel") for p in model_input_files(args.threatmodel)]
                         + [(path, "config")] + [(p, "results") for p in args.results]
                         + ([(args.manual, "manual-checks")] if args.manual else [])
                         + ([(args.product, "product-declaration")] if args.product else []),
                         display_base=base)
    shown = {f.sha256: f.path for f in inputs}
    results = shown_as(project.results, shown) if project.results else None
    verdicts = build_verdicts(model, profile, audit_checks(audit), results,
                              board=audit.board, board_target=audit.board_target,
                              arch=audit.arch, build_kind=audit.build_kind,
                              build_release=release.text, manual=manual,
                              fulfilled=declaration.responsibilities if declaration else {})
    config_sha = hashlib.sha256(path.read_bytes()).hexdigest()
    result_files = results.files if results else []
    build = BuildInfo(
        config=shown[config_sha], config_sha256=config_sha,
        board=audit.board, board_target=audit.board_target, arch=audit.arch,
        profile=profile, build_kind=audit.build_kind, tree_version=db.zephyr_version,
        tree_fingerprint=db.fingerprint, audit_counts=audit.counts, notes=audit.notes,
        release=release.words(), product=_product_identity(declaration, args.product, inputs))
    files = build_report_files(model, build, verdicts, results=result_files, inputs=inputs,
                               commit=model_commit(args.threatmodel, model), created=created,
                               db=db)
    write_evidence(args.out, files)
    for line in verdicts.excluded:
        print(f"{display_path(args.out)}: {line}", file=sys.stderr)
    counts = verdicts.counts()
    threats = ", ".join(f"{n} {name}" for name, n in counts["threats"].items() if n)
    print(f"{args.out}: {', '.join(REPORT_FILES)} for {build.config} ({build.platform}); "
          f"threats: {threats}; in {time.perf_counter() - started:.2f} s", file=sys.stderr)
    if verdicts.results_of_another_release:
        print(f"{args.out}: results of another or an unknown Zephyr release were given; "
              "they are shown in the pack and counted nowhere (exit 1)", file=sys.stderr)
        return 1
    return 0


def _refuse(problems: Sequence[Diagnostic], shown: str, what: str) -> None:
    """Print every problem and stop with exit 2 when there is any."""
    if problems:
        for diagnostic in problems:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{shown}: {what}; no evidence written", exit_code=2)


def _declaration(path: Path | None, model: ThreatModel) -> ProductDeclaration | None:
    """The ``--product`` declaration; a bad file fails once, after every problem.

    Raises:
        SecguideError: the file is missing or has errors (exit 2).
    """
    if path is None:
        return None
    shown = display_path(path)
    require_file(path, shown, what="product declaration")
    declaration, problems = load_product(
        path, shown, responsibilities={r.id for r in model.responsibilities},
        manual_checks=_manual_check_ids(model), profiles={p.name for p in model.profiles})
    _refuse(problems, shown, f"{len(problems)} error(s) in the product declaration")
    return declaration


def _manual_check_ids(model: ThreatModel) -> set[str]:
    return {v.id for rec in model.recommendations for v in rec.verifications
            if v.kind == "manual-check"}


def _product_identity(declaration: ProductDeclaration | None, path: Path | None,
                      inputs: list[InputFile]) -> ProductIdentity | None:
    if declaration is None or path is None:
        return None
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    shown = next((f.path for f in inputs if f.sha256 == digest), declaration.path)
    return ProductIdentity(declaration.name, declaration.version, shown, digest,
                           len(declaration.responsibilities), len(declaration.manual),
                           len(declaration.waivers))


def _manual_records(path: Path | None, model: ThreatModel) -> dict[str, ManualRecord]:
    """The records given with ``--manual``; a bad file fails once, after every problem.

    Raises:
        SecguideError: the file is missing or has errors (exit 2).
    """
    if path is None:
        return {}
    require_file(path, display_path(path), what="manual-check records")
    records, problems = load_manual_records(path, display_path(path), _manual_check_ids(model))
    if problems:
        for diagnostic in problems:
            print(diagnostic, file=sys.stderr)
        raise SecguideError(f"{display_path(path)}: {len(problems)} error(s) in the manual-check "
                            "records; no evidence written", exit_code=2)
    return records
