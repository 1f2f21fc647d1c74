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

Nothing outside this module sees a kconfiglib object: results are plain data.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import kconfiglib

from secguide.diagnostics import SecguideError
from secguide.zephyr.boards import BoardTarget, kconfig_board_symbol
from secguide.zephyr.kconfig.env import doc_mode_environment, scoped_environ
from secguide.zephyr.kconfig.functions import neutral_value
from secguide.zephyr.kconfig.loader import (
    _flatten,
    _parse_failure,
    _ZephyrKconfig,
    choice_label,
)
from secguide.zephyr.tree import ZephyrTree, tree_files

DEVICETREE_SWITCH = "SECGUIDE_DT_UNKNOWN"
_SELECT_PREFIX = "SECGUIDE_SELECT_"
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
_BOOLEANS = (kconfiglib.BOOL, kconfiglib.TRISTATE)


class _TargetKconfig(_ZephyrKconfig):
    """Devicetree predicates answer with the devicetree switch instead of ``n``."""

    def _fn_val(self, args: list[str]) -> str:
        name = args[0]
        if name.startswith("dt_") and neutral_value(name) == "n":
            return DEVICETREE_SWITCH
        return super()._fn_val(args)


@dataclass(frozen=True, slots=True, kw_only=True)
class SettingProbe:
    """What happened when one setting was tried on one target, in one devicetree world.

    ``outcome``: ``default`` (already the value), ``settable`` (prj.conf can set it),
    ``needs`` (settable together with ``needs``), ``blocked`` (a dependency fails:
    ``blockers``), ``forced`` (a ``select`` holds it: ``forced_by``), ``fixed``
    (no prompt: prj.conf cannot change it), ``undefined`` (not in this tree).
    """

    symbol: str
    wanted: str
    default: str
    outcome: str
    needs: tuple[tuple[str, str], ...] = ()
    also_enables: tuple[str, ...] = ()
    blockers: tuple[str, ...] = ()
    forced_by: tuple[str, ...] = ()
    #: the choice the symbol is an option of ("" if none): one option of it at a time
    choice: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetProbe:
    """One target: its capability facts and probes, with the devicetree off and on."""

    target: str
    facts: dict[str, str] = field(default_factory=dict)
    facts_with_devicetree: dict[str, str] = field(default_factory=dict)
    probes: dict[str, SettingProbe] = field(default_factory=dict)
    probes_with_devicetree: dict[str, SettingProbe] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WantedSetting:
    """A value asked for: ``value`` exactly, or within ``minimum``/``maximum``."""

    symbol: str
    value: str | None = None
    minimum: int | None = None
    maximum: int | None = None

    @property
    def key(self) -> str:
        if self.value is not None:
            return f"{self.symbol}={self.value}"
        return f"{self.symbol}:{self.minimum}:{self.maximum}"


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

def _expr(expr: Any) -> str:
    return kconfiglib.expr_str(expr)


def _has_prompt(sym: kconfiglib.Symbol) -> bool:
    return any(node.prompt for node in sym.nodes)


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


