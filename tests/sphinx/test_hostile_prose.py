"""Hostile threat-model prose, through both faces: ``secguide check`` and a real Sphinx build.

The tiny guide gets prose fields in six YAML files that try every construct of
issue #16 (raw HTML, file inclusion, ``javascript:`` and other schemes, roles
and directives that change how the page is read, title tricks, look-alike
schemes) next to one field of allowed markup. Both faces must report every
construct at the YAML line it is written on, the ``-W`` build must fail, and no
output file may hold anything of the hostile text.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from tests.sphinx.test_sphinx_ext import build, guide_with_yaml, warnings_of

from secguide.cli.main import main
from secguide.trace.prose import WITHHELD

#: (file, YAML text appended to it). Each hostile construct carries a PWN- marker
#: that must reach no output file, and its first line is where it must be reported.
CORPUS = {
    "recommendations.yaml": """\
  - id: REC-HOSTILE
    title: "Hostile [[copy('id', filter=\\"__import__('pathlib').Path(EXEC).write_text('x')\\")]]"
    area: general
    status: review
    rationale: |
      Harmless opening sentence PWN-OPENING.

      .. raw:: html

         <script>alert('PWN-RAW')</script>

      .. include:: ../../../../../../../../../../etc/passwd
         :literal:

      .. literalinclude:: /etc/passwd

      .. csv-table:: PWN-CSV
         :file: /etc/passwd
    settings:
      - symbol: STACK_CANARIES
        value: "y"
        note: "Click javascript:alert('PWN-JS-BARE') for details."
    verification:
      - id: TEST-MAN-HOSTILE-READ
        manual: A reviewer reads the rationale.
        note: |
          See `the PWN-JS-EMBEDDED page <javascript:alert(1)>`_.

          .. role:: pwn(raw)
             :format: html

          :pwn:`<b>PWN-ROLE</b>`
  - id: REC-SAFE
    title: A recommendation with allowed markup
    area: general
    status: review
    rationale: |
      *Emphasis*, **strong**, ``literal`` and :kconfig:option:`CONFIG_STACK_CANARIES`
      SAFE-CONTROL, with a `web link <https://example.org/safe>`_ and
      mailto:security@example.org.

      - a list item
      - another one

      .. note::

         An admonition SAFE-NOTE.

      Code::

         CONFIG_STACK_CANARIES=y
    settings:
      - symbol: STACK_CANARIES
        value: "y"
    verification:
      - id: TEST-MAN-SAFE-READ
        manual: A reviewer reads the safe rationale.
""",
    "threats.yaml": """\
  - id: THR-HOSTILE
    title: A threat with hostile prose
    description: >-
      Folded text first, then a data link `PWN-DATA
      <data:text/html;base64,PHNjcmlwdD4=>`_ and a file link
      `PWN-FILE <file:///etc/passwd>`__ and vbscript:msgbox(PWN-VB) in one paragraph.
    mitigated_by: [REC-HOSTILE, REC-SAFE, RESP-HOSTILE]
""",
    "adversaries.yaml": """\
adversaries:
  - id: ADV-HOSTILE
    title: An adversary with hostile prose
    description: |
      .. image:: /etc/passwd
         :alt: PWN-IMG

      .. |pwnsub| raw:: html

         <i>PWN-SUB</i>
    addressed: false
    reason: |
      .. only:: html

         PWN-ONLY

      .. ifconfig:: True

         PWN-IFCONFIG
""",
    "responsibilities.yaml": """\
responsibilities:
  - id: RESP-HOSTILE
    title: A responsibility with hostile prose
    description: |
      .. role:: pwnrole

      .. default-role:: raw

      .. meta::
         :description: PWN-META

      PWN-TITLE
      =========
    status: review
""",
    "out_of_scope.yaml": """\
out_of_scope:
  - id: OOS-HOSTILE
    title: Out of scope, with hostile prose
    reason: "J\u0430vaScript:alert('PWN-LOOKALIKE') and javascript\uff1aalert('PWN-WIDE')"
    protection_from: |
      JaVaScRiPt:alert('PWN-CASE')

      Go `there`_.

      .. _there: javascript:alert('PWN-TARGET')

      __ vbscript:PWN-ANON
""",
    "standards/hostile.yaml": """\
standard:
  id: STD-HOSTILE
  name: A standard with hostile prose
  edition: "1"
  summary: |
    .. raw:: html

       <iframe src="PWN-STD-SUMMARY"></iframe>
  clauses:
    - id: CLS-HOSTILE-1
      clause: "1"
      title: "A clause <<'a' == 'a': variant, other>>"
      met_by: configuration
      recommendations: [REC-SAFE]
      justification: |
        Read :download:`PWN-STD-DOWNLOAD </etc/passwd>` first.
""",
    "scope.yaml": """\
scope:
  boundary: |
    A boundary `PWN-SPLIT <java
    script:alert(1)>`_ split over two lines.
  shared_responsibility: Ordinary text about who does what.
