"""Copy-paste prj.conf blocks on area pages: per profile, architecture-specific lines marked."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest

from secguide.model.items import ThreatModel
from secguide.model.loader import load_threat_model

REPO = Path(__file__).resolve().parents[2]


def _blocks(site: Path, area_page: str) -> dict[str, str]:
    page = (site / "recommendations" / f"{area_page}.html").read_text(encoding="utf-8")
    found = re.findall(r'secguide-prjconf[^>]*>.*?<pre>(.*?)</pre>', page, re.S)
    texts = [html.unescape(re.sub(r"<[^>]+>", "", block)) for block in found]
    names = [re.search(r"profile (\w+)", text) for text in texts]
    return {name.group(1): text for name, text in zip(names, texts, strict=True) if name}


@pytest.fixture(scope="module")
def model() -> ThreatModel:
    return load_threat_model(REPO / "threatmodel", display_base=REPO)[0]


@pytest.mark.slow
def test_each_profile_block_holds_its_settings(site: Path, model: ThreatModel) -> None:
    blocks = _blocks(site, "stack-protection")
    assert set(blocks) == {profile.name for profile in model.profiles}
    for profile, text in blocks.items():
        lines = {line for line in text.splitlines() if line.startswith("CONFIG_")}
        expected = {f"CONFIG_{s.symbol}={s.value}"
                    for rec in model.recommendations
                    if rec.area == "stack-protection" and rec.status != "deprecated"
                    and model.in_profile(rec, profile)
                    for s in rec.settings if s.value is not None}
        assert lines == expected, profile
    base = set(blocks["base"].splitlines())
    assert {line for line in base if line.startswith("CONFIG_")} <= set(
        blocks["strict"].splitlines())


@pytest.mark.slow
def test_architecture_specific_lines_are_marked(site: Path) -> None:
    text = _blocks(site, "x86")["base"]
    assert "# REC-X86-MMU, only on x86\nCONFIG_X86_MMU=y" in text
