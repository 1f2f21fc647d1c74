"""``secguide init`` and ``make html`` in a product's folder: a product guide on the guide.

The folder is written by ``secguide init``; its threat model is then replaced by the
example product model (tests/fixtures/product-model), so the guide shows items of all
three origins. The build runs the product's own Makefile (``sphinx-build -W``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from product_fixtures import EXAMPLE, GUIDE_VERSION, guide_fingerprints, record
from secguide.cli.main import main
from secguide.zephyr.kconfig.symbols import SymbolDB


def test_init_writes_a_product_folder_and_overwrites_nothing(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "acme"
    assert main(["init", str(folder), "--name", "Acme door lock", "--profile", "strict"]) == 0
    written = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert written == ["Makefile", "conf.py", "index.rst", "kconfig.rst",
                       "threatmodel/extends.yaml", "threatmodel/threats.yaml"]
    extends = (folder / "threatmodel" / "extends.yaml").read_text()
    assert "\nextends: guide " in extends and '\nproduct: "Acme door lock"\n' in extends
    assert "\nprofile: strict " in extends
    assert (folder / "index.rst").read_text().startswith(
        "Acme door lock security guide\n#############################\n")
    before = (folder / "index.rst").read_bytes()
    assert main(["init", str(folder), "--name", "Other"]) == 2
    assert "threatmodel/extends.yaml: exists" in capsys.readouterr().err
    assert (folder / "index.rst").read_bytes() == before


@pytest.mark.parametrize("name", ["`x`_", "A\nB", ".. raw:: html", "x" * 81])
def test_init_refuses_names_that_are_markup(tmp_path: Path, name: str,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["init", str(tmp_path / "p"), "--name", name]) == 2
    assert "--name" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()


def _cards(html: str) -> dict[str, str]:
    """Need ID -> the origin line written above its card."""
    found = {}
    for kind, text, need in re.findall(
            r'<p class="secguide-origin secguide-origin-(\w+)">([^<]*)</p>'
            r'.*?id="([A-Z][A-Z0-9-]+)"', html, flags=re.S):
        found.setdefault(need, f"{kind}: {text}")
    return found


@pytest.mark.slow
def test_product_guide_shows_each_origin(tmp_path: Path, db_v4: SymbolDB,
                                         zephyr_v4_path: Path) -> None:
    folder = tmp_path / "stepper"
    assert main(["init", str(folder), "--name", "Stepper motor controller"]) == 0
    shutil.rmtree(folder / "threatmodel")
    shutil.copytree(EXAMPLE, folder / "threatmodel")
    record(folder / "threatmodel" / "extends.yaml", guide_fingerprints(db_v4))
    sphinx_build = Path(sys.executable).parent / "sphinx-build"
    env = {**os.environ, "ZEPHYR_BASE": str(zephyr_v4_path)}
    done = subprocess.run(["make", "html", f"SPHINXBUILD={sphinx_build}"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=1800, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    html = (folder / "_build" / "html" / "index.html").read_text()
    cards = _cards(html)
    assert cards["REC-PRD-NO-STEPPER-SHELL"] == "product: From the product threat model"
    assert cards["THR-PRD-MOTOR-OVERDRIVE"] == "product: From the product threat model"
    assert cards["REC-DBG-THREAD-INFO"] == \
        "override: From the product threat model, in place of the guide item"
    assert cards["REC-DBG-LOG"] == f"guide: From the guide ({GUIDE_VERSION})"
    assert cards["THR-STACK-OVERFLOW"] == f"guide: From the guide ({GUIDE_VERSION})"
    # the override's card is the product's text: thread names are no longer asked for
    override = html.split('id="REC-DBG-THREAD-INFO"', 1)[1].split('class="secguide-origin', 1)[0]
    assert "Thread names stay on" in override
    assert "SET-DBG-THREAD-INFO-THREAD-NAME" not in html
