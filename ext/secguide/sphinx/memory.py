"""The build's long-lived data kept out of the cyclic garbage collector's walks.

Before pages are read, the build loads the threat model, the Kconfig database and the
board view: more than a million objects that live until the build ends. Python's
cyclic collector runs a full collection each time the heap has grown by a quarter, and
each walks every tracked object; at 400 generated recommendations 38 full collections
took 9.4 s of a 48 s build, 27 of them while that data was being loaded, the others
walking it again while pages were read and written. So the loading runs with the
collector paused (it makes almost no cyclic garbage), and what is alive when pages
are read is frozen (``gc.freeze``): moved to a generation no collection walks. What
pages allocate afterwards is collected as usual. The build gives the frozen objects
back to the collector when it ends (a test run builds many guides in one process);
a build that fails while loading gets its collector back there too.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment


@contextmanager
def loading_long_lived_data() -> Iterator[None]:
    """While inside, no cyclic collection; what was made is frozen on success."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
    gc.freeze()


#: Whether this module paused the collector (and must start it again).
_paused = False


def pause_collector(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``, before the board view loads."""
    global _paused
    if gc.isenabled():
        gc.disable()
        _paused = True


def _resume_collector() -> None:
    global _paused
    if _paused:
        gc.enable()
        _paused = False


def freeze_long_lived(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``, once the model and the board view are loaded."""
    _resume_collector()
    gc.collect()  # garbage frozen now would stay until the build ends
    gc.freeze()


def release_long_lived(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished`` (also after a failure): the collector as the build found it."""
    _resume_collector()
    gc.unfreeze()


def setup_memory(app: Sphinx) -> None:
    # around the other env-before-read-docs handlers (the board view loads at 400)
    app.connect("env-before-read-docs", pause_collector, priority=100)
    app.connect("env-before-read-docs", freeze_long_lived, priority=900)
    app.connect("build-finished", release_long_lived)
