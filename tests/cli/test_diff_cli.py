"""``secguide diff`` on a temporary git repository of the real model against the real tree
and the real reference builds: each kind of change shows with its consequences."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
BUILDS = REPO.parent / "shared" / "builds" / "configs"
HARDENING = REPO.parent / "shared" / "zephyr" / "upstream-hardening"
REVIEWER = ("Wendy Reviewer", "wendy@wg.example")
OUTSIDER = ("Mallory Contributor", "mallory@elsewhere.example")
REVIEWERS_YAML = """\
reviewers:
  - name: Wendy Reviewer
    emails: [wendy@wg.example]
"""
STAMPED = ["REC-STACK-CANARIES", "REC-MP-EXECUTE-XOR-WRITE", "THR-STACK-SMASHING",
           "CLS-CRA-I-1"]
RECS = "threatmodel/recommendations"

NEW_THREAT = """
  - id: THR-DIFF-TEST-NEW
    title: A new threat added by the pull request
    description: >-
      A threat the Working Group has not seen before, mitigated by stack canaries.
    adversaries: [ADV-REMOTE-NETWORK]
    mitigated_by: [REC-STACK-CANARIES]
"""


def git(repo: Path, *args: str, who: tuple[str, str] = REVIEWER) -> str:
    name, email = who
    return subprocess.run(["git", "-C", str(repo), "-c", f"user.name={name}",
                           "-c", f"user.email={email}", *args],
                          check=True, capture_output=True, text=True).stdout


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, f"{old!r} not once in {path}"
    path.write_text(text.replace(old, new))


def remove_block(path: Path, start: str, stop: str) -> None:
    """Cut the text from the line ``start`` up to (not including) the line ``stop``."""
    text = path.read_text()
    begin, end = text.index(start), text.index(stop)
    path.write_text(text[:begin] + text[end:])


def branch(repo: Path, name: str, change, message: str, who: tuple[str, str] = REVIEWER
           ) -> None:
    git(repo, "checkout", "-q", "-b", name, "base")
    change(repo)
    git(repo, "commit", "-q", "-am", message, who=who)
    git(repo, "checkout", "-q", "main")


def accept(zephyr: Path, *ids: str):
    """A change that stamps ``ids`` in the name of the Working Group's reviewer."""
    def stamp(repo: Path) -> None:
        assert main(["review", "--threatmodel", str(repo / "threatmodel"), "--zephyr-base",
                     str(zephyr), "--by", REVIEWER[0], "--date", "2026-02-01",
                     "--accept", *ids]) == 0
    return stamp


@pytest.fixture(scope="module")
def model_repo(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> Path:
    repo = tmp_path_factory.mktemp("diff") / "guide"
    repo.mkdir()
    for name in ("threatmodel", "source", "tests"):
        shutil.copytree(REPO / name, repo / name,
                        ignore=shutil.ignore_patterns("__pycache__", ".pytest_cache"))
    shutil.copy(REPO / "conf.py", repo / "conf.py")
    (repo / "threatmodel/reviewers.yaml").write_text(REVIEWERS_YAML)
    git(repo, "init", "-q", "-b", "main")
    assert main(["review", "--threatmodel", str(repo / "threatmodel"), "--zephyr-base",
                 str(zephyr_v4_path), "--by", REVIEWER[0], "--date", "2026-01-05",
                 "--accept", *STAMPED]) == 0
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "The model as the Working Group reviewed it")
    git(repo, "tag", "base")

    branch(repo, "value", lambda r: edit(
        r / RECS / "memory-protection.yaml",
        '- symbol: EXECUTE_XOR_WRITE\n        value: "y"',
        '- symbol: EXECUTE_XOR_WRITE\n        value: "n"'), "W^X value flipped")
    branch(repo, "removed", lambda r: remove_block(
        r / RECS / "stack-protection.yaml", "  - id: REC-STACK-CANARIES\n",
        "  - id: REC-STACK-CANARIES-STRONG\n"), "Stack canaries removed")
    branch(repo, "new-threat", lambda r: edit(
        r / "threatmodel/threats.yaml", "threats:\n", "threats:" + NEW_THREAT + "\n"),
        "A new threat")
    branch(repo, "status", lambda r: edit(
        r / RECS / "stack-protection.yaml",
        "  - id: REC-STACK-CANARIES\n    title: Build with compiler stack canaries\n"
        "    area: stack-protection\n    status: review\n",
        "  - id: REC-STACK-CANARIES\n    title: Build with compiler stack canaries\n"
        "    area: stack-protection\n    status: draft\n"), "Canaries back to draft")
    branch(repo, "prose", lambda r: edit(
        r / RECS / "stack-protection.yaml", "comes from the random number subsystem",
        "comes from the random number generator"), "Wording")
    # Mallory stamps an item in Wendy's name; then the same, but Wendy signs the commit off.
    branch(repo, "outsider", accept(zephyr_v4_path, "REC-STACK-SENTINEL"),
           "Stamp the sentinel", OUTSIDER)
    branch(repo, "signed-off", accept(zephyr_v4_path, "REC-STACK-SENTINEL"),
           f"Stamp the sentinel\n\nSigned-off-by: {REVIEWER[0]} <{REVIEWER[1]}>", OUTSIDER)
    return repo


