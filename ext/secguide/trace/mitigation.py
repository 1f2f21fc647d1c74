"""Which of a threat's mitigations still count: the one rule coverage and assets share."""

from __future__ import annotations

from collections.abc import Container

from secguide.model.items import Recommendation, Threat, ThreatModel


def active_recommendations(model: ThreatModel) -> list[Recommendation]:
    """The recommendations that are not history (neither status nor block deprecated)."""
    return [r for r in model.recommendations
            if r.status != "deprecated" and r.deprecation is None]


def deprecated_ids(model: ThreatModel) -> set[str]:
    """The recommendations that are history: they mitigate nothing any more."""
    active = {r.id for r in active_recommendations(model)}
    return {r.id for r in model.recommendations if r.id not in active}


def live_mitigations(threat: Threat, deprecated: Container[str]) -> tuple[str, ...]:
    """What still mitigates ``threat``: its ``mitigated_by`` without the ``deprecated``
    recommendations. Empty: the threat is unmitigated (a coverage gap)."""
    return tuple(m for m in threat.mitigated_by if m not in deprecated)
