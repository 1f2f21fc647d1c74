"""Every file or folder named on the command line, when it cannot be used, fails the same way.

One table over every command that reads files: a missing path, one that cannot be
opened (a loop of symbolic links, which root cannot read either), a folder where a file
belongs (or a file where a folder belongs), an empty file, binary bytes and malformed
text. Each gives a few lines at most, every one without a traceback, the path named at
the start of a line, and exit code 2 -- except where the file is what the command
checks (the threat model, the database of ``hardening import``): then what is wrong
inside it is a finding, exit code 1.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.diagnostics import SecguideError
from secguide.input_limits import require_file, why_unusable

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
REAL_CONFIG = SHARED / "builds" / "configs" / "hifive1_revb-zbus.config"
HARDENING_DB = SHARED / "zephyr" / "upstream-hardening"
V1_TREE = SHARED / "zephyr" / "v1.13.0"

FILE_KINDS = ("missing", "unreadable", "folder", "empty", "binary", "malformed")
FOLDER_KINDS = ("missing", "unreadable", "file", "empty-folder")


def _make(tmp: Path, kind: str) -> Path:
    path = tmp / f"input-{kind}"
    if kind == "unreadable":
        os.symlink(path, path)  # opening it fails with ELOOP, for root too
    elif kind in ("folder", "empty-folder"):
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "binary":
        path.write_bytes(bytes(range(256)) * 2)
    elif kind in ("malformed", "file"):
        path.write_text("CONFIG_A=\n<testsuites\n  - [unclosed\n{\"x\": \n")
    return path


Argv = Callable[[str, Path], list[str]]

#: command -> (argv with the bad path, kinds tried, kinds whose exit code is 1).
CASES: dict[str, tuple[Argv, tuple[str, ...], frozenset[str]]] = {
    "check --threatmodel": (lambda x, out: ["check", "--threatmodel", x],
                            FOLDER_KINDS, frozenset({"empty-folder"})),
    "check --zephyr-base": (lambda x, out: ["check", "--zephyr-base", x], FOLDER_KINDS,
                            frozenset()),
    "coverage --results": (lambda x, out: ["coverage", "--results", x], FILE_KINDS,
                           frozenset()),
    "coverage --hardening": (lambda x, out: ["coverage", "--hardening", x], FOLDER_KINDS,
                             frozenset()),
    "export --results": (lambda x, out: ["export", "--out", str(out), "--results", x],
                         FILE_KINDS, frozenset()),
    "evidence BUILD": (lambda x, out: ["evidence", x, "--out", str(out)], FILE_KINDS,
                       frozenset()),
    "evidence --results": (lambda x, out: ["evidence", str(REAL_CONFIG), "--out", str(out),
                                           "--results", x], FILE_KINDS, frozenset()),
    "evidence --manual": (lambda x, out: ["evidence", str(REAL_CONFIG), "--out", str(out),
                                          "--manual", x], FILE_KINDS, frozenset()),
    "audit BUILD": (lambda x, out: ["audit", x], FILE_KINDS, frozenset()),
    "audit --waivers": (lambda x, out: ["audit", str(REAL_CONFIG), "--waivers", x],
                        FILE_KINDS, frozenset()),
    "audit --hardening": (lambda x, out: ["audit", str(REAL_CONFIG), "--rules", "upstream",
                                          "--hardening", x], FOLDER_KINDS, frozenset()),
    "audit --hardening-extra": (lambda x, out: ["audit", str(REAL_CONFIG), "--rules",
                                                "upstream", "--hardening", str(HARDENING_DB),
                                                "--hardening-extra", x],
                                FILE_KINDS, frozenset()),
    "board --threatmodel": (lambda x, out: ["board", "nucleo_h753zi", "--threatmodel", x],
                            FOLDER_KINDS, frozenset({"empty-folder"})),
    "hardening import DIR": (lambda x, out: ["hardening", "import", x], FOLDER_KINDS,
                             frozenset()),
    "hardening import --hardening-extra": (
        lambda x, out: ["hardening", "import", str(HARDENING_DB), "--hardening-extra", x],
        FILE_KINDS, frozenset({"empty", "binary", "malformed"})),
    "hardening export --threatmodel": (lambda x, out: ["hardening", "export",
                                                       "--threatmodel", x],
                                       FOLDER_KINDS, frozenset({"empty-folder"})),
    "review --threatmodel": (lambda x, out: ["review", "--threatmodel", x], FOLDER_KINDS,
                             frozenset({"empty-folder"})),
    "drift --from": (lambda x, out: ["drift", "--from", x], FOLDER_KINDS, frozenset()),
    "drift --to": (lambda x, out: ["drift", "--from", str(V1_TREE), "--to", x], FOLDER_KINDS,
                   frozenset()),
}

TABLE = [(name, kind) for name, (_, kinds, _) in CASES.items() for kind in kinds]


@pytest.mark.parametrize(("command", "kind"), TABLE, ids=[f"{c}-{k}" for c, k in TABLE])
def test_a_bad_input_is_named_with_one_exit_code(command: str, kind: str, tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str],
                                                 zephyr_v4_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)  # ./threatmodel is the real model
    argv, _, findings = CASES[command]
    bad = _make(tmp_path, kind)
    out = tmp_path / "out"
    code = main(argv(str(bad), out))  # an exception here is a traceback for the user
    captured = capsys.readouterr()
    err = captured.err
    # Usage errors go to stderr; findings may be the command's report (standard output).
    lines = (err if kind not in findings else captured.out + err).splitlines()
    assert code == (1 if kind in findings else 2), err
    assert "Traceback" not in err
    assert any(line.startswith((f"secguide: error: {bad}:", f"{bad}:",
                                f"secguide: error: --zephyr-base={bad}:",
                                f"secguide: error: --from={bad}:",
                                f"secguide: error: --to={bad}:")) for line in lines), err
    # A file's own problems are listed (each at its line), then one summary; the folder
    # of a failed command's output is never written.
    assert len(err.splitlines()) <= 6, err
    assert not out.exists()


def test_permission_denied_is_worded_like_the_others() -> None:
    denied = PermissionError(errno.EACCES, "Permission denied")
    assert why_unusable(denied) == "permission denied"
    assert why_unusable(IsADirectoryError(errno.EISDIR, "Is a directory")) == \
        "a folder, not a file"
    assert why_unusable(FileNotFoundError(errno.ENOENT, "x"), folder=True) == "no such folder"


def test_require_file_names_the_path_and_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(SecguideError) as caught:
        require_file(tmp_path, "results/", what="result file")
    assert str(caught.value) == "results/: cannot read result file: a folder, not a file"
    assert caught.value.exit_code == 2
