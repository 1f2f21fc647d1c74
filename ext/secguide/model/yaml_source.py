"""Reading YAML into plain Python data while keeping the line of every key and value.

PyYAML's ``safe_load`` forgets where things came from and silently keeps the
last of two equal keys. We compose the node graph instead (safe: no tags are
constructed beyond scalars) and convert it ourselves, so that every later
message can say ``file:line:col`` and a repeated key is an error, not data loss.

A threat model is untrusted input, so reading one is bounded: a file larger than
:data:`MAX_FILE_BYTES`, nesting deeper than :data:`MAX_DEPTH`, more than
:data:`MAX_ALIASES` aliases, aliases that expand to more than
:data:`MAX_EXPANDED_NODES` values (the "billion laughs" bomb) or refer to
themselves, and scalars longer than :data:`MAX_SCALAR_CHARS` each end in one
``yaml-limit`` error at the offending line. A real model stays two orders of
magnitude below every limit.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secguide.codes import Code
from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.items import TextPlace
from secguide.untrusted import UNSAFE_CHARACTERS, inert, unsafe_characters

#: A path into the data: mapping keys and sequence indexes, like jsonschema's ``absolute_path``.
DataPath = tuple[str | int, ...]


@dataclass(slots=True)
class YamlDocument:
    """One parsed file: its data and where each value (and each mapping key) stood."""

    path: str
    data: Any = None
    value_locs: dict[DataPath, SourceLoc] = field(default_factory=dict)
    key_locs: dict[DataPath, SourceLoc] = field(default_factory=dict)
    #: the file's lines, and the last line (1-based) of every text value
    lines: tuple[str, ...] = ()
    text_ends: dict[DataPath, int] = field(default_factory=dict)

    def text_places(self) -> dict[str, list[TextPlace]]:
        """Every text value of the file, with the lines it is written on, by value."""
        places: dict[str, list[TextPlace]] = {}
        for data_path, end in self.text_ends.items():
            value = self._value_at(data_path)
            start = self.value_locs[data_path]
            if isinstance(value, str):
                places.setdefault(value, []).append(
                    TextPlace(loc=start, lines=self.lines[start.line - 1:end]))
        return places

    def _value_at(self, data_path: DataPath) -> Any:
        value = self.data
        for part in data_path:
            value = value[part]
        return value

    def loc(self, data_path: DataPath, *, key: bool = False) -> SourceLoc:
        """The location of the value at ``data_path`` (or of its key), else its nearest parent."""
        table = self.key_locs if key else self.value_locs
        probe = tuple(data_path)
        while probe:
            if probe in table:
                return table[probe]
            if probe in self.value_locs:
                return self.value_locs[probe]
            probe = probe[:-1]
        return self.value_locs.get((), SourceLoc(self.path, 1, 1))


#: Limits on one threat-model file (README "Limits on input files").
MAX_FILE_BYTES = 1 << 20
MAX_DEPTH = 64
MAX_ALIASES = 1_000
MAX_EXPANDED_NODES = 200_000
MAX_SCALAR_CHARS = 100_000

_SCALARS = yaml.constructor.SafeConstructor()


class _LimitError(yaml.YAMLError):
    """A limit was exceeded at ``mark``; becomes one ``yaml-limit`` diagnostic."""

    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.mark = mark


class _BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe composer, stopped before its recursion or its anchors can run away.

    The composer recurses once per nesting level (a deep file is a RecursionError
    and a traceback), so depth is counted here, before recursing. Its parser and
    scanner are iterative and need no guard.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                raise _LimitError(f"more than {MAX_ALIASES} aliases in one file",
                                  event.start_mark)
        elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
            raise _LimitError(f"a value longer than {MAX_SCALAR_CHARS} characters",
                              event.start_mark)
        if not isinstance(event, yaml.CollectionStartEvent):
            return super().compose_node(parent, index)  # a scalar or an alias: no recursion
        # collections only, as the check of libyaml's events counts them: both paths
        # refuse the same file at the same line
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _LimitError(f"data nested deeper than {MAX_DEPTH} levels", event.start_mark)
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _mark_loc(path: str, mark: Any) -> SourceLoc:
    return SourceLoc(path, mark.line + 1, mark.column + 1)


#: The tag of text; most scalars of a model have it, and their value is the node's.
_TEXT_TAG = "tag:yaml.org,2002:str"


def _scalar(node: yaml.ScalarNode) -> Any:
    if node.tag == _TEXT_TAG:
        return node.value
    try:
        value = _SCALARS.construct_object(node, deep=True)
    except ValueError:
        # a date-shaped scalar that is no date (2026-02-30): keep the text, so the
        # schema reports it at its line instead of the reader failing
        return node.value
    finally:
        # the constructor remembers every node it built (for anchors); ours is shared,
        # so it would keep every node of every file read alive
        _SCALARS.constructed_objects.pop(node, None)
        _SCALARS.recursive_objects.pop(node, None)
    # Unquoted dates are natural in YAML; the model stores them as ISO text.
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def compose_bounded(text: str) -> yaml.Node | None:
    """PyYAML's node graph of ``text`` within the limits (aliases still shared, unexpanded).

    Raises:
        yaml.YAMLError: a syntax error, or a limit exceeded (depth, aliases, scalar length).
    """
    loader = _BoundedLoader(text)
    try:
        return loader.get_single_node()
    finally:
        loader.dispose()


class _Budget:
    """Values built so far and the nodes being built: aliases share nodes, so the
    composed graph is small while its expansion may be exponential or endless."""

    def __init__(self) -> None:
        self.values = 0
        self.open: set[int] = set()

    def enter(self, node: yaml.Node) -> None:
        if id(node) in self.open:
            raise _LimitError("an alias refers to itself (the value would never end)",
                              node.start_mark)
        self.values += 1
        if self.values > MAX_EXPANDED_NODES:
            raise _LimitError(f"aliases make the file expand to more than "
                              f"{MAX_EXPANDED_NODES} values", node.start_mark)
        if not isinstance(node, yaml.ScalarNode):
            self.open.add(id(node))


def _convert(node: yaml.Node, doc: YamlDocument, data_path: DataPath,
             diagnostics: list[Diagnostic], budget: _Budget) -> Any:
    if isinstance(node, yaml.ScalarNode):  # most nodes: no nesting to track
        budget.enter(node)
        return _convert_scalar(node, doc, data_path, diagnostics)
    budget.enter(node)
    try:
        return _convert_entered(node, doc, data_path, diagnostics, budget)
    finally:
        budget.open.discard(id(node))


def _convert_scalar(node: yaml.ScalarNode, doc: YamlDocument, data_path: DataPath,
                    diagnostics: list[Diagnostic]) -> Any:
    start = node.start_mark
    doc.value_locs[data_path] = SourceLoc(doc.path, start.line + 1, start.column + 1)
    value = _scalar(node)
    if isinstance(value, str):
        if UNSAFE_CHARACTERS.search(value) is not None:
            value = _refuse_unsafe(value, node, doc, diagnostics)
        # a block scalar ends where the next token starts: at column 0 of the line after
        end_mark = node.end_mark
        end = end_mark.line + (1 if end_mark.column else 0)
        doc.text_ends[data_path] = max(end, start.line + 1)
    return value


def _convert_entered(node: yaml.Node, doc: YamlDocument, data_path: DataPath,
                     diagnostics: list[Diagnostic], budget: _Budget) -> Any:
    doc.value_locs[data_path] = _mark_loc(doc.path, node.start_mark)
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        first_seen: dict[Any, SourceLoc] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                diagnostics.append(Diagnostic(_mark_loc(doc.path, key_node.start_mark),
                                              Severity.ERROR, "yaml-key",
                                              "mapping keys must be plain text"))
                continue
            key = _scalar(key_node)
            if isinstance(key, str) and UNSAFE_CHARACTERS.search(key) is not None:
                key = _refuse_unsafe(key, key_node, doc, diagnostics)
            key_loc = _mark_loc(doc.path, key_node.start_mark)
            if key in first_seen:
                diagnostics.append(Diagnostic(
                    key_loc, Severity.ERROR, "duplicate-key",
                    f"duplicate key '{key}' (first at line {first_seen[key].line}); "
                    "YAML would silently keep only the last one",
                ))
                continue
            first_seen[key] = key_loc
            child_path = (*data_path, str(key))
            doc.key_locs[child_path] = key_loc
            result[key] = _convert(value_node, doc, child_path, diagnostics, budget)
        return result
    return [_convert(child, doc, (*data_path, index), diagnostics, budget)
            for index, child in enumerate(node.value)]


def _refuse_unsafe(value: Any, node: yaml.ScalarNode, doc: YamlDocument,
                   diagnostics: list[Diagnostic]) -> Any:
    """``value``, with an ``unsafe-text`` error for each line holding a control character.

    The value is kept with those characters made visible (:func:`secguide.untrusted.inert`),
    so no output or terminal ever gets them raw, even where the error is not read.
    """
    if not isinstance(value, str):
        return value
    found = unsafe_characters(value)
    if not found:
        return value
    reported: set[int] = set()
    for index, shown in found:
        line = _line_of(node, value, index)
        if line in reported:
            continue
        reported.add(line)
        diagnostics.append(Diagnostic(
            SourceLoc(doc.path, line, 1 if line != node.start_mark.line + 1
                      else node.start_mark.column + 1),
            Severity.ERROR, Code.UNSAFE_TEXT,
            f"text holds the control character {shown}; control characters (C0 but tab "
            "and newline, DEL, C1, bidi controls) are refused in input files"))
    return inert(value)


def _line_of(node: yaml.ScalarNode, value: str, index: int) -> int:
    """The 1-based file line of ``value[index]``: exact for a literal block (``|``), whose
    lines are the file's; the line the value starts on otherwise."""
    if node.style == "|":
        return node.start_mark.line + 2 + value.count("\n", 0, index)
    return node.start_mark.line + 1