def diff(capsys: pytest.CaptureFixture[str], repo: Path, monkeypatch: pytest.MonkeyPatch,
         *argv: str) -> tuple[int, str]:
    monkeypatch.chdir(repo)
    code = main(["diff", *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out


def as_json(capsys, repo, monkeypatch, *argv: str) -> tuple[int, dict]:
    code, out = diff(capsys, repo, monkeypatch, *argv, "--format", "json")
    return code, json.loads(out)


def item(report: dict, item_id: str) -> dict:
    return next(entry for entry in report["items"] if entry["id"] == item_id)


def build(report: dict, name: str) -> dict:
    return next(b for b in report["builds"]["builds"] if b["build"].endswith(name))


def test_identical_revisions_exit_0_and_say_no_changes(capsys, model_repo, monkeypatch):
    code, out = diff(capsys, model_repo, monkeypatch, "base", "main", "--builds", str(BUILDS))
    assert code == 0
    assert "no changes" in out
    # the working tree is the default head; it is the same commit
    code, out = diff(capsys, model_repo, monkeypatch, "base")
    assert (code, out.splitlines()[-1]) == (0, "no changes")


def test_value_change_moves_a_verdict_and_makes_the_stamp_suspect(capsys, model_repo,
                                                                    monkeypatch):
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "value", "--builds",
                           str(BUILDS), "--fail-on", "verdict")
    assert code == 1  # a reference build newly fails
    changed = item(report, "REC-MP-EXECUTE-XOR-WRITE")
    assert changed["change"] == "changed"
    assert [(f["field"], f["before"], f["after"]) for f in changed["fields"]] == [
        ("setting CONFIG_EXECUTE_XOR_WRITE", "CONFIG_EXECUTE_XOR_WRITE=y",
         "CONFIG_EXECUTE_XOR_WRITE=n")]
    # Only this build sets CONFIG_EXECUTE_XOR_WRITE (=y, line 1075): PASS before, FAIL now.
    userspace = build(report, "processor-twister-userspace_hello.config")
    assert [(c["recommendation"], c["before"], c["after"]) for c in userspace["changes"]] == [
        ("REC-MP-EXECUTE-XOR-WRITE", "PASS", "FAIL")]
    assert userspace["newly_failing"] == 1
    suspect = {s["id"]: s for s in report["review"]["suspect"]}
    assert list(suspect) == ["REC-MP-EXECUTE-XOR-WRITE"]
    assert suspect["REC-MP-EXECUTE-XOR-WRITE"]["by"] == REVIEWER[0]
    assert any("value y -> n" in reason for reason in suspect["REC-MP-EXECUTE-XOR-WRITE"]
               ["reasons"])
    assert report["trace"] == {"threats": [], "verifications": [], "clauses": []}


def test_removed_recommendation_loses_mitigations_mappings_and_verdicts(capsys, model_repo,
                                                                        monkeypatch):
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "removed", "--builds",
                           str(BUILDS))
    assert code == 1
    assert item(report, "REC-STACK-CANARIES")["change"] == "removed"
    threats = {c["id"]: c for c in report["trace"]["threats"]}
    # threats.yaml lists REC-STACK-CANARIES under two threats, control-flow.yaml under one
    assert sorted(threats) == ["THR-CODE-REUSE", "THR-PREDICTABLE-LAYOUT", "THR-STACK-SMASHING"]
    assert all(c["lost"] == ["REC-STACK-CANARIES"] and not c["gained"]
               for c in threats.values())
    clauses = {c["id"]: c for c in report["trace"]["clauses"]}
    assert clauses["CLS-CRA-I-1"]["lost"] == ["REC-STACK-CANARIES"]
    assert len(clauses) == 6  # cra.yaml x3, en-303-645 x1, iec-62443-4-2 x2 name it
    # The threat's and clause's own content is unchanged, so their stamps still match
    # (check reports the dangling links instead); the recommendation's stamp goes with it.
    assert report["review"]["suspect"] == []
    assert [(s["id"], s["change"], s["by"]) for s in report["review"]["stamps"]] == [
        ("REC-STACK-CANARIES", "removed", REVIEWER[0])]
    # the dangling links are new check findings
    added = [(f["code"], f["path"]) for f in report["checks"]["added"]]
    assert ("unknown-id", "threatmodel/threats.yaml") in added
    # every build that was judged on CONFIG_STACK_CANARIES no longer is
    qemu = build(report, "qemu_x86-vehicleos.config")
    dropped = [c for c in qemu["changes"] if c["recommendation"] == "REC-STACK-CANARIES"]
    assert len(dropped) == 1 and dropped[0]["before"] is not None and dropped[0]["after"] is None


