"""Sphinx builds of a tiny guide (tests/fixtures/sphinx/basic) against the mini Kconfig tree.

Each test copies the project into ``tmp_path``, edits what it needs, builds with
``SphinxTestApp`` and checks exact warnings (file:line), HTML and needs.json.
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sphinx.errors import ConfigError
from sphinx.testing.util import SphinxTestApp

from secguide.trace.verification_ids import guide_check_id, target_test_id

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sphinx" / "basic"


def tiny_guide(tmp_path: Path, mini_tree: Path) -> Path:
    """A writable copy of the tiny guide in ``tmp_path/guide``, pointed at ``mini_tree``."""
    src = tmp_path / "guide"
    shutil.copytree(FIXTURE, src)
    with (src / "conf.py").open("a") as conf:
        conf.write(f"secguide_zephyr_base = {str(mini_tree)!r}\n")
    return src


@pytest.fixture
def project(tmp_path: Path, mini_tree: Path) -> Path:
    """A writable copy of the tiny guide, pointed at a writable mini tree."""
    return tiny_guide(tmp_path, mini_tree)



def guide_with_yaml(tmp_path: Path, tree: Path, additions: dict[str, str]) -> Path:
    """The tiny guide (``FIXTURE``) on ``tree``, each text of ``additions`` appended to the
    model file it names (created when missing): how the hostile tests plant their payloads."""
    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    with (project / "conf.py").open("a") as conf:
        conf.write(f"secguide_zephyr_base = {str(tree)!r}\n")
    model = project / "threatmodel"
    for name, text in additions.items():
        path = model / name
        path.parent.mkdir(exist_ok=True)
        old = path.read_text(encoding="utf-8") if path.exists() else ""
        path.write_text(old + ("\n" if old and not old.endswith("\n") else "") + text,
                        encoding="utf-8")
    return project

def build(src: Path, **overrides: object) -> SphinxTestApp:
    """Build ``src`` into ``src/_build`` (kept between calls) and return the app."""
    app = SphinxTestApp("html", srcdir=src, builddir=src / "_build", confoverrides=overrides)
    try:
        app.build()
    finally:
        app.cleanup()
    return app


def warnings_of(app: SphinxTestApp) -> list[str]:
    """Warning lines with the project folder removed and colours stripped."""
    text = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
    return [line.replace(str(app.srcdir) + os.sep, "")
            for line in text.splitlines() if "WARNING" in line or "ERROR" in line]


def read_docs(src: Path) -> Iterator[list[str]]:
    """Build once more and yield the documents that build re-read."""
    app = SphinxTestApp("html", srcdir=src, builddir=src / "_build")
    seen: list[str] = []
    app.connect("env-before-read-docs", lambda _app, _env, docnames: seen.extend(docnames))
    try:
        app.build()
    finally:
        app.cleanup()
    yield sorted(seen)


def page(src: Path, name: str) -> str:
    return (src / "_build" / "html" / f"{name}.html").read_text(encoding="utf-8")


def yaml_line(path: Path, needle: str) -> int:
    """1-based line of the first line of ``path`` containing ``needle``."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


def test_clean_project_builds_without_warnings(project: Path) -> None:
    app = build(project)
    assert warnings_of(app) == []
    needs = json.loads((project / "_build" / "html" / "needs.json").read_text())
    found = needs["versions"][needs["current_version"]]["needs"]
    rec = found["REC-CANARIES"]
    assert rec["implemented_by"] == ["SET-CANARIES-STACK-CANARIES"]
    assert rec["mitigates"] == ["THR-SMASH"]
    assert found["SET-CANARIES-STACK-CANARIES"]["symbol"] == "CONFIG_STACK_CANARIES"
    assert found["SET-CANARIES-STACK-CANARIES"]["zephyr_version"] == "9.8.7"
    assert rec["status"] == "draft"


