"""A hostile model through both faces, and a bound on the whole build (issue 22).

The tiny guide gets payloads of every class of issue 22 at once: template syntax
for sphinx-needs' ``:need:`` role (escaped, and three nested loops that never end),
an ``emphasize-lines`` range that Sphinx would expand into a list of 10^14 numbers,
control characters, a ``pytest:`` reference to a file outside the project and a
model file that links to ``/etc/passwd``. ``secguide check`` and the Sphinx build
must report the same findings at the same file and line; the build runs in a
subprocess under CPU-time and address-space limits (each a large multiple of what
this build needs), so a payload that makes it run away fails the test instead of
hanging it.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.sphinx.test_sphinx_ext import guide_with_yaml

from secguide.cli.main import main

#: The tiny guide builds in about 1 s of CPU and under 150 MB; the limits leave room
#: for a slow machine and stop a runaway build long before it hurts one.
CPU_SECONDS = 40
ADDRESS_SPACE = 1536 << 20
WALL_SECONDS = 300  # only a backstop: the CPU limit ends a runaway build first

NESTED = ("{% for a in range(99999) %}{% for b in range(99999) %}"
          "{% for c in range(99999) %}x{% endfor %}{% endfor %}{% endfor %}")

HOSTILE = {
    "recommendations.yaml": f"""\
  - id: REC-EVAL
    title: "Evaluated {{{{ 7*7 }}}} title"
    area: general
    status: draft
    rationale: |
      A reference :need:`[\\[ 7*7 ]\\] <REC-CANARIES>` SHOWN-RATIONALE.
    references: ["https://example.org/\\e[8m"]
    settings:
      - symbol: STACK_CANARIES
        value: "y"
        note: |
          Code:

          .. code-block:: c
             :emphasize-lines: 1-99999999999999

             int x;
    verification:
      - id: TEST-MAN-EVAL
        manual: "Loop :need:`[[ id ]]{NESTED} <REC-CANARIES>`"
      - pytest: "PYTHON_FILE::dumps"
        note: "A bidi override \\u202e here"
""",
    "scope.yaml": f"""\
scope:
  boundary: |
    Bounded by :need:`[\\[ 7*7 ]\\] <REC-CANARIES>` SHOWN-BOUNDARY.
  shared_responsibility: "Shared :need:`[[ id ]]{NESTED} <REC-CANARIES>`"
""",
    "standards/hostile.yaml": """\
standard:
  id: STD-HOSTILE
  name: "A standard \\x85 name"
  edition: "1"
  summary: |
    Summary :need:`[\\[ 7*7 ]\\] <REC-CANARIES>` SHOWN-SUMMARY.
  clauses:
    - id: CLS-HOSTILE-1
      clause: "1"
      title: "A clause \\e[2J"
      met_by: configuration
      recommendations: [REC-CANARIES]
      justification: Ordinary text.
""",
}

#: (file, words on the line, code) of every finding both faces must report
EXPECTED = [
    ("recommendations.yaml", "Evaluated", "unsafe-markup"),
    ("recommendations.yaml", "SHOWN-RATIONALE", "unsafe-markup"),
    ("recommendations.yaml", "references", "unsafe-text"),
    ("recommendations.yaml", ":emphasize-lines:", "unsafe-markup"),
    ("recommendations.yaml", "manual: \"Loop", "unsafe-markup"),
    ("recommendations.yaml", "pytest:", "unsafe-path"),
    ("recommendations.yaml", "bidi override", "unsafe-text"),
    ("scope.yaml", "SHOWN-BOUNDARY", "unsafe-markup"),
    ("scope.yaml", "shared_responsibility", "unsafe-markup"),
    ("standards/hostile.yaml", "name:", "unsafe-text"),
    ("standards/hostile.yaml", "SHOWN-SUMMARY", "unsafe-markup"),
    ("standards/hostile.yaml", "A clause", "unsafe-text"),
]
CODES = {"unsafe-markup", "unsafe-text", "unsafe-path"}


#: The second line of defence, fed straight to the restricted profile (the model check
#: is bypassed): a probe directive on a page of its own.
PROBE = '''
def setup(app):
    from sphinx.util.docutils import SphinxDirective
    from secguide.sphinx.prose import restricted_nodes

    class Probe(SphinxDirective):
        has_content = True

        def run(self):
            return restricted_nodes(self, "\\n".join(self.content),
                                    self.env.doc2path(self.env.docname), self.lineno)

    app.add_directive("prose-probe", Probe)
'''

PROBE_PAGE = f"""\
Probe
=====

.. prose-probe::

   Escaped :need:`[\\[ 7*7 ]\\] <REC-CANARIES>` and looping
   :need:`[[ id ]]{NESTED} <REC-CANARIES>` references.

