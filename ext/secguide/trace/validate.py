"""Checking a loaded threat model: its own references, and its settings against a Zephyr tree.

Returns diagnostics and never prints. Errors break the trace (an unknown ID, a
symbol the tree does not define, a value the symbol's type cannot hold);
warnings mark a weak trace (no verification, a symbol ``prj.conf`` cannot set).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable
from pathlib import Path

from secguide.diagnostics import Diagnostic, Severity, SourceLoc, with_suggestion
from secguide.model.items import Recommendation, Setting, ThreatModel
from secguide.model.releases import introduced_later, is_development_tree
from secguide.trace.profile_conflicts import choice_name, is_accepted, profile_conflicts
from secguide.trace.prose import check_prose
from secguide.trace.prose_claims import check_prose_claims
from secguide.trace.review import ReviewStatus, review_state
from secguide.trace.standards import validate_standards
from secguide.trace.verifications import check_verifications
from secguide.zephyr.expr import symbols_in, syntax_problem
from secguide.zephyr.kconfig.symbols import KconfigSymbol, SymbolDB, strip_config_prefix
from secguide.zephyr.scenarios import ScenarioIndex


def _error(loc: SourceLoc, code: str, message: str) -> Diagnostic:
    return Diagnostic(loc, Severity.ERROR, code, message)


def _warning(loc: SourceLoc, code: str, message: str) -> Diagnostic:
    return Diagnostic(loc, Severity.WARNING, code, message)


# -- profiles ------------------------------------------------------------------------------

def validate_profiles(model: ThreatModel) -> list[Diagnostic]:
    """Each ``extends`` names a declared profile without a cycle; each recommendation's
    ``profiles`` entry names a profile of the set in force."""
    names = [profile.name for profile in model.profiles]
    found: list[Diagnostic] = []
    for profile in model.declared_profiles:
        if profile.extends is None:
            continue
        if profile.extends not in names:
            found.append(_error(profile.loc, "unknown-profile",
                                f"profile '{profile.name}' extends '{profile.extends}', which "
                                f"is not declared; declared: {', '.join(names)}"))
        elif profile.name in model.profile_lineage(profile.extends):
            found.append(_error(profile.loc, "profile-cycle",
                                f"profile '{profile.name}' extends itself through "
                                f"{' -> '.join(model.profile_lineage(profile.extends))}"))
    for rec in model.recommendations:
        for name in rec.profiles:
            if name not in names:
                source = "declared" if model.declared_profiles else "built in"
                found.append(_error(rec.profiles_loc or rec.loc, "unknown-profile",
                                    f"recommendation {rec.id} names profile '{name}'; "
                                    f"profiles {source}: {', '.join(names)}"))
    return found


# -- references and trace completeness -----------------------------------------------------

def validate_references(model: ThreatModel) -> list[Diagnostic]:
    """IDs that must exist, and the trace each item owes (mitigations, settings, tests).

    When a file of the model could not be parsed, what it defines is unknown: the
    dangling-ID and missing-link findings would be echoes of that one syntax error,
    so they are held back until it is fixed.
    """
    if model.unreadable_files:
        return []
    ids = model.by_id()
    known = set(ids) | model.invalid_ids
    found: list[Diagnostic] = []

    def expect(target: str, loc: SourceLoc, field: str, prefixes: tuple[str, ...]) -> None:
        if target in model.invalid_ids:
            return
        if target not in known:
            close = difflib.get_close_matches(
                target, sorted(i for i in ids if i.startswith(prefixes)), n=3, cutoff=0.6)
            found.append(_error(loc, "unknown-id", with_suggestion(
                f"{field} names {target}, which is not defined anywhere in the threat model",
                close)))
        elif not target.startswith(prefixes):
            kinds = " or ".join(p.rstrip("-") for p in prefixes)
            found.append(_error(loc, "wrong-link", f"{field} names {target}, but only {kinds} "
                                "items can be linked here"))

    for threat in model.threats:
        for index, adversary in enumerate(threat.adversaries):
            expect(adversary, threat.entry_loc("adversaries", index),
                   f"threat {threat.id}: adversaries", ("ADV-",))
        for index, mitigation in enumerate(threat.mitigated_by):
            expect(mitigation, threat.entry_loc("mitigated_by", index),
                   f"threat {threat.id}: mitigated_by", ("REC-", "RESP-"))
        for index, asset in enumerate(threat.assets):
            expect(asset, threat.entry_loc("assets", index),
                   f"threat {threat.id}: assets", ("AST-",))
        if not threat.mitigated_by:
            found.append(_warning(threat.loc, "no-mitigation",
                                  f"threat {threat.id} has no mitigation (mitigated_by)"))
        # phased in: a model that declares no asset yet is not asked to name them
        if model.assets and not threat.assets:
            found.append(_warning(threat.loc, "no-asset",
                                  f"threat {threat.id} names no asset it endangers (assets)"))
    for asset in model.assets:
        if not model.threats_against(asset.id):
            found.append(_warning(asset.loc, "asset-unthreatened",
                                  f"asset {asset.id} is named by no threat's assets: what "
                                  "endangers it, and so its protection, is unknown"))
    for rec in model.recommendations:
        if rec.deprecation is not None:
            for index, successor in enumerate(rec.deprecation.replaced_by):
                if successor.startswith("REC-"):
                    expect(successor, rec.deprecation.entry_loc(index),
                           f"recommendation {rec.id}: replaced_by", ("REC-",))
            continue
        symbols = {setting.symbol for setting in rec.settings}
        for verification in rec.verifications:
            if verification.setting and verification.setting not in symbols:
                found.append(_error(
                    verification.setting_loc or verification.loc, "unknown-verified-setting",
                    f"recommendation {rec.id}: verification {verification.ref} names setting "
                    f"CONFIG_{verification.setting}, which is not one of its settings"
                    + (f" ({', '.join(sorted('CONFIG_' + s for s in symbols))})"
                       if symbols else "")))
        if not rec.settings:
            found.append(_warning(rec.loc, "no-setting",
                                  f"recommendation {rec.id} names no Kconfig setting"))
        if not rec.verifications:
            found.append(_warning(rec.loc, "no-verification",
                                  f"recommendation {rec.id} has no verification"))
        if not model.threats_mitigated_by(rec.id):
            found.append(_warning(rec.loc, "mitigates-nothing",
                                  f"recommendation {rec.id} is not listed as mitigating any "
                                  "threat"))
    return found


# -- Kconfig --------------------------------------------------------------------------------

def _parse_int(text: str, kind: str) -> int | None:
    text = text.strip()
    try:
        if kind == "hex":
            return int(text, 16) if re.fullmatch(r"(0[xX])?[0-9a-fA-F]+", text) else None
        return int(text, 10) if re.fullmatch(r"[-+]?[0-9]+", text) else None
    except ValueError:
        return None


def _numeric_ranges(symbol: KconfigSymbol) -> list[tuple[int, int, str | None]]:
    ranges = []
    for entry in symbol.ranges:
        parts = entry.value.split()
        if len(parts) != 2:
            continue
        low, high = (_parse_int(part, "hex" if part.lower().startswith("0x") else "int")
                     for part in parts)
        if low is not None and high is not None:
            ranges.append((low, high, entry.condition))
    return ranges


def _check_number(setting: Setting, symbol: KconfigSymbol, number: int,
                  what: str) -> list[Diagnostic]:
    ranges = _numeric_ranges(symbol)
    if not ranges or any(low <= number <= high for low, high, _ in ranges):
        return []
    allowed = "; ".join(f"{low}..{high}" + (f" if {cond}" if cond else "")
                        for low, high, cond in ranges)
    return [_error(setting.loc, "out-of-range",
                   f"{what} {number} for {setting.config_name} is outside its range ({allowed})")]


def check_value(setting: Setting, symbol: KconfigSymbol) -> list[Diagnostic]:
    """Whether the setting's value (or bounds) fits the symbol's type and ranges."""
    kind = symbol.type
    name = setting.config_name
    if setting.value is None:
        if kind not in ("int", "hex"):
            return [_error(setting.loc, "invalid-value",
                           f"min/max need an int or hex symbol; {name} is {kind}")]
        found = []
        if (setting.minimum is not None and setting.maximum is not None
                and setting.minimum > setting.maximum):
            found.append(_error(setting.loc, "invalid-value",
                                f"min {setting.minimum} is above max {setting.maximum}"))
        for what, bound in (("min", setting.minimum), ("max", setting.maximum)):
            if bound is not None:
                found += _check_number(setting, symbol, bound, what)
        return found
    value = setting.value
    if kind in ("bool", "tristate"):
        allowed = ("y", "n") if kind == "bool" else ("y", "n", "m")
        if value not in allowed:
            return [_error(setting.loc, "invalid-value",
                           f"{name} is a {kind}; value must be one of {', '.join(allowed)}, "
                           f"not '{value}'")]
        return []
    if kind in ("int", "hex"):
        number = _parse_int(value, kind)
        if number is None:
            form = "a hexadecimal number such as 0x1000" if kind == "hex" else "a whole number"
            return [_error(setting.loc, "invalid-value",
                           f"{name} is {kind}; value must be {form}, not '{value}'")]
        return _check_number(setting, symbol, number, "value")
    if kind == "unknown":
        return [_warning(setting.loc, "untyped-symbol",
                         f"{name} has no type in this tree; its value cannot be checked")]
    return []  # string: any text is a valid value


def _unknown_symbol(setting: Setting, db: SymbolDB, renames: dict[str, tuple[str, ...]],
                    severity: Severity = Severity.ERROR, code: str = "unknown-symbol",
                    ) -> Diagnostic:
    message = f"{setting.config_name} does not exist in Zephyr {db.zephyr_version}"
    hints = []
    successors = renames.get(setting.symbol, ())
    if successors:
        hints.append("the model records it as replaced by "
                     + ", ".join(f"CONFIG_{s}" for s in successors))
    close = [f"CONFIG_{name}" for name in db.close_names(setting.symbol)
             if name not in successors]
    if hints:
        message += "; " + "; ".join(hints)
    return Diagnostic(setting.loc, severity, code, with_suggestion(message, close))


def _check_alternatives(setting: Setting, symbol: KconfigSymbol, db: SymbolDB,
                        renames: dict[str, tuple[str, ...]]) -> list[Diagnostic]:
    """Each alternative exists, takes the setting's value, and, when the setting names a
    member of a choice, belongs to that same choice."""
    found: list[Diagnostic] = []
    for name in setting.alternatives:
        other = db.get(name)
        stand_in = dataclasses.replace(setting, symbol=name, alternatives=())
        if name == setting.symbol:
            found.append(_error(setting.loc, "bad-alternative",
                                f"{setting.config_name} names itself as an alternative"))
        elif other is None:
            found.append(_unknown_symbol(stand_in, db, renames))
        elif symbol.choice and other.choice != symbol.choice:
            found.append(_error(setting.loc, "bad-alternative",
                                f"CONFIG_{name} is not a member of "
                                f"{choice_name(symbol.choice)}, which {setting.config_name} "
                                "belongs to; alternatives of a choice member are its "
                                "other members"))
        else:
            found += check_value(stand_in, other)
    return found


def _settings(model: ThreatModel) -> Iterable[tuple[Recommendation, Setting]]:
    for rec in model.recommendations:
        for setting in rec.settings:
            yield rec, setting


def validate_kconfig(model: ThreatModel, db: SymbolDB) -> list[Diagnostic]:
    """Every setting against the tree: the symbol exists, the value fits, prj.conf can set it.

    A deprecated recommendation is expected to name a symbol the tree no longer has;
    its successors must exist.
    """
    renames = model.recorded_renames()
    found: list[Diagnostic] = []
    for rec, setting in _settings(model):
        symbol = db.get(setting.symbol)
        if rec.deprecation is not None:
            continue
        later = introduced_later(setting, db.zephyr_version)
        if symbol is None and later:
            found.append(Diagnostic(
                setting.loc, Severity.NOTE, "later-release-symbol",
                f"{setting.config_name} comes with Zephyr {setting.since}; Zephyr "
                f"{db.zephyr_version} does not define it yet, so the setting is listed but "
                "not checked"))
            continue
        if symbol is None:
            found.append(_unknown_symbol(setting, db, renames))
            # its alternatives are settings too: each missing one is reported as well
            found += [_unknown_symbol(dataclasses.replace(setting, symbol=name,
                                                          alternatives=()), db, renames)
                      for name in setting.alternatives if name not in db]
            continue
        if later and not is_development_tree(db.zephyr_version):
            found.append(_warning(setting.loc, "since-too-late",
                                  f"{setting.config_name} already exists in Zephyr "
                                  f"{db.zephyr_version}, before {setting.since} as 'since' says"))
        found += check_value(setting, symbol)
        found += _check_alternatives(setting, symbol, db, renames)
        if not symbol.user_settable:
            found.append(_warning(setting.loc, "no-prompt",
                                  f"{setting.config_name} has no prompt in Zephyr "
                                  f"{db.zephyr_version}: prj.conf cannot set it, it only "
                                  "follows defaults and select"))
        if symbol.deprecated:
            found.append(_warning(setting.loc, "deprecated-symbol",
                                  f"Zephyr {db.zephyr_version} marks {setting.config_name} "
                                  "deprecated"))
    for rec in model.recommendations:
        if rec.deprecation is None:
            continue
        for index, successor in enumerate(rec.deprecation.replaced_by):
            if not successor.startswith("REC-") and successor not in db:
                found.append(_warning(rec.deprecation.entry_loc(index), "unknown-successor",
                                      f"replacement CONFIG_{successor} of {rec.id} does not "
                                      f"exist in Zephyr {db.zephyr_version}"))
    for waiver in model.waivers:
        if waiver.symbol not in db:
            found.append(_warning(waiver.loc, "unknown-symbol",
                                  f"waiver names CONFIG_{waiver.symbol}, which does not exist "
                                  f"in Zephyr {db.zephyr_version}"))
    return found


# -- subsystem scope ------------------------------------------------------------------------

def validate_scopes(model: ThreatModel, db: SymbolDB | None) -> list[Diagnostic]:
    """Each ``applies_to.when`` is a Kconfig expression (without a tree too) whose every
    symbol the tree defines (with one)."""
    found: list[Diagnostic] = []
    for rec in model.recommendations:
        when = rec.applies_to.when
        if not when:
            continue
        loc = rec.applies_to.when_loc or rec.loc
        problem = syntax_problem(when)
        if problem is not None:
            found.append(_error(loc, "scope-syntax",
                                f"{rec.id}: applies_to.when '{when}' is not a Kconfig "
                                f"expression: {problem}"))
            continue
        if db is None or rec.deprecation is not None:
            continue
        for name in symbols_in(when):
            if strip_config_prefix(name) != name:
                found.append(_error(loc, "scope-syntax",
                                    f"{rec.id}: applies_to.when names {name}; write Kconfig "
                                    f"symbols without CONFIG_ ({strip_config_prefix(name)})"))
            elif name not in db:
                found.append(_error(loc, "unknown-scope-symbol", with_suggestion(
                    f"{rec.id}: applies_to.when names {name}, which does not exist in "
                    f"Zephyr {db.zephyr_version}",
                    [n for n in db.close_names(name, limit=3)])))
    return found


# -- which release the facts were checked against -------------------------------------------

def validate_checked_against(model: ThreatModel, db: SymbolDB) -> list[Diagnostic]:
    """A note for each current recommendation whose facts were checked against another
    release than the tree's: its prose may be stale there."""
    found = []
    for rec in model.recommendations:
        if (rec.deprecation is not None or not rec.checked_against
                or rec.checked_against == db.zephyr_version):
            continue  # a model that records no release makes no claim to re-check
        said = f"were last checked against Zephyr {rec.checked_against}"
        found.append(Diagnostic(rec.loc, Severity.NOTE, "facts-checked-against",
                                f"{rec.id}: its facts {said}; the tree is Zephyr "
                                f"{db.zephyr_version} (re-check, then set checked_against)"))
    return found


