"""YAML front matter: read with safe_load only, validated field by field, never trusted blindly.

In a `.md` file it is the story's metadata; at the top of a pasted `.txt` file it overrides what
the loader parsed. Top-level fields apply to the file's first story; `stories:` maps a story's
index in the file (0-based, as `inspect` shows it) to fields for that story:

    ---
    date: 2025-03-26
    stories:
      1: {title: "Corrected headline", topics: [crypto]}
      2: {skip: true}
    ---
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any

import yaml
from dateutil import parser as dateparser
from yaml.constructor import SafeConstructor

from digest.model import Problem

MAX_FRONT_MATTER = 64 * 1024
# safe_load's loader, in C when libyaml is there (several times faster; the same safe constructor).
_BASE_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_BASE_LOADER):  # type: ignore[misc,valid-type]
    """safe_load's loader, except that a timestamp which is no real date (2025-02-30) stays text instead of raising."""


def _timestamp_or_text(loader: SafeConstructor, node: yaml.ScalarNode) -> object:
    try:
        return SafeConstructor.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError, AttributeError):  # day out of range, month 13, year 0; "!!timestamp hello"
        return loader.construct_scalar(node)


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp_or_text)
_SAFE_LOADER = _SafeLoader
_FENCE = re.compile(r"^---[ \t]*$")
_END_FENCE = re.compile(r"^(?:---|\.\.\.)[ \t]*$")
_ISO_DATE = re.compile(r"^\d{1,5}-\d{1,2}-\d{1,2}\b")
_TEXT_FIELDS = ("title", "dateline", "source_url", "slug", "caption")
_LIST_FIELDS = ("summary", "topics")
KNOWN_KEYS = frozenset((*_TEXT_FIELDS, *_LIST_FIELDS, "date", "headline", "skip", "stories"))


@dataclass(frozen=True, slots=True)
class Overrides:
    """Fields a user set by hand; None means "keep what the loader parsed"."""

    title: str | None = None
    date: dt.date | None = None
    dateline: str | None = None
    summary: tuple[str, ...] | None = None
    topics: tuple[str, ...] | None = None
    source_url: str | None = None
    slug: str | None = None
    caption: str | None = None
    skip: bool = False

    def is_empty(self) -> bool:
        return self == Overrides()


@dataclass(frozen=True, slots=True)
class FrontMatter:
    body: str  # the text after the front matter
    body_start_line: int  # 1-based line of the body's first line in the file
    per_story: dict[int, Overrides] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def split_front_matter(path: str, text: str) -> FrontMatter:
    if not _FENCE.match(text.partition("\n")[0]):  # most files have none: no need to split them
        return FrontMatter(text, 1)
    lines = text.split("\n")
    end = next((i for i in range(1, len(lines)) if _END_FENCE.match(lines[i])), None)
    if end is None:
        problem = Problem(path, 1, "warning", "front matter opened with '---' is never closed; read as text")
        return FrontMatter(text, 1, problems=(problem,))
    raw = "\n".join(lines[1:end])
    body = "\n".join(lines[end + 1 :])
    if len(raw) > MAX_FRONT_MATTER:
        problem = Problem(path, 1, "error", f"front matter over {MAX_FRONT_MATTER // 1024} KiB; ignored")
        return FrontMatter(body, end + 2, problems=(problem,))
    try:
        data = yaml.load(raw, Loader=_SAFE_LOADER)  # safe_load, with the C parser when there is one
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 1
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        problem = Problem(path, line, "error", f"front matter is not valid YAML ({reason}); ignored")
        return FrontMatter(body, end + 2, problems=(problem,))
    except Exception as exc:  # PyYAML's constructors: nesting too deep, "!!bool x" (KeyError), "!!int x" (ValueError) …
        problem = Problem(path, 2, "error", f"front matter could not be read ({type(exc).__name__}: {exc}); ignored")
        return FrontMatter(body, end + 2, problems=(problem,))
    if data is None:
        return FrontMatter(body, end + 2)
    if not isinstance(data, dict):
        problem = Problem(path, 2, "error", "front matter must be a mapping of field: value; ignored")
        return FrontMatter(body, end + 2, problems=(problem,))
    problems: list[Problem] = []
    per_story: dict[int, Overrides] = {}
    stories = data.pop("stories", None)
    first = _overrides(path, data, problems, where="")
    if not first.is_empty():
        per_story[0] = first
    if stories is not None:
        for index, fields in _story_entries(path, stories, problems):
            per_story[index] = _merge(per_story.get(index, Overrides()), _overrides(path, fields, problems, f"stories.{index}."))
    return FrontMatter(body, end + 2, per_story, tuple(problems))


