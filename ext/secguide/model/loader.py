"""Loading ``threatmodel/**/*.yaml`` into a :class:`~secguide.model.items.ThreatModel`.

Every problem is collected as a diagnostic (syntax, duplicate keys, schema,
duplicate IDs) before anything fails, so an author fixes all of them in one
round. An item with a schema error is left out of the model, but its ID is
still known, so it does not cause a second wave of "unknown ID" errors.
"""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc, display_path
from secguide.input_limits import require_folder
from secguide.model.items import (
    AcceptedConflict,
    Adversary,
    Applicability,
    Asset,
    AssetCategory,
    Assumption,
    Clause,
    Deprecation,
    MetBy,
    OutOfScope,
    Profile,
    Recommendation,
    Responsibility,
    Reviewer,
    ReviewStamp,
    Scope,
    Setting,
    Standard,
    TextPlace,
    Threat,
    ThreatModel,
    Verification,
    Waiver,
)
from secguide.model.model_files import refused_links, threatmodel_files
from secguide.model.schema import schema_errors
from secguide.model.yaml_source import DataPath, YamlDocument, read_yaml

#: YAML key of a verification entry -> its kind (see :class:`Verification`).
_VERIFICATION_KEYS = (("zephyr_test", "target-test"), ("pytest", "guide-check"),
                      ("build_audit", "build-audit"), ("manual", "manual-check"))

_CLAUSE_LINK_FIELDS = ("met_by", "recommendations", "responsibilities", "out_of_scope")

_LIST_SECTIONS = ("assets", "adversaries", "out_of_scope", "threats", "responsibilities",
                  "recommendations", "waivers")


def _symbol(text: str) -> str:
    return text.removeprefix("CONFIG_")


def _text_value(value: Any) -> str | None:
    if value is None:
        return None
    return str(value)