def test_new_threat_gains_mitigation_needs_sign_off_and_moves_a_stamp(capsys, model_repo,
                                                                      monkeypatch):
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "new-threat")
    assert code == 1
    new = item(report, "THR-DIFF-TEST-NEW")
    assert (new["change"], new["kind"]) == ("added", "threat")
    threats = {c["id"]: c for c in report["trace"]["threats"]}
    assert threats == {"THR-DIFF-TEST-NEW": {
        "id": "THR-DIFF-TEST-NEW", "title": "A new threat added by the pull request",
        "gained": ["REC-STACK-CANARIES"], "lost": [], "level": ""}}
    sign_off = {s["id"]: s["why"] for s in report["review"]["sign_off"]}
    assert sign_off["THR-DIFF-TEST-NEW"] == "new item"
    # the recommendation's review covers the threats that list it
    suspect = {s["id"]: s["reasons"] for s in report["review"]["suspect"]}
    assert suspect == {"REC-STACK-CANARIES": [
        "THR-DIFF-TEST-NEW now lists REC-STACK-CANARIES in mitigated_by"]}


def test_status_change_shows_the_field_and_needs_sign_off(capsys, model_repo, monkeypatch):
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "status", "--builds",
                           str(BUILDS))
    assert code == 1
    fields = item(report, "REC-STACK-CANARIES")["fields"]
    assert [(f["field"], f["before"], f["after"]) for f in fields] == [
        ("status", "review", "draft")]
    assert [s["id"] for s in report["review"]["suspect"]] == ["REC-STACK-CANARIES"]
    assert {s["id"]: s["why"] for s in report["review"]["sign_off"]} == {
        "REC-STACK-CANARIES": "its stamp no longer matches"}
    # a draft recommendation is still audited: no verdict moves
    assert all(not b["changes"] for b in report["builds"]["builds"])


def test_prose_only_edit_is_a_word_diff_with_no_other_consequence(capsys, model_repo,
                                                                   monkeypatch):
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "prose", "--builds",
                           str(BUILDS), "--fail-on", "verdict,finding")
    assert code == 0  # changes, but none of the kinds CI was told to fail on
    (field,) = item(report, "REC-STACK-CANARIES")["fields"]
    assert field["field"] == "rationale"
    changed = [(w["kind"], w["text"]) for w in field["words"] if w["kind"] != "same"
               and w["kind"] != "gap"]
    assert changed == [("removed", "subsystem,"), ("added", "generator,")]
    assert [s["id"] for s in report["review"]["suspect"]] == ["REC-STACK-CANARIES"]
    assert report["trace"] == {"threats": [], "verifications": [], "clauses": []}
    assert report["checks"] == {"added": [], "fixed": []}
    assert all(not b["changes"] for b in report["builds"]["builds"])
    code, out = diff(capsys, model_repo, monkeypatch, "base", "prose")
    assert code == 1
    assert "[-subsystem,-] {+generator,+}" in out


