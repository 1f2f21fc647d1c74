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

        self._selectors = {name: sym for name, sym in self._kconf.syms.items()
                           if name.startswith(_SELECT_PREFIX)}

    def _world(self, devicetree: bool) -> None:
        self._kconf.syms[DEVICETREE_SWITCH].set_value(2 if devicetree else 0)

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

    def _solve(self, wanted: list[WantedSetting], allowed: frozenset[str],
               avoid: frozenset[str], kept: list[_Touch]) -> tuple[dict[str, str],
                                                                   dict[str, tuple]]:
        """Apply the wanted settings together, as one prj.conf would.

        Settings are tried in order; one that fails is tried again after the others
        (turning ``BOOT_BANNER`` off lets ``PRINTK`` go off). A later setting may undo an
        earlier one through a ``select``: the fragment is checked as a whole afterwards.
        """
        syms = self._kconf.syms
        lines: dict[str, str] = {}
        needs: dict[str, tuple] = {}
        pending = [w for w in wanted if not _value_ok(syms[w.symbol], w)]
        for _round in range(_MAX_ROUNDS):
            progress, left = False, []
            for item in pending:
                sym = syms[item.symbol]
                if _value_ok(sym, item):
                    continue
                self._given_up = set()
                touched: list[_Touch] = []
                ok, extra = self._enable(sym, item, allowed, avoid, touched)
                if ok:
                    for touch in touched:
                        lines.pop(touch.sym.name, None)  # the last assignment counts
                        lines[touch.sym.name] = touch.value
                    kept += touched
                    needs[item.key] = tuple(dict.fromkeys(extra))
                    progress = True
                else:
                    self._undo(touched)
                    left.append(item)
            pending = left
            if not progress or not pending:
                break
        return lines, needs

    def _apply(self, fragment: list[tuple[str, str]], touched: list[_Touch]) -> None:
        for name, value in fragment:
            self._set(self._kconf.syms[name], value, touched)

    def _consistent(self, fragment: list[tuple[str, str]]) -> list[tuple[str, str]]:
        """Drop the lines that do not hold when the fragment is loaded after the
        defconfig (in either devicetree world), until every line holds; and the ``n``
        lines of symbols out of sight in both worlds (Kconfig ignores those)."""
        syms = self._kconf.syms
        for _round in range(_MAX_ROUNDS):
            broken: set[str] = set()
            idle = {name for name, value in fragment if value == "n"}
            touched: list[_Touch] = []
            self._apply(fragment, touched)
            for devicetree in (False, True):
                self._world(devicetree)
                broken |= {name for name, value in fragment if syms[name].str_value != value}
                idle &= {name for name in idle if not syms[name].visibility}
            self._undo(touched)
            self._world(False)
            if not broken:
                return [line for line in fragment if line[0] not in idle]
            fragment = [line for line in fragment if line[0] not in broken]
        return []

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

    def evaluate(self, target_name: str, wanted: list[WantedSetting],
                 avoid: Iterable[str] = ()) -> TargetProbe:
        """Capability facts, the guide's fragment and one probe per wanted setting,
        devicetree off and on.

        ``wanted`` are solved together, in order, as one prj.conf fragment; only symbols
        of ``wanted`` itself are ever assigned (a dependency on anything else, such as a
        subsystem the product has not enabled, is reported, never switched on).
        ``avoid`` names symbols never turned on (settings the guide advises against).
        The defconfig is read once; every trial is undone from its own record.
        """
        target = self.targets[target_name]
        syms = self._kconf.syms
        avoid_set = frozenset(avoid) | {w.symbol for w in wanted if w.value == "n"}
        defined = [w for w in wanted if w.symbol in syms and syms[w.symbol].nodes
                   and not is_scaffolding(w.symbol)]
        # Every round's ``allowed`` is within this set: one reachability for all of them.
        self._hopeful = self._reach.hopeful(frozenset(
            w.symbol for w in wanted if w.solve and w.value == "y") - avoid_set)
        self._select(target, devicetree=False)
        arch = syms["ARCH"].str_value if "ARCH" in syms else ""
        elsewhere = {w.key for w in defined if not w.meant_for(arch)}
        defined = [w for w in defined if w.key not in elsewhere]
        conditions = sorted({expr for w in defined for expr in w.when})
        worlds, truths, dormant = [], [], []
        for devicetree in (False, True):
            self._world(devicetree)
            facts = self._facts()
            baseline = {w.key: (syms[w.symbol].str_value, _value_ok(syms[w.symbol], w))
                        for w in defined}
            # A subsystem off in the defaults is never switched on to harden it; one that
            # the guide's own fragment turns on (USERSPACE) wakes its settings up.
            kept: list[_Touch] = []
            lines: dict[str, str] = {}
            needs: dict[str, tuple] = {}
            asleep = {w.key for w in defined if w.solve}
            for _round in range(_MAX_ROUNDS):
                truth = {expr: self._holds(expr) for expr in conditions}
                awake = [w for w in defined if w.key in asleep and w.solve and (
                    not w.when or any(truth[expr] is not False for expr in w.when))]
                if not awake:
                    break
                asleep -= {w.key for w in awake}
                active = [w for w in defined if w.solve and w.key not in asleep]
                allowed = frozenset(w.symbol for w in active if w.value == "y") - avoid_set
                more_lines, more_needs = self._solve(active, allowed, avoid_set, kept)
                lines |= more_lines
                needs |= more_needs
            self._undo(kept)
            worlds.append((facts, baseline, lines, needs))
            truths.append(truth)
            dormant.append(asleep)
        self._world(False)
        # Every line either world wanted; those that do not hold in both are dropped.
        union = dict(worlds[1][2]) | dict(worlds[0][2])
        fragment = self._consistent(list(union.items()))
        lines = dict(fragment)
        guide_on = frozenset(name for name, value in fragment if value == "y") | {
            w.symbol for w in defined if w.value == "y"}
        applied: list[_Touch] = []
        self._apply(fragment, applied)
        probes = []
        for index, (_facts, baseline, _lines, needs) in enumerate(worlds):
            self._world(bool(index))
            blamer = Blamer(guide_on, avoid_set, self._fixed)
            # Solved in this world only: the devicetree decides, the fragment leaves it out.
            only_here = set(needs) - set(worlds[1 - index][3])
            probes.append({w.key: self._not_tried(w, Outcome.ELSEWHERE)
                           if w.key in elsewhere else
                           self._not_tried(w, Outcome.DORMANT, baseline)
                           if w.key in dormant[index] else
                           self._final_probe(w, baseline, needs, lines, blamer,
                                             w.key in only_here)
                           for w in wanted})
        self._undo(applied)
        self._world(False)
        return TargetProbe(target=target_name, facts=worlds[0][0],
                           facts_with_devicetree=worlds[1][0], probes=probes[0],
                           probes_with_devicetree=probes[1], fragment=tuple(fragment),
                           conditions={expr: (truths[0][expr], truths[1][expr])
                                       for expr in conditions})

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