class _Builder:
    """Turns one schema-valid document into model items."""

    def __init__(self, doc: YamlDocument) -> None:
        self.doc = doc

    def loc(self, *path: str | int) -> SourceLoc:
        return self.doc.loc(tuple(path))

    def setting(self, raw: dict, path: DataPath) -> Setting:
        return Setting(symbol=_symbol(raw["symbol"]), value=_text_value(raw.get("value")),
                       minimum=raw.get("min"), maximum=raw.get("max"),
                       note=raw.get("note", ""), since=raw.get("since"),
                       alternatives=tuple(_symbol(name) for name in raw.get("alternatives", ())),
                       loc=self.doc.loc((*path, "symbol")))

    def verification(self, raw: dict, path: DataPath, recommendation_id: str) -> Verification:
        for key, kind in _VERIFICATION_KEYS:
            if key not in raw:
                continue
            given = raw.get("id", "")
            if kind == "build-audit":
                # one audit need per recommendation: it checks exactly that item's settings
                given = f"TEST-AUDIT-{recommendation_id.removeprefix('REC-')}"
            setting = _symbol(raw["setting"]) if "setting" in raw else ""
            return Verification(kind=kind, ref=str(raw[key]), id=given,
                                note=raw.get("note", ""), setting=setting,
                                setting_loc=(self.doc.loc((*path, "setting"))
                                             if setting else None),
                                loc=self.doc.loc((*path, key)))
        raise AssertionError("schema guarantees one verification kind")

    def recommendation(self, raw: dict, path: DataPath) -> Recommendation:
        applies = raw.get("applies_to", {})
        deprecated = raw.get("deprecated")
        return Recommendation(
            id=raw["id"], title=raw["title"], area=raw["area"], status=raw["status"],
            rationale=raw["rationale"],
            settings=tuple(self.setting(s, (*path, "settings", i))
                           for i, s in enumerate(raw.get("settings", []))),
            verifications=tuple(self.verification(v, (*path, "verification", i), raw["id"])
                                for i, v in enumerate(raw.get("verification", []))),
            applies_to=Applicability(
                architectures=tuple(applies.get("architectures", ())),
                hardware=tuple(applies.get("hardware", ())),
                builds=tuple(applies.get("builds", ("production", "debug"))),
                when=applies.get("when", "").strip(),
                when_loc=self.doc.loc((*path, "applies_to", "when")) if "when" in applies
                else None,
            ),
            profiles=tuple(raw.get("profiles", ("base",))),
            profiles_loc=self.doc.loc((*path, "profiles")) if "profiles" in raw else None,
            references=tuple(raw.get("references", ())),
            tags=tuple(raw.get("tags", ())),
            deprecation=Deprecation(
                removed_in=str(deprecated["removed_in"]),
                replaced_by=tuple(_symbol(r) for r in deprecated.get("replaced_by", ())),
                note=deprecated.get("note", ""), loc=self.doc.loc((*path, "deprecated")),
                replaced_by_locs=self.entry_locs((*path, "deprecated", "replaced_by"),
                                                 deprecated.get("replaced_by", ())),
            ) if deprecated else None,
            accepted_conflicts=tuple(
                AcceptedConflict(with_id=entry["with"], reason=entry["reason"],
                                 loc=self.doc.loc((*path, "accepted_conflicts", i, "with")))
                for i, entry in enumerate(raw.get("accepted_conflicts", ()))),
            checked_against=str(raw.get("checked_against", "")),
            review=self.review(raw, path),
            loc=self.doc.loc((*path, "id")),
        )

    def review(self, raw: dict, path: DataPath) -> ReviewStamp | None:
        review = raw.get("review")
        if not review:
            return None
        lines = {self.doc.loc((*path, "review", key)).line for key in review}
        return ReviewStamp(by=review["by"], date=str(review["date"]),
                           fingerprint=review["fingerprint"], note=review.get("note", ""),
                           loc=self.doc.loc((*path, "review")),
                           lines=tuple(sorted(line for line in lines if line)))

    def reviewers(self, entries: list) -> list[Reviewer]:
        return [Reviewer(name=" ".join(str(raw["name"]).split()),
                         emails=tuple(str(email).strip().lower() for email in raw["emails"]),
                         loc=self.doc.loc(("reviewers", index)))
                for index, raw in enumerate(entries)]

    def entry_locs(self, path: DataPath, entries: Any) -> tuple[SourceLoc, ...]:
        """Where each entry of the list at ``path`` is written, for messages about one entry."""
        return tuple(self.doc.loc((*path, index)) for index in range(len(entries)))

    def item(self, section: str, raw: dict, path: DataPath) -> Any:
        loc = self.doc.loc((*path, "id")) if "id" in raw else self.doc.loc(path)
        if section == "assets":
            return Asset(id=raw["id"], title=raw["title"], description=raw["description"],
                         category=AssetCategory(raw["category"]),
                         review=self.review(raw, path), loc=loc)
        if section == "adversaries":
            return Adversary(id=raw["id"], title=raw["title"], description=raw["description"],
                             addressed=raw["addressed"], reason=raw.get("reason", ""), loc=loc)
        if section == "out_of_scope":
            return OutOfScope(id=raw["id"], title=raw["title"], reason=raw["reason"],
                              protection_from=raw["protection_from"],
                              review=self.review(raw, path), loc=loc)
        if section == "threats":
            return Threat(id=raw["id"], title=raw["title"], description=raw["description"],
                          adversaries=tuple(raw.get("adversaries", ())),
                          mitigated_by=tuple(raw.get("mitigated_by", ())), loc=loc,
                          assets=tuple(raw.get("assets", ())),
                          review=self.review(raw, path),
                          adversary_locs=self.entry_locs((*path, "adversaries"),
                                                         raw.get("adversaries", ())),
                          asset_locs=self.entry_locs((*path, "assets"), raw.get("assets", ())),
                          mitigated_by_locs=self.entry_locs((*path, "mitigated_by"),
                                                            raw.get("mitigated_by", ())))
        if section == "responsibilities":
            return Responsibility(id=raw["id"], title=raw["title"],
                                  description=raw["description"],
                                  status=raw.get("status", "review"),
                                  review=self.review(raw, path), loc=loc)
        if section == "recommendations":
            return self.recommendation(raw, path)
        if section == "waivers":
            return Waiver(symbol=_symbol(raw["symbol"]), reason=raw["reason"],
                          loc=self.doc.loc((*path, "symbol")))
        raise AssertionError(section)

    def profiles(self, entries: list, error_paths: list[DataPath]) -> list[Profile]:
        return [Profile(name=raw["name"], description=raw["description"],
                        extends=raw.get("extends"), loc=self.doc.loc(("profiles", i, "name")))
                for i, raw in enumerate(entries)
                if isinstance(raw, dict) and not _has_error_under(("profiles", i), error_paths)]

    def standard(self, raw: dict, error_paths: list[DataPath]) -> Standard | None:
        """The standard of this file, with every clause that has no schema error."""
        clause_paths = {("standard", "clauses", i) for i in range(len(raw.get("clauses", [])))}
        if any(e[:1] == ("standard",) and e[:3] not in clause_paths for e in error_paths):
            return None
        clauses = []
        group = ""
        for i, entry in enumerate(raw.get("clauses", [])):
            path = ("standard", "clauses", i)
            if _has_error_under(path, error_paths):
                continue
            met_by = MetBy(entry["met_by"])
            if met_by is MetBy.GROUP:
                group = entry["id"]
            clauses.append(Clause(
                id=entry["id"], standard=raw["id"], clause=str(entry["clause"]),
                title=entry["title"], met_by=met_by, level=entry.get("level", ""),
                group="" if met_by is MetBy.GROUP else group,
                justification=entry["justification"],
                recommendations=tuple(entry.get("recommendations", ())),
                responsibilities=tuple(entry.get("responsibilities", ())),
                out_of_scope=tuple(entry.get("out_of_scope", ())),
                status=entry.get("status", "draft"),
                review=self.review(entry, path),
                loc=self.doc.loc((*path, "id")),
                field_locs={key: self.doc.loc((*path, key)) for key in _CLAUSE_LINK_FIELDS
                            if key in entry}))
        return Standard(id=raw["id"], name=raw["name"], edition=str(raw["edition"]),
                        summary=raw["summary"], entries=tuple(clauses),
                        note=raw.get("note", ""),
                        loc=self.doc.loc(("standard", "id")))

    def scope(self, raw: dict) -> Scope:
        return Scope(
            boundary=raw["boundary"], shared_responsibility=raw["shared_responsibility"],
            assumptions=tuple(
                Assumption(id=a["id"], text=a["text"], title=a.get("title", ""),
                           review=self.review(a, ("scope", "assumptions", i)),
                           loc=self.doc.loc(("scope", "assumptions", i, "id")))
                for i, a in enumerate(raw.get("assumptions", []))
            ),
            loc=self.doc.loc(("scope",), key=True),
        )


