"""The Working Group's reviewers list: read from the model, schema-checked at its line."""

from __future__ import annotations

from pathlib import Path

from secguide.model.loader import load_threat_model

REPO = Path(__file__).resolve().parents[2]


def test_shipped_list_is_declared_and_empty() -> None:
    model, diagnostics = load_threat_model(REPO / "threatmodel")
    assert model.reviewers == ()  # declared (not None), nobody named yet
    assert not [d for d in diagnostics if "reviewers" in d.loc.path]


def test_reviewers_are_read_with_their_addresses(tmp_path: Path) -> None:
    (tmp_path / "reviewers.yaml").write_text(
        "reviewers:\n  - name: Jane  Doe\n    emails: [Jane@Example.org, jd@wg.example]\n")
    model, diagnostics = load_threat_model(tmp_path)
    assert diagnostics == []
    (jane,) = model.reviewers or ()
    assert (jane.name, jane.emails, jane.loc.line) == (
        "Jane Doe", ("jane@example.org", "jd@wg.example"), 2)


def test_no_list_is_none_and_a_bad_entry_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "threats.yaml").write_text("threats: []\n")
    model, _ = load_threat_model(tmp_path)
    assert model.reviewers is None
    (tmp_path / "reviewers.yaml").write_text(
        "reviewers:\n  - name: Jane\n    emails: [not-an-address]\n  - name: Bob\n")
    model, diagnostics = load_threat_model(tmp_path, display_base=tmp_path)
    found = sorted((d.loc.path, d.loc.line, d.severity.value) for d in diagnostics)
    assert found == [("reviewers.yaml", 3, "error"), ("reviewers.yaml", 4, "error")]
    assert model.reviewers is None  # a list with errors vouches for nobody
