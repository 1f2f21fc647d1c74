"""Evidence for one product build: the assessor's report and the machine files.

:func:`build_report_files` renders, in memory, from one build's
:class:`~secguide.trace.build_verdicts.BuildVerdicts`:

* ``report.html`` (jinja2, autoescaped: every text from YAML, ``.config`` and
  result files is inert) and ``report.pdf`` (fpdf2, core fonts);
* ``evidence.json`` and ``verdicts.csv`` (one row per threat, clause, setting);
* ``needs.json`` and ``requirements.reqif`` (typed objects) whose ``result``
  fields carry this build's verdicts, not the guide's;
* ``manifest.json``: sha256 of the ``.config``, the result files and the model
  files, the tree fingerprint, tool and library versions, and the git commit of
  the model.

With ``SOURCE_DATE_EPOCH`` set, every file is byte-identical from run to run.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from secguide import __version__
from secguide.evidence.export import InputFile, _iso, _json_bytes, library_versions, needs_json
from secguide.evidence.reqif import typed_reqif_text
from secguide.model.guide_package import guide_of
from secguide.model.items import Standard, ThreatModel
from secguide.model.product_items import ProductInfo
from secguide.spreadsheet import csv_text
from secguide.trace.build_verdicts import (
    BuildVerdicts,
    ClauseResult,
    EvidenceVerdict,
    RecommendationResult,
    ThreatResult,
)
from secguide.trace.needs import NeedItem, need_items, setting_id
from secguide.trace.results import ResultFile
from secguide.zephyr.kconfig.symbols import SymbolDB

PROJECT = "Zephyr Security Guide: evidence for one build"
REPORT_FILES = ("report.html", "report.pdf", "evidence.json", "verdicts.csv", "needs.json",
                "requirements.reqif", "manifest.json")
#: Libraries whose versions shape these files, for the manifest.
LIBRARIES = ("kconfiglib", "pyyaml", "jsonschema", "jsonschema-rs", "jinja2", "fpdf2", "reqif",
             "sphinx-needs")
CSV_COLUMNS = ("kind", "id", "title", "verdict", "detail", "source")


@dataclass(frozen=True, slots=True)
class ProductIdentity:
    """The product declaration the evidence weighed: who claims what, in which file."""

    name: str
    version: str
    path: str
    sha256: str
    responsibilities: int
    manual_checks: int
    waivers: int


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """What the audit knew about the build, as the report shows it."""

    config: str  # the .config as shown (relative or file name only)
    config_sha256: str
    board: str | None
    board_target: str | None
    arch: str | None
    profile: str
    build_kind: str
    tree_version: str
    tree_fingerprint: str
    audit_counts: Mapping[str, int]
    notes: tuple[str, ...] = ()
    #: the build's Zephyr release in words, and where it was read
    release: str = "not known"
    product: ProductIdentity | None = None

    @property
    def platform(self) -> str:
        return self.board_target or self.board or "unknown platform"


def _environment() -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.PackageLoader("secguide", "templates"),
                              autoescape=True, undefined=jinja2.StrictUndefined,
                              keep_trailing_newline=True)


def render_html(build: BuildInfo, verdicts: BuildVerdicts, results: Sequence[ResultFile],
                model: ThreatModel, created: str) -> bytes:
    page = _environment().get_template("evidence_report.html.j2").render(
        build=build, verdicts=verdicts, results=results, counts=verdicts.counts(),
        sections=report_sections(verdicts, model), created=created,
        responsibilities={r.id: r for r in model.responsibilities},
        product=model.product)
    return page.encode("utf-8")


@dataclass(frozen=True, slots=True)
class ReportSections:
    """The verdicts in the order an assessor reads them: what applies, then what does not."""

    not_assessed: tuple[ThreatResult | ClauseResult | RecommendationResult, ...]
    threats: tuple[ThreatResult, ...]
    clauses_by_standard: tuple[tuple[Standard, tuple[ClauseResult, ...]], ...]
    not_applicable_threats: tuple[ThreatResult, ...]
    not_applicable_clauses: tuple[ClauseResult, ...]
    open_responsibilities: tuple[str, ...]


def report_sections(verdicts: BuildVerdicts, model: ThreatModel) -> ReportSections:
    def applies(result: ThreatResult | ClauseResult) -> bool:
        return result.verdict is not EvidenceVerdict.NOT_APPLICABLE
    return ReportSections(
        not_assessed=tuple(r for r in (*verdicts.threats, *verdicts.clauses,
                                       *verdicts.recommendations)
                           if r.verdict is EvidenceVerdict.NOT_ASSESSED),
        threats=tuple(t for t in verdicts.threats if applies(t)),
        clauses_by_standard=tuple(
            (s, tuple(c for c in verdicts.clauses if c.standard.id == s.id and applies(c)))
            for s in model.standards),
        not_applicable_threats=tuple(t for t in verdicts.threats if not applies(t)),
        not_applicable_clauses=tuple(c for c in verdicts.clauses if not applies(c)),
        open_responsibilities=tuple(i for i in verdicts.open_items() if i.startswith("RESP-")))


# -- machine files -------------------------------------------------------------------------

def verdict_rows(verdicts: BuildVerdicts) -> list[dict[str, str]]:
    rows = [{"kind": "threat", "id": t.threat.id, "title": t.threat.title,
             "verdict": t.verdict.value, "detail": t.why, "source": str(t.threat.loc)}
            for t in verdicts.threats]
    rows += [{"kind": "asset", "id": a.asset.id, "title": a.asset.title,
              "verdict": a.verdict.value, "detail": a.why, "source": str(a.asset.loc)}
             for a in verdicts.assets]
    rows += [{"kind": "result file", "id": u.file.path, "title": u.file.zephyr_version,
              "verdict": u.use.value, "detail": u.reason, "source": u.file.path}
             for u in verdicts.result_files]
    rows += [{"kind": "clause", "id": c.clause.id,
              "title": f"{c.standard.name} {c.clause.clause} {c.clause.title}",
              "verdict": c.verdict.value, "detail": c.why, "source": str(c.clause.loc)}
             for c in verdicts.clauses]
    for r in verdicts.recommendations:
        rows.append({"kind": "recommendation", "id": r.recommendation.id,
                     "title": r.recommendation.title, "verdict": r.verdict.value,
                     "detail": r.why, "source": str(r.recommendation.loc)})
        rows += [{"kind": "setting", "id": f"{r.recommendation.id}/{s.symbol}",
                  "title": f"{s.symbol} expected {s.expected}", "verdict": s.verdict,
                  "detail": s.reason, "source": str(r.recommendation.loc)}
                 for s in r.settings]
    return rows


def verdicts_csv(rows: Sequence[Mapping[str, str]]) -> bytes:
    """RFC 4180, UTF-8 with BOM, like ``traceability.csv``; formula cells made inert; a
    product model's rows end with their item's ``origin``."""
    columns = (*CSV_COLUMNS, "origin") if rows and "origin" in rows[0] else CSV_COLUMNS
    return csv_text(columns, rows).encode("utf-8-sig")


def _with_origins(data: dict[str, Any], product: ProductInfo | None) -> dict[str, Any]:
    """A product model's verdicts: the product and its guide, and each item's ``origin``."""
    if product is None:
        return data
    lists = {name: [{**entry, "origin": product.origin_text(entry["id"])}
                    for entry in data[name]]
             for name in ("recommendations", "threats", "assets", "clauses")}
    return {"product": {"name": product.name, "guide": product.guide_version,
                        "profile": product.profile}, **data, **lists}


def _rows_with_origins(rows: list[dict[str, str]],
                       product: ProductInfo | None) -> list[dict[str, str]]:
    if product is None:
        return rows
    return [{**row, "origin": product.origin_text(row["id"].split("/", 1)[0])} for row in rows]


def build_need_items(model: ThreatModel, verdicts: BuildVerdicts,
                     zephyr_version: str, db: SymbolDB | None = None) -> list[NeedItem]:
    """The model's needs with ``result`` fields saying what this build showed."""
    outcomes = {t.id: t.outcome for r in verdicts.recommendations for t in r.tests}
    recs = {r.recommendation.id: r for r in verdicts.recommendations}
    for rec_id, r in recs.items():
        audit_id = f"TEST-AUDIT-{rec_id.removeprefix('REC-')}"
        failing = [s for s in r.settings if s.verdict not in ("PASS", "NOT-APPLICABLE")]
        outcomes[audit_id] = (f"{failing[0].verdict} for {failing[0].symbol}" if failing
                              else EvidenceVerdict.NOT_APPLICABLE.value if not r.settings
                              or r.verdict is EvidenceVerdict.NOT_APPLICABLE
                              else "passed (build audit)")
    results: dict[str, str] = {}
    for rec in model.recommendations:
        r = recs.get(rec.id)
        if r is not None:
            results[rec.id] = r.verdict.value
            for setting in rec.settings:
                check = next((s for s in r.settings if s.symbol == setting.config_name), None)
                if check is not None:
                    results[setting_id(rec, setting)] = check.verdict
    results.update({t.threat.id: t.verdict.value for t in verdicts.threats})
    results.update({a.asset.id: a.verdict.value for a in verdicts.assets})
    results.update({c.clause.id: c.verdict.value for c in verdicts.clauses})
    items = []
    for item in need_items(model, zephyr_version, outcomes, db=db):
        value = results.get(item.id) or (outcomes.get(item.id) if item.type == "test" else None)
        if item.type == "test" and value is None:
            value = "not evidence for this build"
        if value is not None:
            item = dataclasses.replace(item, extra={**item.extra, "result": value})
        items.append(item)
    return items