def _has_error_under(path: DataPath, error_paths: list[DataPath]) -> bool:
    return any(error[: len(path)] == path for error in error_paths)


def load_threat_model(directory: str | os.PathLike[str], *,
                      display_base: Path | None = None) -> tuple[ThreatModel, list[Diagnostic]]:
    """Read every threat-model file below ``directory``.

    Paths in locations are shown relative to ``display_base`` (default: the working
    directory) so that messages read ``threatmodel/recommendations/x.yaml:12:5``.

    Raises:
        SecguideError: ``directory`` is not a folder that can be read (exit code 2).
    """
    root = Path(directory)
    require_folder(root, str(directory), what="threat-model folder")
    files = threatmodel_files(root)
    diagnostics: list[Diagnostic] = []
    if not files:
        diagnostics.append(Diagnostic(SourceLoc(display_path(root, display_base)),
                                      Severity.ERROR, "no-files",
                                      "no *.yaml files in the threat-model folder"))
    # the link's own name is shown (display_path would follow it to its target)
    # (line 1: the guide build, like the check, then names a file and a line)
    diagnostics += [Diagnostic(SourceLoc(f"{display_path(link.parent, display_base)}/{link.name}",
                                         1),
                               Severity.ERROR,
                               Code.UNSAFE_PATH, "a symlink to a file outside the threat-model "
                               "folder (or to nothing); it is not read")
                    for link in refused_links(root)]
    sections: dict[str, list[Any]] = {name: [] for name in _LIST_SECTIONS}
    profiles: list[Profile] = []
    reviewers: list[Reviewer] | None = None
    standards: list[Standard] = []
    scope: Scope | None = None
    scope_loc: SourceLoc | None = None
    first_id: dict[str, SourceLoc] = {}
    shown_files = []
    text_places: dict[tuple[str, str], list[TextPlace]] = {}
    unreadable = []
    for path in files:
        display = display_path(path, display_base)
        shown_files.append(display)
        doc, problems = read_yaml(path, display)
        diagnostics += problems
        if doc.data is None and problems:
            unreadable.append(display)
            continue
        found = schema_errors(doc)
        diagnostics += [diagnostic for _, diagnostic in found]
        if not isinstance(doc.data, dict):
            continue
        error_paths = [error_path for error_path, _ in found]
        builder = _Builder(doc)
        for text, places in doc.text_places().items():
            text_places.setdefault((display, text), []).extend(places)
        _collect_ids(doc, first_id, diagnostics)
        for section in _LIST_SECTIONS:
            entries = doc.data.get(section)
            if not isinstance(entries, list):
                continue
            for index, raw in enumerate(entries):
                item_path = (section, index)
                if isinstance(raw, dict) and not _has_error_under(item_path, error_paths):
                    sections[section].append(builder.item(section, raw, item_path))
        if isinstance(doc.data.get("reviewers"), list) \
                and not _has_error_under(("reviewers",), error_paths):
            reviewers = [*(reviewers or []), *builder.reviewers(doc.data["reviewers"])]
        if isinstance(doc.data.get("profiles"), list):
            profiles += builder.profiles(doc.data["profiles"], error_paths)
        if isinstance(doc.data.get("standard"), dict):
            standard = builder.standard(doc.data["standard"], error_paths)
            if standard is not None and all(standard.id != s.id for s in standards):
                standards.append(standard)
        if "scope" in doc.data and not _has_error_under(("scope",), error_paths):
            if scope is not None and scope_loc is not None:
                diagnostics.append(Diagnostic(doc.loc(("scope",), key=True), Severity.ERROR,
                                              "duplicate-scope",
                                              f"a second 'scope' section (first at {scope_loc})"))
            else:
                scope = builder.scope(doc.data["scope"])
                scope_loc = scope.loc
    model = ThreatModel(
        scope=scope,
        assets=_unique(sections["assets"]),
        adversaries=_unique(sections["adversaries"]),
        out_of_scope=_unique(sections["out_of_scope"]),
        threats=_unique(sections["threats"]),
        responsibilities=_unique(sections["responsibilities"]),
        recommendations=_unique(sections["recommendations"]),
        waivers=tuple(sections["waivers"]),
        declared_profiles=_unique_profiles(profiles, diagnostics),
        standards=_unique_clauses(standards),
        files=tuple(shown_files),
        invalid_ids=frozenset(first_id) - {item.id for item in _all_items(sections, scope)}
        - {s.id for s in standards} - {c.id for s in standards for c in s.entries},
        unreadable_files=tuple(unreadable),
        text_places={key: tuple(places) for key, places in text_places.items()},
        reviewers=None if reviewers is None else tuple(reviewers),
    )
    return model, diagnostics


