"""Evidence: the trace as files an auditor or a requirements tool can take away.

``build_evidence`` renders, in memory, from the same need items the guide shows
(:func:`secguide.trace.needs.need_items`):

* ``needs.json``: sphinx-needs' exchange format, importable with ``needimport``;
* ``traceability.csv``: one row per recommendation x setting x verification of
  it: a verification naming one setting pairs only with that setting, and the
  ``verifies`` column says whether the row's verification covers the whole
  ``recommendation`` or just the ``setting``;
* ``requirements.reqif``: ReqIF (see :mod:`secguide.evidence.reqif`);
* ``manifest.json``: tool and library versions, the Zephyr tree, and the sha256
  of every input and every other output.

``write_evidence`` then puts them in place atomically. With ``SOURCE_DATE_EPOCH``
set, the output is byte-for-byte reproducible: every timestamp is that epoch,
every list is in model or sorted order, every path is relative.

The CSV is UTF-8 *with* a byte-order mark, ``QUOTE_MINIMAL`` and CRLF line ends
(RFC 4180): without the BOM, Excel opens UTF-8 as the local code page and breaks
every non-ASCII character; LibreOffice and Python (``utf-8-sig``) accept it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from secguide import __version__
from secguide.collector import collector_paused
from secguide.diagnostics import SecguideError
from secguide.evidence.json_text import indented_json
from secguide.evidence.reqif import guide_reqif_text
from secguide.files import source_date
from secguide.model.items import ThreatModel
from secguide.spreadsheet import csv_text
from secguide.trace.needs import EXTRA_FIELDS, LINK_TYPES, NeedItem, need_items
from secguide.trace.prose import inert_for_needs
from secguide.trace.results import Outcome, Results, marked_tests, need_results, results_source
from secguide.trace.review import ReviewState
from secguide.zephyr.kconfig.symbols import SymbolDB

PROJECT = "Zephyr Security Guide"
OUTPUT_FILES = ("needs.json", "traceability.csv", "requirements.reqif", "manifest.json")
CSV_COLUMNS = (
    "recommendation", "title", "status", "review", "reviewed_by", "reviewed_on",
    "area", "setting", "symbol", "requirement",
    "verification", "verifies", "verification_kind", "verification_ref", "result", "source",
)
#: The libraries whose versions shape the evidence, for the manifest (the model is read with
#: pyyaml and judged valid by jsonschema-rs, or jsonschema for its messages).
LIBRARIES = ("sphinx", "sphinx-needs", "kconfiglib", "reqif", "pyyaml", "jsonschema",
             "jsonschema-rs")


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file the evidence was made from: its path as shown (relative) and its content hash."""

    path: str
    sha256: str
    role: str  # "threatmodel" or "results"


def evidence_time() -> dt.datetime:
    """``SOURCE_DATE_EPOCH`` if set (reproducible builds), else now; UTC, whole seconds.

    Raises:
        SecguideError: ``SOURCE_DATE_EPOCH`` is set but not a non-negative integer.
    """
    return source_date()


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_bytes(data: Any) -> bytes:
    # the text of json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return (indented_json(data) + "\n").encode()


def needs_record(item: NeedItem) -> dict[str, Any]:
    """One need as sphinx-needs writes it in needs.json (only fields it imports)."""
    record: dict[str, Any] = {
        "id": item.id,
        "type": item.type,
        "title": item.title,
        "content": item.content,
        "status": item.status,
        "tags": list(item.tags),
    }
    for link in LINK_TYPES:
        record[link.option] = list(item.links.get(link.option, ()))
    for name in EXTRA_FIELDS:
        record[name] = item.extra.get(name, "")
    return record


def needs_json(items: Sequence[NeedItem], *, version: str, created: str) -> bytes:
    """The needs.json envelope of sphinx-needs 9: one version, named after the Zephyr release.

    ``created`` and ``creator`` are written as the needs builder writes them; the
    version key is the Zephyr version the model was checked against.
    """
    needs = {item.id: needs_record(item) for item in items}
    return _json_bytes({
        "created": created,
        "current_version": version,
        "project": PROJECT,
        "versions": {version: {
            "created": created,
            "creator": {"program": "secguide", "version": __version__},
            "needs": needs,
            "needs_amount": len(needs),
        }},
    })


