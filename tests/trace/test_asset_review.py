"""Assets carry Working Group review stamps: the threats naming an asset are part of what
its reviewer saw, and a threat's list of assets part of the threat."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from secguide.diagnostics import SourceLoc
from secguide.model.items import Asset, AssetCategory, ReviewStamp, Threat, ThreatModel
from secguide.trace.diff import item_diffs
from secguide.trace.review import (
    EMPTY_BASELINE,
    Baseline,
    ReviewStatus,
    baseline_after_accept,
    fingerprint,
    review_document,
    review_states,
)
from secguide.zephyr.kconfig.cache import load_symbol_db

LOC = SourceLoc("tm/x.yaml", 1)
KEYS = Asset(id="AST-KEYS", title="Keys", description="The keys.",
             category=AssetCategory.SECURITY, loc=LOC)
LEAK = Threat(id="THR-LEAK", title="Leak", description="d", assets=("AST-KEYS",), loc=LOC)


def _stamped(model: ThreatModel, db: object) -> tuple[ThreatModel, Baseline]:
    stamped = tuple(dataclasses.replace(item, review=ReviewStamp(
        by="Ada", date="2026-01-01", fingerprint=fingerprint(item, db, model), loc=LOC))
        for item in (*model.assets, *model.threats))
    model = dataclasses.replace(model, assets=stamped[:1], threats=stamped[1:])
    return model, Baseline(baseline_after_accept(EMPTY_BASELINE, stamped, db, model, keep=()))


def test_an_asset_left_by_its_threat_is_suspect_and_says_why(mini_tree: Path,
                                                             tmp_path: Path) -> None:
    db = load_symbol_db(mini_tree, use_cache=False, cache_dir=tmp_path / "unused")[0]
    model, baseline = _stamped(ThreatModel(assets=(KEYS,), threats=(LEAK,)), db)
    states = review_states(model, db, baseline)
    assert [states[i].status for i in ("AST-KEYS", "THR-LEAK")] == [ReviewStatus.REVIEWED] * 2

    # the threat no longer names the asset: both changed, each says how
    leak = dataclasses.replace(model.threats[0], assets=())
    after = review_states(dataclasses.replace(model, threats=(leak,)), db, baseline)
    assert after["AST-KEYS"].status is ReviewStatus.SUSPECT
    assert after["AST-KEYS"].reasons == ("THR-LEAK no longer lists AST-KEYS in assets",)
    assert after["THR-LEAK"].status is ReviewStatus.SUSPECT
    assert any("assets" in reason for reason in after["THR-LEAK"].reasons)


def test_a_threat_without_assets_keeps_the_stamp_it_had_before_assets_existed(
        mini_tree: Path, tmp_path: Path) -> None:
    # 'assets' is left out of the review document while empty: older stamps still match
    db = load_symbol_db(mini_tree, use_cache=False, cache_dir=tmp_path / "unused")[0]
    bare = dataclasses.replace(LEAK, assets=())
    document = review_document(bare, db, ThreatModel(threats=(bare,)))
    assert "assets" not in document["item"]
    assert "endangered_by_threats" not in document["links"]


def test_diff_names_an_added_asset_and_the_threat_that_now_names_it() -> None:
    base = ThreatModel(threats=(dataclasses.replace(LEAK, assets=()),))
    head = ThreatModel(assets=(KEYS,), threats=(LEAK,))
    diffs = {d.id: d for d in item_diffs(base, head)}
    assert (diffs["AST-KEYS"].kind, diffs["AST-KEYS"].change.value) == ("asset", "added")
    (changed,) = diffs["THR-LEAK"].fields
    assert (changed.name, changed.after) == ("assets", "AST-KEYS")