.. prose-probe::

   .. code-block:: c
      :emphasize-lines: 1-99999999999999

      int probe;

.. prose-probe::

   .. code-block:: c
      :class: probe-class

      int classy;

.. prose-probe::

   .. note::
      :class: probe-class

      A note.
"""


def _limits() -> None:  # runs in the child, before sphinx-build starts
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))


@pytest.fixture
def hostile(tmp_path: Path, mini_tree: Path) -> Path:
    project = guide_with_yaml(tmp_path, mini_tree, {
        name: text.replace("PYTHON_FILE", json.__file__) for name, text in HOSTILE.items()})
    model = project / "threatmodel"
    (model / "passwd.yaml").symlink_to("/etc/passwd")
    with (project / "conf.py").open("a") as conf:
        conf.write(PROBE)
    (project / "probe.rst").write_text(PROBE_PAGE, encoding="utf-8")
    with (project / "index.rst").open("a") as index:
        index.write("\n.. toctree::\n\n   probe\n")
    page = project / "model.rst"
    page.write_text(page.read_text() + textwrap.dedent("""
        .. secguide-scope::

        .. secguide-standard:: HOSTILE
        """))
    return project


def _line(path: Path, words: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if words in line:
            return number
    raise AssertionError(f"{words!r} not in {path}")


def _build(project: Path) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            [str(Path(sys.executable).parent / "sphinx-build"), "-b", "html", "-W",
             "--keep-going", "-q", ".", "_build/html"], cwd=project, capture_output=True,
            # Sphinx colours its warnings when CI=true, even into a pipe: plain lines to read.
            env={**os.environ, "NO_COLOR": "1"},
            text=True, check=False, timeout=WALL_SECONDS, preexec_fn=_limits)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the hostile build ran longer than {WALL_SECONDS} s", pytrace=False)


def test_hostile_model_same_findings_in_both_faces_within_bounds(
        hostile: Path, mini_tree: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    model = hostile / "threatmodel"
    expected = {(f"threatmodel/{name}", _line(model / name, words), code)
                for name, words, code in EXPECTED} | {("threatmodel/passwd.yaml", 1,
                                                       "unsafe-path")}

    monkeypatch.chdir(hostile)
    assert main(["check", "--threatmodel", "threatmodel", "--zephyr-base", str(mini_tree),
                 "--format", "json"]) == 1
    report = json.loads(capsys.readouterr().out)
    checked = sorted((d["path"], d["line"], d["code"]) for d in report["diagnostics"]
                     if d["code"] in CODES)
    assert set(checked) == expected

    done = _build(hostile)
    # killed by the CPU limit (SIGXCPU) or out of memory: the payloads ran away
    assert done.returncode == 1, (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    built = []
    for line in done.stderr.splitlines():
        found = re.match(r"(?P<path>[^:]+?)(?::(?P<line>\d+))?: WARNING: .*"
                         r"\[secguide\.(?P<code>[a-z-]+)\]$", line)
        if found and found["code"] in CODES and found["path"].startswith("threatmodel/"):
            built.append((found["path"], int(found["line"] or 0), found["code"]))
    assert sorted(built) == checked  # the same findings, as many, at the same places
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e]", done.stderr)

    html = hostile / "_build" / "html"
    page = (html / "model.html").read_text(encoding="utf-8")
    assert ">49<" not in page  # nothing evaluated
    assert "SHOWN-" not in page  # refused prose is withheld
    for path in html.rglob("*.html"):
        assert "root:x:0:0" not in path.read_text(encoding="utf-8")

    # the profile alone: need references with templates shown inert, the block with an
    # unbounded range and the option off the list refused (a probe's text is located at
    # its directive, as prose is at its field)
    probe = [line.removeprefix(f"{hostile}/") for line in done.stderr.splitlines()
             if line.removeprefix(f"{hostile}/").startswith("probe.rst:")]
    expected_probe = ["probe.rst:4: WARNING: template syntax in a ':need:' reference",
                      "probe.rst:4: WARNING: template syntax in a ':need:' reference",
                      "probe.rst:9: WARNING: ':emphasize-lines:' beyond the block",
                      'probe.rst:16: ERROR: Error in "code-block" directive:']
    assert len(probe) == len(expected_probe), probe
    assert all(line.startswith(start) for line, start in zip(probe, expected_probe, strict=True))
    probed = (html / "probe.html").read_text(encoding="utf-8")
    assert ">49<" not in probed and "int probe" not in probed and "int classy" not in probed
    # an admonition takes no options: its option line is text, not a class
    assert not re.search(r'class="[^"]*probe-class', probed)
    assert "[\u2060[ 7*7 ]]" in probed  # the escaped reference, shown as text
