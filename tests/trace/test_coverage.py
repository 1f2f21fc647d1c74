"""Coverage: gaps of a small model, and the numbers of the shipped model on v4.2.99."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.diagnostics import SourceLoc
from secguide.model.items import Waiver
from secguide.model.loader import load_threat_model
from secguide.trace.coverage import compute_coverage, format_text
from secguide.trace.results import Outcome, Results, load_results
from secguide.zephyr.hardening import read_hardened_csv
from secguide.zephyr.kconfig.symbols import SymbolDB
from trace_fixtures import small_model

REPO = Path(__file__).resolve().parents[2]
RESULTS = Path(__file__).resolve().parents[1] / "fixtures" / "results"


def test_hardened_csv_of_v4(zephyr_v4_path: Path) -> None:
    entries, problems = read_hardened_csv(zephyr_v4_path)
    assert len(entries) == 58
    assert entries[0].symbol == "BOOT_BANNER" and str(entries[0].loc).endswith(":1")
    stack_random = next(e for e in entries if e.symbol == "STACK_POINTER_RANDOM")
    assert stack_random.value == "100"
    # The real file has one line written with '=': read, and reported.
    [problem] = problems
    assert str(problem.loc) == "scripts/kconfig/hardened.csv:53"
    assert "DEBUG_COREDUMP=n" in problem.message
    assert any(e.symbol == "DEBUG_COREDUMP" and e.value == "n" for e in entries)


def test_tree_without_hardened_csv_has_nothing_to_cover(zephyr_v1_path: Path) -> None:
    entries, problems = read_hardened_csv(zephyr_v1_path)
    assert entries == []
    assert [p.code for p in problems] == ["no-hardened-csv"]


def test_gaps_of_a_small_model_without_results(zephyr_v4_path: Path, db_v4: SymbolDB) -> None:
    report = compute_coverage(small_model(), tree_root=zephyr_v4_path,
                              zephyr_version="4.2.99", defined=db_v4)
    assert [r.id for r in report.without_settings] == ["REC-GEN-BARE"]
    assert [r.id for r in report.without_verifications] == ["REC-GEN-BARE"]
    assert [t.id for t in report.unmitigated_threats] == ["THR-OPEN"]
    assert not report.results_evaluated and report.settings_not_verified == ()
    by_symbol = {h.entry.symbol: h for h in report.hardened}
    assert by_symbol["STACK_CANARIES"].status == "covered"
    assert by_symbol["STACK_CANARIES"].covered_by == ("REC-SP-CANARIES",)
    assert by_symbol["BOOT_BANNER"].status == "waived"
    assert by_symbol["TEST_SHELL"].status == "absent"
    # STACK_POINTER_RANDOM >= 64 accepts hardened.csv's 100; nothing differs.
    assert by_symbol["STACK_POINTER_RANDOM"].value_differs == ()
    # The STACK_CANARIES waiver is stale: a recommendation sets the symbol.
    assert [w.id for w in report.stale_waivers] == ["CONFIG_STACK_CANARIES"]
    counts = report.counts()
    # 58 entries: 3 set by the model, 1 waived, 3 not defined by the tree, 51 open.
    assert (counts["hardened_covered"], counts["hardened_waived"], counts["hardened_absent"],
            counts["hardened_uncovered"]) == (3, 1, 3, 51)
    assert report.gaps == 1 + 1 + 1 + 51


def test_settings_not_verified_with_results(zephyr_v4_path: Path) -> None:
    results = load_results([RESULTS / "twister.json", RESULTS / "pytest-junit.xml"])
    report = compute_coverage(small_model(), results=results)
    outcomes = {s.symbol: s.outcome for s in report.settings}
    # stackprot failed on qemu_x86. The guard has only guide checks (one passed, one
    # failed): they say nothing about a product, so its settings are not verified.
    assert outcomes == {"CONFIG_STACK_CANARIES": Outcome.FAILED,
                        "CONFIG_HW_STACK_PROTECTION": Outcome.NOT_RUN,
                        "CONFIG_STACK_POINTER_RANDOM": Outcome.NOT_RUN}
    guard = next(s for s in report.settings if s.symbol == "CONFIG_HW_STACK_PROTECTION")
    assert [(v.kind, v.ref, v.outcome.value) for v in guard.verifications] == [
        ("guide-check", "tests/test_stack.py::test_canaries_set", "passed"),
        ("guide-check", "tests/test_stack.py::TestSentinel::test_sentinel[arm]", "failed")]
    assert len(report.settings_not_verified) == 3
    assert report.hardened == ()  # no tree given


def test_passing_guide_checks_never_verify_a_setting_for_a_product() -> None:
    results = load_results([RESULTS / "pytest-junit.xml"])
    results.zephyr["kernel.memory_protection.stackprot"] = Outcome.PASSED
    results.pytest["tests/test_stack.py::TestSentinel::test_sentinel[arm]"] = Outcome.PASSED
    report = compute_coverage(small_model(), results=results)
    outcomes = {s.symbol: s.outcome for s in report.settings}
    # canaries: a target test passed (its manual check is left to a reviewer);
    # guard: every guide check passed, and still nothing verified it for a product
    assert outcomes == {"CONFIG_STACK_CANARIES": Outcome.PASSED,
                        "CONFIG_HW_STACK_PROTECTION": Outcome.NOT_RUN,
                        "CONFIG_STACK_POINTER_RANDOM": Outcome.NOT_RUN}
    assert [s.symbol for s in report.settings_not_verified] == [
        "CONFIG_HW_STACK_PROTECTION", "CONFIG_STACK_POINTER_RANDOM"]
    assert "results: 1 passed, 0 failed, 0 error, 0 skipped, 2 not run" in format_text(report)


def test_shipped_model_on_v4_is_fully_covered(zephyr_v4_path: Path, db_v4: SymbolDB) -> None:
    model, problems = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert not [p for p in problems if p.severity.value == "error"]
    report = compute_coverage(model, tree_root=zephyr_v4_path, zephyr_version="4.2.99",
                              defined=db_v4)
    counts = report.counts()
    # Every hardened.csv symbol the tree defines is set by a recommendation or
    # waived; the three it does not define are listed in waivers.yaml's comment.
    assert counts["hardened_symbols"] == 58
    assert counts["hardened_uncovered"] == 0
    assert [h.entry.symbol for h in report.hardened if h.status == "absent"] == [
        "SOC_ATMEL_SAME70_DISABLE_ERASE_PIN", "SOC_ATMEL_SAME70_WAIT_MODE", "TEST_SHELL"]
    assert counts["hardened_covered"] + counts["hardened_waived"] == 55
    assert report.stale_waivers == ()
    assert report.without_settings == () and report.without_verifications == ()
    assert report.unmitigated_threats == ()
    assert report.gaps == 0


def test_cli_strict_json_and_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        zephyr_v4_path: Path) -> None:
    args = ["coverage", "--threatmodel", str(REPO / "threatmodel"),
            "--zephyr-base", str(zephyr_v4_path)]
    assert main([*args, "--strict", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"]["gaps"] == 0 and data["results_evaluated"] is False
    # With results, verifications that did not run are gaps in --strict mode.
    assert main([*args, "--strict", "--results", str(RESULTS / "twister.json")]) == 1
    out = capsys.readouterr().out
    assert "settings not verified by the results" in out
    # A broken result file is a usage error, never mistaken for the gaps of exit 1.
    assert main([*args, "--results", str(RESULTS / "broken.xml")]) == 2
    assert "not well-formed XML" in capsys.readouterr().err


def test_a_passing_marked_test_does_not_hide_a_zephyr_test_that_never_ran() -> None:
    results = Results()
    results.pytest["tests/test_stack.py::test_canaries_set"] = Outcome.PASSED
    results.verifies["REC-SP-CANARIES"] = ["tests/test_stack.py::test_canaries_set"]
    report = compute_coverage(small_model(), results=results)
    outcomes = {s.symbol: s.outcome for s in report.settings}
    # canaries: the marked pytest passed, kernel.memory_protection.stackprot did not run
    assert outcomes["CONFIG_STACK_CANARIES"] is Outcome.NOT_RUN
    # guard: its one guide check passed, which verifies the guide, not a product
    assert outcomes["CONFIG_HW_STACK_PROTECTION"] is Outcome.NOT_RUN
    assert [s.symbol for s in report.settings_not_verified] == [
        "CONFIG_STACK_CANARIES", "CONFIG_HW_STACK_PROTECTION", "CONFIG_STACK_POINTER_RANDOM"]


def test_waiver_of_a_newer_hardening_rule_is_not_stale(zephyr_v4_path: Path,
                                                        db_v4: SymbolDB) -> None:
    """A waiver may answer Zephyr's hardening.yaml, which lists symbols hardened.csv lacks."""
    model = small_model()
    extra = (Waiver(symbol="MEM_DOMAIN_ISOLATED_STACKS", reason="no prompt",
                    loc=SourceLoc("w.yaml", 9)),
             Waiver(symbol="NO_SUCH_SYMBOL_ANYWHERE", reason="gone", loc=SourceLoc("w.yaml", 12)))
    model = dataclasses.replace(model, waivers=model.waivers + extra)
    report = compute_coverage(model, tree_root=zephyr_v4_path, zephyr_version="4.2.99",
                              defined=db_v4)
    assert [w.id for w in report.stale_waivers] == ["CONFIG_STACK_CANARIES",
                                                    "CONFIG_NO_SUCH_SYMBOL_ANYWHERE"]


def test_coverage_against_the_upstream_hardening_database(db_v4: SymbolDB) -> None:
    from secguide.model.hardening_db import load_hardening_db

    repo = Path(__file__).resolve().parents[2]
    database = load_hardening_db(repo.parent / "shared" / "zephyr" / "upstream-hardening")
    model, _ = load_threat_model(repo / "threatmodel")
    report = compute_coverage(model, zephyr_version="4.2.99", defined=db_v4, hardening=database)
    assert report.hardened_source == "hardening.yaml"
    assert len(report.hardened) == 119
    set_by_guide = {s.symbol for r in model.recommendations if r.deprecation is None
                    for s in r.settings}
    unknown = {r.symbol for r in database.rules if r.symbol not in db_v4}
    assert len(unknown) == 7
    # a rule symbol v4.2.99 lacks is "absent" unless the guide already sets it (since: 4.4)
    assert {e.entry.symbol for e in report.hardened if e.status == "absent"} == (
        unknown - set_by_guide)
    for entry in report.hardened:
        assert (entry.status == "covered") == (entry.entry.symbol in set_by_guide)
        assert entry.entry.loc.path.endswith("hardening.yaml")
