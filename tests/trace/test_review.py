"""Review fingerprints and states on the mini tree: stability, and what a change is called."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from secguide.diagnostics import SecguideError, SourceLoc
from secguide.model.items import Recommendation, ReviewStamp, ThreatModel
from secguide.model.loader import load_threat_model
from secguide.trace.review import (
    EMPTY_BASELINE,
    Baseline,
    ReviewStatus,
    baseline_after_accept,
    baseline_path,
    baseline_text,
    fingerprint,
    load_baseline,
    review_states,
)
from secguide.zephyr.kconfig.cache import load_symbol_db
from secguide.zephyr.kconfig.symbols import SymbolDB

MINI_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "mini-model"


def mini_db(tree: Path, tmp_path: Path) -> SymbolDB:
    return load_symbol_db(tree, use_cache=False, cache_dir=tmp_path / "unused")[0]


def load_model(directory: Path) -> ThreatModel:
    model, diagnostics = load_threat_model(directory)
    assert diagnostics == []
    return model


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"fixture tree lacks {old!r}"
    path.write_text(text.replace(old, new))


def stamp_all(model: ThreatModel, db: SymbolDB) -> tuple[ThreatModel, Baseline]:
    """The model as if every recommendation had just been accepted against ``db``."""
    stamped = tuple(
        dataclasses.replace(rec, review=ReviewStamp(by="Ada", date="2026-01-01",
                                                    fingerprint=fingerprint(rec, db, model),
                                                    loc=rec.loc))
        for rec in model.recommendations)
    stamped_model = dataclasses.replace(model, recommendations=stamped)
    records = baseline_after_accept(EMPTY_BASELINE, stamped, db, stamped_model, keep=())
    return stamped_model, Baseline(records)


def alone(rec: Recommendation) -> ThreatModel:
    """A model of this one item: nothing links to it."""
    return ThreatModel(recommendations=(rec,))


def test_same_inputs_give_the_same_stamp(mini_tree: Path, tmp_path: Path) -> None:
    db, db_again = mini_db(mini_tree, tmp_path), mini_db(mini_tree, tmp_path)
    model, model_again = load_model(MINI_MODEL), load_model(MINI_MODEL)
    first = {rec.id: fingerprint(rec, db, model) for rec in model.recommendations}
    again = {rec.id: fingerprint(rec, db_again, model_again)
             for rec in model_again.recommendations}
    assert first == again
    assert len(set(first.values())) == 3
    assert all(len(value) == 64 and int(value, 16) >= 0 for value in first.values())


def test_stamp_ignores_position_key_order_and_the_stamp_itself(mini_tree: Path,
                                                               tmp_path: Path) -> None:
    db = mini_db(mini_tree, tmp_path)
    original = load_model(MINI_MODEL).recommendation("REC-MINI-RANDOM")
    assert original is not None
    moved = tmp_path / "moved"
    moved.mkdir()
    # Same item, keys in another order, further down another file, no stamp.
    (moved / "other.yaml").write_text(
        "# padding\n\n\nrecommendations:\n"
        "  - tags: [stack]\n"
        "    settings:\n"
        "      - {note: Bytes., min: 64, symbol: CONFIG_STACK_POINTER_RANDOM}\n"
        "    rationale: \"Offsets make stack addresses harder to guess.\\n\"\n"
        "    status: approved\n"
        "    area: stack-protection\n"
        "    title: Randomise the initial stack pointer\n"
        "    id: REC-MINI-RANDOM\n")
    rewritten = load_model(moved).recommendation("REC-MINI-RANDOM")
    assert rewritten is not None and rewritten.loc != original.loc and rewritten.review is None
    assert fingerprint(rewritten, db, alone(rewritten)) == fingerprint(original, db,
                                                                        alone(original))
    relocated = dataclasses.replace(original, loc=SourceLoc("elsewhere.yaml", 999))
    assert fingerprint(relocated, db, alone(relocated)) == fingerprint(original, db,
                                                                        alone(original))


def test_unreviewed_and_unknown_stamps(mini_tree: Path, tmp_path: Path) -> None:
    states = review_states(load_model(MINI_MODEL), mini_db(mini_tree, tmp_path))
    assert list(states) == ["REC-MINI-CANARIES", "REC-MINI-RANDOM", "REC-MINI-LEGACY-LOG"]
    assert states["REC-MINI-CANARIES"].status is ReviewStatus.UNREVIEWED
    assert states["REC-MINI-CANARIES"].reasons == ("never reviewed",)
    # The fixture's stamp matches nothing and the baseline is empty: suspect, coarse reason.
    randomness = states["REC-MINI-RANDOM"]
    assert randomness.status is ReviewStatus.SUSPECT
    assert "cannot be itemised" in randomness.reasons[0]
    assert "Old Reviewer on 2020-01-01" in randomness.reasons[0]


def test_freshly_stamped_items_are_reviewed(mini_tree: Path, tmp_path: Path) -> None:
    db = mini_db(mini_tree, tmp_path)
    model, baseline = stamp_all(load_model(MINI_MODEL), db)
    states = review_states(model, db, baseline)
    assert {s.status for s in states.values()} == {ReviewStatus.REVIEWED}
    assert all(s.reviewed_against == "9.8.7" and s.reasons == () for s in states.values())


def test_abbreviated_stamp_is_accepted(mini_tree: Path, tmp_path: Path) -> None:
    db = mini_db(mini_tree, tmp_path)
    rec = load_model(MINI_MODEL).recommendations[0]
    current = fingerprint(rec, db, alone(rec))
    short = dataclasses.replace(rec, review=ReviewStamp(
        by="Ada", date="2026-01-01", fingerprint=current[:16], loc=rec.loc))
    too_short = dataclasses.replace(rec, review=ReviewStamp(
        by="Ada", date="2026-01-01", fingerprint=current[:8], loc=rec.loc))
    states = review_states(ThreatModel(recommendations=(short,)), db)
    assert states[rec.id].status is ReviewStatus.REVIEWED
    states = review_states(ThreatModel(recommendations=(too_short,)), db)
    assert states[rec.id].status is ReviewStatus.SUSPECT


def test_help_text_change_makes_item_suspect(mini_tree: Path, tmp_path: Path) -> None:
    model, baseline = stamp_all(load_model(MINI_MODEL), mini_db(mini_tree, tmp_path))
    edit(mini_tree / "kernel" / "Kconfig", "Canaries detect stack smashing.",
         "Canaries detect most stack smashing.")
    states = review_states(model, mini_db(mini_tree, tmp_path), baseline)
    canaries = states["REC-MINI-CANARIES"]
    assert canaries.status is ReviewStatus.SUSPECT
    assert canaries.reasons == ("help text of CONFIG_STACK_CANARIES changed",)
    diff = canaries.changes[0].diff
    assert "-Canaries detect stack smashing." in diff
    assert "+Canaries detect most stack smashing." in diff
    assert states["REC-MINI-RANDOM"].status is ReviewStatus.REVIEWED
    # The deprecated item names REC-MINI-CANARIES, not the symbol: not affected.
    assert states["REC-MINI-LEGACY-LOG"].status is ReviewStatus.REVIEWED


def test_rewrapped_help_is_no_change(mini_tree: Path, tmp_path: Path) -> None:
    model, baseline = stamp_all(load_model(MINI_MODEL), mini_db(mini_tree, tmp_path))
    edit(mini_tree / "kernel" / "Kconfig", "\t  Canaries detect stack smashing.",
         "\t  Canaries detect\n\t  stack   smashing.")
    states = review_states(model, mini_db(mini_tree, tmp_path), baseline)
    assert states["REC-MINI-CANARIES"].status is ReviewStatus.REVIEWED


def test_zephyr_changes_are_named(mini_tree: Path, tmp_path: Path) -> None:
    model, baseline = stamp_all(load_model(MINI_MODEL), mini_db(mini_tree, tmp_path))
    kconfig = mini_tree / "kernel" / "Kconfig"
    edit(kconfig, "depends on ENTROPY_GENERATOR", "depends on ENTROPY_GENERATOR && ARCH_FAKE")
    edit(kconfig, "range 0 4096\n\tdefault 0", "range 0 4096\n\tdefault 128")
    edit(kconfig, 'config BANNER_TEXT\n\tstring "Banner"\n\tdefault "hello"\n', "")
    edit(kconfig, 'config LEGACY_LOGGING\n\tbool "Old logging [DEPRECATED]"',
         'config LEGACY_LOGGING\n\tint "Old logging [DEPRECATED]"')
    states = review_states(model, mini_db(mini_tree, tmp_path), baseline)
    assert states["REC-MINI-CANARIES"].reasons == (
        "dependencies of CONFIG_STACK_CANARIES changed: ENTROPY_GENERATOR -> "
        "ENTROPY_GENERATOR && ARCH_FAKE",)
    assert states["REC-MINI-RANDOM"].reasons == (
        "defaults of CONFIG_STACK_POINTER_RANDOM changed: 0 -> 128",)
    assert states["REC-MINI-LEGACY-LOG"].reasons == (
        "CONFIG_BANNER_TEXT no longer exists in Zephyr 9.8.7",
        "type of CONFIG_LEGACY_LOGGING changed: bool -> int",
    )


def test_item_edits_are_named(mini_tree: Path, tmp_path: Path) -> None:
    db = mini_db(mini_tree, tmp_path)
    model, baseline = stamp_all(load_model(MINI_MODEL), db)
    canaries = model.recommendations[0]
    setting = dataclasses.replace(canaries.settings[0], value="n")
    edited = dataclasses.replace(canaries, rationale=canaries.rationale.replace("linear", "long"),
                                 settings=(setting,), references=("CWE-121", "CWE-787"))
    state = review_states(ThreatModel(recommendations=(edited,)), db, baseline)[canaries.id]
    assert state.status is ReviewStatus.SUSPECT
    assert state.reasons == (
        "item rationale changed",
        "item references changed: CWE-121 -> CWE-121, CWE-787",
        "setting CONFIG_STACK_CANARIES changed: value y -> n",
    )
    assert any(line.startswith("-Canaries catch a linear") for line in state.changes[0].diff)


def test_baseline_round_trip_and_tampering(mini_tree: Path, tmp_path: Path) -> None:
    db = mini_db(mini_tree, tmp_path)
    _, baseline = stamp_all(load_model(MINI_MODEL), db)
    folder = tmp_path / "tm"
    folder.mkdir()
    assert load_baseline(folder).records == {}
    baseline_path(folder).write_text(baseline_text(baseline.records))
    assert load_baseline(folder) == baseline
    data = json.loads(baseline_path(folder).read_text())
    key = next(iter(data["records"]))
    data["records"][key]["document"]["item"]["title"] = "forged"
    baseline_path(folder).write_text(json.dumps(data))
    assert set(load_baseline(folder).records) == set(baseline.records) - {key}


def test_foreign_baseline_file_is_an_error(tmp_path: Path) -> None:
    baseline_path(tmp_path).write_text("[]")
    with pytest.raises(SecguideError, match="not a secguide review baseline") as caught:
        load_baseline(tmp_path)
    assert caught.value.exit_code == 1
    baseline_path(tmp_path).write_text("{")
    with pytest.raises(SecguideError, match=r"\.review-baseline\.json:1:2: not valid JSON"):
        load_baseline(tmp_path)

