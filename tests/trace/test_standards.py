"""The standards crosswalk: loading, validation at the right line, coverage, stamps."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.diagnostics import Severity
from secguide.model.loader import load_threat_model
from secguide.model.stamps import NewStamp, plan_stamps, write_stamps
from secguide.trace.needs import need_items
from secguide.trace.review import ReviewStatus, review_states
from secguide.trace.standards import standard_coverage, validate_standards
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.cache import load_symbol_db

REPO = Path(__file__).resolve().parents[2]
MINI_MODEL = REPO / "tests" / "fixtures" / "review" / "mini-model"

STANDARD = """\
standard:
  id: STD-TOY
  name: Toy standard
  edition: "1"
  summary: A standard for tests.
  clauses:
    - id: CLS-TOY-1
      clause: "1"
      title: Canaries on
      met_by: configuration
      recommendations: [REC-MINI-CANARIES]
      justification: The canary setting is the whole answer.
    - id: CLS-TOY-2
      clause: "2"
      title: Updates
      met_by: product
      responsibilities: [RESP-NOPE]
      justification: Product work.
    - id: CLS-TOY-3
      clause: "3"
      title: Nobody thought of it
      met_by: product
      responsibilities: []
      justification: Not mapped yet.
"""


def _toy_model(tmp_path: Path, text: str = STANDARD) -> Path:
    target = tmp_path / "tm"
    shutil.copytree(MINI_MODEL, target)
    (target / "standards").mkdir()
    (target / "standards" / "toy.yaml").write_text(textwrap.dedent(text), encoding="utf-8")
    return target


def test_shipped_standards_cover_the_clauses_the_issue_names() -> None:
    model, problems = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert problems == []
    assert [s.key for s in model.standards] == ["CRA", "EN-18031-1", "EN-303-645",
                                                "IEC-62443-4-2"]
    clauses = {s.key: [c.clause for c in s.clauses] for s in model.standards}
    assert clauses["EN-303-645"] == [f"5.{n}" for n in range(1, 14)]
    assert clauses["CRA"] == ["(1)", *[f"(2)({letter})" for letter in "abcdefghijklm"]]
    assert {f"FR {n}" for n in range(1, 8)} <= set(clauses["IEC-62443-4-2"])
    assert any(c.startswith("CR ") for c in clauses["IEC-62443-4-2"])
    assert set(clauses["EN-18031-1"]) == {"ACM", "AUM", "SUM", "SSM", "SCM", "RLM", "NMM",
                                          "TCM", "CCK", "GEC", "CRY"}
    assert validate_standards(model) == []
    for standard in model.standards:
        report = standard_coverage(model, standard)
        assert report.gaps == 0, standard.key
        # a clause left to the product always hands a responsibility over
        assert all(r.responsibilities for r in report.rows if r.clause.met_by == "product")
        # short titles, our own words: nothing long enough to be a copied requirement
        assert all(len(c.title) <= 60 for c in standard.clauses)


def test_broken_links_and_met_by_are_reported_at_their_lines(tmp_path: Path) -> None:
    text = STANDARD.replace("recommendations: [REC-MINI-CANARIES]",
                            "recommendations: [REC-MINI-CANARIES, RESP-X]")
    model, problems = load_threat_model(_toy_model(tmp_path, text), display_base=tmp_path)
    assert problems == []
    found = sorted((d.loc.path, d.loc.line, d.code, d.severity) for d in
                   validate_standards(model))
    path = "tm/standards/toy.yaml"
    assert found == [
        (path, 11, "unknown-id", Severity.ERROR),   # RESP-X in recommendations
        (path, 17, "unknown-id", Severity.ERROR),   # RESP-NOPE
        (path, 22, "clause-met-by", Severity.ERROR),  # product, no responsibility
    ]
    messages = [d.message for d in validate_model(model, None)
                if d.loc.path == path]
    assert any("RESP-X" in m and "not defined anywhere" in m for m in messages)


def test_schema_errors_in_a_standard_point_at_the_line(tmp_path: Path) -> None:
    text = STANDARD.replace("met_by: configuration", "met_by: mostly")
    text = text.replace("  - id: CLS-TOY-2\n", "  - id: CLS-toy-2\n")
    _, problems = load_threat_model(_toy_model(tmp_path, text), display_base=tmp_path)
    assert sorted((d.loc.line, d.code) for d in problems) == [(10, "bad-value"),
                                                             (13, "bad-value")]
    assert any("'mostly' is not allowed for 'met_by'" in d.message for d in problems)


def test_duplicate_clause_id_is_an_error(tmp_path: Path) -> None:
    text = STANDARD.replace("id: CLS-TOY-2", "id: CLS-TOY-1")
    model, problems = load_threat_model(_toy_model(tmp_path, text), display_base=tmp_path)
    assert [(d.code, d.loc.line) for d in problems] == [("duplicate-id", 13)]
    assert [c.id for c in model.clauses()] == ["CLS-TOY-1", "CLS-TOY-3"]


def test_clauses_become_needs_linked_to_what_addresses_them(tmp_path: Path) -> None:
    model, _ = load_threat_model(_toy_model(tmp_path), display_base=tmp_path)
    clause = next(i for i in need_items(model) if i.id == "CLS-TOY-1")
    assert (clause.type, clause.title, clause.links["addressed_by"]) == (
        "clause", "1 Canaries on", ("REC-MINI-CANARIES",))
    assert (clause.extra["standard"], clause.extra["met_by"]) == ("Toy standard",
                                                                  "configuration")


def test_coverage_cli_for_one_standard(tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    model_dir = _toy_model(tmp_path)
    args = ["coverage", "--threatmodel", str(model_dir), "--standard", "toy"]
    assert main([*args, "--strict"]) == 1  # clause 3 maps nothing
    out = capsys.readouterr().out
    assert "clauses with no mapping (1):" in out and "3 Nobody thought of it" in out
    assert main([*args, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    first = data["clauses"][0]
    assert (first["settings"], first["unreviewed"]) == (["CONFIG_STACK_CANARIES=y"], True)
    assert data["counts"]["unmapped"] == 1
    assert main(["coverage", "--threatmodel", str(model_dir), "--standard", "ISO-9999"]) == 2
    assert "known: TOY" in capsys.readouterr().err


def test_shipped_cra_hands_responsibilities_over(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["coverage", "--threatmodel", str(REPO / "threatmodel"),
                 "--standard", "cra", "--strict"]) == 0
    out = capsys.readouterr().out
    assert "RESP-SECURE-UPDATE: Deliver authenticated software updates (clauses (2)(c))" in out
    assert out.rstrip().endswith("6 left to the product, 0 not applicable; 0 gap(s)")


def test_a_clause_can_be_stamped_and_then_turns_suspect(tmp_path: Path,
                                                        mini_tree: Path) -> None:
    model_dir = _toy_model(tmp_path)
    db, _ = load_symbol_db(mini_tree, cache_dir=tmp_path / "cache")
    model, _ = load_threat_model(model_dir)
    states = review_states(model, db)
    assert states["CLS-TOY-1"].status is ReviewStatus.UNREVIEWED
    stamp = NewStamp(by="Ada", date="2026-03-04", fingerprint=states["CLS-TOY-1"].fingerprint)
    planned = plan_stamps(model_dir, {"CLS-TOY-1": stamp})
    write_stamps(planned, {"CLS-TOY-1": stamp})
    model, problems = load_threat_model(model_dir)
    assert problems == []
    assert review_states(model, db)["CLS-TOY-1"].status is ReviewStatus.REVIEWED
    toy = model_dir / "standards" / "toy.yaml"
    toy.write_text(toy.read_text().replace("is the whole answer", "is most of it"))
    model, _ = load_threat_model(model_dir)
    assert review_states(model, db)["CLS-TOY-1"].status is ReviewStatus.SUSPECT


def test_review_cli_stamps_a_clause(tmp_path: Path, mini_tree: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    model_dir = _toy_model(tmp_path)
    tree = ["--zephyr-base", str(mini_tree), "--cache-dir", str(tmp_path / "cache")]
    assert main(["review", "--threatmodel", str(model_dir), *tree, "--accept", "CLS-TOY-1",
                 "--by", "Ada Lovelace", "--date", "2026-03-04"]) == 0
    assert "1 item(s) stamped" in capsys.readouterr().out
    text = (model_dir / "standards" / "toy.yaml").read_text()
    assert "review: {by: Ada Lovelace, date: 2026-03-04, fingerprint: " in text
    assert main(["review", "--threatmodel", str(model_dir), *tree, "--all"]) == 0
    out = capsys.readouterr().out
    assert "CLS-TOY-1: reviewed (reviewed by Ada Lovelace on 2026-03-04" in out
    assert "6 item(s) against Zephyr 9.8.7: 1 reviewed, 1 suspect, 4 unreviewed" in out
