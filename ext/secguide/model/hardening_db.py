"""Zephyr's hardening database (``hardening.yaml``): reading it as upstream lays it out.

It lives in model/ beside the threat model's own YAML reader, whose line-keeping
parser it shares (zephyr/ may not import model/).

The Security Working Group keeps its rules in a central
``scripts/kconfig/hardening.yaml`` (profiles plus top-level rules) and in
``hardening.yaml`` fragments beside the Kconfig files they cover. This module
finds the files the way upstream's ``hardeninglib.py`` does, checks each
against the JSON Schema (the database's own ``scripts/schemas/`` copy when it
has one, else the copy shipped with secguide), and reports at ``file:line``
what upstream treats as errors: duplicate YAML keys, a symbol ruled in two
in-tree files, profiles outside the central file, unknown profile names.

Every file is untrusted input: its size is bounded and only plain YAML
scalars are constructed.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc, display_path
from secguide.input_limits import require_file, require_folder
from secguide.model.hardening_files import (
    CENTRAL_FILE,
    FRAGMENT_NAME,
    FRAGMENT_ROOTS,
    SCHEMA_FILE,
    hardening_files,
)
from secguide.model.items import Profile, find_profile, profile_lineage
from secguide.model.yaml_source import YamlDocument, read_yaml

#: Rules omitting ``profiles`` belong to this profile, as upstream defines.
DEFAULT_PROFILE = "base"
#: The real files are 1 to 10 KiB; anything above this is not a hardening database.
MAX_FILE_BYTES = 1024 * 1024


#: A profile of the database has the threat model's shape (name, description, extends).
HardeningProfile = Profile


@dataclass(frozen=True, slots=True, kw_only=True)
class HardeningRule:
    """One rule: a symbol (no ``CONFIG_``), exactly a ``value`` or a ``minimum``/``maximum``.

    ``value`` is the Kconfig text (``y``, ``n``, ``0``, a string); YAML booleans
    are read as ``y``/``n`` as upstream does. ``loc`` is the symbol's key.
    """

    symbol: str
    value: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    rationale: str
    references: tuple[str, ...] = ()
    profiles: tuple[str, ...] = (DEFAULT_PROFILE,)
    loc: SourceLoc

    @property
    def requirement_text(self) -> str:
        if self.value is not None:
            return f"CONFIG_{self.symbol}={self.value}"
        bounds = [f">= {self.minimum}"] if self.minimum is not None else []
        bounds += [f"<= {self.maximum}"] if self.maximum is not None else []
        return f"CONFIG_{self.symbol} {' and '.join(bounds)}"


@dataclass(frozen=True, slots=True, kw_only=True)
class HardeningDB:
    """A whole database: profiles of the central file, rules of every file, findings."""

    root: str
    profiles: tuple[HardeningProfile, ...] = ()
    rules: tuple[HardeningRule, ...] = ()
    files: tuple[str, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    def rule(self, symbol: str) -> HardeningRule | None:
        wanted = symbol.removeprefix("CONFIG_")
        return next((r for r in self.rules if r.symbol == wanted), None)

    def profile(self, name: str) -> HardeningProfile | None:
        return find_profile(self.profiles, name)

    def profile_lineage(self, name: str) -> tuple[str, ...]:
        """``name`` and every profile it extends, nearest first (a cycle stops the walk)."""
        return profile_lineage(self.profiles, name)

    def rules_for(self, profile: str) -> tuple[HardeningRule, ...]:
        """The rules a check of ``profile`` applies: its own and its ancestors'."""
        lineage = set(self.profile_lineage(profile))
        return tuple(r for r in self.rules if lineage & set(r.profiles))


@functools.cache
def _bundled_schema_text() -> str:
    return (resources.files("secguide.model").joinpath("schema/hardening-schema.yaml")
            .read_text(encoding="utf-8"))


def hardening_schema(root: Path | None = None) -> dict[str, Any]:
    """The database's own schema when ``root`` has one, else the bundled upstream copy."""
    own = root / SCHEMA_FILE if root is not None else None
    text = own.read_text(encoding="utf-8") if own and own.is_file() else _bundled_schema_text()
    schema = yaml.safe_load(text)
    jsonschema.validators.validator_for(schema).check_schema(schema)
    return schema


def _schema_findings(doc: YamlDocument, validator: Any) -> list[Diagnostic]:
    found = []
    for error in sorted(validator.iter_errors(doc.data), key=lambda e: list(map(str, e.path))):
        path = tuple(str(part) for part in error.absolute_path)
        where = "/".join(path) or "file"
        message = error.message if len(error.message) < 200 else error.message[:200] + "..."
        if error.validator == "oneOf" and "rules" in path[:1]:
            message = "a rule needs either 'value' or 'min'/'max' (not both, not neither)"
        elif error.validator == "additionalProperties" and isinstance(error.instance, dict):
            allowed = set(error.schema.get("properties", {}))
            patterns = [re.compile(p) for p in error.schema.get("patternProperties", {})]
            extra = sorted(str(k) for k in error.instance if k not in allowed
                           and not any(p.search(str(k)) for p in patterns))
            if extra:
                path = (*path, extra[0])
            message = f"unexpected key(s) {', '.join(extra)}" if extra else message
        found.append(Diagnostic(doc.loc(path, key=True), Severity.ERROR,
                                "hardening.schema", f"{where}: {message}"))
    return found


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "y" if value else "n"
    return str(value)


