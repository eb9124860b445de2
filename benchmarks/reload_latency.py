#!/usr/bin/env python3
"""Live-reload latency of `digest serve`: from saving an article to the reload signal reaching the page.

    .venv/bin/python benchmarks/make_articles.py 2000 /tmp/rl/articles
    .venv/bin/python benchmarks/reload_latency.py /tmp/rl/articles /tmp/rl/public --runs 9

Starts the real dev server on a free loopback port, opens the long poll a page would hold, appends
a paragraph to one article and times until the poll answers; prints each run and the median. It
edits the articles it is given: point it at a copy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import statistics
import threading
import time
import urllib.request
from pathlib import Path

from digest.serve import DevServer

ROOT = Path(__file__).resolve().parent.parent


def _poll(url: str, answers: list[dict[str, object]]) -> None:
    with urllib.request.urlopen(url, timeout=60) as response:
        answers.append(json.loads(response.read()))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("articles", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args()
    dev = DevServer(args.articles, args.out, ROOT / "digest.yaml", lambda: dt.date(2026, 11, 22), port=0, log=io.StringIO())
    started = time.perf_counter()
    dev.start()
    print(f"first build {time.perf_counter() - started:.2f} s")
    files = sorted(args.articles.glob("*.txt"))
    times = []
    try:
        for i in range(args.runs):
            answers: list[dict[str, object]] = []
            url = f"{dev.url}__livereload?since={dev.generation}"
            poll = threading.Thread(target=_poll, args=(url, answers))
            poll.start()
            time.sleep(0.3)  # the poll is waiting, as an open page's would be
            article = files[(i * 97) % len(files)]
            saved = time.perf_counter()
            text = article.read_text(encoding="utf-8").rstrip() + f"\n\nLatency probe paragraph {i}.\n"
            article.write_text(text, encoding="utf-8")
            poll.join(60)
            times.append(time.perf_counter() - saved)
            print(f"run {i}: {times[-1]:.3f} s (generation {answers[0]['generation'] if answers else '?'})")
    finally:
        dev.stop()
    print(f"median {statistics.median(times):.3f} s over {len(times)} runs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