#: libyaml's composer when PyYAML was built with it: ten times faster on the model's
#: files, with the same nodes and marks. Errors are re-parsed by the pure-Python
#: composer so that their wording and position never depend on the build of PyYAML.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _check_events(text: str) -> None:
    """The limits checked on libyaml's event stream before its composer runs: that
    composer recurses in C once per nesting level and has no guard of its own.

    Raises:
        _LimitError: nesting, aliases or a scalar beyond the limits.
        yaml.YAMLError: a syntax error (the caller re-parses for the wording).
    """
    depth = aliases = 0
    for event in yaml.parse(text, Loader=_FAST_LOADER):
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise _LimitError(f"data nested deeper than {MAX_DEPTH} levels",
                                  event.start_mark)
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
        elif isinstance(event, yaml.AliasEvent):
            aliases += 1
            if aliases > MAX_ALIASES:
                raise _LimitError(f"more than {MAX_ALIASES} aliases in one file",
                                  event.start_mark)
        elif isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_SCALAR_CHARS:
            raise _LimitError(f"a value longer than {MAX_SCALAR_CHARS} characters",
                              event.start_mark)


def _compose(text: str) -> yaml.Node | None:
    """The node graph of ``text``, within the limits, by the fastest safe composer.

    Raises:
        _LimitError: a limit is exceeded.
        yaml.YAMLError: a syntax error, worded by the pure-Python composer.
    """
    if _FAST_LOADER is not None:
        try:
            _check_events(text)
            return yaml.compose(text, Loader=_FAST_LOADER)
        except _LimitError:
            raise
        except yaml.YAMLError:
            pass
    return compose_bounded(text)


