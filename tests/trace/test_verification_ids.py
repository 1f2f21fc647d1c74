"""Short verification IDs: readable, at most 32 characters, stable, never merged silently."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.codes import Code
from secguide.diagnostics import SourceLoc
from secguide.model.items import Recommendation, ThreatModel, Verification
from secguide.model.loader import load_threat_model
from secguide.trace.needs import need_items
from secguide.trace.results import load_results, marked_tests, need_results, results_source
from secguide.trace.review import ReviewStatus, review_states
from secguide.trace.verification_ids import (
    MAX_GENERATED_ID,
    guide_check_id,
    id_collisions,
    target_test_id,
    verification_id,
)
from secguide.zephyr.kconfig.cache import load_symbol_db

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
#: The JUnit report of a real ``make test`` run of this project (mission tests included).
MAKE_TEST_JUNIT = FIXTURES / "results" / "make-test-junit.xml"
#: sphinx-needs' ID pattern, as conf.py sets it (secguide.sphinx.needs.NEED_ID_REGEX).
NEED_ID = re.compile(r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$")


def shipped_model() -> ThreatModel:
    model, diagnostics = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert [str(d) for d in diagnostics] == []
    return model


def digest(ref: str) -> str:
    return hashlib.sha256(ref.encode()).hexdigest()[:4].upper()


def test_the_id_scheme_on_examples() -> None:
    mission = ("tests/test_mission.py::test_recommended_setting_is_real"
               "[REC-DBG-CORTEX-M-DEBUG-MONITOR/CORTEX_M_DEBUG_MONITOR_HOOK]")
    # the symbol's last words that fit, then a digest of the exact node ID
    assert guide_check_id(mission) == f"TEST-PY-DEBUG-MONITOR-HOOK-{digest(mission)}"
    plain = "tests/test_stack.py::TestSentinel::test_sentinel_set"
    assert guide_check_id(plain) == f"TEST-PY-SENTINEL-SET-{digest(plain)}"
    # a scenario name that fits is kept whole, with no digest
    assert target_test_id("crypto.mbedtls") == "TEST-ZT-CRYPTO-MBEDTLS"
    long = "kernel.memory_protection.syscalls.timeslicing"
    assert target_test_id(long) == f"TEST-ZT-TIMESLICING-{digest(long)}"
    # nothing readable: the digest alone, still a valid need ID
    assert guide_check_id("tests/x.py::test_[???]") == f"TEST-PY-{digest('tests/x.py::test_[???]')}"
    # a single word longer than the room left keeps its start
    word = "tests/x.py::test_" + "a" * 40
    assert guide_check_id(word) == f"TEST-PY-{'A' * 19}-{digest(word)}"


def test_ids_of_the_shipped_model_and_a_real_test_run_are_short_unique_and_valid() -> None:
    model = shipped_model()
    results = load_results([MAKE_TEST_JUNIT])
    marked = marked_tests(results)
    assert sum(len(tests) for tests in marked.values()) >= 40, "the mission tests are marked"
    items = need_items(model, "4.2.99", need_results(model, results), marked=marked,
                       marked_source=results_source(results))
    tests = [item for item in items if item.type == "test"]
    generated = [item for item in tests
                 if item.extra["verification_kind"] in ("guide-check", "target-test")]
    assert len(generated) >= 100
    too_long = [item.id for item in generated if len(item.id) > MAX_GENERATED_ID]
    assert too_long == []
    assert [item.id for item in tests if not NEED_ID.match(item.id)] == []
    # one need per distinct test: as many IDs as node IDs and scenario names
    refs = {item.title for item in generated}
    assert len({item.id for item in generated}) == len(refs) == len(generated)
    assert id_collisions(model, marked, results_source(results)) == []
    # every kind stays within the lengths the README states
    longest = {kind: max(len(i.id) for i in tests if i.extra["verification_kind"] == kind)
               for kind in ("build-audit", "manual-check")}
    assert longest["build-audit"] <= len("TEST-AUDIT-") + 32
    assert longest["manual-check"] <= len("TEST-MAN-") + 32


def test_mission_tests_keep_their_node_id_and_result() -> None:
    model = shipped_model()
    results = load_results([MAKE_TEST_JUNIT])
    items = {item.title: item for item in need_items(
        model, "4.2.99", need_results(model, results), marked=marked_tests(results))
        if item.type == "test"}
    node = ("tests/test_mission.py::test_recommended_setting_is_real"
            "[REC-STACK-CANARIES/STACK_CANARIES]")
    need = items[node]  # the full node ID stays the need's title
    assert need.id == f"TEST-PY-STACK-CANARIES-{digest(node)}"
    # the result was matched by the node ID, not by the short ID
    assert need.extra["result"] == "valid for tree"
    assert need.extra["verifies"] == "REC-STACK-CANARIES"


def test_ids_do_not_depend_on_result_order_or_other_results(tmp_path: Path) -> None:
    model = shipped_model()
    text = MAKE_TEST_JUNIT.read_text()
    cases = re.findall(r"<testcase .*?</testcase>|<testcase [^>]*/>", text, re.S)
    assert len(cases) > 100
    head, tail = text.split(cases[0], 1)[0], "</testsuite></testsuites>"
    reversed_file = tmp_path / "reversed.xml"
    reversed_file.write_text(head + "".join(reversed(cases)) + tail)
    half = tmp_path / "half.xml"  # fewer tests in the run: the others keep their IDs
    half.write_text(head + "".join(cases[::2]) + tail)

    def ids(path: Path) -> dict[str, str]:
        results = load_results([path])
        return {item.title: item.id for item in need_items(
            model, "4.2.99", need_results(model, results), marked=marked_tests(results))
            if item.type == "test"}

    original = ids(MAKE_TEST_JUNIT)
    assert ids(reversed_file) == original
    fewer = ids(half)
    assert fewer and all(original[title] == need_id for title, need_id in fewer.items())


def _clashing_node_ids() -> tuple[str, str]:
    """Two different node IDs with the same last words and the same 4-digit digest."""
    seen: dict[str, str] = {}
    for number in itertools.count():
        node = f"tests/test_{number}.py::test_recommended_setting_is_real[REC-X/STACK_CANARIES]"
        earlier = seen.setdefault(guide_check_id(node), node)
        if earlier != node:
            return earlier, node
    raise AssertionError("unreachable")


def test_a_collision_is_an_error_at_both_places() -> None:
    first, second = _clashing_node_ids()
    assert guide_check_id(first) == guide_check_id(second)
    loc = SourceLoc("threatmodel/recommendations/x.yaml", 7, 9)
    yaml_entry = Verification(kind="guide-check", ref=first, loc=loc)
    twin = Verification(kind="target-test", ref="net.socket_tcp",
                        loc=dataclasses.replace(loc, line=9))
    other = Verification(kind="target-test", ref="net.socket.tcp",
                         loc=dataclasses.replace(loc, line=11))
    model = ThreatModel(recommendations=(dataclasses.replace(
        _one_recommendation(), verifications=(yaml_entry, twin, other)),))
    marked = {"REC-MINI-CANARIES": ((second, "valid for tree"),)}
    found = id_collisions(model, marked, SourceLoc("_build/test-results.xml"))
    assert [(str(d.loc), d.code, d.severity.value) for d in found] == [
        ("threatmodel/recommendations/x.yaml:11:9", Code.VERIFICATION_ID_COLLISION, "error"),
        ("_build/test-results.xml", Code.VERIFICATION_ID_COLLISION, "error"),
    ]
    assert found[0].message == (
        "'net.socket.tcp' gets the verification ID TEST-ZT-NET-SOCKET-TCP, which "
        "'net.socket_tcp' (threatmodel/recommendations/x.yaml:9:9) already has; they "
        "would merge into one need: rename one of the two tests")
    assert repr(second) in found[1].message and repr(first) in found[1].message
    # the same test named twice (YAML entry and marker) is one need, not a collision
    # two build audits of one recommendation would share TEST-AUDIT-<recommendation>
    audits = _one_recommendation().verifications[2:3]
    assert [v.kind for v in audits] == ["build-audit"]
    twice = (*audits, dataclasses.replace(audits[0], ref="debug", loc=loc))
    [audit] = id_collisions(ThreatModel(recommendations=(dataclasses.replace(
        _one_recommendation(), verifications=twice),)))
    assert (str(audit.loc), audit.code) == (str(loc), Code.VERIFICATION_ID_COLLISION)
    assert audit.message.startswith("'debug' gets the verification ID TEST-AUDIT-MINI-CANARIES")
    assert audit.message.endswith("a recommendation has one build audit")
    again = id_collisions(model, {"REC-MINI-CANARIES": ((first, "valid for tree"),)},
                          SourceLoc("r.xml"))
    assert [str(d.loc) for d in again] == ["threatmodel/recommendations/x.yaml:11:9"]


def _one_recommendation() -> Recommendation:
    model, _ = load_threat_model(FIXTURES / "review" / "verified-model")
    return model.recommendations[0]


def test_stamps_made_before_short_ids_still_match(tmp_path: Path) -> None:
    """The fixture's stamp was computed by the code before IDs were shortened: the
    fingerprint holds the YAML's verification entries, never the derived need IDs."""
    shutil.copytree(FIXTURES / "trees" / "mini", tmp_path / "mini")
    db = load_symbol_db(tmp_path / "mini", use_cache=False, cache_dir=tmp_path / "cache")[0]
    model, diagnostics = load_threat_model(FIXTURES / "review" / "verified-model")
    assert diagnostics == []
    rec = model.recommendations[0]
    assert [verification_id(v) for v in rec.verifications][:2] == [
        f"TEST-ZT-STACKPROT-{digest('kernel.memory_protection.stackprot')}",
        f"TEST-PY-STACK-CANARIES-{digest(rec.verifications[1].ref)}"]
    state = review_states(model, db)["REC-MINI-CANARIES"]
    assert state.status is ReviewStatus.REVIEWED, state.reasons


