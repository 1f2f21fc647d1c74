"""The scenario index of real trees and the check of zephyr_test / pytest references."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from secguide.diagnostics import Severity
from secguide.model.items import Verification
from secguide.model.loader import load_threat_model
from secguide.trace.verifications import check_verifications
from secguide.zephyr.scenarios import ScenarioIndex, index_scenarios, scenario_name_of
from trace_fixtures import loc, small_model

REPO = Path(__file__).resolve().parents[2]


def test_v4_index_has_every_scenario_with_its_line(scenarios_v4: ScenarioIndex) -> None:
    assert scenarios_v4.files == 1626
    assert len(scenarios_v4) == 3905
    assert not scenarios_v4.ambiguous and not scenarios_v4.warnings
    stackprot = scenarios_v4.get("kernel.memory_protection.stackprot")
    assert stackprot is not None
    assert str(stackprot.loc) == "tests/kernel/mem_protect/stackprot/testcase.yaml:2"
    assert stackprot.tags == ("kernel", "userspace")
    assert stackprot.arch_exclude == ("xtensa", "posix", "sparc", "rx")
    tls = scenarios_v4.get("kernel.memory_protection.stackprot_tls")
    assert tls is not None and tls.loc.line == 12
    assert tls.filter.startswith("CONFIG_ARCH_HAS_STACK_CANARIES_TLS and")


def test_common_tags_merge_and_samples_are_indexed(scenarios_v4: ScenarioIndex) -> None:
    hello = scenarios_v4.get("sample.basic.helloworld")
    assert hello is not None and hello.kind == "sample"
    assert hello.loc.path == "samples/hello_world/sample.yaml"
    assert hello.tags == ("introduction",)
    common = scenarios_v4.get("kernel.common.tls")
    assert common is not None
    assert set(common.tags) == {"base", "kernel", "userspace"}
    qualified = scenarios_v4.get("tests/kernel/common/kernel.common.tls")
    assert qualified is common


def test_v1_keys_reused_across_files_are_ambiguous(zephyr_v1_path: Path) -> None:
    index = index_scenarios(zephyr_v1_path)
    assert "test" in index.ambiguous
    assert "test" not in index.scenarios
    assert "samples/basic/blinky/test" in index.qualified


def test_index_composes_with_libyaml() -> None:
    # speed comes from libyaml (PyYAML's wheels ship it); it is measured, not asserted
    import yaml

    from secguide.zephyr import scenarios
    assert scenarios._Loader is yaml.CSafeLoader


def test_broken_scenario_file_is_a_warning_with_its_line(tmp_path: Path) -> None:
    good = tmp_path / "tests" / "a"
    good.mkdir(parents=True)
    (good / "testcase.yaml").write_text("tests:\n  a.one:\n    tags: x y\n")
    bad = tmp_path / "tests" / "b"
    bad.mkdir()
    (bad / "testcase.yaml").write_text("tests:\n  b.one:\n    tags: [x\n")
    index = index_scenarios(tmp_path)
    assert "a.one" in index and "b.one" not in index
    assert index.get("a.one").tags == ("x", "y")
    [warning] = index.warnings
    assert warning.loc.path == "tests/b/testcase.yaml" and warning.loc.line > 0
    assert warning.code == "scenario-file-unreadable"


def test_unknown_scenario_is_an_error_at_its_line_with_suggestions(
        scenarios_v4: ScenarioIndex) -> None:
    model = small_model()
    canaries = model.recommendations[0]
    typo = Verification(kind="target-test", ref="kernel.memory_protection.stackprott",
                        loc=loc(42))
    model = dataclasses.replace(model, recommendations=(
        dataclasses.replace(canaries, verifications=(*canaries.verifications, typo)),
        *model.recommendations[1:]))
    [diagnostic] = check_verifications(model, scenarios_v4, zephyr_version="4.2.99")
    assert diagnostic.severity is Severity.ERROR
    assert str(diagnostic) == (
        "threatmodel/recommendations/small.yaml:42:5: error: zephyr_test "
        "'kernel.memory_protection.stackprott': Zephyr 4.2.99 has no such test scenario; "
        "did you mean kernel.memory_protection.stackprot, "
        "kernel.memory_protection.stackprot_tls, kernel.memory_protection.stack_random? "
        "[unknown-test-scenario]")


def test_unknown_scenario_in_real_yaml_points_at_the_line(
        tmp_path: Path, scenarios_v4: ScenarioIndex) -> None:
    folder = tmp_path / "threatmodel"
    shutil.copytree(REPO / "threatmodel", folder)
    target = folder / "recommendations" / "stack-protection.yaml"
    text = target.read_text()
    match = re.search(r"zephyr_test: (kernel\.memory_protection\.stackprot)\n", text)
    assert match is not None, "the shipped model verifies canaries with stackprot"
    line = text.count("\n", 0, match.start()) + 1
    target.write_text(text[:match.start(1)] + "kernel.memprot.stackprot" + text[match.end(1):])
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert [p for p in problems if p.severity is Severity.ERROR] == []
    found = check_verifications(model, scenarios_v4)
    assert [(d.loc.path, d.loc.line, d.code) for d in found] == [
        ("threatmodel/recommendations/stack-protection.yaml", line, "unknown-test-scenario")]
    assert "did you mean kernel.memory_protection.stackprot" in found[0].message


def test_shipped_model_names_only_existing_scenarios(scenarios_v4: ScenarioIndex) -> None:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    refs = [v for r in model.recommendations for v in r.verifications
            if v.kind == "target-test"]
    assert len(refs) >= 20
    assert check_verifications(model, scenarios_v4, repo_root=REPO) == []


def test_ambiguous_v1_name_asks_for_the_qualified_one(zephyr_v1_path: Path) -> None:
    index = index_scenarios(zephyr_v1_path)
    model = small_model()
    rec = dataclasses.replace(model.recommendations[0], verifications=(
        Verification(kind="target-test", ref="test", loc=loc(7)),
        Verification(kind="target-test", ref="samples/basic/blinky/test", loc=loc(8))))
    found = check_verifications(dataclasses.replace(model, recommendations=(rec,)), index)
    assert [(d.loc.line, d.code) for d in found] == [(7, "ambiguous-test-scenario")]
    assert "name one as <directory>/<name>" in found[0].message


@pytest.mark.parametrize(("ref", "problem"), [
    ("tests/test_nothing_here.py::test_x", "names tests/test_nothing_here.py, which does not"),
    ("tests/zephyr/test_scenarios.py::test_not_defined_anywhere",
     "names test_not_defined_anywhere, which tests/zephyr/test_scenarios.py does not define"),
    ("tests/zephyr/test_scenarios.py", "is not a node ID"),
])
def test_pytest_refs_are_checked_statically(ref: str, problem: str) -> None:
    model = small_model()
    rec = dataclasses.replace(model.recommendations[1], verifications=(
        Verification(kind="guide-check", ref=ref, loc=loc(3)),
        Verification(kind="guide-check",
                     ref="tests/zephyr/test_scenarios.py::test_index_composes_with_libyaml",
                     loc=loc(4))))
    found = check_verifications(dataclasses.replace(model, recommendations=(rec,)),
                                ScenarioIndex(scenarios={}), repo_root=REPO)
    assert [(d.loc.line, d.code) for d in found] == [(3, "unknown-pytest-node")]
    assert problem in found[0].message


def test_twister_suite_names_map_to_scenarios() -> None:
    assert scenario_name_of("tests/kernel/common/kernel.common") == "kernel.common"
    assert scenario_name_of("kernel.common") == "kernel.common"


# -- the index kept in the cache folder ----------------------------------------------------

DEMO_TESTCASE = """\
tests:
  demo.one:
    tags: [kernel, userspace]
    platform_allow: [qemu_x86]
    arch_exclude: [posix]
  demo.same:
    filter: CONFIG_USERSPACE
