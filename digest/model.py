"""The records passed between pipeline stages. All frozen: a stage returns new records."""

from __future__ import annotations

import datetime as dt
import operator
from dataclasses import dataclass, field, fields
from typing import Any, Literal

Level = Literal["error", "warning", "info"]

# Date sources that state the date outright; any other source (weekday-inference, body) is a guess
# the site marks as inferred. "merged": a merged story took a stated date from one of its copies.
STATED_DATE_SOURCES = frozenset({"published-line", "updated-line", "front-matter", "merged"})
BodyFormat = Literal["text", "markdown"]


def pickle_as_call(record: object) -> tuple[type, tuple[object, ...]]:
    """A record's pickle as a call of its constructor with its fields (`__reduce__`): parse results are
    pickled by the workers and cached, and this loads in 70% and saves in 75% of the time of the default
    for slots dataclasses (which set their state field by field in Python)."""
    return type(record), tuple([getattr(record, name) for name in record.__slots__])  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class Problem:
    """Something the pipeline could not do, tied to a file and a 1-based line (1 when it concerns the whole file)."""

    path: str
    line: int
    level: Level
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.level}: {self.message}"

    __reduce__ = pickle_as_call


@dataclass(frozen=True, slots=True)
class SourceRef:
    """One place a story was found: the file (relative to the articles folder) and its position in it."""

    path: str
    index: int

    __reduce__ = pickle_as_call


@dataclass(frozen=True, slots=True)
class Story:
    id: str
    headline: str | None
    title: str
    date: dt.date | None
    date_source: str | None
    dateline: str | None
    summary: tuple[str, ...]
    body: tuple[str, ...]
    sources: tuple[SourceRef, ...]
    source_url: str | None = None
    caption: str | None = None
    body_format: BodyFormat = "text"
    topics: tuple[str, ...] = ()
    related: tuple[str, ...] = ()
    line: int = 1  # where the story starts in its (first) file, for problems

    @property
    def url(self) -> str:
        return f"stories/{self.id}.html"

    @property
    def lede(self) -> str:
        """The body's first paragraph ("" without a body), which a story card shows when there is no summary: a
        page that reads only this is not rendered again when the rest of the body changes."""
        return self.body[0] if self.body else ""

    __reduce__ = pickle_as_call


_STORY_FIELDS = tuple(f.name for f in fields(Story))  # every one is an __init__ argument, in order
_STORY_AT = {name: i for i, name in enumerate(_STORY_FIELDS)}
_STORY_VALUES = operator.attrgetter(*_STORY_FIELDS)


def changed(story: Story, **changes: Any) -> Story:
    """`dataclasses.replace` for a story, in a quarter of the time (dedupe and classify make thousands)."""
    values = list(_STORY_VALUES(story))
    for name, value in changes.items():
        values[_STORY_AT[name]] = value
    return Story(*values)


FileStatus = Literal["loaded", "skipped", "rejected"]


@dataclass(frozen=True, slots=True)
class FileReport:
    """What the loader did with one input file: every file in the folder gets one."""

    path: str
    status: FileStatus
    stories: int = 0
    reason: str | None = None
    content_hash: str | None = None

    __reduce__ = pickle_as_call


@dataclass(frozen=True, slots=True)
class LoadResult:
    stories: tuple[Story, ...]
    problems: tuple[Problem, ...]
    files: tuple[FileReport, ...] = field(default=())
