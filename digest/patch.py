"""A rebuild after edits to story bodies only: the pages and feeds that show those stories are rendered again,
and every other file of the last site is kept, without loading, deduplicating or classifying the archive again.

Most edits change a story's text and nothing else of it. When every file changed since the last build still
gives the same stories (headline, date, dateline, summary, sources, …), problems and topics, and each story
whose body changed was alone in dedupe's result and stays so (`dedupe.delta.bodies_only`), a full build would
make the same site but for:
- the pages of the stories from those files, of their neighbours and of the stories that list them as related
  (those pages' keys hold their origins, `storypages.origin_key`);
- the feeds that hold an edited story, and the search index.
The listing pages show stories by the attributes their keys record (`fingerprint.view_of`); one that read a
story whole, or the first paragraph when an edit changed it, makes the build a full one. The pages are made
from the last build's stories, kept by origin (`keep_stories`), and its `SiteIndex`. On anything else, or any
doubt, `patch` returns None and the build is a full one, which gives the same output.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

import jinja2

from digest import cache as c
from digest.classify import matched_topics, matchers
from digest.config import SiteConfig
from digest.dedupe.combine import base_id
from digest.dedupe.delta import bodies_only
from digest.environment import environment
from digest.feeds import OutputFile, search_index
from digest.fingerprint import key_view, origins
from digest.load import Found, load_paths
from digest.load.records import dump_story, load_result, load_story
from digest.model import Story, changed
from digest.parsecache import ParseCache
from digest.render import SEARCH_CACHE, page_keyer
from digest.report import REPORT_PATH
from digest.storypages import SiteIndex, feed_file, feed_key, origin_key, shared_values, story_context, story_html

MAX_FILES = 8  # files changed; with more, a full build costs little more
STORE = "stories"  # the cache's published stories by origin (stories-NN.pickle)
_NOT_BODY = tuple(f.name for f in fields(Story) if f.name != "body")
_KEYLESS = ("static/", "search-data.js")  # files made without a key (static files are kept when the sources are)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """What a build leaves for the next one's `patch`: its input key (the one its state records), that key made
    without the files' content hashes, each file's content hash by name, and its site."""

    inputs: str
    context: str
    hashes: Mapping[str, str | None]
    index: SiteIndex


@dataclass(frozen=True, slots=True)
class Patched:
    files: tuple[OutputFile, ...]  # made by this build; the rest of the last site is kept
    keys: Mapping[str, str]  # the keys of those that have one
    snapshot: Snapshot  # for the next build
    save: Callable[[], None]  # writes what the caches learnt (once the site is published)


class _Unsure(Exception):
    """Something only a full build can tell."""


def keep_stories(folder: Path, stories: Sequence[Story], by: Sequence[str | None], memory: c.Memory | None) -> None:
    """Keep a build's published stories in the cache by their origins `by` (new ones encoded, those gone dropped)."""
    store = c.ShardedMemo(folder, STORE, "1", memory)  # an origin holds the code and the build date
    for story, origin in zip(stories, by, strict=True):
        if origin is not None and origin not in store.data:
            store.data[origin] = dump_story(story)
    store.save({origin for origin in by if origin is not None})


def patch(
    articles: Path, found: Found, hashes: Sequence[str | None], inputs: str, snapshot: Snapshot, keys: Mapping[str, str],
    live: Collection[str], config: SiteConfig, today: dt.date, code: str, folder: Path, parse_cache: ParseCache,
) -> Patched | None:
    """The rebuild of the site `snapshot` describes after the files of `found` took the content `hashes`, when
    only story bodies changed (see the module docstring); None when a full build is needed. `keys` and `live` are
    the last build's page keys and files; the parse cache gets the changed files' results."""
    try:
        return _patch(articles, found, hashes, inputs, snapshot, keys, live, config, today, code, folder, parse_cache)
    except _Unsure:
        return None


def _patch(
    articles: Path, found: Found, hashes: Sequence[str | None], inputs: str, snapshot: Snapshot, keys: Mapping[str, str],
    live: Collection[str], config: SiteConfig, today: dt.date, code: str, folder: Path, parse_cache: ParseCache,
) -> Patched | None:
    now = dict(zip(found.names, hashes, strict=True))
    at = [i for i, name in enumerate(found.names) if snapshot.hashes.get(name) != now[name]]
    if not 0 < len(at) <= MAX_FILES or any(hashes[i] is None for i in at):
        return None
    names = {found.names[i] for i in at}
    edits = _edits(articles, found, at, snapshot, now, today, parse_cache)
    index, memory = snapshot.index, parse_cache.memory
    touched = [i for i, refs in enumerate(index.sources) if any(path in names for path, _ in refs)]
    touched_at = set(touched)
    edited = _placed(index, touched, edits)
    _check_views(keys, live, any(old.lede != new.lede for old, new in edits))
    memo = c.ShardedMemo(folder, "dedupe", c.code_version("dedupe"), memory)
    if edits and not bodies_only(memo.data, edits):
        raise _Unsure
    if edits:
        rules = matchers(config.topics)
        if any(matched_topics(old, rules) != matched_topics(new, rules) for old, new in edits):
            raise _Unsure

    store = c.ShardedMemo(folder, STORE, "1", memory)
    made: dict[int, Story] = {}

    def final(i: int) -> Story:
        """The i-th story of the site, as published last (or as edited)."""
        story = made.get(i)
        if story is None:
            data = store.data.get(index.origins[i] or "")
            if data is None:
                raise _Unsure
            story = made[i] = load_story(data)
        return story

    for i, new in edited.items():
        made[i] = changed(final(i), body=new.body)
    origin: list[str] = []
    for i, last in enumerate(index.origins):
        if i in touched_at:
            last = origins([final(i)], {path: now.get(path) for path, _ in index.sources[i]}, f"{code}\0{today}")[0]
        if last is None:
            raise _Unsure
        origin.append(last)

    compiled = folder / "templates"
    env = environment(config, compiled)
    shared = shared_values(config, today, index.topics, index.counts, index.month_pages)
    files, made_keys = _story_pages(env, {**shared, "root": "../"}, index, touched, origin, final)
    keyer = page_keyer(env, code, compiled)
    for feed, entries in index.feeds:
        if any(i in edited for i in entries):
            stories = tuple(final(i) for i in entries)
            files.append(feed_file(env, feed, stories, config, today))
            key = feed_key(keyer, feed, stories, config, today)
            if key is not None:
                made_keys[feed[0]] = key
    files.append(search_index(final, origin, shared["topics_by_slug"], (code, compiled / SEARCH_CACHE)))

    def save() -> None:
        memo.save()
        for i in touched:
            store.data[origin[i]] = dump_story(final(i))
        store.save(set(origin))

    next_index = replace(index, origins=tuple(origin))
    next_hashes = {**snapshot.hashes, **{name: now[name] for name in names}}
    return Patched(tuple(files), made_keys, Snapshot(inputs, snapshot.context, next_hashes, next_index), save)


