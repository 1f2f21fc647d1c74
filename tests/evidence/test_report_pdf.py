"""The evidence report PDF can be archived and searched: fonts embedded, PDF/A declared,
IDs broken only at their hyphens, bounds printed as bounds.

A real build's evidence pack is written and read back with poppler's ``pdffonts`` and
``pdftotext`` (``make test`` brings poppler-utils), as an assessor's viewer reads it.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from secguide.cli.main import main
from secguide.evidence.build_report_pdf import break_at_hyphens, embeddable_font_dir
from secguide.model.loader import load_threat_model

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO.parent / "shared" / "builds" / "configs" / "nucleo_h753zi-telnet.config"


def _poppler(tool: str, pdf: Path, *args: str) -> str:
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is not installed: apt-get install poppler-utils", pytrace=False)
    return subprocess.run([tool, *args, str(pdf), "-"] if tool == "pdftotext"
                          else [tool, str(pdf)], capture_output=True, text=True, check=True,
                          timeout=120).stdout


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory, zephyr_v4_path: Path) -> Path:
    if embeddable_font_dir() is None:
        pytest.fail("DejaVu Sans not found: apt-get install fonts-dejavu-core (make test "
                    "brings it)", pytrace=False)
    out = tmp_path_factory.mktemp("pdf") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")
        assert main(["evidence", str(CONFIG), "--out", str(out), "--threatmodel",
                     str(REPO / "threatmodel"), "--zephyr-base", str(zephyr_v4_path)]) == 0
    return out / "report.pdf"


def test_every_font_is_embedded_and_pdf_a_2b_is_declared(report: Path) -> None:
    rows = _poppler("pdffonts", report).splitlines()[2:]
    assert rows, "the report uses no font at all?"
    for row in rows:
        # name type encoding emb sub uni object-id generation: emb and uni must be yes
        fields = row.split()
        assert fields[-5] == "yes" and fields[-3] == "yes", row
    data = report.read_bytes()
    assert b"<pdfaid:part>2</pdfaid:part>" in data
    assert b"<pdfaid:conformance>B</pdfaid:conformance>" in data
    assert b"/OutputIntents" in data and b"/GTS_PDFA1" in data


def test_ids_break_only_at_hyphens_and_bounds_read_as_bounds(report: Path) -> None:
    # -layout: poppler's default reading order joins a line ending in a hyphen to the
    # next one and drops the hyphen, which would hide where the line was cut
    text = _poppler("pdftotext", report, "-layout")
    model, _ = load_threat_model(REPO / "threatmodel")
    ids = {item.id for item in model.items()}
    shown = re.findall(r"\b(?:REC|THR|RESP|AST)-[A-Z0-9-]*", text)
    assert len(shown) > 100
    for token in shown:
        # a whole ID, or the first lines of one cut right after a hyphen
        assert token in ids or (token.endswith("-") and any(i.startswith(token) for i in ids)), \
            token
    # the longest recommendation ID is cut after a hyphen; its last part opens the next line
    lines = text.splitlines()
    cut = next(i for i, line in enumerate(lines)
               if line.strip() == "REC-BT-SECURE-CONNECTIONS-")
    assert lines[cut + 1].split()[0] == "ONLY"
    assert "= >=" not in text and "= <=" not in text
    assert "CONFIG_BT_SMP_MIN_ENC_KEY_SIZE >= 16" in text


def test_break_at_hyphens_keeps_parts_whole() -> None:
    def fits(width: int):
        return lambda text: len(text) <= width
    assert break_at_hyphens("REC-BT-SECURE-CONNECTIONS-ONLY met", fits(15)) == \
        "REC-BT-SECURE-\nCONNECTIONS-\nONLY met"
    assert break_at_hyphens("short words stay", fits(5)) == "short words stay"
    # a part too wide on its own is left whole for fpdf2, never glued to the next part
    assert break_at_hyphens("AB-VERYLONGPART-C", fits(4)) == "AB-\nVERYLONGPART-\nC"
    assert break_at_hyphens("line one\nREC-A-B", fits(4)) == "line one\nREC-\nA-B"


def test_without_dejavu_no_font_dir_is_offered(tmp_path: Path) -> None:
    (tmp_path / "DejaVuSans.ttf").write_bytes(b"")  # the bold file is missing
    assert embeddable_font_dir([tmp_path]) is None
    assert embeddable_font_dir([tmp_path / "none", *([d] if (d := embeddable_font_dir())
                                                    else [])]) == embeddable_font_dir()
    assert os.path.isdir(str(embeddable_font_dir()))


def test_the_assets_table_gives_each_asset_its_build_verdict(report: Path) -> None:
    # the telnet build has CONFIG_USERSPACE=n: THR-PRIVILEGE-ESCALATION is not met, and the
    # asset it endangers (AST-KERNEL-MEMORY) is not met either
    text = _poppler("pdftotext", report, "-layout")
    assets = text.split("\nAssets\n", 1)[1].split("\nRecommendations and settings", 1)[0]
    row = assets.split("AST-KERNEL-MEMORY", 1)[1].split("AST-", 1)[0]
    assert "Kernel memory and privilege state" in row and "not met" in row
    assert "THR-PRIVILEGE-ESCALATION" in assets
