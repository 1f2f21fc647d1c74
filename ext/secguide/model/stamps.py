"""Writing review stamps (and an accepted status) into the threat-model YAML in place,
touching nothing else.

A stamp is spliced into the file's text at the exact character positions the
YAML parser reports, rather than by loading and re-dumping the document: a
round-trip dump (ruamel.yaml included) re-wraps long lines and re-indents flow
sequences, which on this project's own files changed 20-odd unrelated lines.

* An existing stamp keeps its style (flow or block), key order and comments;
  only its values are replaced (a block-style stamp gains or loses its ``note:``
  line; a flow-style stamp is rewritten as one flow mapping).
* A new stamp is one line, ``review: {by: ..., date: ..., fingerprint: ...}``,
  inserted right after the item's ``status:`` line (or its ``id:`` line).
* With a new status (``--status approved``) only the ``status:`` value changes,
  or a ``status:`` line is added after ``id:`` where the item had none.

Every edited file is re-read with the loader's own YAML reader and compared with
the original data plus the new stamps; any other difference aborts before any
file is replaced. Files are replaced atomically (temporary file + ``os.replace``).
"""

from __future__ import annotations

import copy
import datetime
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from secguide.diagnostics import SecguideError, display_path
from secguide.files import temp_beside
from secguide.model.loader import threatmodel_files
from secguide.model.yaml_source import compose_bounded, read_yaml

STAMP_KEYS = ("by", "date", "fingerprint")
#: Sections whose items carry stamps; assumptions live in ``scope.assumptions``, clauses
#: in ``standard.clauses`` (group headings included).
STAMPED_SECTIONS = ("assets", "out_of_scope", "threats", "responsibilities", "recommendations")


@dataclass(frozen=True, slots=True)
class NewStamp:
    by: str
    date: str
    fingerprint: str
    note: str = ""
    #: the item's new ``status`` value, or None to leave it
    status: str | None = None

    def as_dict(self) -> dict[str, str]:
        stamp = {"by": self.by, "date": self.date, "fingerprint": self.fingerprint}
        if self.note:
            stamp["note"] = self.note
        return stamp


@dataclass(frozen=True, slots=True)
class _Splice:
    start: int  # character index in the file's text
    end: int
    text: str


def yaml_scalar(text: str) -> str:
    """``text`` as a YAML scalar that reads back as exactly ``text``.

    Plain when YAML reads the plain form back unchanged (an ISO date counts, as
    the loader stores dates as ISO text), double-quoted JSON otherwise.
    """
    if text and text == text.strip() and "\n" not in text:
        try:
            value = yaml.safe_load(f"{{k: {text}}}")
        except yaml.YAMLError:
            value = None
        if isinstance(value, dict) and list(value) == ["k"]:
            read = value["k"]
            if isinstance(read, datetime.date):
                read = read.isoformat()
            if read == text:
                return text
    return json.dumps(text, ensure_ascii=False)


def stamp_line(stamp: NewStamp) -> str:
    """The one-line flow mapping of a new stamp, without indentation or newline."""
    return ("review: {" + ", ".join(f"{key}: {yaml_scalar(value)}"
                                    for key, value in stamp.as_dict().items()) + "}")


def _mapping_get(node: yaml.MappingNode, key: str) -> tuple[yaml.Node, yaml.Node] | None:
    for key_node, value_node in node.value:
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            return key_node, value_node
    return None


def _item_nodes(root: yaml.Node) -> list[tuple[str, yaml.MappingNode]]:
    """(ID, mapping node) of every stampable item of one file."""
    if not isinstance(root, yaml.MappingNode):
        return []
    sequences = [_mapping_get(root, name) for name in STAMPED_SECTIONS]
    scope = _mapping_get(root, "scope")
    if scope is not None and isinstance(scope[1], yaml.MappingNode):
        sequences.append(_mapping_get(scope[1], "assumptions"))
    standard = _mapping_get(root, "standard")
    if standard is not None and isinstance(standard[1], yaml.MappingNode):
        sequences.append(_mapping_get(standard[1], "clauses"))
    found = []
    for section in sequences:
        if section is None or not isinstance(section[1], yaml.SequenceNode):
            continue
        for item in section[1].value:
            if isinstance(item, yaml.MappingNode):
                id_entry = _mapping_get(item, "id")
                if id_entry is not None and isinstance(id_entry[1], yaml.ScalarNode):
                    found.append((id_entry[1].value, item))
    return found


