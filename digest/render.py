"""Render stage: classified stories to the site's files (HTML pages, feeds, search index, assets).

Templates are Jinja2 with autoescape on. They are looked up first in the user's folder (the config's
`templates:` key, else `templates/` beside the config file), then in the built-in `templates/`, one
file at a time, so a user can override a single page or `base.html`. Static files work the same way:
files in a `static/` folder beside the config replace or add to the built-in ones.

Every link a page emits is relative (through the `root` prefix), so the site works from disk and
under any sub-path; only feeds and the sitemap use the configured base URL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import jinja2

from digest.cache import read_pickle, write_pickle
from digest.classify import Classified, Timeline
from digest.config import SiteConfig, Topic
from digest.dedupe import MergeRecord
from digest.environment import BUILTIN_STATIC, ReadingEnvironment, environment
from digest.feeds import OutputFile, build_report_data, build_report_file, search_index, sitemap, xml_safe
from digest.fingerprint import Fingerprints, PageKeys, key_view, origins, pickled_digest, view_of
from digest.forkmap import fork_map, fork_map_start
from digest.model import LoadResult, Story
from digest.report import (
    REPORT_PATH,
    part_context,
    part_page,
    report_context,
    report_data,
    report_inputs,
    report_page,
    report_parts,
)
from digest.storypages import (
    STORY_PAGE_OWN,
    Feed,
    SiteIndex,
    feed_file,
    feed_key,
    origin_key,
    shared_values,
    story_context,
    story_html,
)

MARKER = "build-report.json"  # the build's account of its inputs (publish checks for it)


@dataclass(frozen=True, slots=True)
class Site:
    files: tuple[OutputFile, ...]  # the files rendered by this build
    pages: int
    stories: int
    kept: tuple[str, ...] = ()  # files of the previous build whose inputs did not change (not rendered again)
    keys: Mapping[str, str] = field(default_factory=dict)  # path -> input key, for the files that have one
    index: SiteIndex | None = None  # for a rebuild after body edits (`digest.patch`)


TEMPLATES = ("index.html", "story.html", "topic.html", "timeline.html", "feed.xml", "sitemap.xml", "report.html",
             "report-part.html")  # the templates a build renders (and those they use)
_PARSED = "parsed.pickle"  # in the compiled templates' folder: what `Fingerprints` found parsing each template
SEARCH_CACHE = "search.pickle"  # there too: the search index's entry of each story, by the story's digest


def page_keyer(env: jinja2.Environment, code: str, compiled: Path | None) -> Fingerprints:
    """The page keys' maker, with what parsing the templates found in an earlier build (by template source)."""
    stored = read_pickle(compiled / _PARSED, None) if compiled is not None else None
    parsed = stored[1] if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == code else {}
    return Fingerprints(env, code, dict(parsed))


def _keep_parsed(keyer: Fingerprints, code: str, compiled: Path | None) -> None:
    """Keep what parsing found for the next build, when it found something new (the templates in use only)."""
    used = {k: keyer.parsed[k] for k in keyer.used_parsed}
    if compiled is not None and used.keys() != keyer.parsed_before:
        write_pickle(compiled / _PARSED, (code, used))


def static_files(config: SiteConfig) -> tuple[OutputFile, ...]:
    """Built-in static files, overlaid by a `static/` folder beside the config (by file name)."""
    found: dict[str, Path] = {}
    for folder in dict.fromkeys([BUILTIN_STATIC, (config.root / "static").resolve()]):
        if folder.is_dir():
            for file in sorted(folder.rglob("*")):
                if file.is_file() and not file.name.startswith("."):
                    found[file.relative_to(folder).as_posix()] = file
    return tuple(OutputFile(f"static/{rel}", found[rel].read_bytes()) for rel in sorted(found))


# --- pages ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelinePages:
    """Where each month and each story lives in the site timeline."""

    split: bool
    month_page: Mapping[str, str]  # month key (or "undated") -> page path
    story_page: Mapping[str, str]  # story id -> page path + anchor


def timeline_pages(line: Timeline, config: SiteConfig) -> TimelinePages:
    split = line.count > config.timeline_split
    month_page = {m.key: (f"timeline/{m.key}.html" if split else "timeline.html") for m in line.months}
    month_page["undated"] = "timeline/undated.html" if split else "timeline.html"
    story_page = {}
    for m in line.months:
        for d in m.days:
            for e in d.events:
                for s in e.stories:
                    story_page[s.id] = f"{month_page[m.key]}#s-{s.id}"
    for e in line.undated:
        for s in e.stories:
            story_page[s.id] = f"{month_page['undated']}#s-{s.id}"
    return TimelinePages(split, month_page, story_page)


