"""secguide: the Zephyr Security Guide as a checked model traced to Kconfig.

Subpackages, data flowing one way: ``zephyr`` (tree, scenarios, Kconfig) and
``model`` (YAML) feed ``trace`` (the project object), which ``evidence`` writes
out; ``cli`` and ``sphinx`` are the two faces. The Sphinx extension is
``secguide.sphinx``; importing this package imports nothing from Sphinx.
"""

from __future__ import annotations

#: The package version (pyproject.toml reads it from here). A literal, because asking
#: importlib.metadata costs every command about 50 ms of start-up.
__version__ = "0.1.0"
