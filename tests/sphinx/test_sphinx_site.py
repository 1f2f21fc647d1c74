"""One build of the real guide against Zephyr 4.2.99, shared by the whole session."""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> Path:
    """``make html``'s command into a temporary folder; fails on any warning."""
    out = tmp_path_factory.mktemp("site")
    # conf.py takes the last "make test" report when there is one; these tests are about
    # the guide without results, whatever the checkout holds.
    env = {**os.environ, "ZEPHYR_BASE": str(zephyr_v4_path), "SECGUIDE_RESULTS": ""}
    done = subprocess.run(
        [str(Path(sys.executable).parent / "sphinx-build"), "-b", "html", "-W", "--keep-going",
         "-j", "auto", "-q", "-c", ".", "source", str(out)],
        cwd=REPO, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return out


@pytest.fixture(scope="session")
def real_model() -> ThreatModel:
    model, _ = load_threat_model(REPO / "threatmodel", display_base=REPO)
    return model


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


@pytest.mark.slow
def test_stack_canaries_entry_carries_the_tree_help(site: Path, db_v4: SymbolDB) -> None:
    page = (site / "kconfig.html").read_text(encoding="utf-8")
    entry = page.split('id="CONFIG_STACK_CANARIES"', 1)[1].split("</section>", 1)[0]
    symbol = db_v4.get("STACK_CANARIES")
    assert symbol is not None and symbol.help
    assert " ".join(symbol.help.split()) in _text(entry)
    assert symbol.prompts[0] in _text(entry)


@pytest.mark.slow
def test_needs_json_holds_every_recommendation_with_links(site: Path,
                                                          real_model: ThreatModel) -> None:
    data = json.loads((site / "needs.json").read_text())
    needs = data["versions"][data["current_version"]]["needs"]
    assert real_model.recommendations
    for rec in real_model.recommendations:
        need = needs[rec.id]
        assert need["type"] == "recommendation" and need["status"] == rec.status
        symbols = sorted(needs[sid]["symbol"] for sid in need["implemented_by"])
        assert symbols == sorted(s.config_name for s in rec.settings), rec.id
        threats = sorted(t.id for t in real_model.threats if rec.id in t.mitigated_by)
        assert sorted(need["mitigates"]) == threats, rec.id
        assert len(need["verified_by"]) == len({(v.kind, v.ref) for v in rec.verifications})


@pytest.mark.slow
def test_matrix_lists_every_recommended_setting(site: Path, real_model: ThreatModel) -> None:
    matrix = _text((site / "traceability.html").read_text(encoding="utf-8"))
    settings = {s.config_name for rec in real_model.recommendations for s in rec.settings}
    assert settings
    assert sorted(name for name in settings if name not in matrix.split()) == []


@pytest.mark.slow
def test_coverage_page_lists_every_hardened_csv_symbol(site: Path, zephyr_v4_path: Path,
                                                       real_model: ThreatModel) -> None:
    from secguide.trace.coverage import read_hardened_csv

    entries, _ = read_hardened_csv(zephyr_v4_path)
    assert len(entries) > 50
    page = (site / "coverage.html").read_text(encoding="utf-8")
    table = page.split("secguide-hardened", 1)[1].split("</table>", 1)[0]
    rows = [_text(row.split(">", 1)[1]) for row in table.split("<tr")[2:]]
    assert [row.split()[0] for row in rows] == [f"CONFIG_{e.symbol}" for e in entries]
    waived = {w.symbol for w in real_model.waivers}
    for entry, row in zip(entries, rows, strict=True):
        status = row.split()[2]
        assert status in ("covered", "waived", "absent"), row
        assert (status == "waived") == (entry.symbol in waived and not any(
            s.symbol == entry.symbol for r in real_model.recommendations for s in r.settings))
    test_shell = rows[[e.symbol for e in entries].index("TEST_SHELL")]
    assert test_shell == "CONFIG_TEST_SHELL n absent not defined in Zephyr 4.2.99"
