"""Indented, key-sorted JSON text, the bytes ``json.dumps`` writes, several times faster.

With ``indent`` set, Python's ``json`` leaves its C encoder for a pure-Python one;
needs.json of a large guide (millions of link entries) then took longer to encode
than the whole model took to check. This writer walks the data once and hands every
string and number to ``json``'s own encoders, so the text is the same to the byte:
``json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)``.
"""

from __future__ import annotations

import json
from json.encoder import encode_basestring
from typing import Any


class _NotPlain(Exception):
    """The data holds a mapping key that is not text: ``json`` decides how to write it."""


def indented_json(data: Any) -> str:
    """``json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)``, faster.

    Raises:
        TypeError: as ``json.dumps`` does, for a value JSON cannot hold.
    """
    chunks: list[str] = []
    try:
        _write(data, chunks, "\n")
    except _NotPlain:
        return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False)
    return "".join(chunks)


def _write(value: Any, out: list[str], newline: str) -> None:
    """Append ``value`` at the indentation that ``newline`` (``\\n`` and spaces) opens."""
    if isinstance(value, str):
        out.append(encode_basestring(value))
    elif isinstance(value, dict):
        if not value:
            out.append("{}")
            return
        if not all(isinstance(key, str) for key in value):
            raise _NotPlain
        inner = newline + "  "
        separator = "{" + inner
        for key in sorted(value):
            entry = value[key]
            if type(entry) is str:  # most values of a need: written here, without a call
                out.append(separator + encode_basestring(key) + ": "
                           + encode_basestring(entry))
            else:
                out.append(separator + encode_basestring(key) + ": ")
                _write(entry, out, inner)
            separator = "," + inner
        out.append(newline + "}")
    elif isinstance(value, list | tuple):
        if not value:
            out.append("[]")
            return
        inner = newline + "  "
        if all(isinstance(entry, str) for entry in value):  # link lists: most of the text
            out.append("[" + inner + ("," + inner).join(map(encode_basestring, value))
                       + newline + "]")
            return
        separator = "[" + inner
        for entry in value:
            out.append(separator)
            _write(entry, out, inner)
            separator = "," + inner
        out.append(newline + "]")
    else:  # numbers, true, false, null (and what JSON cannot hold: json raises)
        out.append(json.dumps(value))
