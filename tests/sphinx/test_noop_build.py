"""A build with nothing to do: the findings are kept per input, never served stale.

The guide's findings are kept in the cache folder with stamps of everything they are
computed from (:mod:`secguide.sphinx.findings_memo`). These tests plant a finding in
the kept file that no model produces: a build with nothing changed must report it (the
kept findings are what a no-op build emits), and a build after any input changed must
not (they are computed again).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.sphinx.test_sphinx_ext import build as build_app
from tests.sphinx.test_sphinx_ext import tiny_guide, warnings_of

import secguide.sphinx
from secguide.sphinx import model as sphinx_model
from secguide.trace.project import Project

PLANTED = "planted finding that no model makes"

PYTEST_REF = """\
      - pytest: tests/test_canary.py::test_canary_symbol_exists
"""


@pytest.fixture
def project(tmp_path: Path, mini_tree: Path) -> Path:
    """The tiny guide on a writable mini tree, with a ``pytest`` verification."""
    src = tiny_guide(tmp_path, mini_tree)
    recs = src / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text() + PYTEST_REF)
    (src / "tests").mkdir()
    test = src / "tests" / "test_canary.py"
    test.write_text("def test_canary_symbol_exists():\n    pass\n")
    # written a while ago: one written while findings are computed is not kept (below)
    earlier = time.time_ns() - 60 * 10**9
    os.utime(test, ns=(earlier, earlier))
    return src


def build(src: Path) -> list[str]:
    """One in-process build into ``src/_build``; its warning lines, paths relative."""
    return warnings_of(build_app(src))


def memo_files(src: Path) -> list[Path]:
    """The kept findings of the guide in ``src`` (tests use their own cache folder)."""
    cache = Path(os.environ["SECGUIDE_CACHE_DIR"])
    return [path for path in cache.glob("guide-findings-*.json")
            if str(src.resolve()) in json.loads(path.read_text())["slot"]]


def memo_file(src: Path) -> Path:
    found = memo_files(src)
    assert len(found) == 1, found
    return found[0]


def plant(src: Path) -> None:
    path = memo_file(src)
    data = json.loads(path.read_text())
    data["project"].append(["threatmodel/threats.yaml", 1, 0, "warning", "unknown-symbol",
                            PLANTED])
    path.write_text(json.dumps(data))


def later(path: Path) -> None:
    """A new mtime, as an editor's save gives (the fixture copies keep old ones)."""
    stamp = time.time_ns() + 10**9
    os.utime(path, ns=(stamp, stamp))


def test_a_build_with_nothing_changed_emits_the_kept_findings(project: Path) -> None:
    assert build(project) == []
    plant(project)
    assert [w for w in build(project) if PLANTED in w] == [
        f"threatmodel/threats.yaml:1: WARNING: {PLANTED} [secguide.unknown-symbol]"]


def _edit_yaml(src: Path, tree: Path) -> None:
    recs = src / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text() + "# a comment\n")
    later(recs)


def _touch_yaml(src: Path, tree: Path) -> None:
    later(src / "threatmodel" / "threats.yaml")


def _new_yaml_file(src: Path, tree: Path) -> None:
    (src / "threatmodel" / "extra.yaml").write_text("threats: []\n")


def _edit_kconfig(src: Path, tree: Path) -> None:
    kernel = tree / "kernel" / "Kconfig"
    kernel.write_text(kernel.read_text().replace("Canaries detect stack smashing.",
                                                 "Canaries detect smashed stacks."))
    later(kernel)


def _new_scenario_file(src: Path, tree: Path) -> None:
    folder = tree / "tests" / "kernel" / "canary"
    folder.mkdir(parents=True)
    (folder / "testcase.yaml").write_text("tests:\n  kernel.canary.basic:\n    tags: kernel\n")


def _edit_page(src: Path, tree: Path) -> None:
    about = src / "about.rst"
    about.write_text(about.read_text() + "\nOne more sentence.\n")
    later(about)


def _edit_test_file(src: Path, tree: Path) -> None:
    test = src / "tests" / "test_canary.py"
    test.write_text("def test_renamed():\n    pass\n")
    later(test)


def _change_code(src: Path, tree: Path) -> None:
    # what an edit of secguide's own files does to the package digest
    secguide.sphinx.ENV_VERSION += 1


@pytest.mark.parametrize("change", [_edit_yaml, _touch_yaml, _new_yaml_file, _edit_kconfig,
                                    _new_scenario_file, _edit_page, _edit_test_file,
                                    _change_code])