Produced = tuple[str, str | None, bytes | None]  # path, input key (None: none), bytes (None: unchanged)
Job = Callable[[Mapping[str, str]], Produced | list[Produced]]  # given the previous keys, one output file (or several)


def render(
    classified: Classified,
    config: SiteConfig,
    today: dt.date,
    loaded: LoadResult,
    merges: Sequence[MergeRecord] = (),
    previous: Mapping[str, str] | None = None,
    code: str = "",
    compiled: Path | None = None,
    report: Callable[[], Sequence[Produced]] | None = None,
) -> Site:
    """The site's files. With `previous` (path -> input key of the files the live site holds intact), a file
    whose key is unchanged is not rendered but listed in `Site.kept`; `code` is a key for the program itself;
    `compiled` a folder for compiled templates (see `environment`); `report`, a function that gives the report's
    files when they are being made elsewhere (`report_files`), called once this process's work is done, else
    they are made here.

    Every output is one job that computes its key and, when the key is new, its bytes; the jobs run on every
    CPU (`fork_map`), so keys, pages and the big single files (report, search index) are made side by side. In a
    rebuild, this process checks the story pages' keys meanwhile, and only the pages whose key changed are jobs."""
    env = environment(config, compiled)
    keyer = page_keyer(env, code, compiled)
    stories = classified.stories
    by_id = {s.id: s for s in stories}
    topics = {t.slug: t for t in classified.topics}
    topic_lines = dict(classified.by_topic)
    counts = {slug: line.count for slug, line in classified.by_topic}
    places = timeline_pages(classified.timeline, config)
    jobs: list[Job] = []  # every file but the story pages: few, and most cost more than a story page
    html_pages: list[str] = []

    def page(path: str, template: str, **context: Any) -> None:
        html_pages.append(path)
        own = dict(root="../" * path.count("/"), path=path, **context)
        jobs.append(partial(_page_job, env, PageKeys(keyer, template, {}, own), own))

    def output(path: str, key: Callable[[], str | None], make: Callable[[], OutputFile]) -> None:
        jobs.append(partial(_output, path, key, make))

    shared = shared_values(config, today, classified.topics, counts, places.month_page)
    for name in TEMPLATES:
        keyer.template(name)  # parsed once here, before the workers fork
        env.get_template(name)
    _keep_parsed(keyer, code, compiled)

    # Keying the search index would cost as much as making it (publish writes it only when its bytes change). Its
    # entries are kept by the stories' origins, for the next build (found before it is made).
    def search() -> OutputFile:
        digests = [o or keyer.of(s) for o, s in zip(origin, stories, strict=True)]
        return search_index(stories.__getitem__, digests, topics, (keyer.code, compiled / SEARCH_CACHE) if compiled else None)

    if report is None:
        jobs.append(partial(report_files, loaded, stories, merges, config, today, code, compiled))

    dated = [s for s in stories if s.date is not None]
    latest = (dated + [s for s in stories if s.date is None])[: config.latest]
    page("index.html", "index.html", title=config.title, latest=latest, timeline=classified.timeline,
         story_count=len(stories), **shared)

    for topic in classified.topics:
        page(f"topics/{topic.slug}.html", "topic.html", title=topic.name, topic=topic, timeline=topic_lines[topic.slug],
             **shared)
    _timeline_pages(partial(page, **shared), classified.timeline, places)

    feeds: list[tuple[Feed, tuple[Story, ...]]] = [(("feed.xml", config.title, ""), stories[: config.feed_entries])]
    for topic in classified.topics:
        feeds.append(((f"topics/{topic.slug}.xml", f"{topic.name} — {config.title}", topic.description),
                      topic_lines[topic.slug].stories()[: config.feed_entries]))
    for feed, entries in feeds:
        output(feed[0], partial(feed_key, keyer, feed, entries, config, today),
               partial(feed_file, env, feed, entries, config, today))

    def story_own(i: int) -> dict[str, Any]:
        story = stories[i]
        return story_context(story, stories[i - 1] if i > 0 else None, stories[i + 1] if i + 1 < len(stories) else None,
                             [by_id[r] for r in story.related if r in by_id and r != story.id], topics,
                             places.story_page[story.id])

    # A story page's key is its origin key: its story's, its neighbours' and related stories' origins (see `origins`)
    # and where its story sits in the timeline, under what the template reads of the values every page shares. It
    # costs a tenth of a key of what the page shows, and differs from one only when a neighbour or a related story
    # changed in what the page does not show, which renders a page or two more. (Found by `find_origins` once the
    # workers that do not need them have started.)
    origin: list[str | None] = []
    at = {s.id: i for i, s in enumerate(stories)}
    story_keys = PageKeys(keyer, "story.html", {**shared, "root": "../"}, STORY_PAGE_OWN)
    shared_read = story_keys.prefix()  # (and the topics: a page's `story_topics` are the topics its slugs name)
    origin_prefix = None if shared_read is None else keyer.data(shared_read, classified.topics)

    def find_origins() -> None:
        origin[:] = origins(stories, {f.path: f.content_hash for f in loaded.files}, f"{code}\0{today}")

    def page_key(i: int) -> str | None:
        story = stories[i]
        return origin_key(origin_prefix, places.story_page[story.id], origin[i - 1] if i > 0 else "-",
                          origin[i + 1] if i + 1 < len(stories) else "-", origin[i],
                          [origin[at[r]] for r in story.related if r in at and r != story.id])

    def story_page(i: int, before: Mapping[str, str]) -> Produced:
        """A story's page, its own values made by the process that renders it (making 10,000 costs)."""
        own = story_own(i)
        return own["path"], page_key(i), story_html(env, story_keys.shared, own)

    html_pages += [story.url for story in stories]

    html_pages.sort()
    lastmod = [by_id[p[8:-5]].date if p.startswith("stories/") and p[8:-5] in by_id else None for p in html_pages]
    output("sitemap.xml", partial(keyer.data, keyer.template("sitemap.xml")[0], html_pages, lastmod, config.base_url),
           partial(sitemap, env.get_template("sitemap.xml"), html_pages, by_id, config))

    before = previous or {}
    files: list[OutputFile] = list(static_files(config))
    kept: list[str] = []
    keys: dict[str, str] = {}
    if not before:  # every page is new: rendered on every CPU
        find_origins()
        every = [partial(story_page, i) for i in range(len(stories))]
        search_job = partial(_output, "search-data.js", lambda: None, search)
        made = fork_map(partial(_run, before), _spread([search_job, *jobs], every))
    else:
        # A rebuild: one worker makes the other files while this process checks the story pages' keys and makes the
        # search index by the stories' origins; the pages whose key changed are then rendered, on every CPU when there
        # are many.
        others = fork_map_start(partial(_run, before), jobs, leave=1, min_items=1)
        find_origins()
        keys_now = [page_key(i) for i in range(len(stories))]
        same = [key is not None and key == before.get(story.url) for story, key in zip(stories, keys_now, strict=True)]
        found = search()
        changed = [partial(story_page, i) for i, kept in enumerate(same) if not kept]
        made = [*fork_map(partial(_run, {}), changed), *others(), [(found.path, None, found.data)]]
        made += [[(story.url, key, None)] for story, key, kept in zip(stories, keys_now, same, strict=True) if kept]
    for path, key, data in [*(report() if report else ()), *(p for produced in made for p in produced)]:
        if key is not None:
            keys[path] = key
        if data is None:
            kept.append(path)
        else:
            files.append(OutputFile(path, data))
    index = SiteIndex(
        tuple(at), tuple(origin), tuple([tuple([(r.path, r.index) for r in s.sources]) for s in stories]),
        tuple([s.related for s in stories]), tuple([places.story_page[s.id] for s in stories]), classified.topics, counts,
        places.month_page, origin_prefix, tuple([(feed, tuple([at[s.id] for s in entries])) for feed, entries in feeds]))
    return Site(tuple(sorted(files, key=lambda f: f.path)), len(html_pages), len(stories), tuple(sorted(kept)), keys, index)