def test_draft_banner_status_and_kconfig_entry(project: Path) -> None:
    build(project)
    model = page(project, "model")
    # one status line above the card: the status and its short warning, the review state
    before_card = model.split('<div class="secguide-card ', 2)
    assert 'id="REC-CANARIES"' in before_card[2].split(">", 1)[0]  # the threat, then it
    line = before_card[1].split('class="secguide-card-body', 1)[1].split("</div>", 1)[1]
    assert line.count('<p class="secguide-status ') == 1
    assert "secguide-status-draft" in line and ">Draft</span> not for product decisions" in line
    assert "Working Group review: " in line
    assert 'href="kconfig.html#CONFIG_STACK_CANARIES"' in model
    kconfig = page(project, "kconfig")
    entry = kconfig.split('id="CONFIG_STACK_CANARIES"', 1)[1].split("</section>", 1)[0]
    assert "Canaries detect stack smashing." in entry  # help text of the mini tree
    assert "Compiler stack canaries" in entry  # its prompt
    assert "kernel/Kconfig:" in entry  # a definition site
    # the reference lists mentioned symbols only, not the whole tree
    assert 'id="CONFIG_MINI_HARDENED"' not in kconfig


def _card(page_html: str, need_id: str) -> str:
    """The HTML of the card of ``need_id``: its <div> up to the matching end tag."""
    rest = page_html[page_html.index(f'" id="{need_id}">'):]
    depth = 1
    for tag in re.finditer(r"<(/?)div\b", rest):
        depth += -1 if tag.group(1) else 1
        if depth == 0:
            return rest[:tag.start()]
    raise AssertionError(f"the card of {need_id} does not end")


def _head(card: str) -> str:
    """What a card shows folded: its <summary>."""
    return card.split("</summary>", 1)[0]


def test_status_is_said_once_and_a_setting_without_note_has_no_empty_body(
        project: Path) -> None:
    build(project)
    model = page(project, "model")
    rec, setting = _card(model, "REC-CANARIES"), _card(model, "SET-CANARIES-STACK-CANARIES")
    head = _head(rec)
    # the status line above says "Draft"; neither card's head repeats the status word
    assert "Turn on stack canaries" in head and "secguide-card-status" not in head
    assert "secguide-card-status" not in _head(setting)
    assert "Canaries stop a smashed return address" in rec.split('class="secguide-card-body',
                                                                 1)[1]
    # the setting has no note: its card is the head and the folded metadata, no body
    assert "CONFIG_STACK_CANARIES=y" in setting and "secguide-card-body" not in setting
    # reviewable items (the threat, the recommendation) have a line; the manual check
    # is not reviewable and keeps its status in its head
    assert model.count('<p class="secguide-status ') == 2
    check_head = _head(_card(model, "TEST-MAN-CANARY-MAP"))
    assert "secguide-card-status" in check_head


def test_source_url_links_definition_sites(project: Path, mini_tree: Path) -> None:
    build(project, secguide_source_url="https://example.org/zephyr/blob/v9")
    line = yaml_line(mini_tree / "kernel" / "Kconfig", "config STACK_CANARIES")
    assert (f'href="https://example.org/zephyr/blob/v9/kernel/Kconfig#L{line}"'
            in page(project, "kconfig"))


def test_broken_trace_is_reported_at_the_yaml_line(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("symbol: STACK_CANARIES", "symbol: STACK_CANARIS"))
    threats = project / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]",
                                                   "[REC-CANARIES, REC-MISSING]"))
    lines = warnings_of(build(project))
    symbol_line = yaml_line(recs, "STACK_CANARIS")
    threat_line = yaml_line(threats, "REC-MISSING")  # the list entry, not the item's id
    assert any(w.startswith(f"threatmodel/recommendations.yaml:{symbol_line}: WARNING: ")
               and "STACK_CANARIS" in w and w.endswith("[secguide.unknown-symbol]")
               for w in lines), lines
    assert any(w.startswith(f"threatmodel/threats.yaml:{threat_line}: WARNING: ")
               and "REC-MISSING" in w and w.endswith("[secguide.unknown-id]")
               for w in lines), lines
    # the dangling link is not handed to sphinx-needs (no unlocated second warning)
    assert not any("REC-MISSING" in w and "threats.yaml" not in w for w in lines), lines


def test_broken_trace_fails_sphinx_build_with_w(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("symbol: STACK_CANARIES", "symbol: STACK_CANARIS"))
    done = subprocess.run(
        [str(Path(sys.executable).parent / "sphinx-build"), "-b", "html", "-W", "--keep-going",
         "-q", ".", "_build/cli"], cwd=project, capture_output=True, text=True, check=False)
    assert done.returncode != 0
    line = yaml_line(recs, "STACK_CANARIS")
    assert f"threatmodel/recommendations.yaml:{line}: WARNING:" in done.stderr


