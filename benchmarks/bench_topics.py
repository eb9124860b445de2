"""CPU time of topic matching (`digest.classify.matched_topics`) over the stories of article folders.

    python benchmarks/bench_topics.py DIR [DIR ...] [--config digest.yaml] [--runs 5] [--out FILE]

Loads the stories once (not timed), then times `matched_topics` over all of them with
`time.process_time` (CPU time of this process only: the machine is shared) and prints the min and
median of the runs. --out writes one line per story, `id<TAB>topic,topic`, for comparing the
results of two versions with `cmp` or `diff`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from digest.classify import matched_topics, matchers
from digest.config import load_config
from digest.load import load_paths

BUILD_DATE = dt.date(2026, 11, 22)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("folders", nargs="+", type=Path)
    parser.add_argument("--config", type=Path, default=Path(__file__).resolve().parent.parent / "digest.yaml")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--out", type=Path, help="write each story's topics to this file")
    args = parser.parse_args()

    stories = load_paths(args.folders, BUILD_DATE).stories
    started = time.process_time()
    rules = matchers(load_config(args.config).topics)
    compiled = time.process_time() - started
    times = []
    for _ in range(args.runs):
        started = time.process_time()
        found = [matched_topics(story, rules) for story in stories]
        times.append(time.process_time() - started)
    tagged = sum(1 for topics in found if topics)
    print(f"{len(stories)} stories, {tagged} with a topic; rules compiled in {compiled * 1000:.1f} ms")
    print(f"matched_topics CPU time over {args.runs} runs: min {min(times):.3f} s, median {statistics.median(times):.3f} s")
    if args.out:
        args.out.write_text("".join(f"{s.id}\t{','.join(t)}\n" for s, t in zip(stories, found, strict=True)),
                            encoding="utf-8")


if __name__ == "__main__":
    main()
