"""The standards crosswalk: loading, validation at the right line, coverage, stamps."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.diagnostics import Severity
from secguide.model.items import ThreatModel
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


#: EN 303 645's provisions per group of clause 5, counted from the standard's table of
#: provisions (68 in all with 4-1 and 6-1 to 6-5).
EN_303_645_GROUPS = {1: 5, 2: 3, 3: 16, 4: 4, 5: 8, 6: 9, 7: 2, 8: 3, 9: 3, 10: 1, 11: 4,
                     12: 3, 13: 1}


def _shipped() -> ThreatModel:
    model, problems = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert problems == []
    return model


def test_shipped_standards_are_checked_clean_and_hand_responsibilities_over() -> None:
    model = _shipped()
    assert [s.key for s in model.standards] == ["CRA", "EN-18031-1", "EN-303-645",
                                                "IEC-62443-4-2"]
    assert validate_standards(model) == []
    for standard in model.standards:
        report = standard_coverage(model, standard)
        assert report.unmapped == (), standard.key
        # a clause left to the product always hands a responsibility over
        assert all(r.responsibilities for r in report.rows if r.clause.met_by == "product")
        # a declared gap says why in its justification and names nothing
        assert all(not r.clause.mapped and r.clause.justification
                   for r in report.not_addressed)
        assert all(not g.mapped for g in standard.groups)


def test_en_303_645_lists_every_provision_of_v3() -> None:
    standard = _shipped().standard("EN-303-645")
    assert standard is not None and standard.edition == "V3.1.3 (2024-09)"
    expected = ["4-1", *[f"5.{group}-{n}" for group, count in EN_303_645_GROUPS.items()
                         for n in range(1, count + 1)], *[f"6-{n}" for n in range(1, 6)]]
    assert len(expected) == 68
    assert [c.clause for c in standard.clauses] == expected
    assert [g.clause for g in standard.groups] == [*[f"5.{n}" for n in range(1, 14)], "6"]
    by_clause = {c.clause: c for c in standard.clauses}
    # the two unconditional mandatory provisions of 5.3 the issue names
    assert by_clause["5.3-13"].level == by_clause["5.3-16"].level == "M"
    assert by_clause["5.3-1"].level == "R"
    assert by_clause["5.3-13"].group == "CLS-EN303645-5-3"
    # the old group IDs stay, now as headings; provision rows are new IDs
    assert {g.id for g in standard.groups} >= {f"CLS-EN303645-5-{n}" for n in range(1, 14)}
    # anti-rollback and the update service stay the product's in 5.3
    assert "RESP-UPDATE-SERVER-TRUST" in by_clause["5.3-10"].responsibilities


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


def test_groups_and_declared_gaps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = STANDARD.replace("""    - id: CLS-TOY-1
""", """    - id: CLS-TOY-G
      clause: "A"
      title: A group
      met_by: group
      justification: Heading.
    - id: CLS-TOY-1
