"""The hardening page of a tiny guide: a broken database is a warning at its YAML line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sphinx" / "basic"


@pytest.mark.slow
def test_broken_database_warns_at_file_line(tmp_path: Path, zephyr_v4_path: Path) -> None:
    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    central = project / "db" / "scripts" / "kconfig" / "hardening.yaml"
    central.parent.mkdir(parents=True)
    central.write_text("profiles:\n  base:\n    description: b\n"
                       "rules:\n  BOOT_BANNER:\n    value: n\n")
    (project / "hardening.rst").write_text("Hardening\n#########\n\n.. secguide-hardening::\n")
    index = project / "index.rst"
    index.write_text(index.read_text() + "\n.. toctree::\n\n   hardening\n")
    app = SphinxTestApp("html", srcdir=project, confoverrides={
        "secguide_zephyr_base": str(zephyr_v4_path), "secguide_hardening_db": "db"})
    try:
        app.build()
        warnings = app.warning.getvalue()
    finally:
        app.cleanup()
    assert "db/scripts/kconfig/hardening.yaml:5: WARNING: rules/BOOT_BANNER: 'rationale' is " \
           "a required property [secguide.hardening.schema]" in warnings
    page = (project / "_build" / "html" / "hardening.html").read_text()
    assert "Upstream rules" in page
