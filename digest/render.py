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
import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digest.classify import MONTHS, Classified, Timeline
from digest.config import SiteConfig, Topic
from digest.dedupe import MergeRecord
from digest.feeds import OutputFile, atom_feed, build_report_data, build_report_file, search_docs, sitemap, xml_safe
from digest.fingerprint import Fingerprints
from digest.forkmap import fork_map
from digest.model import STATED_DATE_SOURCES, LoadResult, Story
from digest.report import (
    REPORT_PATH,
    ReportData,
    ReportPart,
    part_context,
    part_page,
    report_context,
    report_data,
    report_page,
    report_parts,
)

PACKAGE_ROOT = Path(__file__).resolve().parent.parent
BUILTIN_TEMPLATES = PACKAGE_ROOT / "templates"
BUILTIN_STATIC = PACKAGE_ROOT / "static"

ALLOWED_TAGS = frozenset({
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "del", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "ins", "li", "ol", "p", "pre", "q", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead", "tr", "ul",
})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "abbr": {"title"}, "th": {"scope"}, "td": set(), "ol": {"start"}}
_HEADING = re.compile(r"<(/?)h([1-6])>")
_WEB_URL = re.compile(r"https?://[^\s<>\"']+$", re.IGNORECASE)
_MARKDOWN: Any = None
MARKER = "build-report.json"  # the build's account of its inputs (publish checks for it)


@dataclass(frozen=True, slots=True)
class Site:
    files: tuple[OutputFile, ...]  # the files rendered by this build
    pages: int
    stories: int
    kept: tuple[str, ...] = ()  # files of the previous build whose inputs did not change (not rendered again)
    keys: Mapping[str, str] = field(default_factory=dict)  # path -> input key, for the files that have one


# --- helpers used by templates ----------------------------------------------------------------


def long_date(day: dt.date | None) -> str:
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}" if day else "undated"


def date_inferred(story: Story) -> bool:
    return story.date is not None and story.date_source not in STATED_DATE_SOURCES


def markdown_html(blocks: Iterable[str]) -> Markup:
    """Markdown to sanitized HTML, headings demoted one level below the page's h1.

    Raw HTML in the Markdown is not interpreted but shown as text, as in plain-text bodies: news
    copy is full of angle brackets (Reuters tickers like <EM> or <OPP>) that are not markup, and an
    unclosed tag would otherwise swallow the paragraphs after it. nh3 then sanitizes what Markdown
    itself produced (links keep http, https and mailto URLs only; no images, scripts or styles).
    """
    global _MARKDOWN
    if _MARKDOWN is None:  # one converter per process (building one costs more than converting a story)
        import markdown

        _MARKDOWN = markdown.Markdown(extensions=["tables", "sane_lists"], output_format="html")
        _MARKDOWN.preprocessors.deregister("html_block")
        _MARKDOWN.inlinePatterns.deregister("html")
    import nh3

    html = _MARKDOWN.reset().convert("\n\n".join(blocks))
    clean = nh3.clean(html, tags=set(ALLOWED_TAGS), attributes=ALLOWED_ATTRIBUTES, url_schemes={"http", "https", "mailto"},
                      link_rel="noopener noreferrer")
    return Markup(_HEADING.sub(lambda m: f"<{m[1]}h{min(int(m[2]) + 1, 6)}>", clean))


def web_url(url: str | None) -> bool:
    """Only http(s) links become hrefs; anything else (javascript:, data:) is shown as text."""
    return bool(url) and _WEB_URL.match(url or "") is not None


def source_label(url: str) -> str:
    host = re.sub(r"^[a-z]+://(www\.)?", "", url, flags=re.IGNORECASE).split("/", 1)[0]
    return host or url