def read_yaml(path: Path, display: str) -> tuple[YamlDocument, list[Diagnostic]]:
    """Parse one YAML file. Errors come back as diagnostics located at ``display:line:col``."""
    doc = YamlDocument(display)
    diagnostics: list[Diagnostic] = []
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as error:
        return doc, [_unreadable(display, error.strerror or str(error))]
    if len(raw) > MAX_FILE_BYTES:
        return doc, [Diagnostic(SourceLoc(display, 1, 1), Severity.ERROR, "yaml-limit",
                                f"file is larger than {MAX_FILE_BYTES} bytes; a threat-model "
                                "file is a few kilobytes (split it, or it is not one)")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return doc, [_unreadable(display, "not UTF-8 text")]
    doc.lines = tuple(text.splitlines())
    try:
        node = _compose(text)
    except _LimitError as error:
        return doc, [_limit_diagnostic(display, error)]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        loc = _mark_loc(display, mark) if mark else SourceLoc(display)
        problem = " ".join(filter(None, [error.context, error.problem]))
        return doc, [Diagnostic(loc, Severity.ERROR, "yaml-syntax",
                                f"YAML syntax error: {problem}")]
    except yaml.YAMLError as error:
        return doc, [Diagnostic(SourceLoc(display), Severity.ERROR, "yaml-syntax",
                                f"YAML error: {error}")]
    if node is None:
        return doc, [Diagnostic(SourceLoc(display, 1, 1), Severity.ERROR, "empty-file",
                                "file is empty: expected a YAML mapping")]
    try:
        doc.data = _convert(node, doc, (), diagnostics, _Budget())
    except _LimitError as error:
        doc.value_locs.clear()
        doc.key_locs.clear()
        return doc, [_limit_diagnostic(display, error)]
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        loc = _mark_loc(display, mark) if mark else SourceLoc(display)
        diagnostics.append(Diagnostic(loc, Severity.ERROR, "yaml-value", str(error.problem)))
    return doc, diagnostics


def _limit_diagnostic(display: str, error: _LimitError) -> Diagnostic:
    return Diagnostic(_mark_loc(display, error.mark), Severity.ERROR, "yaml-limit",
                      f"refused: {error} (limits protect against hostile YAML)")


def _unreadable(display: str, reason: str) -> Diagnostic:
    return Diagnostic(SourceLoc(display), Severity.ERROR, "unreadable",
                      f"cannot read file: {reason}")