def test_unknown_symbols_in_roles_and_prose_are_located(project: Path) -> None:
    about = project / "about.rst"
    about.write_text(about.read_text() + "\nSee :kconfig:option:`CONFIG_NOPE_SYMBOL`.\n"
                     "\nThe draft said ``CONFIG_USERPACE`` and CONFIG_ENTROPY_GENERATOR.\n")
    lines = warnings_of(build(project))
    role_line = yaml_line(about, "CONFIG_NOPE_SYMBOL")
    text_line = yaml_line(about, "CONFIG_USERPACE")
    assert [w for w in lines if "about.rst" in w] == [
        f"about.rst:{role_line}: WARNING: CONFIG_NOPE_SYMBOL is not defined in "
        "Zephyr 9.8.7 [secguide.unknown-symbol]",
        f"about.rst:{text_line}: WARNING: CONFIG_USERPACE is not defined in "
        "Zephyr 9.8.7 [secguide.unknown-symbol-text]",
    ]
    # a literal name the tree defines gets a reference entry
    assert 'id="CONFIG_ENTROPY_GENERATOR"' in page(project, "kconfig")


def test_unknown_symbol_in_yaml_text_is_located(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("Canaries stop", "CONFIG_STACK_CANARY stops"))
    lines = warnings_of(build(project))
    line = yaml_line(recs, "id: REC-CANARIES")
    assert any(w.startswith(f"threatmodel/recommendations.yaml:{line}: WARNING: "
                            "REC-CANARIES: rationale names CONFIG_STACK_CANARY")
               and w.endswith("[secguide.unknown-symbol-text]") for w in lines), lines


def test_markup_is_escaped(project: Path, mini_tree: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace("title: Turn on stack canaries",
                                             'title: "Canaries <script>alert(1)</script>"'))
    kernel = mini_tree / "kernel" / "Kconfig"
    kernel.write_text(kernel.read_text().replace(
        "Canaries detect stack smashing.", "Canaries <script>alert(2)</script> detect."))
    build(project)
    model, kconfig = page(project, "model"), page(project, "kconfig")
    assert "<script>alert(1)" not in model and "&lt;script&gt;alert(1)" in model
    assert "<script>alert(2)" not in kconfig and "&lt;script&gt;alert(2)" in kconfig


def test_noop_rebuild_reads_nothing_and_yaml_edit_reads_dependents(project: Path) -> None:
    build(project)
    assert next(read_docs(project)) == []
    threats = project / "threatmodel" / "threats.yaml"
    later = time.time_ns() + 10**9  # the copy kept the fixture's old mtime
    os.utime(threats, ns=(later, later))
    # pages depend on what they show, not on the file's mtime: a touch reads nothing
    assert next(read_docs(project)) == []
    threats.write_text(threats.read_text().replace("Stack smashing", "Stack overrun"))
    # model.rst renders threats; kconfig.rst's settings table shows no threat, and
    # about.rst and index.rst use no model data
    assert next(read_docs(project)) == ["model"]


def test_every_item_must_be_shown_once(project: Path) -> None:
    about = project / "about.rst"
    about.write_text(about.read_text() + "\n.. secguide-threats::\n")
    model = project / "model.rst"
    model.write_text(model.read_text().replace(".. secguide-verifications::", ""))
    lines = warnings_of(build(project))
    recs = project / "threatmodel" / "recommendations.yaml"
    manual_line = yaml_line(recs, "manual:")
    assert any("THR-SMASH is already rendered" in w and "[secguide.duplicate-item]" in w
               for w in lines), lines
    assert any(w.startswith(f"threatmodel/recommendations.yaml:{manual_line}: WARNING: "
                            "TEST-MAN-CANARY-MAP") and "[secguide.item-not-shown]" in w
               for w in lines), lines


def test_recommendation_filters(project: Path) -> None:
    model = project / "model.rst"
    model.write_text(model.read_text().replace(
        ".. secguide-recommendations::",
        ".. secguide-recommendations::\n   :area: x86\n\n.. secguide-recommendations::\n"
        "   :status: draft\n   :architecture: arm"))
    lines = warnings_of(build(project))
    assert lines == []
    text = html.unescape(page(project, "model"))
    assert "No recommendation matches this selection." in text
    assert "Turn on stack canaries" in text


