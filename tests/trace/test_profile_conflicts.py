"""Profiles as a whole: settings of one profile that the tree does not let hold together."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secguide.diagnostics import Diagnostic
from secguide.model.loader import load_threat_model
from secguide.trace.validate import validate_model
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]


def _rec(rec_id: str, settings: list[tuple[str, str]], profiles: str = "[base]",
         extra: str = "") -> str:
    lines = [f"  - id: {rec_id}", "    title: t", "    area: general", "    status: draft",
             "    rationale: r", f"    profiles: {profiles}", "    settings:"]
    for symbol, value in settings:
        lines += [f"      - symbol: {symbol}", f'        value: "{value}"']
    lines += ["    verification:", "      - build_audit: production"]
    return "\n".join(lines) + "\n" + textwrap.indent(textwrap.dedent(extra), "    ")


def _findings(tmp_path: Path, db: SymbolDB, *recs: str, profiles: str = "",
              codes: tuple[str, ...] = ("profile-conflict",)) -> list[Diagnostic]:
    folder = tmp_path / "tm"
    folder.mkdir()
    (folder / "recs.yaml").write_text("recommendations:\n" + "".join(recs))
    if profiles:
        (folder / "profiles.yaml").write_text(textwrap.dedent(profiles))
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    return [d for d in validate_model(model, db) if d.code in codes]


def _line_of(tmp_path: Path, finding: Diagnostic) -> str:
    return (tmp_path / "tm" / "recs.yaml").read_text().splitlines()[finding.loc.line - 1]


def test_a_select_beats_an_n_setting(tmp_path: Path, db_v4: SymbolDB) -> None:
    (finding,) = _findings(tmp_path, db_v4, _rec("REC-A-USER", [("USERSPACE", "y")]),
                           _rec("REC-B-INFO", [("THREAD_STACK_INFO", "n")]))
    assert finding.severity.name == "ERROR"
    assert "symbol: THREAD_STACK_INFO" in _line_of(tmp_path, finding)
    assert finding.message.startswith(
        "profile base: CONFIG_THREAD_STACK_INFO=n (REC-B-INFO) cannot hold together with "
        "CONFIG_USERSPACE=y (REC-A-USER): USERSPACE selects THREAD_STACK_INFO;")


def test_a_select_chain_is_followed_and_named(tmp_path: Path, db_v4: SymbolDB) -> None:
    (finding,) = _findings(tmp_path, db_v4, _rec("REC-A-ADC", [("ADC_DEFAULT_RTIO", "y")]),
                           _rec("REC-B-BLOCKS", [("SYS_MEM_BLOCKS", "n")]))
    assert ("ADC_DEFAULT_RTIO selects RTIO_SYS_MEM_BLOCKS, RTIO_SYS_MEM_BLOCKS selects "
            "SYS_MEM_BLOCKS") in finding.message


def test_a_negated_dependency_is_a_conflict(tmp_path: Path, db_v4: SymbolDB) -> None:
    (finding,) = _findings(tmp_path, db_v4, _rec("REC-A-USER", [("USERSPACE", "y")]),
                           _rec("REC-B-SENTINEL", [("STACK_SENTINEL", "y")]))
    assert "symbol: STACK_SENTINEL" in _line_of(tmp_path, finding)
    assert "STACK_SENTINEL depends on !USERSPACE" in finding.message


def test_a_dependency_turned_off_is_a_conflict(tmp_path: Path, db_v4: SymbolDB) -> None:
    (finding,) = _findings(tmp_path, db_v4, _rec("REC-A-NO-SMP", [("BT_SMP", "n")]),
                           _rec("REC-B-SC", [("BT_SMP_SC_PAIR_ONLY", "y")]))
    assert "symbol: BT_SMP_SC_PAIR_ONLY" in _line_of(tmp_path, finding)
    assert "BT_SMP_SC_PAIR_ONLY depends on BT_SMP" in finding.message


def test_two_members_of_one_choice_conflict(tmp_path: Path, db_v4: SymbolDB) -> None:
    (finding,) = _findings(tmp_path, db_v4, _rec("REC-A-CAN", [("STACK_CANARIES", "y")]),
                           _rec("REC-B-STRONG", [("STACK_CANARIES_STRONG", "y")],
                                profiles="[strict]"))
    assert finding.message.startswith("profile strict:")
    assert 'one choice (the choice "Stack canaries protection options")' in finding.message
    assert "<choice" not in finding.message


def test_a_member_accepted_as_alternative_does_not_conflict(tmp_path: Path,
                                                            db_v4: SymbolDB) -> None:
    base = _rec("REC-A-CAN", [("STACK_CANARIES", "y")]).replace(
        '        value: "y"\n',
        '        value: "y"\n        alternatives: [STACK_CANARIES_STRONG, STACK_CANARIES_ALL]\n')
    assert _findings(tmp_path, db_v4, base, _rec("REC-B-STRONG", [("STACK_CANARIES_STRONG", "y")],
                                                 profiles="[strict]")) == []


def test_settings_of_unrelated_profiles_do_not_conflict(tmp_path: Path, db_v4: SymbolDB) -> None:
    profiles = """\
        profiles:
          - name: base
            description: d
          - name: lab
            description: a profile that does not extend base
        """
    assert _findings(tmp_path, db_v4, _rec("REC-A-USER", [("USERSPACE", "y")]),
                     _rec("REC-B-INFO", [("THREAD_STACK_INFO", "n")], profiles="[lab]"),
                     profiles=profiles) == []


def test_scopes_that_exclude_each_other_do_not_conflict(tmp_path: Path, db_v4: SymbolDB) -> None:
    sentinel = _rec("REC-B-SENTINEL", [("STACK_SENTINEL", "y")],
                    extra="applies_to:\n  when: '!USERSPACE && !MPU_STACK_GUARD'\n")
    assert _findings(tmp_path, db_v4, _rec("REC-A-USER", [("USERSPACE", "y")]), sentinel) == []


def test_an_accepted_conflict_is_not_reported_and_a_stale_one_is(tmp_path: Path,
                                                                 db_v4: SymbolDB) -> None:
    accepted = _rec("REC-B-INFO", [("THREAD_STACK_INFO", "n")],
                    extra="accepted_conflicts:\n  - with: REC-A-USER\n    reason: kept\n"
                          "  - with: REC-C-CANARY\n    reason: no conflict at all\n")
    found = _findings(tmp_path, db_v4, _rec("REC-A-USER", [("USERSPACE", "y")]), accepted,
                      _rec("REC-C-CANARY", [("STACK_CANARIES", "y")]),
                      codes=("profile-conflict", "stale-accepted-conflict"))
    (stale,) = found
    assert stale.code == "stale-accepted-conflict" and "REC-C-CANARY" in stale.message
    assert "with: REC-C-CANARY" in _line_of(tmp_path, stale)


def test_the_shipped_profiles_have_no_conflict(db_v4: SymbolDB) -> None:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    assert [d.message for d in validate_model(model, db_v4)
            if d.code in ("profile-conflict", "stale-accepted-conflict")] == []


@pytest.mark.parametrize("rec_id", ["REC-DBG-THREAD-STACK-INFO"])
def test_stack_info_scope_names_every_symbol_that_selects_it(db_v4: SymbolDB,
                                                             rec_id: str) -> None:
    """The scope of the stack-info recommendation is the tree's fact, not a guess."""
    from secguide.zephyr.expr import symbols_in

    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    rec = model.recommendation(rec_id)
    assert rec is not None
    (setting,) = rec.settings
    selectors = db_v4.get(setting.symbol).selected_by
    assert sorted(symbols_in(rec.applies_to.when)) == sorted(selectors)
    assert rec.applies_to.when.startswith("!(")


def test_each_symbols_chains_are_followed_once_per_run(tmp_path: Path, db_v4: SymbolDB,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """Two profiles (base, strict) and two recommendations setting USERSPACE: the select and
    dependency chains of USERSPACE are followed once, not once per setting per profile,
    and the conflict is still found (once, under the first profile)."""
    from secguide.trace import profile_conflicts as module

    followed: list[tuple[str, str]] = []
    for name in ("_selected", "_required"):
        original = getattr(module, name)

        def counting(db: SymbolDB, symbol: str, _original=original, _name=name) -> object:
            followed.append((_name, symbol))
            return _original(db, symbol)
        monkeypatch.setattr(module, name, counting)
    findings = _findings(tmp_path, db_v4, _rec("REC-A-USER", [("USERSPACE", "y")]),
                         _rec("REC-C-USER", [("USERSPACE", "y")], profiles="[base, strict]"),
                         _rec("REC-B-INFO", [("THREAD_STACK_INFO", "n")]))
    assert [f.message.split(":")[0] for f in findings] == ["profile base", "profile base"]
    assert sorted(followed) == [("_required", "USERSPACE"), ("_selected", "USERSPACE")]
