"""The README's sphinx-needs configuration imports both needs.json files.

The ``conf.py`` block under "Opening the exports in other tools" is taken from the
README as written, so the README and what works cannot drift apart; a throwaway
Sphinx project with it and ``.. needimport:: needs.json`` must build without a
warning and show every need of the file.
"""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import pytest

from secguide.cli.main import main

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO.parent / "shared" / "builds" / "configs" / "nucleo_h753zi-telnet.config"


def readme_conf() -> str:
    readme = (REPO / "README.md").read_text()
    section = readme.split("### Opening the exports in other tools", 1)[1]
    return re.search(r"```python\n(.*?)```", section, flags=re.DOTALL).group(1)


@pytest.fixture(scope="module", params=["guide", "build"])
def needs_file(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
               zephyr_v4_path: Path) -> Path:
    out = tmp_path_factory.mktemp(f"needimport-{request.param}") / "out"
    common = ["--threatmodel", str(REPO / "threatmodel"), "--zephyr-base",
              str(zephyr_v4_path), "--out", str(out)]
    argv = ["export", *common] if request.param == "guide" else ["evidence", str(CONFIG),
                                                                 *common]
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", "1767225600")
        assert main(argv) == 0
    return out / "needs.json"


def test_readme_configuration_imports_needs_json(needs_file: Path, tmp_path: Path) -> None:
    from sphinx.testing.util import SphinxTestApp

    conf = readme_conf()
    # a reader's project has no secguide installed
    assert "import secguide" not in conf and "from secguide" not in conf
    src = tmp_path / "src"
    src.mkdir()
    (src / "needs.json").write_bytes(needs_file.read_bytes())
    (src / "conf.py").write_text(conf)
    (src / "index.rst").write_text("Imported\n========\n\n.. needimport:: needs.json\n")
    warnings = io.StringIO()
    app = SphinxTestApp("html", srcdir=src, builddir=tmp_path / "build", warning=warnings)
    try:
        app.build()
    finally:
        app.cleanup()
    assert warnings.getvalue() == ""
    (version,) = json.loads(needs_file.read_text())["versions"].values()
    html = (tmp_path / "build" / "html" / "index.html").read_text()
    missing = [nid for nid in version["needs"] if f'id="{nid}"' not in html]
    assert missing == []
    assert len(version["needs"]) > 500
    assert "addressed by" in html and "mitigates" in html
