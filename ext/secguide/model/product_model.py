"""A product's threat model on top of the guide: ``extends.yaml`` and the combined model.

A product model folder holds ordinary threat-model files (the product's own assets,
threats, recommendations, responsibilities) and one ``extends.yaml``::

    extends: guide                 # the guide installed with secguide, or a path to a
                                   # guide folder (holding threatmodel/) or a model folder
    product: Acme door lock
    profile: base                  # the guide recommendations the product takes
    select: [REC-KERNEL-USERSPACE] # ... and these too
    waivers:                       # guide recommendations it does not take, accepted
      - recommendation: REC-DBG-SHELL
        reason: The shell is the service interface, behind authentication.
        approver: Jane Doe (product security)
        expires: 2027-06-30
        fingerprint: 3f2a...       # the guide item's review fingerprint when approved
    overrides:                     # guide items the product replaces (same ID)
      - id: REC-STACK-CANARIES
        reason: Strong canaries cost too much on the product's smallest image.
        fingerprint: 9c01...

The combined model holds every guide item, each product item, and in place of a guide
item the product's item of the same ID. Replacing a guide item is never silent: it is
an error unless ``overrides`` names it with a reason, and a note naming both places
when it does. Guide locations are shown as ``guide:threatmodel/x.yaml:LINE``.
Fingerprints need the Zephyr tree, so :mod:`secguide.trace.product` checks them.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc, display_path
from secguide.model.guide_package import THREATMODEL, installed_guide, model_digest
from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.model.model_files import DECLARATION, is_product_model, threatmodel_files
from secguide.model.product_items import (
    GUIDE_PREFIX,
    INSTALLED_GUIDE,
    GuideWaiver,
    Origin,
    Override,
    ProductInfo,
)
from secguide.model.yaml_source import YamlDocument, read_yaml

_ID = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
_TEXT = {"type": "string", "pattern": r"\S"}
_FINGERPRINT = {"type": "string", "pattern": "^[0-9a-f]{16,64}$"}
_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["extends", "product"],
    "properties": {
        "extends": _TEXT,
        "product": _TEXT,
        "profile": {"type": "string", "pattern": r"^[a-z][a-z0-9-]*$"},
        "select": {"type": "array", "items": {"type": "string", "pattern": _ID}},
        "waivers": {"type": "array", "items": {
            "type": "object", "additionalProperties": False,
            "required": ["recommendation", "reason", "approver", "expires"],
            "properties": {"recommendation": {"type": "string", "pattern": _ID},
                           "reason": _TEXT, "approver": _TEXT, "expires": {"type": "string"},
                           "fingerprint": _FINGERPRINT}}},
        "overrides": {"type": "array", "items": {
            "type": "object", "additionalProperties": False, "required": ["id", "reason"],
            "properties": {"id": {"type": "string", "pattern": _ID}, "reason": _TEXT,
                           "fingerprint": _FINGERPRINT}}},
    },
}


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(_SCHEMA)


def _error(loc: SourceLoc, message: str, code: Code = Code.PRODUCT_MODEL) -> Diagnostic:
    return Diagnostic(loc, Severity.ERROR, code, message)


def _schema_diagnostics(doc: YamlDocument) -> list[Diagnostic]:
    found = []
    for error in _validator().iter_errors(doc.data):
        where = tuple(error.absolute_path)
        if error.validator == "additionalProperties" and isinstance(error.instance, dict):
            extra = sorted(str(k) for k in error.instance if k not in error.schema["properties"])
            found.append(_error(doc.loc((*where, extra[0]), key=True),
                                f"unknown field '{extra[0]}'; allowed: "
                                f"{', '.join(error.schema['properties'])}"))
        elif error.validator == "required":
            found.append(_error(doc.loc(where), f"{DECLARATION} is missing {error.message}"))
        else:
            field = where[-1] if where else "file"
            found.append(_error(doc.loc(where), f"'{field}': {error.message}"))
    return found


def _guide_folder(value: str, declaration: Path, shown: str) -> tuple[Path, Path, str]:
    """(model folder, folder its locations are shown from, version text) of ``extends``.

    Raises:
        SecguideError: nothing usable there (exit 2), or another product model.
    """
    if value == INSTALLED_GUIDE:
        guide = installed_guide()
        if guide is None:
            raise SecguideError(f"{shown}: extends: guide, but this secguide installation "
                                "carries no guide; give its path", exit_code=2)
        return guide.threatmodel, guide.root, guide.version
    target = (declaration.parent / value).resolve()
    model_dir = target / THREATMODEL if (target / THREATMODEL).is_dir() else target
    if not model_dir.is_dir():
        raise SecguideError(f"{shown}: extends: {value}: no such folder (a guide folder "
                            "holding threatmodel/, or a threat-model folder)", exit_code=2)
    if is_product_model(model_dir):
        raise SecguideError(f"{shown}: extends: {value}: that is a product model itself; a "
                            "product extends the guide", exit_code=2)
    return model_dir, model_dir.parent, f"{value}, model sha256:{model_digest(model_dir)[:12]}"


def _relocated(value: Any, prefix: str) -> Any:
    """``value`` with every :class:`SourceLoc` path prefixed (dataclasses, tuples, maps)."""
    if isinstance(value, SourceLoc):
        return dataclasses.replace(value, path=prefix + value.path)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.replace(value, **{
            field.name: _relocated(getattr(value, field.name), prefix)
            for field in dataclasses.fields(value) if field.init})
    if isinstance(value, tuple):
        return tuple(_relocated(entry, prefix) for entry in value)
    if isinstance(value, Mapping):
        return {key: _relocated(entry, prefix) for key, entry in value.items()}
    return value


def _guide_model(model_dir: Path, shown_from: Path) -> tuple[ThreatModel, list[Diagnostic]]:
    model, diagnostics = load_threat_model(model_dir, display_base=shown_from)
    relocated = dataclasses.replace(
        _relocated(model, GUIDE_PREFIX),
        files=tuple(GUIDE_PREFIX + name for name in model.files),
        unreadable_files=tuple(GUIDE_PREFIX + name for name in model.unreadable_files),
        text_places={(GUIDE_PREFIX + name, text): _relocated(places, GUIDE_PREFIX)
                     for (name, text), places in model.text_places.items()})
    return relocated, [_relocated(d, GUIDE_PREFIX) for d in diagnostics]


def _date(text: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(text))
    except ValueError:
        return None


def _merged(guide: Iterable[Any], product: Iterable[Any]) -> tuple[Any, ...]:
    """Guide items in guide order, each replaced by the product's item of its ID, then the
    product's new items."""
    replacing = {item.id: item for item in product}
    guide_ids = set()
    merged = []
    for item in guide:
        guide_ids.add(item.id)
        merged.append(replacing.get(item.id, item))
    return (*merged, *(item for item in replacing.values() if item.id not in guide_ids))


