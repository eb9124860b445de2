"""Input keys for the site's files: a page is rendered again only when its key changes.

A page's key is a hash of everything its rendering reads: the code, the template and every template
it extends, includes or imports (sources and which folder each came from), and the values of the
context variables those templates name (every name they load, found by parsing them).
Values are hashed by content (records by their pickle); stories and timelines are hashed once per build and
memoized.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import operator
import pickle
from collections.abc import Callable, Iterable, Mapping, MutableMapping, Sequence
from pathlib import PurePath
from typing import Any

import jinja2
import jinja2.meta
import jinja2.nodes
from markupsafe import Markup

from digest.cache import digest_of
from digest.classify import Day, Event, Month, Timeline
from digest.config import SiteConfig
from digest.model import SourceRef, Story


class Unkeyable(Exception):
    """A value the fingerprint cannot hash by content (the page is then always rendered)."""


_SCALARS = (str, int, float, bool, type(None), dt.date, PurePath, Markup)
_PLAIN = frozenset({str, int, float, bool, type(None), dt.date})  # types whose repr names them and their value
_FIELDS: dict[type, tuple[str, ...]] = {}


def _fields(value: Any) -> tuple[str, ...]:
    names = _FIELDS.get(type(value))
    if names is None:
        names = _FIELDS[type(value)] = tuple(f.name for f in dataclasses.fields(value))
    return names


def _story_values(story: Story) -> tuple[Any, ...]:
    """The story's fields as plain values (its sources as tuples): a dataclass pickles through Python code."""
    values = [getattr(story, name) for name in _fields(story)]
    values[_SOURCES] = tuple((ref.path, ref.index) for ref in story.sources)
    return tuple(values)


_SOURCES = [f.name for f in dataclasses.fields(Story)].index("sources")
assert [f.name for f in dataclasses.fields(SourceRef)] == ["path", "index"], "_story_values must keep every field"


TemplateFacts = tuple[frozenset[str], tuple[str | None, ...]]  # names a template loads, templates it names


View = tuple[str, ...]  # story attributes a page reads, sorted (and DAYS when it read them)
WHOLE = "*"  # read as a whole (printed, compared as text, given to a filter): every attribute
DAYS = "Month.days"  # a month's days (or a timeline's stories) read: without it, months are keyed by key, label, count
DEEP_READS: dict[type, frozenset[str]] = {Month: frozenset({"days"}), Timeline: frozenset({"stories"})}  # -> DAYS
_VIEW = "|"  # in a page key, before its view


def view_of(reads: set[str] | frozenset[str] | None) -> View | None:
    """The view for a page that read these story attributes (None: the whole story)."""
    if reads is None or WHOLE in reads or "body" in reads:
        return None  # the body is most of a story: with it, a view saves little, and whole stories are hashed once
    return tuple(sorted(reads | {"id"}))  # story ids are unique: comparing two stories compares their ids


def key_view(key: str | None) -> View | None:
    """The view a page key was made with (None: whole stories, or no key)."""
    if key is None or _VIEW not in key:
        return None
    return tuple(key.split(_VIEW, 1)[1].split(","))


