"""Group a pasted file's lines into stories.

A story is a header block (kicker, headline, its repeat, stamps, bylines, caption, summary
bullets or a standfirst) and a run of body paragraphs. Copying a page as text can put the header
after the body, or paste a second story under the first, so a header claims the body run that
follows it, or, when another header or the end of the file follows instead, the unclaimed run
before it. A run that no header claims is a story without a headline.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import NamedTuple

from digest.load.dates import FoundDate
from digest.load.lines import Line, ends_sentence
from digest.text import fold

# The second form of place ("Beijing (Xinhua)") takes its words whole (*+, ++: never given back in part, as only
# a comma, a space or a bracket may follow a place), which spares the regex most of its backtracking on sentences.
_DATELINE = re.compile(
    r"""^(?P<place>[A-Z][A-Z.'’\-]+(?:[ /]+[A-Z][A-Z.'’\-]+){0,3}(?:,\s*[A-Z][A-Za-z.'’\-]+(?:\s[A-Z][A-Za-z.'’\-]+){0,2})?
      |[A-Z][\w'’.\-]*+(?:\s[\w'’.\-]++){0,3}(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?(?=(?:,\s*\w+\.?\s+\d{1,2})?\s*\((?:AFP|AP|Reuters|Xinhua|APP|IANS|PTI|Anadolu)\)))
    (?:,\s*(?P<monthday>[A-Z][a-z]{2,8}\.?\s+\d{1,2}|\d{1,2}\s+[A-Z][a-z]{2,8}))?
    \s*(?:\((?P<agency>[A-Za-z][\w .]{0,20})\))?
    \s*(?::|—|–|--|-)\s*(?P<rest>\S.*)$""",
    re.VERBOSE | re.DOTALL,
)
_AGENCY_ONLY = re.compile(r"^\((?:Xinhua|AP|AFP|Reuters|APP|IANS|PTI)\)\s*(?:--|—|–|-|:)\s*(?P<rest>\S.*)$", re.DOTALL)
_NOT_PLACES = frozenset(
    "BREAKING UPDATE EXCLUSIVE WATCH LIVE ANALYSIS OPINION EDITORIAL CORRECTION FILE PHOTO VIDEO NOTE WARNING "
    "Q A FAQ READ ALSO UPDATED URGENT FLASH".split()
)
_NOT_HEADLINE_START = frozenset(",.;:!?)]}-–—•*/|>=+")
# A headline may end in an abbreviation's full stop: "… a loss for U.S.", "… to buy Acme Inc."
_ABBREVIATION_END = re.compile(r"(?:\b(?:[A-Za-z]\.){2,}|\b(?:Inc|Ltd|Co|Corp|Jr|Sr|St|Bros)\.)$")
_SUFFIX_SIGNOFF = re.compile(r"\s*(?:Enditem|\(END\)|\(Reporting by [^)]*\))\s*$", re.IGNORECASE)


@dataclass(slots=True)
class Segment:
    """Lines of one header block or one body run, with what was picked up on the way."""

    is_header: bool
    start: int  # line number
    headline: str | None = None
    summary: list[str] = field(default_factory=list)
    paragraphs: list[tuple[int, str]] = field(default_factory=list)
    dates: list[FoundDate] = field(default_factory=list)
    source_url: str | None = None
    caption: str | None = None

    def absorb(self, line: Line) -> None:
        """Keep what a non-text line tells about the story; furniture and bylines are dropped."""
        if line.kind == "date":
            self.dates.extend(line.dates)
        elif line.kind == "url" and self.source_url is None:
            self.source_url = line.text
        elif line.kind == "caption" and self.caption is None:
            self.caption = line.text


class RawStory(NamedTuple):
    start: int
    headline: str | None
    headline_line: int | None
    summary: tuple[str, ...]
    paragraphs: tuple[tuple[int, str], ...]
    dates: tuple[FoundDate, ...]
    source_url: str | None
    caption: str | None


class Dateline(NamedTuple):
    place: str | None
    month_day_text: str | None
    rest: str


@functools.lru_cache(maxsize=1024)  # segmenting a file asks about the same paragraph several times
def split_dateline(paragraph: str) -> Dateline | None:
    """'ISLAMABAD, March 26 (Reuters) - Text' -> place ISLAMABAD, month-day 'March 26', rest 'Text'."""
    head = paragraph[:200]
    match = _DATELINE.match(head)
    if match and match.group("place").split(",")[0].split()[0].strip(".") not in _NOT_PLACES:
        place = match.group("place").strip()
        if len(place.replace(" ", "")) >= 3 or match.group("agency"):
            return Dateline(place, match.group("monthday"), paragraph[match.start("rest") :])
    agency = _AGENCY_ONLY.match(head)
    if agency:
        return Dateline(None, None, paragraph[agency.start("rest") :])
    return None


def looks_like_headline(text: str) -> bool:
    # The cheap tests first: most lines are long paragraphs or sentences.
    if not 12 <= len(text) <= 250 or text[0].islower() or text[0] in _NOT_HEADLINE_START:
        return False
    words = len(text.split(maxsplit=30))  # the count up to 31: enough for the tests below
    if not 3 <= words <= 30:
        return False
    if text.endswith((".", ",", ";", ":", "…")) and not (words <= 16 and _ABBREVIATION_END.search(text)):
        return False  # a sentence, unless it ends in an abbreviation
    return split_dateline(text) is None


def _is_short_label(text: str) -> bool:
    """A section kicker or a name: a few words, not a sentence."""
    return len(text) <= 50 and len(text.split()) <= 5 and not ends_sentence(text) and not text.endswith(",")


def _next_text(lines: list[Line], start: int) -> int | None:
    return next((j for j in range(start, len(lines)) if lines[j].kind == "text"), None)


def _header_follows(lines: list[Line], i: int, first_text: bool = True) -> bool:
    """After line i, before any text: a stamp, a byline or summary bullets.

    Inside a body a lone bullet is a list item, so there bullets alone must be a summary's two or
    more, or lead to a dateline paragraph.
    """
    bullets = 0
    for j in range(i + 1, len(lines)):
        kind = lines[j].kind
        if kind in ("date", "byline"):
            return True
        if kind == "bullet":
            bullets += 1
        elif kind == "text":
            return bullets > 0 and (first_text or bullets >= 2 or split_dateline(lines[j].text) is not None)
    return bullets > 0 and (first_text or bullets >= 2)


def _is_anchor(lines: list[Line], i: int, first_text: bool) -> bool:
    text = lines[i].text
    if not looks_like_headline(text):
        return False
    for line in lines[i + 1 : i + 9]:
        if line.kind == "text":
            if same_text(line.text, text):
                return True  # the headline repeated around the share bar
            break
    if _header_follows(lines, i, first_text):
        return True
    nxt = _next_text(lines, i + 1)
    if nxt is None:
        return False
    if split_dateline(lines[nxt].text):
        return True
    after = _next_text(lines, nxt + 1)
    if after is not None and ends_sentence(lines[nxt].text) and split_dateline(lines[after].text):
        return True  # headline, standfirst, dateline paragraph
    return (first_text and not looks_like_headline(lines[nxt].text)) or (first_text and _header_follows(lines, nxt))


def same_text(a: str, b: str) -> bool:
    """Equal but for quotes, spacing and case (lengths are compared first: fold is the costly part)."""
    return abs(len(a) - len(b)) <= 3 + len(a) // 10 and fold(a) == fold(b)


def _is_standfirst(lines: list[Line], j: int, header: Segment) -> bool:
    text = lines[j].text
    if header.summary or len(text.split(maxsplit=60)) > 60 or split_dateline(text):
        return False
    if not ends_sentence(text):
        # A standfirst without a full stop: right under the headline, with a byline or stamp right under it.
        return lines[j - 1].kind == "text" and j + 1 < len(lines) and lines[j + 1].kind in ("byline", "date")
    if _header_follows(lines, j):
        return True
    nxt = _next_text(lines, j + 1)
    return nxt is not None and split_dateline(lines[nxt].text) is not None


def mark_names_before_stamps(lines: list[Line]) -> list[Line]:
    """A reporter's name on its own line right before a 'Published …' stamp or a desk line is a byline."""
    out = list(lines)
    for i in range(len(out) - 1):
        line = out[i]
        if (
            line.kind == "text"
            and (out[i + 1].kind == "date" or (out[i + 1].kind == "byline" and not out[i + 1].text.startswith("By ")))
            and _is_short_label(line.text)
            and len(words := line.text.split()) <= 4
            and all(word[0].isupper() and not any(c.isdigit() for c in word) for word in words)
        ):
            out[i] = Line(line.number, "byline", line.text)
    return out


