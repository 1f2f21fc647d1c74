"""Evaluating a Kconfig dependency expression against the values of one build.

An audit must say *why* a symbol is missing from a build's ``.config``: usually
its ``depends on`` is not met there. The symbol database keeps dependencies as
kconfiglib's expression text (``ARCH_HAS_USERSPACE && !X || (A = "b")``); this
module evaluates that text with Kconfig's tristate logic (n=0, m=1, y=2; ``&&``
is min, ``||`` max, ``!`` is 2-v), reading symbol values from a mapping.

Nothing is guessed. Text it cannot read (macros, unbalanced text) gives
``None``. A term whose value is not known (a symbol the caller marks unknown, a
``<choice ...>`` no one can evaluate) is carried through as unknown, Kleene's
way: ``n && unknown`` is ``n``, ``y || unknown`` is ``y``, anything else that
needs it is ``None``. ``<choice NAME>`` or ``<choice "prompt">`` stands for a
choice (kconfiglib puts the choice in each of its options' dependencies): its
value is the choice's mode, which a ``.config`` shows as the option set to
``y`` (see :func:`choice_mode`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

#: Tristate values.
N, M, Y = 0, 1, 2
TRISTATE = {"n": N, "m": M, "y": Y}

# The choice stand-in comes first: "<" alone is an operator.
_TOKEN = re.compile(r"""\s*(?:(?P<choice><choice(?:\ "(?:[^"\\]|\\.)*"|\ [A-Za-z0-9_]+)?>)
                        |(?P<op>&&|\|\||!=|<=|>=|[=<>!()])
                        |(?P<string>"(?:[^"\\]|\\.)*")
                        |(?P<word>[A-Za-z0-9_.+\-]+))""", re.VERBOSE)

#: A symbol's value in the build, ``None`` when the build does not have it (read as ``n``).
Lookup = Callable[[str], str | None]
#: A choice term's tristate value, ``None`` when it cannot be known.
ChoiceValue = Callable[[str], int | None]
#: Whether a symbol's value is known at all (an unknown one is carried as unknown).
Known = Callable[[str], bool]
#: A tristate value, or ``None`` for unknown.
Tristate = int | None


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
    def __init__(self, tokens: list[tuple[str, str]], lookup: Lookup,
                 choice: ChoiceValue | None = None, known: Known | None = None) -> None:
        self.tokens, self.index, self.lookup = tokens, 0, lookup
        self.choice, self.known = choice, known

    def peek(self) -> str | None:
        return self.tokens[self.index][1] if self.index < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.index >= len(self.tokens):
            raise _Unreadable("unexpected end")
        self.index += 1
        return self.tokens[self.index - 1]

    def expression(self) -> Tristate:
        values = [self.conjunction()]
        while self.peek() == "||":
            self.take()
            values.append(self.conjunction())
        if Y in values:
            return Y
        return None if None in values else max(v for v in values if v is not None)

    def conjunction(self) -> Tristate:
        values = [self.negation()]
        while self.peek() == "&&":
            self.take()
            values.append(self.negation())
        if N in values:
            return N
        return None if None in values else min(v for v in values if v is not None)

    def negation(self) -> Tristate:
        if self.peek() == "!":
            self.take()
            value = self.negation()
            return None if value is None else Y - value
        return self.atom()

    def operand(self) -> str | None:
        kind, text = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", text[1:-1])
        if kind != "word":
            raise _Unreadable(text)
        if text in ("y", "m", "n") or _number(text) is not None:
            return text
        if self.known is not None and not self.known(text):
            return None
        value = self.lookup(text)
        return "n" if value is None else value

    def atom(self) -> Tristate:
        if self.peek() == "(":
            self.take()
            value = self.expression()
            if self.take()[1] != ")":
                raise _Unreadable("unbalanced parenthesis")
            return value
        if self.index < len(self.tokens) and self.tokens[self.index][0] == "choice":
            term = self.take()[1]
            return self.choice(term) if self.choice is not None else None
        left = self.operand()
        if self.peek() in ("=", "!=", "<", ">", "<=", ">="):
            operator = self.take()[1]
            right = self.operand()
            if left is None or right is None:
                return None
            return Y if _compare(left, operator, right) else N
        if left is None:
            return None
        return {"y": Y, "m": M}.get(left, N)

    def parse(self) -> Tristate:
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


def evaluate(text: str, lookup: Lookup, *, choice: ChoiceValue | None = None,
             known: Known | None = None) -> Tristate:
    """The tristate value (0, 1, 2) of ``text``, or ``None`` when it cannot be told.

    ``lookup(name)`` gives a symbol's value (``None`` when the build does not have
    it, read as ``n``). ``known(name)`` False makes that symbol unknown instead;
    ``choice(term)`` gives a ``<choice ...>`` term's mode (no ``choice``: unknown).
    ``None`` when the text is unreadable or its value hangs on an unknown term.
    """
    try:
        return _Parser(_tokens(text), lookup, choice, known).parse()
    except (_Unreadable, IndexError):
        return None


def readable(text: str) -> bool:
    """Whether ``text`` parses as an expression (its value aside)."""
    try:
        _Parser(_tokens(text), lambda name: None, lambda term: N).parse()
    except (_Unreadable, IndexError):
        return False
    return True


def choice_terms(text: str) -> list[str]:
    """The ``<choice ...>`` terms of an expression, in order."""
    try:
        return list(dict.fromkeys(t for kind, t in _tokens(text) if kind == "choice"))
    except _Unreadable:
        return []


_CHOICE_TERM = re.compile(r'<choice(?: ("(?:[^"\\]|\\.)*")| ([A-Za-z0-9_]+))?>')


def choice_name(term: str) -> str:
    """How a reader names a choice term: ``choice "Stack canaries protection options"``
    for ``<choice "Stack canaries protection options">``, ``choice X`` for ``<choice X>``."""
    match = _CHOICE_TERM.fullmatch(term.strip())
    if match is None:
        return term
    label = match.group(1) or match.group(2)
    return f"choice {label}" if label else "an unnamed choice"


def shown(text: str) -> str:
    """An expression as a reader meets it: each ``<choice ...>`` stand-in named in words."""
    return _CHOICE_TERM.sub(lambda match: choice_name(match.group(0)), text)


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


def choice_mode(options: Iterable[str], lookup: Lookup) -> int:
    """A choice's mode in a build: the value of its option set to ``y`` (or ``m``), else ``n``.

    A ``.config`` does not record choices, only their options: an optional choice
    left unused, or one whose dependencies fail, has no option set.
    """
    return max((TRISTATE.get(lookup(name) or "n", N) for name in options), default=N)


def conjuncts(text: str) -> list[str]:
    """The top-level ``&&`` terms of an expression, outer parentheses dropped
    (``(A || B) && C`` gives ``A || B`` and ``C``); ``[text]`` if it is unreadable."""
    try:
        tokens = _tokens(text)
    except _Unreadable:
        return [text]
    terms: list[list[str]] = [[]]
    depth = 0
    for kind, token in tokens:
        depth += {"(": 1, ")": -1}.get(token, 0) if kind == "op" else 0
        if kind == "op" and token == "&&" and depth == 0:
            terms.append([])
        else:
            terms[-1].append(token)
    return [_unwrapped(" ".join(term)) for term in terms if term]


def _unwrapped(text: str) -> str:
    while text.startswith("( ") and text.endswith(" )") and _balanced(text[2:-2]):
        text = text[2:-2]
    return text.replace("( ", "(").replace(" )", ")").replace("! ", "!")


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0