def load_product_model(directory: Path, *, display_base: Path | None = None
                       ) -> tuple[ThreatModel, list[Diagnostic]]:
    """The product model in ``directory`` combined with the guide its ``extends.yaml`` names.

    Raises:
        SecguideError: the folder or the guide cannot be read (exit 2).
    """
    declaration = Path(directory) / DECLARATION
    shown = display_path(declaration, display_base)
    doc, diagnostics = read_yaml(declaration, shown)
    data = doc.data if isinstance(doc.data, dict) else {}
    if doc.data is not None:
        diagnostics += _schema_diagnostics(doc)
    extends = data.get("extends")
    if not isinstance(extends, str) or not extends.strip():
        raise SecguideError(f"{shown}: names no guide to extend ('extends: guide' or a path)",
                            exit_code=2)
    guide_dir, guide_base, version = _guide_folder(extends.strip(), declaration, shown)
    guide, guide_diagnostics = _guide_model(guide_dir, guide_base)
    own, own_diagnostics = load_threat_model(directory, display_base=display_base)
    diagnostics += guide_diagnostics + own_diagnostics
    product = _product_info(doc, data, guide, own, version, diagnostics)
    if own.scope is not None and guide.scope is not None:
        diagnostics.append(_error(own.scope.loc, "the guide defines the scope (at "
                                  f"{guide.scope.loc}); a product model adds assumptions as "
                                  "threats, responsibilities or out-of-scope items instead",
                                  Code.UNDECLARED_OVERRIDE))
    model = ThreatModel(
        scope=guide.scope or own.scope,
        assets=_merged(guide.assets, own.assets),
        adversaries=_merged(guide.adversaries, own.adversaries),
        out_of_scope=_merged(guide.out_of_scope, own.out_of_scope),
        threats=_merged(guide.threats, own.threats),
        responsibilities=_merged(guide.responsibilities, own.responsibilities),
        recommendations=_merged(guide.recommendations, own.recommendations),
        waivers=(*guide.waivers, *own.waivers),
        declared_profiles=_merged_profiles(guide, own, diagnostics),
        standards=(*guide.standards,
                   *(s for s in own.standards if s.id not in {g.id for g in guide.standards})),
        files=(*guide.files, *own.files),
        invalid_ids=guide.invalid_ids | own.invalid_ids,
        unreadable_files=(*guide.unreadable_files, *own.unreadable_files),
        text_places={**guide.text_places, **own.text_places},
        # the product's reviewers stamp its items; without its own list, the guide's
        reviewers=own.reviewers if own.reviewers is not None else guide.reviewers,
        product=product)
    return model, diagnostics


def _merged_profiles(guide: ThreatModel, own: ThreatModel,
                     diagnostics: list[Diagnostic]) -> tuple[Any, ...]:
    names = {profile.name: profile for profile in guide.profiles}
    added = []
    for profile in own.declared_profiles:
        if profile.name in names:
            diagnostics.append(_error(profile.loc, f"profile '{profile.name}' is the guide's "
                                      f"(at {names[profile.name].loc}); a product may add "
                                      "profiles, not redefine the guide's",
                                      Code.UNDECLARED_OVERRIDE))
        else:
            added.append(profile)
    return (*guide.profiles, *added)


