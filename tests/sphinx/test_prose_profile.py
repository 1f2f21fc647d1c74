"""The restricted prose profile (``secguide.sphinx.prose``) on its own: defence in depth.

A probe directive feeds hostile reStructuredText straight to ``prose_nodes``,
bypassing the model's prose check, so these tests show what the profile alone
keeps out of a real Sphinx build.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from tests.sphinx.test_sphinx_ext import FIXTURE, build, warnings_of

PROBE = '''
def setup(app):
    from sphinx.util.docutils import SphinxDirective
    from secguide.sphinx.prose import restricted_nodes

    class Probe(SphinxDirective):
        has_content = True

        def run(self):
            return restricted_nodes(self, "\\n".join(self.content),
                               self.env.doc2path(self.env.docname), self.lineno)

    app.add_directive("prose-probe", Probe)
'''

#: (hostile reST, text that must not reach any output file)
HOSTILE = [
    (".. raw:: html\n\n   <script>alert('raw')</script>", "alert('raw')"),
    (".. include:: /etc/passwd\n   :literal:", "root:x:0:0"),
    (".. literalinclude:: /etc/passwd", "root:x:0:0"),
    (".. csv-table:: t\n   :file: /etc/passwd", "root:x:0:0"),
    (".. image:: /etc/passwd", "passwd"),
    (".. role:: x(raw)\n   :format: html\n\n:x:`<b>role-raw</b>`", "role-raw"),
    (".. only:: html\n\n   only-text", "only-text"),
    (".. meta::\n   :description: meta-text", "meta-text"),
    ("See `x <javascript:alert('embedded')>`_.", "javascript:alert('embedded')"),
    ("Bare javascript:alert('bare') here.", 'href="javascript'),
    ("A `data link <data:text/html;base64,PHNjcmlwdD4=>`_.", "data:text/html"),
    ("Go `there`_.\n\n.. _there: vbscript:msgbox('target')", "vbscript:"),
]


@pytest.fixture
def probed(tmp_path: Path, mini_tree: Path) -> Path:
    """The tiny guide with a page of hostile prose fed to the profile directly."""
    project = tmp_path / "guide"
    shutil.copytree(FIXTURE, project)
    with (project / "conf.py").open("a") as conf:
        conf.write(f"secguide_zephyr_base = {str(mini_tree)!r}\n{PROBE}")
    blocks = "\n\n".join(".. prose-probe::\n\n" + "\n".join(
        "   " + line if line else "" for line in text.splitlines())
        for text, _ in HOSTILE)
    (project / "probe.rst").write_text(f"Probe\n=====\n\n{blocks}\n\nSafe "
                                       "`web <https://example.org/ok>`_ link.\n")
    with (project / "index.rst").open("a") as index:
        index.write("\n.. toctree::\n\n   probe\n")
    return project


def test_profile_keeps_hostile_markup_out_of_every_output(probed: Path) -> None:
    app = build(probed)
    warnings = warnings_of(app)
    refused = [w for w in warnings if w.endswith("[secguide.unsafe-markup]")]
    expected = ["directive 'raw'", "directive 'include'", "directive 'literalinclude'",
                "directive 'csv-table'", "directive 'image'", "directive 'role'",
                "role ':x:'", "directive 'only'", "directive 'meta'",
                "scheme 'javascript'", "scheme 'javascript'", "scheme 'data'",
                "scheme 'vbscript'"]
    assert len(refused) == len(expected), warnings
    for what, line in zip(expected, refused, strict=True):
        assert what in line, (what, line)
    assert all(w.startswith("probe.rst:") for w in refused), "\n".join(warnings)
    html = probed / "_build" / "html"
    # everything built from the page (not the theme's files, nor the page's own copy)
    outputs = [p for p in html.rglob("*") if p.is_file()
               and not {"_static", "_sources"} & set(p.parts)]
    assert any(p.name == "probe.html" for p in outputs)
    for path in outputs:
        text = path.read_text(encoding="utf-8", errors="replace")
        for _, needle in HOSTILE:
            assert needle not in text, (needle, path)
    assert not (probed / "_build" / "html" / "_images").exists()
    assert 'href="https://example.org/ok"' in (probed / "_build" / "html" /
                                                "probe.html").read_text()
