"""Dates as pasted pages write them, parsed explicitly (no guessing, never "today").

- `read_stamp`: a line that is only a publication/update stamp ("Published On 26 Mar 2025",
  "March 26, 20252:30 PM GMT+5", "Updated 3:14 PM GMT+5, Mar 26, 2025", "2025-03-26 19:32:15").
- `first_full_date`: a day-month-year mentioned in running text.
- `infer_year`: "Wednesday (March 26)" gets the latest year, not after the build date, in which
  March 26 is a Wednesday.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal, NamedTuple

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
# The four letters outside ASCII that a case-blind `re` pattern takes for ASCII ones ("ſept" matches "sept").
_ASCII_TWINS = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})


def name_key(name: str) -> str:
    """A month or weekday name as matched case-blind, as the key of MONTHS or WEEKDAYS."""
    return name.translate(_ASCII_TWINS).lower() if not name.isascii() else name.lower()


WEEKDAYS = {name: i for i, name in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))}

_MONTH_NAMES = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sept?(?:ember)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)


def _month(n: int) -> str:
    return rf"(?P<month{n}>{_MONTH_NAMES})\.?"


def _day(n: int) -> str:
    return rf"(?P<day{n}>[0-3]?\d)(?:st|nd|rd|th)?"


# The year is not followed by \b: pages glue a time to it ("March 26, 20252:30 PM").
_YEAR = r"(?P<year>(?:19|20)\d\d)"
_FULL_DATE = re.compile(
    # Every date starts with a digit or a month's initial: that one test turns most positions away before the branches.
    r"(?=[\dJFMASOND])(?:"
    rf"(?<![a-z0-9]){_month(1)}\s+{_day(1)},?\s+{_YEAR}"
    # A day may follow a year glued to it ("Published On 26 Mar 202526 Mar 2025"), not another digit.
    rf"|(?<![a-z])(?:(?<=\d{{4}})|(?<!\d)){_day(2)}\s+{_month(2)},?\s+(?P<year2>(?:19|20)\d\d)"
    r"|(?<![a-z0-9])(?P<year3>(?:19|20)\d\d)-(?P<mnum>[01]\d)-(?P<dnum>[0-3]\d)"
    r")",
    re.IGNORECASE,
)
_MONTH_DAY = rf"(?:{_month(1)}\s+{_day(1)}|{_day(2)}\s+{_month(2)})\b"
_WEEKDAY_DAY_MONTH = re.compile(
    rf"\b(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b[\s,(]*{_MONTH_DAY}(?![,\s]*(?:19|20)\d\d)",
    re.IGNORECASE,
)
_MONTH_DAY_RE = re.compile(_MONTH_DAY, re.IGNORECASE)
_WEEKDAY = re.compile(r"\b(?P<weekday>Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b", re.IGNORECASE)
_UPDATED = re.compile(r"\b(?:updated|modified|edited)\b", re.IGNORECASE)
# What may stand around the dates on a stamp line; any other word means it is a sentence, not a stamp.
_STAMP_WORDS = frozenset(
    """last first published posted updated modified on at date time am pm a p m gmt utc pkt pst ist est edt cet bst ast cst
    hrs about ago a an hour hours minute minutes min mins day days monday tuesday wednesday thursday friday saturday sunday
    mon tue wed thu fri sat sun""".split()
)
# Words, and any character a stamp does not use (digits, spaces and ,.:|/()-–—+ are fine).
_STAMP_TOKEN = re.compile(r"[a-z]+|[^a-z\d\s,.:|/()\-–—+]", re.IGNORECASE)
_STAMP_START = re.compile(r"^(?:last\s+)?(?:published|updated|posted)\b", re.IGNORECASE)
_YEARISH = re.compile(r"(?:19|20)\d\d")  # every full date has a year


def _only_stamp_words(text: str) -> bool:
    return _STAMP_WORDS.issuperset(map(str.lower, _STAMP_TOKEN.findall(text)))  # stops at the first other word


def _without(text: str, matches: list[re.Match[str]]) -> str:
    """The text with each match replaced by a space (as `pattern.sub(" ", text)`, without matching again)."""
    parts = []
    end = 0
    for match in matches:
        parts.append(text[end : match.start()])
        end = match.end()
    parts.append(text[end:])
    return " ".join(parts)


# Labelled parts a stamp line may carry beside its date: "Source: Xinhua| 2025-03-26 21:05:30|Editor: huaxia".
_LABEL_PART = re.compile(r"^\s*(?:(?:source|editor|author|reporter|desk)\s*:|by\s)\s*[\w .,&'’-]{0,40}$", re.IGNORECASE)

DateKind = Literal["published", "updated"]


class FoundDate(NamedTuple):
    date: dt.date
    kind: DateKind


def _month_day_of(match: re.Match[str]) -> tuple[int, int]:
    month = match.group("month1") or match.group("month2")
    day = match.group("day1") or match.group("day2")
    return MONTHS[name_key(month)], int(day)


def _make_date(match: re.Match[str]) -> dt.date | None:
    try:
        if match.group("mnum"):
            return dt.date(int(match.group("year3")), int(match.group("mnum")), int(match.group("dnum")))
        return dt.date(int(match.group("year") or match.group("year2")), *_month_day_of(match))
    except ValueError:
        return None  # "February 30, 2025": not a date


class Stamp(NamedTuple):
    """What a stamp line tells: its dates, and the day-month-year texts on it that no calendar has."""

    dates: tuple[FoundDate, ...]
    impossible: tuple[str, ...] = ()


_UNDATED_STAMP = Stamp(())


def read_stamp(line: str) -> Stamp | None:
    """The dates on a stamp line, each marked published or updated; None if the line is not a stamp."""
    if len(line) > 160:
        return None
    if not _YEARISH.search(line):
        # No date here, but "Updated about 2 hours ago" is a stamp without a usable one.
        return _UNDATED_STAMP if _STAMP_START.match(line) and _only_stamp_words(line) else None
    labelled = "|" in line
    text = " | ".join(part for part in line.split("|") if not _LABEL_PART.match(part)) if labelled else line
    matches = list(_FULL_DATE.finditer(text))
    if not matches:
        # "Updated about 2 hours ago" is a stamp without a usable date.
        if not (_STAMP_START.match(text) and _only_stamp_words(text)):
            return None
        return Stamp((), tuple(impossible_dates(line))) if labelled else _UNDATED_STAMP
    if not _only_stamp_words(_without(text, matches)):
        return None
    found = []
    impossible = []
    for match in matches:
        date = _make_date(match)
        if date is None:
            impossible.append(match.group(0).strip())
        else:
            kind: DateKind = "updated" if _UPDATED.search(text[: match.start()].rsplit("ublished", 1)[-1]) else "published"
            found.append(FoundDate(date, kind))
    if labelled:  # the labelled parts dropped above may hold dates too: report those of the whole line
        impossible = impossible_dates(line)
    return Stamp(tuple(found), tuple(impossible))


def impossible_dates(line: str) -> list[str]:
    """Day-month-year stamps on the line that no calendar has ("February 30, 2025")."""
    return [m.group(0).strip() for m in _FULL_DATE.finditer(line[:2000]) if _make_date(m) is None]


def first_full_date(text: str) -> dt.date | None:
    for match in _FULL_DATE.finditer(text[:2000]):
        date = _make_date(match)
        if date is not None:
            return date
    return None


def infer_year(month: int, day: int, weekday: int, today: dt.date) -> dt.date | None:
    """The latest date on or before `today` with this month, day and weekday (weekdays repeat within 28 years)."""
    for year in range(today.year, today.year - 40, -1):
        try:
            candidate = dt.date(year, month, day)
        except ValueError:
            continue  # February 29 in a common year
        if candidate <= today and candidate.weekday() == weekday:
            return candidate
    return None


def weekday_date(text: str, today: dt.date, month_day: tuple[int, int] | None = None) -> dt.date | None:
    """'on Wednesday (March 26)' in the text, or a weekday in the text plus a month-day from a dateline."""
    head = text[:3000]
    match = _WEEKDAY_DAY_MONTH.search(head)
    if match:
        return infer_year(*_month_day_of(match), WEEKDAYS[name_key(match.group("weekday"))], today)
    if month_day is not None:
        weekday = _WEEKDAY.search(head)
        if weekday:
            return infer_year(*month_day, WEEKDAYS[name_key(weekday.group("weekday"))], today)
    return None


def month_day(text: str) -> tuple[int, int] | None:
    """'March 26' or '26 March' (as in a wire dateline), without a year."""
    match = _MONTH_DAY_RE.search(text)
    if not match:
        return None
    month, day = _month_day_of(match)
    return (month, day) if 1 <= day <= 31 else None
