"""Sign-off that never says more than happened: refusals, approvals, links, worklists."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.diagnostics import Severity
from secguide.model.loader import load_threat_model
from secguide.trace.review import ReviewStatus, load_baseline, review_states
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.cache import load_symbol_db

MINI_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "mini-model"
RECS = "recommendations.yaml"

THREATS = """\
threats:
  - id: THR-MINI-SMASH
    title: Stack smashing
    description: A long input overwrites the return address.
    mitigated_by: [REC-MINI-CANARIES, RESP-MINI-INPUT]
responsibilities:
  - id: RESP-MINI-INPUT
    title: Bound every input
    description: The application checks input lengths.
"""


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    target = tmp_path / "tm"
    shutil.copytree(MINI_MODEL, target)
    (target / "threats.yaml").write_text(THREATS)
    return target


def run(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> tuple[int, str, str]:
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


def tree(mini_tree: Path, tmp_path: Path) -> list[str]:
    return ["--zephyr-base", str(mini_tree), "--cache-dir", str(tmp_path / "cache")]


def accept(capsys, model_dir: Path, mini_tree: Path, tmp_path: Path, *extra: str
           ) -> tuple[int, str, str]:
    return run(capsys, "review", "--threatmodel", model_dir, *tree(mini_tree, tmp_path),
               "--by", "Ada", "--date", "2026-03-04", "--accept", *extra)


def states(model_dir: Path, mini_tree: Path, tmp_path: Path) -> dict:
    db = load_symbol_db(mini_tree, cache_dir=tmp_path / "cache")[0]
    model, diagnostics = load_threat_model(model_dir)
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    return review_states(model, db, load_baseline(model_dir))


def test_accept_refuses_an_item_with_errors_and_names_them(model_dir, mini_tree, tmp_path,
                                                           capsys) -> None:
    recs = model_dir / RECS
    recs.write_text(recs.read_text().replace("symbol: STACK_CANARIES,",
                                             "symbol: STACK_SENTINELL,"))
    before = recs.read_text()
    code, out, err = accept(capsys, model_dir, mini_tree, tmp_path, "REC-MINI-CANARIES")
    assert code == 1 and out == ""
    assert f"{RECS}:12:" in err and "CONFIG_STACK_SENTINELL" in err and "[unknown-symbol]" in err
    assert err.splitlines()[-1] == ("secguide: error: not stamped: fix the error(s) of the "
                                    "item(s) first (REC-MINI-CANARIES: unknown-symbol)")
    assert recs.read_text() == before
    assert not (model_dir / ".review-baseline.json").exists()
    # An item without errors is still accepted.
    code, _, _ = accept(capsys, model_dir, mini_tree, tmp_path, "RESP-MINI-INPUT")
    assert code == 0


def test_approved_without_a_valid_stamp_is_an_error(model_dir, mini_tree, tmp_path) -> None:
    db = load_symbol_db(mini_tree, cache_dir=tmp_path / "cache")[0]
    model, _ = load_threat_model(model_dir)
    found = {(d.code, d.loc.line) for d in validate_model(model, db)
             if d.code.startswith("approved-")}
    # REC-MINI-RANDOM says approved, but its stamp does not match what it is now.
    assert found == {("approved-but-changed", 16)}
    recs = model_dir / RECS
    recs.write_text(recs.read_text().replace("status: review", "status: approved"))
    model, _ = load_threat_model(model_dir)
    messages = [d.message for d in validate_model(model, db)
                if d.code == "approved-without-review"]
    assert messages == ["REC-MINI-CANARIES has status approved but no review stamp: nobody "
                        "signed it off (sign off with 'secguide review --accept "
                        "REC-MINI-CANARIES --by NAME --status approved')"]


def test_accept_with_status_approved_signs_off(model_dir, mini_tree, tmp_path, capsys) -> None:
    code, out, _ = accept(capsys, model_dir, mini_tree, tmp_path, "REC-MINI-CANARIES",
                          "REC-MINI-RANDOM", "--status", "approved", "--note",
                          "Agreed at the March meeting")
    assert code == 0, out
    text = (model_dir / RECS).read_text()
    assert text.count("status: approved") == 2
    assert "status: review" not in text
    assert "      note: Agreed at the March meeting\n" in text  # block stamp gains a line
    now = states(model_dir, mini_tree, tmp_path)
    assert now["REC-MINI-CANARIES"].status is ReviewStatus.REVIEWED
    assert now["REC-MINI-CANARIES"].stamp.note == "Agreed at the March meeting"
    assert now["REC-MINI-RANDOM"].status is ReviewStatus.REVIEWED
    db = load_symbol_db(mini_tree, cache_dir=tmp_path / "cache")[0]
    model, _ = load_threat_model(model_dir)
    assert [d for d in validate_model(model, db) if d.code.startswith("approved-")] == []


def test_status_only_for_items_that_have_one(model_dir, mini_tree, tmp_path, capsys) -> None:
    code, _, err = accept(capsys, model_dir, mini_tree, tmp_path, "THR-MINI-SMASH",
                          "--status", "approved")
    assert code == 1
    assert "only recommendations and responsibilities have a status" in err


def test_a_link_change_makes_both_ends_suspect(model_dir, mini_tree, tmp_path, capsys) -> None:
    code, _, _ = accept(capsys, model_dir, mini_tree, tmp_path, "REC-MINI-CANARIES",
                        "THR-MINI-SMASH", "RESP-MINI-INPUT")
    assert code == 0
    assert {s.status for i, s in states(model_dir, mini_tree, tmp_path).items()
            if i in ("REC-MINI-CANARIES", "THR-MINI-SMASH", "RESP-MINI-INPUT")} == {
        ReviewStatus.REVIEWED}
    threats = model_dir / "threats.yaml"
    threats.write_text(threats.read_text().replace(
        "mitigated_by: [REC-MINI-CANARIES, RESP-MINI-INPUT]", "mitigated_by: [RESP-MINI-INPUT]"))
    now = states(model_dir, mini_tree, tmp_path)
    assert now["REC-MINI-CANARIES"].status is ReviewStatus.SUSPECT
    assert now["REC-MINI-CANARIES"].reasons == (
        "THR-MINI-SMASH no longer lists REC-MINI-CANARIES in mitigated_by",)
    assert now["THR-MINI-SMASH"].status is ReviewStatus.SUSPECT
    assert now["RESP-MINI-INPUT"].status is ReviewStatus.REVIEWED


def test_a_waiver_of_a_relied_on_symbol_makes_it_suspect(model_dir, mini_tree, tmp_path,
                                                         capsys) -> None:
    assert accept(capsys, model_dir, mini_tree, tmp_path, "REC-MINI-CANARIES")[0] == 0
    (model_dir / "waivers.yaml").write_text(
        "waivers:\n  - symbol: STACK_CANARIES\n    reason: Not on this product.\n")
    now = states(model_dir, mini_tree, tmp_path)["REC-MINI-CANARIES"]
    assert now.status is ReviewStatus.SUSPECT
    assert now.reasons == ("waiver of CONFIG_STACK_CANARIES added: Not on this product.",)


def test_worklist_filters_titles_counts(model_dir, mini_tree, tmp_path, capsys) -> None:
    base = ["review", "--threatmodel", model_dir, *tree(mini_tree, tmp_path)]
    code, out, _ = run(capsys, *base, "--suspect")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].endswith(f"{RECS}:16:9: REC-MINI-RANDOM: suspect (reviewed by Old Reviewer "
                             "on 2020-01-01): Randomise the initial stack pointer")
    assert lines[-1] == ("5 item(s) against Zephyr 9.8.7: 0 reviewed, 1 suspect, "
                         "4 unreviewed; 1 listed")
    code, out, _ = run(capsys, *base, "--unreviewed", "--format", "json")
    data = json.loads(out)
    assert data["counts"] == {"reviewed": 0, "suspect": 1, "unreviewed": 4, "total": 5}
    assert [(i["id"], i["title"]) for i in data["items"]] == [
        ("THR-MINI-SMASH", "Stack smashing"), ("RESP-MINI-INPUT", "Bound every input"),
        ("REC-MINI-CANARIES", "Turn on compiler stack canaries"),
        ("REC-MINI-LEGACY-LOG", "Deprecated: keep legacy logging off")]
    code, out, _ = run(capsys, *base, "--suspect", "--unreviewed", "--strict")
    assert code == 1


def test_worklist_markdown_is_inert(model_dir, mini_tree, tmp_path, capsys) -> None:
    recs = model_dir / RECS
    recs.write_text(recs.read_text().replace(
        "title: Randomise the initial stack pointer",
        "title: \"Randomise <img src=x onerror=alert(1)> the [pointer](javascript:x) *now*\""))
    code, out, _ = run(capsys, "review", "--threatmodel", model_dir,
                       *tree(mini_tree, tmp_path), "--suspect", "--format", "md")
    assert code == 0
    assert out.startswith("## Review worklist: 5 item(s) against Zephyr 9.8.7\n\n"
                          "0 reviewed, 1 suspect, 4 unreviewed; 1 listed below.\n")
    assert ("### REC-MINI-RANDOM: Randomise &lt;img src=x onerror=alert(1)&gt; the "
            "\\[pointer\\](javascript:x) \\*now\\*\n") in out
    assert "- state: **suspect** (reviewed by Old Reviewer on 2020-01-01)\n" in out
    assert "<img" not in out
