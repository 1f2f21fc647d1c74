"""``secguide hardening import|export`` on the real upstream database."""

from __future__ import annotations

from pathlib import Path

import pytest

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
UPSTREAM = REPO.parent / "shared" / "zephyr" / "upstream-hardening"


@pytest.fixture(autouse=True)
def _in_repo(monkeypatch: pytest.MonkeyPatch, zephyr_v4_path: Path) -> None:
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("ZEPHYR_BASE", str(zephyr_v4_path))


def test_import_reports_the_seven_unknown_symbols_at_their_lines(capsys) -> None:
    code = main(["hardening", "import", str(UPSTREAM)])
    out = capsys.readouterr().out
    assert code == 0
    section = out.split("rule symbols Zephyr 4.2.99 does not define (7):\n")[1]
    lines = section.splitlines()[:7]
    assert "upstream-hardening/arch/riscv/hardening.yaml:14:3: CONFIG_PMP_UNLOCK_ROM_FOR_DEBUG" \
        in "\n".join(lines)
    for line in lines:
        path, number = line.split(":")[0].strip(), int(line.split(":")[1])
        symbol = line.rsplit("CONFIG_", 1)[1]
        assert Path(path).read_text().splitlines()[number - 1].strip() == f"{symbol}:"
    assert out.rstrip().endswith("7 rule symbols unknown to Zephyr 4.2.99")


def test_import_of_a_broken_database_exits_1(capsys, tmp_path: Path) -> None:
    central = tmp_path / "scripts" / "kconfig" / "hardening.yaml"
    central.parent.mkdir(parents=True)
    central.write_text("rules:\n  BOOT_BANNER:\n    value: n\n")
    code = main(["hardening", "import", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 1
    assert "scripts/kconfig/hardening.yaml:2:3: error: rules/BOOT_BANNER: 'rationale' is a " \
           "required property [hardening.schema]" in out


def test_export_then_import_round_trip(capsys, tmp_path: Path) -> None:
    central = tmp_path / "scripts" / "kconfig" / "hardening.yaml"
    assert main(["hardening", "export", "--profile", "strict", "--with-profiles",
                 "-o", str(central)]) == 0
    assert capsys.readouterr().out == ""
    assert main(["hardening", "import", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "0 differ in value, 0 in profile, 0 waived by the guide, 0 upstream only; " \
           "0 guide settings upstream lacks" in out