def traceability_rows(items: Sequence[NeedItem]) -> list[dict[str, str]]:
    """One row per recommendation x setting x verification of it, in model order.

    A setting pairs with the verifications of its whole recommendation and those
    naming that setting, never with a test of a sibling setting.

    Built from the same need items as needs.json and ReqIF, so the three agree. A
    recommendation without settings or without verifications still gets rows,
    with those columns empty, so that gaps are visible in the sheet.
    """
    by_id = {item.id: item for item in items}
    # a test shared by many recommendations lists every setting it verifies: split once
    verified_settings: dict[str, set[str]] = {}
    rows: list[dict[str, str]] = []
    for rec in (item for item in items if item.type == "recommendation"):
        settings = [by_id[i] for i in rec.links.get("implemented_by", ()) if i in by_id]
        for setting in settings or [None]:
            # a setting's own links hold only what verifies it (whole recommendation or it)
            linked = (setting or rec).links.get("verified_by", ())
            tests = [by_id[i] for i in linked if i in by_id]
            for test in tests or [None]:
                scope = ""
                if test is not None:
                    if test.id not in verified_settings:
                        verified_settings[test.id] = set(
                            test.extra.get("verifies", "").split(","))
                    scope = ("setting" if setting is not None and setting.id
                             in verified_settings[test.id] else "recommendation")
                rows.append({
                    "recommendation": rec.id,
                    "title": rec.title,
                    "status": rec.status,
                    "review": rec.extra.get("review", ""),
                    "reviewed_by": rec.extra.get("reviewed_by", ""),
                    "reviewed_on": rec.extra.get("reviewed_on", ""),
                    "area": rec.extra.get("area", ""),
                    "setting": setting.id if setting else "",
                    "symbol": setting.extra.get("symbol", "") if setting else "",
                    "requirement": setting.title if setting else "",
                    "verification": test.id if test else "",
                    "verifies": scope,
                    "verification_kind": test.extra.get("verification_kind", "") if test else "",
                    "verification_ref": test.title if test else "",
                    "result": test.extra.get("result", Outcome.NOT_RUN.value) if test else "",
                    "source": rec.extra.get("source", ""),
                })
    return rows


def traceability_csv(rows: Sequence[Mapping[str, str]]) -> bytes:
    """RFC 4180 CSV (CRLF, minimal quoting), UTF-8 with BOM (see module docstring); cells
    a spreadsheet would run as formulas are made inert."""
    return csv_text(CSV_COLUMNS, rows).encode("utf-8-sig")


def library_versions(names: Sequence[str] = LIBRARIES) -> dict[str, str]:
    """Installed versions of the libraries ``names`` ("" if one is missing)."""
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = ""
    return versions


def hash_inputs(paths: Sequence[tuple[Path, str]], *,
                display_base: Path | None = None) -> list[InputFile]:
    """``(path, role)`` pairs as :class:`InputFile`, paths relative to ``display_base``.

    A path outside ``display_base`` is shown by its name only, so that no machine
    path ends up in the evidence.

    Raises:
        SecguideError: an input file cannot be read.
    """
    base = (display_base or Path.cwd()).resolve()
    found = []
    for path, role in paths:
        try:
            data = path.read_bytes()
        except OSError as error:
            raise SecguideError(f"{path}: cannot read: {error.strerror or error}") from None
        resolved = path.resolve()
        shown = (resolved.relative_to(base).as_posix() if resolved.is_relative_to(base)
                 else path.name)
        found.append(InputFile(shown, hashlib.sha256(data).hexdigest(), role))
    return sorted(found, key=lambda f: (f.role, f.path))


def with_reviews(items: Sequence[NeedItem],
                 reviews: Mapping[str, ReviewState]) -> list[NeedItem]:
    """``items`` with the review state of each reviewable one in its extra fields.

    ``review`` is ``reviewed``, ``suspect`` (stamped, but changed since) or
    ``unreviewed``; ``reviewed_by``/``reviewed_on`` are the stamp's, kept for a
    suspect item because they say who saw which earlier version. Settings and
    tests are not reviewed on their own: their fields stay empty.
    """
    marked = []
    for item in items:
        state = reviews.get(item.id)
        if state is not None:
            stamp = state.stamp
            item = dataclasses.replace(item, extra={
                **item.extra, "review": state.status.value,
                "reviewed_by": inert_for_needs(stamp.by) if stamp else "",
                "reviewed_on": inert_for_needs(stamp.date) if stamp else ""})
        marked.append(item)
    return marked


