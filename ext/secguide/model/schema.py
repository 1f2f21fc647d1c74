r"""JSON Schema validation of one threat-model file, with messages a YAML author understands.

jsonschema's own messages speak of instances and subschemas; these name the
field, the section and what to write instead, and point at the YAML line.

A file is first given to jsonschema-rs (compiled, about fifty times faster): when it
says *valid*, the file is valid for jsonschema too, and nothing more is done. Any
other answer (invalid, or data it cannot take, such as a key that is not text) goes
to jsonschema, which decides and words every message. jsonschema-rs is never more
lenient on the threat-model schema (tests/model/test_schema_fast_path.py): its
``$`` does not match before a final newline and its ``\s`` lacks only control
characters, which the reader has already made inert.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

import jsonschema

try:  # sphinx-needs depends on it too; without it, jsonschema alone decides (slower)
    import jsonschema_rs
except ImportError:  # pragma: no cover - a stripped-down installation
    jsonschema_rs = None

from secguide.diagnostics import Diagnostic, Severity
from secguide.model.yaml_source import DataPath, YamlDocument

_SECTION_NOUNS = {
    "assets": "asset", "adversaries": "adversary", "out_of_scope": "out-of-scope item",
    "threats": "threat",
    "responsibilities": "responsibility", "recommendations": "recommendation",
    "waivers": "waiver", "settings": "setting", "verification": "verification entry",
    "assumptions": "assumption", "profiles": "profile",
}
_TYPE_NAMES = {"string": "text", "integer": "a whole number", "array": "a list",
               "object": "a mapping", "boolean": "true or false"}


@functools.cache
def threatmodel_schema() -> dict[str, Any]:
    text = resources.files("secguide.model").joinpath("schema/threatmodel.schema.json").read_text()
    return json.loads(text)


@functools.cache
def _validator() -> jsonschema.protocols.Validator:
    # The packaged schema is checked against its metaschema by the tests
    # (tests/model/test_schema_file.py), not by every command: that check cost a
    # fifth of an audit's start-up.
    schema = threatmodel_schema()
    return jsonschema.validators.validator_for(schema)(schema)


@functools.cache
def _fast_validator() -> Any:
    if jsonschema_rs is None:
        return None
    return jsonschema_rs.validator_for(threatmodel_schema())


def surely_valid(data: Any) -> bool:
    """True when the compiled validator finds ``data`` valid (then jsonschema does too);
    False when it finds it invalid, cannot take it, or is not installed."""
    fast = _fast_validator()
    if fast is None:
        return False
    try:
        return bool(fast.is_valid(data))
    except Exception:  # whatever it cannot take, jsonschema decides
        # e.g. not JSON data: a key that is not text, bytes from !!binary, a lone surrogate
        return False


def _what(path: tuple[str | int, ...]) -> str:
    """'recommendation' for ('recommendations', 3), 'field rationale' otherwise."""
    for part in reversed(path):
        if isinstance(part, str) and part in _SECTION_NOUNS:
            return _SECTION_NOUNS[part]
    return "file" if not path else f"'{path[-1]}'"


def _type_text(expected: Any) -> str:
    names = expected if isinstance(expected, list) else [expected]
    return " or ".join(_TYPE_NAMES.get(name, name) for name in names)


def _actual_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a YAML boolean"
    return {dict: "a mapping", list: "a list", str: "text", int: "a number",
            float: "a decimal number", type(None): "empty"}.get(type(value), type(value).__name__)


_VERIFICATION_KEYS = ("zephyr_test", "pytest", "build_audit", "manual")


def _verification_problem(entry: Any) -> str:
    """What is wrong with a verification entry the schema's ``oneOf`` refused."""
    given = [key for key in _VERIFICATION_KEYS if isinstance(entry, dict) and key in entry]
    if given == ["manual"]:
        return ("a manual check needs a short stable 'id' (TEST-MAN-..., at most 40 "
                "characters), so that records of it can name it")
    if len(given) == 1 and "id" in entry:
        return f"'id' is given only to manual checks; a '{given[0]}' entry derives its own"
    return ("a verification entry needs exactly one of "
            "'zephyr_test', 'pytest', 'build_audit' or 'manual'")


