"""One file's parse result as bytes, for the workers to send back and the parse cache to keep.

The records are written as plain values (strings, numbers, tuples: a date as its ordinal, a source as a pair)
with `marshal`, and rebuilt with their constructors: a one-change rebuild decodes 10,000 cached results,
and this takes 60% of the time of unpickling the records (which pickle loads through its opcode machine).
marshal's format belongs to the Python version, which the parse cache's key holds.
"""

from __future__ import annotations

import datetime as dt
import marshal
from typing import Any

from digest.model import FileReport, Problem, SourceRef, Story

Result = tuple[list[Story], list[Problem], FileReport]

_from_ordinal = dt.date.fromordinal


def _plain(s: Story) -> tuple[Any, ...]:
    return (s.id, s.headline, s.title, s.date.toordinal() if s.date else None, s.date_source, s.dateline, s.summary,
            s.body, tuple([(r.path, r.index) for r in s.sources]), s.source_url, s.caption, s.body_format, s.topics,
            s.related, s.line)


def _story(values: tuple[Any, ...]) -> Story:
    i, h, t, d, ds, dl, sm, b, src, *rest = values
    return Story(i, h, t, None if d is None else _from_ordinal(d), ds, dl, sm, b, tuple([SourceRef(*r) for r in src]), *rest)


def dump_result(result: Result) -> bytes:
    stories, problems, report = result
    return marshal.dumps((
        [_plain(s) for s in stories],
        [(p.path, p.line, p.level, p.message) for p in problems],
        (report.path, report.status, report.stories, report.reason, report.content_hash),
    ))


def load_result(data: bytes) -> Result:
    """The result `dump_result` wrote (any error, on damaged bytes: the caller parses the file again)."""
    stories, problems, report = marshal.loads(data)
    return [_story(s) for s in stories], [Problem(*p) for p in problems], FileReport(*report)


def dump_story(story: Story) -> bytes:
    """One story on its own (a published one, for `digest.patch`), in the same format."""
    return marshal.dumps(_plain(story))


def load_story(data: bytes) -> Story:
    return _story(marshal.loads(data))
