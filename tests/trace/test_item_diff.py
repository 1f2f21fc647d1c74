"""Field and word diffs of model items, and findings compared without line numbers."""

from __future__ import annotations

from secguide.diagnostics import Diagnostic, Severity, SourceLoc
from secguide.trace.diff import finding_changes
from secguide.trace.item_diff import WordKind, field_changes, word_diff


def test_word_diff_keeps_context_and_elides_long_equal_runs() -> None:
    before = " ".join(f"w{n}" for n in range(30)) + " old " + " ".join(
        f"v{n}" for n in range(30))
    after = before.replace(" old ", " new ")
    pieces = word_diff(before, after, context=3)
    assert [(p.kind, p.text) for p in pieces] == [
        (WordKind.GAP, "27 words"), (WordKind.SAME, "w27 w28 w29"),
        (WordKind.REMOVED, "old"), (WordKind.ADDED, "new"),
        (WordKind.SAME, "v0 v1 v2"), (WordKind.GAP, "27 words")]


def test_a_whitespace_only_change_says_so_without_a_word_diff() -> None:
    (change,) = field_changes({"rationale": "one two  three\nfour five"},
                              {"rationale": "one two three four five"})
    assert (change.before, change.after, change.words) == (
        "the same words", "with different line breaks or spacing", ())


def test_settings_profiles_and_verifications_by_entry() -> None:
    before = {"status": "review", "profiles": ["base"],
              "settings": [{"symbol": "A", "value": "y"}, {"symbol": "B", "minimum": 2}],
              "verifications": [{"kind": "build-audit", "ref": "production"}]}
    after = {"status": "approved", "profiles": ["base", "strict"],
             "settings": [{"symbol": "A", "value": "n"}],
             "verifications": [{"kind": "build-audit", "ref": "production"},
                               {"kind": "target-test", "ref": "kernel.x"}]}
    assert [(c.name, c.before, c.after) for c in field_changes(before, after)] == [
        ("status", "review", "approved"),
        ("profiles", "base", "base, strict"),
        ("setting CONFIG_A", "CONFIG_A=y", "CONFIG_A=n"),
        ("setting CONFIG_B", "CONFIG_B >= 2", "(none)"),
        ("verification added", "(none)", "target-test: kernel.x")]


def test_findings_that_only_moved_lines_are_neither_added_nor_fixed() -> None:
    def finding(line: int, message: str) -> Diagnostic:
        return Diagnostic(SourceLoc("threatmodel/t.yaml", line, 5), Severity.ERROR,
                          "unknown-id", message)

    base = [finding(10, "THR-X names REC-GONE (first at threatmodel/r.yaml:3:1)")]
    head = [finding(14, "THR-X names REC-GONE (first at threatmodel/r.yaml:9:1)"),
            finding(20, "THR-Y names REC-NEW")]
    added, fixed = finding_changes(base, head)
    assert [d.message for d in added] == ["THR-Y names REC-NEW"]
    assert fixed == ()


def test_a_setting_whose_note_alone_changed_shows_only_the_note() -> None:
    note = "Default y, and the shell {} it too."
    before = {"settings": [{"symbol": "A", "value": "y", "note": note.format("selects")}]}
    after = {"settings": [{"symbol": "A", "value": "y", "note": note.format("implies")}]}
    (change,) = field_changes(before, after)
    assert change.name == "setting CONFIG_A note"
    assert [(w.kind, w.text) for w in change.words if w.kind is not WordKind.SAME] == [
        (WordKind.REMOVED, "selects"), (WordKind.ADDED, "implies")]
