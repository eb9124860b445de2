"""Classify stage: topics for each story, and the timeline (by month and day, newest first).

Pure functions over frozen records. A story's topics are the configured topics whose rules match it,
plus those its front matter names (a name that is not configured becomes a topic of its own).
Related coverage (story.related, filled by dedupe) is shown once in the timeline, as one event with
its reports; undated stories get their own section and are never dropped.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import overload

from digest.config import SiteConfig, Terms, Topic, keyword_terms, normalize, text_words
from digest.model import Story, changed
from digest.text import fold, slugify

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November",
          "December")


@dataclass(frozen=True, slots=True)
class Matcher:
    topic: Topic
    terms: tuple[Terms, ...]
    patterns: tuple[re.Pattern[str], ...]
    pattern_starts: tuple[str, ...]  # for each pattern, what all its matches start with (lowered; "" if unknown)


@dataclass(frozen=True, slots=True)
class Event:
    """One happening: a lead report and any related reports, newest first."""

    date: dt.date | None
    stories: tuple[Story, ...]

    @property
    def lead(self) -> Story:
        return self.stories[0]


@dataclass(frozen=True, slots=True)
class Day:
    date: dt.date
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Month:
    key: str  # "2025-02"
    label: str  # "February 2025"
    days: tuple[Day, ...]
    count: int = field(init=False, repr=False, compare=False)  # stories in the month (computed once)

    def __post_init__(self) -> None:
        object.__setattr__(self, "count", sum(len(e.stories) for d in self.days for e in d.events))

    @property
    def year(self) -> str:
        return self.key[:4]


@dataclass(frozen=True, slots=True)
class Timeline:
    months: tuple[Month, ...]
    undated: tuple[Event, ...]
    count: int = field(init=False, repr=False, compare=False)  # stories in the timeline (computed once)

    def __post_init__(self) -> None:
        total = sum(m.count for m in self.months) + sum(len(e.stories) for e in self.undated)
        object.__setattr__(self, "count", total)

    def stories(self) -> tuple[Story, ...]:
        """Every story in reading order: months newest first, then the undated."""
        dated = (s for m in self.months for d in m.days for e in d.events for s in e.stories)
        return (*dated, *(s for e in self.undated for s in e.stories))


@dataclass(frozen=True, slots=True)
class Classified:
    stories: tuple[Story, ...]  # with .topics set to topic slugs, in timeline order
    topics: tuple[Topic, ...]  # configured topics, then any named only in front matter
    timeline: Timeline
    by_topic: tuple[tuple[str, Timeline], ...]  # slug -> that topic's timeline, in topic order


@dataclass(frozen=True, slots=True)
class TopicRules(Sequence[Matcher]):
    """The matchers of every configured topic, and every word their terms need (found once per story)."""

    matchers: tuple[Matcher, ...]
    words: frozenset[str]

    def __len__(self) -> int:
        return len(self.matchers)

    @overload
    def __getitem__(self, index: int) -> Matcher: ...
    @overload
    def __getitem__(self, index: slice) -> Sequence[Matcher]: ...
    def __getitem__(self, index: int | slice) -> Matcher | Sequence[Matcher]:
        return self.matchers[index]


def matchers(topics: Iterable[Topic]) -> TopicRules:
    out = []
    for topic in topics:
        terms = [keyword_terms(*topic.keywords, case=False)] if topic.keywords else []  # one pass for all keywords
        terms += [keyword_terms(*topic.entities, case=True)] if topic.entities else []
        patterns = tuple(re.compile(p, re.IGNORECASE) for p in topic.patterns)
        out.append(Matcher(topic, tuple(terms), patterns, tuple(_literal_start(p) for p in topic.patterns)))
    return TopicRules(tuple(out), _words_looked_for(out))


_LITERAL = string.ascii_letters + string.digits + " "


def _literal_start(pattern: str) -> str:
    """The ASCII letters, digits and spaces every match of the pattern starts with, lowered ("" if unsure)."""
    if "|" in pattern:  # an alternative need not start with them
        return ""
    start = pattern[:len(pattern) - len(pattern.lstrip(_LITERAL))]
    if pattern[len(start):len(start) + 1] in ("?", "*", "+", "{"):  # the last one is optional or repeated
        start = start[:-1]
    return start.lower()


def story_text(story: Story) -> str:
    return normalize("\n".join((story.headline or story.title, *story.summary, *story.body)))


def matched_topics(story: Story, rules: Sequence[Matcher]) -> tuple[str, ...]:
    """Slugs of the configured topics whose rules match the story, in configuration order."""
    text = story_text(story)
    lowered = text.lower()
    words = text_words(lowered, rules.words if isinstance(rules, TopicRules) else _words_looked_for(rules))
    # Case-blind, an ASCII letter matches only what lower() turns into its lower case, but for three non-ASCII
    # letters (tests/test_classify.py): without those, the lowered text has a pattern's lowered start where it matches.
    starts_sure = text.isascii() or not ("ı" in text or "İ" in text or "ſ" in text)
    return tuple(rule.topic.slug for rule in rules if _enough_hits(rule, text, lowered, words, starts_sure))


def _words_looked_for(rules: Sequence[Matcher]) -> frozenset[str]:
    """Every word the rules' terms need (`TopicRules` holds them: a build matches every story with one)."""
    return frozenset().union(*(terms.words for rule in rules for terms in rule.terms))


