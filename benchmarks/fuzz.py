"""The long fuzz run: the targets of tests/test_fuzz.py on many more inputs, plus byte mutations of real articles.

    .venv/bin/python benchmarks/fuzz.py                      # 120,000 inputs over every target, both CPUs
    .venv/bin/python benchmarks/fuzz.py --inputs 20000 --seconds 60 --targets bytes mutate
    .venv/bin/python benchmarks/fuzz.py --crashes DIR              # where failing inputs are written

Hypothesis generates the inputs (generation only: nothing stops at the first failure, nothing is
shrunk), and the `mutate` target flips, inserts, deletes and splices bytes of the files in
articles/ and the hostile lines of test_fuzz (a simple mutation fuzzer, like atheris without its
coverage feedback: atheris needs clang to build, hypothesis needs nothing). Every input goes through
the same contract checks as the test suite. A crash is an exception from the code under test; a
contract failure is an assertion of the check (a story without a title, a problem without a file).
Each is written to the crash folder as a Python literal to replay with `--replay FILE`.
Exit status: 0 when no input crashed or broke the contract, 1 otherwise.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

import test_fuzz as targets  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import seed as hypothesis_seed  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# name -> (strategy of argument tuples, check, share of the inputs)
TARGETS: dict[str, tuple[st.SearchStrategy[tuple[Any, ...]], Callable[..., None], int]] = {
    "bytes": (st.tuples(st.binary(max_size=4000), targets.file_name, targets.build_day), targets.check_bytes, 3),
    "text": (st.tuples(targets.page_text | targets.any_text, st.booleans(), targets.build_day), targets.check_text, 3),
    "front-matter": (st.tuples(targets.front_matter_file(), st.booleans()), targets.check_front_matter, 3),
    "config": (st.tuples(targets.config_data), targets.check_config_data, 2),
    "config-file": (st.tuples(targets.config_text.map(lambda t: t.encode("utf-8", "surrogatepass")) | st.binary(max_size=500)),
                    targets.check_config_file, 1),
    "dedupe": (st.tuples(st.lists(targets.page_text, min_size=1, max_size=6),
                         st.lists(st.tuples(st.integers(0, 50), st.integers(0, 3)), max_size=4)), targets.check_dedupe, 1),
    "mutate": (st.nothing().map(lambda x: (x,)), targets.check_bytes, 5),  # random mutations, see _mutations
}


class _TimeUp(BaseException):
    """Raised inside a hypothesis run to end it when the time budget is spent (not an Exception: never a failure)."""


@dataclass
class Outcome:
    target: str
    inputs: int = 0
    seconds: float = 0.0
    crashes: list[tuple[str, str]] = field(default_factory=list)  # (kind: traceback's last line, input repr)


def _record(outcome: Outcome, args: tuple[Any, ...], exc: BaseException) -> None:
    kind = "contract" if isinstance(exc, AssertionError) else "crash"
    last = traceback.format_exception_only(type(exc), exc)[-1].strip()
    outcome.crashes.append((f"{kind}: {last[:300]}", repr(args)))


def _seeds() -> list[bytes]:
    seeds = [p.read_bytes() for p in sorted((ROOT / "articles").rglob("*")) if p.is_file()]
    seeds += [b"---\n" + "\n".join(targets.FRONT_LINES[i : i + 4]).encode() + b"\n---\n" + seeds[0][:400] if seeds else b""
              for i in range(0, len(targets.FRONT_LINES), 4)]
    return [s for s in seeds if s] or [b"Headline\nPublished March 26, 2025\nISLAMABAD: Body.\n"]


def _mutate(rng: random.Random, data: bytes, seeds: list[bytes]) -> bytes:
    out = bytearray(data)
    hostile = [line.encode("utf-8", "surrogatepass") for line in targets.LINES + targets.FRONT_LINES]
    for _ in range(rng.randint(1, 8)):
        op = rng.randrange(7)
        at = rng.randrange(len(out) + 1)
        if op == 0 and out:  # flip bits
            i = rng.randrange(len(out))
            out[i] ^= 1 << rng.randrange(8)
        elif op == 1:  # random bytes
            out[at:at] = rng.randbytes(rng.randint(1, 16))
        elif op == 2 and out:  # delete a run
            del out[at : at + rng.randint(1, 200)]
        elif op == 3:  # a hostile line
            out[at:at] = b"\n" + rng.choice(hostile) + b"\n"
        elif op == 4:  # splice another seed
            other = rng.choice(seeds)
            start = rng.randrange(len(other))
            out[at:at] = other[start : start + rng.randint(1, 2000)]
        elif op == 5 and out:  # repeat a run
            chunk = bytes(out[at : at + rng.randint(1, 64)])
            out[at:at] = chunk * rng.randint(2, 200)
        elif op == 6:  # interesting bytes
            out[at:at] = rng.choice([b"\0", b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\r", b"\x85", b"\xc3", b"\xe2\x80"])
    return bytes(out)


def _mutations(outcome: Outcome, examples: int, stop: float, seed: int) -> None:
    rng = random.Random(seed)
    seeds = _seeds()
    names = ["a.txt", "a.md", "x/y.text", "b.markdown"]
    today = targets.TODAY
    for _ in range(examples):
        if time.monotonic() > stop:
            return
        args = (_mutate(rng, rng.choice(seeds), seeds), rng.choice(names), today)
        outcome.inputs += 1
        try:
            targets.check_bytes(*args)
        except Exception as exc:
            _record(outcome, args, exc)


def run_target(name: str, examples: int, seconds: float, seed: int) -> Outcome:
    outcome = Outcome(name)
    start = time.monotonic()
    stop = start + seconds
    strategy, check, _ = TARGETS[name]
    if name == "mutate":
        _mutations(outcome, examples, stop, seed)
    else:

        @hypothesis_seed(seed)
        @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(strategy)
        def run(args: tuple[Any, ...]) -> None:
            if time.monotonic() > stop:
                raise _TimeUp
            outcome.inputs += 1
            try:
                check(*args)
            except Exception as exc:
                _record(outcome, args, exc)

        with contextlib.suppress(_TimeUp):
            run()
    outcome.seconds = time.monotonic() - start
    return outcome


def replay(file: Path) -> int:
    """Run one saved input again (the file holds `target`, then the arguments' repr, on two lines)."""
    name, args_repr = file.read_text(encoding="utf-8").split("\n", 1)
    names = {"__builtins__": {}, "datetime": dt, "nan": float("nan"), "inf": float("inf")}
    args = eval(args_repr, names)  # our own file, written by this script: bytes, text, numbers, dates
    TARGETS[name][1](*args)
    print(f"{file}: no failure")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", type=int, default=120_000, help="inputs over all targets (default 120,000)")
    parser.add_argument("--seconds", type=float, default=1800, help="time budget per target (default 1800)")
    parser.add_argument("--targets", nargs="+", choices=sorted(TARGETS), default=list(TARGETS))
    parser.add_argument("--jobs", type=int, default=2, help="processes (default 2)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--crashes", type=Path, default=Path(tempfile.gettempdir()) / "newsdigest-fuzz-crashes",
                        help="folder for failing inputs (default: newsdigest-fuzz-crashes in the temp folder)")
    parser.add_argument("--replay", type=Path, help="run one saved failing input again and exit")
    opts = parser.parse_args(argv)
    if opts.replay:
        return replay(opts.replay)

    weights = {name: TARGETS[name][2] for name in opts.targets}
    total_weight = sum(weights.values())
    # Each target is split into chunks so that both processes stay busy; each chunk has its own seed.
    chunks: list[tuple[str, int, float, int]] = []
    for name, weight in weights.items():
        share = max(1, opts.inputs * weight // total_weight)
        parts = max(1, min(8, share // 2000))
        for part in range(parts):
            chunks.append((name, share // parts + (1 if part < share % parts else 0), opts.seconds / parts, opts.seed + part))
    started = time.monotonic()
    outcomes: dict[str, Outcome] = {name: Outcome(name) for name in weights}
    with ProcessPoolExecutor(max_workers=max(1, opts.jobs)) as pool:
        for result in pool.map(run_target, *zip(*chunks, strict=True)):
            total = outcomes[result.target]
            total.inputs += result.inputs
            total.seconds += result.seconds
            total.crashes.extend(result.crashes)
    wall = time.monotonic() - started

    print(f"{'target':<14}{'inputs':>10}{'cpu s':>9}{'inputs/s':>10}{'failures':>10}")
    for o in outcomes.values():
        print(f"{o.target:<14}{o.inputs:>10,}{o.seconds:>9.1f}{o.inputs / max(o.seconds, 1e-9):>10,.0f}{len(o.crashes):>10}")
    inputs = sum(o.inputs for o in outcomes.values())
    failures = [(o.target, kind, args) for o in outcomes.values() for kind, args in o.crashes]
    print(f"{'total':<14}{inputs:>10,}   wall {wall:.0f} s, {len(failures)} failures (crashes and contract violations)")
    if failures:
        opts.crashes.mkdir(parents=True, exist_ok=True)
        kinds: dict[str, int] = {}
        for n, (name, kind, args) in enumerate(failures):
            (opts.crashes / f"{name}-{n:04d}.txt").write_text(f"{name}\n{args}\n", encoding="utf-8", errors="surrogateescape")
            kinds[f"{name}: {kind}"] = kinds.get(f"{name}: {kind}", 0) + 1
        for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
            print(f"  {count:>6} x {kind}")
        print(f"failing inputs written to {opts.crashes}/ (replay one with --replay FILE)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