def _spread(few: Sequence[Job], many: Sequence[Job]) -> list[Job]:
    """`many` with `few` placed evenly among them: the workers take the jobs in runs, and two costly jobs
    in one run would leave one worker busy after the other is done."""
    out: list[Job] = []
    step = len(many) / max(1, len(few))
    at = 0
    for i, job in enumerate(few):
        upto = round(i * step)
        out += many[at:upto]
        out.append(job)
        at = upto
    return out + list(many[at:])


def _run(before: Mapping[str, str], job: Job) -> list[Produced]:
    produced = job(before)
    return produced if isinstance(produced, list) else [produced]


def _unless_kept(path: str, key: str | None, last: str | None, make: Callable[[], bytes]) -> Produced:
    """The file's bytes, made unless its key is `last`, the one the live site's copy was made with."""
    if key is not None and last == key:
        return path, key, None
    return path, key, make()


def _output(path: str, key: Callable[[], str | None], make: Callable[[], OutputFile], before: Mapping[str, str]) -> Produced:
    """A file other than a page or the report."""
    return _unless_kept(path, key(), before.get(path), lambda: make().data)


def report_files(
    loaded: LoadResult, stories: Sequence[Story], merges: Sequence[MergeRecord], config: SiteConfig, today: dt.date,
    code: str = "", compiled: Path | None = None, previous: Mapping[str, str] | None = None,
) -> list[Produced]:
    """`build-report.json`, `report.html` and its parts (`report/N.html`), each rendered unless its key is the one in
    `previous`. They read the loaded files and dedupe's result, not topics, so a build makes them while it classifies;
    `stories` are dedupe's (their order and topics do not matter).

    Every key starts with one for all the report's inputs (`report_inputs`, which leaves story texts out): when it is
    unchanged, as after an edit to a story's body, nothing of the report is made, not even its records. Otherwise
    each page is rendered unless its own key (what it shows) is unchanged; `build-report.json` is then always made:
    a key of its own would cost as much as making it."""
    before = previous or {}
    env = environment(config, compiled)
    keyer = page_keyer(env, code, compiled)
    whole = keyer.data(keyer.template("report.html")[0], keyer.template("report-part.html")[0], config, today,
                       pickled_digest("report", report_inputs(loaded, stories, merges)))
    parts = report_parts([f.path for f in loaded.files])
    paths = [MARKER, REPORT_PATH, *(part.path for part in parts)]
    if whole is not None and all(before.get(path, "").partition(_THEN)[0] == whole for path in paths):
        return [(path, before[path], None) for path in paths]

    def unless_kept(path: str, key: str | None, make: Callable[[], bytes]) -> Produced:
        data = _unless_kept(path, key, before.get(path, "").partition(_THEN)[2] or None, make)[2]
        return path, f"{whole}{_THEN}{key}" if whole is not None and key is not None else None, data

    data = report_data(loaded, stories, merges, today)
    made: list[Produced] = [(MARKER, whole, build_report_file(build_report_data(loaded, stories, merges, today)).data)]
    key = keyer.page("report.html", report_context(data, config, today, parts))
    made.append(unless_kept(REPORT_PATH, key, lambda: report_page(env, data, config, today, parts).data))
    for part in parts:
        context = part_context(data, part, len(parts), config, today)
        made.append(unless_kept(part.path, keyer.page("report-part.html", context), partial(_part_bytes, env, context)))
    return made


