"""A product's threat model on top of the real guide (tests/fixtures/product-model).

The example adds a threat and a recommendation, waives one guide recommendation
(REC-DBG-LOG) and overrides another (REC-DBG-THREAD-INFO: the product keeps thread
names). Every output must say which items came from the guide, with its version, and
which from the product; an override is never silent; when the guide item a product
decided on changes, ``check`` names it.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from product_fixtures import BUILD, EXAMPLE, GUIDE_VERSION, REPO, guide_fingerprints, record
from secguide.cli.main import main
from secguide.zephyr.kconfig.symbols import SymbolDB


@pytest.fixture
def product(tmp_path: Path, db_v4: SymbolDB, zephyr_v4_path: Path,
            monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example with its fingerprints recorded, as the working directory."""
    folder = tmp_path / "product"
    shutil.copytree(EXAMPLE, folder / "threatmodel")
    record(folder / "threatmodel" / "extends.yaml", guide_fingerprints(db_v4))
    monkeypatch.chdir(folder)
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    return folder


def _check_json(capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, dict]:
    code = main(["check", "--format", "json", *extra])
    return code, json.loads(capsys.readouterr().out)


def test_check_names_every_items_origin(product: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    code, data = _check_json(capsys, "--strict")
    errors = [d for d in data["diagnostics"] if d["severity"] != "note"]
    assert code == 0, errors
    assert data["product"]["guide"] == GUIDE_VERSION
    origins = data["product"]["origins"]
    assert origins["THR-PRD-MOTOR-OVERDRIVE"] == "product"
    assert origins["REC-PRD-NO-STEPPER-SHELL"] == "product"
    assert origins["REC-DBG-THREAD-INFO"] == "override"
    assert origins["REC-DBG-LOG"] == "guide"
    assert origins["THR-STACK-OVERFLOW"] == "guide"
    assert set(origins.values()) == {"guide", "product", "override"}
    (note,) = [d for d in data["diagnostics"] if d["code"] == "guide-override"]
    # the override names both places: the product's item and the guide's
    assert (note["path"], note["line"]) == ("threatmodel/recommendations.yaml", 18)
    assert "guide:threatmodel/recommendations/debug-exposure.yaml:" in note["message"]
    assert "threatmodel/extends.yaml:" in note["message"]


def test_an_undeclared_override_is_an_error(product: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    extends = product / "threatmodel" / "extends.yaml"
    extends.write_text(extends.read_text().split("overrides:")[0])
    code, data = _check_json(capsys)
    assert code == 1
    (error,) = [d for d in data["diagnostics"] if d["code"] == "undeclared-override"]
    assert error["path"] == "threatmodel/recommendations.yaml" and error["line"] == 18
    assert "REC-DBG-THREAD-INFO replaces the guide's item at guide:threatmodel/" \
           "recommendations/debug-exposure.yaml:" in error["message"]


def test_unrecorded_fingerprints_are_named_with_their_value(
        tmp_path: Path, db_v4: SymbolDB, zephyr_v4_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    shutil.copytree(EXAMPLE, tmp_path / "threatmodel")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))
    code, data = _check_json(capsys, "--strict")
    assert code == 1
    found = {d["message"].split("fingerprint: ")[1].split("'")[0]
             for d in data["diagnostics"] if d["code"] == "unrecorded-guide-fingerprint"}
    assert found == set(guide_fingerprints(db_v4).values())


def test_check_names_guide_items_that_changed_since(
        tmp_path: Path, db_v4: SymbolDB, zephyr_v4_path: Path,
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """A new guide version edits the waived recommendation: the waiver is named, the
    override (whose guide item did not change) is not."""
    old_guide = tmp_path / "guide-v1" / "threatmodel"
    shutil.copytree(REPO / "threatmodel", old_guide)
    new_guide = tmp_path / "guide-v2" / "threatmodel"
    shutil.copytree(REPO / "threatmodel", new_guide)
    recs = new_guide / "recommendations" / "debug-exposure.yaml"
    text = recs.read_text()
    assert text.count("id: REC-DBG-LOG\n    title: ") == 1
    recs.write_text(text.replace("id: REC-DBG-LOG\n    title: ",
                                 "id: REC-DBG-LOG\n    title: Really, "))
    product = tmp_path / "product"
    shutil.copytree(EXAMPLE, product / "threatmodel")
    extends = product / "threatmodel" / "extends.yaml"
    extends.write_text(extends.read_text().replace("extends: guide", "extends: ../../guide-v1"))
    record(extends, guide_fingerprints(db_v4, old_guide))
    monkeypatch.chdir(product)
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))
    code, data = _check_json(capsys, "--strict")
    assert code == 0, [d for d in data["diagnostics"] if d["severity"] != "note"]
    extends.write_text(extends.read_text().replace("../../guide-v1", "../../guide-v2"))
    code, data = _check_json(capsys, "--strict")
    assert code == 1
    changed = [d for d in data["diagnostics"] if d["code"] == "guide-item-changed"]
    assert [d["message"].split(" ")[0] for d in changed] == ["REC-DBG-LOG"]
    assert changed[0]["path"] == "threatmodel/extends.yaml"
    assert data["product"]["guide"].startswith("../../guide-v2, model sha256:")