def test_every_bad_config_value_is_reported_then_one_failure(project: Path) -> None:
    warnings = io.StringIO()
    with pytest.raises(ConfigError, match="2 invalid configuration value"):
        SphinxTestApp("html", srcdir=project, builddir=project / "_build", warning=warnings,
                      confoverrides={"secguide_threatmodel_dir": "no-such-dir",
                                     "secguide_source_url": "ftp://x"})
    reported = [line.replace(str(project) + os.sep, "")
                for line in re.sub(r"\x1b\[[0-9;]*m", "", warnings.getvalue()).splitlines()]
    assert reported == [
        f"ERROR: conf.py: secguide_threatmodel_dir: 'no-such-dir' is not a directory "
        f"(resolved to {project / 'no-such-dir'}) [secguide.config]".replace(
            str(project) + os.sep, ""),
        "ERROR: conf.py: secguide_source_url: 'ftp://x' is not an http(s) or file URL "
        "[secguide.config]",
    ]


def test_syntax_error_is_one_warning_and_fixing_it_restores_every_page(project: Path) -> None:
    threats = project / "threatmodel" / "threats.yaml"
    good = threats.read_text()
    build(project)
    threats.write_text(good + "  - id: THR-BROKEN\n    title: [oops\n")
    lines = warnings_of(build(project))
    # one syntax error, not a wave of "not mitigating anything" echoes of it
    assert [w for w in lines if "threats.yaml" in w] == [
        w for w in lines if "[secguide.yaml-syntax]" in w]
    assert not any("mitigat" in w for w in lines), lines
    assert any(w.startswith("threatmodel/threats.yaml:") and "YAML syntax error" in w
               and w.endswith("[secguide.yaml-syntax]") for w in lines), lines
    threats.write_text(good)
    later = time.time_ns() + 10**9
    os.utime(threats, ns=(later, later))
    fixed = build(project)
    assert warnings_of(fixed) == []
    assert "THR-SMASH" in page(project, "model")


def test_changes_page_compares_with_a_baseline_tree(project: Path, mini_tree: Path,
                                                    tmp_path: Path) -> None:
    baseline = tmp_path / "baseline"
    shutil.copytree(mini_tree, baseline)
    kconfig = baseline / "kernel" / "Kconfig"
    kconfig.write_text(kconfig.read_text().replace("Canaries detect stack smashing.",
                                                   "Canaries were different back then."))
    (project / "changes.rst").write_text(":orphan:\n\nChanges\n=======\n\n.. secguide-drift::\n")
    app = build(project, secguide_baseline_zephyr_base=str(baseline))
    assert warnings_of(app) == []
    text = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page(project, "changes"))).split())
    assert "Between Zephyr 9.8.7 and Zephyr 9.8.7" in text
    assert "help text of CONFIG_STACK_CANARIES changed" in text
    assert "1 changed" in text


def test_changes_page_without_baseline_says_so(project: Path) -> None:
    (project / "changes.rst").write_text(":orphan:\n\nChanges\n=======\n\n.. secguide-drift::\n")
    app = build(project)
    assert warnings_of(app) == []
    assert "No baseline release is configured" in page(project, "changes")


def test_results_show_on_verifications_including_marked_tests(project: Path) -> None:
    (project / "results.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_x" name="test_canaries">'
        '<properties><property name="nodeid" value="tests/test_x.py::test_canaries"/>'
        '<property name="verifies" value="REC-CANARIES"/></properties>'
        '<failure message="no">boom</failure></testcase></testsuite></testsuites>\n')
    app = build(project, secguide_results_files=["results.xml"])
    assert warnings_of(app) == []
    needs = json.loads((project / "_build" / "html" / "needs.json").read_text())
    needs = needs["versions"][needs["current_version"]]["needs"]
    marked = needs[guide_check_id("tests/test_x.py::test_canaries")]
    # a project test is a guide check: its outcome is worded as one, never "passed"/"failed"
    assert (marked["title"], marked["result"], marked["verification_kind"]) == (
        "tests/test_x.py::test_canaries", "invalid for tree", "guide-check")
    assert marked["id"] in needs["REC-CANARIES"]["verified_by"]
    manual = [n for n in needs.values() if n["type"] == "test" and n["id"] != marked["id"]]
    assert [n["result"] for n in manual] == ["manual"]