"""


def test_scenario_index_is_cached_until_a_scenario_file_changes(
        mini_tree: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from secguide.trace.project import Project
    from secguide.zephyr.tree import resolve_tree

    demo = mini_tree / "tests" / "demo" / "testcase.yaml"
    demo.parent.mkdir(parents=True)
    demo.write_text(DEMO_TESTCASE)
    other = mini_tree / "samples" / "other" / "sample.yaml"  # a second demo.same: ambiguous
    other.parent.mkdir(parents=True)
    other.write_text("tests:\n  demo.same:\n    tags: [samples]\n")
    broken = mini_tree / "samples" / "broken" / "sample.yaml"
    broken.parent.mkdir(parents=True)
    broken.write_text("tests: [unclosed\n")
    fresh = index_scenarios(mini_tree)
    assert (fresh.files, len(fresh), len(fresh.warnings)) == (3, 3, 1)
    assert fresh.ambiguous == {"demo.same": ("samples/other/demo.same", "tests/demo/demo.same")}

    def scenarios() -> ScenarioIndex:
        return Project(REPO / "threatmodel", resolve_tree(mini_tree),
                       cache_dir=tmp_path / "cache").scenarios

    assert scenarios() == fresh
    [written] = (tmp_path / "cache").glob("scenarios-*.json")

    def refuse(_root: Path) -> ScenarioIndex:
        raise AssertionError("scenario files parsed again")
    monkeypatch.setattr("secguide.trace.project.index_scenarios", refuse)
    cached = scenarios()
    assert cached == fresh
    assert cached.get("demo.one").tags == ("kernel", "userspace")
    assert cached.get("demo.same") is None  # still ambiguous after the round trip

    # an edited scenario file is another key: parsed again (refused here), never stale
    demo.write_text(DEMO_TESTCASE + "  demo.three:\n    tags: [x]\n")
    with pytest.raises(AssertionError, match="parsed again"):
        scenarios()
    monkeypatch.undo()
    updated = scenarios()
    assert "demo.three" in updated
    # a corrupt cache file is parsed again, not trusted
    [current] = set((tmp_path / "cache").glob("scenarios-*.json")) - {written}
    current.write_text("{broken")
    assert scenarios() == updated
    assert json.loads(current.read_text())["kind"] == "scenarios"