def _rules(doc: YamlDocument) -> list[HardeningRule]:
    rules = []
    for symbol, raw in (doc.data.get("rules") or {}).items():
        rules.append(HardeningRule(
            symbol=str(symbol),
            value=_value_text(raw["value"]) if "value" in raw else None,
            minimum=raw.get("min"), maximum=raw.get("max"),
            rationale=str(raw["rationale"]).strip(),
            references=tuple(str(r) for r in raw.get("references", ())),
            profiles=tuple(str(p) for p in raw.get("profiles", (DEFAULT_PROFILE,))),
            loc=doc.loc(("rules", str(symbol)), key=True)))
    return rules


def _profiles(doc: YamlDocument) -> list[HardeningProfile]:
    return [HardeningProfile(name=str(name), description=str(raw["description"]).strip(),
                             extends=raw.get("extends"),
                             loc=doc.loc(("profiles", str(name)), key=True))
            for name, raw in (doc.data.get("profiles") or {}).items()]


#: read_yaml's codes as this reader reports them (suppressible apart from the model's).
_YAML_CODES = {"duplicate-key": "hardening.duplicate-key", "unreadable": "hardening.unreadable"}


def _read(path: Path, shown: str, validator: Any) -> tuple[YamlDocument | None, list[Diagnostic]]:
    try:
        size = path.stat().st_size
    except OSError as error:
        return None, [Diagnostic(SourceLoc(shown), Severity.ERROR, "hardening.unreadable",
                                 f"cannot read: {error.strerror}")]
    if size > MAX_FILE_BYTES:
        return None, [Diagnostic(SourceLoc(shown), Severity.ERROR, "hardening.too-large",
                                 f"{size} bytes; a hardening.yaml file is at most "
                                 f"{MAX_FILE_BYTES} bytes")]
    doc, problems = read_yaml(path, shown)
    problems = [Diagnostic(d.loc, d.severity, _YAML_CODES.get(str(d.code), "hardening.yaml"),
                           d.message) for d in problems]
    if doc.data is None:
        return None, problems
    schema_problems = _schema_findings(doc, validator)
    # A file with a schema error is left out: half-read rules would mislead an audit.
    return (None if schema_problems else doc), problems + schema_problems


def load_hardening_db(root: Path, *, extra: Sequence[Path] = (),
                      display_base: Path | None = None) -> HardeningDB:
    """Read the database below ``root`` plus ``extra`` files (``HARDENCONFIG_EXTRA_SOURCES``).

    Extra files may add profiles and rules and override in-tree rules, but not
    redefine a profile, as upstream allows.

    Raises:
        SecguideError: ``root`` is not a readable folder, holds no hardening.yaml file,
            or an ``extra`` file cannot be read (exit code 2); what the files say is
            in the database's ``errors``.
    """
    require_folder(root, display_path(root, display_base), what="hardening database")
    for path in extra:
        require_file(Path(path), display_path(Path(path), display_base),
                     what="extra hardening file")
    files = hardening_files(root)
    if not files:
        raise SecguideError(f"{root}: no {CENTRAL_FILE} and no {FRAGMENT_NAME} fragments below "
                            f"{', '.join(FRAGMENT_ROOTS)}")
    validator_cls = jsonschema.validators.validator_for(schema := hardening_schema(root))
    validator = validator_cls(schema)
    central = root / CENTRAL_FILE
    diagnostics: list[Diagnostic] = []
    profiles: dict[str, HardeningProfile] = {}
    rules: dict[str, HardeningRule] = {}
    shown_files = []
    for path, is_extra in [(p, False) for p in files] + [(Path(p), True) for p in extra]:
        shown = display_path(path, display_base)
        shown_files.append(shown)
        doc, problems = _read(path, shown, validator)
        diagnostics += problems
        if doc is None:
            continue
        for profile in _profiles(doc):
            if path != central and not is_extra:
                diagnostics.append(Diagnostic(profile.loc, Severity.ERROR,
                                              "hardening.profile-outside-central",
                                              f"profile '{profile.name}' declared in a fragment; "
                                              f"profiles belong in {CENTRAL_FILE}"))
            elif profile.name in profiles:
                diagnostics.append(Diagnostic(profile.loc, Severity.ERROR,
                                              "hardening.duplicate-profile",
                                              f"profile '{profile.name}' is already declared "
                                              f"at {profiles[profile.name].loc}"))
            else:
                profiles[profile.name] = profile
        for rule in _rules(doc):
            earlier = rules.get(rule.symbol)
            if earlier is not None and not is_extra:
                diagnostics.append(Diagnostic(rule.loc, Severity.ERROR,
                                              "hardening.duplicate-rule",
                                              f"{rule.symbol} is already ruled at {earlier.loc}"))
                continue
            rules[rule.symbol] = rule
    db = HardeningDB(root=display_path(root, display_base), profiles=tuple(profiles.values()),
                     rules=tuple(rules.values()), files=tuple(shown_files))
    return HardeningDB(root=db.root, profiles=db.profiles, rules=db.rules, files=db.files,
                       diagnostics=tuple(diagnostics) + tuple(_profile_findings(db)))


def _profile_findings(db: HardeningDB) -> Iterator[Diagnostic]:
    names = [p.name for p in db.profiles]
    for profile in db.profiles:
        if profile.extends is not None and profile.extends not in names:
            yield Diagnostic(profile.loc, Severity.ERROR, "hardening.unknown-profile",
                             f"profile '{profile.name}' extends '{profile.extends}', which is "
                             "not declared")
        elif profile.extends is not None and profile.name in db.profile_lineage(profile.extends):
            yield Diagnostic(profile.loc, Severity.ERROR, "hardening.profile-cycle",
                             f"profile '{profile.name}' extends itself")
    for rule in db.rules:
        for name in rule.profiles:
            if name not in names:
                yield Diagnostic(rule.loc, Severity.ERROR, "hardening.unknown-profile",
                                 f"{rule.symbol} names profile '{name}'; declared: "
                                 f"{', '.join(names) or 'none'}")
