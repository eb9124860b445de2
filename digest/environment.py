"""The templates' Jinja environment: where templates are found, the filters and tests they use, and a record
of which story attributes a page reads while it is rendered.

Templates are looked up first in the user's folder (the config's `templates:` key, else `templates/` beside the
config file), then in the built-in `templates/`, one file at a time, so a user can override a single page or
`base.html`. Autoescape is on everywhere.

`ReadingEnvironment` records the attributes of stories a template reads (`story.title`, `story["body"]`, the
attributes filters such as `map(attribute=...)` read): a page's key then covers those only (see
`fingerprint.view_of`), so a timeline page that shows titles is not rendered again when a story's body is edited.
It records too whether a month's days (or a timeline's stories) were read: a page that lists months by name and
count (the home page, the months' index) is keyed by those, not by the stories in them.
Jinja routes every attribute and item lookup through the environment, which makes the record complete for what
templates read themselves. A story given whole to a filter or test that may read any of it (`string`, `tojson`,
`join`, ...), or printed whole, is recorded as read whole; comparing two stories compares their ids (unique), which
every view holds. Not seen: a story made into text by the operators `~` and `%` themselves (Jinja runs those as
Python does), which would print the record's repr; no built-in template does that.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from digest.classify import MONTHS
from digest.config import SiteConfig
from digest.fingerprint import DAYS, DEEP_READS, WHOLE
from digest.model import STATED_DATE_SOURCES, Story

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
_COMPILED = "__jinja2_reads1_%s.cache"  # compiled templates' file names (compiled code depends on the environment)

# Builtin filters and tests that read no attribute of a story given to them, or read it through the environment.
_BLIND_FILTERS = frozenset({
    "attr", "batch", "count", "d", "default", "first", "groupby", "last", "length", "list", "map", "max", "min", "random",
    "reject", "rejectattr", "reverse", "select", "selectattr", "slice", "sort", "sum", "unique",
})
_BLIND_TESTS = frozenset({
    "boolean", "callable", "defined", "eq", "equalto", "==", "false", "filter", "in", "iterable", "mapping", "ne", "!=",
    "none", "sameas", "sequence", "string", "test", "true", "undefined", "web_url",
})
_FIELDS_READ = {"inferred": ("date", "date_source")}  # our tests, and what they read of a story




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
        from markdown.extensions.sane_lists import SaneListExtension
        from markdown.extensions.tables import TableExtension

        # Extensions given as objects, not by name: a name is looked up among every installed package's entry
        # points first, which costs ten times what building the converter does.
        _MARKDOWN = markdown.Markdown(extensions=[TableExtension(), SaneListExtension()], output_format="html")
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


def environment(config: SiteConfig, compiled: Path | None = None) -> ReadingEnvironment:
    """The templates' environment; `compiled`, a folder where Jinja keeps compiled templates between builds
    (keyed by each template's source, so an edited template is compiled again)."""
    folders: list[Path] = []
    if config.templates:
        folders.append((config.root / config.templates).resolve())
    folders.append((config.root / "templates").resolve())
    folders.append(BUILTIN_TEMPLATES)
    unique = list(dict.fromkeys(f for f in folders if f.is_dir() or f == BUILTIN_TEMPLATES))
    env = ReadingEnvironment(
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
    env.watch_filters_and_tests()
    return env


def _bytecode_cache(folder: Path | None) -> jinja2.BytecodeCache | None:
    if folder is None:
        return None
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:  # a cache is never worth failing for
        return None
    return jinja2.FileSystemBytecodeCache(str(folder), _COMPILED)


class ReadingEnvironment(jinja2.Environment):
    """A Jinja environment that records, while `reads` is a set, the story attributes its templates read."""

    reads: set[str] | None = None

    def getattr(self, obj: Any, attribute: str) -> Any:
        # Called for every `a.b` in every template: Jinja's own lookup, inlined.
        if self.reads is not None:
            kind = type(obj)
            if kind is Story:
                self.reads.add(attribute)
            elif kind in DEEP_READS and attribute in DEEP_READS[kind]:
                self.reads.add(DAYS)
        try:
            return getattr(obj, attribute)
        except AttributeError:
            pass
        try:
            return obj[attribute]
        except (TypeError, LookupError, AttributeError):
            return self.undefined(obj=obj, name=attribute)

    def getitem(self, obj: Any, argument: Any) -> Any:
        if self.reads is not None:
            kind = type(obj)
            if kind is Story:
                self.reads.add(argument if isinstance(argument, str) else WHOLE)
            elif kind in DEEP_READS and (not isinstance(argument, str) or argument in DEEP_READS[kind]):
                self.reads.add(DAYS)
        return super().getitem(obj, argument)

    def watch_filters_and_tests(self) -> None:
        """Wrap the filters and tests that may read a story given to them as a whole, to record that."""
        for table, blind in ((self.filters, _BLIND_FILTERS), (self.tests, _BLIND_TESTS)):
            for name, fn in list(table.items()):
                if name not in blind:
                    table[name] = self._watched(fn, _FIELDS_READ.get(name, (WHOLE,)))
        self.finalize = self._printed

    def _watched(self, fn: Callable[..., Any], fields: tuple[str, ...]) -> Callable[..., Any]:
        at = 0 if getattr(fn, "jinja_pass_arg", None) is None else 1  # the value comes after a context or environment

        @functools.wraps(fn)
        def watched(*args: Any, **kwargs: Any) -> Any:
            # Any argument counts, not only the value: `"%s" | format(story)` reads the story as text too.
            if self.reads is not None and (any(map(_holds_story, args[at:])) or any(map(_holds_story, kwargs.values()))):
                self.reads.update(fields)
            return fn(*args, **kwargs)

        return watched

    def _printed(self, value: Any) -> Any:
        if type(value) not in _PLAIN and self.reads is not None and _holds_story(value):
            self.reads.add(WHOLE)
        return value


_PLAIN = frozenset({str, int, float, bool, Markup, type(None)})


def _holds_story(value: Any) -> bool:
    """Whether a value may hold a story (anything but plain values and containers of them may: a month, a
    generator)."""
    if isinstance(value, (str, int, float, dt.date, type(None))) or hasattr(value, "__html__"):
        return False
    if isinstance(value, dict):
        return any(_holds_story(v) for v in value.values())
    if isinstance(value, (list, tuple, set, frozenset)):
        return any(_holds_story(v) for v in value)
    return True