class Fingerprints:
    def __init__(self, env: jinja2.Environment, code: str, parsed: MutableMapping[str, TemplateFacts] | None = None) -> None:
        """`parsed`, optional, holds what parsing each template found, by name and source: parsing the templates
        costs more than a rebuild's other work on them, so a build may keep it for the next."""
        self.env = env
        self.code = code
        self.parsed: MutableMapping[str, TemplateFacts] = {} if parsed is None else parsed
        self.parsed_before = frozenset(self.parsed)
        self.used_parsed: set[str] = set()  # the keys of `parsed` this keyer looked up
        self._memos: dict[View | None, dict[int, tuple[object, str]]] = {None: {}}
        self._memo = self._memos[None]  # digests by object, for the view in use
        self._view: View | None = None  # the story attributes hashed now (None: the whole story)
        self._story_view: View = ()  # those of them that are story attributes
        self._days = True  # whether months are hashed with their days
        self._getters: dict[View, Callable[[Story], Any]] = {}
        self._templates: dict[str, tuple[str, frozenset[str] | None]] = {}
        self._files: dict[str, tuple[str, str, frozenset[str], tuple[str | None, ...]]] = {}
        self._families: dict[tuple[str, tuple[str, ...]], PageKeys] = {}

    def of(self, value: Any) -> str:
        """A string that determines the value's content: its repr for scalars, a digest for the rest."""
        kind = type(value)
        if kind is str:  # the commonest values first
            return f"str:{value!r}"
        if kind is list:  # made for one page (a story's related stories): not worth keeping, nor hashing apart
            if all(type(v) in _PLAIN for v in value):  # (the sitemap's 10,000 paths and dates: one repr in C)
                return f"list:plain:{value!r}"
            return f"list:{[self.of(v) for v in value]!r}"
        if value is None:
            return "NoneType:None"
        memo = self._memo.get(id(value))
        if memo is not None and memo[0] is value:
            return memo[1]
        if isinstance(value, _SCALARS):
            return f"{type(value).__name__}:{value!r}"
        of = self.of
        if isinstance(value, Story):
            name = "Story" if self._view is None else "Story:" + ",".join(self._story_view)
            h = pickled_digest(name, self._values(value))
        elif isinstance(value, Month) and not self._days:  # a page that shows what a month is, not its stories
            h = joined_digest("Month", value.key, value.label, str(value.count))
        elif isinstance(value, Month):  # one pickle of plain values per month: months hold thousands of stories
            days = [(day.date, self._events(day.events)) for day in value.days]
            h = pickled_digest(f"Month:{self._view}", (value.key, value.label, days))
        elif isinstance(value, Timeline):
            h = joined_digest("Timeline", *[of(month) for month in value.months], pickled_digest(f"undated:{self._view}",
                                                                                   self._events(value.undated)))
        elif isinstance(value, (Day, Event)):
            h = joined_digest(type(value).__name__, *[of(getattr(value, name)) for name in _fields(value)])
        elif isinstance(value, SiteConfig):
            h = joined_digest("SiteConfig", repr(value))
        elif isinstance(value, (tuple, list)):
            h = joined_digest("seq", *[of(v) for v in value])
        elif isinstance(value, Mapping):
            h = joined_digest("map", *[of(k) + "\0" + of(v) for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))])
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            h = pickled_digest(type(value).__name__, value)
        else:
            raise Unkeyable(type(value).__name__)
        self._memo[id(value)] = (value, h)
        return h

    def template(self, name: str) -> tuple[str, frozenset[str] | None]:
        """A template's key (its sources and those it references) and the context names it may read (None: any)."""
        if name not in self._templates:
            parts: list[str] = []
            names: set[str] | None = set()
            todo, seen = [name], set()
            while todo:
                current = todo.pop()
                if current in seen:
                    continue
                seen.add(current)
                filename, source, read, refs = self._file(current)
                parts += [current, filename, source]
                if names is not None:
                    names |= read
                for ref in refs:
                    if ref is None:
                        names = None  # a template named at run time: depend on everything
                    else:
                        todo.append(ref)
            self._templates[name] = (digest_of(*sorted(parts)), None if names is None else frozenset(names))
        return self._templates[name]

    def _file(self, name: str) -> tuple[str, str, frozenset[str], tuple[str | None, ...]]:
        """One template file, parsed once: where it is, its source, every variable name it loads (a superset of
        those it reads from the context: names it sets itself too, which is harmless) and the templates it names."""
        if name not in self._files:
            assert self.env.loader is not None
            source, filename, _ = self.env.loader.get_source(self.env, name)
            known = digest_of(name, source)
            self.used_parsed.add(known)
            facts = self.parsed.get(known)
            if facts is None:
                ast = self.env.parse(source, name, filename)
                read = frozenset(node.name for node in ast.find_all(jinja2.nodes.Name) if node.ctx == "load")
                facts = self.parsed[known] = (read, tuple(jinja2.meta.find_referenced_templates(ast)))
            self._files[name] = (filename or "", source, *facts)
        return self._files[name]

    def page(
        self, template: str, context: Mapping[str, Any], extra: Mapping[str, Any] | None = None, view: View | None = None
    ) -> str | None:
        """The key of a page rendered from `template` with `context` (plus what derived values read), or None;
        see `PageKeys.key`."""
        wanted = (template, tuple(context))
        keys = self._families.get(wanted)
        if keys is None:
            keys = self._families[wanted] = PageKeys(self, template, {}, context.keys())
        return keys.key(context, [v for _, v in sorted(extra.items())] if extra else (), view)

    def _use(self, view: View | None) -> None:
        if view is not self._view:
            self._view = view
            self._memo = self._memos.setdefault(view, {})
            self._days = view is None or DAYS in view
            if view is not None:
                self._story_view = tuple(name for name in view if name != DAYS)
                if view not in self._getters:
                    self._getters[view] = operator.attrgetter(*self._story_view)

    def _values(self, story: Story) -> tuple[Any, ...]:
        return _story_values(story) if self._view is None else self._viewed(story)

    def _events(self, events: Sequence[Event]) -> list[tuple[Any, ...]]:
        values = self._values
        return [(event.date, [values(story) for story in event.stories]) for event in events]

    def _viewed(self, story: Story) -> tuple[Any, ...]:
        """The story's values of the attributes in view (its sources as tuples, as in `_story_values`)."""
        assert self._view is not None
        view = self._story_view
        try:
            values = self._getters[self._view](story)
        except AttributeError as exc:  # a name the template read that stories lack: the page is always rendered
            raise Unkeyable("Story") from exc
        if len(view) == 1:
            values = (values,)
        if "sources" in view:
            at = view.index("sources")
            values = (*values[:at], tuple((r.path, r.index) for r in story.sources), *values[at + 1 :])
        return tuple(values)

    def data(self, *values: Any) -> str | None:
        try:
            return joined_digest(self.code, *(self.of(v) for v in values))
        except Unkeyable:
            return None


