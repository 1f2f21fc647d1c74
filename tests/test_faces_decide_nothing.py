"""Every verdict is decided in ``secguide.trace``: the faces (cli, sphinx) never compare one.

import-linter (``pyproject.toml``) keeps the faces from importing the audit's
deciding modules; this test reads the faces' source and refuses any comparison
with a verdict: a member of a ``*Verdict`` enum of ``trace``, or the text of one.
"""

from __future__ import annotations

import ast
import enum
import importlib
import pkgutil
from pathlib import Path

import secguide.trace

PACKAGE = Path(secguide.trace.__file__).resolve().parent.parent
FACES = ("cli", "sphinx")


def _verdict_enums() -> dict[str, set[str]]:
    """Every ``*Verdict`` enum defined in ``secguide.trace``: name -> its values."""
    found: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(secguide.trace.__path__):
        module = importlib.import_module(f"secguide.trace.{info.name}")
        for name, value in vars(module).items():
            if (isinstance(value, type) and issubclass(value, enum.Enum)
                    and name.endswith("Verdict") and value.__module__ == module.__name__):
                found[name] = {str(member.value) for member in value}
    return found


def _compared(node: ast.Compare) -> list[ast.expr]:
    operands = [node.left, *node.comparators]
    flat: list[ast.expr] = []
    for operand in operands:
        flat += list(operand.elts) if isinstance(operand, ast.Tuple | ast.List | ast.Set) \
            else [operand]
    return flat


def _offences(path: Path, enums: dict[str, set[str]]) -> list[str]:
    texts = set().union(*enums.values())
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Compare):
            continue
        for operand in _compared(node):
            if isinstance(operand, ast.Attribute) and isinstance(operand.value, ast.Name) \
                    and operand.value.id in enums:
                found.append(f"{path.name}:{node.lineno}: compares {operand.value.id}."
                             f"{operand.attr}")
            if isinstance(operand, ast.Constant) and operand.value in texts:
                found.append(f"{path.name}:{node.lineno}: compares {operand.value!r}")
    return found


def test_the_verdict_enums_are_found() -> None:
    enums = _verdict_enums()
    assert {"PASS", "FAIL", "NOT-APPLICABLE", "WAIVED", "UNKNOWN"} == enums["Verdict"]
    assert "EvidenceVerdict" in enums


def test_no_face_compares_a_verdict() -> None:
    enums = _verdict_enums()
    offences = [offence for face in FACES for path in sorted((PACKAGE / face).rglob("*.py"))
                for offence in _offences(path, enums)]
    assert offences == []


def test_the_check_sees_a_comparison(tmp_path: Path) -> None:
    face = tmp_path / "face.py"
    face.write_text("def f(r):\n    return r.verdict is Verdict.FAIL or r.kind == 'WAIVED'\n")
    assert _offences(face, {"Verdict": {"FAIL", "WAIVED"}}) == [
        "face.py:2: compares Verdict.FAIL", "face.py:2: compares 'WAIVED'"]
