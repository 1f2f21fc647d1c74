"""Sphinx configuration for the Zephyr Security Guide (sources in source/).

Build with ``make html`` (``sphinx-build -c . source _build/html``). The
threat model is read from ``threatmodel/`` and checked against the Zephyr tree
named by ``ZEPHYR_BASE`` (or ``secguide_zephyr_base`` below).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from secguide.diagnostics import SecguideError
from secguide.zephyr.tree import read_version, source_url_for

project = "Zephyr Security Guide"
author = "Zephyr Security Working Group"
copyright = "Zephyr Project contributors"

# secguide loads sphinx-needs (with Graphviz) itself and owns its need types,
# fields and link types (from secguide.trace.needs).
extensions = ["secguide.sphinx"]

html_theme = "furo"
html_title = "Zephyr Security Guide"
html_favicon = "ext/secguide/sphinx/static/favicon.svg"
exclude_patterns = ["_build"]

secguide_zephyr_base = os.environ.get("ZEPHYR_BASE", "")
secguide_threatmodel_dir = "threatmodel"
# Definition sites "file:line" in the Kconfig reference link here: Zephyr's sources at
# the tree's release tag (main for a development version), or $SECGUIDE_SOURCE_URL.
secguide_source_url = os.environ.get("SECGUIDE_SOURCE_URL", "")
if not secguide_source_url and secguide_zephyr_base:
    # a bad or missing tree is reported by secguide's own check of secguide_zephyr_base
    with contextlib.suppress(OSError, SecguideError):
        secguide_source_url = source_url_for(read_version(Path(secguide_zephyr_base)))

# needs.json next to the HTML, for the evidence exporters and for tests.
needs_build_json = True
needs_table_style = "DATATABLES"
graphviz_output_format = "svg"

# The default build is the guide CI publishes: without the variables below it uses
# what a checkout next to ../shared has, and the index page says what it used.
_HERE = Path(__file__).resolve().parent

# An older Zephyr tree to compare against on the "Changes" page: Zephyr 1.13, the
# release the 2018 draft was written for, when present. SECGUIDE_BASELINE_ZEPHYR_BASE
# overrides it ("" turns the comparison off).
_DEFAULT_BASELINE = _HERE.parent / "shared" / "zephyr" / "v1.13.0"
secguide_baseline_zephyr_base = os.environ.get(
    "SECGUIDE_BASELINE_ZEPHYR_BASE",
    str(_DEFAULT_BASELINE) if (_DEFAULT_BASELINE / "VERSION").is_file() else "")

# Test results (JUnit XML, twister.json) whose outcomes the verification needs show:
# the report of the last "make test" when present. SECGUIDE_RESULTS (space-separated)
# overrides it ("" means no results).
_DEFAULT_RESULTS = _HERE / "_build" / "test-results.xml"
secguide_results_files = os.environ.get(
    "SECGUIDE_RESULTS", str(_DEFAULT_RESULTS) if _DEFAULT_RESULTS.is_file() else "").split()


# Zephyr's hardening.yaml database for the page "Against Zephyr's hardening database":
# the copy in ../shared when present; SECGUIDE_HARDENING_DB overrides it ("" turns it off).
_DEFAULT_HARDENING = _HERE.parent / "shared" / "zephyr" / "upstream-hardening"
secguide_hardening_db = os.environ.get(
    "SECGUIDE_HARDENING_DB",
    str(_DEFAULT_HARDENING) if (_DEFAULT_HARDENING / "scripts").is_dir() else "")
# A git revision of the threat model: the Changes page then lists what the model changed
# since (e.g. SECGUIDE_DIFF_BASE=origin/main for a pull request's preview build).
secguide_diff_base = os.environ.get("SECGUIDE_DIFF_BASE", "")


def _describe() -> str:
    """What ``make html`` builds the guide from (printed by the Makefile)."""
    results = " ".join(secguide_results_files) or "none (run 'make test' first)"
    baseline = secguide_baseline_zephyr_base or "none"
    return (f"Zephyr tree: {secguide_zephyr_base or '$ZEPHYR_BASE unset'}\n"
            f"test results: {results}\nbaseline release for 'Changes': {baseline}\n"
            f"hardening database: {secguide_hardening_db or 'none'}")


if __name__ == "__main__":
    print(_describe())