@pytest.mark.parametrize("kind", ["guide-check", "target-test"])
def test_ids_are_pure_functions_of_the_reference(kind: str) -> None:
    ref = ("tests/a.py::test_b[c]" if kind == "guide-check"
           else "kernel.common.stack_protection_armv8m_mpu_stack_guard")
    entry = Verification(kind=kind, ref=ref, loc=SourceLoc("x.yaml", 1))
    assert verification_id(entry) == verification_id(dataclasses.replace(
        entry, note="another note", loc=SourceLoc("y.yaml", 99), setting="X"))


def test_todays_mission_tests_and_scenarios_get_distinct_ids() -> None:
    """The node IDs pytest collects now, not only those of the stored report: a setting
    added to the model tomorrow must not share an ID with another test."""
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "tests/test_mission.py"], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    nodes = [line for line in done.stdout.splitlines() if line.startswith("tests/")]
    model = shipped_model()
    # one case per current recommended setting, then the mission's other tests
    assert sum("::test_recommended_setting_is_real[" in node for node in nodes) >= 50
    marked = {"REC-ANY": tuple((node, "valid for tree") for node in nodes)}
    assert id_collisions(model, marked) == []
    ids = [guide_check_id(node) for node in nodes] + [
        verification_id(v) for rec in model.recommendations for v in rec.verifications
        if v.kind == "target-test"]
    assert [i for i in ids if len(i) > MAX_GENERATED_ID or not NEED_ID.match(i)] == []
    assert len(set(ids)) == len(set(nodes)) + len({v.ref for rec in model.recommendations
                                                   for v in rec.verifications
                                                   if v.kind == "target-test"})


def test_clashing_results_fail_coverage_and_export(tmp_path: Path, zephyr_v4_path: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    first, second = _clashing_node_ids()
    cases = "".join(
        f'<testcase classname="x" name="y"><properties><property name="nodeid" value="{n}"/>'
        '<property name="verifies" value="REC-STACK-CANARIES"/></properties></testcase>'
        for n in (first, second))
    report = tmp_path / "report.xml"
    report.write_text(f"<testsuites><testsuite>{cases}</testsuite></testsuites>")
    common = ["--threatmodel", str(REPO / "threatmodel"), "--zephyr-base", str(zephyr_v4_path),
              "--results", str(report)]
    assert main(["coverage", *common]) == 1
    err = capsys.readouterr().err
    assert "[verification-id-collision]" in err and guide_check_id(first) in err
    out = tmp_path / "evidence"
    assert main(["export", "--out", str(out), *common]) == 1
    assert "[verification-id-collision]" in capsys.readouterr().err
    assert not out.exists()  # two tests are never merged into one need of the evidence
