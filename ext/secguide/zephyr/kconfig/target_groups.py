"""The guide's settings split into groups that cannot influence each other on any target.

Solving the settings together matters only where they meet: turning ``BOOT_BANNER`` off
lets ``PRINTK`` go off, a choice's options replace each other, ``USERSPACE`` wakes the
settings scoped to it. Two settings meet when what one may assign can change a value the
other one reads. What an evaluation of a setting reads is its *cone*: every symbol whose
value can change the setting's symbol (or one of its ``when`` scopes), through
dependencies, selects, implies, defaults, ranges, prompt conditions and choices, followed
upstream and stopped at symbols only the board target decides (their values are the
target's, whatever anything assigns). What it may assign: its own symbol, the other
options of its choice, and symbols the guide itself recommends that its search reaches
(those lie in its cone, so they are guide symbols in the cone). The explanations read the
guide's symbols too (a dependency on one is the guide's own conflict), avoided ones
included.

So settings *i* and *j* are joined when a guide symbol of one (its symbol, its choice's
options, an avoided symbol) lies in the other's cone; the groups are the connected parts.
Within a group the settings are solved together exactly as before; a group's answer on a
target depends only on the group's settings and on the values of its cone, so groups are
solved, explained and kept apart. Cones are computed once per parse as bit sets over the
guide's symbols, in the order of the parse's strongly connected parts.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import kconfiglib

from secguide.zephyr.kconfig.target_blame import own_expressions

_NAME = re.compile(r"[A-Za-z0-9_]+")


def symbol_reads(sym: Any) -> list[Any]:
    """Every symbol whose value can change ``sym``'s (a choice stands for its options)."""
    exprs = own_expressions(sym)
    found: list[Any] = []
    choices = [sym.choice] if getattr(sym, "choice", None) is not None else []
    seen_choices: set[int] = set()
    while exprs or choices:
        for expr in exprs:
            for item in kconfiglib.expr_items(expr):
                if isinstance(item, kconfiglib.Symbol):
                    found.append(item)
                elif isinstance(item, kconfiglib.Choice):
                    choices.append(item)
        exprs = []
        for choice in choices:
            if id(choice) in seen_choices:
                continue
            seen_choices.add(id(choice))
            found += choice.syms
            exprs.append(choice.direct_dep)
            for value, condition in choice.defaults:
                exprs += [value, condition]
            for node in choice.nodes:
                exprs.append(node.dep)
                if node.prompt:
                    exprs.append(node.prompt[1])
        choices = []
    return found


class ConeIndex:
    """The parse's read graph, condensed once: its strongly connected parts in an order
    where every part comes after the parts it reads."""

    def __init__(self, kconf: Any, fixed: frozenset[str]) -> None:
        self._kconf = kconf
        syms = [sym for sym in kconf.syms.values() if not sym.is_constant]
        number = {id(sym): index for index, sym in enumerate(syms)}
        self._number = number
        edges: list[list[int]] = []
        for sym in syms:
            if sym.name in fixed:
                edges.append([])  # only the target decides it: its inputs are not read
                continue
            edges.append(sorted({number[id(item)] for item in symbol_reads(sym)
                                 if id(item) in number}))
        self._part_of, self._parts, self._part_edges = _condense(edges)

    def symbols_named(self, names: Iterable[str]) -> list[int]:
        syms = self._kconf.syms
        return [self._number[id(syms[name])] for name in names
                if name in syms and id(syms[name]) in self._number]

    def cone_bits(self, marks: dict[int, int]) -> list[int]:
        """Per strongly connected part, the union of the ``marks`` (symbol number -> bit
        set) of every symbol in its cone (itself included)."""
        bits = [0] * len(self._parts)
        for part, members in enumerate(self._parts):  # readers after what they read
            value = 0
            for member in members:
                value |= marks.get(member, 0)
            for other in self._part_edges[part]:
                value |= bits[other]
            bits[part] = value
        return bits

    def part(self, symbol_number: int) -> int:
        return self._part_of[symbol_number]


