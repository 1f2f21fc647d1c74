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

Writing: what was read is frozen too once every page is read (``env-updated``: the
environment, sphinx-needs' needs), and full collections are made rarer while pages are
read and written. Each page read or written makes a few hundred thousand objects that
die with it; a full collection starts each time those have grown the collected heap by
a quarter, and with the long-lived data frozen that heap is small: at 1,000 generated
recommendations 18 full collections walked 2.7 s each in the main process while it
wrote, and each reader ran about ten of half a second. Every hundredth intermediate
collection is a full one instead of every tenth; a page's garbage is still collected
(at most a few pages' worth waits). A serial build
keeps the pages it has read in memory until it writes them (Sphinx's own cache): those
die during writing, so they are not frozen (nothing is frozen then, only the rarer full
collections apply).

Pages are written in one process, though secguide is safe for parallel writing: Sphinx
resolves every page in the main process (links, need tables, the search index) and
forks writers only to turn resolved pages into HTML, keeping each resolved page in the
main process until its writer is done, and each writer starts as a copy of that
process. At 1,000 generated recommendations (-j auto on two CPUs, reading still in
parallel) the parallel write cost 50 s CPU and an 888 MB peak; writing in one process,
with the write phase above, 40 s and 670 MB.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

from sphinx.application import Sphinx
from sphinx.builders import Builder
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
#: Whether this build reads pages (a build with nothing to do has nothing to freeze).
_reading = True
#: The collector's thresholds before the write phase changed them (None: unchanged).
_thresholds: tuple[int, int, int] | None = None
#: Intermediate collections per full collection while pages are read and written
#: (Python's is 10).
FULL_COLLECTION_EVERY = 100


def _collect_fully_less_often() -> None:
    """Rarer full collections until the build ends (see the module's text)."""
    global _thresholds
    if _thresholds is None:
        _thresholds = gc.get_threshold()
        young, middle, _ = _thresholds
        gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)


def pause_collector(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``, before the board view loads."""
    global _paused, _reading
    _reading = bool(docnames)
    if gc.isenabled():
        gc.disable()
        _paused = True


def _resume_collector() -> None:
    global _paused
    if _paused:
        gc.enable()
        _paused = False


def freeze_long_lived(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    """``env-before-read-docs``, once the model and the board view are loaded (nothing
    is loaded for a build that reads no page: no collection to pay for)."""
    _resume_collector()
    if not docnames:
        return
    gc.collect()  # garbage frozen now would stay until the build ends
    gc.freeze()
    _collect_fully_less_often()  # before the readers fork: theirs too


def freeze_what_was_read(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """``env-updated``, every page read: what lives until the build ends is frozen, and
    full collections come rarer while pages are written (see the module's text)."""
    # Sphinx keeps the doctrees a serial read made until each is written (private name,
    # read only to decide): freezing them would keep them all until the build ends.
    if _reading and not getattr(env, "_write_doc_doctree_cache", None):
        gc.collect()
        gc.freeze()
    _collect_fully_less_often()
    return []


def write_in_one_process(app: Sphinx, builder: Builder) -> None:
    """``write-started`` (after Sphinx decided how to write): in the main process."""
    builder.parallel_ok = False


def release_long_lived(app: Sphinx, exception: BaseException | None) -> None:
    """``build-finished`` (also after a failure): the collector as the build found it."""
    global _thresholds, _reading
    _reading = True
    _resume_collector()
    gc.unfreeze()
    if _thresholds is not None:
        gc.set_threshold(*_thresholds)
        _thresholds = None


def setup_memory(app: Sphinx) -> None:
    # around the other env-before-read-docs handlers (the board view loads at 400)
    app.connect("env-before-read-docs", pause_collector, priority=100)
    app.connect("env-before-read-docs", freeze_long_lived, priority=900)
    # last: other handlers may still add to the environment
    app.connect("env-updated", freeze_what_was_read, priority=900)
    app.connect("write-started", write_in_one_process)
    app.connect("build-finished", release_long_lived)
