"""The build, stage by stage: load -> dedupe -> classify -> render -> publish.

`build` returns a frozen `BuildResult` and reports progress through an optional callback
`progress(stage, done, total)`; it prints nothing itself (the command line does).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from digest.classify import classify
from digest.config import ConfigError, load_config
from digest.dedupe import dedupe
from digest.load import load_paths
from digest.publish import MARKER, PublishError, publish
from digest.render import render

Progress = Callable[[str, int, int], None]
STAGES = ("load", "dedupe", "classify", "render", "publish")


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did. `code` is the exit code: 0 built, 1 could not publish (or locked), 2 bad input."""

    code: int
    stories: int = 0  # stories on the site (after merging duplicates)
    files: int = 0  # input files accounted for in the report (loaded, merged, skipped, rejected)
    duplicates_merged: int = 0  # copies folded into another story
    undated: int = 0  # stories without a date
    problems: Mapping[str, int] = field(default_factory=dict)  # level ("error", "warning", "info") -> count
    pages: int = 0  # HTML pages on the site
    rendered: int = 0  # output files rendered by this build (the rest came from the cache)
    written: int = 0  # output files written because they are new or their bytes changed
    removed: int = 0  # output files of the previous build that are gone (deleted articles, ...)
    output: Path | None = None  # the published folder
    report: Path | None = None  # its build-report.json
    seconds: float = 0.0
    error: str | None = None  # why the build failed, when code != 0

    @property
    def changed(self) -> int:
        return self.written + self.removed


def _noop(stage: str, done: int, total: int) -> None:
    pass


def build(articles: Path, out: Path, config_path: Path, today: dt.date, progress: Progress | None = None) -> BuildResult:
    started = time.perf_counter()
    report = progress or _noop
    if not articles.is_dir():
        return BuildResult(2, error=f"no articles folder at {articles}", seconds=time.perf_counter() - started)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return BuildResult(2, error=str(exc), seconds=time.perf_counter() - started)

    report("load", 0, 1)
    loaded = load_paths([articles], today)
    report("load", 1, 1)
    report("dedupe", 0, 1)
    deduped = dedupe(loaded.stories)
    report("dedupe", 1, 1)
    report("classify", 0, 1)
    classified = classify(deduped.stories, config)
    report("classify", 1, 1)
    report("render", 0, 1)
    site = render(classified, config, today, loaded, deduped.merges)
    report("render", 1, 1)
    report("publish", 0, 1)
    try:
        written = publish(site.files, out)
    except (PublishError, OSError) as exc:
        return BuildResult(1, error=str(exc), seconds=time.perf_counter() - started)
    report("publish", 1, 1)

    levels: dict[str, int] = {}
    for p in loaded.problems:
        levels[p.level] = levels.get(p.level, 0) + 1
    return BuildResult(
        0,
        stories=site.stories,
        files=len(loaded.files),
        duplicates_merged=sum(len(m.sources) - 1 for m in deduped.merges),
        undated=sum(1 for s in classified.stories if s.date is None),
        problems=levels,
        pages=site.pages,
        rendered=len(site.files),
        written=len(site.files),
        output=written,
        report=written / MARKER,
        seconds=time.perf_counter() - started,
    )
