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
_WORK: tuple[Callable[[Any], Any], Sequence[Any]] | None = None  # what forked workers read


def cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _slice(bounds: tuple[int, int]) -> list[Any]:
    assert _WORK is not None
    fn, items = _WORK
    return [fn(item) for item in items[bounds[0] : bounds[1]]]


def fork_map(fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
    global _WORK
    workers = cpus()
    if workers > 1 and len(items) >= MIN_ITEMS and "fork" in multiprocessing.get_all_start_methods():
        step = max(1, len(items) // (workers * 8))
        bounds = [(i, min(i + step, len(items))) for i in range(0, len(items), step)]
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool

        _WORK = (fn, items)
        try:
            with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
                return [result for part in pool.map(_slice, bounds) for result in part]
        except (OSError, BrokenProcessPool):
            pass  # no processes here: map in this one
        finally:
            _WORK = None
    return [fn(item) for item in items]