def test_markdown_is_a_summary_then_collapsed_sections(capsys, model_repo, monkeypatch,
                                                       tmp_path):
    page = tmp_path / "diff.html"
    code, out = diff(capsys, model_repo, monkeypatch, "base", "removed", "--builds",
                     str(BUILDS), "--format", "md", "--html", str(page))
    assert code == 1
    assert len(out) < 60_000
    tokens = MarkdownIt("commonmark").enable("table").parse(out)
    kinds = [t.type for t in tokens]
    assert kinds[0] == "heading_open"
    assert kinds.index("table_open") < next(i for i, t in enumerate(tokens)
                                            if t.type == "html_block")
    summaries = [t.content for t in tokens if t.type == "html_block"
                 and "<summary>" in t.content]
    assert [s.split("<summary>")[1].split(":")[0] for s in summaries] == [
        "Items", "Trace", "Review", "Checks", "Builds"]
    # the summary table counts what the sections list
    table = [t.content for t in tokens if t.type == "inline"]
    assert "items removed" in table and table[table.index("items removed") + 1] == "1"
    html = page.read_text()
    assert html.startswith("<!DOCTYPE html>") and "REC-STACK-CANARIES" in html


def test_markdown_is_cut_under_the_limit_with_a_note(model_repo):
    from secguide.evidence.diff_report import render_markdown
    from secguide.trace.diff import ItemDiff, ModelDiff
    from secguide.trace.item_diff import Change

    many = tuple(ItemDiff(f"REC-X-{n}", "recommendation", "t" * 200, Change.ADDED, "x.yaml:1")
                 for n in range(400))
    text = render_markdown(ModelDiff(base="a", head="b", zephyr_version="4.2.99",
                                     profile="strict", items=many))
    assert len(text) <= 60_000
    assert "more left out" in text


def test_hostile_title_stays_inert(capsys, model_repo, monkeypatch, tmp_path):
    folder_a = tmp_path / "a" / "threatmodel"
    folder_b = tmp_path / "b" / "threatmodel"
    shutil.copytree(model_repo / "threatmodel", folder_a)
    shutil.copytree(model_repo / "threatmodel", folder_b)
    edit(folder_b / "recommendations/stack-protection.yaml",
         "title: Build with compiler stack canaries",
         'title: "<script>alert(1)</script> [x](javascript:y)"')
    page = tmp_path / "page.html"
    code, out = diff(capsys, model_repo, monkeypatch, str(folder_a), str(folder_b),
                     "--format", "md", "--html", str(page))
    assert code == 1
    assert "<script>" not in out and "<script>" not in page.read_text()
    tokens = MarkdownIt("commonmark").enable("table").parse(out)
    links = [child for t in tokens for child in t.children or [] if child.type == "link_open"]
    assert links == []


def test_bad_revision_is_exit_2_with_one_line(capsys, model_repo, monkeypatch):
    monkeypatch.chdir(model_repo)
    assert main(["diff", "no-such-branch"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no-such-branch" in err


def test_stamp_committed_by_someone_not_on_the_list_is_reported(capsys, model_repo,
                                                                monkeypatch, tmp_path):
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "outsider")
    assert code == 1
    (stamp,) = report["review"]["stamps"]
    assert (stamp["id"], stamp["change"], stamp["by"], stamp["matches"], stamp["origin"]) == (
        "REC-STACK-SENTINEL", "added", REVIEWER[0], True, "unauthorised")
    assert stamp["committed_by"].startswith("Mallory Contributor <mallory@elsewhere.example> in ")
    added = [(f["code"], f["severity"]) for f in report["checks"]["added"]]
    assert added == [("unauthorised-stamp", "error")]
    # check on that revision says so at the stamp's line, and fails
    tree = tmp_path / "outsider"
    git(model_repo, "worktree", "add", "-q", "--detach", str(tree), "outsider")
    monkeypatch.chdir(tree)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    (line,) = [x for x in out.splitlines() if "[unauthorised-stamp]" in x]
    assert line.startswith("threatmodel/recommendations/stack-protection.yaml:")
    assert "REC-STACK-SENTINEL (by Wendy Reviewer)" in line and "Mallory Contributor" in line
    stamp_line = int(line.split(":")[1])
    assert "review: {by: Wendy Reviewer" in \
        (tree / RECS / "stack-protection.yaml").read_text().splitlines()[stamp_line - 1]


def test_stamp_signed_off_by_a_reviewer_is_theirs(capsys, model_repo, monkeypatch):
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "signed-off")
    assert code == 1  # a stamp was added: that is a change
    (stamp,) = report["review"]["stamps"]
    assert (stamp["id"], stamp["origin"]) == ("REC-STACK-SENTINEL", "authorised")
    assert report["checks"] == {"added": [], "fixed": []}