def test_verification_page_rows_are_the_targets_of_every_link(project: Path,
                                                              mini_tree: Path) -> None:
    """Guide checks and target tests are table rows; cards and the search index link there."""
    scenario = mini_tree / "tests" / "kernel" / "stackprot"
    scenario.mkdir(parents=True)
    (scenario / "testcase.yaml").write_text(
        "tests:\n  kernel.memory_protection.stackprot:\n    tags: kernel\n")
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace(
        "    verification:\n",
        "    verification:\n      - zephyr_test: kernel.memory_protection.stackprot\n"
        "        note: Overruns a stack on purpose.\n"))
    # the verifications on a page of their own, so links from the cards cross pages
    model = project / "model.rst"
    model.write_text(model.read_text().replace(".. secguide-verifications::\n", ""))
    (project / "verification.rst").write_text(
        "Verification\n############\n\n.. secguide-verifications::\n")
    index = project / "index.rst"
    index.write_text(index.read_text().replace("   about\n", "   about\n   verification\n"))
    node = "tests/test_x.py::test_value_is_real[REC-CANARIES/STACK_CANARIES]"
    (project / "results.xml").write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<testsuites><testsuite name="pytest">'
        '<testcase classname="tests.test_x" name="test_value_is_real">'
        f'<properties><property name="nodeid" value="{node}"/>'
        '<property name="verifies" value="REC-CANARIES"/></properties>'
        '</testcase></testsuite></testsuites>\n')
    app = build(project, secguide_results_files=["results.xml"])
    assert warnings_of(app) == []
    html_text = page(project, "verification")
    rows = dict(re.findall(r'<tr[^>]*\bid="([A-Z0-9-]+)"[^>]*>(.*?)</tr>', html_text, re.S))
    guide_id = guide_check_id(node)
    target_id = target_test_id("kernel.memory_protection.stackprot")
    assert sorted(rows) == sorted([guide_id, target_id])
    # a row shows the case, what it verifies and the result worded for its kind
    assert "REC-CANARIES/STACK_CANARIES" in rows[guide_id]
    assert "valid for tree" in rows[guide_id] and "secguide-result-good" in rows[guide_id]
    assert "kernel.memory_protection.stackprot" in rows[target_id]
    assert "Overruns a stack on purpose." in rows[target_id]
    assert "not run" in rows[target_id] and 'href="model.html#REC-CANARIES"' in rows[target_id]
    # the node ID is written once above its cases, and the counts come first
    assert html.escape("tests/test_x.py::test_value_is_real") in html_text
    counts = html_text.split("secguide-verification-counts", 1)[1].split("</table>", 1)[0]
    assert "1 valid for tree" in counts and "1 not run" in counts and "1 manual" in counts
    # the manual check stays a card
    assert 'id="TEST-MAN-CANARY-MAP"' in html_text
    # every link of the recommendation's card into this page lands on a row or card
    anchors = set(re.findall(r'\bid="([^"]+)"', html_text))
    links = set(re.findall(r'href="verification\.html#([^"]+)"', page(project, "model")))
    assert {guide_id, target_id} <= links <= anchors
    needs = json.loads((project / "_build" / "html" / "needs.json").read_text())
    needs = needs["versions"][needs["current_version"]]["needs"]
    assert needs[guide_id]["docname"] == "verification" and needs[guide_id]["title"] == node


def test_scope_is_one_line_on_the_card_and_a_field_in_needs_json(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace(
        "    rationale: Canaries stop",
        "    applies_to:\n      when: ENTROPY_GENERATOR && !TRI_STATE\n"
        "    rationale: Canaries stop"))
    app = build(project)
    assert warnings_of(app) == []
    head = _head(_card(page(project, "model"), "REC-CANARIES"))
    assert re.search(r"Applies when: </span>(<[^>]*>)*CONFIG_ENTROPY_GENERATOR &amp;&amp; "
                     r"!CONFIG_TRI_STATE", head), head
    needs = json.loads((project / "_build" / "html" / "needs.json").read_text())
    found = needs["versions"][needs["current_version"]]["needs"]
    assert found["REC-CANARIES"]["applies_when"] == "CONFIG_ENTROPY_GENERATOR && !CONFIG_TRI_STATE"
    # a recommendation without a scope has no such line
    assert "Applies when" not in _card(page(project, "model"), "SET-CANARIES-STACK-CANARIES")


def test_unknown_scope_symbol_warns_at_the_yaml_line(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace(
        "    rationale: Canaries stop",
        "    applies_to:\n      when: ENTROPY_GENERATR\n    rationale: Canaries stop"))
    app = build(project)
    line = yaml_line(recs, "when: ENTROPY_GENERATR")
    assert any(f"threatmodel/recommendations.yaml:{line}" in w and "unknown-scope-symbol" in w
               for w in warnings_of(app)), warnings_of(app)


