"""``audit`` and ``evidence`` ask one engine: the same build gets the same setting verdicts.

Every real application build of ../shared is judged by ``secguide audit --format json``
and by ``secguide evidence`` (whose report files are not rendered here: the PDF takes
seconds per build; the verdicts handed to the renderer are what evidence.json holds).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import secguide.cli.evidence as evidence_cli
from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
CONFIGS = REPO.parent / "shared" / "builds" / "configs"
APPLICATION_BUILDS = sorted(p.name for p in CONFIGS.glob("*.config")
                            if not p.name.startswith("sysbuild"))

Verdicts = dict[tuple[str, str], str]


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch, zephyr_v4_path: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1780272000")  # 2026-06-01, for both faces


def _audit_verdicts(capsys: pytest.CaptureFixture[str], *extra: str) -> dict[str, Verdicts]:
    main(["audit", str(CONFIGS), "--format", "json", "--date", "2026-06-01", *extra])
    report = json.loads(capsys.readouterr().out)
    return {Path(build["config"]).name: {(r["id"], r["symbol"]): r["result"]
                                         for r in build["results"]}
            for build in report["builds"]}


def _evidence_verdicts(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, config: str,
                       *extra: str) -> Verdicts:
    seen: list[dict[str, Any]] = []

    def unrendered(model, build, verdicts, **_: object) -> dict[str, bytes]:
        seen.append(verdicts.as_dict())
        return {"evidence.json": json.dumps(seen[-1]).encode()}

    monkeypatch.setattr(evidence_cli, "build_report_files", unrendered)
    assert main(["evidence", str(CONFIGS / config), "--out", str(tmp_path / config),
                 *extra]) == 0
    [judged] = seen
    return {(rec["id"], setting["symbol"]): setting["verdict"]
            for rec in judged["recommendations"] for setting in rec["settings"]}


def test_audit_and_evidence_agree_on_every_real_build(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    audited = _audit_verdicts(capsys)
    assert sorted(audited) == APPLICATION_BUILDS  # the sysbuild top level is not judged
    for config in APPLICATION_BUILDS:
        from_evidence = _evidence_verdicts(monkeypatch, tmp_path, config)
        assert len(from_evidence) > 100
        assert from_evidence == audited[config], config


def test_both_faces_take_the_stated_release_and_kind(
        capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path) -> None:
    stated = ("--zephyr-version", "3.7.0", "--build-kind", "debug")
    audited = _audit_verdicts(capsys, *stated)["qemu_x86-vehicleos.config"]
    assert audited == _evidence_verdicts(monkeypatch, tmp_path, "qemu_x86-vehicleos.config",
                                         *stated)
    # the debug build kind excludes production-only recommendations in both
    default = _audit_verdicts(capsys)["qemu_x86-vehicleos.config"]
    assert audited != default
