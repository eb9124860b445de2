"""Time loading N pasted article files with `digest.load.load_paths`; print the median of several runs.

    python benchmarks/bench_load.py [N] [--runs 5] [--dir DIR] [--workers W] [--accuracy]

Without --dir it writes N files with make_articles.py (from ../shared/corpora) into a temporary
folder first (not timed). --accuracy also compares each file's first story with what
make_articles.py put in (headline, date, dateline, body) and prints the share that match.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_articles

from digest.load import load_paths
from digest.model import LoadResult
from digest.text import fold

BUILD_DATE = dt.date(2026, 11, 22)


def accuracy(result: LoadResult, truth_file: Path) -> None:
    first = {s.sources[0].path: s for s in result.stories if s.sources[0].index == 0}
    fields = ("headline", "date", "dateline", "body")
    right = dict.fromkeys(fields, 0)
    wrong: dict[str, list[str]] = {f: [] for f in fields}
    total = 0
    for line in truth_file.read_text(encoding="utf-8").splitlines():
        want = json.loads(line)
        total += 1
        story = first.get(want["file"])
        got = {
            "headline": fold(story.headline or "") if story else None,
            "date": story.date.isoformat() if story and story.date else None,
            "dateline": story.dateline if story else None,
            "body": [fold(p) for p in story.body] if story else None,
        }
        expected = {
            "headline": fold(want["headline"]),
            "date": want["date"],
            "dateline": want["dateline"],
            "body": [fold(p) for p in want["body"]],
        }
        for f in fields:
            if got[f] == expected[f]:
                right[f] += 1
            else:
                wrong[f].append(want["file"])
    for f in fields:
        examples = ", ".join(wrong[f][:5])
        print(f"  {f:9} {right[f] / total:7.2%} right" + (f"  (wrong e.g. {examples})" if examples else ""))


def _cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, nargs="?", default=10_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--dir", type=Path, help="load this folder instead of generating one")
    ap.add_argument("--workers", type=int, help="processes for parsing (default: the loader's choice)")
    ap.add_argument("--truth", type=Path, help="with --dir: the --truth file make_articles.py wrote for it")
    ap.add_argument("--accuracy", action="store_true", help="also check the records against what was generated")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench_load_") as tmp:
        folder = args.dir
        truth = args.truth or Path(tmp) / "truth.jsonl"
        if folder is None:
            folder = Path(tmp) / "articles"
            status = make_articles.main([str(args.n), str(folder), "--truth", str(truth)])
            if status:
                return status
        kwargs: dict[str, int] = {} if args.workers is None else {"workers": args.workers}
        times = []
        cpus = []
        result = None
        for _ in range(args.runs):
            before = _cpu()
            start = time.perf_counter()
            result = load_paths([folder], BUILD_DATE, **kwargs)
            times.append(time.perf_counter() - start)
            cpus.append(_cpu() - before)
        assert result is not None
        files = len(result.files)
        print(f"load_paths: {files} files, {len(result.stories)} stories, {len(result.problems)} problems")
        print(f"runs: {', '.join(f'{t:.2f}' for t in times)} s")
        print(f"median: {statistics.median(times):.2f} s for {files} files ({files / statistics.median(times):,.0f} files/s)")
        # CPU time (this process and its workers) shows the work done when other load inflates wall time.
        print(f"cpu: median {statistics.median(cpus):.2f} s over all processes; load average {os.getloadavg()[0]:.1f}")
        if args.accuracy and truth.exists():
            accuracy(result, truth)
    return 0


if __name__ == "__main__":
    sys.exit(main())