def _condense(edges: list[list[int]]) -> tuple[list[int], list[list[int]], list[list[int]]]:
    """Tarjan's strongly connected parts, iteratively (read chains run thousands deep).
    Parts come out in reverse topological order: a part after every part it reads."""
    count = len(edges)
    index = [-1] * count
    low = [0] * count
    on_stack = [False] * count
    stack: list[int] = []
    part_of = [-1] * count
    parts: list[list[int]] = []
    counter = 0
    for root in range(count):
        if index[root] != -1:
            continue
        work = [(root, 0)]
        while work:
            node, position = work.pop()
            if position == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack[node] = True
            descended = False
            successors = edges[node]
            while position < len(successors):
                successor = successors[position]
                position += 1
                if index[successor] == -1:
                    work.append((node, position))
                    work.append((successor, 0))
                    descended = True
                    break
                if on_stack[successor]:
                    low[node] = min(low[node], index[successor])
            if descended:
                continue
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack[member] = False
                    part_of[member] = len(parts)
                    members.append(member)
                    if member == node:
                        break
                parts.append(members)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    part_edges = [sorted({part_of[successor] for member in members
                          for successor in edges[member]} - {number})
                  for number, members in enumerate(parts)]
    return part_of, parts, part_edges


@dataclass(frozen=True, slots=True)
class SettingGroup:
    """Settings (indexes into the question's list, in its order) solved together, and the
    avoided symbols their explanations may meet."""

    members: tuple[int, ...]
    avoided: tuple[str, ...] = ()
    #: no cone of the group reads the devicetree: both worlds give the same answers
    devicetree_free: bool = False


@dataclass(frozen=True, slots=True)
class Partition:
    """The groups of a question, and which settings an assignment may concern."""

    groups: tuple[SettingGroup, ...]
    #: guide symbol -> bit set of the settings whose cone holds it (an assignment to it
    #: may change what they read; no other setting's search can see it)
    readers: dict[str, int]


def partition(cones: ConeIndex, kconf: Any, symbols: Sequence[str],
              whens: Sequence[Iterable[str]], avoid: Iterable[str],
              devicetree: str = "") -> Partition:
    """Groups of the settings (``symbols[i]`` with ``when`` scopes ``whens[i]``) and the
    ``avoid``-ed symbols, in the order of each group's first setting; a group none of
    whose cones holds the symbol ``devicetree`` is marked free of it."""
    syms = kconf.syms
    avoided = sorted(set(avoid) - set(symbols))
    # One node per setting and per avoided symbol; a guide symbol marks the nodes it is of.
    nodes = len(symbols) + len(avoided)
    marks: dict[int, int] = {}
    guide_names: dict[str, int] = {}

    def mark(name: str, node: int) -> None:
        sym = syms.get(name)
        if sym is None or not sym.nodes:
            return
        guide = [sym, *(sym.choice.syms if sym.choice is not None else ())]
        for item in guide:
            guide_names[item.name] = guide_names.get(item.name, 0) | (1 << node)
        for number in cones.symbols_named(item.name for item in guide):
            marks[number] = marks.get(number, 0) | (1 << node)

    for node, name in enumerate(symbols):
        mark(name, node)
    for offset, name in enumerate(avoided):
        mark(name, len(symbols) + offset)
    switch = 1 << nodes  # a bit of its own, read by the cones that hold ``devicetree``
    for number in cones.symbols_named([devicetree] if devicetree else []):
        marks[number] = marks.get(number, 0) | switch
    bits = cones.cone_bits(marks)
    reads_switch = [False] * len(symbols)
    parent = list(range(nodes))

    def root(node: int) -> int:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    # readers_of[node]: the settings whose cone holds a guide symbol of ``node``
    readers_of = [0] * nodes
    for node, name in enumerate(symbols):
        read = 0
        names = [name, *(match for when in whens[node] for match in _NAME.findall(when))]
        for number in cones.symbols_named(names):
            read |= bits[cones.part(number)]
        read |= 1 << node  # a setting reads its own symbol, defined or not
        reads_switch[node] = bool(read & switch)
        read &= switch - 1
        while read:
            low = read & -read
            other = low.bit_length() - 1
            read ^= low
            readers_of[other] |= 1 << node
            parent[root(other)] = root(node)
    readers = {}
    for name, of_nodes in guide_names.items():
        found = 0
        while of_nodes:
            low = of_nodes & -of_nodes
            found |= readers_of[low.bit_length() - 1]
            of_nodes ^= low
        readers[name] = found
    # An avoided symbol read by nobody joins no group; it is met by no explanation.
    members: dict[int, list[int]] = {}
    for node in range(len(symbols)):
        members.setdefault(root(node), []).append(node)
    avoided_of: dict[int, list[str]] = {}
    for offset, name in enumerate(avoided):
        avoided_of.setdefault(root(len(symbols) + offset), []).append(name)
    groups = tuple(SettingGroup(tuple(found), tuple(avoided_of.get(key, ())),
                                not any(reads_switch[node] for node in found))
                   for key, found in members.items())
    return Partition(groups, readers)