@pytest.mark.parametrize(("edit", "message"), [
    ("select: [REC-NO-SUCH-THING]\n", "selects REC-NO-SUCH-THING, which is not a recommendation"),
    ("waivers:\n  - recommendation: REC-PRD-NO-STEPPER-SHELL\n    reason: r\n"
     "    approver: a\n    expires: 2099-01-01\n",
     "waives REC-PRD-NO-STEPPER-SHELL, which is not a recommendation of the guide"),
])
def test_tailoring_names_only_guide_items(product: Path, capsys: pytest.CaptureFixture[str],
                                          edit: str, message: str) -> None:
    extends = product / "threatmodel" / "extends.yaml"
    text = extends.read_text().split("waivers:")[0]
    extends.write_text(text + edit)
    code, data = _check_json(capsys)
    assert code == 1
    assert any(d["code"] == "unknown-guide-item" and message in d["message"]
               for d in data["diagnostics"])


def test_extending_nothing_is_one_line(product: Path, capsys: pytest.CaptureFixture[str]) -> None:
    extends = product / "threatmodel" / "extends.yaml"
    extends.write_text(extends.read_text().replace("extends: guide", "extends: ../nowhere"))
    assert main(["check"]) == 2
    err = capsys.readouterr().err
    assert err == ("secguide: error: threatmodel/extends.yaml: extends: ../nowhere: no such "
                   "folder (a guide folder holding threatmodel/, or a threat-model folder)\n")


