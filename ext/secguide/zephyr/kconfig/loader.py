"""Parsing a Zephyr tree's Kconfig with PyPI kconfiglib, in documentation mode.

Two gaps between PyPI kconfiglib 14.1.0 and Zephyr are bridged here without
forking kconfiglib:

* Zephyr's ``configdefault`` keyword (extra defaults for a symbol defined
  elsewhere) is read as a ``config`` block, and the lines where that happened
  are remembered so those blocks are reported as default sites, not definitions.
* Zephyr's preprocessor functions (``$(dt_...)``, arithmetic helpers) are
  answered by :mod:`secguide.zephyr.kconfig.functions`.

Both hooks override private kconfiglib methods (``_open``, ``_fn_val``); that is
why ``pyproject.toml`` pins kconfiglib exactly.
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from typing import Any

import kconfiglib

from secguide.diagnostics import SecguideError, SourceLoc
from secguide.zephyr.kconfig.env import doc_mode_environment, scoped_environ
from secguide.zephyr.kconfig.functions import zephyr_function
from secguide.zephyr.kconfig.symbols import ChoiceFacts, ConditionalValue, KconfigSymbol
from secguide.zephyr.tree import ZephyrTree

_CONFIGDEFAULT = re.compile(r"^([ \t]*)configdefault([ \t])", re.MULTILINE)


class _ZephyrKconfig(kconfiglib.Kconfig):
    """kconfiglib with Zephyr's ``configdefault`` keyword and preprocessor functions."""

    def __init__(self, filename: str) -> None:
        #: (path relative to srctree, line) of every ``configdefault`` keyword seen
        self.configdefault_lines: set[tuple[str, int]] = set()
        self.unknown_functions: set[str] = set()
        super().__init__(filename, warn_to_stderr=False)

    def _open(self, filename: str, mode: str) -> Any:
        if "r" not in mode:
            return super()._open(filename, mode)
        with open(filename, encoding=self._encoding) as handle:
            text = handle.read()
        if "configdefault" in text:
            relative = filename
            if filename.startswith(self._srctree_prefix):
                relative = filename[len(self._srctree_prefix):]
            for match in _CONFIGDEFAULT.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                self.configdefault_lines.add((relative, line))
            # Same length and same line breaks: kconfiglib's line numbers stay true.
            text = _CONFIGDEFAULT.sub(r"\1config       \2", text)
        return io.StringIO(text)

    def _fn_val(self, args: list[str]) -> str:
        name = args[0]
        if name not in self.variables and name not in self._functions:
            entry = zephyr_function(name)
            if entry is not None:
                self._functions[name] = entry
        return super()._fn_val(args)


def choice_label(choice: Any) -> str:
    """A name for a choice: its own, else its prompt (Zephyr leaves many unnamed)."""
    if choice.name:
        return choice.name
    prompts = [node.prompt[0] for node in choice.nodes if node.prompt]
    return f'<choice "{prompts[0]}">' if prompts else "<choice>"


def choice_term(choice: Any) -> str:
    """A choice as expression text writes it: ``<choice NAME>`` or ``<choice "prompt">``.

    Never the bare name: a named choice would read as a symbol of that name.
    """
    label = choice_label(choice)
    return f"<choice {label}>" if choice.name else label


def _symbol_text(item: Any) -> str:
    if isinstance(item, kconfiglib.Choice):
        return choice_term(item)
    return kconfiglib.standard_sc_expr_str(item)


def _choice_facts(choice: Any) -> ChoiceFacts:
    prompts = [node.prompt[0] for node in choice.nodes if node.prompt]
    return ChoiceFacts(term=choice_term(choice), prompt=prompts[0] if prompts else "",
                       options=tuple(sym.name for sym in choice.syms),
                       depends_on=_expr(choice.direct_dep), optional=bool(choice.is_optional))


def _expr(expr: Any) -> str:
    return kconfiglib.expr_str(expr, _symbol_text)


def _condition(cond: Any, kconf: kconfiglib.Kconfig) -> str | None:
    return None if cond is kconf.y else _expr(cond)


def _flatten(expr: Any, op: int) -> list[Any]:
    """Operands of a chain of ``op`` (AND/OR), iteratively: Zephyr's reverse
    dependencies can chain thousands of terms, deeper than Python's recursion limit."""
    operands, stack = [], [expr]
    while stack:
        item = stack.pop()
        if isinstance(item, tuple) and item[0] == op:
            stack += [item[2], item[1]]
        else:
            operands.append(item)
    return operands


def _first_operands(expr: Any, kconf: kconfiglib.Kconfig) -> tuple[str, ...]:
    """The selecting symbols in a reverse dependency (``A && cond || B ...`` gives A, B)."""
    if expr is kconf.n:
        return ()
    names = []
    for term in _flatten(expr, kconfiglib.OR):
        head = _flatten(term, kconfiglib.AND)[0]
        names.append(getattr(head, "name", None) or _expr(head))
    return tuple(sorted(set(names)))


def _reopenings(nodes: list[Any]) -> list[Any]:
    """The nodes that only add defaults (``Kconfig.defconfig`` re-openings), when the
    symbol has a real definition elsewhere."""
    if all("defconfig" in node.filename for node in nodes):
        return []
    return [node for node in nodes if "defconfig" in node.filename]


def _direct_dependencies(nodes: list[Any]) -> str:
    """``depends on`` of the real definitions, ORed as Kconfig merges them.

    Board and SoC ``Kconfig.defconfig`` files re-open a symbol under ``if BOARD_X``;
    those only carry defaults, so they are left out unless nothing else defines it.
    """
    primary = [node for node in nodes if "defconfig" not in node.filename] or nodes
    terms = list(dict.fromkeys(_expr(node.dep) for node in primary))
    if "y" in terms:
        return "y"
    if len(terms) == 1:
        return terms[0]
    return " || ".join(f"({term})" for term in terms)