""").replace("""      met_by: product
      responsibilities: []
      justification: Not mapped yet.""", """      met_by: not-addressed
      justification: Nobody addresses it yet.""")
    model_dir = _toy_model(tmp_path, text)
    model, problems = load_threat_model(model_dir, display_base=tmp_path)
    assert problems == []
    (toy,) = model.standards
    assert [c.id for c in toy.clauses] == ["CLS-TOY-1", "CLS-TOY-2", "CLS-TOY-3"]
    assert [(c.id, c.group) for c in toy.entries] == [
        ("CLS-TOY-G", ""), ("CLS-TOY-1", "CLS-TOY-G"), ("CLS-TOY-2", "CLS-TOY-G"),
        ("CLS-TOY-3", "CLS-TOY-G")]
    report = standard_coverage(model, toy)
    counts = report.counts()
    assert (counts["clauses"], counts["groups"], counts["met_by_not_addressed"],
            counts["unmapped"], counts["gaps"]) == (3, 1, 1, 0, 1)
    assert main(["coverage", "--threatmodel", str(model_dir), "--standard", "toy",
                 "--strict"]) == 1
    out = capsys.readouterr().out
    assert "clauses the guide does not address (declared gaps) (1):" in out
    assert out.rstrip().endswith("3 clauses (the full list; 1 group headings not counted); "
                                 "1 addressed by configuration, 1 left to the product, 0 not "
                                 "applicable, 1 not addressed; 1 gap(s)")
    # a group or a declared gap that names what addresses it contradicts itself
    bad = text.replace("met_by: group\n", "met_by: group\n      recommendations: "
                       "[REC-MINI-CANARIES]\n").replace(
        "met_by: not-addressed\n", "met_by: not-addressed\n      recommendations: "
        "[REC-MINI-RANDOM]\n")
    model, _ = load_threat_model(_toy_model(tmp_path / "bad", bad), display_base=tmp_path)
    found = [(d.code, d.message) for d in validate_standards(model)]
    assert [code for code, _ in found].count("clause-met-by") == 2, found
    assert any("group heading" in m for _, m in found)
    assert any("not addressed yet names" in m for _, m in found)


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


def test_cra_lists_annex_i_part_i_and_part_ii() -> None:
    standard = _shipped().standard("CRA")
    assert standard is not None
    assert [c.clause for c in standard.clauses] == [
        "I(1)", *[f"I(2)({letter})" for letter in "abcdefghijklm"],
        *[f"II({n})" for n in range(1, 9)]]
    assert [g.clause for g in standard.groups] == ["I(2)", "II"]
    titles = {c.clause: c.title.lower() for c in standard.clauses}
    # the parts the old titles dropped are in the titles now
    assert "reset" in titles["I(2)(b)"]
    assert all(w in titles["I(2)(c)"] for w in ("automatic", "opt-out", "postpone"))
    assert all(w in titles["I(2)(d)"] for w in ("authentication", "reported"))
    assert all(w in titles["I(2)(f)"] for w in ("commands", "programs", "configuration",
                                                "reported"))
    assert all(w in titles["I(2)(l)"] for w in ("monitoring", "opt-out"))
    by_clause = {c.clause: c for c in standard.clauses}
    assert "RESP-SOFTWARE-BILL-OF-MATERIALS" in by_clause["II(1)"].responsibilities
    assert by_clause["II(7)"].recommendations == ("REC-SB-MCUBOOT-SIGNED-IMAGES",
                                                  "REC-DM-UPDATE-CHANNEL-SECURITY")
    # FPU context switching is not data confidentiality in the CRA's sense
    assert "REC-MP-FPU-SHARING" not in by_clause["I(2)(e)"].recommendations


def test_iec_62443_4_2_lists_crs_res_and_edrs_with_levels_and_frs_as_groups() -> None:
    standard = _shipped().standard("IEC-62443-4-2")
    assert standard is not None
    clauses = {c.clause: c for c in standard.clauses}
    # FRs are headings: listed, never assessed
    assert [g.clause for g in standard.groups] == [*[f"FR {n}" for n in range(1, 8)], "CCSC"]
    assert not any(c.startswith("FR") for c in clauses)
    # the requirements the issue names, each with its capability levels
    for name in ("EDR 2.13", "EDR 3.10", "EDR 3.12", "EDR 3.13", "CR 3.7", "CR 1.2",
                 "CR 7.6", "CR 7.6 RE(1)", "EDR 3.10 RE(1)", "CR 2.1 RE(4)"):
        assert clauses[name].level.startswith("SL-C "), name
    assert clauses["CR 2.1 RE(4)"].level == "SL-C 4"
    # every CR of FR 1 to FR 7 that 4-2 defines for an embedded device is listed
    expected_crs = {"1.1", "1.2", "1.3", "1.4", "1.5", "1.7", "1.8", "1.9", "1.10", "1.11",
                    "1.12", "1.14", "2.1", "2.2", "2.5", "2.6", "2.7", "2.8", "2.9", "2.10",
                    "2.11", "2.12", "3.1", "3.3", "3.4", "3.5", "3.6", "3.7", "3.8", "3.9",
                    "4.1", "4.2", "4.3", "5.1", "6.1", "6.2", "7.1", "7.2", "7.3", "7.4",
                    "7.6", "7.7", "7.8"}
    assert {c.removeprefix("CR ") for c in clauses if c.startswith("CR ")
            and "RE" not in c} == expected_crs
    assert {c for c in clauses if c.startswith("EDR ") and "RE" not in c} == {
        "EDR 2.4", "EDR 2.13", "EDR 3.2", "EDR 3.10", "EDR 3.11", "EDR 3.12", "EDR 3.13",
        "EDR 3.14"}
    # whole titles: CR 1.2 authenticates too, CR 7.6 also reports the deployed settings
    assert "authenticated" in clauses["CR 1.2"].title
    assert "read" in clauses["CR 7.6"].title
    # stretch mappings gone: no debug symbol behind CR 7.6, no GDT behind CR 2.1
    assert clauses["CR 7.6"].recommendations == ()
    assert "REC-X86-GDT-STATIC" not in clauses["CR 2.1"].recommendations
    # every ID the old file had is still there
    ids = {c.id for c in standard.entries}
    assert {"CLS-IEC62443-CR1-2", "CLS-IEC62443-CR1-5", "CLS-IEC62443-CR2-1",
            "CLS-IEC62443-CR2-8", "CLS-IEC62443-CR3-4", "CLS-IEC62443-CR3-5",
            "CLS-IEC62443-EDR3-14", "CLS-IEC62443-CR4-3", "CLS-IEC62443-CR7-6",
            "CLS-IEC62443-CR7-7", *[f"CLS-IEC62443-FR{n}" for n in range(1, 8)]} <= ids


def test_en_18031_1_lists_requirements_not_family_tags() -> None:
    standard = _shipped().standard("EN-18031-1")
    assert standard is not None
    families = ["ACM", "AUM", "SUM", "SSM", "SCM", "RLM", "NMM", "TCM", "CCK", "GEC", "CRY"]
    assert [g.clause for g in standard.groups] == families
    counts = {"ACM": 2, "AUM": 6, "SUM": 3, "SSM": 3, "SCM": 4, "RLM": 1, "NMM": 1, "TCM": 1,
              "CCK": 3, "GEC": 6, "CRY": 1}
    assert [c.clause for c in standard.clauses] == [
        f"{family}-{n}" for family in families for n in range(1, counts[family] + 1)]
    # each requirement sits under its family's heading
    assert all(c.group == f"CLS-EN18031-{c.clause.split('-')[0]}" for c in standard.clauses)
    # no access control claimed from the x86 GDT
    assert all("REC-X86-GDT-STATIC" not in c.recommendations for c in standard.clauses)


def test_no_clause_rests_on_a_stretch_mapping() -> None:
    """FR 4 from FPU sharing, ACM from the x86 GDT, CR 7.6 from the debug symbol: gone.
    FPU sharing is kept only where its justification says what it does and does not do."""
    model = _shipped()
    for clause in model.clauses():
        assert "REC-X86-GDT-STATIC" not in clause.recommendations, clause.id
        if "REC-MP-FPU-SHARING" in clause.recommendations:
            assert clause.clause == "CR 4.2 RE(1)" and "Partly" in clause.justification
        if clause.clause.startswith("CR 7.6"):
            assert "REC-DBG-DEBUG" not in clause.recommendations
