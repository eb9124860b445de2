"""What `digest build` and `digest serve` print: build progress and the summary after a build.

Progress goes to stderr: a `rich` progress bar when stderr is a terminal, else one plain line per
finished stage (logs and CI stay readable). The summary goes to stdout. Nothing here keeps state
beyond the one build it reports on.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TextIO

from digest.pipeline import STAGES, BuildResult, Progress

LEVELS = ("error", "warning", "info")


class PlainProgress:
    """One line per finished stage: `build: load done (0.42 s)`."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self.started: dict[str, float] = {}

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = time.perf_counter()
        self.started.setdefault(stage, now)
        if done >= total:
            print(f"build: {stage} done ({now - self.started[stage]:.2f} s)", file=self.stream, flush=True)


@contextlib.contextmanager
def bar_progress(stream: TextIO) -> Iterator[Progress]:
    """A transient rich progress bar over the build's stages (it disappears when the build ends)."""
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

    columns = (TextColumn("[bold]{task.description:<9}"), BarColumn(), TaskProgressColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(file=stream), transient=True) as bar:
        task = bar.add_task("build", total=len(STAGES))

        def update(stage: str, done: int, total: int) -> None:
            position = STAGES.index(stage) if stage in STAGES else 0
            bar.update(task, description=stage, completed=position + (done / total if total else 1))

        yield update


@contextlib.contextmanager
def build_progress(stream: TextIO) -> Iterator[Progress]:
    """The bar on a terminal, plain lines otherwise."""
    if stream.isatty():
        with bar_progress(stream) as update:
            yield update
    else:
        yield PlainProgress(stream)


def _plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {many or word + 's'}"


def problem_counts(result: BuildResult) -> str:
    """`0 errors, 3 warnings, 5 info`."""
    return ", ".join(_plural(result.problems.get(level, 0), level, "info" if level == "info" else None) for level in LEVELS)


def report_page(result: BuildResult) -> Path | None:
    return result.output / "report.html" if result.output is not None else None


def summary(result: BuildResult) -> list[str]:
    """The lines printed after a successful build."""
    lines = [
        f"Built {_plural(result.stories, 'story', 'stories')} from {_plural(result.files, 'file')} "
        f"in {result.seconds:.2f} s: {_plural(result.pages, 'page')}, {_plural(result.duplicates_merged, 'duplicate')} merged, "
        f"{result.undated} undated",
        f"Problems: {problem_counts(result)}",
    ]
    if result.rebuilt == "nothing":
        lines.insert(1, "Nothing changed since the last build: the site was left as it was")
    elif result.rebuilt == "bodies":
        lines.insert(1, f"Only story bodies changed: {_plural(result.rendered, 'file')} made again (the pages and feeds "
                        "that show those stories, the search index), the rest kept")
    page = report_page(result)
    if page is not None and result.output is not None:
        lines.append(f"Report: {page} ({page.as_uri()})")
        lines.append(f"Open {(result.output / 'index.html').as_uri()}")
    return lines


def strict_failure(result: BuildResult) -> str | None:
    """Why `--strict` fails this build (warnings or errors), or None."""
    warnings, errors = result.problems.get("warning", 0), result.problems.get("error", 0)
    if not warnings and not errors:
        return None
    return f"--strict: {_plural(errors, 'error')} and {_plural(warnings, 'warning')}; see the report"