def _product_info(doc: YamlDocument, data: Mapping[str, Any], guide: ThreatModel,
                  own: ThreatModel, version: str,
                  diagnostics: list[Diagnostic]) -> ProductInfo:
    guide_items = guide.by_id()
    own_items = own.by_id()
    guide_recs = {rec.id for rec in guide.recommendations}
    overrides = []
    for index, raw in enumerate(data.get("overrides") or ()):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        loc = doc.loc(("overrides", index, "id"))
        if raw["id"] not in guide_items:
            diagnostics.append(_error(loc, f"overrides {raw['id']}, which the guide does not "
                                      "define", Code.UNKNOWN_GUIDE_ITEM))
        elif raw["id"] not in own_items:
            diagnostics.append(_error(loc, f"overrides {raw['id']}, but no file of the product "
                                      "model defines it", Code.UNKNOWN_GUIDE_ITEM))
        overrides.append(Override(id=raw["id"], reason=str(raw.get("reason", "")),
                                  fingerprint=str(raw.get("fingerprint", "")), loc=loc))
    declared = {override.id: override for override in overrides}
    origins: dict[str, Origin] = {item_id: Origin.GUIDE for item_id in guide_items}
    for item_id, item in own_items.items():
        if item_id not in guide_items:
            origins[item_id] = Origin.PRODUCT
            continue
        origins[item_id] = Origin.OVERRIDE
        guide_loc = guide_items[item_id].loc
        if item_id in declared:
            diagnostics.append(Diagnostic(
                item.loc, Severity.NOTE, Code.GUIDE_OVERRIDE,
                f"{item_id} overrides the guide's item at {guide_loc} ({version}); declared "
                f"at {declared[item_id].loc}: {declared[item_id].reason}"))
        else:
            diagnostics.append(_error(
                item.loc, f"{item_id} replaces the guide's item at {guide_loc} ({version}) "
                f"without saying so: list it under 'overrides' in {DECLARATION} with a "
                "reason, or give the product's item its own ID", Code.UNDECLARED_OVERRIDE))
    waivers = []
    for index, raw in enumerate(data.get("waivers") or ()):
        if not isinstance(raw, dict) or not isinstance(raw.get("recommendation"), str):
            continue
        loc = doc.loc(("waivers", index, "recommendation"))
        if raw["recommendation"] not in guide_recs:
            diagnostics.append(_error(loc, f"waives {raw['recommendation']}, which is not a "
                                      "recommendation of the guide", Code.UNKNOWN_GUIDE_ITEM))
        expires = _date(raw.get("expires"))
        if expires is None:
            diagnostics.append(_error(doc.loc(("waivers", index, "expires")),
                                      f"'expires': {raw.get('expires')!r} is not a date "
                                      "(write YYYY-MM-DD)"))
            continue
        waivers.append(GuideWaiver(
            recommendation=raw["recommendation"], reason=str(raw.get("reason", "")).strip(),
            approver=str(raw.get("approver", "")).strip(), expires=expires,
            fingerprint=str(raw.get("fingerprint", "")), loc=loc))
    selected = []
    for index, rec_id in enumerate(data.get("select") or ()):
        if isinstance(rec_id, str) and rec_id not in guide_recs:
            diagnostics.append(_error(doc.loc(("select", index)),
                                      f"selects {rec_id}, which is not a recommendation of "
                                      "the guide", Code.UNKNOWN_GUIDE_ITEM))
        elif isinstance(rec_id, str):
            selected.append(rec_id)
    profile = str(data.get("profile", "base"))
    if profile not in {p.name for p in guide.profiles}:
        diagnostics.append(_error(doc.loc(("profile",)), f"profile '{profile}' is not a "
                                  f"profile of the guide; known: "
                                  f"{', '.join(p.name for p in guide.profiles)}",
                                  Code.UNKNOWN_PROFILE))
    return ProductInfo(name=str(data.get("product", "")), guide_version=version,
                       profile=profile, selected=tuple(selected), waivers=tuple(waivers),
                       overrides=tuple(overrides), origins=origins, guide_model=guide,
                       loc=doc.loc(()))


def load_any_model(directory: Path, *, display_base: Path | None = None
                   ) -> tuple[ThreatModel, list[Diagnostic]]:
    """A product model combined with its guide, or a plain threat-model folder."""
    if is_product_model(directory):
        return load_product_model(directory, display_base=display_base)
    return load_threat_model(directory, display_base=display_base)


def model_input_files(directory: Path) -> list[Path]:
    """The files a model's evidence is of: its threat-model files, and a product model's
    ``extends.yaml`` (the guide it extends is named by version in the manifest)."""
    files = threatmodel_files(directory)
    if is_product_model(directory):
        files.append(Path(directory) / DECLARATION)
    return files
