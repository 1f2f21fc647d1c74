"""Bad threat-model input: every case names what is wrong and the line it is on."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from secguide.diagnostics import Diagnostic, SecguideError, Severity
from secguide.model.loader import load_threat_model

GOOD_REC = """\
recommendations:
  - id: REC-MEM-USERSPACE
    title: Enable user mode
    area: memory-protection
    status: review
    rationale: Separates user threads from the kernel.
    settings:
      - symbol: USERSPACE
        value: y
"""


def _load(tmp_path: Path, **files: str) -> tuple[object, list[Diagnostic]]:
    for name, text in files.items():
        path = tmp_path / "tm" / name.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return load_threat_model(tmp_path / "tm", display_base=tmp_path)


def _only_error(diagnostics: list[Diagnostic]) -> Diagnostic:
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    assert len(errors) == 1, [str(d) for d in diagnostics]
    return errors[0]


# (file text, expected code, expected line, a phrase the message must contain)
CASES = {
    "yaml-syntax": ("recommendations:\n  - id: REC-A-B\n    title: [unclosed\n", "yaml-syntax",
                    4, "YAML syntax error"),
    "tab-indent": ("threats:\n\t- id: THR-X-Y\n", "yaml-syntax", 2, "YAML syntax error"),
    "duplicate-key": (GOOD_REC.replace("    status: review\n",
                                       "    status: review\n    status: approved\n"),
                      "duplicate-key", 6, "duplicate key 'status' (first at line 5)"),
    "unknown-field": (GOOD_REC.replace("    status: review\n",
                                       "    status: review\n    severity: high\n"),
                      "unknown-field", 6, "unknown field 'severity' in recommendation"),
    "unknown-section": ("recomendations: []\n", "unknown-field", 1,
                        "unknown field 'recomendations' in file"),
    "missing-field": (GOOD_REC.replace("    rationale: Separates user threads from the kernel.\n",
                                       ""), "missing-field", 2,
                      "recommendation is missing required field 'rationale'"),
    "bad-status": (GOOD_REC.replace("status: review", "status: aproved"), "bad-value", 5,
                   "'aproved' is not allowed for 'status'; use one of: draft, review"),
    "bad-area": (GOOD_REC.replace("area: memory-protection", "area: memory"), "bad-value", 4,
                 "'memory' is not allowed for 'area'"),
    "bad-id": (GOOD_REC.replace("id: REC-MEM-USERSPACE", "id: rec-mem"), "bad-value", 2,
               "'rec-mem' is not a valid id"),
    "boolean-value": (GOOD_REC.replace("value: y", "value: true"), "wrong-type", 9,
                      "value true is a YAML boolean (YAML reads yes/no"),
    "yes-is-boolean": (GOOD_REC.replace("value: y", "value: yes"), "wrong-type", 9,
                       "write the Kconfig value y or n"),
    "settings-not-list": (GOOD_REC.replace("    settings:\n      - symbol: USERSPACE\n"
                                           "        value: y\n",
                                           "    settings: USERSPACE=y\n"),
                          "wrong-type", 7, "'settings' must be a list, not text"),
    "value-and-min": (GOOD_REC.replace("value: y", "value: 1\n        min: 2"), "bad-setting",
                      8, "either 'value' or 'min'/'max'"),
    "two-verification-kinds": (GOOD_REC + "    verification:\n      - zephyr_test: a.b\n"
                               "        manual: look\n", "bad-verification", 11,
                               "exactly one of 'zephyr_test', 'pytest', 'build_audit' or 'manual'"),
    "manual-without-id": (GOOD_REC + "    verification:\n      - manual: look\n",
                          "bad-verification", 11, "a manual check needs a short stable 'id'"),
    "id-on-a-test": (GOOD_REC + "    verification:\n      - zephyr_test: a.b\n"
                     "        id: TEST-MAN-X\n", "bad-verification", 11,
                     "'id' is given only to manual checks"),
    "long-manual-id": (GOOD_REC + "    verification:\n      - manual: look\n"
                       "        id: TEST-MAN-" + "X" * 40 + "\n", "bad-value", 12,
                       "is not a valid id"),
    "deprecated-without-block": (GOOD_REC.replace("status: review", "status: deprecated"),
                                 "missing-field", 2,
                                 "recommendation is missing required field 'deprecated'"),
    "deprecated-block-on-active": (GOOD_REC + "    deprecated: {removed_in: '1.14'}\n",
                                   "bad-deprecation", 2,
                                   "exactly when its status is 'deprecated'"),
    "not-a-mapping": ("- just\n- a list\n", "not-a-mapping", 1,
                      "must be a mapping of sections"),
    "scalar-file": ("hello\n", "not-a-mapping", 1, "not text"),
    "empty-file": ("", "empty-file", 1, "file is empty"),
    "empty-title": (GOOD_REC.replace("title: Enable user mode", "title: ''"), "bad-value", 3,
                    "'title' must not be empty"),
    "review-date": (GOOD_REC + "    review: {by: WG, date: 25-11-2026, "
                    "fingerprint: abcdef0123456789}\n",
                    "bad-value", 10, "'25-11-2026' is not a valid date"),
    "adversary-without-reason": ("adversaries:\n  - id: ADV-X\n    title: X\n    description: d\n"
                                 "    addressed: false\n", "missing-field", 2,
                                 "adversary is missing required field 'reason'"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_reported_with_line(case: str, tmp_path: Path) -> None:
    text, code, line, phrase = CASES[case]
    _, diagnostics = _load(tmp_path, **{"bad.yaml": text})
    error = _only_error(diagnostics)
    assert error.code == code
    assert error.loc.path == "tm/bad.yaml"
    assert error.loc.line == line
    assert phrase in error.message


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    _, diagnostics = _load(tmp_path, **{"a.yaml": GOOD_REC, "sub__b.yaml": GOOD_REC})
    error = _only_error(diagnostics)
    assert (error.code, error.loc.path, error.loc.line) == ("duplicate-id", "tm/sub/b.yaml", 2)
    assert "first defined at tm/a.yaml:2:9" in error.message


def test_all_errors_are_collected_before_failing(tmp_path: Path) -> None:
    _, diagnostics = _load(tmp_path, **{
        "a.yaml": CASES["bad-status"][0],
        "b.yaml": CASES["yaml-syntax"][0],
        "c.yaml": CASES["unknown-field"][0].replace("REC-MEM-USERSPACE", "REC-MEM-OTHER"),
    })
    assert [(d.loc.path, d.code) for d in diagnostics] == [
        ("tm/a.yaml", "bad-value"), ("tm/b.yaml", "yaml-syntax"), ("tm/c.yaml", "unknown-field"),
    ]


def test_invalid_item_is_left_out_but_its_id_is_known(tmp_path: Path) -> None:
    model, diagnostics = _load(tmp_path, **{"a.yaml": CASES["bad-status"][0]})
    assert model.recommendations == ()
    assert model.invalid_ids == {"REC-MEM-USERSPACE"}
    assert len(diagnostics) == 1


def test_unquoted_dates_become_text(tmp_path: Path) -> None:
    model, diagnostics = _load(tmp_path, **{"a.yaml": GOOD_REC + (
        "    review: {by: WG, date: 2026-11-25, fingerprint: abcdef0123456789}\n")})
    assert diagnostics == []
    assert model.recommendations[0].review.date == "2026-11-25"


def test_good_file_builds_the_model(tmp_path: Path) -> None:
    model, diagnostics = _load(tmp_path, **{"a.yaml": "# leading comment\n" + GOOD_REC})
    assert diagnostics == []
    (rec,) = model.recommendations
    assert rec.loc.path == "tm/a.yaml" and rec.loc.line == 3
    assert rec.settings[0].symbol == "USERSPACE" and rec.settings[0].value == "y"
    assert rec.settings[0].loc.line == 9


def test_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(SecguideError,
                       match="nope: cannot read threat-model folder: no such folder"):
        load_threat_model(tmp_path / "nope")


def test_folder_without_yaml(tmp_path: Path) -> None:
    (tmp_path / "tm").mkdir()
    _, diagnostics = load_threat_model(tmp_path / "tm", display_base=tmp_path)
    assert _only_error(diagnostics).code == "no-files"


def test_manual_check_ids_are_unique_across_the_model(tmp_path: Path) -> None:
    check = "    verification:\n      - id: TEST-MAN-LOOK\n        manual: look\n"
    other = GOOD_REC.replace("REC-MEM-USERSPACE", "REC-MEM-OTHER")
    model, diagnostics = _load(tmp_path, **{"a.yaml": GOOD_REC + check, "b.yaml": other + check})
    error = _only_error(diagnostics)
    assert (error.code, error.loc.path, error.loc.line) == ("duplicate-id", "tm/b.yaml", 11)
    assert "TEST-MAN-LOOK" in error.message and "tm/a.yaml:11" in error.message
    first = model.recommendation("REC-MEM-USERSPACE")
    assert first is not None
    assert [(v.kind, v.id, v.ref) for v in first.verifications] == [
        ("manual-check", "TEST-MAN-LOOK", "look")]


def test_build_audit_gets_one_id_per_recommendation(tmp_path: Path) -> None:
    model, diagnostics = _load(tmp_path, **{
        "a.yaml": GOOD_REC + "    verification:\n      - build_audit: production\n"})
    assert diagnostics == []
    rec = model.recommendation("REC-MEM-USERSPACE")
    assert rec is not None
    assert [(v.kind, v.id, v.ref) for v in rec.verifications] == [
        ("build-audit", "TEST-AUDIT-MEM-USERSPACE", "production")]


def test_an_impossible_date_is_read_as_text_not_a_crash(tmp_path: Path) -> None:
    model, _ = _load(tmp_path, **{"a.yaml": GOOD_REC + "    review: {by: WG, date: 2026-02-30, "
                                            "fingerprint: abcdef0123456789}\n"})
    rec = model.recommendation("REC-MEM-USERSPACE")
    assert rec is not None and rec.review is not None
    assert rec.review.date == "2026-02-30"