def _edits(
    articles: Path, found: Found, at: list[int], snapshot: Snapshot, now: Mapping[str, str | None], today: dt.date,
    parse_cache: ParseCache,
) -> list[tuple[Story, Story]]:
    """The changed files parsed (into the cache); each story whose body changed, as it was and as it is. Unsure
    unless each file gives the same stories, problems and report but for story bodies and the content hash."""
    subset = Found(tuple(found.files[i] for i in at), tuple(found.names[i] for i in at), tuple(found.sigs[i] for i in at), ())
    load_paths([articles], today, cache=parse_cache, discovered={articles: subset})
    edits = []
    for name in subset.names:
        before = parse_cache.peek(name, snapshot.hashes.get(name) or "", load_result)
        after = parse_cache.get(name, now[name] or "", load_result)  # (none when the file changed again meanwhile)
        if before is None or after is None or len(before[0]) != len(after[0]) or before[1] != after[1]:
            raise _Unsure
        if replace(before[2], content_hash=None) != replace(after[2], content_hash=None):
            raise _Unsure
        for old, new in zip(before[0], after[0], strict=True):
            if any(getattr(old, field) != getattr(new, field) for field in _NOT_BODY):
                raise _Unsure
            if old.body != new.body:
                edits.append((old, new))
    return edits


def _placed(index: SiteIndex, touched: list[int], edits: list[tuple[Story, Story]]) -> dict[int, Story]:
    """Where each edited story is on the site (unsure unless it was published alone, under the id it was loaded with,
    which no other story's id was made from: ids of clashing stories are numbered in an order that reads bodies)."""
    alone = {index.sources[i][0]: i for i in touched if len(index.sources[i]) == 1}
    ids = set(index.ids)
    placed = {}
    for old, new in edits:
        i = alone.get((old.sources[0].path, old.sources[0].index))
        if i is None or index.ids[i] != old.id or base_id(old.id) != old.id or f"{old.id}-2" in ids:
            raise _Unsure
        placed[i] = new
    return placed


def _check_views(keys: Mapping[str, str], live: Collection[str], lede: bool) -> None:
    """Unsure unless every listing page shows stories by a view that leaves out the body (and the first paragraph,
    `lede`, when it changed), and every other file but the static ones and the search index has a key."""
    for path in live:
        key = keys.get(path)
        if key is None:
            if not path.startswith(_KEYLESS):
                raise _Unsure  # a file made by every build
        elif path.endswith(".html") and not path.startswith(("stories/", "report/")) and path != REPORT_PATH:
            view = key_view(key)
            if view is None or "body" in view or (lede and "lede" in view):
                raise _Unsure


def _story_pages(
    env: jinja2.Environment, shared: Mapping[str, Any], index: SiteIndex, touched: list[int], origin: list[str],
    final: Callable[[int], Story],
) -> tuple[list[OutputFile], dict[str, str]]:
    """The pages of the touched stories, their neighbours and the stories related to them, with their keys."""
    n = len(index.ids)
    at = {story_id: i for i, story_id in enumerate(index.ids)}
    ids = {index.ids[i] for i in touched}
    pages: set[int] = set()
    for i in touched:
        pages.update(j for j in (i - 1, i, i + 1) if 0 <= j < n)
    pages.update(j for j, related in enumerate(index.related) if related and not ids.isdisjoint(related))
    files: list[OutputFile] = []
    made: dict[str, str] = {}
    for i in sorted(pages):
        story = final(i)
        related = [at[r] for r in index.related[i] if r in at and r != story.id]
        own = story_context(story, final(i - 1) if i > 0 else None, final(i + 1) if i + 1 < n else None,
                            [final(j) for j in related], shared["topics_by_slug"], index.links[i])
        files.append(OutputFile(story.url, story_html(env, shared, own)))
        key = origin_key(index.origin_prefix, index.links[i], origin[i - 1] if i > 0 else "-",
                         origin[i + 1] if i + 1 < n else "-", origin[i], [origin[j] for j in related])
        if key is not None:
            made[story.url] = key
    return files, made