def model_commit(threatmodel_dir: Path, model: ThreatModel | None = None) -> dict[str, Any]:
    """The git commit of the model and whether its files differ from it ("" outside git).

    The guide installed with secguide also names its version (package version and
    model digest); its packaged copy has no repository of its own, so git is not asked
    (a virtual environment inside a product's repository would name the product's commit).
    A product model (``model``) names the product and the guide it extends.
    """
    guide = guide_of(threatmodel_dir)
    version = {"guide": guide.version} if guide is not None else {}
    if model is not None and model.product is not None:  # a product model: which guide
        version = {"product": model.product.name, "guide": model.product.guide_version}
    if guide is not None and guide.packaged:
        return {"commit": "", "model_files_modified": False, **version}

    def git(*args: str) -> str:
        try:
            done = subprocess.run(["git", "-C", str(threatmodel_dir), *args],
                                  capture_output=True, text=True, timeout=20, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "HEAD")
    changed = git("status", "--porcelain", "--", ".") if commit else ""
    return {"commit": commit, "model_files_modified": bool(changed), **version}


def _render_pdf(build: BuildInfo, verdicts: BuildVerdicts, model: ThreatModel,
                created: dt.datetime) -> bytes:
    # fpdf2 takes about 0.6 s to import: only the command that writes a PDF pays for it.
    from secguide.evidence.build_report_pdf import render_pdf

    return render_pdf(build, verdicts, model, created)