def _all_items(sections: dict[str, list[Any]], scope: Scope | None) -> list[Any]:
    items = [item for name, entries in sections.items() if name != "waivers"
             for item in entries]
    return items + list(scope.assumptions if scope else ())


def _unique_clauses(standards: list[Standard]) -> tuple[Standard, ...]:
    """Drop a clause whose ID another item already has (reported as duplicate-id)."""
    seen: set[str] = set()
    kept = []
    for standard in standards:
        clauses = []
        for clause in standard.entries:
            if clause.id not in seen:
                seen.add(clause.id)
                clauses.append(clause)
        kept.append(dataclasses.replace(standard, entries=tuple(clauses)))
    return tuple(kept)


def _unique_profiles(profiles: list[Profile], diagnostics: list[Diagnostic]) -> tuple[Profile, ...]:
    """Keep the first profile of each name; a second one is an error at its line."""
    first: dict[str, Profile] = {}
    for profile in profiles:
        if profile.name in first:
            diagnostics.append(Diagnostic(profile.loc, Severity.ERROR, "duplicate-profile",
                                          f"profile '{profile.name}' is declared again (first "
                                          f"at {first[profile.name].loc})"))
        else:
            first[profile.name] = profile
    return tuple(first.values())


def _unique(items: list[Any]) -> tuple[Any, ...]:
    """Keep the first item of each ID: duplicates were reported already."""
    seen: set[str] = set()
    kept = []
    for item in items:
        if item.id not in seen:
            seen.add(item.id)
            kept.append(item)
    return tuple(kept)


def _collect_ids(doc: YamlDocument, first_id: dict[str, SourceLoc],
                 diagnostics: list[Diagnostic]) -> None:
    """Report IDs used twice anywhere in the model, at the second use."""
    candidates: list[tuple[Any, DataPath]] = []
    for section in _LIST_SECTIONS:
        entries = doc.data.get(section)
        if isinstance(entries, list):
            candidates += [(raw, (section, i)) for i, raw in enumerate(entries)]
    standard = doc.data.get("standard")
    if isinstance(standard, dict):
        candidates.append((standard, ("standard",)))
        if isinstance(standard.get("clauses"), list):
            candidates += [(raw, ("standard", "clauses", i))
                           for i, raw in enumerate(standard["clauses"])]
    scope = doc.data.get("scope")
    if isinstance(scope, dict) and isinstance(scope.get("assumptions"), list):
        candidates += [(raw, ("scope", "assumptions", i))
                       for i, raw in enumerate(scope["assumptions"])]
    for raw, path in list(candidates):
        if path[0] == "recommendations" and isinstance(raw, dict) and isinstance(
                raw.get("verification"), list):
            candidates += [(entry, (*path, "verification", i))
                           for i, entry in enumerate(raw["verification"])]
    for raw, path in candidates:
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            continue
        loc = doc.loc((*path, "id"))
        if raw["id"] in first_id:
            diagnostics.append(Diagnostic(loc, Severity.ERROR, "duplicate-id",
                                          f"duplicate ID {raw['id']} "
                                          f"(first defined at {first_id[raw['id']]})"))
        else:
            first_id[raw["id"]] = loc