""",
}

#: (file, words on the line each refusal must be reported at)
EXPECTED = [
    ("adversaries.yaml", ".. image::"), ("adversaries.yaml", ".. |pwnsub|"),
    ("adversaries.yaml", ".. only::"), ("adversaries.yaml", ".. ifconfig::"),
    ("out_of_scope.yaml", "J\u0430vaScript"), ("out_of_scope.yaml", "J\u0430vaScript"),
    ("out_of_scope.yaml", "JaVaScRiPt:"), ("out_of_scope.yaml", ".. _there:"),
    ("out_of_scope.yaml", "__ vbscript"),
    ("recommendations.yaml", ".. raw::"), ("recommendations.yaml", ".. include::"),
    ("recommendations.yaml", ".. literalinclude::"), ("recommendations.yaml", ".. csv-table::"),
    ("recommendations.yaml", "PWN-JS-BARE"), ("recommendations.yaml", "PWN-JS-EMBEDDED"),
    ("recommendations.yaml", ".. role:: pwn"), ("recommendations.yaml", ":pwn:`"),
    ("responsibilities.yaml", ".. role:: pwnrole"), ("responsibilities.yaml", ".. default-role"),
    ("responsibilities.yaml", ".. meta::"), ("responsibilities.yaml", "========="),
    ("scope.yaml", "PWN-SPLIT"),
    ("standards/hostile.yaml", ".. raw::"), ("standards/hostile.yaml", ":download:"),
    ("recommendations.yaml", "[[copy"), ("standards/hostile.yaml", "<<'a'"),
    ("threats.yaml", "<data:text"), ("threats.yaml", "PWN-FILE"), ("threats.yaml", "vbscript:"),
]

#: What must not be in any output: every marker and anything of /etc/passwd.
NEEDLES = sorted({word for text in CORPUS.values() for word in text.replace("(", " ").replace(
    ")", " ").replace("'", " ").replace("<", " ").split() if word.startswith("PWN-")}
                 | {"root:x:0:0", "javascript:", "vbscript:", "data:text", "[[copy", "<<'a'"})


def _line(path: Path, words: str, after: int = 0) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if number > after and words in line:
            return number
    raise AssertionError(f"{words!r} not in {path}")


@pytest.fixture
def hostile(tmp_path: Path, mini_tree: Path) -> Path:
    """The tiny guide with the corpus added, every item rendered on the model page."""
    project = guide_with_yaml(tmp_path, mini_tree, {
        name: text.replace("EXEC", repr(str(tmp_path / "executed")))
        for name, text in CORPUS.items()})
    page = project / "model.rst"
    page.write_text(page.read_text() + textwrap.dedent("""
        .. secguide-scope::

        .. secguide-adversaries::

        .. secguide-out-of-scope::

        .. secguide-responsibilities::

        .. secguide-standard:: HOSTILE
        """))
    return project


def _expected(project: Path) -> list[tuple[str, int]]:
    """(file, line) of every expected refusal; two on one line are listed twice."""
    return sorted((f"threatmodel/{name}", _line(project / "threatmodel" / name, words))
                  for name, words in EXPECTED)


def test_check_and_build_refuse_every_construct_at_its_line(
        hostile: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch, mini_tree: Path) -> None:
    expected = _expected(hostile)

    monkeypatch.chdir(hostile)
    code = main(["check", "--threatmodel", "threatmodel", "--zephyr-base", str(mini_tree),
                 "--format", "json"])
    report = json.loads(capsys.readouterr().out)
    check = sorted((d["path"], d["line"]) for d in report["diagnostics"]
                   if d["code"] == "unsafe-markup")
    assert code == 1
    assert check == expected

    warnings = warnings_of(build(hostile))
    # a sphinx-needs filter in a title is Python eval-ed by the build: it did not run
    assert not (hostile.parent / "executed").exists()
    built = sorted((w.split(":")[0], int(w.split(":")[1])) for w in warnings
                   if w.endswith("[secguide.unsafe-markup]"))
    assert built == expected, "\n".join(warnings)
    # the first line of defence caught everything: the profile had nothing left to refuse
    assert not any("unsafe-markup" in w and "it was not rendered" in w for w in warnings)

    html = hostile / "_build" / "html"
    outputs = [p for p in html.rglob("*") if p.is_file() and "_static" not in p.parts]
    names = {p.name for p in outputs}
    assert {"model.html", "searchindex.js", "needs.json"} <= names
    for path in outputs:
        text = path.read_text(encoding="utf-8", errors="replace")
        for needle in NEEDLES:
            assert needle not in text, (needle, path)
    assert not (html / "_images").exists() and not (html / "_downloads").exists()

    model = (html / "model.html").read_text(encoding="utf-8")
    assert model.count(WITHHELD) >= 8  # each hostile field says it is withheld
    assert "SAFE-CONTROL" in model and "SAFE-NOTE" in model
    assert 'href="https://example.org/safe"' in model
    assert 'href="mailto:security' in model  # Sphinx cloaks the address itself
    assert 'href="kconfig.html#CONFIG_STACK_CANARIES"' in model
    needs = json.loads((html / "needs.json").read_text())
    found = needs["versions"][needs["current_version"]]["needs"]
    assert found["REC-HOSTILE"]["content"] == WITHHELD
    assert "SAFE-CONTROL" in found["REC-SAFE"]["content"]


def test_hostile_prose_fails_the_w_build(hostile: Path) -> None:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "sphinx-build"), "-b", "html", "-W", "--keep-going",
         "-q", ".", "_build/cli"], cwd=hostile, capture_output=True, text=True, check=False,
        env={**os.environ})
    assert done.returncode != 0
    raw_line = _line(hostile / "threatmodel" / "recommendations.yaml", ".. raw::")
    assert (f"threatmodel/recommendations.yaml:{raw_line}: WARNING: REC-HOSTILE: rationale "
            "uses directive 'raw', which threat-model prose may not use") in done.stderr