def _message(error: jsonschema.ValidationError) -> tuple[str, str, bool]:
    """(code, message, points_at_key) for one schema error."""
    path = tuple(error.absolute_path)
    validator, value = error.validator, error.instance
    if validator == "additionalProperties":
        allowed = sorted(error.schema.get("properties", {}))
        extra = sorted(set(value) - set(allowed)) if isinstance(value, dict) else []
        names = ", ".join(f"'{name}'" for name in extra)
        return ("unknown-field",
                f"unknown field {names} in {_what(path)}; allowed: {', '.join(allowed)}", True)
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return "missing-field", f"{_what(path)} is missing required field '{missing}'", False
    if validator == "type":
        if isinstance(value, bool) and path and path[-1] == "value":
            return ("wrong-type", f"value {str(value).lower()} is a YAML boolean (YAML reads "
                    "yes/no/true/false/on/off that way); write the Kconfig value y or n", False)
        subject = _what(path) if not path or isinstance(path[-1], int) else f"'{path[-1]}'"
        return ("wrong-type", f"{subject} must be {_type_text(error.validator_value)}, "
                f"not {_actual_type(value)}", False)
    if validator == "enum":
        options = ", ".join(str(option) for option in error.validator_value)
        return ("bad-value", f"'{value}' is not allowed for '{path[-1]}'; use one of: {options}",
                False)
    if validator == "pattern":
        if len(path) >= 2 and isinstance(path[-1], int):
            subject = f"entry of '{path[-2]}'"
        else:
            subject = str(path[-1]) if path else "value"
        return ("bad-value",
                f"'{value}' is not a valid {subject} "
                f"(expected pattern {error.validator_value})", False)
    if validator == "minLength":
        return "bad-value", f"'{path[-1]}' must not be empty", False
    if validator in ("minProperties", "minItems"):
        return "bad-value", f"{_what(path)} must not be empty", False
    if validator == "uniqueItems":
        return "bad-value", f"'{path[-1]}' lists the same entry twice", False
    if validator == "oneOf" and path and "settings" in path:
        return ("bad-setting", "a setting needs either 'value' or 'min'/'max' (not both, "
                "not neither)", False)
    if validator == "maxLength":
        return ("bad-value", f"'{value}' is not a valid {path[-1]}: longer than "
                f"{error.validator_value} characters", False)
    if validator in ("oneOf", "dependentRequired") and path and "verification" in path:
        return "bad-verification", _verification_problem(value), False
    if validator in ("if", "then", "else", "not") and path and "recommendations" in path:
        return ("bad-deprecation", "a recommendation has a 'deprecated' block exactly when "
                "its status is 'deprecated'", False)
    return "schema", f"{_what(path)}: {error.message}", False


def schema_errors(doc: YamlDocument) -> list[tuple[DataPath, Diagnostic]]:
    """Every schema violation in ``doc`` with the data path it concerns, located at the
    offending key or value."""
    if not isinstance(doc.data, dict):
        return [((), Diagnostic(doc.loc(()), Severity.ERROR, "not-a-mapping",
                           "a threat-model file must be a mapping of sections "
                           "(scope, adversaries, threats, recommendations, ...), "
                           f"not {_actual_type(doc.data)}"))]
    if surely_valid(doc.data):
        return []
    found = []
    for error in sorted(_validator().iter_errors(doc.data),
                        key=lambda e: [str(p) for p in e.absolute_path]):
        code, message, at_key = _message(error)
        path = tuple(error.absolute_path)
        if at_key and isinstance(error.instance, dict):
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            path = (*path, extra[0]) if extra else path
        diagnostic = Diagnostic(doc.loc(path, key=at_key), Severity.ERROR, code, message)
        # two schema rules can refuse one entry for one reason (a verification's kinds)
        if all(diagnostic != earlier for _, earlier in found):
            found.append((tuple(error.absolute_path), diagnostic))
    return found
