"""The Changes page of a tiny guide in a git repository: what the model changed since
``secguide_diff_base``, word diffs included; a revision that does not exist is refused."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

import pytest
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sphinx" / "basic"
PAGE = "Changes\n#######\n\n.. secguide-model-diff::\n"


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=Test", "-c",
                    "user.email=test@example.org", *args], check=True, capture_output=True)


@pytest.fixture
def guide(tmp_path: Path) -> Path:
    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    (project / "changes.rst").write_text(PAGE)
    index = project / "index.rst"
    index.write_text(index.read_text() + "\n.. toctree::\n\n   changes\n")
    git(project, "init", "-q")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "base")
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("from being used", "from being followed"))
    threats = project / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text() + "  - id: THR-NEW\n    title: A new threat\n"
                       "    description: Something new.\n    mitigated_by: [REC-CANARIES]\n")
    return project


def build(project: Path, zephyr: Path, **overrides: str) -> str:
    app = SphinxTestApp("html", srcdir=project, confoverrides={
        "secguide_zephyr_base": str(zephyr), **overrides})
    try:
        app.build()
    finally:
        app.cleanup()
    return (project / "_build" / "html" / "changes.html").read_text()


@pytest.mark.slow
def test_changes_page_lists_what_the_model_changed(guide: Path, zephyr_v4_path: Path) -> None:
    page = build(guide, zephyr_v4_path, secguide_diff_base="HEAD")
    assert "changed recommendation" in page and "added threat" in page
    assert '<span class="secguide-diff-removed">used.</span>' in page
    assert '<span class="secguide-diff-added">followed.</span>' in page
    assert "threat THR-NEW: gains mitigation REC-CANARIES" in page
    assert "needs sign-off: THR-NEW: new item" in page
    # both sides are checked with their own pages: no finding moves
    assert 'id="checks"' not in page


@pytest.mark.slow
def test_without_a_base_the_page_says_so(guide: Path, zephyr_v4_path: Path) -> None:
    page = build(guide, zephyr_v4_path)
    assert "No base revision is configured (secguide_diff_base)" in page


@pytest.mark.slow
def test_unknown_revision_is_a_configuration_error(guide: Path, zephyr_v4_path: Path) -> None:
    warnings = io.StringIO()
    with pytest.raises(ConfigError, match="invalid configuration value"):
        SphinxTestApp("html", srcdir=guide, warning=warnings, confoverrides={
            "secguide_zephyr_base": str(zephyr_v4_path),
            "secguide_diff_base": "no-such-branch"})
    assert "secguide_diff_base" in warnings.getvalue()
    assert "'no-such-branch': no-such-branch: no such revision" in warnings.getvalue()


@pytest.mark.slow
def test_unauthorised_stamp_is_a_build_warning_at_the_stamp(tmp_path: Path,
                                                            zephyr_v4_path: Path) -> None:
    from secguide.cli.main import main

    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    (project / "threatmodel" / "reviewers.yaml").write_text(
        "reviewers:\n  - name: Wendy\n    emails: [wendy@wg.example]\n")
    git(project, "init", "-q")
    assert main(["review", "--threatmodel", str(project / "threatmodel"), "--zephyr-base",
                 str(zephyr_v4_path), "--by", "Wendy", "--date", "2026-01-05",
                 "--accept", "REC-CANARIES"]) == 0
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "stamped by someone else")  # as Test <test@example.org>
    warnings = io.StringIO()
    app = SphinxTestApp("html", srcdir=project, warning=warnings, confoverrides={
        "secguide_zephyr_base": str(zephyr_v4_path)})
    try:
        app.build()
    finally:
        app.cleanup()
    lines = (project / "threatmodel" / "recommendations.yaml").read_text().splitlines()
    stamp_line = next(n for n, text in enumerate(lines, 1) if "review: {by: Wendy" in text)
    assert (f"threatmodel/recommendations.yaml:{stamp_line}: WARNING: the review stamp of "
            "REC-CANARIES (by Wendy) is not the Working Group's: commit ") in warnings.getvalue()
    assert "by Test <test@example.org>" in warnings.getvalue()
    assert "[secguide.unauthorised-stamp]" in warnings.getvalue()
