"""Reading a ``.config`` file the way Zephyr's Kconfig stage writes it.

A ``.config`` is the ground truth of a build: every symbol the build could set,
with its final value. Zephyr writes it with kconfiglib, so the reader accepts
exactly what kconfiglib writes and nothing looser:

- ``CONFIG_X=y`` / ``=m`` / ``=n``, ``# CONFIG_X is not set`` (value ``n``);
- strings in double quotes, where ``\\"`` and ``\\\\`` are the only escapes and
  ``$`` is literal (``"$BOARD_REVISION"`` stays as written: Kconfig expanded
  what it meant to before writing);
- decimal integers (negative too) and ``0x`` hex;
- comment lines (menu titles, ``# end of ...``), blank lines, CRLF endings;
- Zephyr 4.4's ``# Devicetree Info`` block (``DT_HAS_*`` flags) at the top;
- sysbuild's top-level ``.config``, whose symbols carry ``SB_CONFIG_``.

Everything else is a finding at ``file:line``; the file is untrusted input, so
its size is bounded and no value is ever interpreted beyond the rules above.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from secguide.diagnostics import Diagnostic, SecguideError, Severity, SourceLoc, display_path
from secguide.input_limits import why_unusable
from secguide.untrusted import unsafe_characters

#: Real application ``.config`` files are 20 to 300 KiB; 16 MiB leaves room for
#: anything Zephyr writes while bounding what a hostile file can make us hold.
MAX_CONFIG_BYTES = 16 * 1024 * 1024
# Zephyr's longest .config lines are a few hundred characters; a longer one is refused
# so that no value can flood every report (and overflow a PDF table cell).
MAX_LINE_CHARS = 4096

APP_PREFIX = "CONFIG_"
SYSBUILD_PREFIX = "SB_CONFIG_"

_ASSIGNMENT = re.compile(r"(?P<prefix>SB_CONFIG_|CONFIG_)(?P<name>[A-Za-z0-9_]+)=(?P<value>.*)")
_NOT_SET = re.compile(r"# (?P<prefix>SB_CONFIG_|CONFIG_)(?P<name>[A-Za-z0-9_]+) is not set")
_DECIMAL = re.compile(r"-?[0-9]+")
_HEX = re.compile(r"0[xX][0-9A-Fa-f]+")
_STRING = re.compile(r'"(?P<body>(?:[^"\\]|\\.)*)"')
_ESCAPE = re.compile(r"\\(.)")
_DEVICETREE_START = "# Devicetree Info"
_DEVICETREE_END = "# end of Devicetree Info"


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigValue:
    """One symbol's value in a ``.config``.

    ``name`` has no prefix. ``value`` is ``y``/``m``/``n``, the digits as
    written (``-1``, ``0x7FFFFFFF``) or the unescaped string. ``kind`` says
    which: ``tristate`` (``y``/``m``/``n``, including ``is not set``),
    ``int``, ``hex`` or ``string``. ``raw`` is the text after ``=`` (or the
    whole comment line) as found in the file, for evidence.
    """

    name: str
    value: str
    kind: str
    raw: str
    loc: SourceLoc
    in_devicetree_info: bool = False

    @property
    def is_set(self) -> bool:
        """True unless the symbol is ``n`` (written as ``# ... is not set`` or ``=n``)."""
        return not (self.kind == "tristate" and self.value == "n")

    def as_int(self) -> int | None:
        """The number for int/hex values, ``None`` for anything else."""
        if self.kind == "int":
            return int(self.value, 10)
        if self.kind == "hex":
            return int(self.value, 16)
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class DotConfig:
    """One parsed ``.config``: values by name (no prefix), findings, and what kind of file it is.

    ``prefix`` is ``CONFIG_`` for an application image and ``SB_CONFIG_`` for a
    sysbuild top level (see :attr:`is_sysbuild`). A symbol assigned twice keeps
    its last value (as Kconfig does when it reads the file) and the second
    assignment is a finding.
    """

    path: str
    prefix: str
    values: Mapping[str, ConfigValue] = field(default_factory=lambda: MappingProxyType({}))
    diagnostics: tuple[Diagnostic, ...] = ()
    line_count: int = 0
    crlf: bool = False
    devicetree_info: tuple[int, int] | None = None  # first and last line of the block

    @property
    def is_sysbuild(self) -> bool:
        return self.prefix == SYSBUILD_PREFIX

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and _bare(name) in self.values

    def get(self, name: str) -> ConfigValue | None:
        """The value of ``name`` (with or without ``CONFIG_``/``SB_CONFIG_``), if written."""
        return self.values.get(_bare(name))

    def string(self, name: str) -> str | None:
        value = self.get(name)
        return value.value if value is not None and value.kind == "string" else None

    @property
    def board(self) -> str | None:
        """``CONFIG_BOARD`` (or ``SB_CONFIG_BOARD``); ``None`` when the file has no such line.

        Older builds and some twister outputs lack it; callers must not guess.
        """
        return self.string("BOARD") or None

    @property
    def board_target(self) -> str | None:
        """``CONFIG_BOARD_TARGET`` (Zephyr >= 3.7 writes it), else ``None``.

        A sysbuild top level has no ``SB_CONFIG_BOARD_TARGET``; its target is
        put together as Zephyr does: ``board[@revision]/qualifiers``.
        """
        written = self.string("BOARD_TARGET")
        if written:
            return written
        board, qualifiers = self.board, self.string("BOARD_QUALIFIERS")
        if not (self.is_sysbuild and board and qualifiers):
            return None
        revision = self.string("BOARD_REVISION")
        return f"{board}@{revision}/{qualifiers}" if revision else f"{board}/{qualifiers}"

    @property
    def errors(self) -> tuple[Diagnostic, ...]:
        return tuple(d for d in self.diagnostics if d.severity is Severity.ERROR)

    def __iter__(self) -> Iterator[ConfigValue]:
        return iter(self.values.values())


def _bare(name: str) -> str:
    return name.removeprefix(SYSBUILD_PREFIX).removeprefix(APP_PREFIX)


def _classify(text: str) -> tuple[str, str] | None:
    """(kind, value) for the text after ``=``, or ``None`` when kconfiglib would not write it."""
    if text in ("y", "m", "n"):
        return "tristate", text
    if _DECIMAL.fullmatch(text):
        return "int", text
    if _HEX.fullmatch(text):
        return "hex", text
    match = _STRING.fullmatch(text)
    if match:
        return "string", _ESCAPE.sub(r"\1", match["body"])
    return None


def _why_malformed(text: str) -> str:
    if text == "":
        return "no value after '='"
    if text.startswith('"'):
        return "string value without a closing quote (or with an unescaped quote inside)"
    if text != text.strip():
        return "whitespace around the value"
    return "value is neither y/m/n, a number, 0x-hex nor a double-quoted string"


class _Reader:
    """Line-by-line state: the prefix in use, the Devicetree block, what was seen."""

    def __init__(self, shown: str) -> None:
        self.shown = shown
        self.prefix: str | None = None
        self.values: dict[str, ConfigValue] = {}
        self.diagnostics: list[Diagnostic] = []
        self.in_devicetree = False
        self.devicetree_start = 0
        self.devicetree: tuple[int, int] | None = None

    def finding(self, line: int, code: str, message: str,
                severity: Severity = Severity.ERROR) -> None:
        self.diagnostics.append(Diagnostic(SourceLoc(self.shown, line), severity,
                                           f"dotconfig.{code}", message))

    def comment(self, number: int, line: str) -> None:
        not_set = _NOT_SET.fullmatch(line)
        if not_set:
            self.assign(number, not_set["prefix"], not_set["name"], "tristate", "n", line)
        elif line == _DEVICETREE_START and self.devicetree is None:
            self.in_devicetree, self.devicetree_start = True, number
        elif line == _DEVICETREE_END and self.in_devicetree:
            self.in_devicetree = False
            self.devicetree = (self.devicetree_start, number)

    def assign(self, number: int, prefix: str, name: str, kind: str, value: str,
               raw: str) -> None:
        if self.prefix is None:
            self.prefix = prefix
        elif prefix != self.prefix:
            self.finding(number, "mixed-prefix",
                         f"{prefix}{name} in a file whose symbols use {self.prefix}: "
                         "application and sysbuild settings are never written together")
            return
        earlier = self.values.get(name)
        if earlier is not None:
            self.finding(number, "duplicate",
                         f"{prefix}{name} is assigned again (first at line {earlier.loc.line}); "
                         "the last assignment wins", Severity.WARNING)
        self.values[name] = ConfigValue(name=name, value=value, kind=kind, raw=raw,
                                        loc=SourceLoc(self.shown, number),
                                        in_devicetree_info=self.in_devicetree)

    def line(self, number: int, line: str) -> None:
        if not line.strip():
            return
        if len(line) > MAX_LINE_CHARS:
            self.finding(number, "malformed", f"line of {len(line)} characters; no .config "
                         f"line Zephyr writes is longer than {MAX_LINE_CHARS}")
            return
        unsafe = unsafe_characters(line)
        if unsafe:
            self.finding(number, "unsafe-text",
                         f"the line holds the control character {unsafe[0][1]}; control "
                         "characters (C0 but tab, DEL, C1, bidi controls) are refused and "
                         "the line is not read")
            return
        if line.startswith("#"):
            self.comment(number, line)
            return
        match = _ASSIGNMENT.fullmatch(line)
        if match is None:
            self.finding(number, "malformed",
                         "not a Kconfig assignment, '# CONFIG_... is not set' or a comment")
            return
        classified = _classify(match["value"])
        if classified is None:
            self.finding(number, "malformed",
                         f"{match['prefix']}{match['name']}: {_why_malformed(match['value'])}")
            return
        self.assign(number, match["prefix"], match["name"], *classified, match["value"])


def parse_dotconfig(text: str, shown: str) -> DotConfig:
    """Parse ``.config`` text; ``shown`` is the path used in locations and messages."""
    reader = _Reader(shown)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    crlf = bool(lines) and all(line.endswith("\r") for line in lines)
    for number, line in enumerate(lines, start=1):
        reader.line(number, line.removesuffix("\r"))
    if reader.in_devicetree:
        reader.finding(reader.devicetree_start, "malformed",
                       "'# Devicetree Info' block has no '# end of Devicetree Info'",
                       Severity.WARNING)
    if reader.prefix is None:  # also a 0-byte file: nothing to audit is not a clean audit
        reader.finding(1, "empty", "no CONFIG_ or SB_CONFIG_ assignment in the file")
    return DotConfig(path=shown, prefix=reader.prefix or APP_PREFIX,
                     values=MappingProxyType(reader.values),
                     diagnostics=tuple(reader.diagnostics), line_count=len(lines), crlf=crlf,
                     devicetree_info=reader.devicetree)


def read_dotconfig(path: Path, *, shown: str | None = None) -> DotConfig:
    """Read and parse a ``.config`` file.

    Raises :class:`SecguideError` (exit code 2) when the file cannot be read,
    is larger than :data:`MAX_CONFIG_BYTES`, or is not text. Problems inside
    the file are diagnostics of the result, not exceptions.
    """
    shown = shown or display_path(path)
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_CONFIG_BYTES + 1)
    except OSError as error:
        raise SecguideError(f"{shown}: cannot read .config: {why_unusable(error)}") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise SecguideError(f"{shown}: larger than {MAX_CONFIG_BYTES // (1024 * 1024)} MiB; "
                            "not a .config Zephyr writes")
    if b"\0" in data:
        raise SecguideError(f"{shown}: binary data (NUL bytes); not a .config file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise SecguideError(f"{shown}:{line}: not UTF-8 text; not a .config file") from None
    return parse_dotconfig(text, shown)