def _story_entries(path: str, stories: Any, problems: list[Problem]) -> list[tuple[int, dict[Any, Any]]]:
    if isinstance(stories, dict):
        items = list(stories.items())
    elif isinstance(stories, list):
        items = list(enumerate(stories))
    else:
        problems.append(Problem(path, 1, "error", "front matter 'stories' must map story index to fields; ignored"))
        return []
    entries = []
    for index, fields in items:
        if isinstance(index, bool) or not isinstance(index, int) or index < 0 or not isinstance(fields, dict):
            problems.append(Problem(path, 1, "error", f"front matter 'stories.{index}' must be index: {{field: value}}; ignored"))
            continue
        entries.append((index, fields))
    return entries


def _merge(base: Overrides, extra: Overrides) -> Overrides:
    changes = {name: getattr(extra, name) for name in Overrides.__slots__ if getattr(extra, name) not in (None, False)}
    return replace(base, **changes)


def _overrides(path: str, data: dict[Any, Any], problems: list[Problem], where: str) -> Overrides:
    values: dict[str, Any] = {}

    def bad(key: str, expected: str) -> None:
        problems.append(Problem(path, 1, "error", f"front matter '{where}{key}' must be {expected}; ignored"))

    for key, value in data.items():
        key = str(key)
        if key not in KNOWN_KEYS or key == "stories":
            problems.append(Problem(path, 1, "warning", f"front matter has unknown field '{where}{key}'; ignored"))
        elif value is None:
            continue
        elif key in (*_TEXT_FIELDS, "headline"):
            if isinstance(value, (str, int, float)) and not isinstance(value, bool) and str(value).strip():
                values["title" if key == "headline" else key] = str(value).strip()
            else:
                bad(key, "a piece of text")
        elif key in _LIST_FIELDS:
            items = [value] if isinstance(value, str) else value
            if isinstance(items, list) and all(isinstance(i, (str, int, float)) for i in items):
                values[key] = tuple(str(i).strip() for i in items if str(i).strip())
            else:
                bad(key, "a list of text")
        elif key == "date":
            parsed = parse_date_value(value)
            if parsed is None and isinstance(value, str) and _ISO_DATE.match(value.strip()):
                message = f"front matter '{where}{key}' {value.strip()!r} is not a real date; ignored"
                problems.append(Problem(path, 1, "error", message))
            elif parsed is None:
                bad(key, "a date with a year, such as 2025-03-26")
            else:
                values["date"] = parsed
        elif key == "skip":
            if isinstance(value, bool):
                values["skip"] = value
            else:
                bad(key, "true or false")
    return Overrides(**values)


def parse_date_value(value: Any) -> dt.date | None:
    """A front matter date: a YAML date or timestamp, or text with a day, month and year."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str) or len(value) > 100:
        return None
    try:
        # Parse twice with different default years: text without a year must not get one by default.
        first = dateparser.parse(value, default=dt.datetime(2000, 1, 1))
        second = dateparser.parse(value, default=dt.datetime(2001, 2, 2))
    except (ValueError, OverflowError):
        return None
    return first.date() if first.date() == second.date() else None
