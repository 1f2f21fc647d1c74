"""Evaluating a Kconfig dependency expression against the values of one build.

An audit must say *why* a symbol is missing from a build's ``.config``: usually
its ``depends on`` is not met there. The symbol database keeps dependencies as
kconfiglib's expression text (``ARCH_HAS_USERSPACE && !X || (A = "b")``); this
module evaluates that text with Kconfig's tristate logic (n=0, m=1, y=2; ``&&``
is min, ``||`` max, ``!`` is 2-v), reading symbol values from a mapping.

Anything it cannot read (macros, unbalanced text) gives ``None``, never a guess.
``<choice ...>`` stands for the choice a symbol belongs to, whose visibility a
``.config`` does not record: it counts as met.
"""

from __future__ import annotations

import re
from collections.abc import Callable

#: Tristate values.
N, M, Y = 0, 1, 2

_TOKEN = re.compile(r"""\s*(?:(?P<op>&&|\|\||!=|<=|>=|[=<>!()])
                        |(?P<choice><choice[^>]*>)
                        |(?P<string>"(?:[^"\\]|\\.)*")
                        |(?P<word>[A-Za-z0-9_.+\-]+))""", re.VERBOSE)

Lookup = Callable[[str], str | None]


class _Unreadable(Exception):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise _Unreadable(text[position:])
        kind = match.lastgroup or ""
        tokens.append((kind, match[kind]))
        position = match.end()
    return tokens


def _number(text: str) -> int | None:
    try:
        return int(text, 16) if text.lower().startswith(("0x", "-0x")) else int(text, 10)
    except ValueError:
        return None


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], lookup: Lookup) -> None:
        self.tokens, self.index, self.lookup = tokens, 0, lookup

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise _Unreadable("unexpected end")
        self.index += 1
        return self.tokens[self.index - 1]

    def expression(self) -> int:
        value = self.conjunction()
        while self.peek() == "||":
            self.take()
            value = max(value, self.conjunction())
        return value

    def conjunction(self) -> int:
        value = self.negation()
        while self.peek() == "&&":
            self.take()
            value = min(value, self.negation())
        return value

    def negation(self) -> int:
        if self.peek() == "!":
            self.take()
            return Y - self.negation()
        return self.atom()

    def operand(self) -> str:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind != "word":
            raise _Unreadable(text)
        if text in ("y", "m", "n") or _number(text) is not None:
            return text
        value = self.lookup(text)
        return "n" if value is None else value

    def atom(self) -> int:
        if self.peek() == "(":
            self.take()
            value = self.expression()
            if self.take()[1] != ")":
                raise _Unreadable("unbalanced parenthesis")
            return value
        if self.tokens[self.index][0] == "choice" if self.index < len(self.tokens) else False:
            self.take()
            return Y
        left = self.operand()
        if self.peek() in ("=", "!=", "<", ">", "<=", ">="):
            operator = self.take()[1]
            return Y if _compare(left, operator, self.operand()) else N
        return {"y": Y, "m": M}.get(left, N)

    def parse(self) -> int:
        value = self.expression()
        if self.index != len(self.tokens):
            raise _Unreadable("trailing text")
        return value


def _compare(left: str, operator: str, right: str) -> bool:
    a, b = _number(left), _number(right)
    pair: tuple[int, int] | tuple[str, str] = (a, b) if a is not None and b is not None \
        else (left, right)
    return {"=": pair[0] == pair[1], "!=": pair[0] != pair[1], "<": pair[0] < pair[1],
            ">": pair[0] > pair[1], "<=": pair[0] <= pair[1], ">=": pair[0] >= pair[1]}[operator]


def evaluate(text: str, lookup: Lookup) -> int | None:
    """The tristate value (0, 1, 2) of ``text``; ``lookup(name)`` gives a symbol's value
    (``None`` when the build does not have it, read as ``n``). ``None`` if unreadable."""
    try:
        return _Parser(_tokens(text), lookup).parse()
    except (_Unreadable, IndexError):
        return None


def symbols_in(text: str) -> list[str]:
    """The symbol names an expression mentions, in order, without constants."""
    try:
        tokens = _tokens(text)
    except _Unreadable:
        return []
    names = [t for kind, t in tokens
             if kind == "word" and t not in ("y", "m", "n") and _number(t) is None]
    return list(dict.fromkeys(names))


def positive_symbols(text: str) -> list[str]:
    """The symbols an expression needs *set*: those not directly under a ``!``.

    Used to name what is missing when a dependency fails; a symbol written as
    ``!X`` fails the expression by being set, which "not set here" would misstate.
    """
    try:
        tokens = _tokens(text)
    except _Unreadable:
        return []
    names = [t for i, (kind, t) in enumerate(tokens)
             if kind == "word" and t not in ("y", "m", "n") and _number(t) is None
             and not (i and tokens[i - 1][1] == "!")]
    return list(dict.fromkeys(names))


def syntax_problem(text: str) -> str | None:
    """Why ``text`` is not a Kconfig expression an author may write, or None when it is.

    Stricter than :func:`evaluate`: the ``<choice ...>`` stand-in of the symbol
    database is not something a model writes, and empty text is no expression.
    """
    if not text.strip():
        return "it is empty"
    try:
        tokens = _tokens(text)
    except _Unreadable as error:
        return f"cannot read '{error}'"
    if any(kind == "choice" for kind, _ in tokens):
        return "'<choice>' is not a symbol"
    try:
        _Parser(tokens, lambda name: None).parse()
    except (_Unreadable, IndexError) as error:
        return str(error) or "unexpected end"
    return None
