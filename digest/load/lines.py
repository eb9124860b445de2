"""What each pasted line is: text, a summary bullet, a URL, a date stamp, or page furniture.

Furniture is what copying a web page as text leaves among the paragraphs: share buttons,
"Short Url", teasers, captions with an agency credit, bylines, print-edition lines, sign-offs.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from typing import Literal, NamedTuple

from digest.load.dates import FoundDate, read_stamp

Kind = Literal["text", "bullet", "url", "date", "byline", "caption", "furniture"]

# Whole lines that are buttons, labels or counters (compared lower-case, trailing ":" and "." dropped).
_FURNITURE_LINES = frozenset(
    (
        "short url",
        "follow",
        "following",
        "share",
        "save",
        "saved",
        "advertisement",
        "advertisements",
        "ad",
        "sponsored",
        "comments",
        "comment",
        "listen",
        "listen to this article",
        "listen to article",
        "print",
        "email",
        "e-mail",
        "copy link",
        "link copied",
        "facebook",
        "twitter",
        "x",
        "whatsapp",
        "linkedin",
        "reddit",
        "telegram",
        "pinterest",
        "share this article",
        "share this",
        "share via",
        "share story",
        "subscribe",
        "sign up",
        "sign in",
        "log in",
        "read more",
        "related",
        "related stories",
        "related articles",
        "related news",
        "more from this author",
        "most read",
        "most popular",
        "recommended",
        "trending",
        "top stories",
        "latest",
        "latest news",
        "skip advertisement",
        "story continues below advertisement",
        "continue reading",
        "continue reading below",
        "loading",
        "loading...",
        "watch",
        "play",
        "play video",
        "video",
        "image",
        "photo",
        "file photo",
        "getty images",
        "gallery",
        "close",
        "menu",
        "home",
        "back to top",
        "go to comments",
        "view comments",
        "leave a comment",
        "add a comment",
        "see all",
        "show more",
        "expand",
        "source",
        "source:",
        "related topics",
        "suggested topics",
        "more on this story",
        "click here to share on social media",
        "tags",
        "topics",
        "google news",
        "follow us",
        "newsletter",
        "ap",
        "afp",
        "reuters",
        "xinhua",
        "app",
        "dawn.com",
    )
)
_FURNITURE_PATTERNS = re.compile(
    r"""^(?:
      (?:also\s+read|read\s+more|read\s+also|read|see\s+also|related|more|must\s+read|recommended|watch|listen|click\s+here)\s*[:>|-]
    | (?:next|previous|prev)\s+(?:story|article|post)\b
    | click\s+here\s+to\s+share\b | share\d*$
    | like\s+\w+(?:\s+\w+)?\s+on\s+facebook\b
    | (?-i:[a-z]{2,6}(?:[-/][a-z]{2,6}){1,4})$                  # an agency's editor slug: "bur-sw/jfx"
    | disclaimer\s*:
    | comments?\s*\(\d+\)
    | \d+\s+comments?
    | \d+\s*(?:min|minute)s?\s+read
    | reading\s+time\s*:
    | follow\s+(?:us|dawn|the|our|arab\s+news|\@)
    | subscribe\s+to\b | sign\s+up\s+(?:for|here|to)\b | download\s+the\b | join\s+our\b | get\s+the\s+latest\b
    | copyright\b | ©
    | all\s+rights\s+reserved
    | our\s+standards\s*:
    | published\s+in\s+(?:dawn|the\s+express\s+tribune|the\s+news)\b   # print-edition line, not the publication date
    | (?:\()?(?:reporting|additional\s+reporting|writing|editing|compiled|graphics?)\s+by\b
    | enditem\b
    | :\s*(?:[\w ]{1,40}\s+and\s+)?(?:news\s+agencies|agencies|al\s+jazeera|afp|reuters|ap|xinhua)\.?$  # "Source\n: Al Jazeera …"
    | source\s*:\s*(?:al\s+jazeera|afp|reuters|ap|app|news\s+agencies|agencies)
    | tags?\s*:
    | topics?\s*:
    | filed\s+under\s*:?
    | image\s+(?:source|caption)\b
    | (?:reuters|ap|afp)\s*/\s*\w
    | (?:photo|file\s+photo|image|picture)\s*(?::|—|-|–)
    | _{3,}$ | [-=*·•]{3,}$
    | have\s+a\s+(?:news\s+)?tip\b
    | this\s+story\s+has\s+been\s+(?:updated|corrected)\b
    | (?:this\s+(?:article|story)\s+)?(?:was\s+)?(?:first|originally)\s+published\s+(?:in|on|by)\b
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_CONTRIBUTED = re.compile(r"\bcontributed(?:\s+reporting)?\s+to\s+this\s+(?:report|story|article)\.?$", re.IGNORECASE)
# Who took a picture, as captions credit it at their end (case matters: "— online" ends sentences too).
_AGENCY = (
    r"(?:AP|AFP|Reuters|REUTERS|Xinhua|XINHUA|EPA|APP|PPI|INP|NNI|PID|ISPR|IANS|PTI|Online|ONLINE|Express|EXPRESS|Dawn|DAWN"
    r"|Getty(?:\s+Images)?|Anadolu(?:\s+Agency)?|Handout|HANDOUT|File|FILE|Screengrab|SCREENGRAB|Supplied|Courtesy\b[\w .]{0,40}"
    r"|Al\s+Jazeera|Arab\s+News|AN\s+Photo|Radio\s+Pakistan|PTV|Twitter|Facebook|Instagram)"
)
_NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*){0,3}"
_CREDIT = rf"(?:{_NAME}\s*/\s*)?{_AGENCY}(?:\s*/\s*(?:File(?:\s+[Pp]hoto)?|FILE|{_AGENCY}))*"
_PHOTO = r"(?i:photo|file\s+photo|file|image|picture)"
_CAPTION_CREDIT = re.compile(
    rf"""(?:
      \(\s*(?:(?:{_PHOTO}|AP\s+Photo)\s*[:/]?\s*)?{_CREDIT}\s*\)                # (AP), (Reuters/File)
    | \[\s*(?:File\s*:\s*)?(?:{_NAME}\s*/\s*)?{_AGENCY}\s*\]                 # [File: Name/AFP]
    | \s(?:—|–|-)\s*(?:{_PHOTO}\s*:?\s*)?{_CREDIT}                            # — Reuters/File
    | \b{_PHOTO}\s*:\s*{_CREDIT}                                              # PHOTO: EXPRESS
    | (?:REUTERS|Reuters|AP\s+Photo|AFP)\s*/\s*[A-Z][\w.'’ -]{{1,40}}(?:/File\s+Photo|/File)?    # REUTERS/Akhtar Soomro
    | \((?:AP\s+Photo|REUTERS|Reuters|AFP|EPA)\s*/[^()]{{1,60}}\)
    )\.?$""",
    re.VERBOSE,
)
# What each form of credit above has: a colon (PHOTO: …), a slash (REUTERS/…), white space and a dash (— Reuters)
# or a closing bracket at the end. Searching for these is cheap; lines without any need no search for a credit.
_CREDIT_SIGN = re.compile(r"[:/]|\s[—–-]|[)\]]\.?$")
_BYLINE = re.compile(
    r"^By\s+(?:[A-Z][\w.'’-]*|de|al|bin|ul|ur|van|von|and|&)(?:[\s,]+(?:[A-Z][\w.'’-]*|de|al|bin|ul|ur|van|von|and|&))*"
    r"(?:\s*[|,–—-]\s*[\w .,'’&-]{0,60})?$"
)
_DESK_NAMES = frozenset(
    ("our correspondent", "staff reporter", "news desk", "web desk", "monitoring desk", "agencies", "sports desk",
     "business desk", "the newspaper's staff reporter", "our staff reporter", "staff report", "web report")
)
_LONGEST_DESK_NAME = max(map(len, _DESK_NAMES))
# "BBC News, Islamabad", "Geo News", "Asia In News" (a kicker; dropped the same way): at most four words.
_DESK_LINE = re.compile(r"^(?:[A-Z][\w.'’-]*\s){0,3}(?:News|[Cc]orrespondent|[Rr]eporter|Desk|Bureau)(?:,\s*[A-Z][\w ]{2,30})?$")
_IMAGE_CAPTION = re.compile(r"^image\s+caption\s*[,:]\s*(?P<text>\S.*)$", re.IGNORECASE)
# A line that opens a list of topic links: the short lines after it are links, not text.
_TAG_LIST = frozenset(("related topics", "suggested topics", "topics", "tags", "more on this story", "related", "filed under"))
# A dateline on a line of its own ("ISLAMABAD:"), as some pages set it above the first paragraph.
_LONE_DATELINE = re.compile(r"^[A-Z][A-Z.'’\-]+(?:\s[A-Z][A-Z.'’\-]+){0,3}(?:,\s*[A-Z][a-z]+(?:\s[A-Z][a-z]+)?)?\s*(?::|—|–|-)$")
_BULLET = re.compile(r"^(?:[•·▪●◦‣∙*]|[-–](?=\s))\s*(?P<text>\S.*)$")
_URL = re.compile(r"^<?(?P<url>https?://[^\s<>\"']{3,2000})>?$", re.IGNORECASE)
_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")  # a regex: str.translate with a dict is slow
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")


class Line(NamedTuple):  # a tuple, not a frozen dataclass: every pasted line makes one, and this is cheaper to build
    number: int  # 1-based line in the file
    kind: Kind
    text: str
    dates: tuple[FoundDate, ...] = ()
    whole: str = ""  # a bullet's line with its marker, as a body paragraph keeps it
    impossible: tuple[str, ...] = ()  # a stamp's day-month-year texts that no calendar has


def clean(raw: str) -> str:
    """One pasted line with invisible characters dropped and any run of spaces made one space."""
    text = raw if raw.isascii() else unicodedata.normalize("NFC", _ZERO_WIDTH.sub("", raw))
    # Most lines have nothing to collapse: every white space character but " " is unprintable.
    if text.isprintable() and "  " not in text and not text.startswith(" ") and not text.endswith(" "):
        return text
    return " ".join(text.split())


def is_furniture(text: str) -> bool:
    if len(text) <= 60 and text.lower().rstrip(":.").strip() in _FURNITURE_LINES:
        return True
    if _FURNITURE_PATTERNS.match(text):
        return True
    if len(text) >= 400:
        return False
    tail = text[-120:]
    # Every match has "buted" in it (only the "i" of "contributed" has non-ASCII forms under IGNORECASE):
    # the substring test spares the regex almost every paragraph.
    return "buted" in tail.lower() and bool(_CONTRIBUTED.search(tail))


def is_caption(text: str) -> bool:
    # Credits end the line and are short: searching the tail keeps this linear in the line.
    if len(text) >= 600:
        return False
    end = text[-70:]
    if not text.endswith((")", "]")) and not ("-" in end or ":" in end or "/" in end or "—" in end or "–" in end):
        return False  # every credit form but the bracketed ones has a dash, a colon or a slash near the end
    tail = text[-160:]
    return bool(_CREDIT_SIGN.search(tail)) and bool(_CAPTION_CREDIT.search(tail))


def is_byline(text: str) -> bool:
    return len(text) < 120 and (bool(_BYLINE.match(text)) or bool(_DESK_LINE.match(text)))


def ends_sentence(text: str) -> bool:
    return bool(_SENTENCE_END.search(text))


def classify(number: int, raw: str) -> Line | None:
    """The line's kind, or None for a blank line."""
    if len(raw) > _SHORT_LINE:
        return _classify(raw, number)
    line = _classify_short(raw)
    return None if line is None else Line(number, *line[1:])


def _classify(raw: str, number: int = 0) -> Line | None:
    text = clean(raw)
    if not text:
        return None
    if url := _URL.match(text):
        return Line(number, "url", url.group("url"))
    if bullet := _BULLET.match(text):
        return Line(number, "bullet", bullet.group("text").strip(), whole=text)
    if (stamp := read_stamp(text)) is not None:
        return Line(number, "date", text, stamp.dates, impossible=stamp.impossible)
    if caption := _IMAGE_CAPTION.match(text):
        return Line(number, "caption", caption.group("text"))
    if len(text) <= _LONGEST_DESK_NAME and text.lower() in _DESK_NAMES:  # lower() never shortens a text
        return Line(number, "byline", text)
    if is_furniture(text):
        return Line(number, "furniture", text)
    if is_byline(text):
        return Line(number, "byline", text)
    if is_caption(text):
        return Line(number, "caption", text)
    return Line(number, "text", text)


# Pasted pages repeat their short lines (buttons, stamps, bylines, desk names) from file to file: each is
# classified once (as line 0; classify puts in the number). Long lines are not kept, so the memo stays small.
_SHORT_LINE = 100
_classify_short = functools.lru_cache(maxsize=4096)(_classify)


def relabel(lines: list[Line]) -> list[Line]:
    """What only the neighbours tell: a caption under "Image caption,", topic links, a lone dateline."""
    out: list[Line] = []
    in_tags = False
    for line in lines:
        prev = out[-1] if out else None
        is_text = line.kind == "text"
        if is_text and prev is not None and prev.kind == "furniture" and prev.text.lower().startswith("image caption"):
            out.append(Line(line.number, "caption", line.text))
        elif is_text and in_tags and len(line.text) <= 40 and not ends_sentence(line.text):
            out.append(Line(line.number, "furniture", line.text))
        elif is_text and prev is not None and prev.kind == "text" and _LONE_DATELINE.match(prev.text):
            out[-1] = Line(prev.number, "text", f"{prev.text} {line.text}")
        else:
            out.append(line)
        if (is_text or line.kind == "furniture") and line.text.lower().rstrip(":").strip() in _TAG_LIST:
            out[-1] = Line(line.number, "furniture", line.text)
            in_tags = True
        elif line.kind != "furniture" and out[-1].kind != "furniture":
            in_tags = False
    return out
