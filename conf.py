"""Sphinx configuration for the Zephyr Security Guide (sources in source/)."""

from __future__ import annotations

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent

project = "Zephyr Security Guide"
author = "Zephyr Security Working Group"
copyright = "Zephyr Project contributors"

extensions = []

html_theme = "furo"
html_title = "Zephyr Security Guide"
exclude_patterns = ["_build"]

secguide_zephyr_base = os.environ.get("ZEPHYR_BASE", "")
