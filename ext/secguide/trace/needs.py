"""The threat model as a flat list of traceable items, in sphinx-needs' vocabulary.

This is the single mapping from model to needs: the Sphinx glue registers these
items as needs, and the evidence exporters write the same items to needs.json,
ReqIF and CSV. Sphinx-free, so exports need no Sphinx build.

Trace shape::

    threat ◀─mitigates── recommendation ──implemented_by──▶ setting ──verified_by──▶ test
           ◀─mitigates── responsibility
    threat ──threatened_by (adversary)
    threat ──endangers──▶ asset
    clause (of a standard) ──addressed_by──▶ recommendation / responsibility / out of scope
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from secguide.diagnostics import SourceLoc
from secguide.model.items import PROVES, Recommendation, Setting, ThreatModel
from secguide.trace.assets import guide_asset_states
from secguide.trace.kconfig_facts import expand_fact_roles
from secguide.trace.prose import inert_for_needs, safe_prose
from secguide.trace.scope import applies_when_text
from secguide.trace.verification_ids import guide_check_id, slug, verification_id
from secguide.zephyr.kconfig.symbols import SymbolDB

__all__ = ["EXTRA_FIELDS", "LINK_TYPES", "NEED_TYPES", "LinkType", "NeedItem", "NeedType",
           "need_items", "setting_id", "summary", "verification_id"]


@dataclass(frozen=True, slots=True)
class NeedType:
    directive: str
    title: str
    prefix: str
    color: str
    style: str


#: Need types, in the order a reader meets them.
NEED_TYPES: tuple[NeedType, ...] = (
    NeedType("assumption", "Assumption", "ASM-", "#E8E8E8", "node"),
    NeedType("asset", "Asset", "AST-", "#FFF2CC", "node"),
    NeedType("adversary", "Adversary", "ADV-", "#F4CCCC", "actor"),
    NeedType("out_of_scope", "Out of scope", "OOS-", "#EEEEEE", "node"),
    NeedType("threat", "Threat", "THR-", "#F6B26B", "node"),
    NeedType("responsibility", "Developer responsibility", "RESP-", "#C9DAF8", "node"),
    NeedType("recommendation", "Recommendation", "REC-", "#B6D7A8", "node"),
    NeedType("setting", "Kconfig setting", "SET-", "#FFE599", "card"),
    NeedType("test", "Verification", "TEST-", "#D9D2E9", "node"),
    NeedType("clause", "Standard clause", "CLS-", "#CFE2F3", "node"),
)


@dataclass(frozen=True, slots=True)
class LinkType:
    option: str
    outgoing: str
    incoming: str


#: Link options, as sphinx-needs ``needs_extra_links`` entries.
LINK_TYPES: tuple[LinkType, ...] = (
    LinkType("mitigates", "mitigates", "mitigated by"),
    LinkType("threatened_by", "threatened by", "threatens"),
    LinkType("endangers", "endangers", "endangered by"),
    LinkType("implemented_by", "implemented by", "implements"),
    LinkType("verified_by", "verified by", "verifies"),
    LinkType("replaced_by", "replaced by", "replaces"),
    LinkType("addressed_by", "addressed by", "addresses"),
)

#: Extra need fields (``needs_extra_options``), all plain strings.
EXTRA_FIELDS: tuple[str, ...] = (
    "area", "symbol", "value", "kconfig_type", "zephyr_version", "source", "asset_category",
    "profiles", "references", "architectures", "hardware", "builds", "applies_when",
    "checked_against",
    "verification_kind",
    "proves", "result", "standard", "clause", "met_by", "clause_level", "verifies",
    "review", "reviewed_by", "reviewed_on",
    # a product model's items: guide (with its version), product or override
    "origin",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedItem:
    """One need: a model item, a Kconfig setting of a recommendation, or a verification."""

    id: str
    type: str
    title: str
    content: str
    status: str
    tags: tuple[str, ...] = ()
    links: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)
    loc: SourceLoc


#: The status of an item the model gives none (assumptions, threats, out-of-scope items):
#: left empty, because "approved" would claim a sign-off that only a review stamp records.
NO_STATUS = ""


def summary(text: str, limit: int = 90) -> str:
    """A title for an item that has none: its first sentence, cut at a word near ``limit``."""
    words = " ".join(text.split())
    sentence = re.split(r"(?<=[.;:])\s", words, maxsplit=1)[0].rstrip(".;:")
    if len(sentence) <= limit:
        return sentence
    return sentence[:limit].rsplit(" ", 1)[0] + " …"


def setting_id(recommendation: Recommendation, setting: Setting) -> str:
    """``SET-<recommendation suffix>-<symbol>``, stable as long as both are."""
    return f"SET-{recommendation.id.removeprefix('REC-')}-{slug(setting.symbol)}"


def _marked_id(node_id: str) -> str:
    """The need ID of a marker-linked test: the one a ``pytest:`` entry naming it gets."""
    return guide_check_id(node_id)


def _setting_value(setting: Setting) -> str:
    if setting.value is not None:
        return setting.value
    return setting.requirement_text.removeprefix(setting.config_name).strip()


def need_items(model: ThreatModel, zephyr_version: str = "",
               results: Mapping[str, str] | None = None, *,
               marked: Mapping[str, Sequence[tuple[str, str]]] | None = None,
               marked_source: SourceLoc | None = None,
               db: SymbolDB | None = None) -> list[NeedItem]:
    """Every need of the model, deterministic in order (model order, then tests by ID).

    ``results`` maps test need IDs to outcomes (``passed``, ``failed``, ``not run``
    ...; see :func:`secguide.trace.results.need_results`); given, every test need
    gets its ``result`` field, "not run" when the mapping lacks it.

    ``marked`` adds this project's tests that link themselves to recommendations
    with ``@pytest.mark.verifies`` (recommendation ID -> (node ID, outcome); see
    :func:`secguide.trace.results.marked_tests`); they are located at ``marked_source``,
    the result file that reported them.

    ``db`` (the tree) replaces each Kconfig fact role in the texts by the tree's answer
    (:mod:`secguide.trace.kconfig_facts`); every face that publishes the model passes it.
    """
    marked = marked or {}
    items: list[NeedItem] = []

    def add(item: NeedItem) -> None:
        items.append(item)

    if model.scope is not None:
        for assumption in model.scope.assumptions:
            add(NeedItem(id=assumption.id, type="assumption",
                         title=assumption.title or summary(assumption.text),
                         content=safe_prose(assumption.text), status=NO_STATUS, loc=assumption.loc,
                         extra={"source": str(assumption.loc)}))
    for asset, state in zip(model.assets, guide_asset_states(model), strict=True):
        add(NeedItem(id=asset.id, type="asset", title=asset.title,
                     content=f"{safe_prose(asset.description)}\n\n"
                     f"In the guide: {state.protection.value} ({safe_prose(state.why)}).",
                     status=state.protection.value, tags=(asset.category.value,),
                     loc=asset.loc, extra={"asset_category": asset.category.title,
                                           "source": str(asset.loc)}))
    for adversary in model.adversaries:
        content = safe_prose(adversary.description)
        if not adversary.addressed:
            content += f"\n\nNot addressed: {safe_prose(adversary.reason)}"
        add(NeedItem(id=adversary.id, type="adversary", title=adversary.title, content=content,
                     status="addressed" if adversary.addressed else "not addressed",
                     tags=("addressed",) if adversary.addressed else ("not-addressed",),
                     loc=adversary.loc, extra={"source": str(adversary.loc)}))
    for item in model.out_of_scope:
        add(NeedItem(id=item.id, type="out_of_scope", title=item.title,
                     content=f"{safe_prose(item.reason)}\n\nProtection must come from: "
                     f"{safe_prose(item.protection_from)}",
                     status=NO_STATUS, loc=item.loc, extra={"source": str(item.loc)}))

    mitigations: dict[str, list[str]] = {}
    for threat in model.threats:
        for mitigation in threat.mitigated_by:
            mitigations.setdefault(mitigation, []).append(threat.id)
        add(NeedItem(id=threat.id, type="threat", title=threat.title,
                     content=safe_prose(threat.description), status=NO_STATUS,
                     links={"threatened_by": threat.adversaries, "endangers": threat.assets},
                     loc=threat.loc,
                     extra={"source": str(threat.loc)}))
    for responsibility in model.responsibilities:
        add(NeedItem(id=responsibility.id, type="responsibility", title=responsibility.title,
                     content=safe_prose(responsibility.description), status=responsibility.status,
                     links={"mitigates": tuple(mitigations.get(responsibility.id, ()))},
                     loc=responsibility.loc, extra={"source": str(responsibility.loc)}))

    tests: dict[str, NeedItem] = {}
    verifies: dict[str, list[str]] = {}  # test need ID -> the recommendations/settings it verifies
    for rec in model.recommendations:
        marked_ids = {_marked_id(node): (node, outcome)
                      for node, outcome in marked.get(rec.id, ())}
        test_ids = tuple(dict.fromkeys(
            [verification_id(v) for v in rec.verifications] + sorted(marked_ids)))
        # a verification verifies what it names: the whole recommendation or one setting
        whole_ids = tuple(dict.fromkeys(
            [verification_id(v) for v in rec.verifications if not v.setting]
            + sorted(marked_ids)))
        for tid in whole_ids:
            verifies.setdefault(tid, []).append(rec.id)
        setting_ids = []
        for setting in rec.settings:
            sid = setting_id(rec, setting)
            setting_ids.append(sid)
            own_ids = [verification_id(v) for v in rec.verifications
                       if v.setting == setting.symbol]
            for tid in own_ids:
                verifies.setdefault(tid, []).append(sid)
            setting_tests = [verification_id(v) for v in rec.verifications
                             if v.setting in ("", setting.symbol)] + sorted(marked_ids)
            add(NeedItem(
                id=sid, type="setting", title=setting.requirement_text,
                content=safe_prose(setting.note), status=rec.status, tags=(rec.area,),
                links={"verified_by": tuple(dict.fromkeys(setting_tests))},
                loc=setting.loc,
                extra={"symbol": setting.config_name, "value": _setting_value(setting),
                       "area": rec.area, "zephyr_version": zephyr_version,
                       "source": str(setting.loc)},
            ))
        replaced = rec.deprecation.replaced_by if rec.deprecation else ()
        add(NeedItem(
            id=rec.id, type="recommendation", title=rec.title, content=safe_prose(rec.rationale),
            status=rec.status, tags=(rec.area, *rec.tags),
            links={"mitigates": tuple(mitigations.get(rec.id, ())),
                   "implemented_by": tuple(setting_ids),
                   "verified_by": test_ids,
                   "replaced_by": tuple(r for r in replaced if r.startswith("REC-"))},
            loc=rec.loc,
            extra={"area": rec.area, "profiles": ",".join(rec.profiles),
                   "references": ",".join(rec.references),
                   "architectures": ",".join(rec.applies_to.architectures) or "all",
                   "hardware": ",".join(rec.applies_to.hardware),
                   "builds": ",".join(rec.applies_to.builds),
                   "applies_when": applies_when_text(rec.applies_to.when),
                   "checked_against": (f"Zephyr {rec.checked_against}"
                                       if rec.checked_against else ""),
                   "source": str(rec.loc)},
        ))
        for verification in rec.verifications:
            tid = verification_id(verification)
            if tid not in tests:
                title, content = verification.ref, safe_prose(verification.note)
                if verification.kind == "manual-check":
                    # the procedure is the card's text; its first sentence names it
                    title = summary(verification.ref, 80)
                    content = "\n\n".join(filter(None, [safe_prose(verification.ref),
                                                          content]))
                if verification.kind == "build-audit":
                    # the audit checks exactly this recommendation's settings: say which
                    title = f"Audit of a {verification.ref} .config: {rec.id}"
                    content = "\n\n".join(filter(None, [
                        "Each of these must hold in the build's .config: "
                        + ", ".join(s.requirement_text for s in rec.settings) + ".",
                        content]))
                tests[tid] = NeedItem(
                    id=tid, type="test", title=title, content=content,
                    status="defined", loc=verification.loc,
                    extra={"verification_kind": verification.kind,
                           "proves": verification.proves,
                           "source": str(verification.loc),
                           **({"result": results.get(tid, "not run")}
                              if results is not None else {})},
                )
        for tid, (node, outcome) in marked_ids.items():
            if tid not in tests:
                loc = marked_source or SourceLoc("")
                tests[tid] = NeedItem(
                    id=tid, type="test", title=node,
                    content="A test of this project marked as verifying this recommendation.",
                    status="defined", loc=loc,
                    extra={"verification_kind": "guide-check",
                           "proves": PROVES["guide-check"], "source": str(loc),
                           "result": outcome},
                )
    for standard in model.standards:
        for clause in standard.entries:
            add(NeedItem(
                id=clause.id, type="clause", title=f"{clause.clause} {clause.title}",
                content=safe_prose(clause.justification), status=clause.status,
                tags=(clause.met_by.value,), links={"addressed_by": clause.mapped},
                loc=clause.loc,
                extra={"standard": standard.name, "clause": clause.clause,
                       "met_by": clause.met_by.value, "clause_level": clause.level,
                       "source": str(clause.loc)}))
    items.extend(dataclasses.replace(tests[tid], extra={
        **tests[tid].extra, "verifies": ",".join(dict.fromkeys(verifies.get(tid, ())))})
        for tid in sorted(tests))
    if db is not None:
        # the tree's facts in place of their roles: guide and exports say the same words
        items = [_with_content(item, expand_fact_roles(item.content, db)) for item in items]
    if model.product is not None:
        items = _with_origins(items, model)
    return [_inert(item) for item in items]


def _with_origins(items: list[NeedItem], model: ThreatModel) -> list[NeedItem]:
    """A product model's needs, each saying where it comes from (``origin``): its model
    item's origin; a setting or a test that of the first recommendation it belongs to."""
    product = model.product
    assert product is not None
    owner: dict[str, str] = {}
    for rec in model.recommendations:
        for setting in rec.settings:
            owner.setdefault(setting_id(rec, setting), rec.id)
    for item in items:
        verified = [entry.strip() for entry in item.extra.get("verifies", "").split(",")]
        if item.type == "test" and verified[0]:
            owner[item.id] = owner.get(verified[0], verified[0])
    return [dataclasses.replace(item, extra={
        **item.extra, "origin": product.origin_text(owner.get(item.id, item.id))})
        for item in items]


def _inert(item: NeedItem) -> NeedItem:
    """Every text of ``item`` safe from sphinx-needs' build-time evaluation.

    sphinx-needs runs ``[[copy(..., filter="<Python>")]]`` and ``<<variant>>`` found
    in need fields, here and in any project importing our needs.json: YAML text
    must not get there as syntax (``secguide check`` reports it as unsafe-markup).
    """
    title, content = inert_for_needs(item.title), inert_for_needs(item.content)
    status, tags = inert_for_needs(item.status), tuple(map(inert_for_needs, item.tags))
    extra = {name: inert_for_needs(value) for name, value in item.extra.items()}
    if (title, content, status, tags, extra) == (item.title, item.content, item.status,
                                                 item.tags, item.extra):
        return item  # nothing to neutralise (the common case): no copy
    return dataclasses.replace(item, title=title, content=content, status=status, tags=tags,
                               extra=extra)


def _with_content(item: NeedItem, content: str) -> NeedItem:
    return item if content == item.content else dataclasses.replace(item, content=content)
