"""CPU time of `digest.dedupe.dedupe` on a folder of articles: cold, warm (memo) and after one edit.

    .venv/bin/python benchmarks/bench_dedupe.py [--dir /tmp/newsdigest-bench/n10000/articles] [--runs 5]

The stories are loaded once (`load_paths`, not timed). Then, each the median `time.process_time` of
--runs calls:

* cold: `dedupe(stories)`, no memo;
* warm: `dedupe(stories, memo)` with the memo of an earlier call, pickled and loaded as a build keeps it;
* edit: the same after one story's body changed (a copy of the memo each run, so the edited story is
  always new to it), as in a rebuild after one saved article.
"""

from __future__ import annotations

import argparse
import datetime as dt
import pickle
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.dedupe import dedupe
from digest.dedupe.perstory import StoryFeatures
from digest.load import load_paths
from digest.model import Story

BUILD_DATE = dt.date(2026, 11, 22)
DEFAULT_DIR = Path("/tmp/newsdigest-bench/n10000/articles")


def median_cpu(run: Callable[[], object], runs: int, setup: Callable[[], None] = lambda: None) -> tuple[float, list[float]]:
    times = []
    for _ in range(runs):
        setup()
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times), times


def with_one_edit(stories: tuple[Story, ...]) -> tuple[Story, ...]:
    at = len(stories) // 2
    story = stories[at]
    edited = replace(story, body=(*story.body[:-1], story.body[-1] + " Officials gave no further details."))
    return (*stories[:at], edited, *stories[at + 1 :])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    stories = tuple(load_paths([args.dir], BUILD_DATE, workers=1).stories)
    print(f"{len(stories)} stories from {args.dir}")

    cold, cold_all = median_cpu(lambda: dedupe(stories), args.runs)
    filled: dict[str, StoryFeatures] = {}
    result = dedupe(stories, filled)
    saved = pickle.dumps(filled)
    memo: dict[str, StoryFeatures] = pickle.loads(saved)
    warm, warm_all = median_cpu(lambda: dedupe(stories, memo), args.runs)
    edited = with_one_edit(stories)
    run_memo: dict[str, StoryFeatures] = {}

    def fresh_memo() -> None:
        nonlocal run_memo
        run_memo = dict(memo)

    edit, edit_all = median_cpu(lambda: dedupe(edited, run_memo), args.runs, fresh_memo)
    print(f"{len(result.stories)} stories after merging, {len(result.merges)} merges, memo {len(saved) / 2**20:.1f} MiB")
    for name, value, all_runs in (("cold", cold, cold_all), ("warm", warm, warm_all), ("edit", edit, edit_all)):
        print(f"{name}: {value:.3f} CPU-s median of {args.runs} ({', '.join(f'{t:.3f}' for t in all_runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
