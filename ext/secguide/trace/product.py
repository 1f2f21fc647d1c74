"""A product model's overrides and waivers against the guide it extends, now.

The product records, for each guide item it overrides or waives, the item's review
fingerprint (:func:`secguide.trace.review.fingerprint`) as it approved it. When the
guide moves on (a new secguide release, or Zephyr changing a symbol the item relies
on) the fingerprint differs, and ``check`` names the item: the product's decision
was about something else, exactly as a review stamp becomes suspect.
"""

from __future__ import annotations

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.items import ThreatModel
from secguide.model.model_files import DECLARATION
from secguide.trace.review import fingerprint, stamp_matches
from secguide.zephyr.kconfig.symbols import SymbolDB


def product_diagnostics(model: ThreatModel, db: SymbolDB) -> list[Diagnostic]:
    """Overrides and waivers whose guide item changed, or that record no fingerprint."""
    product = model.product
    if product is None:
        return []
    guide = product.guide_model
    guide_items = guide.by_id()
    entries: list[tuple[str, str, str, SourceLoc]] = [
        *(("override", o.id, o.fingerprint, o.loc) for o in product.overrides),
        *(("waiver", w.recommendation, w.fingerprint, w.loc) for w in product.waivers)]
    found = []
    for what, item_id, recorded, loc in entries:
        item = guide_items.get(item_id)
        if item is None:
            continue  # reported by the loader (unknown-guide-item)
        current = fingerprint(item, db, guide)
        if not recorded:
            found.append(Diagnostic(
                loc, Severity.WARNING, Code.UNRECORDED_GUIDE_FINGERPRINT,
                f"the {what} of {item_id} does not record which version of the guide item "
                f"it was decided on: add 'fingerprint: {current}' to it in {DECLARATION}"))
        elif not stamp_matches(recorded, current):
            found.append(Diagnostic(
                loc, Severity.WARNING, Code.GUIDE_ITEM_CHANGED,
                f"{item_id} (at {item.loc}) changed in the guide since this {what} was "
                f"recorded ({product.guide_version}; fingerprint {recorded[:12]}..., now "
                f"{current[:12]}...): review the {what} against the guide's item, then "
                f"record 'fingerprint: {current}'"))
    return found