def environment(config: SiteConfig, compiled: Path | None = None) -> jinja2.Environment:
    """The templates' environment; `compiled`, a folder where Jinja keeps compiled templates between builds
    (keyed by each template's source, so an edited template is compiled again)."""
    folders: list[Path] = []
    if config.templates:
        folders.append((config.root / config.templates).resolve())
    folders.append((config.root / "templates").resolve())
    folders.append(BUILTIN_TEMPLATES)
    unique = list(dict.fromkeys(f for f in folders if f.is_dir() or f == BUILTIN_TEMPLATES))
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in unique]),
        autoescape=jinja2.select_autoescape(["html", "xml"], default_for_string=True, default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,  # an environment lives for one build: no stat of every template on every page
        bytecode_cache=_bytecode_cache(compiled),
    )
    env.filters["long_date"] = long_date
    env.filters["source_label"] = source_label
    env.tests["inferred"] = date_inferred
    env.tests["web_url"] = web_url
    return env


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a cache is never worth failing for
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


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
Job = Callable[[Mapping[str, str]], Produced]  # given the previous keys, one output file


def render(
    classified: Classified,
    config: SiteConfig,
    today: dt.date,
    loaded: LoadResult,
    merges: Sequence[MergeRecord] = (),
    previous: Mapping[str, str] | None = None,
    code: str = "",
    compiled: Path | None = None,
) -> Site:
    """The site's files. With `previous` (path -> input key of the files the live site holds intact), a file
    whose key is unchanged is not rendered but listed in `Site.kept`; `code` is a key for the program itself;
    `compiled` a folder for compiled templates (see `environment`).

    Every output is one job that computes its key and, when the key is new, its bytes; the jobs run on every
    CPU (`fork_map`), so keys, pages and the big single files (report, search index) are made side by side."""
    env = environment(config, compiled)
    keyer = Fingerprints(env, code)
    stories = classified.stories
    by_id = {s.id: s for s in stories}
    topics = {t.slug: t for t in classified.topics}
    topic_lines = dict(classified.by_topic)
    counts = {slug: line.count for slug, line in classified.by_topic}
    places = timeline_pages(classified.timeline, config)
    jobs: list[Job] = []  # every file but the story pages: few, and most cost more than a story page
    story_jobs: list[Job] = []
    html_pages: list[str] = []

    def page(path: str, template: str, derived: Mapping[str, tuple[Callable[[], Any], Any]] | None = None,
             **context: Any) -> None:
        html_pages.append(path)
        (story_jobs if template == "story.html" else jobs).append(
            partial(_page, env, keyer, path, template, derived or {}, context))

    def output(path: str, key: Callable[[], str | None], make: Callable[[], OutputFile]) -> None:
        jobs.append(partial(_output, path, key, make))

    shared: dict[str, Any] = dict(config=config, today=today, all_topics=classified.topics, topic_counts=counts,
                                  topics_by_slug=topics, month_pages=places.month_page)
    for name in ("index.html", "story.html", "topic.html", "timeline.html", "report.html", "report-part.html", "feed.xml",
                 "sitemap.xml"):
        keyer.template(name)  # parsed once here, before the workers fork
        env.get_template(name)

    # Keying the search index or the build report would cost as much as making them (publish writes them only
    # when their bytes change).
    output(MARKER, lambda: None, lambda: build_report_file(build_report_data(loaded, stories, merges, today)))
    output("search-data.js", lambda: None, lambda: search_docs(stories, topics))
    account = functools.cache(lambda: report_data(loaded, stories, merges, today))  # once in each worker that needs it
    parts = report_parts([f.path for f in loaded.files])  # report_data lists loaded.files in this order
    jobs.append(partial(_report, env, keyer, account, parts, config, today))
    for part in parts:
        jobs.append(partial(_report_part, env, keyer, account, part, len(parts), config, today))

    dated = [s for s in stories if s.date is not None]
    latest = (dated + [s for s in stories if s.date is None])[: config.latest]
    page("index.html", "index.html", title=config.title, latest=latest, timeline=classified.timeline,
         story_count=len(stories), **shared)

    def body(story: Story) -> Markup | None:
        return markdown_html(story.body) if story.body_format == "markdown" else None

    for topic in classified.topics:
        page(f"topics/{topic.slug}.html", "topic.html", title=topic.name, topic=topic, timeline=topic_lines[topic.slug],
             **shared)
    _timeline_pages(partial(page, **shared), classified.timeline, places)

    feed = env.get_template("feed.xml")
    feed_key = keyer.template("feed.xml")[0]
    feeds = [("feed.xml", config.title, "", stories)]
    for topic in classified.topics:
        feeds.append((f"topics/{topic.slug}.xml", f"{topic.name} — {config.title}", topic.description,
                      topic_lines[topic.slug].stories()))
    for path, title, subtitle, members in feeds:
        output(path, partial(keyer.data, feed_key, path, title, subtitle, members[: config.feed_entries], config, today),
               partial(atom_feed, feed, path, title, subtitle, members, config, today, body))

    for i, story in enumerate(stories):
        page(
            story.url, "story.html", title=story.title, story=story,
            derived={"body_html": (lambda story=story: body(story), story)},  # type: ignore[misc]
            related=[by_id[r] for r in story.related if r in by_id and r != story.id],
            story_topics=[topics[t] for t in story.topics if t in topics],
            previous=stories[i - 1] if i > 0 else None, next=stories[i + 1] if i + 1 < len(stories) else None,
            timeline_link=places.story_page[story.id], **shared,
        )

    html_pages.sort()
    lastmod = [by_id[p[8:-5]].date if p.startswith("stories/") and p[8:-5] in by_id else None for p in html_pages]
    output("sitemap.xml", partial(keyer.data, keyer.template("sitemap.xml")[0], html_pages, lastmod, config.base_url),
           partial(sitemap, env.get_template("sitemap.xml"), html_pages, by_id, config))

    before = previous or {}
    files: list[OutputFile] = list(static_files(config))
    kept: list[str] = []
    keys: dict[str, str] = {}
    for path, key, data in fork_map(partial(_run, before), _spread(jobs, story_jobs)):
        if key is not None:
            keys[path] = key
        if data is None:
            kept.append(path)
        else:
            files.append(OutputFile(path, data))
    return Site(tuple(sorted(files, key=lambda f: f.path)), len(html_pages), len(stories), tuple(sorted(kept)), keys)


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


