"""One story from several copies: every source, the best of each field, a stable id."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from digest.dedupe.rules import clean_headline
from digest.model import STATED_DATE_SOURCES, SourceRef, Story, changed
from digest.text import fold

_NUMBERED = re.compile(r"^(?P<base>.+-[0-9a-f]{6})-\d+$")
def base_id(story_id: str) -> str:
    """A loader id without the "-2", "-3" it gets when identical copies clash (those depend on file order)."""
    tail = story_id.rpartition("-")[2]
    if not tail.removesuffix("\n").isdigit():  # what _NUMBERED needs (\d is a kind of isdigit; $ passes a final \n)
        return story_id
    match = _NUMBERED.match(story_id)
    return match.group("base") if match else story_id


def content_key(story: Story) -> tuple[str, str, str, str, str]:
    """An order for stories that depends on their content only, never on file names."""
    return (
        fold(story.headline or ""),
        fold(" ".join(story.body)),
        story.date.isoformat() if story.date else "",
        fold(story.dateline or ""),
        fold(" ".join(story.summary)),
    )


class Known(Protocol):
    """What combine reads of each member besides the story itself."""

    @property
    def weight(self) -> tuple[int, int]: ...  # body words and characters: the fullest copy is the heaviest
    @property
    def headline(self) -> str | None: ...  # the headline without wire markers
    @property
    def headline_key(self) -> str: ...  # fold(headline), "" without one


@dataclass(frozen=True, slots=True)
class _Known:
    weight: tuple[int, int]
    headline: str | None
    headline_key: str


def known_of(story: Story) -> Known:
    headline = clean_headline(story.headline) if story.headline else None
    return _Known(
        (sum(len(p.split()) for p in story.body), sum(len(p) for p in story.body)),
        headline,
        fold(headline) if headline is not None else "",
    )


def combine(members: Sequence[Story], known: Sequence[Known] | None = None) -> Story:
    """The merged story: members are in content order, the first one gives the id.

    `known`, optional, gives for each member what `known_of` says of it (computed once per story by the caller)."""
    first = members[0]
    info = list(known) if known is not None else [known_of(s) for s in members]
    at = max(range(len(members)), key=lambda i: info[i].weight)  # max keeps the first of equals: content order
    fullest = members[at]
    headlines = [(k.headline, k.headline_key) for k in info if k.headline is not None]
    headline = None
    if headlines:
        counts = _tally(key for _, key in headlines)
        fullest_headline = info[at].headline_key
        best = max(counts, key=lambda h: (counts[h], h == fullest_headline))
        headline = next(h for h, key in headlines if key == best)
    dated = sorted((s for s in members if s.date is not None), key=lambda s: (s.date, s.date_source not in STATED_DATE_SOURCES))
    dates = [s.date for s in dated]
    # "merged" only vouches for a stated date; an inferred one keeps saying how it was inferred.
    date_source = None if not dated else "merged" if dated[0].date_source in STATED_DATE_SOURCES else dated[0].date_source
    datelines = _tally(s.dateline for s in members if s.dateline)
    dateline = max(datelines, key=lambda d: (datelines[d], d == fullest.dateline)) if datelines else None
    summary: list[str] = []
    seen: set[str] = set()
    for story in (fullest, *members):
        for line in story.summary:
            key = fold(line)
            if key not in seen:
                seen.add(key)
                summary.append(line)
    topics: list[str] = []
    for story in members:
        topics.extend(t for t in story.topics if t not in topics)
    sources = tuple(sorted({ref for s in members for ref in s.sources}, key=lambda r: (r.path, r.index)))
    first_source = min(members, key=lambda s: (s.sources[0].path, s.sources[0].index))
    return changed(
        fullest,
        id=base_id(first.id),
        headline=headline,
        title=headline or fullest.title,
        date=dates[0] if dates else None,
        date_source=date_source,
        dateline=dateline,
        summary=tuple(summary),
        sources=sources,
        source_url=fullest.source_url or next((s.source_url for s in members if s.source_url), None),
        caption=fullest.caption or next((s.caption for s in members if s.caption), None),
        topics=tuple(topics),
        related=(),
        line=first_source.line,
    )


def _tally(values: Iterable[str]) -> dict[str, int]:
    """How often each value occurs, in order of first occurrence (a Counter, without its cost for two or three)."""
    counts: dict[str, int] = {}
    for value in values:
        counts[value] = counts.get(value, 0) + 1
    return counts


def unique_ids(stories: Sequence[Story]) -> list[Story]:
    """Ids made unique by content order: clashing stories (same headline and lede) get -2, -3 … by content."""
    ids = [s.id for s in stories]
    copies = Counter(ids)
    by_id: dict[str, list[int]] = {}  # the clashing ids, in order of first occurrence
    for i in (i for i, story_id in enumerate(ids) if copies[story_id] > 1):
        by_id.setdefault(ids[i], []).append(i)
    out = list(stories)
    taken = set(copies)
    for story_id, positions in by_id.items():
        ordered = sorted(positions, key=lambda i: (content_key(stories[i]), _refs(stories[i].sources)))
        n = 1
        for i in ordered[1:]:
            n += 1
            while f"{story_id}-{n}" in taken:
                n += 1
            taken.add(f"{story_id}-{n}")
            out[i] = changed(stories[i], id=f"{story_id}-{n}")
    return out


def _refs(sources: Sequence[SourceRef]) -> tuple[tuple[str, int], ...]:
    return tuple((r.path, r.index) for r in sources)
