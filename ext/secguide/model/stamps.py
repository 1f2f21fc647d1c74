"""Writing review stamps into the threat-model YAML in place, touching nothing else.

A stamp is spliced into the file's text at the exact character positions the
YAML parser reports, rather than by loading and re-dumping the document: a
round-trip dump (ruamel.yaml included) re-wraps long lines and re-indents flow
sequences, which on this project's own files changed 20-odd unrelated lines.

* An existing stamp keeps its style (flow or block), key order and comments;
  only the three values are replaced.
* A new stamp is one line, ``review: {by: ..., date: ..., fingerprint: ...}``,
  inserted right after the recommendation's ``status:`` line.

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
from secguide.model.yaml_source import read_yaml

STAMP_KEYS = ("by", "date", "fingerprint")


@dataclass(frozen=True, slots=True)
class NewStamp:
    by: str
    date: str
    fingerprint: str

    def as_dict(self) -> dict[str, str]:
        return {"by": self.by, "date": self.date, "fingerprint": self.fingerprint}


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


def _recommendation_nodes(root: yaml.Node) -> list[tuple[str, yaml.MappingNode]]:
    """(ID, node) of every stampable item of one file: recommendations and clauses."""
    if not isinstance(root, yaml.MappingNode):
        return []
    section = _mapping_get(root, "recommendations")
    standard = _mapping_get(root, "standard")
    if standard is not None and isinstance(standard[1], yaml.MappingNode):
        section = _mapping_get(standard[1], "clauses")
    if section is None or not isinstance(section[1], yaml.SequenceNode):
        return []
    found = []
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


def _splices_for(item_id: str, node: yaml.MappingNode, stamp: NewStamp, text: str,
                 display: str) -> list[_Splice]:
    if node.flow_style:
        raise SecguideError(f"{_where(display, node)}: cannot stamp {item_id}: the "
                            "recommendation is written in flow style ({...}); use block style",
                            exit_code=1)
    existing = _mapping_get(node, "review")
    if existing is not None:
        review = existing[1]
        if not isinstance(review, yaml.MappingNode):
            raise SecguideError(f"{_where(display, review)}: cannot re-stamp {item_id}: "
                                "'review' is not a mapping", exit_code=1)
        splices = []
        for key in STAMP_KEYS:
            entry = _mapping_get(review, key)
            if entry is None or not isinstance(entry[1], yaml.ScalarNode):
                raise SecguideError(f"{_where(display, review)}: cannot re-stamp {item_id}: "
                                    f"its review has no '{key}' value", exit_code=1)
            value = entry[1]
            if value.style in ("|", ">") or value.start_mark.line != value.end_mark.line:
                raise SecguideError(f"{_where(display, value)}: cannot re-stamp {item_id}: "
                                    f"write review '{key}' on one line", exit_code=1)
            splices.append(_Splice(value.start_mark.index, value.end_mark.index,
                                   yaml_scalar(getattr(stamp, key))))
        return splices
    anchor = _mapping_get(node, "status") or _mapping_get(node, "id")
    assert anchor is not None  # the caller found the item by its id
    key_node, value_node = anchor
    line_end = text.find("\n", value_node.end_mark.index)
    newline = _newline_of(text)
    indent = " " * key_node.start_mark.column
    if line_end == -1:  # the file ends on the anchor line, without a newline
        return [_Splice(len(text), len(text), newline + indent + stamp_line(stamp) + newline)]
    return [_Splice(line_end + 1, line_end + 1, indent + stamp_line(stamp) + newline)]


def _apply(text: str, splices: list[_Splice]) -> str:
    for splice in sorted(splices, key=lambda s: s.start, reverse=True):
        text = text[:splice.start] + splice.text + text[splice.end:]
    return text


def _expected_data(data: Any, stamps: Mapping[str, NewStamp]) -> Any:
    expected = copy.deepcopy(data)
    standard = expected.get("standard")
    clauses = standard.get("clauses") if isinstance(standard, dict) else None
    for item in [*(expected.get("recommendations") or []), *(clauses or [])]:
        if isinstance(item, dict) and item.get("id") in stamps:
            item["review"] = stamps[item["id"]].as_dict()
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
            root = yaml.compose(text, Loader=yaml.SafeLoader)
        except yaml.YAMLError as error:
            raise SecguideError(f"{display}: YAML error, fix it before stamping: {error}",
                                exit_code=1) from None
        splices: list[_Splice] = []
        for item_id, node in _recommendation_nodes(root):
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
        raise SecguideError(f"{', '.join(missing)}: no such recommendation in {directory}",
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
                                    "stamps; left untouched", exit_code=1)
        for path, tmp in temps.items():
            os.replace(tmp, path)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
