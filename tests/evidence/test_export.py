"""Evidence export: round trips (CSV, ReqIF, needs.json via needimport), determinism, atomicity."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
from pathlib import Path

import pytest
from reqif.parser import ReqIFParser

from secguide.cli.main import main
from secguide.diagnostics import SecguideError
from secguide.evidence.export import (
    CSV_COLUMNS,
    OUTPUT_FILES,
    InputFile,
    build_evidence,
    hash_inputs,
    write_evidence,
)
from secguide.evidence.reqif import object_identifier
from secguide.trace.needs import EXTRA_FIELDS, LINK_TYPES, need_items
from secguide.trace.results import load_results, marked_tests
from secguide.trace.verification_ids import guide_check_id, target_test_id
from trace_fixtures import small_model

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parents[1] / "fixtures" / "results"
STACKPROT = target_test_id("kernel.memory_protection.stackprot")


@pytest.fixture
def evidence(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    results = load_results([RESULTS / "twister.json", RESULTS / "pytest-junit.xml"])
    return build_evidence(small_model(), zephyr_version="4.2.99", tree_fingerprint="f" * 64,
                          inputs=[InputFile("threatmodel/x.yaml", "0" * 64, "threatmodel")],
                          results=results)


def test_csv_round_trip(evidence: dict[str, bytes]) -> None:
    data = evidence["traceability.csv"]
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == CSV_COLUMNS
    # canaries: 1 setting x (2 listed verifications + test_canaries_set, which marks itself
    # verifies(REC-SP-CANARIES)); guard: 2 settings x (its listed test_canaries_set + the
    # failing test_sentinel[arm] marked verifies(REC-SP-GUARD)); bare: one row of gaps
    assert [(r["recommendation"], r["symbol"], r["verification_kind"], r["result"])
            for r in rows] == [
        ("REC-SP-CANARIES", "CONFIG_STACK_CANARIES", "target-test", "failed on qemu_x86"),
        ("REC-SP-CANARIES", "CONFIG_STACK_CANARIES", "manual-check", "manual"),
        ("REC-SP-CANARIES", "CONFIG_STACK_CANARIES", "guide-check", "valid for tree"),
        ("REC-SP-GUARD", "CONFIG_HW_STACK_PROTECTION", "guide-check", "valid for tree"),
        ("REC-SP-GUARD", "CONFIG_HW_STACK_PROTECTION", "guide-check", "invalid for tree"),
        ("REC-SP-GUARD", "CONFIG_STACK_POINTER_RANDOM", "guide-check", "valid for tree"),
        ("REC-SP-GUARD", "CONFIG_STACK_POINTER_RANDOM", "guide-check", "invalid for tree"),
        ("REC-GEN-BARE", "", "", ""),
    ]
    assert rows[4]["verification_ref"] == "tests/test_stack.py::TestSentinel::test_sentinel[arm]"
    assert rows[0]["title"] == "Stack canaries — on"
    assert rows[5]["requirement"] == "CONFIG_STACK_POINTER_RANDOM >= 64"
    assert rows[0]["source"] == "threatmodel/recommendations/small.yaml:2:5"


def test_reqif_round_trip(evidence: dict[str, bytes]) -> None:
    bundle = ReqIFParser.parse_from_string(evidence["requirements.reqif"].decode())
    assert bundle.exceptions == []
    content = bundle.core_content.req_if_content
    results = load_results([RESULTS / "twister.json", RESULTS / "pytest-junit.xml"])
    items = need_items(small_model(), "4.2.99", marked=marked_tests(results))
    # Each object's attributes are read by their definitions' names, within its own type.
    names = {t.identifier: {d.identifier: d.long_name for d in t.attribute_definitions}
             for t in content.spec_types if getattr(t, "attribute_definitions", None)}
    objects = {o.identifier: {names[o.spec_object_type][a.definition_ref]: a.value
                              for a in o.attributes}
               for o in content.spec_objects}
    assert list(objects) == [object_identifier(i.id) for i in items]
    types = {o.identifier: o.spec_object_type for o in content.spec_objects}
    canaries = objects["SO-REC-SP-CANARIES"]
    assert types["SO-REC-SP-CANARIES"] == "SOT-REQUIREMENT"
    assert canaries["ReqIF.Name"] == "Stack canaries — on"
    assert canaries["Status"] == "review"
    assert canaries["ReqIF.Text"] == ("<xhtml:div><xhtml:p>Detect overwritten return "
                                      "addresses.</xhtml:p><xhtml:p>Always.</xhtml:p>"
                                      "</xhtml:div>")
    zephyr = objects[object_identifier(STACKPROT)]
    assert types[object_identifier(STACKPROT)] == "SOT-VERIFICATION"
    assert zephyr["result"] == "failed on qemu_x86"
    assert zephyr["verification_kind"] == "target-test"
    assert zephyr["ReqIF.Name"] == "kernel.memory_protection.stackprot"
    relations = {(r.relation_type_ref, r.source, r.target) for r in content.spec_relations}
    assert ("SRT-MITIGATES", "SO-REC-SP-GUARD", "SO-THR-SMASH") in relations
    assert ("SRT-IMPLEMENTED_BY", "SO-REC-SP-GUARD",
            "SO-SET-SP-GUARD-STACK-POINTER-RANDOM") in relations
    expected = sum(len(t) for i in items for t in i.links.values())
    assert len(relations) == expected
    assert bundle.req_if_header.creation_time == "2026-01-01T00:00:00Z"


def test_needs_json_shape(evidence: dict[str, bytes]) -> None:
    data = json.loads(evidence["needs.json"])
    assert data["current_version"] == "4.2.99"
    version = data["versions"]["4.2.99"]
    # 2 threats, 3 recommendations, 3 settings, 3 distinct verification targets listed in
    # the model, and test_sentinel[arm], which links itself with @pytest.mark.verifies
    assert version["needs_amount"] == len(version["needs"]) == 12
    sentinel = version["needs"][guide_check_id(
        "tests/test_stack.py::TestSentinel::test_sentinel[arm]")]
    assert (sentinel["result"], sentinel["verification_kind"]) == ("invalid for tree",
                                                                   "guide-check")
    assert "says nothing about any product" in sentinel["proves"]
    assert sentinel["id"] in version["needs"]["REC-SP-GUARD"]["verified_by"]
    test_need = version["needs"][guide_check_id("tests/test_stack.py::test_canaries_set")]
    assert test_need["result"] == "valid for tree" and test_need["type"] == "test"
    guard = version["needs"]["REC-SP-GUARD"]
    assert guard["implemented_by"] == ["SET-SP-GUARD-HW-STACK-PROTECTION",
                                       "SET-SP-GUARD-STACK-POINTER-RANDOM"]
    assert set(guard) == {"id", "type", "title", "content", "status", "tags",
                          *(link.option for link in LINK_TYPES), *EXTRA_FIELDS}


def test_manifest_hashes_every_output(evidence: dict[str, bytes]) -> None:
    manifest = json.loads(evidence["manifest.json"])
    assert manifest["created"] == "2026-01-01T00:00:00Z"
    assert manifest["zephyr"] == {"version": "4.2.99", "tree_fingerprint": "f" * 64}
    assert set(manifest["libraries"]) == {"sphinx", "sphinx-needs", "kconfiglib", "reqif", "pyyaml",
                                          "jsonschema", "jsonschema-rs"}
    assert all(manifest["libraries"].values())
    assert {o["path"]: o["sha256"] for o in manifest["outputs"]} == {
        name: hashlib.sha256(evidence[name]).hexdigest()
        for name in OUTPUT_FILES if name != "manifest.json"}
    assert manifest["inputs"] == [{"path": "threatmodel/x.yaml", "role": "threatmodel",
                                   "sha256": "0" * 64}]


def test_inputs_outside_the_base_show_only_their_name(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    inside = tmp_path / "a" / "m.yaml"
    inside.write_text("x: 1\n")
    outside = tmp_path / "r.xml"
    outside.write_text("<testsuite/>")
    found = hash_inputs([(outside, "results"), (inside, "threatmodel")],
                        display_base=tmp_path / "a")
    assert [(f.path, f.role) for f in found] == [("r.xml", "results"),
                                                 ("m.yaml", "threatmodel")]


def _export(out: Path, zephyr: Path, *extra: str) -> int:
    return main(["export", "--out", str(out), "--threatmodel", str(REPO / "threatmodel"),
                 "--zephyr-base", str(zephyr), *extra])


def test_export_is_deterministic_and_free_of_machine_paths(
        tmp_path: Path, zephyr_v4_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    monkeypatch.chdir(REPO)
    results = ["--results", str(RESULTS / "twister.json")]
    assert _export(tmp_path / "one", zephyr_v4_path, *results) == 0
    assert _export(tmp_path / "two", zephyr_v4_path, *results) == 0
    for name in OUTPUT_FILES:
        first = (tmp_path / "one" / name).read_bytes()
        assert first == (tmp_path / "two" / name).read_bytes(), name
        text = first.decode("utf-8-sig")
        assert str(tmp_path) not in text and str(zephyr_v4_path) not in text, name
        assert not re.search(r'"/(work|home|tmp)/', text), name
    manifest = json.loads((tmp_path / "one" / "manifest.json").read_text())
    assert [i["path"] for i in manifest["inputs"] if i["role"] == "results"] == [
        "tests/fixtures/results/twister.json"]
    assert len([i for i in manifest["inputs"] if i["role"] == "threatmodel"]) >= 8
    assert sorted(os.listdir(tmp_path)) == ["one", "two"]  # no staging folders left


def test_export_is_the_same_bytes_from_any_working_directory(
        tmp_path: Path, zephyr_v4_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    results = ["--results", str(RESULTS / "twister.json")]
    monkeypatch.chdir(REPO)
    assert _export(tmp_path / "from-repo", zephyr_v4_path, *results) == 0
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert _export(tmp_path / "from-elsewhere", zephyr_v4_path, *results) == 0
    for name in OUTPUT_FILES:
        assert ((tmp_path / "from-repo" / name).read_bytes()
                == (tmp_path / "from-elsewhere" / name).read_bytes()), name
    needs = (tmp_path / "from-elsewhere" / "needs.json").read_text()
    assert '"source": "threatmodel/recommendations/' in needs


def test_failed_write_keeps_the_previous_evidence(tmp_path: Path) -> None:
    out = tmp_path / "evidence"
    write_evidence(out, {"needs.json": b"old\n", "manifest.json": b"{}\n"})
    with pytest.raises(SecguideError, match="previous evidence kept"):
        write_evidence(out, {"needs.json": b"new\n", "sub/manifest.json": b"{}\n"})
    assert (out / "needs.json").read_bytes() == b"old\n"
    assert sorted(os.listdir(tmp_path)) == ["evidence"]
    write_evidence(out, {"needs.json": b"new\n"})
    assert sorted(os.listdir(out)) == ["needs.json"]
    assert (out / "needs.json").read_bytes() == b"new\n"


def test_out_folder_that_is_not_evidence_is_refused_and_kept(tmp_path: Path) -> None:
    # 'secguide export --out .' used to swap the working directory away, model and all.
    project = tmp_path / "project"
    (project / "threatmodel").mkdir(parents=True)
    (project / "important.txt").write_text("keep")
    with pytest.raises(SecguideError, match="not an evidence folder"):
        write_evidence(project, {"needs.json": b"new\n", "manifest.json": b"{}\n"})
    assert (project / "important.txt").read_text() == "keep"
    assert (project / "threatmodel").is_dir()
    assert sorted(os.listdir(tmp_path)) == ["project"]
    (tmp_path / "empty").mkdir()
    write_evidence(tmp_path / "empty", {"manifest.json": b"{}\n"})
    assert os.listdir(tmp_path / "empty") == ["manifest.json"]


def test_export_refuses_a_model_with_errors_and_writes_nothing(
        tmp_path: Path, zephyr_v4_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model_dir = tmp_path / "threatmodel"
    model_dir.mkdir()
    (model_dir / "bad.yaml").write_text("recommendations:\n  - id: nope\n")
    out = tmp_path / "out"
    code = main(["export", "--out", str(out), "--threatmodel", str(model_dir),
                 "--zephyr-base", str(zephyr_v4_path)])
    assert code == 1
    assert "error(s) in the threat model" in capsys.readouterr().err
    assert not out.exists()


def test_bad_source_date_epoch(tmp_path: Path, zephyr_v4_path: Path,
                               monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert _export(tmp_path / "out", zephyr_v4_path) == 2
    assert "SOURCE_DATE_EPOCH='yesterday': not a whole number of seconds" in capsys.readouterr().err


def test_needs_json_imports_with_needimport(tmp_path: Path, evidence: dict[str, bytes]) -> None:
    """A throwaway Sphinx project, configured as the guide configures sphinx-needs,
    imports the export with needimport without a single warning."""
    from sphinx.testing.util import SphinxTestApp

    src = tmp_path / "src"
    src.mkdir()
    (src / "needs.json").write_bytes(evidence["needs.json"])
    (src / "conf.py").write_text(
        "from secguide.sphinx.needs import needs_settings\n"
        "extensions = ['sphinx_needs']\n"
        "globals().update(needs_settings())\n")
    (src / "index.rst").write_text("Evidence\n========\n\n.. needimport:: needs.json\n")
    warnings = io.StringIO()
    app = SphinxTestApp("html", srcdir=src, builddir=tmp_path / "build", warning=warnings)
    try:
        app.build()
    finally:
        app.cleanup()
    assert warnings.getvalue() == ""
    html = (tmp_path / "build" / "html" / "index.html").read_text()
    for need_id in ("REC-SP-CANARIES", "SET-SP-GUARD-STACK-POINTER-RANDOM", "THR-SMASH",
                    STACKPROT):
        assert f'id="{need_id}"' in html, need_id
    assert "Detect overwritten return addresses." in html