# -- profiles as a whole --------------------------------------------------------------------

def validate_profile_conflicts(model: ThreatModel, db: SymbolDB) -> list[Diagnostic]:
    """Settings of one profile the tree does not let hold together (``profile-conflict``),
    and ``accepted_conflicts`` entries that name no conflict (any more)."""
    found: list[Diagnostic] = []
    # one pass: the accepted conflicts are needed too, to tell stale acceptances apart
    every = profile_conflicts(model, db, include_accepted=True)
    for conflict in (c for c in every if not is_accepted(c)):
        broken, forcing = conflict.broken, conflict.forcing
        found.append(_error(
            broken.setting.loc, "profile-conflict",
            f"profile {conflict.profile}: {broken.text} cannot hold together with "
            f"{forcing.text}: {conflict.chain_text}; change one of them, give one an "
            f"applies_to.when that excludes the other, or record it under "
            f"accepted_conflicts of {broken.rec.id} with the reason it stays"))
    real = {(c.broken.rec.id, c.forcing.rec.id) for c in every}
    ids = {rec.id for rec in model.recommendations}
    for rec in model.recommendations:
        for entry in rec.accepted_conflicts:
            if entry.with_id not in ids:
                found.append(_error(entry.loc, "unknown-id",
                                    f"recommendation {rec.id}: accepted_conflicts names "
                                    f"{entry.with_id}, which is not a recommendation"))
            elif (rec.id, entry.with_id) not in real:
                found.append(_warning(entry.loc, "stale-accepted-conflict",
                                      f"recommendation {rec.id} accepts a conflict with "
                                      f"{entry.with_id}, but no profile holds one in Zephyr "
                                      f"{db.zephyr_version}; remove the entry"))
    return found