def _where(display: str, node: yaml.Node) -> str:
    return f"{display}:{node.start_mark.line + 1}:{node.start_mark.column + 1}"


def _newline_of(text: str) -> str:
    return "\r\n" if text.split("\n", 1)[0].endswith("\r") else "\n"


def _one_line_value(item_id: str, key: str, value: yaml.Node, display: str) -> yaml.ScalarNode:
    if not isinstance(value, yaml.ScalarNode) or value.style in ("|", ">") \
            or value.start_mark.line != value.end_mark.line:
        raise SecguideError(f"{_where(display, value)}: cannot stamp {item_id}: write "
                            f"'{key}' on one line", exit_code=1)
    return value


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _after_line(text: str, index: int) -> int:
    """The index just past the newline ending the line that holds ``index``."""
    end = text.find("\n", index)
    return len(text) if end == -1 else end + 1


def _restamp_splices(item_id: str, review: yaml.Node, stamp: NewStamp, text: str,
                     display: str) -> list[_Splice]:
    if not isinstance(review, yaml.MappingNode):
        raise SecguideError(f"{_where(display, review)}: cannot re-stamp {item_id}: "
                            "'review' is not a mapping", exit_code=1)
    if review.flow_style:
        line = stamp_line(stamp).removeprefix("review: ")
        return [_Splice(review.start_mark.index, review.end_mark.index, line)]
    splices = []
    for key in STAMP_KEYS:
        entry = _mapping_get(review, key)
        if entry is None:
            raise SecguideError(f"{_where(display, review)}: cannot re-stamp {item_id}: "
                                f"its review has no '{key}' value", exit_code=1)
        value = _one_line_value(item_id, f"review {key}", entry[1], display)
        splices.append(_Splice(value.start_mark.index, value.end_mark.index,
                               yaml_scalar(getattr(stamp, key))))
    note = _mapping_get(review, "note")
    if note is not None:
        value = _one_line_value(item_id, "review note", note[1], display)
        if stamp.note:
            splices.append(_Splice(value.start_mark.index, value.end_mark.index,
                                   yaml_scalar(stamp.note)))
        else:  # the old decision note does not describe the new review
            start = _line_start(text, note[0].start_mark.index)
            splices.append(_Splice(start, _after_line(text, value.end_mark.index), ""))
    elif stamp.note:
        _, last_value = review.value[-1]
        indent = " " * review.value[0][0].start_mark.column
        at = _after_line(text, last_value.end_mark.index)
        prefix = "" if text[at - 1:at] == "\n" else _newline_of(text)
        splices.append(_Splice(at, at, f"{prefix}{indent}note: {yaml_scalar(stamp.note)}"
                                       f"{_newline_of(text)}"))
    return splices


def _splices_for(item_id: str, node: yaml.MappingNode, stamp: NewStamp, text: str,
                 display: str) -> list[_Splice]:
    if node.flow_style:
        raise SecguideError(f"{_where(display, node)}: cannot stamp {item_id}: the "
                            "item is written in flow style ({...}); use block style",
                            exit_code=1)
    splices: list[_Splice] = []
    status = _mapping_get(node, "status")
    if stamp.status is not None and status is not None:
        value = _one_line_value(item_id, "status", status[1], display)
        splices.append(_Splice(value.start_mark.index, value.end_mark.index,
                               yaml_scalar(stamp.status)))
    existing = _mapping_get(node, "review")
    if existing is not None:
        splices += _restamp_splices(item_id, existing[1], stamp, text, display)
    added = []
    if stamp.status is not None and status is None:
        added.append(f"status: {yaml_scalar(stamp.status)}")
    if existing is None:
        added.append(stamp_line(stamp))
    if added:
        anchor = status or _mapping_get(node, "id")
        assert anchor is not None  # the caller found the item by its id
        key_node, value_node = anchor
        newline = _newline_of(text)
        indent = " " * key_node.start_mark.column
        lines = "".join(indent + line + newline for line in added)
        at = _after_line(text, value_node.end_mark.index)
        if text[at - 1:at] != "\n":  # the file ends on the anchor line, without a newline
            lines = newline + lines
        splices.append(_Splice(at, at, lines))
    return splices


