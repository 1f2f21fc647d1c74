"""pytest plugin: put ``@pytest.mark.verifies`` links into the JUnit report.

Enable it with ``-p secguide.pytest_plugin`` (this project does, in
``pyproject.toml``) and write the report with ``pytest --junitxml=FILE``. Every
``<testcase>`` then carries, as ``<properties>``:

* ``nodeid``: the exact pytest node ID, which ``pytest`` verification entries
  of the threat model name (JUnit's ``classname``/``name`` lose the ``/``);
* ``verifies``: for a test marked ``@pytest.mark.verifies("REC-A", "REC-B")``,
  the IDs joined with ``", "``, the shape sphinx-test-reports splits with
  ``tr_property_link_types = {"verifies": ...}``.

The properties go through ``item.user_properties``, which pytest writes under
every ``junit_family`` (``record_property`` would warn under ``xunit2``). The
marker itself is declared in ``pyproject.toml``; the plugin declares it again
so that it also works in other projects.
"""

from __future__ import annotations

import re

import pytest

MARKER = "verifies"
_ID = re.compile(r"^REC-[A-Z0-9]+(-[A-Z0-9]+)*$")


def marked_ids(item: pytest.Item) -> list[str]:
    """The recommendation IDs of every ``verifies`` marker on ``item``, closest first.

    Raises:
        pytest.UsageError: a marker without IDs, or an argument that is not a
            ``REC-...`` ID (caught at collection, before anything runs).
    """
    ids: list[str] = []
    for marker in item.iter_markers(MARKER):
        if not marker.args:
            raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.verifies needs at least "
                                    "one recommendation ID")
        for argument in marker.args:
            if not isinstance(argument, str) or not _ID.match(argument):
                raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.verifies({argument!r}):"
                                        " not a recommendation ID (REC-...)")
            if argument not in ids:
                ids.append(argument)
    return ids


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{MARKER}(*ids): links a test to the recommendation IDs it verifies")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        item.user_properties.append(("nodeid", item.nodeid))
        ids = marked_ids(item)
        if ids:
            item.user_properties.append((MARKER, ", ".join(ids)))
