"""The build report's files from verdicts alone: deterministic, escaped, typed."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from reqif.parser import ReqIFParser

from build_fixtures import AUDIT, toy_model, twister_results
from secguide.evidence.build_report import BuildInfo, build_report_files
from secguide.trace.build_verdicts import build_verdicts
from secguide.trace.results import Outcome

CREATED = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _files(tmp_path: Path, board: str = "nucleo_h753zi") -> dict[str, bytes]:
    model = toy_model(tmp_path)
    verdicts = build_verdicts(model, "base", AUDIT, twister_results(native_sim=Outcome.PASSED),
                              board=board, board_target=None)
    build = BuildInfo(config="app.config", config_sha256="0" * 64, board=board,
                      board_target=None, arch="arm", profile="base", build_kind="production",
                      tree_version="4.2.99", tree_fingerprint="f" * 64,
                      audit_counts={"PASS": 2, "NOT-APPLICABLE": 1})
    return build_report_files(model, build, verdicts, results=[], inputs=[],
                              commit={"commit": "", "model_files_modified": False},
                              created=CREATED)


def test_same_inputs_same_bytes(tmp_path: Path) -> None:
    first = _files(tmp_path / "a")
    second = _files(tmp_path / "b")
    assert first.keys() == second.keys()
    assert all(first[name] == second[name] for name in first)
    manifest = json.loads(first["manifest.json"])
    assert [o["path"] for o in manifest["outputs"]] == sorted(set(first) - {"manifest.json"})


def test_board_text_is_escaped_in_html_and_typed_in_reqif(tmp_path: Path) -> None:
    files = _files(tmp_path, board="<b onmouseover=x>")
    page = files["report.html"].decode()
    assert "<b onmouseover" not in page and "&lt;b onmouseover=x&gt;" in page
    # results given for a build whose release is unknown: shown apart, counted nowhere
    banner = page[page.index('<div class="banner" id="excluded">'):]
    banner = banner[:banner.index("</div>")]
    assert "twister.json: not counted: the build&#39;s Zephyr release is not known" in banner
    content = ReqIFParser.parse_from_string(
        files["requirements.reqif"].decode()).core_content.req_if_content
    kinds = {o.identifier: o.spec_object_type for o in content.spec_objects}
    assert kinds["SO-REC-A"] == "SOT-REQUIREMENT" and kinds["SO-CLS-TOY-1"] == "SOT-CLAUSE"
    assert kinds["SO-THR-ONE"] == "SOT-THREAT"
    assert kinds["SO-TEST-MAN-C"] == "SOT-VERIFICATION"
    needs = json.loads(files["needs.json"])
    needs = needs["versions"]["4.2.99"]["needs"]
    # one vocabulary: the needs carry the same words as the report
    assert needs["REC-A"]["result"] == "met"
    assert needs["THR-ONE"]["result"] == "met"
    assert needs["THR-THREE"]["result"] == "configuration met, product items open"
    assert needs["CLS-TOY-4"]["result"] == "not applicable to this build"
    rows = files["verdicts.csv"].decode("utf-8-sig").splitlines()
    assert 'threat,THR-THREE,t,"configuration met, product items open",' in "\n".join(rows)
    assert rows[1].startswith("threat,THR-ONE,t,met,")