_THEN = "+"  # in a report file's key: the key of all the report's inputs, then the file's own


def _part_bytes(env: jinja2.Environment, context: dict[str, Any]) -> bytes:
    return part_page(env, context).data


def _unchanged(keys: PageKeys, own: Mapping[str, Any], last: str | None) -> bool:
    """Whether the page's key is `last`, the one its live copy was made with (made with the view recorded in it)."""
    return bool(last) and keys.key(own, (), key_view(last)) == last


def _page_job(env: ReadingEnvironment, keys: PageKeys, own: Mapping[str, Any], before: Mapping[str, str]) -> Produced:
    return _page(env, keys, own, before.get(own["path"]))


def _page(env: ReadingEnvironment, keys: PageKeys, own: Mapping[str, Any], last: str | None) -> Produced:
    """An HTML page (at `own["path"]`): its key is that of its template and every context value it reads, stories by
    the attributes the page read when it was last rendered. A page rendered gets the key of what it read this time."""
    path = own["path"]
    if _unchanged(keys, own, last):
        return path, last, None
    env.reads = set()
    try:
        html = env.get_template(keys.template).render(**keys.shared, **own)
        view = view_of(env.reads)
    finally:
        env.reads = None
    return path, keys.key(own, (), view), xml_safe(html).encode("utf-8")


def _timeline_pages(page: Callable[..., None], line: Timeline, places: TimelinePages) -> None:
    """The timeline: one page, or (split) an index of months and a page per month. A month's page gets only
    its own part of the timeline (and `story_count`, the whole count), so it changes only with its stories."""
    total = line.count
    if not places.split:
        page("timeline.html", "timeline.html", title="Timeline", timeline=line, story_count=total, months=line.months,
             undated=line.undated, index=None, prev_month=None, next_month=None)
        return
    page("timeline.html", "timeline.html", title="Timeline", timeline=line, story_count=total, months=(), undated=(),
         index=line.months, prev_month=None, next_month=None)
    months = line.months
    for i, month in enumerate(months):
        newer = months[i - 1] if i > 0 else None
        older = months[i + 1] if i + 1 < len(months) else None
        page(places.month_page[month.key], "timeline.html", title=f"Timeline: {month.label}",
             timeline=Timeline((month,), ()), story_count=total, months=(month,), undated=(), index=None,
             prev_month=newer, next_month=older)
    if line.undated:
        page(places.month_page["undated"], "timeline.html", title="Timeline: undated stories",
             timeline=Timeline((), line.undated), story_count=total, months=(), undated=line.undated, index=None,
             prev_month=months[-1] if months else None, next_month=None)


__all__ = ["OutputFile", "Site", "Topic", "render"]
