"""When two similar stories are one story: the similarity rules and the vetoes that keep different news apart."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from digest.model import Story
from digest.text import fold

NEAR_JACCARD = 0.8  # shingle Jaccard for a near copy (a re-send with edits, a corrected figure)
TRUNCATED_CONTAINMENT = 0.9  # share of the shorter copy's shingles found in the longer one
TRUNCATED_MIN_SHINGLES = 20  # a cut-down copy must still be a real text, not a line
CANDIDATE_CONTAINMENT = min(NEAR_JACCARD, TRUNCATED_CONTAINMENT)
MAX_DAYS_APART = 1  # copies of one story are dated within a day of each other
SHORT_BODY_TOKENS = 60  # below this a body is a template; its headline and figures carry the news
HEADLINE_AGREEMENT = 0.5
SAME_NAME = 0.75  # spelling similarity above which two datelines or tickers are one with a typo

RULE_ORDER = {"exact": 0, "near-duplicate": 1, "truncated": 2}

_LEAD = re.compile(
    r"^\s*(?:\(?\s*(?:update[sd]?|corrected|correction|corrects|refile[sd]?|rpt|repeat|recasts?|wrapup|"
    r"urgent|flash|breaking|exclusive)\b[^-:–—)]{0,20}\)?\s*[-:–—]\s*|\((?:corrected|rpt|repeat|refile|update \d+)\)\s*-?\s*)",
    re.IGNORECASE,
)
_TRAIL = re.compile(
    r"\s*[-:–—]?\s*\(\s*(?:corrected|correction|rpt|repeat|refiled?|updated?(?: \d+)?|adds [^)]*|recasts?[^)]*)\s*\)\s*$"
    r"|\s+[-–—]\s*(?:update[sd]?(?: \d+)?|corrected)\s*$",
    re.IGNORECASE,
)
_CORRECTION = re.compile(r"\bcorrect(?:ed|ion|s)?\b|\brefile", re.IGNORECASE)
_TICKER = re.compile(r"<\s*([A-Z0-9.\-]{1,10})\s*>|\((?:NYSE|NASDAQ|Nasdaq|AMEX|LSE|TSX|ASX|OTC)\s*:\s*([A-Z0-9.\-]{1,10})\)")
_WORD = re.compile(r"[^\W_]+")


def clean_headline(headline: str) -> str:
    """A headline without wire markers: "UPDATE 1-", "(CORRECTED)-", "RPT-", "… (CORRECTED)"."""
    previous = None
    text = headline.strip()
    while text != previous:
        previous = text
        text = _TRAIL.sub("", _LEAD.sub("", text)).strip()
    return text or headline.strip()


def place_key(dateline: str | None) -> str | None:
    if not dateline:
        return None
    head = fold(dateline).split(",")[0]
    words = _WORD.findall(head)
    return " ".join(words) or None


@dataclass(frozen=True, slots=True)
class Facts:
    """What the vetoes look at, for one story."""

    day: int | None  # date ordinal
    place: str | None
    tickers: frozenset[str]
    headline: tuple[str, ...]  # words of the headline without wire markers
    headline_words: frozenset[str]
    correction: bool
    tokens: int
    numbers: frozenset[int]

    def __reduce__(self) -> tuple[type[Facts], tuple[object, ...]]:
        return Facts, tuple(getattr(self, name) for name in self.__slots__)  # see perstory.StoryFeatures.__reduce__


def facts(story: Story, tokens: int, numbers: frozenset[int]) -> Facts:
    headline = story.headline or ""
    tickers = frozenset((a or b).split(".")[0] for a, b in _TICKER.findall(headline))
    words = tuple(_WORD.findall(fold(clean_headline(headline)))) if headline else ()
    return Facts(
        day=story.date.toordinal() if story.date else None,
        place=place_key(story.dateline),
        tickers=tickers,
        headline=words,
        headline_words=frozenset(words),
        correction=bool(_CORRECTION.search(headline)),
        tokens=tokens,
        numbers=numbers,
    )


def similarity_rule(jaccard: float, containment: float, same_text: bool, smaller_size: int) -> str | None:
    """The rule two bodies meet on their shingles alone; a "truncated" pair is confirmed with `is_cut_down`."""
    if same_text:
        return "exact"
    if jaccard >= NEAR_JACCARD:
        return "near-duplicate"
    if containment >= TRUNCATED_CONTAINMENT and smaller_size >= TRUNCATED_MIN_SHINGLES:
        return "truncated"
    return None


def _alike(a: str, b: str) -> bool:
    return a == b or sorted(a) == sorted(b) or SequenceMatcher(None, a, b).ratio() >= SAME_NAME


def headlines_agree(a: Facts, b: Facts) -> bool:
    """Headlines that name the same thing: a shared ticker, mostly the same words, or the same first two words."""
    if not a.headline or not b.headline:
        return True
    if a.tickers & b.tickers:
        return True
    if len(a.headline_words & b.headline_words) / len(a.headline_words | b.headline_words) >= HEADLINE_AGREEMENT:
        return True
    return len(a.headline) >= 2 and a.headline[:2] == b.headline[:2]


def is_cut_down(a: Facts, b: Facts, lede_early: bool) -> bool:
    """A text inside a longer one is a cut-down copy when it opens where the longer one opens, or has its headline;
    otherwise it is more likely one item of a round-up."""
    return lede_early or (bool(a.headline) and bool(b.headline) and headlines_agree(a, b))


def conflict(a: Facts, b: Facts) -> str | None:
    """Why two stories with similar bodies are still different news, or None."""
    if a.day is not None and b.day is not None and abs(a.day - b.day) > MAX_DAYS_APART:
        return f"dated {abs(a.day - b.day)} days apart"
    if a.place and b.place and not _alike(a.place, b.place) and a.headline != b.headline:
        return f"different datelines ({a.place} / {b.place})"
    corrected = a.correction or b.correction
    if a.tickers and b.tickers and not corrected and not any(_alike(x, y) for x in a.tickers for y in b.tickers):
        return "different companies (tickers)"
    if min(a.tokens, b.tokens) < SHORT_BODY_TOKENS:
        if not headlines_agree(a, b):
            return "templated body under different headlines"
        small, large = (a, b) if a.tokens <= b.tokens else (b, a)
        changed = small.numbers - large.numbers
        if changed and not (corrected and len(changed) <= 2):
            return "templated body with different figures"
    return None
