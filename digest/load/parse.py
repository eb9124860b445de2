"""One file's text to story records: segment, pick dates and datelines, apply front matter overrides."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from digest.load.dates import first_full_date, month_day, weekday_date
from digest.load.frontmatter import Overrides, split_front_matter
from digest.load.lines import classify, relabel
from digest.load.segment import RawStory, looks_like_headline, pair, segment, split_dateline
from digest.model import Problem, SourceRef, Story
from digest.text import cut_at_word, fold, short_hash, slugify

TITLE_LIMIT = 90
_MD_HEADING = re.compile(r"^#\s+(?P<title>.+?)\s*#*\s*$")


def story_id(headline: str | None, body: tuple[str, ...]) -> str:
    """A slug to read plus a hash of the content: same story, same id, whatever the file is called."""
    title = headline or (body[0] if body else "story")
    return f"{slugify(title, 50)}-{short_hash(fold(headline or ''), fold(' '.join(body[:3])[:4000])[:2000], length=6)}"


def _pick_date(
    raw: RawStory, body: tuple[str, ...], month_day_hint: tuple[int, int] | None, today: dt.date
) -> tuple[dt.date | None, str | None]:
    """Publication stamp, else the earliest update stamp, else a weekday with a month-day, else a date in the lede."""
    published = [d.date for d in raw.dates if d.kind == "published" and d.date <= today]
    if published:
        return published[0], "published-line"
    updated = sorted(d.date for d in raw.dates if d.kind == "updated" and d.date <= today)
    if updated:
        return updated[0], "updated-line"
    lede = " ".join(body[:2])
    inferred = weekday_date(lede, today, month_day_hint)
    if inferred is not None and inferred <= today:
        return inferred, "weekday-inference"
    mentioned = first_full_date(body[0]) if body else None
    if mentioned is not None and mentioned <= today:
        return mentioned, "body"
    return None, None


def _future_dates(path: str, raw: RawStory, today: dt.date) -> list[Problem]:
    return [
        Problem(path, raw.headline_line or raw.start, "warning", f"date {d.date.isoformat()} is after the build date; not used")
        for d in raw.dates
        if d.date > today
    ]


def _story_from_raw(path: str, index: int, raw: RawStory, today: dt.date) -> Story:
    body = [text for _, text in raw.paragraphs]
    dateline = None
    month_day_hint = None
    if body:
        found = split_dateline(body[0])
        if found is not None:
            dateline = found.place
            month_day_hint = month_day(found.month_day_text) if found.month_day_text else None
            body[0] = found.rest
    body_t = tuple(p for p in body if p)
    date, date_source = _pick_date(raw, body_t, month_day_hint, today)
    headline = raw.headline
    title = headline or cut_at_word(body_t[0] if body_t else raw.summary[0] if raw.summary else "Untitled story", TITLE_LIMIT)
    return Story(
        id=story_id(headline, body_t),
        headline=headline,
        title=title,
        date=date,
        date_source=date_source,
        dateline=dateline,
        summary=raw.summary,
        body=body_t,
        sources=(SourceRef(path, index),),
        source_url=raw.source_url,
        caption=raw.caption,
        line=raw.headline_line or raw.start,
    )


def _apply(story: Story, fix: Overrides) -> Story:
    changes: dict[str, Any] = {}  # one replace(): each call builds a whole Story
    if fix.title is not None:
        changes.update(headline=fix.title, title=fix.title)
    if fix.date is not None:
        changes.update(date=fix.date, date_source="front-matter")
    for name in ("dateline", "summary", "topics", "source_url", "caption"):
        if (value := getattr(fix, name)) is not None:
            changes[name] = value
    if fix.slug is not None:
        changes["id"] = slugify(fix.slug, 80)
    elif fix.title is not None:
        changes["id"] = story_id(fix.title, story.body)
    return replace(story, **changes)


def _markdown_story(path: str, body: str, start_line: int) -> RawStory:
    blocks: list[tuple[int, str]] = []
    current: list[str] = []
    for number, line in enumerate(body.split("\n"), start=start_line):
        if line.strip():
            if not current:
                blocks.append((number, ""))
            current.append(line.rstrip())
        elif current:
            blocks[-1] = (blocks[-1][0], "\n".join(current))
            current = []
    if current:
        blocks[-1] = (blocks[-1][0], "\n".join(current))
    headline = None
    if blocks and (heading := _MD_HEADING.match(blocks[0][1])):
        headline = heading.group("title")
        blocks = blocks[1:]
    return RawStory(start_line, headline, start_line if headline else None, (), tuple(blocks), (), None, None)


def parse_text(path: str, text: str, today: dt.date, markdown: bool = False) -> tuple[list[Story], list[Problem]]:
    """All stories in one file's text, and what could not be done with it."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    front = split_front_matter(path, text)
    problems = list(front.problems)
    if markdown:
        raws = [_markdown_story(path, front.body, front.body_start_line)]
    else:
        numbered = enumerate(front.body.split("\n"), start=front.body_start_line)
        lines = [line for n, raw in numbered if raw and (line := classify(n, raw))]
        raws = pair(segment(relabel(lines)))
        for line in lines:
            if line.impossible:
                problems.append(Problem(path, line.number, "warning", f"'{line.impossible[0]}' is not a real date; ignored"))
        problems.extend(p for raw in raws for p in _future_dates(path, raw, today))
    stories = [_story_from_raw(path, index, raw, today) for index, raw in enumerate(raws)]
    if markdown:
        stories = [_markdown_defaults(story) for story in stories]
    for index in sorted(set(front.per_story) - set(range(len(stories)))):
        message = f"front matter sets story {index}, but the file has only {len(stories)} (counted from 0)"
        problems.append(Problem(path, 1, "warning", message))
    kept = []
    for index, story in enumerate(stories):
        fix = front.per_story.get(index)
        if fix is not None:
            if fix.skip:
                problems.append(Problem(path, story.line, "info", f"story {index} ('{story.title}') skipped by its front matter"))
                continue
            story = _apply(story, fix)
        kept.append(story)
        problems.extend(_story_warnings(path, index, story))
    if not stories:
        problems.append(Problem(path, front.body_start_line, "error", "no story text found in the file"))
    return kept, problems


def _markdown_defaults(story: Story) -> Story:
    # Markdown is the user's own writing: keep paragraphs as written, the format marks them for rendering.
    return replace(story, body_format="markdown")


def _story_warnings(path: str, index: int, story: Story) -> list[Problem]:
    where = f"story {index + 1}" if index else "story"  # counted from 1, as the pages and the report do
    out = []
    if story.headline is None:
        out.append(Problem(path, story.line, "warning", f"{where} has no headline; its title falls back to the lede"))
    elif len(story.headline) > 250 and not looks_like_headline(story.headline):
        out.append(Problem(path, story.line, "warning", f"{where} has an unusually long headline"))
    if story.date is None:
        out.append(Problem(path, story.line, "warning", f"{where} is undated: no publication date found"))
    if not story.body:
        out.append(Problem(path, story.line, "warning", f"{where} has a headline but no body text"))
    return out
