"""Settings of one profile that cannot hold together in the tree (``profile-conflict``).

A profile is followed as a whole: every setting of every recommendation in it goes
into one ``prj.conf``. Kconfig then decides, and some pairs cannot both win:

* a setting asks ``X=y`` and ``X`` selects ``Y`` (directly or through a chain of
  ``select``), while another asks ``Y=n``: the select wins, the second never holds;
* a setting asks ``X=y`` and ``X`` depends on ``Y``, while another asks ``Y=n``
  (or ``X`` depends on ``!Y`` and another asks ``Y=y``): the first never holds;
* two settings ask different members of one choice;
* two settings ask one symbol for different values.

Only what the tree states is used; a ``select ... if COND`` is reported with its
condition, since it holds only where ``COND`` does. Each conflict is reported once,
at the setting that cannot hold, for the first profile that contains both.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from secguide.model.items import Recommendation, Setting, ThreatModel
from secguide.zephyr.expr import symbols_in
from secguide.zephyr.kconfig.symbols import SymbolDB, strip_config_prefix

#: How far a chain of ``select`` / ``depends on`` is followed.
_MAX_CHAIN = 6


@dataclass(frozen=True, slots=True, kw_only=True)
class Asked:
    """One setting of a profile: the recommendation that asks it and the setting."""

    rec: Recommendation
    setting: Setting

    @property
    def text(self) -> str:
        return f"{self.setting.config_name}={self.setting.value} ({self.rec.id})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProfileConflict:
    """``broken`` cannot hold while ``forcing`` does, because of ``chain``."""

    profile: str
    forcing: Asked
    broken: Asked
    #: the steps from ``forcing``'s symbol to ``broken``'s, e.g. ``USERSPACE selects X``
    chain: tuple[str, ...]
    #: the ``if`` conditions the chain needs (empty: it always holds)
    conditions: tuple[str, ...] = ()

    @property
    def chain_text(self) -> str:
        text = ", ".join(self.chain)
        if self.conditions:
            text += " (where " + " and ".join(self.conditions) + " holds)"
        return text


def choice_name(choice: str) -> str:
    """A choice as a reader knows it: its name, or its prompt for a nameless one (the
    database writes those as ``<choice "prompt">``)."""
    if choice.startswith("<choice"):
        inner = choice.removeprefix("<choice").rstrip(">").strip()
        if inner.startswith('"'):
            return f'the choice "{inner.strip(chr(34))}"'
        return f"the choice {inner}" if inner else "a nameless choice"
    return f"the choice {choice}"


def _is_on(value: str | None) -> bool:
    return value is not None and value != "n"


def _conjuncts(expression: str) -> list[str]:
    """The parts of ``expression`` joined by ``&&`` at the top level, stripped of
    redundant outer parentheses."""
    parts, depth, start = [], 0, 0
    text = expression.strip()
    index = 0
    while index < len(text):
        char = text[index]
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and text.startswith("&&", index):
            parts.append(text[start:index].strip())
            start = index + 2
            index += 1
        index += 1
    parts.append(text[start:].strip())
    return [part for part in parts if part and part != "y"]


def _selected(db: SymbolDB, name: str) -> Iterator[tuple[str, str, tuple[str, ...],
                                                        tuple[str, ...]]]:
    """Every symbol ``name=y`` selects, through chains: (symbol, chain, conditions)."""
    seen = {name}
    frontier = [(name, (), ())]
    for _ in range(_MAX_CHAIN):
        following = []
        for current, chain, conditions in frontier:
            symbol = db.get(current)
            if symbol is None:
                continue
            for entry in symbol.selects:
                target = entry.value
                if target in seen:
                    continue
                seen.add(target)
                step = (*chain, f"{current} selects {target}")
                cond = (*conditions, entry.condition) if entry.condition else conditions
                yield target, current, step, cond
                following.append((target, step, cond))
        frontier = following


def _required(db: SymbolDB, name: str) -> Iterator[tuple[str, bool, tuple[str, ...]]]:
    """Symbols ``name`` needs set (True) or unset (False) by its ``depends on``, through
    chains of plain symbol dependencies: (symbol, needed value, chain)."""
    seen = {name}
    frontier = [(name, ())]
    for _ in range(_MAX_CHAIN):
        following = []
        for current, chain in frontier:
            symbol = db.get(current)
            if symbol is None:
                continue
            for part in _conjuncts(symbol.depends_on):
                negated = part.startswith("!")
                word = part.removeprefix("!").strip()
                if symbols_in(word) != [word] or word in seen or db.get(word) is None:
                    continue
                seen.add(word)
                step = (*chain, f"{current} depends on {'!' if negated else ''}{word}")
                yield word, not negated, step
                if not negated:
                    following.append((word, step))
        frontier = following


@dataclass(slots=True)
class _Chains:
    """Each symbol's select and dependency chains, followed once per run: every
    profile and every setting naming a symbol asks for the same chains."""

    db: SymbolDB
    selected_by: dict[str, dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]] = field(
        default_factory=dict)
    required_by: dict[str, dict[tuple[str, bool], tuple[str, ...]]] = field(
        default_factory=dict)

    def selected(self, name: str) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
        """What ``name=y`` selects: target -> (via, chain, conditions)."""
        if name not in self.selected_by:
            self.selected_by[name] = {target: (via, chain, conditions) for
                                      target, via, chain, conditions in _selected(self.db, name)}
        return self.selected_by[name]

    def required(self, name: str) -> dict[tuple[str, bool], tuple[str, ...]]:
        """What ``name`` depends on: (symbol, needed set) -> chain."""
        if name not in self.required_by:
            self.required_by[name] = {(needed, on): chain for
                                      needed, on, chain in _required(self.db, name)}
        return self.required_by[name]


def _profile_settings(model: ThreatModel, profile: str) -> list[Asked]:
    return [Asked(rec=rec, setting=setting) for rec in model.recommendations
            if rec.deprecation is None and model.in_profile(rec, profile)
            for setting in rec.settings if setting.value is not None]


def _pair_conflicts(asked: list[Asked], chains: _Chains) -> Iterator[
        tuple[Asked, Asked, tuple[str, ...], tuple[str, ...]]]:
    db = chains.db
    by_symbol: dict[str, list[Asked]] = {}
    by_choice: dict[str, list[Asked]] = {}
    for entry in asked:
        by_symbol.setdefault(entry.setting.symbol, []).append(entry)
        member = db.get(entry.setting.symbol)
        if member is not None and member.choice:
            by_choice.setdefault(member.choice, []).append(entry)
    for entry in asked:
        name, value = entry.setting.symbol, entry.setting.value
        for other in by_symbol[name]:
            if other.setting.value != value and (entry.rec.id, entry.setting.loc) < (
                    other.rec.id, other.setting.loc):
                yield entry, other, (f"both set {entry.setting.config_name}",), ()
        if not _is_on(value):
            continue
        # with alternatives, a chain binds only when every option leads to it
        options = entry.setting.options
        selected = chains.selected(name)
        required = chains.required(name)
        for alternative in options[1:]:
            selected = {t: rest for t, rest in chains.selected(alternative).items()
                        if t in selected}
            required = {key: required[key] for key in
                        chains.required(alternative).keys() & required.keys()}
        for target, (_via, chain, conditions) in selected.items():
            for other in by_symbol.get(target, ()):
                if other.setting.value == "n":
                    yield entry, other, chain, conditions
        for (needed, wanted_on), chain in required.items():
            for other in by_symbol.get(needed, ()):
                if _is_on(other.setting.value) != wanted_on:
                    yield other, entry, chain, ()
        symbol = db.get(name)
        if symbol is not None and symbol.choice:
            # the other members of the choice the profile sets (each one found in the DB)
            for other in by_choice[symbol.choice]:
                other_name = db.symbols[strip_config_prefix(other.setting.symbol)].name
                if (other_name != name and _is_on(other.setting.value)
                        and entry.setting.symbol < other.setting.symbol
                        # one accepts the other's member: both hold when that one is on
                        and other_name not in options
                        and name not in other.setting.options):
                    yield entry, other, (f"{name} and {other_name} are members of "
                                         f"one choice ({choice_name(symbol.choice)})",), ()


def _scope_literals(when: str) -> list[tuple[str, bool]]:
    """What a scope needs of single symbols: its top-level ``&&`` parts that are ``X`` or
    ``!X``, and each ``X`` of a part ``!(X || Y || ...)``, as (symbol, needed set)."""
    literals = []
    for part in _conjuncts(when):
        negated = part.startswith("!")
        body = part.removeprefix("!").strip()
        if symbols_in(body) == [body]:
            literals.append((body, not negated))
        elif negated and body.startswith("(") and body.endswith(")"):
            alternatives = [a.strip() for a in body[1:-1].split("||")]
            if all(symbols_in(a) == [a] for a in alternatives):
                literals += [(a, False) for a in alternatives]
    return literals


def _scopes_exclude(first: Asked, second: Asked) -> bool:
    """True when one recommendation's scope is false wherever the other's setting holds:
    they never apply to the same build, so they cannot conflict."""
    for scoped, other in ((first, second), (second, first)):
        for symbol, needed_on in _scope_literals(scoped.rec.applies_to.when):
            if symbol == other.setting.symbol and _is_on(other.setting.value) != needed_on:
                return True
    return False


def _accepted(broken: Asked, forcing: Asked) -> bool:
    return any(entry.with_id == forcing.rec.id for entry in broken.rec.accepted_conflicts)


def is_accepted(conflict: ProfileConflict) -> bool:
    """True when the broken recommendation records this conflict under
    ``accepted_conflicts``."""
    return _accepted(conflict.broken, conflict.forcing)


def profile_conflicts(model: ThreatModel, db: SymbolDB, *,
                      include_accepted: bool = False) -> list[ProfileConflict]:
    """Every conflict of every profile, once, under the first profile holding both.

    Pairs whose scopes (``applies_to.when``) never hold together are no conflict; a
    conflict the broken recommendation accepts (``accepted_conflicts``) is left out
    unless ``include_accepted``.
    """
    found: dict[tuple[str, int, str, int], ProfileConflict] = {}
    chains = _Chains(db)
    for profile in model.profiles:
        for forcing, broken, chain, conditions in _pair_conflicts(
                _profile_settings(model, profile.name), chains):
            if forcing.rec.id == broken.rec.id and forcing.setting is broken.setting:
                continue
            if _scopes_exclude(forcing, broken) or (
                    not include_accepted and _accepted(broken, forcing)):
                continue
            key = (forcing.rec.id, forcing.setting.loc.line, broken.rec.id,
                   broken.setting.loc.line)
            found.setdefault(key, ProfileConflict(profile=profile.name, forcing=forcing,
                                                  broken=broken, chain=chain,
                                                  conditions=conditions))
    return list(found.values())