class PageKeys:
    """The keys of pages rendered from one template with contexts that hold the same `shared` values (the same
    objects) and each its own values of the names `own`: the shared values a template reads are hashed once per
    view, each page's own when its key is asked for (10,000 story pages share most of what they are given)."""

    def __init__(self, keyer: Fingerprints, template: str, shared: Mapping[str, Any], own: Iterable[str]) -> None:
        self.keyer = keyer
        self.template = template
        self.shared = shared
        names = keyer.template(template)[1]
        given = {*shared, *own}
        self.used = tuple(sorted(given if names is None else names & given))
        self._plans: dict[View | None, tuple[str, tuple[str, ...]] | None] = {}  # by view, see `_plan`

    def key(self, own: Mapping[str, Any], extra: Sequence[Any] = (), view: View | None = None) -> str | None:
        """The key of the page given `own` values (and `extra`, what derived values are made from), or None when a
        value cannot be hashed: the page is then always rendered.

        It hashes the code, the template and those it uses, and the values of the context names they load. With
        `view` (the story attributes the page read when it was last rendered, see `view_of`), stories among those
        values are hashed by those attributes only (`id` always among them); the key then ends in the view, so that
        the next build hashes the same ones. `extra` values are always hashed whole."""
        keyer = self.keyer
        plan = self._plans[view] if view in self._plans else self._plan(view)
        if plan is None:
            return None
        prefix, own_names = plan
        of = keyer.of
        try:
            keyer._use(view)
            parts = [of(own[name]) for name in own_names]
            keyer._use(None)
            parts += [of(value) for value in extra]
        except Unkeyable:
            return None
        finally:
            keyer._use(None)
        key = joined_digest(prefix, *parts)
        return key if view is None else f"{key}{_VIEW}{','.join(view)}"

    def prefix(self) -> str | None:
        """What every key of these pages starts with, whatever their own values: the code, the templates and the shared
        values they read, whole (None when one cannot be hashed)."""
        plan = self._plans[None] if None in self._plans else self._plan(None)
        return None if plan is None else plan[0]

    def _plan(self, view: View | None) -> tuple[str, tuple[str, ...]] | None:
        """For a view: the start of every page's key (code, templates, names, shared values), and the own names."""
        keyer = self.keyer
        plan: tuple[str, tuple[str, ...]] | None = None
        try:
            keyer._use(view)
            shared = [keyer.of(self.shared[name]) for name in self.used if name in self.shared]
            own = tuple(name for name in self.used if name not in self.shared)
            # The own names are named too: the parts then stand for the same names whatever is shared.
            plan = ("\0".join([keyer.code, keyer.template(self.template)[0], *self.used, "own:" + ",".join(own),
                                *shared]), own)
        except Unkeyable:
            pass
        finally:
            keyer._use(None)
        self._plans[view] = plan
        return plan


def origins(stories: Sequence[Story], hashes: Mapping[str, str | None], salt: str) -> list[str | None]:
    """For each story, a digest that determines it, made from where it came from rather than from its text: the
    content hash of each file it was parsed from and its place there, with what later stages set (id, topics,
    related), under `salt` (the code and the build date, which the parse also reads). The loader makes a file's
    stories from its bytes alone, and dedupe merges copies by their content alone, so equal origins mean equal
    stories; a digest costs a tenth of hashing the text. None when a source file has no content hash."""
    made: list[str | None] = []
    for story in stories:
        parts = [salt, story.id, ",".join(story.topics), ",".join(story.related)]
        for ref in story.sources:
            content = hashes.get(ref.path)
            if content is None:
                made.append(None)
                break
            parts += [ref.path, content, str(ref.index)]
        else:
            made.append(joined_digest(*parts))
    return made


def pickled_digest(kind: str, value: Any) -> str:
    """A digest of a record of plain values by its pickle, which runs in C where a dataclass's repr is Python
    code per field. The pickler's memo is off (`fast`): equal records give equal bytes however their strings
    happen to be shared."""
    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=5)
    pickler.fast = True
    try:
        pickler.dump(value)
    except Exception as exc:  # a value that cannot be pickled: the page is always rendered
        raise Unkeyable(kind) from exc
    return hashlib.blake2b(kind.encode() + b"\0" + buffer.getvalue(), digest_size=16).hexdigest()


def joined_digest(*parts: str) -> str:
    """A digest of strings none of which holds a NUL (reprs, digests, names): one hash over them joined by NULs."""
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
