"""The prose policy without Sphinx: the lexical scan, URI schemes, and located findings."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secguide.model.loader import load_threat_model
from secguide.trace.prose import (
    WITHHELD,
    check_prose,
    inert_for_needs,
    is_safe_uri,
    prose_fields,
    prose_findings,
    safe_prose,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("text", "what"), [
    (".. raw:: html\n\n   <script>alert(1)</script>", "directive 'raw'"),
    (".. RAW:: html", "directive 'RAW'"),
    ("..  raw :: html", "directive 'raw'"),
    ("- .. raw:: html", "directive 'raw'"),
    (".. include:: ../../etc/passwd\n   :literal:", "directive 'include'"),
    (".. literalinclude:: /etc/passwd", "directive 'literalinclude'"),
    (".. csv-table:: t\n   :file: /etc/passwd", "directive 'csv-table'"),
    (".. image:: /etc/passwd", "directive 'image'"),
    (".. figure:: x.png", "directive 'figure'"),
    (".. only:: html\n\n   x", "directive 'only'"),
    (".. ifconfig:: True\n\n   x", "directive 'ifconfig'"),
    (".. role:: x(raw)", "directive 'role'"),
    (".. default-role:: raw", "directive 'default-role'"),
    (".. meta::\n   :description: x", "directive 'meta'"),
    (".. title:: Another title", "directive 'title'"),
    (".. |x| raw:: html\n\n   <b>", "a substitution definition"),
    (".. |x| replace:: text", "a substitution definition"),
    (":raw-html:`<b>`", "role ':raw-html:'"),
    ("`<b>`:raw:", "role ':raw:'"),
    (":download:`/etc/passwd`", "role ':download:'"),
    ("Bare javascript:alert(1) here", "a 'javascript:' link"),
    ("JaVaScRiPt:alert(1)", "a 'JaVaScRiPt:' link"),
    ("j\u0430vascript:alert(1)", "a 'j\u0430vascript:' link"),  # Cyrillic a
    ("javascript\uff1aalert(1)", "a 'javascript:' link"),  # full-width colon
    ("vbscript:msgbox(1)", "a 'vbscript:' link"),
    ("See `x <javascript:alert(1)>`_ now", "a link to 'javascript:alert(1)'"),
    ("`x <java\n script:alert(1)>`_", "a link to 'javascript:alert(1)'"),
    ("`x <java\\script:alert(1)>`_", "a link to 'javascript:alert(1)'"),
    ("`x <data:text/html;base64,AA>`_", "a link to 'data:text/html;base64,AA'"),
    ("`x <file:///etc/passwd>`__", "a link to 'file:///etc/passwd'"),
    ("`x <//evil.example/>`_", "a link to '//evil.example/'"),
    (".. _t: javascript:alert(1)", "a link target to 'javascript:alert(1)'"),
    (".. _t:\n   javascript:alert(1)", "a link target to 'javascript:alert(1)'"),
    ("__ vbscript:x", "a link target to 'vbscript:x'"),
    (".. __: data:x", "a link target to 'data:x'"),
    (".. _label:", "a label (hyperlink target without a URI)"),
    (".. [cit] A citation.", "a citation"),
    (".. note::\n   :name: hijack\n\n   text", "a ':name:' option (a label)"),
    ("Title\n=====\n\ntext", "a section title or transition"),
    ("text\n\n----\n\ntext", "a section title or transition"),
])
def test_refused_construct_is_found_once(text: str, what: str) -> None:
    assert [finding.what for finding in prose_findings(text)] == [what]


@pytest.mark.parametrize("text", [
    "*emphasis*, **strong**, ``literal``, :code:`x`, :sub:`2` and :abbr:`LTS (long term)`",
    "Set :kconfig:option:`CONFIG_STACK_CANARIES` (see :need:`REC-X` and :ref:`label`).",
    "A `web link <https://example.org/a?b=c#d>`_, https://example.org and mailto:a@b.org.",
    "`A page of the guide <overview.html#scope>`_ and `a named one <other_>`_.",
    ".. _other: https://example.org/other",
    "- a list\n- of items\n\n1. numbered\n2. too",
    "Example::\n\n   CONFIG_X=y\n\n.. code-block:: c\n\n   int x;",
    ".. note::\n\n   An admonition.\n\n.. warning:: Short.",
    ".. a comment, which renders nothing",
    "A footnote [#]_.\n\n.. [#] The note.",
    "Note: a colon after a word, 10:30, std::vector, CWE-121: and a URL-free time.",
    "Wait... Example::\n\n   x",
    "Shift 1 << 4, index a[b[0]] and compare x >> 2.",
    "Content is not where sphinx-needs evaluates <<tag: a, b>> (template openers are: "
    "tests/trace/test_untrusted_text.py).",
])
def test_allowed_markup_is_not_a_finding(text: str) -> None:
    assert prose_findings(text) == []
    assert safe_prose(text) == text


@pytest.mark.parametrize(("uri", "safe"), [
    ("https://example.org", True), ("HTTP://example.org", True), ("mailto:a@b.org", True),
    ("overview.html#x", True), ("#x", True), ("../other.html", True),
    ("javascript:alert(1)", False), (" JavaScript:alert(1)", False),
    ("java\tscript:alert(1)", False), ("java\nscript:x", False), ("data:text/html,x", False),
    ("vbscript:x", False), ("file:///etc/passwd", False), ("//evil.example", False),
    ("\\\\evil.example", False), ("javascript\uff1ax", False), ("ftp://example.org", False),
])
def test_link_schemes(uri: str, safe: bool) -> None:
    assert is_safe_uri(uri) is safe


def test_findings_point_at_the_line_of_the_offending_words(tmp_path: Path) -> None:
    folder = tmp_path / "threatmodel"
    folder.mkdir()
    (folder / "threats.yaml").write_text(textwrap.dedent("""\
        threats:
          - id: THR-A
            title: A
            description: >-
              Folded text whose second line has
              a javascript:alert(1) link, and whose third has
              another javascript:alert(2) one.
            mitigated_by: [REC-X]
          - id: THR-B
            title: B
            description: "javascript:alert(3)"
        """))
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    found = check_prose(model)
    assert [(d.loc.path, d.loc.line, d.loc.col, d.code) for d in found] == [
        ("threatmodel/threats.yaml", 6, 9, "unsafe-markup"),
        ("threatmodel/threats.yaml", 7, 15, "unsafe-markup"),
        ("threatmodel/threats.yaml", 11, 19, "unsafe-markup"),
    ]
    assert found[0].message == ("THR-A: description uses a 'javascript:' link, which "
                                "threat-model prose may not use; the text is left out of "
                                "the guide")


def test_the_guides_own_prose_is_allowed_and_shown_as_written() -> None:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    fields = list(prose_fields(model))
    assert len(fields) > 150  # every rationale, description, note, reason of the guide
    assert check_prose(model) == []
    assert all(safe_prose(field.text) == field.text for field in fields)
    assert safe_prose(".. raw:: html") == WITHHELD


@pytest.mark.parametrize("text", [
    ":a" * 100_000 + "`",  # quadratic for a role regex with nested repeats
    "`:a:" * 50_000,
    "\n".join(" " * i + ".. _x: https://a" for i in range(3000)),
    "<" + "a" * 200_000,
    "a:" * 100_000,
])
def test_scan_is_linear_on_pathological_input(text: str) -> None:
    # no timing assertion: a quadratic scan of these would not finish within the run
    found = prose_findings(text)
    assert len(found) <= len(text)


def test_a_flood_of_findings_is_summarised(tmp_path: Path) -> None:
    folder = tmp_path / "threatmodel"
    folder.mkdir()
    flood = " ".join(["javascript:x"] * 5000)
    (folder / "threats.yaml").write_text(
        f"threats:\n  - id: THR-A\n    title: A\n    description: \"{flood}\"\n"
        "    mitigated_by: [REC-X]\n")
    model, _ = load_threat_model(folder, display_base=tmp_path)
    found = check_prose(model)
    assert len(found) == 11
    assert found[-1].message == "THR-A: description uses 4990 more constructs prose may not use"
    assert {d.loc.line for d in found} == {4}


def test_needs_syntax_in_a_title_is_a_finding_and_made_inert(tmp_path: Path) -> None:
    folder = tmp_path / "threatmodel"
    folder.mkdir()
    title = 'T [[copy("id")]]'
    (folder / "threats.yaml").write_text(
        f"threats:\n  - id: THR-A\n    title: {title}\n    description: Fine.\n"
        "    mitigated_by: [REC-X]\n")
    model, _ = load_threat_model(folder, display_base=tmp_path)
    [finding] = check_prose(model)
    assert (finding.loc.line, finding.loc.col, finding.message) == (3, 14, (
        "THR-A: title uses sphinx-needs '[[...]]' syntax (evaluated by the build), which "
        "threat-model prose may not use; it is shown inert"))
    shown = inert_for_needs(title)
    assert "[[" not in shown and shown.replace("\u2060", "") == title
