"""Importing JUnit XML and twister.json, and the pytest plugin that links tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError
from secguide.trace.results import (
    Outcome,
    load_results,
    need_results,
    nodeid_from_junit,
    verification_outcomes,
)
from secguide.trace.verification_ids import guide_check_id, target_test_id
from trace_fixtures import small_model

pytest_plugins = ("pytester",)

RESULTS = Path(__file__).resolve().parents[1] / "fixtures" / "results"
STACKPROT = target_test_id("kernel.memory_protection.stackprot")
CANARIES_SET = guide_check_id("tests/test_stack.py::test_canaries_set")


def test_pytest_junit_outcomes_and_verifies_properties() -> None:
    results = load_results([RESULTS / "pytest-junit.xml"])
    assert results.pytest == {
        # reported twice (passed both times): one entry
        "tests/test_stack.py::test_canaries_set": Outcome.PASSED,
        "tests/test_stack.py::TestSentinel::test_sentinel[arm]": Outcome.FAILED,
        "tests/test_stack.py::test_skipped": Outcome.SKIPPED,
        "tests/test_stack.py::test_errors": Outcome.ERROR,
    }
    assert results.verifies == {
        "REC-SP-CANARIES": ["tests/test_stack.py::test_canaries_set"],
        "REC-SP-GUARD": ["tests/test_stack.py::test_canaries_set",
                         "tests/test_stack.py::TestSentinel::test_sentinel[arm]"],
    }
    assert results.marked_outcome("REC-SP-GUARD") is Outcome.FAILED
    assert results.marked_outcome("REC-SP-CANARIES") is Outcome.PASSED
    assert results.marked_outcome("REC-NOBODY") is None
    [shown] = results.files
    assert shown.format == "junit" and len(shown.sha256) == 64


def test_junit_without_plugin_properties_rebuilds_node_ids() -> None:
    results = load_results([RESULTS / "plain-junit.xml"])
    assert sorted(results.pytest) == [
        "tests/test_export.py::TestManifest::test_hashes",
        "tests/test_export.py::test_csv_round_trip",
    ]
    assert nodeid_from_junit("", "test_x") == "test_x"


def test_twister_json_takes_the_worst_platform() -> None:
    results = load_results([RESULTS / "twister.json"])
    assert results.zephyr["kernel.memory_protection.stackprot"] is Outcome.FAILED
    assert results.zephyr["tests/kernel/mem_protect/stackprot/"
                          "kernel.memory_protection.stackprot"] is Outcome.FAILED
    assert results.zephyr["kernel.memory_protection.userspace"] is Outcome.PASSED
    assert results.zephyr["kernel.memory_protection.stack_random"] is Outcome.NOT_RUN
    assert results.zephyr["kernel.memory_protection.mem_map"] is Outcome.SKIPPED


def test_outcomes_of_the_model_verifications() -> None:
    model = small_model()
    results = load_results([RESULTS / "twister.json", RESULTS / "pytest-junit.xml"])
    outcomes = {v.ref: o.value for v, o in verification_outcomes(model, results).items()}
    assert outcomes == {
        "kernel.memory_protection.stackprot": "failed",
        "Check the map file": "manual",
        "tests/test_stack.py::test_canaries_set": "passed",
    }
    assert need_results(model, None) == {
        STACKPROT: "not run",
        "TEST-MAN-MAP-FILE": "manual",
        CANARIES_SET: "not run",
    }
    # with results, each outcome is worded for what its kind proves: the target test
    # names the platform it failed on, the guide check never says "passed"
    assert need_results(model, results) == {
        STACKPROT: "failed on qemu_x86",
        "TEST-MAN-MAP-FILE": "manual",
        CANARIES_SET: "valid for tree",
    }
    assert results.platforms["kernel.memory_protection.stackprot"] == {
        "qemu_cortex_m3/ti_lm3s6965": Outcome.PASSED, "qemu_x86": Outcome.FAILED}


@pytest.mark.parametrize(("name", "message"), [
    ("broken.xml", "broken.xml:5:5: not well-formed XML: mismatched tag"),
    ("entities.xml", "entities.xml:2: a DOCTYPE is not allowed in a JUnit report"),
    ("not-junit.xml", "not-junit.xml:2: not a JUnit report: the root element is <html>"),
    ("broken-twister.json", "broken-twister.json:4:54: not valid JSON: "
                            "Expecting property name enclosed in double quotes"),
    ("bad-status-twister.json", "bad-status-twister.json: testsuites[1] "
                                "(kernel.memory_protection.stackprot): unknown status "
                                "'exploded'"),
])
def test_malformed_result_files_are_refused_with_file_and_line(name: str, message: str) -> None:
    with pytest.raises(SecguideError) as caught:
        load_results([RESULTS / name], display_base=RESULTS)
    assert str(caught.value).startswith(message)
    assert caught.value.exit_code == 2  # a usage error, like a missing file


@pytest.mark.parametrize(("content", "message"), [
    (b"", "empty.out: the result file is empty (0 bytes)"),
    (b"[1, 2]", "empty.out: not a result file"),
    (b'{"environment": {}}', "empty.out: not a twister.json report: no 'testsuites' list"),
    (b'{"testsuites": [{"status": "passed"}]}', "empty.out: testsuites[0]: no 'name'"),
    (b"<testsuite><testcase classname='a'/></testsuite>",
     "empty.out:1: <testcase> without a name"),
    (b"<testsuite><testcase name='t'><properties><property name='x'/></properties>"
     b"</testcase></testsuite>", "empty.out:1: <property> needs both 'name' and 'value'"),
    (b"\xff\xfe{", "empty.out: not a result file"),
])
def test_more_malformed_inputs(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "empty.out"
    path.write_bytes(content)
    with pytest.raises(SecguideError) as caught:
        load_results([path], display_base=tmp_path)
    assert str(caught.value).startswith(message)


def test_missing_result_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SecguideError) as caught:
        load_results([tmp_path / "nope.xml"], display_base=tmp_path)
    assert str(caught.value) == "nope.xml: cannot read result file: no such file"
    assert caught.value.exit_code == 2


def test_plugin_writes_verifies_and_nodeid_into_junit(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_linked="""
        import pytest

        @pytest.mark.verifies("REC-SP-CANARIES", "REC-SP-GUARD")
        def test_one():
            assert True

        class TestGroup:
            @pytest.mark.verifies("REC-SP-GUARD")
            @pytest.mark.parametrize("n", [1, 2])
            def test_two(self, n):
                assert n == 1

        def test_plain():
            pass
    """)
    report = pytester.path / "report.xml"
    outcome = pytester.runpytest_subprocess("-p", "secguide.pytest_plugin",
                                            f"--junitxml={report}")
    outcome.assert_outcomes(passed=3, failed=1)
    results = load_results([report])
    assert results.pytest == {
        "test_linked.py::test_one": Outcome.PASSED,
        "test_linked.py::TestGroup::test_two[1]": Outcome.PASSED,
        "test_linked.py::TestGroup::test_two[2]": Outcome.FAILED,
        "test_linked.py::test_plain": Outcome.PASSED,
    }
    assert results.verifies == {
        "REC-SP-CANARIES": ["test_linked.py::test_one"],
        "REC-SP-GUARD": ["test_linked.py::test_one", "test_linked.py::TestGroup::test_two[1]",
                         "test_linked.py::TestGroup::test_two[2]"],
    }


def test_plugin_refuses_a_marker_without_a_recommendation_id(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_bad="""
        import pytest

        @pytest.mark.verifies("stack canaries")
        def test_one():
            pass
    """)
    outcome = pytester.runpytest_subprocess("-p", "secguide.pytest_plugin")
    assert outcome.ret == pytest.ExitCode.USAGE_ERROR
    outcome.stderr.fnmatch_lines(["*verifies('stack canaries'): not a recommendation ID*"])
