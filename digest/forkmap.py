"""`fork_map`: a pure function over many items on every CPU, in the items' order.

The workers are forked, so they inherit the function and the items (closures, templates, compiled
rules) instead of being sent them; only each slice's results travel back. With one CPU, few items,
or where processes cannot start (a sandbox, a daemon process), it runs here, with the same result.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")

MIN_ITEMS = 400  # below this, starting processes costs more than it saves
_WORK: dict[int, tuple[Callable[[Any], Any], Sequence[Any]]] = {}  # what forked workers read, by job number


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _slice(job: int, start: int, stop: int) -> list[Any]:
    fn, items = _WORK[job]
    return [fn(item) for item in items[start:stop]]


def fork_call(fn: Callable[[], R]) -> Callable[[], R]:
    """Start `fn()` in a forked process (with two CPUs or more); the returned function waits for its result.
    This process is free meanwhile, as with `fork_map_start`."""
    return _first(fork_map_start(_call, [fn], min_items=1))


def _call(fn: Callable[[], R]) -> R:
    return fn()


def _first(collect: Callable[[], list[R]]) -> Callable[[], R]:
    return lambda: collect()[0]


def fork_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return fork_map_start(fn, items)()


def fork_map_start(
    fn: Callable[[T], R], items: Sequence[T], leave: int = 0, min_items: int = MIN_ITEMS
) -> Callable[[], list[R]]:
    """Start mapping `fn` over `items` in the background (when it pays); the returned function waits for the
    results. This process is free meanwhile: a build dedupes while its topics are matched. `leave` CPUs are
    left to this process for that work (more processes than CPUs only take turns); with `leave`, the returned
    function, called when that work is done, maps here the items no worker has started on yet."""
    available = cpus()
    if available < 2 or len(items) < min_items or "fork" not in multiprocessing.get_all_start_methods():
        return lambda: [fn(item) for item in items]
    workers = max(1, min(available - leave, len(items)))
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    step = max(1, len(items) // (workers * 8))
    job = max(_WORK, default=0) + 1
    _WORK[job] = (fn, items)
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
        bounds = [(i, min(i + step, len(items))) for i in range(0, len(items), step)]
        futures = [pool.submit(_slice, job, start, stop) for start, stop in bounds]
    except (OSError, BrokenProcessPool):  # no processes here: map in this one
        del _WORK[job]
        return lambda: [fn(item) for item in items]

    def collect() -> list[R]:
        try:
            taken: dict[int, list[R]] = {}
            if leave:  # this process is free now: it maps the slices no worker has started yet, the last first
                for at in reversed(range(len(futures))):
                    if not futures[at].cancel():
                        break  # started (the workers take them in order): so are those before it
                    taken[at] = _slice(job, *bounds[at])
            return [result for at, future in enumerate(futures) for result in (taken[at] if at in taken else future.result())]
        except (OSError, BrokenProcessPool):
            return [fn(item) for item in items]
        finally:
            pool.shutdown()
            _WORK.pop(job, None)

    return collect