def _product(build: BuildInfo) -> dict[str, Any] | None:
    """The declaration's identity for the machine files (None: no declaration given)."""
    return dataclasses.asdict(build.product) if build.product else None


def build_report_files(model: ThreatModel, build: BuildInfo, verdicts: BuildVerdicts, *,
                       results: Sequence[ResultFile], inputs: Sequence[InputFile],
                       commit: Mapping[str, Any], created: dt.datetime,
                       db: SymbolDB | None = None) -> dict[str, bytes]:
    """Every file of one build's evidence, by name, rendered in memory (``db``, the tree,
    states its Kconfig facts where the prose has fact roles, as the guide does)."""
    stamp = _iso(created)
    items = build_need_items(model, verdicts, build.tree_version, db)
    files = {
        "report.html": render_html(build, verdicts, results, model, stamp),
        "report.pdf": _render_pdf(build, verdicts, model, created),
        "evidence.json": _json_bytes({
            "build": {"config": build.config, "sha256": build.config_sha256,
                      "board": build.board, "board_target": build.board_target,
                      "arch": build.arch, "profile": build.profile,
                      "build_kind": build.build_kind, "zephyr_release": build.release,
                      "audit": dict(build.audit_counts), "notes": list(build.notes)},
            "declaration": _product(build),
            "created": stamp, **_with_origins(verdicts.as_dict(), model.product)}),
        "verdicts.csv": verdicts_csv(_rows_with_origins(verdict_rows(verdicts), model.product)),
        "needs.json": needs_json(items, version=build.tree_version, created=stamp),
        "requirements.reqif": typed_reqif_text(items, title=PROJECT, created=stamp).encode(),
    }
    use = {u.file.path: u.use.value for u in verdicts.result_files}
    manifest = {
        "tool": {"name": "secguide", "version": __version__},
        "libraries": library_versions(LIBRARIES),
        "created": stamp,
        "zephyr": {"version": build.tree_version, "tree_fingerprint": build.tree_fingerprint},
        "model": dict(commit),
        "build": {"config": build.config, "sha256": build.config_sha256,
                  "profile": build.profile, "zephyr_release": build.release},
        "declaration": _product(build),
        "results": [{"path": f.path, "format": f.format, "sha256": f.sha256,
                     "zephyr_version": f.zephyr_version, "use": use.get(f.path, "")}
                    for f in results],
        "not_counted": list(verdicts.excluded),
        "inputs": [{"path": f.path, "role": f.role, "sha256": f.sha256} for f in inputs],
        "outputs": [{"path": name, "sha256": hashlib.sha256(data).hexdigest()}
                    for name, data in sorted(files.items())],
    }
    files["manifest.json"] = _json_bytes(manifest)
    return files