def test_outside_git_or_in_a_shallow_clone_stamps_are_not_verified(capsys, model_repo,
                                                                   monkeypatch, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(model_repo / "threatmodel", copy / "threatmodel")
    monkeypatch.chdir(copy)
    assert main(["check", "--strict"]) == 0  # a note fails nothing
    out = capsys.readouterr().out
    notes = [x for x in out.splitlines() if "[stamp-not-verified]" in x]
    assert len(notes) == len(STAMPED)
    assert all(": note: cannot verify who committed" in x and "not in a git repository" in x
               for x in notes)
    assert "unauthorised-stamp" not in out
    shallow = tmp_path / "shallow"
    subprocess.run(["git", "clone", "-q", "--depth", "1", "--branch", "outsider",
                    f"file://{model_repo}", str(shallow)], check=True)
    monkeypatch.chdir(shallow)
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "unauthorised-stamp" not in out
    assert out.count("shallow clone") == len(STAMPED) + 1


WORKFLOW = REPO / ".github" / "workflows" / "secguide-diff.yml"


def workflow_steps() -> dict[str, str]:
    """The ``run`` script of every workflow step that has an id."""
    import yaml

    job = yaml.safe_load(WORKFLOW.read_text())["jobs"]["diff"]
    return {step["id"]: step["run"] for step in job["steps"] if "id" in step}


def run_step(script: str, where: Path, env: dict[str, str]) -> int:
    import os

    assert "${{" not in script  # runs the same outside GitHub Actions
    return subprocess.run(["bash", "-e", "-c", script], cwd=where, env=os.environ | env,
                          capture_output=True, text=True, timeout=600).returncode


@pytest.mark.parametrize(("branch_name", "check", "status"), [
    ("value", 0, "1"),        # a stamp made suspect and a build newly failing
    ("signed-off", 0, "0"),   # a stamp added by a reviewer's signed-off commit: passes
    ("outsider", 1, "1"),     # a stamp committed by someone else: check fails, so does diff
])
def test_ci_workflow_steps_run_locally(model_repo, zephyr_v4_path, tmp_path, branch_name,
                                       check, status):
    steps = workflow_steps()
    assert list(steps) == ["check", "diff", "gate"]
    clone = tmp_path / "pr"
    git(model_repo, "worktree", "add", "-q", "--detach", str(clone), branch_name)
    (clone / ".venv").symlink_to(REPO / ".venv")
    output = tmp_path / "github-output"
    env = {"ZEPHYR_BASE": str(zephyr_v4_path), "SECGUIDE_REFERENCE_BUILDS": str(BUILDS),
           "SECGUIDE_DIFF_BASE": "base", "GITHUB_OUTPUT": str(output)}
    assert run_step(steps["check"], clone, env) == check
    assert run_step(steps["diff"], clone, env) == 0
    assert output.read_text() == f"status={status}\n"
    comment = (clone / "_build/secguide-diff.md").read_text()
    assert comment.startswith("### secguide diff: base \\(")
    assert (clone / "_build/secguide-diff.html").read_text().startswith("<!DOCTYPE html>")
    assert run_step(steps["gate"], clone, env | {"DIFF_STATUS": status}) == int(status)


def test_upstream_rules_that_the_change_makes_differ(capsys, model_repo, monkeypatch):
    # The shared database rules CONFIG_EXECUTE_XOR_WRITE=y and CONFIG_STACK_CANARIES=y,
    # as the guide does at the base revision.
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "value", "--hardening",
                           str(HARDENING))
    assert code == 1
    assert report["upstream"]["changes"] == [{
        "symbol": "CONFIG_EXECUTE_XOR_WRITE", "before": "agrees",
        "after": "value differs (upstream y, guide n)"}]
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "removed", "--hardening",
                           str(HARDENING))
    assert {"symbol": "CONFIG_STACK_CANARIES", "before": "agrees",
            "after": "upstream only"} in report["upstream"]["changes"]
    code, report = as_json(capsys, model_repo, monkeypatch, "base", "prose", "--hardening",
                           str(HARDENING))
    assert report["upstream"]["changes"] == []
