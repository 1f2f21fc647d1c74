"""Evaluating the Kconfig tree for board targets, one parse for all of them.

Parsing the tree per board would take over a second each; instead the tree is
parsed once with every board's and SoC's Kconfig sourced behind a guard symbol
(``SECGUIDE_SELECT_*``, which only this parse defines). A target is then
evaluated by resetting all values, loading its ``<board>_defconfig`` and turning
its guards on, exactly the symbols a real build for that target would see set.

The devicetree is not known. Its queries (``$(dt_*)`` predicates and the
``DT_HAS_*_ENABLED`` symbols) all answer with one switch, ``SECGUIDE_DT_UNKNOWN``;
each target is evaluated twice, devicetree "off" and "on", and an answer that
differs between the two depends on the devicetree. That is coarser than real
three-valued logic (all devicetree facts flip together) but never guesses.

The guide's settings are solved *together*, as the one prj.conf fragment a product
would add: turning ``BOOT_BANNER`` off lets ``PRINTK`` go off, a stricter option of a
choice replaces a weaker one, and a line that another line undoes is dropped, so that
loading the defconfig and the fragment gives every value the fragment promises. Only
the guide's own settings are ever assigned: a setting that needs a subsystem the
product has not enabled (``BT``, ``NETWORKING``) says so (see :mod:`.target_blame`).

Nothing outside this module sees a kconfiglib object: results are plain data.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import kconfiglib

from secguide.diagnostics import SecguideError
from secguide.zephyr.boards import BoardTarget, kconfig_board_symbol
from secguide.zephyr.kconfig.env import doc_mode_environment, scoped_environ
from secguide.zephyr.kconfig.functions import neutral_value
from secguide.zephyr.kconfig.loader import (
    _parse_failure,
    _ZephyrKconfig,
    choice_label,
)
from secguide.zephyr.kconfig.target_blame import (
    DEVICETREE_SWITCH,
    Blamer,
    flat,
    forget_shapes,
    has_prompt,
    is_scaffolding,
    selectors_holding,
    target_determined,
)
from secguide.zephyr.kconfig.target_groups import ConeIndex, SettingGroup, partition
from secguide.zephyr.kconfig.target_reach import ReachIndex
from secguide.zephyr.tree import ZephyrTree, tree_files

_SELECT_PREFIX = "SECGUIDE_SELECT_"
#: The names a defconfig assigns (``CONFIG_X=...`` or ``# CONFIG_X is not set``).
_ASSIGNED = re.compile(r"^(?:# )?CONFIG_(\w+)(?:=| is not set)", re.MULTILINE)
_DT_HAS = re.compile(r"\bDT_HAS_\w+_ENABLED\b")

#: Hardware facts reported for every target (and checked against real builds).
CAPABILITY_SYMBOLS = (
    "ARCH", "SOC", "SOC_SERIES", "SOC_FAMILY",
    "CPU_HAS_MPU", "CPU_HAS_MMU", "ARM_MPU", "MMU", "ARCH_HAS_USERSPACE",
    "ARCH_HAS_STACK_PROTECTION", "HW_STACK_PROTECTION", "MPU_STACK_GUARD",
    "BUILTIN_STACK_GUARD", "CPU_HAS_FPU", "FPU", "ARM_TRUSTZONE_M",
    "TRUSTED_EXECUTION_NONSECURE", "TRUSTED_EXECUTION_SECURE",
    "ENTROPY_HAS_DRIVER", "X86_MMU", "RISCV_PMP",
)

#: How deep to follow "needs X, which needs Y" when trying to make a setting possible,
#: and how many selectors of a prompt-less symbol to try: bounded work per target.
_MAX_NEEDS_DEPTH = 4
_MAX_SELECTORS = 20
#: Passes over the settings (one that failed is tried again after the others), and
#: rounds of dropping lines that the rest of the fragment undoes.
_MAX_ROUNDS = 4
_BOOLEANS = (kconfiglib.BOOL, kconfiglib.TRISTATE)


class _TargetKconfig(_ZephyrKconfig):
    """Devicetree predicates answer with the devicetree switch instead of ``n``."""

    def _fn_val(self, args: list[str]) -> str:
        name = args[0]
        if name.startswith("dt_") and neutral_value(name) == "n":
            return DEVICETREE_SWITCH
        return super()._fn_val(args)


class Outcome(StrEnum):
    """What became of one wanted setting on one target, in one devicetree world."""

    HELD = "held"            # the target's defaults already give the value
    REACHED = "reached"      # the fragment gives it
    POSSIBLE = "possible"    # prj.conf can give it in this devicetree world only: the
    #                          fragment leaves it out (its line would not hold in the other)
    REPLACED = "replaced"    # another option of its choice, set by the fragment, replaces it
    BLOCKED = "blocked"      # a dependency stays false (``cause``, ``names``)
    SELECTED = "selected"    # a ``select`` holds the opposite value (``selected_by``)
    FIXED = "fixed"          # prj.conf cannot give it that value (no prompt, or a range)
    UNDEFINED = "undefined"  # not in this tree
    ELSEWHERE = "elsewhere"  # meant for other architectures: not tried
    DORMANT = "dormant"      # its subsystem (``when``) is off in the target's defaults


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingProbe:
    """One setting on one target, after the whole fragment is applied.

    ``hidden``: the setting holds only because its symbol is out of sight (its
    dependencies are false); ``cause``/``names`` then say why, as for a blocked one.
    """

    symbol: str
    wanted: str
    default: str
    outcome: str
    value: str = ""
    hidden: bool = False
    cause: str = ""
    names: tuple[str, ...] = ()
    selected_by: tuple[str, ...] = ()
    needs: tuple[tuple[str, str], ...] = ()
    #: the choice the symbol is an option of ("" if none): one option of it at a time
    choice: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetProbe:
    """One target: its capability facts and probes, with the devicetree off and on, and
    the fragment (``symbol``, ``value`` lines) that holds in both."""

    target: str
    facts: dict[str, str] = field(default_factory=dict)
    facts_with_devicetree: dict[str, str] = field(default_factory=dict)
    probes: dict[str, SettingProbe] = field(default_factory=dict)
    probes_with_devicetree: dict[str, SettingProbe] = field(default_factory=dict)
    fragment: tuple[tuple[str, str], ...] = ()
    #: each ``when`` expression in the target's defaults: (devicetree off, on); None when
    #: kconfiglib cannot evaluate it
    conditions: dict[str, tuple[bool | None, bool | None]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WantedSetting:
    """A value asked for: ``value`` exactly, or within ``minimum``/``maximum``."""

    symbol: str
    value: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    #: the architectures it is meant for (empty: all); elsewhere it is not tried at all
    architectures: tuple[str, ...] = ()
    #: Kconfig expressions (the subsystem scopes of its recommendations): where none
    #: holds in the target's defaults it is not tried (empty: always tried)
    when: tuple[str, ...] = ()
    #: False for an alternative that is only looked at, never assigned
    solve: bool = True
    #: ``SYMBOL=value`` or ``SYMBOL:min:max``: computed once (asked for per probe)
    key: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = (f"{self.symbol}={self.value}" if self.value is not None
               else f"{self.symbol}:{self.minimum}:{self.maximum}")
        object.__setattr__(self, "key", key)

    def meant_for(self, arch: str) -> bool:
        """HWMv2 trees name each architecture once (``arm`` and ``arm64`` are two)."""
        return not self.architectures or not arch or arch in self.architectures

#: Where a fragment line was last assigned within its group: (devicetree world's rank,
#: wake round, pass, setting's place in its group, step). Lines are written in this order.
Place = tuple[int, ...]
#: A target's capability facts, devicetree off and on.
Facts = tuple[dict[str, str], dict[str, str]]
#: Questions whose groups an evaluator remembers.
_KEEP_PLANS = 4


@dataclass(frozen=True, slots=True)
class GroupAnswer:
    """One group's answer on one target: its settings' probes (in the group's order),
    devicetree off and on; its fragment lines with their places; its scopes' truths.
    A function of the group's settings and the target alone."""

    probes: tuple[SettingProbe, ...]
    probes_with_devicetree: tuple[SettingProbe, ...]
    fragment: tuple[tuple[str, str, Place], ...]
    conditions: dict[str, tuple[bool | None, bool | None]]


@dataclass(frozen=True, slots=True)
class Plan:
    """A question (the wanted settings, the symbols to avoid) split into groups."""

    wanted: tuple[WantedSetting, ...]
    groups: tuple[SettingGroup, ...]
    avoid_set: frozenset[str]
    #: per setting: its symbol is defined (and not the parse's own scaffolding)
    defined: tuple[bool, ...]
    #: the symbols from which a search may reach one the guide may assign
    hopeful: frozenset[str]
    #: guide symbol -> bit set of the settings (by index) an assignment to it may concern
    readers: dict[str, int]

    def assemble(self, target_name: str, facts: Facts,
                 answers: dict[int, GroupAnswer]) -> TargetProbe:
        """The target's evaluation from every group's answer: the probes in the
        question's order, the groups' fragment lines in the order one solve of all the
        settings writes them."""
        probes: list[SettingProbe | None] = [None] * len(self.wanted)
        probes_on: list[SettingProbe | None] = [None] * len(self.wanted)
        lines: list[tuple[Place, str, str]] = []
        conditions: dict[str, tuple[bool | None, bool | None]] = {}
        for index, group in enumerate(self.groups):
            answer = answers[index]
            for position, member in enumerate(group.members):
                probes[member] = answer.probes[position]
                probes_on[member] = answer.probes_with_devicetree[position]
            lines += [((place[0], place[1], place[2], group.members[place[3]], *place[4:]),
                       name, value) for name, value, place in answer.fragment]
            conditions |= answer.conditions
        return TargetProbe(
            target=target_name, facts=facts[0], facts_with_devicetree=facts[1],
            probes={w.key: probe for w, probe in zip(self.wanted, probes, strict=True)
                    if probe is not None},
            probes_with_devicetree={w.key: probe for w, probe
                                    in zip(self.wanted, probes_on, strict=True)
                                    if probe is not None},
            fragment=tuple((name, value) for _, name, value in sorted(lines)),
            conditions={expr: conditions[expr] for expr in sorted(conditions)})


@dataclass(slots=True)
class _WorldAnswer:
    """A group solved in one devicetree world (before the fragment is checked)."""

    baseline: dict[str, tuple[str, bool]]
    lines: dict[str, tuple[str, Place]]
    needs: dict[str, tuple]
    truth: dict[str, bool | None]
    asleep: frozenset[str]


class _GroupWork:
    """One group being evaluated on the current target."""

    def __init__(self, index: int, plan: Plan, arch: str) -> None:
        self.index = index
        self.group = plan.groups[index]
        self.settings = [plan.wanted[member] for member in self.group.members]
        defined = [(position, plan.wanted[member])
                   for position, member in enumerate(self.group.members)
                   if plan.defined[member]]
        #: meant for other architectures: not tried
        self.elsewhere = {w.key for _, w in defined if not w.meant_for(arch)}
        self.defined = [(position, w) for position, w in defined
                        if w.key not in self.elsewhere]
        self.conditions = sorted({expr for _, w in self.defined for expr in w.when})
        #: devicetree off, on (filled in whichever order the worlds come)
        self.worlds: list[_WorldAnswer] = [None, None]  # type: ignore[list-item]
        self._places: dict[str, Place] = {}

    def union(self) -> list[tuple[str, str]]:
        """Every line either world wanted (the devicetree-off value where both did), in
        the order of the devicetree-on world's lines, then the others'."""
        values: dict[str, str] = {}
        places: dict[str, Place] = {}
        for rank, world in ((0, self.worlds[1]), (1, self.worlds[0])):
            for name, (value, place) in world.lines.items():
                values[name] = value
                places.setdefault(name, (rank, *place))
        self._places = places
        return [(name, values[name]) for name in sorted(values, key=places.__getitem__)]

    def places(self) -> dict[str, Place]:
        return self._places


# -- generated inputs -------------------------------------------------------------------

def _selector(symbol: str) -> str:
    return _SELECT_PREFIX + symbol


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _guarded(guards: Iterable[str], line: str) -> str:
    condition = " || ".join(sorted(set(guards)))
    return f"if {condition}\n{line}endif\n" if condition else ""


def _soc_names(soc_yml: Path) -> set[str]:
    """Every ``name:`` in a ``soc.yml`` (families, series, SoCs, clusters: a superset)."""
    text = soc_yml.read_text(encoding="utf-8", errors="replace")
    return set(re.findall(r"^\s*-?\s*name:\s*['\"]?([A-Za-z0-9_.\-]+)", text, re.MULTILINE))


def _write_target_inputs(tree: ZephyrTree, binary_dir: Path,
                         targets: list[BoardTarget]) -> None:
    """Replace doc mode's "everything at once" board/SoC files with guarded ones."""
    root = tree.root
    boards: dict[str, list[BoardTarget]] = {}
    for target in targets:
        boards.setdefault(target.board, []).append(target)
    lines: list[str] = []
    dir_guards: dict[Path, set[str]] = {}
    for board, of_board in sorted(boards.items()):
        board_symbol = kconfig_board_symbol(board)
        lines.append(f'config {_selector(board_symbol)}\n\tbool "board {board}"\n'
                     f"config {board_symbol}\n\tbool\n\tdefault y if {_selector(board_symbol)}\n")
        for target in of_board:
            symbol = target.target_symbol
            lines.append(f'config {_selector(symbol)}\n\tbool "target"\n'
                         f"config {symbol}\n\tbool\n\tdefault y if {_selector(symbol)}\n")
        board_file = of_board[0].board_dir / f"Kconfig.{board}"
        lines.append(_guarded([_selector(board_symbol)], f'osource "{board_file.as_posix()}"\n'))
        dir_guards.setdefault(of_board[0].board_dir, set()).add(_selector(board_symbol))
    _write(binary_dir / "boards" / "Kconfig.boards", "".join(lines))
    for name in ("Kconfig", "Kconfig.defconfig"):
        _write(binary_dir / "boards" / name, "".join(
            _guarded(guards, f'osource "{(directory / name).as_posix()}"\n')
            for directory, guards in sorted(dir_guards.items())))

    # A SoC folder's Kconfig is read when the selected board uses one of its SoCs.
    # Guarding by the board selectors, not by SOC_* symbols, avoids dependency loops
    # (those files add selects to the SOC_* symbols themselves).
    soc_guards: dict[Path, set[str]] = {}
    for soc_yml in sorted(root.glob("soc/**/soc.yml")):
        names = _soc_names(soc_yml)
        soc_guards[soc_yml.parent] = {
            _selector(target.board_symbol) for target in targets if target.soc in names}
    for name in ("Kconfig", "Kconfig.defconfig"):
        _write(binary_dir / "soc" / name, "".join(
            _guarded(guards, f'osource "{(directory / name).as_posix()}"\n')
            for directory, guards in sorted(soc_guards.items())))

    dt_symbols: set[str] = set()
    for relative, _entry in tree_files(root, lambda file_name: "Kconfig" in file_name):
        text = (root / relative).read_text(encoding="utf-8", errors="replace")
        if "DT_HAS_" in text:
            dt_symbols.update(_DT_HAS.findall(text))
    _write(binary_dir / "Kconfig.dts",
           f'config {DEVICETREE_SWITCH}\n\tbool "devicetree unknown"\n' + "".join(
               f"config {symbol}\n\tdef_bool {DEVICETREE_SWITCH}\n"
               for symbol in sorted(dt_symbols)))


# -- evaluation -------------------------------------------------------------------------

def _value_ok(sym: kconfiglib.Symbol, wanted: WantedSetting) -> bool:
    value = sym.str_value
    if wanted.value is not None:
        return value == wanted.value
    try:
        number = int(value, 0)
    except ValueError:
        return False
    return ((wanted.minimum is None or number >= wanted.minimum)
            and (wanted.maximum is None or number <= wanted.maximum))


def _target_value(wanted: WantedSetting) -> str:
    if wanted.value is not None:
        return wanted.value
    return str(wanted.minimum if wanted.minimum is not None else wanted.maximum)


@dataclass(slots=True)
class _Touch:
    """One assignment of a trial, with what it replaced (to undo it)."""

    sym: Any
    value: str
    before: Any
    choice_before: Any = None
    selection_before: Any = None


class TargetEvaluator:
    """The tree parsed once, ready to answer for any of its board targets."""

    def __init__(self, tree: ZephyrTree, targets: list[BoardTarget]) -> None:
        self.tree = tree
        self.targets = {target.name: target for target in targets}
        forget_shapes()
        with tempfile.TemporaryDirectory(prefix="secguide-targets-") as binary_dir:
            environment = doc_mode_environment(tree, Path(binary_dir))
            _write_target_inputs(tree, Path(binary_dir), targets)
            with scoped_environ(environment):
                try:
                    self._kconf = _TargetKconfig(str(tree.root / "Kconfig"))
                except (kconfiglib.KconfigError, OSError, UnicodeDecodeError) as error:
                    raise _parse_failure(tree, error) from None
        #: symbols that could not be turned on during the current attempt
        self._given_up: set[str] = set()
        #: symbols only the board target decides (explanations stop there)
        self._fixed = target_determined(self._kconf)
        #: which searches can possibly assign something (the rest fail untried)
        self._reach = ReachIndex(self._kconf, self._fixed)
        #: the symbols from which a search may reach one the guide may assign
        self._hopeful: frozenset[str] = frozenset()
        #: what the current target's defconfig and guards set (unset for the next one)
        self._user_set: list[Any] = []
        #: the devicetree world the parse is in
        self._devicetree = False

        #: the parse's read graph (made at the first question) and the questions' groups
        self._cones: ConeIndex | None = None
        self._plans: dict[tuple, Plan] = {}

        self._selectors = {name: sym for name, sym in self._kconf.syms.items()
                           if name.startswith(_SELECT_PREFIX)}

    def _world(self, devicetree: bool) -> None:
        self._kconf.syms[DEVICETREE_SWITCH].set_value(2 if devicetree else 0)
        self._devicetree = devicetree

    def _worlds_from_here(self) -> tuple[bool, bool]:
        """Both devicetree worlds, the current one first: each switch makes kconfiglib
        forget every value that follows the devicetree, so the work of both worlds is
        ordered to switch as rarely as possible (the answers do not depend on it)."""
        return self._devicetree, not self._devicetree

    # A target's starting point: its defconfig and its guards.
    def _select(self, target: BoardTarget, devicetree: bool) -> None:
        """Only what the previous target set is unset (kconfiglib's full reset walks all
        27,000 symbols twice); the defconfig is then read on top."""
        kconf = self._kconf
        for sym in self._user_set:
            sym.unset_value()
            if sym.choice is not None:
                sym.choice.unset_value()
        self._user_set = []
        if target.defconfig is not None:
            try:
                text = target.defconfig.read_text(encoding="utf-8")
                self._user_set = [kconf.syms[name] for name in _ASSIGNED.findall(text)
                                  if name in kconf.syms]
                for sym in self._user_set:
                    sym._was_set = False  # kconfiglib's "assigned twice" check, per file
                kconf.load_config(str(target.defconfig), replace=False)
            except (kconfiglib.KconfigError, OSError, UnicodeDecodeError) as error:
                raise SecguideError(f"{target.defconfig}: {error}", exit_code=1) from None
        for symbol in (target.board_symbol, target.target_symbol):
            selector = self._selectors.get(_selector(symbol))
            if selector is not None:
                selector.set_value(2)
                self._user_set.append(selector)
        self._world(devicetree)

    def values_with(self, target_name: str, conf: Path, *, devicetree: bool) -> dict[str, str]:
        """The values of the symbols ``conf`` (a prj.conf fragment) assigns, once
        kconfiglib itself has read the target's defconfig and then ``conf``: what a
        fragment promises is checked with the same reader a build uses.

        Raises:
            SecguideError: ``conf`` cannot be read.
        """
        self._select(self.targets[target_name], devicetree)
        kconf = self._kconf
        try:
            names = _ASSIGNED.findall(conf.read_text(encoding="utf-8"))
            assigned = [kconf.syms[name] for name in names if name in kconf.syms]
            for sym in assigned:
                sym._was_set = False
            kconf.load_config(str(conf), replace=False)
        except (kconfiglib.KconfigError, OSError, UnicodeDecodeError) as error:
            raise SecguideError(f"{conf}: {error}", exit_code=1) from None
        self._user_set += assigned
        return {sym.name: sym.str_value for sym in assigned}

    def _facts(self) -> dict[str, str]:
        facts = {}
        for name in CAPABILITY_SYMBOLS:
            sym = self._kconf.syms.get(name)
            if sym is not None and sym.nodes:
                facts[name] = sym.str_value
        return facts

    # -- trying assignments, undoably ------------------------------------------------

    @staticmethod
    def _set(sym: kconfiglib.Symbol, value: str, touched: list[_Touch]) -> None:
        choice = sym.choice
        touched.append(_Touch(sym, value, sym.user_value,
                              choice.user_value if choice else None,
                              choice.user_selection if choice else None))
        sym.set_value(value)
        if choice is not None and value == "y":
            choice.set_value(2)

    @staticmethod
    def _undo(touched: list[_Touch]) -> None:
        for touch in reversed(touched):
            sym = touch.sym
            if sym.choice is not None:
                if touch.selection_before is not None:
                    touch.selection_before.set_value(2)
                if touch.choice_before is None:
                    sym.choice.unset_value()
                else:
                    sym.choice.set_value(touch.choice_before)
            if touch.before is None:
                sym.unset_value()
            else:
                sym.set_value(touch.before)
        touched.clear()

    def _failing_terms(self, dep: Any) -> list[Any]:
        """The false operands of a ``depends on`` AND-chain; a choice stands for its deps."""
        failing = []
        for term in flat(dep, kconfiglib.AND):
            if kconfiglib.expr_value(term) != 0:
                continue
            if isinstance(term, kconfiglib.Choice):
                # An optional choice is "off" until a member is picked: only its own
                # dependencies can block; picking the member switches the choice on.
                failing += self._failing_terms(term.direct_dep)
            else:
                failing.append(term)
        return failing

    def _satisfy(self, term: Any, allowed: frozenset[str], avoid: frozenset[str],
                 touched: list[_Touch], depth: int) -> tuple[bool, list[tuple[str, str]]]:
        """Make one false dependency term true by turning on a symbol it names."""
        if depth > _MAX_NEEDS_DEPTH:
            return False, []
        for operand in flat(term, kconfiglib.OR):
            if (isinstance(operand, kconfiglib.Symbol) and operand.nodes
                    and operand.orig_type in _BOOLEANS and operand.name not in avoid
                    and not is_scaffolding(operand.name)):
                ok, needs = self._turn_on(operand, allowed, avoid, touched, depth)
                if ok:
                    return True, needs
        return False, []

    def _turn_on(self, sym: kconfiglib.Symbol, allowed: frozenset[str], avoid: frozenset[str],
                 touched: list[_Touch], depth: int) -> tuple[bool, list[tuple[str, str]]]:
        """Turn ``sym`` on as the guide's own fragment could: its dependencies first, then
        itself, but only a symbol the guide itself recommends (``allowed``) is assigned:
        a subsystem the product has not enabled is never switched on to harden it.

        A symbol without a prompt comes on only through a ``select`` (or a default);
        then one of its selectors is tried instead (a driver that the devicetree enables).
        """
        if sym.tri_value == 2:
            return True, []
        if sym.name in self._given_up or sym.name in self._fixed:
            return False, []
        if sym.name not in self._hopeful:
            # No symbol the guide may assign is reachable: the search would fail having
            # changed nothing, and so would any later one through the symbols it visits.
            self._given_up.add(sym.name)
            return False, []
        # Assume failure while trying: cycles and repeated dead ends cost nothing.
        self._given_up.add(sym.name)
        mark = len(touched)
        ok, needs = self._turn_on_uncached(sym, allowed, avoid, touched, depth)
        if ok:
            self._given_up.discard(sym.name)
        else:
            self._undo_from(touched, mark)
        return ok, needs

    def _undo_from(self, touched: list[_Touch], mark: int) -> None:
        tail = touched[mark:]
        del touched[mark:]
        self._undo(tail)

    def _turn_on_uncached(self, sym: kconfiglib.Symbol, allowed: frozenset[str],
                          avoid: frozenset[str], touched: list[_Touch],
                          depth: int) -> tuple[bool, list[tuple[str, str]]]:
        needs: list[tuple[str, str]] = []
        for term in self._failing_terms(sym.direct_dep):
            ok, more = self._satisfy(term, allowed, avoid, touched, depth + 1)
            if not ok:
                return False, []
            needs += more
        if sym.tri_value == 2:  # came on by its own default once possible
            return True, needs
        if sym.name in allowed and has_prompt(sym) and 2 in sym.assignable:
            self._set(sym, "y", touched)
            if sym.tri_value == 2:
                return True, [*needs, (sym.name, "y")]
        if depth >= _MAX_NEEDS_DEPTH:
            return False, []
        selectors = [flat(term, kconfiglib.AND)[0]
                     for term in flat(sym.rev_dep, kconfiglib.OR)][:_MAX_SELECTORS]
        for selector in selectors:
            if (isinstance(selector, kconfiglib.Symbol) and selector.name not in avoid
                    and not is_scaffolding(selector.name)):
                ok, more = self._turn_on(selector, allowed, avoid, touched, depth + 1)
                if ok and sym.tri_value == 2:
                    return True, needs + more
        return False, []

    def _choose_other(self, sym: kconfiglib.Symbol, allowed: frozenset[str],
                      avoid: frozenset[str],
                      touched: list[_Touch]) -> tuple[bool, list[tuple[str, str]]]:
        """``sym=n`` for an option of a choice: pick another option (the guide's first)."""
        options = sorted((other for other in sym.choice.syms if other is not sym),
                         key=lambda other: other.name not in allowed)
        for other in options:
            if other.name in avoid or not other.visibility:
                continue
            mark = len(touched)
            self._set(other, "y", touched)
            if sym.tri_value == 0 and other.tri_value == 2:
                return True, [(other.name, "y")]
            self._undo_from(touched, mark)
        return False, []

    def _enable(self, sym: kconfiglib.Symbol, wanted: WantedSetting, allowed: frozenset[str],
                avoid: frozenset[str], touched: list[_Touch]) -> tuple[bool, list]:
        """Try ``sym=wanted``, first satisfying the dependencies the guide's settings can."""
        value = _target_value(wanted)
        if sym.choice is not None and value == "n":
            return self._choose_other(sym, allowed, avoid, touched)
        needs: list[tuple[str, str]] = []
        for term in self._failing_terms(sym.direct_dep):
            ok, more = self._satisfy(term, allowed, avoid, touched, 1)
            if not ok:
                return False, []
            needs += more
        self._set(sym, value, touched)
        return _value_ok(sym, wanted), needs

    # -- the whole fragment ------------------------------------------------------------

    def _solve(self, wanted: list[tuple[int, WantedSetting]], members: tuple[int, ...],
               readers: dict[str, int], allowed: frozenset[str], avoid: frozenset[str],
               kept: list[_Touch],
               wake: int) -> tuple[dict[str, tuple[str, Place]], dict[str, tuple]]:
        """Apply the wanted settings (with their places in the group) together, as one
        prj.conf would.

        Settings are tried in order; one that fails is tried again after the others
        (turning ``BOOT_BANNER`` off lets ``PRINTK`` go off). A later setting may undo an
        earlier one through a ``select``: the fragment is checked as a whole afterwards.
        Each line carries the place of its last assignment (wake round, pass, setting,
        step): the fragment's lines are written in that order.

        A setting that failed is tried again only once something it reads has been
        assigned since (``readers``: by the question's index ``members[place]``): with
        nothing it reads changed, the same search fails the same way.
        """
        syms = self._kconf.syms
        lines: dict[str, tuple[str, Place]] = {}
        needs: dict[str, tuple] = {}
        pending = [(position, w) for position, w in wanted
                   if not _value_ok(syms[w.symbol], w)]
        unchanged = 0  # settings (bits by index) that failed with nothing changed since
        for round_number in range(_MAX_ROUNDS):
            progress, left = False, []
            for position, item in pending:
                sym = syms[item.symbol]
                if _value_ok(sym, item):
                    continue
                bit = 1 << members[position]
                if unchanged & bit:
                    left.append((position, item))
                    continue
                self._given_up = set()
                touched: list[_Touch] = []
                ok, extra = self._enable(sym, item, allowed, avoid, touched)
                if ok:
                    for step, touch in enumerate(touched):
                        lines.pop(touch.sym.name, None)  # the last assignment counts
                        lines[touch.sym.name] = (touch.value,
                                                 (wake, round_number, position, step))
                        # unknown to the partition: assume it concerns every setting
                        unchanged &= ~readers.get(touch.sym.name, -1)
                    kept += touched
                    needs[item.key] = tuple(dict.fromkeys(extra))
                    progress = True
                else:
                    self._undo(touched)
                    left.append((position, item))
                    unchanged |= bit
            pending = left
            if not progress or not pending:
                break
        return lines, needs

    def _apply(self, fragment: list[tuple[str, str]], touched: list[_Touch]) -> None:
        for name, value in fragment:
            self._set(self._kconf.syms[name], value, touched)

    def _consistent(self, fragments: list[list[tuple[str, str]]],
                    free: list[bool]) -> list[list[tuple[str, str]]]:
        """Each group's fragment without the lines that do not hold when it is loaded
        after the defconfig (in either devicetree world), dropped until every line holds;
        and without the ``n`` lines of symbols out of sight in both worlds (Kconfig ignores
        those). The groups cannot touch each other's values: they are loaded together
        and judged apart (a group that never settles keeps no line). A group ``free`` of
        the devicetree is judged in the current world alone (the other one is alike)."""
        syms = self._kconf.syms
        settled: list[list[tuple[str, str]]] = [[] for _ in fragments]
        pending = list(range(len(fragments)))
        fragments = list(fragments)
        for _round in range(_MAX_ROUNDS):
            broken: dict[int, set[str]] = {index: set() for index in pending}
            idle = {index: {name for name, value in fragments[index] if value == "n"}
                    for index in pending}
            touched: list[_Touch] = []
            for index in pending:
                self._apply(fragments[index], touched)
            first = self._devicetree
            for devicetree in self._worlds_from_here():
                judged = [index for index in pending
                          if devicetree is first or not free[index]]
                if not judged:
                    break
                self._world(devicetree)
                for index in judged:
                    broken[index] |= {name for name, value in fragments[index]
                                      if syms[name].str_value != value}
                    idle[index] = {name for name in idle[index] if not syms[name].visibility}
            self._undo(touched)
            left = []
            for index in pending:
                if broken[index]:
                    fragments[index] = [line for line in fragments[index]
                                        if line[0] not in broken[index]]
                    left.append(index)
                else:
                    settled[index] = [line for line in fragments[index]
                                      if line[0] not in idle[index]]
            pending = left
            if not pending:
                break
        return settled

    def _final_probe(self, wanted: WantedSetting, baseline: dict[str, tuple[str, bool]],
                     needs: dict[str, tuple], lines: dict[str, str],
                     blamer: Blamer, only_here: bool) -> SettingProbe:
        sym = self._kconf.syms.get(wanted.symbol)
        target_value = _target_value(wanted)
        if sym is None or not sym.nodes:
            return SettingProbe(symbol=wanted.symbol, wanted=target_value, default="",
                                outcome=Outcome.UNDEFINED)
        default, held = baseline[wanted.key]
        common = {"symbol": wanted.symbol, "wanted": target_value, "default": default,
                  "value": sym.str_value,
                  "choice": choice_label(sym.choice) if sym.choice is not None else ""}
        visible = bool(sym.visibility)
        if _value_ok(sym, wanted):
            hidden_why: dict[str, Any] = {}
            if not visible:
                cause, names = blamer.explain(blamer.out_of_sight, sym)
                hidden_why = {"hidden": True, "cause": cause, "names": names}
            if held and sym.name not in lines:
                return SettingProbe(**common, outcome=Outcome.HELD, **hidden_why)
            taken = tuple(need for need in needs.get(wanted.key, ())
                          if lines.get(need[0]) == need[1] and need[0] != sym.name)
            return SettingProbe(**common, outcome=Outcome.REACHED, needs=taken, **hidden_why)
        if only_here:
            taken = tuple(need for need in needs[wanted.key] if need[0] != sym.name)
            return SettingProbe(**common, outcome=Outcome.POSSIBLE, needs=taken)
        if sym.choice is not None and target_value == "y" and sym.choice.selection is not None \
                and sym.choice.selection.name in lines:
            return SettingProbe(**common, outcome=Outcome.REPLACED,
                                names=(sym.choice.selection.name,))
        if (sym.orig_type in _BOOLEANS and target_value in ("n", "m")
                and kconfiglib.expr_value(sym.rev_dep) > 0):
            cause, names = blamer.explain(blamer.selected, sym)
            return SettingProbe(**common, outcome=Outcome.SELECTED, cause=cause, names=names,
                                selected_by=selectors_holding(sym))
        if not visible:
            cause, names = blamer.explain(blamer.out_of_sight, sym)
            return SettingProbe(**common, outcome=Outcome.BLOCKED, cause=cause, names=names)
        return SettingProbe(**common, outcome=Outcome.FIXED)

    # -- groups of settings ------------------------------------------------------------

    def plan(self, wanted: list[WantedSetting], avoid: Iterable[str] = ()) -> Plan:
        """The question split into groups of settings that cannot influence each other
        (:mod:`.target_groups`), remembered for the last few questions."""
        key = (tuple(wanted), tuple(sorted(set(avoid))))
        found = self._plans.get(key)
        if found is None:
            if self._cones is None:
                self._cones = ConeIndex(self._kconf, self._fixed)
            syms = self._kconf.syms
            avoid_set = frozenset(avoid) | {w.symbol for w in wanted if w.value == "n"}
            parts = partition(self._cones, self._kconf, [w.symbol for w in wanted],
                              [w.when for w in wanted], avoid_set, DEVICETREE_SWITCH)
            defined = tuple(w.symbol in syms and bool(syms[w.symbol].nodes)
                            and not is_scaffolding(w.symbol) for w in wanted)
            hopeful = self._reach.hopeful(frozenset(
                w.symbol for w in wanted if w.solve and w.value == "y") - avoid_set)
            found = Plan(tuple(wanted), parts.groups, avoid_set, defined, hopeful,
                         parts.readers)
            if len(self._plans) >= _KEEP_PLANS:
                self._plans.clear()
            self._plans[key] = found
        return found

    def evaluate(self, target_name: str, wanted: list[WantedSetting],
                 avoid: Iterable[str] = ()) -> TargetProbe:
        """Capability facts, the guide's fragment and one probe per wanted setting,
        devicetree off and on.

        ``wanted`` are solved together, in order, as one prj.conf fragment; only symbols
        of ``wanted`` itself are ever assigned (a dependency on anything else, such as a
        subsystem the product has not enabled, is reported, never switched on).
        ``avoid`` names symbols never turned on (settings the guide advises against).
        Settings that cannot influence each other are solved in separate groups (the
        same answers: :mod:`.target_groups`).
        """
        plan = self.plan(wanted, avoid)
        facts, answers = self.evaluate_groups(target_name, plan, range(len(plan.groups)))
        return plan.assemble(target_name, facts, answers)

    def evaluate_groups(self, target_name: str, plan: Plan, which: Iterable[int], *,
                        with_facts: bool = True) -> tuple[Facts, dict[int, GroupAnswer]]:
        """The target's facts (devicetree off, on; empty unless ``with_facts``: a caller
        that kept them saves computing every capability symbol) and the answers of the
        groups ``which`` of ``plan``. The defconfig is read once; every trial is undone
        from its own record, and each group starts from the target's own values."""
        target = self.targets[target_name]
        syms = self._kconf.syms
        self._hopeful = plan.hopeful
        # Starting in the world the previous target ended in; ending in any.
        self._select(target, devicetree=self._devicetree)
        arch = syms["ARCH"].str_value if "ARCH" in syms else ""
        works = [_GroupWork(index, plan, arch) for index in which]
        # A group whose cones never read the devicetree answers the same in both worlds:
        # it is solved and explained in the first one only (and then no switch at all
        # is needed when no other group or fact asks for the second).
        free = [work.group.devicetree_free for work in works]
        facts: list[dict[str, str]] = [{}, {}]
        first, second = self._worlds_from_here()
        for devicetree in (first, second):
            if devicetree is second and not with_facts and all(free):
                break
            self._world(devicetree)
            if with_facts:
                facts[devicetree] = self._facts()
            for work, alike in zip(works, free, strict=True):
                if devicetree is first or not alike:
                    work.worlds[devicetree] = self._solve_group(work, plan.avoid_set,
                                                                plan.readers)
        for work, alike in zip(works, free, strict=True):
            if alike:
                work.worlds[second] = work.worlds[first]
        fragments = self._consistent([work.union() for work in works], free)
        applied: list[_Touch] = []
        for fragment in fragments:
            self._apply(fragment, applied)
        # One explainer per world for every group: an explanation walks only its own
        # setting's cone, where the only guide symbols are its own group's, and remembers
        # only what a fresh walk would find (so no answer depends on another group's).
        guide_on = frozenset(name for fragment in fragments for name, value in fragment
                             if value == "y") | {w.symbol for work in works
                                                 for _, w in work.defined if w.value == "y"}
        probes: list[list[tuple[SettingProbe, ...] | None]] = [
            [None] * len(works), [None] * len(works)]
        first, second = self._worlds_from_here()
        for devicetree in (first, second):
            if devicetree is second and all(free):
                break
            self._world(devicetree)
            blamer = Blamer(guide_on, plan.avoid_set, self._fixed)
            for position, (work, fragment) in enumerate(zip(works, fragments, strict=True)):
                if devicetree is first or not free[position]:
                    probes[devicetree][position] = self._group_probes(
                        work, int(devicetree), fragment, blamer)
        for position, alike in enumerate(free):
            if alike:
                probes[second][position] = probes[first][position]
        self._undo(applied)
        answers = {}
        for position, (work, fragment) in enumerate(zip(works, fragments, strict=True)):
            places = work.places()
            off, on = probes[0][position], probes[1][position]
            assert off is not None and on is not None
            answers[work.index] = GroupAnswer(
                probes=off, probes_with_devicetree=on,
                fragment=tuple((name, value, places[name]) for name, value in fragment),
                conditions={expr: (work.worlds[0].truth[expr], work.worlds[1].truth[expr])
                            for expr in work.conditions})
        return (facts[0], facts[1]), answers

    def _solve_group(self, work: _GroupWork, avoid_set: frozenset[str],
                     readers: dict[str, int]) -> _WorldAnswer:
        """The group's settings solved in the current devicetree world, then undone."""
        syms = self._kconf.syms
        defined = work.defined
        baseline = {w.key: (syms[w.symbol].str_value, _value_ok(syms[w.symbol], w))
                    for _, w in defined}
        # A subsystem off in the defaults is never switched on to harden it; one that
        # the guide's own fragment turns on (USERSPACE) wakes its settings up.
        kept: list[_Touch] = []
        lines: dict[str, tuple[str, Place]] = {}
        needs: dict[str, tuple] = {}
        asleep = {w.key for _, w in defined if w.solve}
        truth: dict[str, bool | None] = {}
        for wake in range(_MAX_ROUNDS):
            truth = {expr: self._holds(expr) for expr in work.conditions}
            awake = [w for _, w in defined if w.key in asleep and w.solve and (
                not w.when or any(truth[expr] is not False for expr in w.when))]
            if not awake:
                break
            asleep -= {w.key for w in awake}
            active = [(position, w) for position, w in defined
                      if w.solve and w.key not in asleep]
            allowed = frozenset(w.symbol for _, w in active if w.value == "y") - avoid_set
            more_lines, more_needs = self._solve(active, work.group.members, readers,
                                                  allowed, avoid_set, kept, wake)
            for name, (value, place) in more_lines.items():
                # A line keeps the place it first had; its value is the last one.
                lines[name] = (value, lines[name][1] if name in lines else place)
            needs |= more_needs
        self._undo(kept)
        return _WorldAnswer(baseline, lines, needs, truth, frozenset(asleep))

    def _group_probes(self, work: _GroupWork, index: int, fragment: list[tuple[str, str]],
                      blamer: Blamer) -> tuple[SettingProbe, ...]:
        """The group's probes in the current world, every group's fragment applied."""
        world, other = work.worlds[index], work.worlds[1 - index]
        lines = dict(fragment)
        # Solved in this world only: the devicetree decides, the fragment leaves it out.
        only_here = set(world.needs) - set(other.needs)
        return tuple(self._not_tried(w, Outcome.ELSEWHERE) if w.key in work.elsewhere else
                     self._not_tried(w, Outcome.DORMANT, world.baseline)
                     if w.key in world.asleep else
                     self._final_probe(w, world.baseline, world.needs, lines, blamer,
                                       w.key in only_here)
                     for w in work.settings)

    @staticmethod
    def _not_tried(wanted: WantedSetting, outcome: Outcome,
                   baseline: dict[str, tuple[str, bool]] | None = None) -> SettingProbe:
        default = baseline[wanted.key][0] if baseline else ""
        return SettingProbe(symbol=wanted.symbol, wanted=_target_value(wanted),
                            default=default, outcome=outcome)

    def _holds(self, expr: str) -> bool | None:
        """A ``when`` expression in the current configuration, by kconfiglib itself
        (choices included); None when it cannot be read."""
        try:
            return self._kconf.eval_string(expr) != 0
        except (kconfiglib.KconfigError, IndexError, KeyError):
            return None