def _under_if_0(node: Any) -> bool:
    """True for a node inside Zephyr's ``if 0`` block, which sources every module's
    Kconfig only so that their names exist (``modules/Kconfig``)."""
    # kconfiglib reads ``0`` as an undefined symbol, which is always n
    return any(isinstance(term, kconfiglib.Symbol) and term.name == "0" and not term.nodes
               for term in _flatten(node.dep, kconfiglib.AND))


def _is_deprecated(sym: kconfiglib.Symbol, prompts: list[str]) -> bool:
    if any("DEPRECATED" in prompt.upper() for prompt in prompts):
        return True
    return any(
        getattr(target, "name", None) == "DEPRECATED"
        for node in sym.nodes for target, _ in node.orig_selects
    )


#: How files secguide generates (in a temporary folder) are named in locations.
BINARY_DIR_NAME = "$(KCONFIG_BINARY_DIR)"


def _symbol_from(sym: kconfiglib.Symbol, kconf: _ZephyrKconfig,
                 binary_dir: str = "") -> KconfigSymbol | None:
    definitions: list[SourceLoc] = []
    configdefaults: list[SourceLoc] = []
    prompts: list[str] = []
    helps: list[str] = []
    defaults: list[ConditionalValue] = []
    selects: list[ConditionalValue] = []
    implies: list[ConditionalValue] = []
    ranges: list[ConditionalValue] = []
    definition_nodes = []
    # A symbol also defined under a live condition is described by that definition only.
    nodes = [node for node in sym.nodes if not _under_if_0(node)] or sym.nodes
    reopened = _reopenings(nodes)
    for node in nodes:
        # generated files live in a temporary folder: name them stably
        filename = (BINARY_DIR_NAME + node.filename[len(binary_dir):]
                    if binary_dir and node.filename.startswith(binary_dir) else node.filename)
        loc = SourceLoc(filename, node.linenr)
        if (node.filename, node.linenr) in kconf.configdefault_lines:
            configdefaults.append(loc)
        else:
            definitions.append(loc)
            definition_nodes.append(node)
            if node.prompt:
                prompts.append(node.prompt[0])
        if node.help and node.help not in helps:
            helps.append(node.help)
        # A board or SoC Kconfig.defconfig re-opens the symbol under "if BOARD_X": that
        # enclosing condition belongs to each of its defaults (kconfiglib's propagated
        # node.defaults carry it), else "n, n, y" loses which board each value is for.
        defaults += [ConditionalValue(value=_expr(v), condition=_condition(c, kconf), loc=loc)
                     for v, c in (node.defaults if node in reopened else node.orig_defaults)]
        selects += [ConditionalValue(value=t.name, condition=_condition(c, kconf), loc=loc)
                    for t, c in node.orig_selects]
        implies += [ConditionalValue(value=t.name, condition=_condition(c, kconf), loc=loc)
                    for t, c in node.orig_implies]
        ranges += [ConditionalValue(value=f"{_expr(lo)} {_expr(hi)}",
                                    condition=_condition(c, kconf), loc=loc)
                   for lo, hi, c in node.orig_ranges]
    if not definitions:
        return None
    choice = choice_label(sym.choice) if sym.choice is not None else None
    return KconfigSymbol(
        name=sym.name,
        type=kconfiglib.TYPE_TO_STR[sym.orig_type] or "unknown",
        prompts=tuple(dict.fromkeys(prompts)),
        help="\n\n".join(helps),
        defaults=tuple(defaults),
        depends_on=_direct_dependencies(definition_nodes),
        selects=tuple(selects),
        implies=tuple(implies),
        selected_by=_first_operands(sym.rev_dep, kconf),
        implied_by=_first_operands(sym.weak_rev_dep, kconf),
        ranges=tuple(ranges),
        choice=choice,
        choice_facts=_choice_facts(sym.choice) if sym.choice is not None else None,
        definitions=tuple(definitions),
        configdefault_sites=tuple(configdefaults),
        user_settable=bool(prompts),
        deprecated=_is_deprecated(sym, prompts),
    )


_KCONFIG_LOCATION = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+):")


def _parse_failure(tree: ZephyrTree, error: Exception) -> SecguideError:
    """A one-line message naming the tree file and line kconfiglib stopped at."""
    text = " ".join(str(error).split())
    match = _KCONFIG_LOCATION.match(text)
    if match and not Path(match.group("path")).is_absolute():
        text = f"{tree.root / match.group('path')}{text[len(match.group('path')):]}"
    return SecguideError(f"Kconfig error: {text}", exit_code=1)


def parse_symbols(tree: ZephyrTree) -> tuple[dict[str, KconfigSymbol], tuple[str, ...]]:
    """Parse every Kconfig file of ``tree`` and return its defined symbols and warnings.

    Raises:
        SecguideError: the Kconfig files do not parse; the message names file and line.
    """
    with tempfile.TemporaryDirectory(prefix="secguide-kconfig-") as binary_dir:
        environment = doc_mode_environment(tree, Path(binary_dir))
        with scoped_environ(environment):
            try:
                kconf = _ZephyrKconfig(str(tree.root / "Kconfig"))
            except (kconfiglib.KconfigError, OSError, UnicodeDecodeError) as error:
                raise _parse_failure(tree, error) from None
            symbols: dict[str, KconfigSymbol] = {}
            for sym in kconf.unique_defined_syms:
                symbol = _symbol_from(sym, kconf, binary_dir)
                if symbol is not None:
                    symbols[symbol.name] = symbol
            warnings = tuple(
                warning.replace(binary_dir, BINARY_DIR_NAME) for warning in kconf.warnings
            )
    return symbols, warnings
