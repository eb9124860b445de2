"""`fork_map_start`: results in the items' order, whoever maps them."""

from __future__ import annotations

import os
import time

import pytest

import digest.forkmap
from digest.forkmap import fork_map_start


def slow_square(x: int) -> tuple[int, int]:
    time.sleep(0.002)
    return x * x, os.getpid()


@pytest.mark.parametrize("leave", [0, 1])
def test_results_come_back_in_order_and_a_free_caller_maps_the_slices_not_started(monkeypatch, leave):
    monkeypatch.setattr(digest.forkmap, "cpus", lambda: 2)
    collect = fork_map_start(slow_square, range(200), leave=leave, min_items=1)
    results = collect()  # called at once: the workers have started only the first slices
    assert [square for square, _ in results] == [x * x for x in range(200)]
    here = {pid for _, pid in results} & {os.getpid()}
    if leave:
        assert here and results[-1][1] == os.getpid()  # this process took the slices from the last one back
        assert results[0][1] != os.getpid()
    else:
        assert not here
