"""Reading YAML into plain Python data while keeping the line of every key and value.

PyYAML's ``safe_load`` forgets where things came from and silently keeps the
last of two equal keys. We compose the node graph instead (safe: no tags are
constructed beyond scalars) and convert it ourselves, so that every later
message can say ``file:line:col`` and a repeated key is an error, not data loss.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.model.items import TextPlace

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


_SCALARS = yaml.constructor.SafeConstructor()


def _mark_loc(path: str, mark: Any) -> SourceLoc:
    return SourceLoc(path, mark.line + 1, mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    try:
        value = _SCALARS.construct_object(node, deep=True)
    except ValueError:
        # a date-shaped scalar that is no date (2026-02-30): keep the text, so the
        # schema reports it at its line instead of the reader failing
        return node.value
    # Unquoted dates are natural in YAML; the model stores them as ISO text.
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _convert(node: yaml.Node, doc: YamlDocument, data_path: DataPath,
             diagnostics: list[Diagnostic]) -> Any:
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
            result[key] = _convert(value_node, doc, child_path, diagnostics)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_convert(child, doc, (*data_path, index), diagnostics)
                for index, child in enumerate(node.value)]
    value = _scalar(node)
    if isinstance(value, str):
        # a block scalar ends where the next token starts: at column 0 of the line after
        end = node.end_mark.line + (1 if node.end_mark.column else 0)
        doc.text_ends[data_path] = max(end, node.start_mark.line + 1)
    return value


#: libyaml's composer when PyYAML was built with it: ten times faster on the model's
#: files, with the same nodes and marks. Errors are re-parsed by the pure-Python
#: composer so that their wording and position never depend on the build of PyYAML.
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)


def _compose(text: str) -> yaml.Node | None:
    if _FAST_LOADER is not None:
        try:
            return yaml.compose(text, Loader=_FAST_LOADER)
        except yaml.YAMLError:
            pass
    return yaml.compose(text, Loader=yaml.SafeLoader)


def read_yaml(path: Path, display: str) -> tuple[YamlDocument, list[Diagnostic]]:
    """Parse one YAML file. Errors come back as diagnostics located at ``display:line:col``."""
    doc = YamlDocument(display)
    diagnostics: list[Diagnostic] = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        return doc, [Diagnostic(SourceLoc(display), Severity.ERROR, "unreadable",
                                f"cannot read file: {reason}")]
    doc.lines = tuple(text.splitlines())
    try:
        node = _compose(text)
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
                                "file is empty: expected a mapping of threat-model sections")]
    try:
        doc.data = _convert(node, doc, (), diagnostics)
    except yaml.constructor.ConstructorError as error:
        mark = error.problem_mark
        loc = _mark_loc(display, mark) if mark else SourceLoc(display)
        diagnostics.append(Diagnostic(loc, Severity.ERROR, "yaml-value", str(error.problem)))
    return doc, diagnostics
