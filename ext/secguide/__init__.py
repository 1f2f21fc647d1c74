"""secguide: the Zephyr Security Guide as a checked model traced to Kconfig.

Subpackages, data flowing one way: ``zephyr`` (tree, scenarios, Kconfig) and
``model`` (YAML) feed ``trace`` (the project object), which ``evidence`` writes
out; ``cli`` and ``sphinx`` are the two faces. The Sphinx extension is
``secguide.sphinx``; importing this package imports nothing from Sphinx.
"""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("secguide")
except metadata.PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"
