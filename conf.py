"""Sphinx configuration for the Zephyr Security Guide (sources in source/).

Build with ``make html`` (``sphinx-build -c . source _build/html``). The
threat model is read from ``threatmodel/`` and checked against the Zephyr tree
named by ``ZEPHYR_BASE`` (or ``secguide_zephyr_base`` below).
"""

from __future__ import annotations

import os

project = "Zephyr Security Guide"
author = "Zephyr Security Working Group"
copyright = "Zephyr Project contributors"

# secguide loads sphinx-needs (with Graphviz) itself and owns its need types,
# fields and link types (from secguide.trace.needs).
extensions = ["secguide.sphinx"]

html_theme = "furo"
html_title = "Zephyr Security Guide"
exclude_patterns = ["_build"]

secguide_zephyr_base = os.environ.get("ZEPHYR_BASE", "")
secguide_threatmodel_dir = "threatmodel"
# Definition sites "file:line" in the Kconfig reference link here when set, e.g.
# "https://github.com/zephyrproject-rtos/zephyr/blob/main".
secguide_source_url = os.environ.get("SECGUIDE_SOURCE_URL", "")

# needs.json next to the HTML, for the evidence exporters and for tests.
needs_build_json = True
needs_table_style = "DATATABLES"
graphviz_output_format = "svg"

# An older Zephyr tree to compare against on the "Changes" page (optional), e.g.
# ../shared/zephyr/v1.13.0, the release the 2018 draft was written for.
secguide_baseline_zephyr_base = os.environ.get("SECGUIDE_BASELINE_ZEPHYR_BASE", "")

# Test results (JUnit XML, twister.json) whose outcomes the verification needs show,
# e.g. SECGUIDE_RESULTS=_build/test-results.xml after "make test". Space-separated.
secguide_results_files = os.environ.get("SECGUIDE_RESULTS", "").split()