def _enough_hits(rule: Matcher, text: str, lowered: str, words: AbstractSet[str], starts_sure: bool) -> bool:
    """Whether the text has the rule's `min_matches` hits; counting stops there."""
    missing = rule.topic.min_matches
    for terms in rule.terms:
        missing -= terms.count(text, lowered, words, enough=missing)
        if missing <= 0:
            return True
    for pattern, start in zip(rule.patterns, rule.pattern_starts, strict=True):
        if start and starts_sure and start not in lowered:
            continue  # no match anywhere
        missing -= len(pattern.findall(text))
        if missing <= 0:
            return True
    return False


def _named_topic(name: str, known: dict[str, Topic]) -> Topic:
    """A front-matter topic name or slug to a configured topic, or a new one."""
    key = slugify(name)
    for topic in known.values():
        if key in (topic.slug, slugify(topic.name)):
            return topic
    return Topic(slug=key, name=name.strip())


Match = Callable[[Story, Sequence[Matcher]], tuple[str, ...]]


def assign_topics(
    stories: Sequence[Story], config: SiteConfig, match: Match = matched_topics
) -> tuple[tuple[Story, ...], tuple[Topic, ...]]:
    """`match` finds the configured topics of one story (the build passes a memoized `matched_topics`)."""
    rules = matchers(config.topics)
    known = {t.slug: t for t in config.topics}
    position = {slug: i for i, slug in enumerate(known)}
    extra: dict[str, Topic] = {}

    def order(slug: str) -> tuple[int, int, str]:  # configured topics in configuration order, then the others by slug
        return (0, position[slug], "") if slug in position else (1, 0, slug)

    out = []
    for story in stories:
        slugs = list(match(story, rules))
        for name in story.topics:
            topic = _named_topic(name, known | extra)
            if topic.slug not in known:
                extra.setdefault(topic.slug, topic)
            if topic.slug not in slugs:
                slugs.append(topic.slug)
        tagged = tuple(slugs) if len(slugs) < 2 else tuple(sorted(slugs, key=order))
        out.append(story if tagged == story.topics else changed(story, topics=tagged))
    return tuple(out), (*config.topics, *(extra[k] for k in sorted(extra)))


def _newest_first(story: Story) -> tuple[int, str, str]:
    return (-(story.date.toordinal() if story.date else 0), fold(story.title), story.id)


SortKey = Callable[[Story], tuple[int, str, str]]


def events(stories: Sequence[Story], newest_first: SortKey = _newest_first) -> tuple[Event, ...]:
    """Group related stories (connected through .related, within this set) into events.

    `newest_first` is `_newest_first` or a memo of it (folding every title costs more than the grouping)."""
    ids = {s.id for s in stories}
    parent: dict[str, str] = {}  # only the ids a link joined to another: most stories are an event alone

    def find(x: str) -> str:
        while (up := parent.get(x, x)) != x:
            parent[x] = parent.get(up, up)
            x = up
        return x

    for story in stories:
        for other in story.related:
            if other in ids:
                a, b = find(story.id), find(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    groups: dict[str, list[Story]] = {}
    for story in stories:
        groups.setdefault(find(story.id) if story.id in parent else story.id, []).append(story)
    out = []
    for members in groups.values():
        if len(members) > 1:
            members.sort(key=newest_first)
        out.append(Event(members[0].date, tuple(members)))
    out.sort(key=lambda e: newest_first(e.stories[0]))
    return tuple(out)


def timeline(stories: Sequence[Story], newest_first: SortKey = _newest_first) -> Timeline:
    """Events by day, days by month, newest first; undated events last, by title."""
    dated: dict[dt.date, list[Event]] = {}
    undated: list[Event] = []
    for event in events(stories, newest_first):
        if event.date is None:
            undated.append(event)
        else:
            dated.setdefault(event.date, []).append(event)
    months: dict[tuple[int, int], list[Day]] = {}
    for day in sorted(dated, reverse=True):
        months.setdefault((day.year, day.month), []).append(Day(day, tuple(dated[day])))
    return Timeline(
        months=tuple(
            Month(f"{y:04d}-{m:02d}", f"{MONTHS[m - 1]} {y}", tuple(days)) for (y, m), days in months.items()
        ),
        undated=tuple(undated),
    )


def classify(stories: Sequence[Story], config: SiteConfig, match: Match = matched_topics) -> Classified:
    tagged, topics = assign_topics(stories, config, match)
    keys = {id(s): _newest_first(s) for s in tagged}  # each title folded once for all the timelines
    newest_first: SortKey = lambda story: keys[id(story)]  # noqa: E731
    whole = timeline(tagged, newest_first)
    ordered = whole.stories()
    members: dict[str, list[Story]] = {t.slug: [] for t in topics}
    for story in ordered:
        for slug in story.topics:
            members[slug].append(story)
    by_topic = tuple((t.slug, timeline(members[t.slug], newest_first)) for t in topics)
    return Classified(ordered, topics, whole, by_topic)