def segment(lines: list[Line]) -> list[Segment]:
    lines = mark_names_before_stamps(lines)
    segments: list[Segment] = []
    seen_paragraph = False
    i = 0
    while i < len(lines):
        line = lines[i]
        first_text = not seen_paragraph
        if line.kind == "text" and _is_anchor(lines, i, first_text):
            if segments and not segments[-1].is_header and segments[-1].paragraphs:
                last = segments[-1].paragraphs[-1]
                if _is_short_label(last[1]) and last[0] == lines[i - 1].number:
                    segments[-1].paragraphs.pop()  # a section kicker right above the headline
            i = _consume_header(lines, i, segments)
            seen_paragraph = True  # what follows a header is its body, however it starts
            continue
        if not segments or segments[-1].is_header:
            segments.append(Segment(False, line.number))
        run = segments[-1]
        if line.kind == "text":
            if first_text and _is_short_label(line.text) and _next_is_anchor(lines, i):
                pass  # kicker above the first headline
            else:
                run.paragraphs.append((line.number, line.text))
                seen_paragraph = True
        elif line.kind == "bullet":
            run.paragraphs.append((line.number, line.whole or line.text))
            seen_paragraph = True
        else:
            run.absorb(line)
        i += 1
    return segments


def _next_is_anchor(lines: list[Line], i: int) -> bool:
    return i + 1 < len(lines) and lines[i + 1].kind == "text" and _is_anchor(lines, i + 1, True)


