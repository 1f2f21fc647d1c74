"""A change to secguide's own code makes Sphinx re-read every page (env_version)."""

from __future__ import annotations

import shutil
from pathlib import Path

import secguide
from secguide.sphinx import ENV_VERSION
from secguide.sphinx.code_version import code_version

PACKAGE = Path(secguide.__file__).resolve().parent


def test_the_extension_reports_the_digest_of_its_package() -> None:
    assert code_version(PACKAGE) == ENV_VERSION


def test_a_code_or_template_change_changes_it_and_caches_do_not(tmp_path: Path) -> None:
    copy = tmp_path / "secguide"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = code_version(copy)
    assert before == code_version(copy)  # deterministic
    (copy / "__pycache__").mkdir(exist_ok=True)
    (copy / "__pycache__" / "x.cpython-311.pyc").write_bytes(b"compiled")
    (copy / "notes.txt").write_text("not a source file", encoding="utf-8")
    assert code_version(copy) == before
    needs = copy / "trace" / "needs.py"
    needs.write_text(needs.read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    changed = code_version(copy)
    assert changed != before
    template = next((copy / "templates").glob("*.j2"))
    template.write_text(template.read_text(encoding="utf-8") + " ", encoding="utf-8")
    assert code_version(copy) not in {before, changed}