@collector_paused
def build_evidence(model: ThreatModel, *, zephyr_version: str, tree_fingerprint: str,
                   inputs: Sequence[InputFile], results: Results | None = None,
                   created: dt.datetime | None = None,
                   model_commit: Mapping[str, Any] | None = None,
                   reviews: Mapping[str, ReviewState] | None = None,
                   db: SymbolDB | None = None) -> dict[str, bytes]:
    """Every evidence file, by name, rendered in memory (nothing is written).

    ``model_commit`` (``{"commit", "model_files_modified"}``), when given, is
    recorded in the manifest: which version of the threat model the evidence is of.
    ``reviews`` (:attr:`secguide.trace.project.Project.reviews`) puts each item's
    review state, reviewer and date into needs.json, the CSV and ReqIF. ``db`` (the
    tree) puts its Kconfig facts in place of the prose's fact roles, as the guide does.

    Raises:
        SecguideError: ``SOURCE_DATE_EPOCH`` is malformed.
    """
    stamp = _iso(created or evidence_time())
    outcomes = need_results(model, results)
    items = need_items(model, zephyr_version, results=outcomes, marked=marked_tests(results),
                       marked_source=results_source(results), db=db)
    if reviews is not None:
        items = with_reviews(items, reviews)
    files = {
        "needs.json": needs_json(items, version=zephyr_version, created=stamp),
        "traceability.csv": traceability_csv(traceability_rows(items)),
        "requirements.reqif": guide_reqif_text(items, title=PROJECT, created=stamp).encode(),
    }
    manifest = {
        "tool": {"name": "secguide", "version": __version__},
        "libraries": library_versions(),
        "created": stamp,
        "zephyr": {"version": zephyr_version, "tree_fingerprint": tree_fingerprint},
        "results_evaluated": results is not None,
        **({"model": dict(model_commit)} if model_commit is not None else {}),
        "inputs": [{"path": f.path, "role": f.role, "sha256": f.sha256} for f in inputs],
        "outputs": [{"path": name, "sha256": hashlib.sha256(data).hexdigest()}
                    for name, data in sorted(files.items())],
    }
    files["manifest.json"] = _json_bytes(manifest)
    return files


def _refuse_foreign_folder(out_dir: Path) -> None:
    """Refuse to replace a folder secguide did not write (``--out .``, ``--out threatmodel``).

    The folder is replaced as a whole, so it must be empty or look like evidence:
    a ``manifest.json`` and files only.
    """
    if not out_dir.is_dir():
        return
    entries = list(out_dir.iterdir())
    if entries and (not (out_dir / "manifest.json").is_file()
                    or any(entry.is_dir() for entry in entries)):
        raise SecguideError(f"{out_dir}: not an evidence folder (it holds other files or "
                            "folders, and would be replaced as a whole); give a new or "
                            "empty folder", exit_code=2)


def write_evidence(out_dir: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` into ``out_dir`` so that readers see the old set or the new one.

    Everything goes into a temporary sibling folder first; only when all files
    are written is the old folder swapped out and the new one renamed into place.
    A failure before the swap leaves the previous evidence untouched.

    Raises:
        SecguideError: ``out_dir`` exists and is not a folder, or writing fails.
    """
    out_dir = Path(os.path.abspath(out_dir))
    if out_dir.exists() and not out_dir.is_dir():
        raise SecguideError(f"{out_dir}: exists and is not a folder")
    _refuse_foreign_folder(out_dir)
    parent = out_dir.parent
    try:
        parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".new", dir=parent))
    except OSError as error:
        raise SecguideError(f"{parent}: cannot create the output folder: "
                            f"{error.strerror or error}") from None
    try:
        for name, data in sorted(files.items()):
            with open(staging / name, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        staging.chmod(0o755)
        if out_dir.exists():
            retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".old",
                                            dir=parent))
            os.replace(out_dir, retired / "evidence")
            try:
                os.replace(staging, out_dir)
            except OSError:
                os.replace(retired / "evidence", out_dir)
                raise
            shutil.rmtree(retired, ignore_errors=True)
        else:
            os.replace(staging, out_dir)
    except OSError as error:
        raise SecguideError(f"{out_dir}: writing the evidence failed, previous evidence "
                            f"kept: {error.strerror or error}") from None
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
