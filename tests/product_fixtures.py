"""The example product model (tests/fixtures/product-model) and how tests prepare it."""

from __future__ import annotations

import re
from pathlib import Path

from secguide import __version__
from secguide.model.guide_package import model_digest
from secguide.model.loader import load_threat_model
from secguide.trace.review import fingerprint
from secguide.zephyr.kconfig.symbols import SymbolDB

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "tests" / "fixtures" / "product-model" / "threatmodel"
BUILD = REPO.parent / "shared" / "builds" / "configs" / "nucleo_h753zi-stepper.config"
GUIDE_VERSION = f"secguide {__version__}, model sha256:{model_digest(REPO / 'threatmodel')[:12]}"


def guide_fingerprints(db: SymbolDB, guide_dir: Path = REPO / "threatmodel") -> dict[str, str]:
    """The review fingerprints of the two guide items the example decides on, computed
    from the guide's own folder (not through the product loader)."""
    guide, _ = load_threat_model(guide_dir)
    items = guide.by_id()
    return {item_id: fingerprint(items[item_id], db, guide)
            for item_id in ("REC-DBG-LOG", "REC-DBG-THREAD-INFO")}


def record(extends: Path, fingerprints: dict[str, str]) -> None:
    """Write each fingerprint under the waiver or override of its item, as a team does."""
    text = extends.read_text()
    for item_id, value in fingerprints.items():
        text, count = re.subn(rf"^(  - (?:recommendation|id): {item_id}\n)",
                              rf"\g<1>    fingerprint: {value}\n", text, flags=re.M)
        assert count == 1, item_id
    extends.write_text(text)


