"""What a product's threat model adds to the guide it extends: plain, frozen data.

A product model folder holds the product's own threat-model files and one
``extends.yaml`` naming the guide it builds on and how it tailors it (see
:mod:`secguide.model.product_model`). The combined model is an ordinary
:class:`~secguide.model.items.ThreatModel` whose ``product`` field is a
:class:`ProductInfo`: every command works on it unchanged, and the outputs ask it
where each item came from.
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from secguide.diagnostics import SourceLoc
from secguide.model.product_waivers import ProductWaiver

if TYPE_CHECKING:
    from secguide.model.items import ThreatModel

#: ``extends:`` value naming the guide installed with secguide
INSTALLED_GUIDE = "guide"
#: locations in the guide's files are shown with this prefix in a product's outputs, so
#: ``guide:threatmodel/threats.yaml:12`` is never mistaken for the product's own file
GUIDE_PREFIX = "guide:"


class Origin(enum.StrEnum):
    """Where an item of a combined model comes from."""

    GUIDE = "guide"
    PRODUCT = "product"
    #: the product's item replaces the guide's item of the same ID
    OVERRIDE = "override"


@dataclass(frozen=True, slots=True, kw_only=True)
class GuideWaiver:
    """A guide recommendation the product does not take, accepted until ``expires``.

    ``fingerprint`` is the guide item's review fingerprint when the waiver was
    approved; a different one now means the guide changed the item since.
    """

    recommendation: str
    reason: str
    approver: str
    expires: datetime.date
    fingerprint: str = ""
    loc: SourceLoc

    def as_product_waiver(self) -> ProductWaiver:
        """The same waiver as ``secguide audit --waivers`` reads them."""
        return ProductWaiver(recommendation=self.recommendation, reason=self.reason,
                             approver=self.approver, expires=self.expires, loc=self.loc)


@dataclass(frozen=True, slots=True, kw_only=True)
class Override:
    """A guide item the product replaces with its own item of the same ID."""

    id: str
    reason: str
    fingerprint: str = ""
    loc: SourceLoc


@dataclass(frozen=True, slots=True, kw_only=True)
class ProductInfo:
    """The product side of a combined model."""

    name: str
    #: ``secguide 0.1.0, model sha256:0123456789ab``, or a path's digest for a guide by path
    guide_version: str
    #: the guide recommendations' profile the product takes, and what it adds to it
    profile: str
    selected: tuple[str, ...] = ()
    waivers: tuple[GuideWaiver, ...] = ()
    overrides: tuple[Override, ...] = ()
    #: item ID -> where it comes from (every item of the combined model)
    origins: Mapping[str, Origin] = field(default_factory=dict)
    #: the guide's model alone, for fingerprints of its items as the guide has them
    guide_model: ThreatModel
    loc: SourceLoc

    def origin(self, item_id: str) -> Origin:
        return self.origins.get(item_id, Origin.PRODUCT)

    def origin_text(self, item_id: str) -> str:
        """``guide (secguide 0.1.0, model sha256:...)``, ``product`` or ``override``."""
        origin = self.origin(item_id)
        return f"{origin} ({self.guide_version})" if origin is Origin.GUIDE else str(origin)

    @property
    def product_waivers(self) -> tuple[ProductWaiver, ...]:
        return tuple(waiver.as_product_waiver() for waiver in self.waivers)

    def counts(self) -> dict[str, int]:
        """Items per origin, for summaries."""
        counts = {origin.value: 0 for origin in Origin}
        for origin in self.origins.values():
            counts[origin.value] += 1
        return counts

    def summary(self) -> str:
        """One line: which product, on which guide, with how many items of each origin."""
        counts = self.counts()
        return (f"product model '{self.name}' extends the guide of {self.guide_version}: "
                f"{counts['guide']} guide item(s), {counts['product']} product item(s), "
                f"{counts['override']} override(s), {len(self.waivers)} waived guide "
                f"recommendation(s), profile {self.profile}")
