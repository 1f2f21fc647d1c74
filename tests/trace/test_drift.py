"""Drift between trees: the real 1.13 -> 4.2 history, and every kind of change on the mini tree."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from secguide.cli.drift import format_markdown
from secguide.cli.main import main
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.model.releases import introduced_later
from secguide.trace.drift import Usage, drift_report, model_drift, model_symbols
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "review"
DRAFT_SYMBOLS = [
    "APPLICATION_MEMORY", "CONSOLE_SHELL", "KERNEL_DEBUG", "RETPOLINE", "SYS_LOG",
    "X86_PAE_MODE", "X86_TSC_RANDOM_GENERATOR", "XOROSHIRO_RANDOM_GENERATOR",
]


def load_model(name: str) -> ThreatModel:
    model, diagnostics = load_threat_model(FIXTURES / name)
    assert diagnostics == []
    return model


# -- the real trees -------------------------------------------------------------------------

def test_draft_symbols_are_removed_between_real_trees(db_v1: SymbolDB, db_v4: SymbolDB) -> None:
    report = model_drift(load_model("draft-model"), db_v1, db_v4)
    assert [entry.name for entry in report.by_status("removed")] == DRAFT_SYMBOLS
    assert report.old_version == "1.13.0" and report.new_version == "4.2.99"
    # The model's recorded renames come first, and say whether the target exists.
    xoroshiro = report.get("CONFIG_XOROSHIRO_RANDOM_GENERATOR")
    assert xoroshiro is not None
    recorded = xoroshiro.successors[0]
    assert (recorded.name, recorded.why, recorded.exists, recorded.new) == (
        "XOSHIRO_RANDOM_GENERATOR", "recorded", True, True)
    assert xoroshiro.usages == (Usage("REC-DRAFT-XOROSHIRO", "old setting"),)
    # Replacement symbols are compared too: XOSHIRO is new since 1.13.
    assert report.get("XOSHIRO_RANDOM_GENERATOR").status == "added"
    assert {e.name for e in report.by_status("changed")} >= {"STACK_CANARIES", "USERSPACE"}


def test_successors_without_recorded_renames(db_v1: SymbolDB, db_v4: SymbolDB) -> None:
    report = drift_report(db_v1, db_v4, ["XOROSHIRO_RANDOM_GENERATOR", "SYS_LOG", "X86_PAE_MODE"])
    by_name = {entry.name: entry for entry in report.symbols}
    close = [s.name for s in by_name["XOROSHIRO_RANDOM_GENERATOR"].successors
             if s.why == "close name"]
    assert close[0] == "XOSHIRO_RANDOM_GENERATOR"
    similar = [s.name for s in by_name["SYS_LOG"].successors if s.why == "similar help"]
    assert similar[0] == "LOG"  # "Global switch for logging" in both releases
    assert by_name["X86_PAE_MODE"].successors[0].name == "X86_PAE"


def test_help_change_between_real_trees_has_a_diff(db_v1: SymbolDB, db_v4: SymbolDB) -> None:
    entry = drift_report(db_v1, db_v4, ["CONFIG_BOOT_BANNER"]).symbols[0]
    assert entry.status == "changed"
    help_change = next(c for c in entry.changes if c.code == "help")
    assert help_change.message == "help text of CONFIG_BOOT_BANNER changed"
    assert help_change.diff[:2] == ("--- Zephyr 1.13.0", "+++ Zephyr 4.2.99")
    assert any(line.startswith("-") and "BUILD_TIMESTAMP" in line for line in help_change.diff)


def test_drift_cli_on_real_trees(db_v1: SymbolDB, db_v4: SymbolDB, zephyr_v1_path: Path,
                                 zephyr_v4_path: Path, capsys: pytest.CaptureFixture[str]
                                 ) -> None:
    # db_v1/db_v4 filled the session cache, so the CLI reads both trees from it.
    argv = ["drift", "--from", str(zephyr_v1_path), "--to", str(zephyr_v4_path),
            "--threatmodel", str(FIXTURES / "draft-model")]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [s["name"] for s in data["symbols"] if s["status"] == "removed"] == DRAFT_SYMBOLS
    assert data["counts"]["removed"] == 8

    # Live settings (STACK_CANARIES, USERSPACE) changed: --strict fails, the report is printed.
    assert main([*argv, "--strict"]) == 1
    text = capsys.readouterr().out
    assert "Removed (8):\n  CONFIG_APPLICATION_MEMORY  [old setting of REC-DRAFT-" in text
    assert "    model records replacement: CONFIG_X86_PAE (new)" in text
    assert ("  CONFIG_USERSPACE  [setting of REC-DRAFT-LIVE; "
            "replaced_by of REC-DRAFT-APPLICATION-MEMORY]") in text


def test_markdown_lists_the_removed_symbols(db_v1: SymbolDB, db_v4: SymbolDB) -> None:
    markdown = format_markdown(model_drift(load_model("draft-model"), db_v1, db_v4))
    assert markdown.startswith("# Kconfig drift: Zephyr 1.13.0 → 4.2.99\n")
    assert "| removed | 8 |" in markdown
    removed = markdown.split("## Removed\n", 1)[1].split("\n## ", 1)[0]
    assert [line.split("`")[1] for line in removed.splitlines() if line.startswith("- ")] == [
        f"CONFIG_{name}" for name in DRAFT_SYMBOLS]
    assert "```diff" in markdown.split("## Changed\n", 1)[1]


def _later_settings(model: ThreatModel, tree_version: str) -> dict[str, str]:
    """Symbol -> ``since`` of every setting the model says comes after ``tree_version``."""
    return {setting.symbol: setting.since for rec in model.recommendations
            for setting in rec.settings if introduced_later(setting, tree_version)}


def test_later_release_symbols_are_marked_not_listed_as_rot(
        db_v1: SymbolDB, db_v4: SymbolDB, zephyr_v1_path: Path, zephyr_v4_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """The real model against the real trees: settings marked ``since:`` a release after
    4.2.99 name symbols neither tree defines, and every output says why."""
    model, _ = load_threat_model(REPO / "threatmodel")
    later = _later_settings(model, db_v4.zephyr_version)
    assert len(later) >= 5  # the real model keeps several settings ahead of 4.2.99
    report = model_drift(model, db_v1, db_v4)
    for name, since in later.items():
        entry = report.get(name)
        assert entry is not None and entry.status == "undefined", name
        assert (entry.since, entry.later_release) == (since, True), name
    # A symbol of the model defined in a tree is never marked, even if another were.
    assert all(not e.later_release for e in report.symbols if e.name not in later)
    assert {e.name for e in report.later_release} == set(later)

    argv = ["drift", "--from", str(zephyr_v1_path), "--to", str(zephyr_v4_path),
            "--threatmodel", str(REPO / "threatmodel")]
    assert main([*argv, "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    marked = {s["name"]: s["since"] for s in data["symbols"] if s["later_release"]}
    assert marked == later and data["later_release"] == len(later)

    assert main(argv) == 0
    text = capsys.readouterr().out
    group = text.split("From a later Zephyr release", 1)[1].split("\n\n", 1)[0]
    for name, since in later.items():
        assert f"CONFIG_{name}  [" in group
        line = next(li for li in group.splitlines() if f"CONFIG_{name}  [" in li)
        assert line.endswith(f"(from Zephyr {since}, after 4.2.99)"), line
    neither = text.split("Defined in neither tree", 1)[-1] if "Defined in neither" in text else ""
    assert not any(f"CONFIG_{name}  [" in neither for name in later)

    assert main([*argv, "--format", "md"]) == 0
    markdown = capsys.readouterr().out
    assert f"| from a later release | {len(later)} |" in markdown
    section = markdown.split("## From a later Zephyr release", 1)[1].split("\n## ", 1)[0]
    assert sorted(line.split("`")[1] for line in section.splitlines()
                  if line.startswith("- ")) == sorted(f"CONFIG_{n}" for n in later)


def test_since_reached_by_the_new_tree_is_said_but_not_later(db_v1: SymbolDB,
                                                              db_v4: SymbolDB) -> None:
    """Against 1.13 (older than every ``since``), the same settings are later; a ``since``
    the new tree has reached is only named."""
    usages = {"STACK_CANARIES": (Usage("REC-X", "setting", "4.0"),),
              "NOT_YET_A_SYMBOL": (Usage("REC-Y", "setting", "4.5.0"),)}
    forward = drift_report(db_v1, db_v4, usages, usages=usages)
    canaries, future = forward.get("STACK_CANARIES"), forward.get("NOT_YET_A_SYMBOL")
    assert (canaries.since, canaries.later_release) == ("4.0", False)
    assert (future.status, future.later_release) == ("undefined", True)
    backward = drift_report(db_v4, db_v1, usages, usages=usages)  # new tree is 1.13.0
    assert backward.get("STACK_CANARIES").later_release is True


# -- the mini tree --------------------------------------------------------------------------

def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_every_kind_of_change_on_the_mini_tree(mini_tree: Path, tmp_path: Path) -> None:
    old_db = load_symbol_db(mini_tree, use_cache=False)[0]
    kconfig = mini_tree / "kernel" / "Kconfig"
    _edit(kconfig, "config TRI_STATE\n\ttristate", "config TRI_STATE\n\tbool")
    _edit(kconfig, "Canaries detect stack smashing.", "Canaries detect most stack smashing.")
    _edit(kconfig, 'bool "Compiler stack canaries"', 'bool "Stack canaries"')
    _edit(kconfig, "range 0 4096", "range 0 8192")
    _edit(kconfig,
          'config LEGACY_LOGGING\n\tbool "Old logging [DEPRECATED]"\n\tselect DEPRECATED\n',
          'config NEW_LOGGING\n\tbool "New logging"\n\thelp\n\t  Old logging, renamed.\n')
    _edit(kconfig, 'config ENTROPY_GENERATOR\n\tbool "Entropy drivers"',
          'config ENTROPY_GENERATOR\n\tbool "Entropy drivers"\n\tselect DEPRECATED')
    new_db = load_symbol_db(mini_tree, use_cache=False)[0]
    report = drift_report(old_db, new_db, [
        "TRI_STATE", "STACK_CANARIES", "STACK_POINTER_RANDOM", "LEGACY_LOGGING",
        "CONFIG_NEW_LOGGING", "ENTROPY_GENERATOR", "MAGIC_HEX", "NOT_ANYWHERE"],
        renames={"LEGACY_LOGGING": ["NEW_LOGGING"]})
    assert {e.name: e.status for e in report.symbols} == {
        "ENTROPY_GENERATOR": "changed", "LEGACY_LOGGING": "removed", "MAGIC_HEX": "unchanged",
        "NEW_LOGGING": "added", "NOT_ANYWHERE": "undefined", "STACK_CANARIES": "changed",
        "STACK_POINTER_RANDOM": "changed", "TRI_STATE": "changed"}
    messages = {e.name: [c.message for c in e.changes] for e in report.symbols}
    label = f"Zephyr 9.8.7 ({new_db.fingerprint[:8]})"  # same release: told apart by fingerprint
    assert messages["TRI_STATE"] == ["type of CONFIG_TRI_STATE changed: tristate -> bool"]
    assert messages["STACK_CANARIES"] == [
        "prompt of CONFIG_STACK_CANARIES changed: 'Compiler stack canaries' -> 'Stack canaries'",
        "help text of CONFIG_STACK_CANARIES changed"]
    assert messages["STACK_POINTER_RANDOM"] == [
        "ranges of CONFIG_STACK_POINTER_RANDOM changed: 0 4096 -> 0 8192"]
    assert messages["ENTROPY_GENERATOR"] == ["CONFIG_ENTROPY_GENERATOR is now deprecated in Zephyr"]
    assert messages["LEGACY_LOGGING"] == [f"CONFIG_LEGACY_LOGGING was removed ({label} lacks it)"]
    legacy = report.get("LEGACY_LOGGING")
    assert (legacy.successors[0].name, legacy.successors[0].why) == ("NEW_LOGGING", "recorded")
    assert all(s.exists and s.new for s in legacy.successors if s.why == "recorded")


def test_model_symbols_and_recorded_renames() -> None:
    model = load_model("mini-model")
    assert model_symbols(model) == {
        "BANNER_TEXT": (Usage("REC-MINI-LEGACY-LOG", "replaced_by"),),
        "LEGACY_LOGGING": (Usage("REC-MINI-LEGACY-LOG", "old setting"),),
        "STACK_CANARIES": (Usage("REC-MINI-CANARIES", "setting"),),
        "STACK_POINTER_RANDOM": (Usage("REC-MINI-RANDOM", "setting"),),
    }
    # replaced_by names a symbol and a recommendation; the latter stands for its settings.
    assert model.recorded_renames() == {"LEGACY_LOGGING": ("BANNER_TEXT", "STACK_CANARIES")}


def test_drift_cli_bad_arguments(mini_tree: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str],
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    assert main(["drift", "--from", str(tmp_path / "nowhere"), "--to", str(mini_tree),
                 "--symbol", "X"]) == 2
    assert f"--from={tmp_path / 'nowhere'}: no such directory" in capsys.readouterr().err
    assert main(["drift", "--from", str(mini_tree), "--to", str(tmp_path / "later"),
                 "--symbol", "X"]) == 2
    assert f"--to={tmp_path / 'later'}: no such directory" in capsys.readouterr().err
    with pytest.raises(SystemExit) as caught:
        main(["drift", "--to", str(mini_tree)])
    assert caught.value.code == 2
    assert "the following arguments are required: --from" in capsys.readouterr().err
    monkeypatch.chdir(tmp_path)  # no ./threatmodel: --symbol alone is enough
    assert main(["drift", "--from", str(mini_tree), "--to", str(mini_tree),
                 "--symbol", "CONFIG_TRI_STATE", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert [(s["name"], s["status"]) for s in data["symbols"]] == [("TRI_STATE", "unchanged")]
    assert main(["drift", "--from", str(mini_tree), "--to", str(mini_tree)]) == 2
    assert "threatmodel: cannot read threat-model folder: no such folder" in capsys.readouterr().err


# -- the on-disk cache ----------------------------------------------------------------------

def test_cached_drift_equals_computed_and_is_reused(db_v1: SymbolDB, db_v4: SymbolDB,
                                                     tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    model = load_model("draft-model")
    fresh = model_drift(model, db_v1, db_v4)
    first = model_drift(model, db_v1, db_v4, cache_dir=tmp_path, use_cache=True)
    assert first == fresh
    [written] = tmp_path.glob("drift-*.json")

    # The second run reads the file: the close-name search is not run again.
    def no_search(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("drift recomputed although the cache holds it")
    monkeypatch.setattr("secguide.trace.drift.drift_report", no_search)
    assert model_drift(model, db_v1, db_v4, cache_dir=tmp_path, use_cache=True) == fresh

    # Another set of symbols is another key: computed (here: refused), not read.
    with pytest.raises(AssertionError, match="recomputed"):
        model_drift(model, db_v1, db_v4, ["BOOT_BANNER"], cache_dir=tmp_path, use_cache=True)
    assert written.is_file()


@pytest.mark.parametrize("damage", ["", "{not json", '{"format": 1}', "[1, 2]",
                                    "value-swap"])
def test_a_corrupt_drift_cache_is_recomputed(db_v1: SymbolDB, db_v4: SymbolDB,
                                             tmp_path: Path, damage: str) -> None:
    model = load_model("draft-model")
    fresh = model_drift(model, db_v1, db_v4, cache_dir=tmp_path, use_cache=True)
    [written] = tmp_path.glob("drift-*.json")
    if damage == "value-swap":  # the right key, a value of the wrong shape
        data = json.loads(written.read_text())
        data["value"]["symbols"] = [["X", "vanished", [], [], [], None, False]]
        written.write_text(json.dumps(data))
    else:
        written.write_text(damage)
    assert model_drift(model, db_v1, db_v4, cache_dir=tmp_path, use_cache=True) == fresh
    # and the file is whole again
    assert json.loads(written.read_text())["kind"] == "drift"
