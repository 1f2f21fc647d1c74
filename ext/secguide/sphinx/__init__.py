"""Sphinx entry point of secguide: reads like a table of contents of the extension.

======================  =========================================================
module                  feature
======================  =========================================================
``sphinx_config``       ``secguide_*`` values, checked on ``config-inited``
``sphinx_model``        model + Kconfig DB loaded once per build, findings → warnings
``sphinx_domain``       ``secguide`` domain: which page renders which item
``sphinx_kconfig``      ``kconfig`` domain, reference page, literal-name check
``sphinx_needs_glue``   the only module using sphinx-needs
``sphinx_directives``   directives rendering the model
``verifications``       the Verification page: counts, one table per kind
``sphinx_flows``        one trace diagram per recommendation area
``sphinx_hardening``    the guide against Zephyr's hardening database
``sphinx_buildinfo``    what the build was made from (index page)
``sphinx_prjconf``      copy-paste prj.conf lines per area and profile
``sphinx_boards``       "Your board" finder and per-recommendation board counts
``memory``              long-lived data frozen out of the garbage collector's walks
======================  =========================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx

from secguide import __version__
from secguide.sphinx.boards import setup_boards
from secguide.sphinx.buildinfo import setup_buildinfo
from secguide.sphinx.code_version import code_version
from secguide.sphinx.config import setup_config
from secguide.sphinx.directives import setup_directives
from secguide.sphinx.domain import setup_domain
from secguide.sphinx.flows import setup_flows
from secguide.sphinx.hardening import setup_hardening
from secguide.sphinx.kconfig import setup_kconfig
from secguide.sphinx.memory import setup_memory
from secguide.sphinx.model import setup_model
from secguide.sphinx.model_diff import setup_model_diff
from secguide.sphinx.needs import setup_needs
from secguide.sphinx.prjconf import setup_prjconf
from secguide.sphinx.static_files import setup_static
from secguide.sphinx.verifications import setup_verifications

#: Changes with any of secguide's own files, so a code change rebuilds every page.
ENV_VERSION = code_version(Path(__file__).resolve().parents[1])


def setup(app: Sphinx) -> dict[str, Any]:
    """Register secguide with Sphinx; safe for parallel reading and writing."""
    setup_config(app)
    setup_needs(app)
    setup_model(app)
    setup_domain(app)
    setup_kconfig(app)
    setup_directives(app)
    setup_verifications(app)
    setup_flows(app)
    setup_hardening(app)
    setup_model_diff(app)
    setup_buildinfo(app)
    setup_prjconf(app)
    setup_boards(app)
    setup_static(app)
    setup_memory(app)
    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
