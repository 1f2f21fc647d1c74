"""How well each asset is protected: as well as the least mitigated threat against it.

Two answers, each from the threat answers that already exist, never a rule of its own:

* in the guide (:func:`guide_asset_states`): from the model's trace, as ``secguide
  coverage`` judges a threat (:func:`secguide.trace.mitigation.live_mitigations`). A
  threat nothing current mitigates leaves its assets *unmitigated*; one answered only by
  developer responsibilities leaves them to the product; an asset no threat names is
  *undecided*, never mitigated. "Mitigated in the guide" says the guide has an answer
  to every threat against it, not that any product applies it;
* for one build (:func:`secguide.trace.build_verdicts.asset_results`): the weakest of
  its threats' :class:`~secguide.trace.build_verdicts.EvidenceVerdict`, as a clause or
  a threat takes the weakest of its mitigations.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass

from secguide.diagnostics import SourceLoc
from secguide.model.items import Asset, AssetCategory, Threat, ThreatModel
from secguide.trace.mitigation import deprecated_ids, live_mitigations


class AssetProtection(enum.StrEnum):
    """An asset's state in the guide, weakest first in :data:`WEAKEST_PROTECTION_FIRST`."""

    #: a threat against it has no current mitigation
    UNMITIGATED = "unmitigated"
    #: no threat names it: what endangers it, and so its protection, is unknown
    UNDECIDED = "undecided"
    #: a threat against it is answered only by developer responsibilities
    PRODUCT = "relies on the product"
    #: every threat against it has a current recommendation
    MITIGATED = "mitigated in the guide"


WEAKEST_PROTECTION_FIRST = (AssetProtection.UNMITIGATED, AssetProtection.UNDECIDED,
                            AssetProtection.PRODUCT, AssetProtection.MITIGATED)


@dataclass(frozen=True, slots=True)
class ThreatAnswer:
    """One threat against an asset, and what the guide answers it with."""

    threat_id: str
    protection: AssetProtection
    why: str


@dataclass(frozen=True, slots=True)
class AssetState:
    """One asset in the guide: the threats against it and the weakest of their answers.

    IDs and words only, plus where the asset is written (``loc``): what a page showing
    the state shows, so that a line moved elsewhere changes no digest of it.
    """

    asset_id: str
    category: AssetCategory
    threats: tuple[ThreatAnswer, ...]
    protection: AssetProtection
    why: str
    loc: SourceLoc


def _answer(threat: Threat, deprecated: set[str]) -> ThreatAnswer:
    live = live_mitigations(threat, deprecated)
    if not live:
        return ThreatAnswer(threat.id, AssetProtection.UNMITIGATED,
                            f"{threat.id} has no current mitigation")
    recommendations = [m for m in live if m.startswith("REC-")]
    if not recommendations:
        return ThreatAnswer(threat.id, AssetProtection.PRODUCT,
                            f"{threat.id} is answered only by developer responsibilities "
                            f"({', '.join(live)})")
    return ThreatAnswer(threat.id, AssetProtection.MITIGATED,
                        f"{threat.id}: {len(recommendations)} current "
                        f"recommendation{'s' if len(recommendations) != 1 else ''}")


def _weakest(answers: Iterable[ThreatAnswer]) -> AssetProtection:
    found = {answer.protection for answer in answers}
    return next(p for p in WEAKEST_PROTECTION_FIRST if p in found)


def guide_asset_states(model: ThreatModel) -> list[AssetState]:
    """Every asset of ``model`` with the guide's answer to each threat against it."""
    deprecated = deprecated_ids(model)
    states = []
    for asset in model.assets:
        answers = tuple(_answer(t, deprecated) for t in model.threats_against(asset.id))
        if not answers:
            states.append(_state(asset, (), AssetProtection.UNDECIDED,
                                 "no threat names it, so what endangers it is unknown"))
            continue
        protection = _weakest(answers)
        if protection is AssetProtection.MITIGATED:
            why = (f"each of the {len(answers)} threats against it has a current "
                   "recommendation" if len(answers) > 1 else
                   "the one threat against it has a current recommendation")
        else:
            why = "; ".join(a.why for a in answers if a.protection is protection)
        states.append(_state(asset, answers, protection, why))
    return states


def _state(asset: Asset, answers: tuple[ThreatAnswer, ...], protection: AssetProtection,
           why: str) -> AssetState:
    return AssetState(asset.id, asset.category, answers, protection, why, asset.loc)
