"""The two faces agree: ``secguide check --strict`` and a ``-W`` guide build of one model.

Each case breaks the tiny guide's threat model in one way; both faces must report
the same set of (code, file, line) and each must fail exactly when the other does.
The findings come from one place (``secguide.trace.project.Project``); this test
keeps it that way when a check is added to only one face.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
from collections.abc import Callable
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from secguide.cli.main import main

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sphinx" / "basic"
RECS = "threatmodel/recommendations.yaml"
THREATS = "threatmodel/threats.yaml"

Finding = tuple[str, str, int]


def _edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        target = project / path
        text = target.read_text()
        assert old in text, f"{old!r} not in {path}"
        target.write_text(text.replace(old, new, 1))
    return apply


def _append(path: str, text: str) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        with (project / path).open("a") as handle:
            handle.write(text)
    return apply


UNMITIGATED = """\
  - id: REC-ORPHAN
    title: A recommendation no threat lists
    area: general
    status: draft
    rationale: Nothing links here.
    settings:
      - symbol: STACK_CANARIES
        value: "y"
    verification:
      - id: TEST-MAN-ORPHAN
        manual: Checked by hand.
"""

#: name -> edit of the fixture model; "clean" must pass both faces.
CASES: dict[str, Callable[[Path], None]] = {
    "clean": lambda project: None,
    "unknown-symbol": _edit(RECS, "symbol: STACK_CANARIES", "symbol: STACK_CANARIS"),
    "prose-symbol": _edit(RECS, "Canaries stop", "CONFIG_STAK_CANARIES stops"),
    "mitigates-nothing-in-general-area": _append(RECS, UNMITIGATED),
    "dangling-id": _edit(THREATS, "[REC-CANARIES]", "[REC-CANARIES, REC-CANARIE]"),
    "bad-value": _edit(RECS, 'value: "y"', 'value: "yes"'),
    "unknown-field": _edit(RECS, "    rationale:", "    rationle: typo\n    rationale:"),
    "yaml-syntax": _edit(THREATS, "title: Stack smashing", "title: [Stack smashing"),
    "no-verification": lambda project: (project / RECS).write_text(
        (project / RECS).read_text().split("    verification:\n")[0]),
    "no-mitigation": _edit(THREATS, "    mitigated_by: [REC-CANARIES]\n", ""),
    # the page renders one area; REC-CANARIES is in another
    "area-without-page": _edit("model.rst", ".. secguide-recommendations::\n",
                               ".. secguide-recommendations::\n   :area: x86\n"),
    "status-without-page": _edit("model.rst", ".. secguide-recommendations::\n",
                                 ".. secguide-recommendations::\n   :status: approved\n"),
    "unsafe-markup": _edit(RECS, "    rationale: Canaries stop a smashed return address "
                           "from being used.\n",
                           "    rationale: |\n      Canaries stop smashing.\n\n"
                           "      .. raw:: html\n\n         <script>x</script>\n\n"
                           "      See `x <javascript:alert(1)>`_.\n"),
    "unsafe-link-in-folded-threat": _edit(THREATS, "description: Input overruns a stack buffer.",
                                          "description: >-\n      Input overruns a stack\n"
                                          "      buffer, vbscript:x says."),
    "unknown-profile": _edit(RECS, "    status: draft\n",
                             "    status: draft\n    profiles: [nonexistent]\n"),
    "since-a-later-release": _edit(RECS, '        value: "y"\n',
                                   '        value: "y"\n        since: "9.9.0"\n'),
    # two scenario names that differ only in punctuation get one short ID
    "verification-id-collision": _edit(RECS, "    verification:\n",
                                       "    verification:\n      - zephyr_test: net.socket_tcp\n"
                                       "      - zephyr_test: net.socket.tcp\n"),
}


@pytest.fixture
def guide(tmp_path: Path, mini_tree: Path) -> Path:
    src = tmp_path / "guide"
    shutil.copytree(FIXTURE, src)
    with (src / "conf.py").open("a") as conf:
        conf.write(f"secguide_zephyr_base = {str(mini_tree)!r}\n")
    return src


def check_findings(project: Path, tree: Path, monkeypatch: pytest.MonkeyPatch,
                   ) -> tuple[int, set[Finding]]:
    """``secguide check --strict`` run from the guide folder: exit code and findings."""
    monkeypatch.chdir(project)
    out = io.StringIO()
    with redirect_stdout(out):
        code = main(["check", "--strict", "--format", "json", "--zephyr-base", str(tree)])
    report = json.loads(out.getvalue())
    return code, {(d["code"], d["path"], d["line"]) for d in report["diagnostics"]
                  if d["severity"] in ("error", "warning")}


WARNING_LINE = re.compile(r"^(?P<path>[^\s:]+):(?P<line>\d+): (?:WARNING|ERROR): .* "
                          r"\[secguide\.(?P<code>[a-z-]+)\]$")


def build_findings(project: Path) -> tuple[int, set[Finding], list[str]]:
    """A ``-W`` build: its status code, its secguide findings, and every warning line."""
    app = SphinxTestApp("html", srcdir=project, builddir=project / "_build",
                        warningiserror=True, freshenv=True)
    try:
        app.build()
    finally:
        app.cleanup()
    text = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
    lines = [line.replace(str(project) + os.sep, "") for line in text.splitlines()
             if "WARNING" in line or "ERROR" in line]
    found = set()
    for line in lines:
        match = WARNING_LINE.match(line)
        if match:
            found.add((match["code"], match["path"], int(match["line"])))
    return app.statuscode, found, lines


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_check_and_build_report_the_same_findings(
        case: str, guide: Path, mini_tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    CASES[case](guide)
    code, checked = check_findings(guide, mini_tree, monkeypatch)
    status, built, lines = build_findings(guide)
    # every warning of the build is a located secguide finding, so none escapes the comparison
    assert len(built) == len(lines), lines
    assert checked == built
    assert (code == 1) == (status != 0) == bool(checked) == (case != "clean")
