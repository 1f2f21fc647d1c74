"""Inside Zephyr's documentation: Zephyr's ``kconfig`` domain resolves the guide's links.

Zephyr's ``doc/conf.py`` loads its own ``zephyr.kconfig`` extension, which owns the
``kconfig`` domain and the reference pages. A stand-in with the same name, role and
anchors is loaded before secguide here; the guide's ``:kconfig:option:`` role and its
settings tables must then link to that domain's page, and secguide must not add a
reference page of its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "sphinx" / "basic"

ZEPHYR_KCONFIG_STANDIN = '''
"""Stand-in for Zephyr's doc/_extensions/zephyr/kconfig: a domain that knows every symbol."""
from docutils import nodes
from sphinx.domains import Domain, ObjType
from sphinx.roles import XRefRole
from sphinx.util.nodes import make_refnode


class ZephyrKconfigDomain(Domain):
    name = "kconfig"
    label = "Kconfig (Zephyr)"
    object_types = {"option": ObjType("option", "option")}
    roles = {"option": XRefRole()}
    initial_data = {}

    def resolve_xref(self, env, fromdocname, builder, typ, target, node, contnode):
        return make_refnode(builder, fromdocname, "zephyr-kconfig", target, contnode, target)

    def resolve_any_xref(self, env, fromdocname, builder, target, node, contnode):
        return []

    def merge_domaindata(self, docnames, otherdata):
        pass


def setup(app):
    app.add_domain(ZephyrKconfigDomain)
    return {"parallel_read_safe": True}
'''


@pytest.fixture
def zephyr_docs(tmp_path: Path, mini_tree: Path) -> Path:
    src = tmp_path / "doc"
    shutil.copytree(FIXTURE, src)
    (src / "kconfig.rst").unlink()  # Zephyr's reference has every symbol
    (src / "zephyr-kconfig.rst").write_text("Kconfig\n#######\n\n.. _CONFIG_STACK_CANARIES:\n")
    (src / "zephyr_kconfig_standin.py").write_text(ZEPHYR_KCONFIG_STANDIN)
    index = (src / "index.rst").read_text().replace("   kconfig\n", "   zephyr-kconfig\n")
    (src / "index.rst").write_text(index)
    with (src / "conf.py").open("a") as conf:
        conf.write("import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n"
                   "extensions = ['zephyr_kconfig_standin', *extensions]\n"
                   f"secguide_zephyr_base = {str(mini_tree)!r}\n")
    return src


def test_links_resolve_to_zephyrs_reference(zephyr_docs: Path) -> None:
    app = SphinxTestApp("html", srcdir=zephyr_docs, builddir=zephyr_docs / "_build")
    try:
        app.build()
    finally:
        app.cleanup()
    assert type(app.env.get_domain("kconfig")).__name__ == "ZephyrKconfigDomain"
    model = (zephyr_docs / "_build" / "html" / "model.html").read_text(encoding="utf-8")
    assert 'href="zephyr-kconfig.html#CONFIG_STACK_CANARIES"' in model
