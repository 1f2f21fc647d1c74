"""``secguide review``: listing, stamping in place, and bad arguments."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.diagnostics import SecguideError
from secguide.model import stamps as review_yaml
from secguide.model.loader import load_threat_model
from secguide.model.stamps import NewStamp, plan_stamps, write_stamps, yaml_scalar
from secguide.trace.review import (
    ReviewStatus,
    baseline_path,
    fingerprint,
    load_baseline,
    review_states,
)
from secguide.zephyr.kconfig.cache import load_symbol_db

MINI_MODEL = Path(__file__).resolve().parents[1] / "fixtures" / "review" / "mini-model"
RECS = "recommendations.yaml"


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    target = tmp_path / "tm"
    shutil.copytree(MINI_MODEL, target)
    return target


def run(*argv: str | Path) -> int:
    return main([str(arg) for arg in argv])


def tree_args(tree: Path, tmp_path: Path) -> list[str]:
    return ["--zephyr-base", str(tree), "--cache-dir", str(tmp_path / "cache")]


def changed_lines(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    old, new = before.splitlines(keepends=True), after.splitlines(keepends=True)
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    return [(tag, old[i1:i2], new[j1:j2])
            for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]


def test_accept_changes_only_the_stamp_lines(model_dir: Path, mini_tree: Path,
                                             tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                             ) -> None:
    before = (model_dir / RECS).read_text()
    code = run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               "--accept", "REC-MINI-CANARIES", "REC-MINI-RANDOM", "--by", "Ada Lovelace",
               "--date", "2026-03-04")
    assert code == 0
    out = capsys.readouterr().out
    assert "REC-MINI-CANARIES: stamped reviewed by Ada Lovelace on 2026-03-04 (was unrev" in out
    assert "REC-MINI-RANDOM: stamped reviewed by Ada Lovelace on 2026-03-04 (was suspect" in out

    db = load_symbol_db(mini_tree, cache_dir=tmp_path / "cache")[0]
    model, diagnostics = load_threat_model(model_dir)
    assert diagnostics == []
    new_fp = {rec.id: fingerprint(rec, db, model) for rec in model.recommendations}
    assert changed_lines(before, (model_dir / RECS).read_text()) == [
        ("insert", [], [f"    review: {{by: Ada Lovelace, date: 2026-03-04, "
                        f"fingerprint: {new_fp['REC-MINI-CANARIES']}}}\n"]),
        ("replace",
         ["      by: Old Reviewer   # who\n", "      date: 2020-01-01\n",
          "      fingerprint: 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef\n"],
         ["      by: Ada Lovelace   # who\n", "      date: 2026-03-04\n",
          f"      fingerprint: {new_fp['REC-MINI-RANDOM']}\n"]),
    ]
    # The new line sits right after the item's status line.
    lines = (model_dir / RECS).read_text().splitlines()
    assert lines[lines.index("    review: {by: Ada Lovelace, date: 2026-03-04, fingerprint: "
                             f"{new_fp['REC-MINI-CANARIES']}}}") - 1] == "    status: review"

    states = review_states(model, db, load_baseline(model_dir))
    assert states["REC-MINI-CANARIES"].status is ReviewStatus.REVIEWED
    assert states["REC-MINI-RANDOM"].status is ReviewStatus.REVIEWED
    assert states["REC-MINI-LEGACY-LOG"].status is ReviewStatus.UNREVIEWED
    assert set(load_baseline(model_dir).records) == {new_fp["REC-MINI-CANARIES"],
                                                     new_fp["REC-MINI-RANDOM"]}
    assert sorted(p.name for p in model_dir.iterdir()) == [".review-baseline.json", RECS]


def test_listing_then_strict(model_dir: Path, mini_tree: Path, tmp_path: Path,
                             capsys: pytest.CaptureFixture[str]) -> None:
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path)) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].endswith(f"{RECS}:5:9: REC-MINI-CANARIES: unreviewed: "
                           "Turn on compiler stack canaries")
    assert out[1].endswith(f"{RECS}:16:9: REC-MINI-RANDOM: suspect "
                           "(reviewed by Old Reviewer on 2020-01-01): "
                           "Randomise the initial stack pointer")
    assert out[-1] == ("3 item(s) against Zephyr 9.8.7: 0 reviewed, 1 suspect, "
                       "2 unreviewed; 3 listed")
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               "--strict") == 1
    capsys.readouterr()
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               "--format", "json") == 0
    data = json.loads(capsys.readouterr().out)
    assert data["counts"] == {"reviewed": 0, "suspect": 1, "unreviewed": 2, "total": 3}
    assert [item["id"] for item in data["items"]] == [
        "REC-MINI-CANARIES", "REC-MINI-RANDOM", "REC-MINI-LEGACY-LOG"]


def test_strict_passes_once_everything_is_stamped(model_dir: Path, mini_tree: Path,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path), "--accept",
               "REC-MINI-CANARIES", "REC-MINI-RANDOM", "REC-MINI-LEGACY-LOG", "--by", "Ada") == 0
    assert "date: 2026-01-01," in (model_dir / RECS).read_text()
    capsys.readouterr()
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               "--strict") == 0
    assert capsys.readouterr().out.strip() == (
        "3 item(s) against Zephyr 9.8.7: 3 reviewed, 0 suspect, 0 unreviewed; 0 listed")


@pytest.mark.parametrize(("extra", "code", "message"), [
    (["--accept", "REC-MINI-CANARIE", "--by", "Ada"], 1,
     "REC-MINI-CANARIE: no such reviewable item in {tm}; did you mean REC-MINI-CANARIES"),
    (["--accept", "REC-MINI-CANARIES", "--by", "Ada", "--date", "2026-02-30"], 2,
     "--date '2026-02-30': not a date in the form YYYY-MM-DD"),
    (["--accept", "REC-MINI-CANARIES", "--by", "Ada", "--date", "2026-2-3"], 2,
     "--date '2026-2-3': not a date in the form YYYY-MM-DD"),
    (["--accept", "REC-MINI-CANARIES"], 2, "--accept needs --by NAME"),
    (["--by", "Ada"], 2, "--by only makes sense with --accept"),
])
def test_bad_arguments(model_dir: Path, mini_tree: Path, tmp_path: Path,
                       capsys: pytest.CaptureFixture[str], extra: list[str], code: int,
                       message: str) -> None:
    before = (model_dir / RECS).read_bytes()
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               *extra) == code
    err = capsys.readouterr().err
    assert err.startswith("secguide: error: " + message.format(tm=model_dir))
    assert "Traceback" not in err
    assert (model_dir / RECS).read_bytes() == before
    assert not baseline_path(model_dir).exists()


def test_missing_tree_and_folder(model_dir: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert run("review", "--threatmodel", model_dir, "--zephyr-base", tmp_path / "nowhere") == 2
    assert "nowhere: no such directory" in capsys.readouterr().err
    assert run("review", "--threatmodel", tmp_path / "none") == 2
    assert "threat-model folder" in capsys.readouterr().err


def test_bad_source_date_epoch(model_dir: Path, mini_tree: Path, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch,
                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               "--accept", "REC-MINI-CANARIES", "--by", "Ada") == 2
    assert "SOURCE_DATE_EPOCH='yesterday'" in capsys.readouterr().err


def test_model_with_errors_is_refused_with_file_and_line(model_dir: Path, mini_tree: Path,
                                                         tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]
                                                         ) -> None:
    text = (model_dir / RECS).read_text().replace("    area: debug-exposure\n",
                                                  "    area: nonsense\n")
    (model_dir / RECS).write_text(text)
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               "--accept", "REC-MINI-CANARIES", "--by", "Ada") == 1
    err = capsys.readouterr().err
    line = text.splitlines().index("    area: nonsense") + 1
    assert f"{RECS}:{line}:" in err
    assert "error(s) in the threat model" in err


def test_crlf_file_keeps_its_newlines(model_dir: Path, mini_tree: Path, tmp_path: Path) -> None:
    path = model_dir / RECS
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert run("review", "--threatmodel", model_dir, *tree_args(mini_tree, tmp_path),
               "--accept", "REC-MINI-CANARIES", "--by", "Ada", "--date", "2026-03-04") == 0
    data = path.read_bytes()
    assert b"    review: {by: Ada, date: 2026-03-04, fingerprint: " in data
    assert data.count(b"\n") == data.count(b"\r\n") == MINI_MODEL.joinpath(RECS).read_bytes(
    ).count(b"\n") + 1


def test_failed_verification_leaves_the_file_alone(model_dir: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    before = (model_dir / RECS).read_bytes()
    stamps = {"REC-MINI-CANARIES": NewStamp("Ada", "2026-03-04", "ab" * 32)}
    planned = plan_stamps(model_dir, stamps)
    assert list(planned) == [model_dir / RECS]
    planned[model_dir / RECS] = planned[model_dir / RECS].replace("Turn on", "Switch on")
    with pytest.raises(SecguideError, match="would change more than the review stamps"):
        write_stamps(planned, stamps)
    assert (model_dir / RECS).read_bytes() == before
    assert sorted(p.name for p in model_dir.iterdir()) == [RECS]  # no temporary file left

    def broken(text: str, splices: list) -> str:
        return text + "\n  - [unbalanced\n"

    monkeypatch.setattr(review_yaml, "_apply", broken)
    with pytest.raises(SecguideError, match="stamping would break the file"):
        write_stamps(plan_stamps(model_dir, stamps), stamps)
    assert (model_dir / RECS).read_bytes() == before


def test_flow_style_item_is_refused_with_location(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "recommendations:\n"
        "  - {id: REC-FLOW, title: T, area: general, status: review, rationale: R}\n")
    with pytest.raises(SecguideError, match=r"x\.yaml:2:5: cannot stamp REC-FLOW") as caught:
        plan_stamps(tmp_path, {"REC-FLOW": NewStamp("Ada", "2026-03-04", "ab" * 32)})
    assert caught.value.exit_code == 1


@pytest.mark.parametrize(("text", "written"), [
    ("Ada Lovelace", "Ada Lovelace"),
    ("2026-03-04", "2026-03-04"),  # the loader stores dates as ISO text
    ("abcdef0123456789", "abcdef0123456789"),
    ("1234567890123456", '"1234567890123456"'),  # would read as an integer
    ("0123456789012345", "0123456789012345"),  # YAML 1.1: not octal, not decimal: text
    ("yes", '"yes"'),
    ("Bob, the reviewer", '"Bob, the reviewer"'),
    ("O'Hara: WG #3", "\"O'Hara: WG #3\""),
])
def test_yaml_scalar_reads_back_as_text(text: str, written: str) -> None:
    assert yaml_scalar(text) == written