def _consume_header(lines: list[Line], i: int, segments: list[Segment]) -> int:
    header = Segment(True, lines[i].number, headline=lines[i].text)
    segments.append(header)
    headline = lines[i].text
    j = i + 1
    while j < len(lines):
        line = lines[j]
        if line.kind == "text":
            if same_text(line.text, headline):
                pass  # the repeat
            elif _is_standfirst(lines, j, header):
                header.summary.append(line.text)
            else:
                break
        elif line.kind == "bullet":
            header.summary.append(line.text)
        else:
            header.absorb(line)
        j += 1
    return j


def pair(segments: list[Segment]) -> list[RawStory]:
    """Give each header its body run (the one after it, else the unclaimed one before it)."""
    claimed: set[int] = set()
    pairs: list[tuple[Segment | None, Segment | None]] = []
    for k, seg in enumerate(segments):
        if not seg.is_header:
            continue
        nxt = segments[k + 1] if k + 1 < len(segments) else None
        prev = segments[k - 1] if k > 0 else None
        if nxt is not None and not nxt.is_header and nxt.paragraphs:
            claimed.add(k + 1)
            pairs.append((seg, nxt))
        elif prev is not None and not prev.is_header and k - 1 not in claimed and prev.paragraphs:
            claimed.add(k - 1)
            pairs.append((seg, prev))
        else:
            pairs.append((seg, None))
    for k, seg in enumerate(segments):
        if not seg.is_header and k not in claimed:
            if seg.paragraphs:
                pairs.append((None, seg))
            else:
                _give_to_nearest(seg, pairs)
    stories = [_raw_story(header, body) for header, body in pairs]
    return sorted(stories, key=lambda story: story.start)


def _give_to_nearest(run: Segment, pairs: list[tuple[Segment | None, Segment | None]]) -> None:
    """A run with no paragraphs (a trailing stamp or link) belongs to the story nearest before it."""
    parts = sorted((s for pair in pairs for s in pair if s is not None), key=lambda s: s.start)
    earlier = [s for s in parts if s.start < run.start]
    target = earlier[-1] if earlier else parts[0] if parts else None
    if target is not None:
        target.dates.extend(run.dates)
        target.source_url = target.source_url or run.source_url
        target.caption = target.caption or run.caption


def _raw_story(header: Segment | None, body: Segment | None) -> RawStory:
    parts = [s for s in (header, body) if s is not None]
    paragraphs = tuple((n, kept) for n, text in (body.paragraphs if body else []) if (kept := _drop_signoff(text)))
    return RawStory(
        start=min(s.start for s in parts),
        headline=header.headline if header else None,
        headline_line=header.start if header else None,
        summary=tuple(header.summary if header else []),
        paragraphs=paragraphs,
        dates=tuple(d for s in parts for d in s.dates),
        source_url=next((s.source_url for s in parts if s.source_url), None),
        caption=next((s.caption for s in parts if s.caption), None),
    )


def _drop_signoff(text: str) -> str:
    """'… young people. Enditem' -> '… young people.' (only the tail is searched: paragraphs can be long)."""
    end = text.rstrip()[-8:].lower()
    if not end.endswith((")", "enditem")):
        return text
    match = _SUFFIX_SIGNOFF.search(text, max(0, len(text) - 200))
    return text[: match.start()] if match else text