def _run(before: Mapping[str, str], job: Job) -> Produced:
    return job(before)


def _unless_kept(path: str, key: str | None, before: Mapping[str, str], make: Callable[[], bytes]) -> Produced:
    """The file's bytes, made unless its key is the one the live site's copy was made with."""
    if key is not None and before.get(path) == key:
        return path, key, None
    return path, key, make()


def _output(path: str, key: Callable[[], str | None], make: Callable[[], OutputFile], before: Mapping[str, str]) -> Produced:
    """A file other than a page or the report."""
    return _unless_kept(path, key(), before, lambda: make().data)


def _report(
    env: jinja2.Environment, keyer: Fingerprints, account: Callable[[], ReportData], parts: Sequence[ReportPart],
    config: SiteConfig, today: dt.date, before: Mapping[str, str],
) -> Produced:
    """`report.html` (not in the sitemap), rendered when its data changed."""
    data = account()
    key = keyer.page("report.html", report_context(data, config, today, parts))
    return _unless_kept(REPORT_PATH, key, before, lambda: report_page(env, data, config, today, parts).data)


def _report_part(
    env: jinja2.Environment, keyer: Fingerprints, account: Callable[[], ReportData], part: ReportPart, count: int,
    config: SiteConfig, today: dt.date, before: Mapping[str, str],
) -> Produced:
    """One page of the report's file listing, rendered when its own files' entries changed."""
    context = part_context(account(), part, count, config, today)
    return _unless_kept(part.path, keyer.page("report-part.html", context), before, lambda: part_page(env, context).data)


def _page(
    env: jinja2.Environment, keyer: Fingerprints, path: str, template: str,
    derived: Mapping[str, tuple[Callable[[], Any], Any]], context: Mapping[str, Any], before: Mapping[str, str],
) -> Produced:
    """An HTML page: its key is that of its template and every context value it reads (`derived` values are
    keyed by their sources and made only when the page is rendered)."""
    full = dict(root="../" * path.count("/"), path=path, **context)
    key = keyer.page(template, full, {name: source for name, (_, source) in derived.items()})

    def rendered() -> bytes:
        full.update({name: derive() for name, (derive, _) in derived.items()})
        return xml_safe(env.get_template(template).render(**full)).encode("utf-8")

    return _unless_kept(path, key, before, rendered)


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