class TargetEvaluator:
    """The tree parsed once, ready to answer for any of its board targets."""

    def __init__(self, tree: ZephyrTree, targets: list[BoardTarget]) -> None:
        self.tree = tree
        self.targets = {target.name: target for target in targets}
        with tempfile.TemporaryDirectory(prefix="secguide-targets-") as binary_dir:
            environment = doc_mode_environment(tree, Path(binary_dir))
            _write_target_inputs(tree, Path(binary_dir), targets)
            with scoped_environ(environment):
                try:
                    self._kconf = _TargetKconfig(str(tree.root / "Kconfig"))
                except (kconfiglib.KconfigError, OSError, UnicodeDecodeError) as error:
                    raise _parse_failure(tree, error) from None
        #: symbols that could not be turned on during the current probe
        self._given_up: set[str] = set()
        self._selectors = {name: sym for name, sym in self._kconf.syms.items()
                           if name.startswith(_SELECT_PREFIX)}

    # A target's starting point: its defconfig and its guards.
    def _select(self, target: BoardTarget) -> None:
        kconf = self._kconf
        if target.defconfig is not None:
            try:
                kconf.load_config(str(target.defconfig), replace=True)
            except (kconfiglib.KconfigError, OSError, UnicodeDecodeError) as error:
                raise SecguideError(f"{target.defconfig}: {error}", exit_code=1) from None
        else:
            kconf.unset_values()
        for symbol in (target.board_symbol, target.target_symbol):
            selector = self._selectors.get(_selector(symbol))
            if selector is not None:
                selector.set_value(2)

    def _facts(self) -> dict[str, str]:
        facts = {}
        for name in CAPABILITY_SYMBOLS:
            sym = self._kconf.syms.get(name)
            if sym is not None and sym.nodes:
                facts[name] = sym.str_value
        return facts

    @contextmanager
    def _trial(self) -> Iterator[list[tuple[Any, ...]]]:
        """Values set inside the block are put back afterwards, as the defconfig left them."""
        touched: list[tuple[Any, ...]] = []
        try:
            yield touched
        finally:
            for sym, value, choice_value, selection in reversed(touched):
                if sym.choice is not None:
                    if selection is not None:
                        selection.set_value(2)
                    if choice_value is None:
                        sym.choice.unset_value()
                    else:
                        sym.choice.set_value(choice_value)
                if value is None:
                    sym.unset_value()
                else:
                    sym.set_value(value)

    @staticmethod
    def _set(sym: kconfiglib.Symbol, value: str, touched: list[tuple[Any, ...]]) -> None:
        choice = sym.choice
        touched.append((sym, sym.user_value, choice.user_value if choice else None,
                        choice.user_selection if choice else None))
        sym.set_value(value)
        if choice is not None and value == "y":
            choice.set_value(2)

    def _failing_terms(self, dep: Any) -> list[Any]:
        """The false operands of a ``depends on`` AND-chain; a choice stands for its deps."""
        failing = []
        for term in _flatten(dep, kconfiglib.AND):
            if kconfiglib.expr_value(term) != 0:
                continue
            if isinstance(term, kconfiglib.Choice):
                # An optional choice is "off" until a member is picked: only its own
                # dependencies can block; picking the member switches the choice on.
                failing += self._failing_terms(term.direct_dep)
            else:
                failing.append(term)
        return failing

    def _satisfy(self, term: Any, avoid: frozenset[str], touched: list[tuple[Any, ...]],
                 depth: int) -> tuple[bool, list[tuple[str, str]]]:
        """Make one false dependency term true by turning on a symbol it names."""
        if depth > _MAX_NEEDS_DEPTH:
            return False, []
        for operand in _flatten(term, kconfiglib.OR):
            if (isinstance(operand, kconfiglib.Symbol) and operand.nodes
                    and operand.orig_type in _BOOLEANS and operand.name not in avoid):
                ok, needs = self._turn_on(operand, avoid, touched, depth)
                if ok:
                    return True, needs
        return False, []

    def _turn_on(self, sym: kconfiglib.Symbol, avoid: frozenset[str],
                 touched: list[tuple[Any, ...]], depth: int) -> tuple[bool, list]:
        """Turn ``sym`` on as a prj.conf could: its dependencies first, then itself.

        A symbol without a prompt comes on only through a ``select``; then one of its
        selectors is turned on instead (a driver that the devicetree enables, say).
        """
        if sym.tri_value == 2:
            return True, []
        if sym.name in self._given_up:
            return False, []
        # Assume failure while trying: cycles and repeated dead ends cost nothing.
        self._given_up.add(sym.name)
        ok, needs = self._turn_on_uncached(sym, avoid, touched, depth)
        if ok:
            self._given_up.discard(sym.name)
        return ok, needs

    def _turn_on_uncached(self, sym: kconfiglib.Symbol, avoid: frozenset[str],
                          touched: list[tuple[Any, ...]], depth: int) -> tuple[bool, list]:
        needs: list[tuple[str, str]] = []
        for term in self._failing_terms(sym.direct_dep):
            ok, more = self._satisfy(term, avoid, touched, depth + 1)
            if not ok:
                return False, []
            needs += more
        if sym.tri_value == 2:  # came on by its own default once possible
            return True, needs
        if _has_prompt(sym) and 2 in sym.assignable:
            self._set(sym, "y", touched)
            if sym.tri_value == 2:
                return True, [*needs, (sym.name, "y")]
        if depth >= _MAX_NEEDS_DEPTH:
            return False, []
        selectors = [_flatten(term, kconfiglib.AND)[0]
                     for term in _flatten(sym.rev_dep, kconfiglib.OR)][:_MAX_SELECTORS]
        for selector in selectors:
            if isinstance(selector, kconfiglib.Symbol) and selector.name not in avoid:
                ok, more = self._turn_on(selector, avoid, touched, depth + 1)
                if ok and sym.tri_value == 2:
                    return True, needs + more
        return False, []

    def _enable(self, sym: kconfiglib.Symbol, value: str, avoid: frozenset[str],
                touched: list[tuple[Any, ...]]) -> tuple[bool, list, list[str]]:
        """Try ``sym=value``, first satisfying the dependencies prj.conf could satisfy.

        Returns (reached, the extra settings it took, the dependencies that stayed false).
        """
        needs: list[tuple[str, str]] = []
        unresolved: list[str] = []
        for term in self._failing_terms(sym.direct_dep):
            ok, more = self._satisfy(term, avoid, touched, 1)
            if ok:
                needs += more
            else:
                unresolved.append(_expr(term))
        self._set(sym, value, touched)
        if sym.str_value == value:
            return True, needs, []
        if not unresolved and sym.choice is not None:
            unresolved = [f"{sym.name} is an option of {choice_label(sym.choice)}, which "
                          "keeps one option on: choose another option"]
        return False, needs, unresolved or [f"{sym.name} cannot be {value} here"]

    def _probe(self, wanted: WantedSetting, avoid: frozenset[str]) -> SettingProbe:
        sym = self._kconf.syms.get(wanted.symbol)
        target_value = _target_value(wanted)
        if sym is None or not sym.nodes:
            return SettingProbe(symbol=wanted.symbol, wanted=target_value, default="",
                                outcome="undefined")
        default = sym.str_value
        common = {"symbol": wanted.symbol, "wanted": target_value, "default": default,
                  "choice": choice_label(sym.choice) if sym.choice is not None else ""}
        if _value_ok(sym, wanted):
            return SettingProbe(**common, outcome="default")
        if not _has_prompt(sym):
            return SettingProbe(**common, outcome="fixed")
        if sym.orig_type in (kconfiglib.BOOL, kconfiglib.TRISTATE) and target_value in "nm" \
                and kconfiglib.expr_value(sym.rev_dep) > 0:
            holders = [term for term in _flatten(sym.rev_dep, kconfiglib.OR)
                       if kconfiglib.expr_value(term) > 0]
            names = sorted({getattr(_flatten(t, kconfiglib.AND)[0], "name", "") or _expr(t)
                            for t in holders})
            return SettingProbe(**common, outcome="forced", forced_by=tuple(names))
        self._given_up = set()
        selects_before = {target.name: target.str_value
                          for node in sym.nodes for target, _ in node.orig_selects}
        with self._trial() as touched:
            ok, needs, blockers = self._enable(sym, target_value, avoid, touched)
            also = tuple(sorted(
                name for name, before in selects_before.items()
                if self._kconf.syms[name].str_value != before)) if ok else ()
        if not ok:
            return SettingProbe(**common, outcome="blocked", blockers=tuple(blockers))
        return SettingProbe(**common, outcome="needs" if needs else "settable",
                            needs=tuple(dict.fromkeys(needs)), also_enables=also)

    def evaluate(self, target_name: str, wanted: list[WantedSetting],
                 avoid: Iterable[str] = ()) -> TargetProbe:
        """Capability facts and one probe per wanted setting, devicetree off and on.

        ``avoid`` names symbols never turned on to satisfy a dependency (settings
        the guide itself advises against, such as a test random generator).
        """
        target = self.targets[target_name]
        avoid_set = frozenset(avoid)
        results: list[tuple[dict[str, str], dict[str, SettingProbe]]] = []
        self._select(target)
        for devicetree in (False, True):
            # Trials restore what they set, so only the switch changes between worlds.
            self._kconf.syms[DEVICETREE_SWITCH].set_value(2 if devicetree else 0)
            facts = self._facts()
            probes = {item.key: self._probe(item, avoid_set) for item in wanted}
            results.append((facts, probes))
        return TargetProbe(target=target_name, facts=results[0][0],
                           facts_with_devicetree=results[1][0],
                           probes=results[0][1], probes_with_devicetree=results[1][1])