def _apply(text: str, splices: list[_Splice]) -> str:
    for splice in sorted(splices, key=lambda s: s.start, reverse=True):
        text = text[:splice.start] + splice.text + text[splice.end:]
    return text


def _expected_data(data: Any, stamps: Mapping[str, NewStamp]) -> Any:
    expected = copy.deepcopy(data)
    items = [entry for section in STAMPED_SECTIONS for entry in expected.get(section) or []]
    scope = expected.get("scope")
    if isinstance(scope, dict):
        items += scope.get("assumptions") or []
    standard = expected.get("standard")
    if isinstance(standard, dict):
        items += standard.get("clauses") or []
    for item in items:
        if isinstance(item, dict) and item.get("id") in stamps:
            stamp = stamps[item["id"]]
            item["review"] = stamp.as_dict()
            if stamp.status is not None:
                item["status"] = stamp.status
    return expected


def _read_text(path: Path, display: str) -> str:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise SecguideError(f"{display}: cannot read: {reason}", exit_code=1) from None


def plan_stamps(directory: Path, stamps: Mapping[str, NewStamp]) -> dict[Path, str]:
    """The new text of every threat-model file that holds one of the stamped items.

    Raises:
        SecguideError: an ID is in no file (or in two), a file does not parse, or an
            item's layout cannot be stamped safely (exit code 1).
    """
    planned: dict[Path, str] = {}
    seen: dict[str, str] = {}
    for path in threatmodel_files(directory):
        display = display_path(path)
        text = _read_text(path, display)
        try:
            root = compose_bounded(text)
        except yaml.YAMLError as error:
            raise SecguideError(f"{display}: YAML error, fix it before stamping: {error}",
                                exit_code=1) from None
        splices: list[_Splice] = []
        for item_id, node in _item_nodes(root):
            if item_id not in stamps:
                continue
            here = _where(display, node)
            if item_id in seen:
                raise SecguideError(f"{here}: {item_id} is also defined at {seen[item_id]}",
                                    exit_code=1)
            seen[item_id] = here
            splices += _splices_for(item_id, node, stamps[item_id], text, display)
        if splices:
            planned[path] = _apply(text, splices)
    missing = sorted(set(stamps) - set(seen))
    if missing:
        raise SecguideError(f"{', '.join(missing)}: no such reviewable item in {directory}",
                            exit_code=1)
    return planned


def write_stamps(planned: Mapping[Path, str], stamps: Mapping[str, NewStamp]) -> None:
    """Verify every planned file, then replace them; on any problem no file is touched.

    Raises:
        SecguideError: a planned text does not read back as the original data plus
            the new stamps, or a file cannot be written (exit code 1).
    """
    temps: dict[Path, Path] = {}
    try:
        for path, text in planned.items():
            display = display_path(path)
            tmp = temp_beside(path, text)
            temps[path] = tmp
            before, problems_before = read_yaml(path, display)
            after, problems_after = read_yaml(tmp, display)
            if problems_after and not problems_before:
                raise SecguideError(f"{display}: stamping would break the file "
                                    f"({problems_after[0].message}); left untouched",
                                    exit_code=1)
            if after.data != _expected_data(before.data, stamps):
                raise SecguideError(f"{display}: stamping would change more than the review "
                                    "stamps and statuses; left untouched", exit_code=1)
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