# -- sign-off ------------------------------------------------------------------------------

#: Codes of the sign-off findings; ``review --accept`` is what clears them.
APPROVAL_CODES = frozenset({"approved-without-review", "approved-but-changed",
                            "unauthorised-stamp"})


def validate_approvals(model: ThreatModel, db: SymbolDB) -> list[Diagnostic]:
    """``status: approved`` is a claim that the Working Group signed the item off: it
    needs a review stamp that still matches the item and the tree."""
    found: list[Diagnostic] = []
    for item in (*model.responsibilities, *model.recommendations):
        if item.status != "approved":
            continue
        accept = f"secguide review --accept {item.id} --by NAME --status approved"
        state = review_state(item, db, model)
        if state.status is ReviewStatus.UNREVIEWED:
            found.append(_error(item.loc, "approved-without-review",
                                f"{item.id} has status approved but no review stamp: "
                                f"nobody signed it off (sign off with '{accept}')"))
        elif state.status is ReviewStatus.SUSPECT and state.stamp is not None:
            found.append(_error(item.loc, "approved-but-changed",
                                f"{item.id} has status approved, but it or what it relies on "
                                f"changed since the review by {state.stamp.by} on "
                                f"{state.stamp.date} (see 'secguide review'; sign off again "
                                f"with '{accept}')"))
    return found


def validate_model(model: ThreatModel, db: SymbolDB | None, *,
                   scenarios: ScenarioIndex | None = None,
                   repo_root: Path | None = None) -> list[Diagnostic]:
    """All checks of a loaded model, sorted by location.

    Kconfig checks run when a symbol DB is given; verification targets are checked
    against the tree's test scenarios when an index is given, and ``pytest``
    verifications against this project's tests when ``repo_root`` is given.
    """
    found = [*validate_references(model), *validate_profiles(model),
             *validate_standards(model), *check_prose(model), *validate_scopes(model, db)]
    if db is not None:
        found += (validate_kconfig(model, db) + validate_approvals(model, db)
                  + validate_profile_conflicts(model, db) + check_prose_claims(model, db)
                  + validate_checked_against(model, db))
    if scenarios is not None:
        found += check_verifications(model, scenarios,
                                     zephyr_version=db.zephyr_version if db else "",
                                     repo_root=repo_root)
    return sorted(found, key=lambda d: (d.loc.path, d.loc.line, d.loc.col, d.code))
