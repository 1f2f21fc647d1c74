"""The diagnostic-code catalogue: complete, described, and the same in both faces."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.codes import CATALOGUE, Code, Scope
from secguide.diagnostics import Diagnostic, Severity, SourceLoc, did_you_mean

PACKAGE = Path(__file__).resolve().parents[1] / "ext" / "secguide"


def test_every_code_has_one_row_with_a_one_line_summary() -> None:
    assert list(CATALOGUE) == list(Code)
    for code, info in CATALOGUE.items():
        assert info.code is code
        assert info.summary.endswith(".") and "\n" not in info.summary
        assert re.fullmatch(r"([a-z]+\.)?[a-z]+(-[a-z]+)*", code.value)


def test_unregistered_code_is_refused() -> None:
    with pytest.raises(ValueError, match=r"not in secguide\.codes"):
        Diagnostic(SourceLoc("x.yaml", 1), Severity.ERROR, "no-such-code", "m")
    assert Diagnostic(SourceLoc("x.yaml"), Severity.ERROR, "unknown-id", "m").code \
        is Code.UNKNOWN_ID


def test_every_code_literal_in_the_package_is_registered() -> None:
    """String codes passed to Diagnostic/_error/_warning anywhere in the package exist."""
    literal = re.compile(r'(?:Severity\.\w+,\s*|_error\([^,]+,\s*|_warning\([^,]+,\s*)'
                         r'"([a-z]+(?:-[a-z]+)+)"')
    used = {match for path in PACKAGE.rglob("*.py")
            for match in literal.findall(path.read_text(encoding="utf-8"))}
    assert used, "the pattern found no codes: it no longer matches the code base"
    assert used <= {code.value for code in Code}, used - {code.value for code in Code}


def test_list_codes_prints_the_catalogue(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--list-codes"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(CATALOGUE)
    first = {line.split()[0]: line for line in lines}
    assert "check and build" in first["unknown-symbol-text"]
    assert "build only" in first["item-not-shown"]
    assert CATALOGUE[Code.MITIGATES_NOTHING].summary in first["mitigates-nothing"]
    assert {info.scope for info in CATALOGUE.values()} == set(Scope)


def test_one_did_you_mean_wording() -> None:
    assert did_you_mean([]) == ""
    assert did_you_mean(["A"]) == "did you mean A?"
    assert did_you_mean(["A", "B", "A", "C", "D"]) == "did you mean A, B, C?"


def test_one_source_date_rule() -> None:
    import datetime as dt

    from secguide.diagnostics import SecguideError
    from secguide.files import source_date

    assert source_date({"SOURCE_DATE_EPOCH": "1767225600"}) == dt.datetime(2026, 1, 1,
                                                                          tzinfo=dt.UTC)
    assert source_date({}).microsecond == 0
    for bad in ("yesterday", "-5", "1.5", "9" * 30):
        with pytest.raises(SecguideError, match="not a whole number of seconds"):
            source_date({"SOURCE_DATE_EPOCH": bad})


def test_atomic_write_keeps_mode_and_leaves_no_temp(tmp_path: Path) -> None:
    from secguide.files import write_atomically

    target = tmp_path / "out.txt"
    target.write_text("old")
    target.chmod(0o640)
    write_atomically(target, "new\r\n")
    assert target.read_bytes() == b"new\r\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_atomic_write_gives_a_new_file_the_umask_mode_not_0600(tmp_path: Path) -> None:
    # mkstemp creates 0600; a new report (audit -o, hardening export -o) must get the mode
    # any other tool would give it, so CI and a web server can read it.
    import os

    from secguide.files import write_atomically

    previous = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.sarif", "{}\n")
    finally:
        os.umask(previous)
    assert (tmp_path / "new.sarif").stat().st_mode & 0o777 == 0o644


def test_markdown_reports_keep_tree_text_inert() -> None:
    from secguide.templates import md_code, md_fence

    assert md_code("CONFIG_X") == "`CONFIG_X`"
    assert md_code("help with `ticks` and ``more``") == "``` help with `ticks` and ``more`` ```"
    assert md_code("`edge") == "`` `edge ``"
    assert md_code("two\nlines") == "`two lines`"
    assert md_fence(["plain"]) == "```"
    assert md_fence(["-```", "+````x"]) == "`````"
