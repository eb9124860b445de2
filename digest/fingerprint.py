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
import pickle
from collections.abc import Mapping
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


class Fingerprints:
    def __init__(self, env: jinja2.Environment, code: str) -> None:
        self.env = env
        self.code = code
        self._memo: dict[int, tuple[object, str]] = {}
        self._templates: dict[str, tuple[str, frozenset[str] | None]] = {}
        self._files: dict[str, tuple[str, str, frozenset[str], tuple[str | None, ...]]] = {}
        self._used: dict[tuple[str, tuple[str, ...]], tuple[str, ...]] = {}

    def of(self, value: Any) -> str:
        """A string that determines the value's content: its repr for scalars, a digest for the rest."""
        if type(value) is str:  # the commonest value first
            return f"str:{value!r}"
        memo = self._memo.get(id(value))
        if memo is not None and memo[0] is value:
            return memo[1]
        if isinstance(value, _SCALARS):
            return f"{type(value).__name__}:{value!r}"
        of = self.of
        if isinstance(value, Story):
            h = _pickled("Story", _story_values(value))
        elif isinstance(value, Month):  # flat: one digest per month, not one per day and event
            parts = [value.key, value.label]
            for day in value.days:
                parts.append(f"D{day.date.isoformat()}")
                for event in day.events:
                    parts.append(f"E{event.date!r}")
                    parts += [of(story) for story in event.stories]
            h = _digest("Month", *parts)
        elif isinstance(value, Timeline):
            parts = [of(month) for month in value.months]
            for event in value.undated:
                parts.append(f"E{event.date!r}")
                parts += [of(story) for story in event.stories]
            h = _digest("Timeline", *parts)
        elif isinstance(value, (Day, Event)):
            h = _digest(type(value).__name__, *[of(getattr(value, name)) for name in _fields(value)])
        elif isinstance(value, SiteConfig):
            h = _digest("SiteConfig", repr(value))
        elif isinstance(value, (tuple, list)):
            h = _digest("seq", *[of(v) for v in value])
        elif isinstance(value, Mapping):
            h = _digest("map", *[of(k) + "\0" + of(v) for k, v in sorted(value.items(), key=lambda kv: repr(kv[0]))])
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            h = _pickled(type(value).__name__, value)
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
            ast = self.env.parse(source, name, filename)
            read = frozenset(node.name for node in ast.find_all(jinja2.nodes.Name) if node.ctx == "load")
            self._files[name] = (filename or "", source, read, tuple(jinja2.meta.find_referenced_templates(ast)))
        return self._files[name]

    def page(self, template: str, context: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> str | None:
        """The key of a page rendered from `template` with `context` (plus what derived values read), or None."""
        wanted = (template, tuple(context))
        used = self._used.get(wanted)
        if used is None:
            names = self.template(template)[1]
            used = self._used[wanted] = tuple(sorted(context if names is None else names & context.keys()))
        of = self.of
        try:
            parts = [of(context[n]) for n in used]
            if extra:
                parts += [of(v) for _, v in sorted(extra.items())]
        except Unkeyable:
            return None
        return _digest(self.code, self.template(template)[0], *used, *parts)

    def data(self, *values: Any) -> str | None:
        try:
            return _digest(self.code, *(self.of(v) for v in values))
        except Unkeyable:
            return None


def _pickled(kind: str, value: Any) -> str:
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


def _digest(*parts: str) -> str:
    """A digest of strings none of which holds a NUL (reprs, digests, names): one hash over them joined by NULs."""
    return hashlib.blake2b("\0".join(parts).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
