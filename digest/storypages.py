"""Story pages and feeds as both a full render (`digest.render`) and a rebuild after body edits (`digest.patch`)
make them, and `SiteIndex`: what the second needs to know of the site the last full build made.

A story page's key is its origin key: the origins (`fingerprint.origins`) of its story, its neighbours and its
related stories, and its place in the timeline, under what its template reads of the values every page shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import jinja2
from markupsafe import Markup

from digest.config import SiteConfig, Topic
from digest.environment import markdown_html
from digest.feeds import OutputFile, atom_feed, xml_safe
from digest.fingerprint import Fingerprints, joined_digest
from digest.model import Story

STORY_PAGE_OWN = ("path", "title", "story", "related", "story_topics", "previous", "next", "timeline_link")  # per page

Feed = tuple[str, str, str]  # path, title, subtitle


@dataclass(frozen=True, slots=True)
class SiteIndex:
    """The stories of a full build's site in site order, with what their pages and the feeds are made from besides
    the stories themselves (which the cache keeps by origin): a rebuild that finds only story bodies edited re-renders
    the pages and feeds that show those stories from it, and keeps every other file (see `digest.patch`)."""

    ids: tuple[str, ...]
    origins: tuple[str | None, ...]
    sources: tuple[tuple[tuple[str, int], ...], ...]  # each story's (file, place in it)
    related: tuple[tuple[str, ...], ...]
    links: tuple[str, ...]  # each story's place in the timeline
    topics: tuple[Topic, ...]  # the values every page shares: the topics, their story counts, the month pages
    counts: Mapping[str, int]
    month_pages: Mapping[str, str]
    origin_prefix: str | None  # what every story page's key starts with
    feeds: tuple[tuple[Feed, tuple[int, ...]], ...]  # each feed and the positions of its entries' stories


def shared_values(config: SiteConfig, today: dt.date, topics: Sequence[Topic], counts: Mapping[str, int],
                  month_pages: Mapping[str, str]) -> dict[str, Any]:
    """The values every page is given."""
    return dict(config=config, today=today, all_topics=topics, topic_counts=counts,
                topics_by_slug={t.slug: t for t in topics}, month_pages=month_pages)


def body_html(story: Story) -> Markup | None:
    return markdown_html(story.body) if story.body_format == "markdown" else None


def story_context(story: Story, previous: Story | None, following: Story | None, related: Sequence[Story],
                  topics: Mapping[str, Topic], link: str) -> dict[str, Any]:
    """A story page's own values (`STORY_PAGE_OWN`); `related` are the stories its `related` ids name, in order."""
    return dict(path=story.url, title=story.title, story=story, related=list(related),
                story_topics=[topics[t] for t in story.topics if t in topics], previous=previous, next=following,
                timeline_link=link)


def story_html(env: jinja2.Environment, shared: Mapping[str, Any], own: Mapping[str, Any]) -> bytes:
    html = env.get_template("story.html").render(**shared, **own, body_html=body_html(own["story"]))
    return xml_safe(html).encode("utf-8")


def origin_key(prefix: str | None, link: str, previous: str | None, following: str | None, own: str | None,
               related: Sequence[str | None]) -> str | None:
    """A story page's key from the origins of its story and of those it shows (None: no key, always rendered)."""
    parts = [prefix, link, previous, following, own, *related]
    return None if None in parts else joined_digest(*parts)  # type: ignore[arg-type]


def feed_key(keyer: Fingerprints, feed: Feed, entries: tuple[Story, ...], config: SiteConfig, today: dt.date) -> str | None:
    """A feed's key: its template, what it is and its entries' stories, whole."""
    return keyer.data(keyer.template("feed.xml")[0], *feed, entries, config, today)


def feed_file(env: jinja2.Environment, feed: Feed, stories: Sequence[Story], config: SiteConfig,
              today: dt.date) -> OutputFile:
    return atom_feed(env.get_template("feed.xml"), *feed, stories, config, today, body_html)