def test_audit_takes_the_products_tailoring(product: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(BUILD), "--format", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["product"] == {"name": "Stepper motor controller", "guide": GUIDE_VERSION,
                               "profile": "strict"}
    (build,) = data["builds"]
    assert build["profile"] == "strict"  # the product's profile, not given on the line
    by_rec: dict[str, list[dict]] = {}
    for result in build["results"]:
        by_rec.setdefault(result["id"], []).append(result)
    (log,) = by_rec["REC-DBG-LOG"]
    assert (log["result"], log["item_origin"]) == ("WAIVED", "guide")
    assert log["waiver"]["approver"] == "Jane Doe (product security)"
    # the override checks the thread list only: thread names stay on
    assert [(r["symbol"], r["result"], r["item_origin"]) for r in by_rec["REC-DBG-THREAD-INFO"]
            ] == [("CONFIG_THREAD_MONITOR", "FAIL", "override")]
    assert [r["item_origin"] for r in by_rec["REC-PRD-NO-STEPPER-SHELL"]] == ["product"]
    assert {r["item_origin"] for r in build["results"]} == {"guide", "product", "override"}


def test_audit_text_names_the_guide_version(product: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["audit", str(BUILD)]) == 1
    out = capsys.readouterr().out
    assert out.startswith("threat model: product model 'Stepper motor controller' extends "
                          f"the guide of {GUIDE_VERSION}:")
    waived = out.split("  WAIVED (")[1].split("\n\n")[0]
    failing = out.split("  FAIL (")[1].split("\n\n")[0]
    assert "    REC-DBG-LOG [guide] CONFIG_LOG: expected n, actual y" in waived
    assert "    REC-DBG-THREAD-INFO [override] CONFIG_THREAD_MONITOR" in failing


def test_evidence_shows_each_origin(product: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evidence", str(BUILD), "--out", "evidence"]) == 0
    out = product / "evidence"
    data = json.loads((out / "evidence.json").read_text())
    assert data["product"]["guide"] == GUIDE_VERSION
    recs = {r["id"]: r for r in data["recommendations"]}
    assert recs["REC-DBG-LOG"]["verdict"] == "deviation accepted by a product waiver"
    assert recs["REC-DBG-LOG"]["origin"] == f"guide ({GUIDE_VERSION})"
    assert recs["REC-DBG-THREAD-INFO"]["origin"] == "override"
    assert recs["REC-PRD-NO-STEPPER-SHELL"]["origin"] == "product"
    threats = {t["id"]: t for t in data["threats"]}
    assert threats["THR-PRD-MOTOR-OVERDRIVE"]["origin"] == "product"
    assert threats["THR-STACK-OVERFLOW"]["origin"] == f"guide ({GUIDE_VERSION})"
    assert all("origin" in c for c in data["clauses"])
    rows = list(csv.DictReader(io.StringIO((out / "verdicts.csv").read_text("utf-8-sig"))))
    origin_of = {row["id"]: row["origin"] for row in rows}
    assert origin_of["REC-DBG-THREAD-INFO/CONFIG_THREAD_MONITOR"] == "override"
    assert origin_of["THR-PRD-MOTOR-OVERDRIVE"] == "product"
    needs = json.loads((out / "needs.json").read_text())
    (version,) = needs["versions"].values()
    assert version["needs"]["REC-PRD-NO-STEPPER-SHELL"]["origin"] == "product"
    assert version["needs"]["TEST-AUDIT-PRD-NO-STEPPER-SHELL"]["origin"] == "product"
    assert version["needs"]["REC-DBG-LOG"]["origin"] == f"guide ({GUIDE_VERSION})"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["model"]["guide"] == GUIDE_VERSION
    assert manifest["model"]["product"] == "Stepper motor controller"
    roles = {i["path"]: i["role"] for i in manifest["inputs"]}
    assert roles["threatmodel/extends.yaml"] == "threatmodel"
    html = (out / "report.html").read_text()
    assert "from the product" in html and "from the override" in html
    assert f"extends the guide of {GUIDE_VERSION}" in html


def test_export_needs_carry_origins(product: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", "--out", "export"]) == 0
    needs = json.loads((product / "export" / "needs.json").read_text())
    (version,) = needs["versions"].values()
    origins = {need["origin"] for need in version["needs"].values()}
    assert origins == {f"guide ({GUIDE_VERSION})", "product", "override"}
    assert version["needs"]["SET-DBG-THREAD-INFO-THREAD-MONITOR"]["origin"] == "override"


def test_an_expired_product_waiver_no_longer_waives(product: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    extends = product / "threatmodel" / "extends.yaml"
    extends.write_text(extends.read_text().replace("expires: 2099-12-31", "expires: 2026-01-31"))
    assert main(["audit", str(BUILD), "--format", "json", "--date", "2026-02-01"]) == 1
    (build,) = json.loads(capsys.readouterr().out)["builds"]
    (log,) = [r for r in build["results"] if r["id"] == "REC-DBG-LOG"]
    assert log["result"] == "FAIL"
    assert "expired on 2026-01-31" in log["reason"]
