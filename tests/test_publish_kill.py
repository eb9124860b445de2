"""A build killed with SIGKILL at any moment leaves the previous site exactly as it was (or, once the
swap is done, the new site whole): never a mix, never a half-written folder."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BUILD_DATE
from test_incremental import synthetic, tree

CONFIG = ROOT / "digest.yaml"


def run_build(articles: Path, out: Path) -> subprocess.Popen[bytes]:
    cmd = [sys.executable, "-m", "digest", "build", "--articles", str(articles), "--out", str(out), "--config", str(CONFIG),
           "--build-date", SEED_BUILD_DATE.isoformat()]
    return subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_kill_9_at_any_moment_leaves_a_whole_site(tmp_path: Path):
    articles = tmp_path / "articles"
    out = tmp_path / "public"
    versions: dict[str, dict[str, bytes]] = {}
    for salt in ("", " (second edition)"):  # the two sites the build alternates between, built once to know them
        synthetic(300, articles, salt)
        assert run_build(articles, out).wait() == 0
        versions[salt] = tree(out)
    timing = time.perf_counter()
    synthetic(300, articles, "")
    assert run_build(articles, out).wait() == 0
    full = time.perf_counter() - timing
    rng = random.Random(5)
    current = ""
    for _ in range(20):
        target = " (second edition)" if current == "" else ""
        synthetic(300, articles, target)
        proc = run_build(articles, out)
        time.sleep(rng.uniform(0, full))
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        now = tree(out)
        assert now in (versions[current], versions[target]), "a killed build left a mixed or partial site"
        current = current if now == versions[current] else target
    synthetic(300, articles, current)  # and the next build after all that is right
    assert run_build(articles, out).wait() == 0
    assert tree(out) == versions[current]