_ENTROPY_OFF = """\
  - id: REC-NO-ENTROPY
    title: Leave entropy drivers out
    area: stack-protection
    status: draft
    rationale: A test recommendation that contradicts the canaries.
    settings:
      - symbol: ENTROPY_GENERATOR
        value: "n"
    verification:
      - build_audit: production
"""


def test_profile_conflict_warns_at_the_yaml_line_like_check(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text() + _ENTROPY_OFF)
    threats = project / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]",
                                                   "[REC-CANARIES, REC-NO-ENTROPY]"))
    app = build(project)
    line = yaml_line(recs, "symbol: STACK_CANARIES")
    conflicts = [w for w in warnings_of(app) if "profile-conflict" in w]
    assert len(conflicts) == 1, warnings_of(app)
    assert f"threatmodel/recommendations.yaml:{line}" in conflicts[0]
    assert "STACK_CANARIES depends on ENTROPY_GENERATOR" in conflicts[0]
    # check reports the same finding at the same line
    done = subprocess.run([str(Path(sys.executable).parent / "secguide"), "check",
                           "--threatmodel", "threatmodel", "--zephyr-base",
                           str(app.config.secguide_zephyr_base)],
                          cwd=project, capture_output=True, text=True, check=False)
    assert f"threatmodel/recommendations.yaml:{line}:" in done.stdout
    assert "[profile-conflict]" in done.stdout


def test_an_accepted_conflict_is_said_under_the_card(project: Path) -> None:
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace(
        "    rationale: Canaries stop",
        "    accepted_conflicts:\n      - with: REC-NO-ENTROPY\n"
        "        reason: <b>Kept</b> for the test.\n    rationale: Canaries stop")
        + _ENTROPY_OFF)
    threats = project / "threatmodel" / "threats.yaml"
    threats.write_text(threats.read_text().replace("[REC-CANARIES]",
                                                   "[REC-CANARIES, REC-NO-ENTROPY]"))
    app = build(project)
    assert warnings_of(app) == []
    model = page(project, "model")
    text = re.sub(r"&#8217;|&#x2019;|\u2019", "'", model)
    assert ("Conflict kept on purpose: </strong>in a profile that also holds REC-NO-ENTROPY, "
            "that recommendation's setting wins over this one. &lt;b&gt;Kept&lt;/b&gt; "
            "for the test.") in text


def test_fact_roles_render_the_tree_on_pages_cards_and_needs_json(project: Path) -> None:
    """The mini tree gives STACK_CANARIES one default, ``y if MINI_HARDENED`` (a
    configdefault in kernel/Kconfig): the page's role, the card and needs.json say so alike."""
    page_rst = project / "model.rst"
    page_rst.write_text(page_rst.read_text().replace(
        "Canaries are :kconfig:option:`CONFIG_STACK_CANARIES`.",
        "Canaries are :kconfig:option:`CONFIG_STACK_CANARIES`; "
        ":kconfig:default:`CONFIG_STACK_CANARIES`."))
    recs = project / "threatmodel" / "recommendations.yaml"
    recs.write_text(recs.read_text().replace(
        "rationale: Canaries stop a smashed return address from being used.",
        "rationale: >-\n      Canaries stop a smashed return address from being used;\n"
        "      :kconfig:depends-on:`CONFIG_STACK_CANARIES`."))
    app = build(project)
    assert warnings_of(app) == []
    html_text = page(project, "model")
    said = ('<code class="docutils literal notranslate"><span class="pre">CONFIG_STACK_CANARIES'
            '</span></code> defaults to <code class="docutils literal notranslate"><span '
            'class="pre">y</span></code> if')
    assert said in html_text.split('id="REC-CANARIES"')[0]  # the page's own role
    card = _card(html_text, "REC-CANARIES")
    assert "depends on" in card and ":kconfig:" not in card
    assert '<span class="pre">ENTROPY_GENERATOR</span>' in card
    needs = json.loads((project / "_build" / "html" / "needs.json").read_text())
    content = needs["versions"][needs["current_version"]]["needs"]["REC-CANARIES"]["content"]
    assert content.endswith("``CONFIG_STACK_CANARIES`` depends on ``ENTROPY_GENERATOR``.")