def test_any_changed_input_computes_the_findings_again(
        project: Path, mini_tree: Path, change, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(secguide.sphinx, "ENV_VERSION", secguide.sphinx.ENV_VERSION)
    assert build(project) == []
    plant(project)
    change(project, mini_tree)
    lines = build(project)
    assert not any(PLANTED in w for w in lines), lines


def test_findings_read_from_a_file_written_meanwhile_are_not_kept(project: Path) -> None:
    """A test file is stamped after the findings are computed (it is known once the model
    is read): one written since they began may have been read in its earlier state."""
    test = project / "tests" / "test_canary.py"
    os.utime(test)  # now: as if saved while the build ran
    assert build(project) == []
    assert memo_files(project) == []
    settled = time.time_ns() - 10 * 10**9
    os.utime(test, ns=(settled, settled))
    assert build(project) == []
    assert len(memo_files(project)) == 1


def test_a_renamed_test_function_is_reported_after_a_noop_build(project: Path) -> None:
    """The kept findings follow the test files ``pytest`` verifications name."""
    assert build(project) == []
    _edit_test_file(project, project)
    lines = build(project)
    assert any("unknown-pytest-node" in w and "test_canary_symbol_exists" in w
               for w in lines), lines
    assert any("unknown-pytest-node" in w for w in build(project))  # and again


def test_noop_build_loads_no_model_and_a_read_loads_it_once(
        project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert build(project) == []
    opened = []
    real_open = Project.open

    def counting_open(*args, **kwargs):
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(Project, "open", counting_open)
    monkeypatch.setattr(sphinx_model, "_CACHE", {})  # no state kept from the build above
    assert build(project) == []
    assert opened == []
    _edit_yaml(project, project)
    assert build(project) == []
    assert opened == [1]


def test_noop_build_with_w_fails_on_a_model_warning_each_time(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("symbol: STACK_CANARIES", "symbol: STACK_CANARIS"))
    line = next(number for number, text in enumerate(recs.read_text().splitlines(), 1)
                if "STACK_CANARIS" in text)
    command = [str(Path(sys.executable).parent / "sphinx-build"), "-b", "html", "-W",
               "--keep-going", "-q", ".", "_build/cli"]
    for _ in range(2):  # the second build has nothing to do
        done = subprocess.run(command, cwd=project, capture_output=True, text=True,
                              check=False)
        assert done.returncode != 0
        assert f"threatmodel/recommendations.yaml:{line}: WARNING:" in done.stderr
        assert "STACK_CANARIS" in done.stderr


#: What only computing or rendering the model needs: not imported with the extension.
LAZY_MODULES = ("jsonschema", "yaml", "kconfiglib", "secguide.trace.project",
                "secguide.trace.diff", "secguide.trace.boards", "secguide.evidence.board_page",
                "secguide.model.hardening_db", "secguide.model.loader",
                "secguide.model.product_model",
                "secguide.zephyr.kconfig.cache", "secguide.trace.standards")


REPO = Path(__file__).resolve().parents[2]
UPSTREAM_HARDENING = REPO.parent / "shared" / "zephyr" / "upstream-hardening"

#: What a no-op build does besides importing: list and stamp the model's, the hardening
#: database's and the tree's files.
NOOP_WORK = """
import json, sys
from pathlib import Path
import secguide.sphinx
from secguide.model.hardening_files import hardening_files
from secguide.model.model_files import threatmodel_files
from secguide.zephyr.tree_stamp import scan_tree_inputs
assert threatmodel_files(Path(sys.argv[1]) / "threatmodel")
assert hardening_files(Path(sys.argv[2]))
assert scan_tree_inputs(Path(sys.argv[3])).stamp()
print(json.dumps(sorted(sys.modules)))
"""


def test_the_extension_imports_nothing_a_noop_build_does_not_use(
        zephyr_v4_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", NOOP_WORK, str(REPO), str(UPSTREAM_HARDENING),
         str(zephyr_v4_path)], capture_output=True, text=True, check=True)
    loaded = set(json.loads(done.stdout))
    assert "secguide.sphinx.boards" in loaded  # the extension itself is all there
    assert [name for name in LAZY_MODULES if name in loaded] == []


def needs_titles(src: Path) -> dict[str, str]:
    data = json.loads((src / "_build" / "html" / "needs.json").read_text())
    needs = next(iter(data["versions"].values()))["needs"]
    return {need_id: need["title"] for need_id, need in needs.items()}


def test_needs_json_is_written_again_only_when_its_needs_can_have_changed(
        project: Path) -> None:
    needs_json = project / "_build" / "html" / "needs.json"
    assert build(project) == []
    written = needs_json.stat().st_mtime_ns
    assert build(project) == []
    assert needs_json.stat().st_mtime_ns == written  # nothing changed: not encoded again
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("Turn on stack canaries", "Enable canaries"))
    later(recs)
    assert build(project) == []
    assert needs_titles(project)["REC-CANARIES"] == "Enable canaries"
    needs_json.unlink()
    assert build(project) == []
    assert needs_titles(project)["REC-CANARIES"] == "Enable canaries"


def test_noop_build_runs_no_full_collection(project: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Freezing what pages made costs a walk of the whole heap: not when none was read."""
    import gc
    import types

    from secguide.sphinx import memory

    assert build(project) == []
    collections = []
    counting = types.SimpleNamespace(**{name: getattr(gc, name) for name in dir(gc)
                                        if not name.startswith("__")})
    counting.collect = lambda *args: collections.append(args) or 0
    monkeypatch.setattr(memory, "gc", counting)
    assert build(project) == []
    assert collections == []
    _edit_page(project, project)
    assert build(project) == []
    assert collections != []  # a page was read: what it made is collected, then frozen
