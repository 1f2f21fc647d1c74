"""Board targets evaluated by several processes, forked after the one parse.

Each worker is a fork of the process that parsed the tree, so no worker parses it
again; each evaluates some of the targets and sends back plain results. Answers come
back in the order asked, so the merged output is the same as one process's (an
evaluation does not depend on the targets evaluated before it). Forking is used only
where the platform offers it, and only for enough targets to pay for the workers.

``SECGUIDE_JOBS`` asks for workers: a number, or ``auto`` for the CPUs this process may
use (at most :data:`MAX_JOBS`). By default targets are evaluated in this process only:
workers save wall time, not CPU time, and each copies the parse's values it touches
(about 130 MB), which a build measured by its peak memory may not want.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
from collections.abc import Iterator
from typing import Any

from secguide.diagnostics import SecguideError
from secguide.zephyr.kconfig.targets import Facts, GroupAnswer, Plan, TargetEvaluator

#: Workers at most by default: each holds its own copy of the parse's values (~250 MB).
MAX_JOBS = 4
#: Fewer missing targets than this are evaluated in this process (a fork costs more).
PARALLEL_FROM = 48
#: Targets handed to a worker at a time (fewer round trips, still balanced).
_CHUNK = 4

#: What the forked workers evaluate with: set before the fork, read in the workers.
_SHARED: tuple[TargetEvaluator, Plan] | None = None


def jobs_for(missing: int) -> int:
    """How many processes evaluate ``missing`` targets (1: this process alone).

    Raises:
        SecguideError: ``SECGUIDE_JOBS`` is not a positive whole number.
    """
    asked = os.environ.get("SECGUIDE_JOBS", "").strip().lower()
    if asked and asked != "auto" and (not asked.isdigit() or int(asked) < 1):
        raise SecguideError(f"SECGUIDE_JOBS={asked!r}: expected a positive whole number "
                            "or 'auto'")
    if (not asked or missing < PARALLEL_FROM
            or "fork" not in multiprocessing.get_all_start_methods()):
        return 1
    if asked == "auto":
        usable = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                  else os.cpu_count() or 1)
        return max(1, min(MAX_JOBS, usable))
    return int(asked)


def _evaluate_one(task: tuple[str, list[int], bool]) -> tuple[str, Any, tuple[str, int] | None]:
    assert _SHARED is not None  # set by the parent before it forked this worker
    evaluator, plan = _SHARED
    name, which, with_facts = task
    try:
        return name, evaluator.evaluate_groups(name, plan, which, with_facts=with_facts), None
    except SecguideError as error:  # sent back as data: re-raised by the parent
        return name, None, (str(error), error.exit_code)


def evaluate_in_workers(evaluator: TargetEvaluator, plan: Plan,
                        tasks: list[tuple[str, list[int], bool]],
                        jobs: int) -> Iterator[tuple[str, Facts, dict[int, GroupAnswer]]]:
    """(name, facts, group answers) for each (target name, groups of ``plan`` to
    evaluate, whether its facts are needed) of ``tasks``, in that order, from ``jobs``
    forked workers (facts not needed come back empty).

    Raises:
        SecguideError: a target's defconfig is unreadable (as in one process).
    """
    global _SHARED
    _SHARED = (evaluator, plan)
    context: Any = multiprocessing.get_context("fork")
    # The workers' cycle collector leaves everything alive at the fork alone: walking it
    # would copy every page of the parent (the guide's whole build) into each worker.
    # A caller that froze its own data already (the guide's build) unfreezes it itself.
    frozen_by_caller = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        with context.Pool(jobs) as pool:
            for name, result, error in pool.imap(_evaluate_one, tasks, chunksize=_CHUNK):
                if error is not None:
                    raise SecguideError(error[0], exit_code=error[1])
                assert result is not None
                yield name, result[0], result[1]
    finally:
        _SHARED = None
        if not frozen_by_caller:
            gc.unfreeze()
