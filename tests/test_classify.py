"""Topic matching and timeline grouping."""

import datetime as dt
import re
import string
import sys
import unicodedata

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.classify import _literal_start, classify, matched_topics, matchers, story_text, timeline
from digest.config import Topic, parse_config
from digest.model import SourceRef, Story


def story(sid, title="A story", date=None, body=("Some text.",), related=(), topics=(), summary=()):
    return Story(
        id=sid, headline=title, title=title, date=date, date_source="published-line" if date else None, dateline=None,
        summary=summary, body=body, sources=(SourceRef(f"{sid}.txt", 0),), related=related, topics=topics,
    )


CONFIG = parse_config({
    "title": "T",
    "base_url": "https://example.org/",
    "timeline_split": 3,
    "topics": [
        {"name": "Crypto", "keywords": ["crypto*", "blockchain"], "entities": ["Binance"]},
        {"name": "Militancy", "keywords": ["militant*"], "entities": ["TTP"], "min_matches": 2},
        {"name": "CPEC", "patterns": [r"china[- ]pakistan economic corridor"]},
    ],
})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Binance met officials about cryptocurrency.", ("crypto",)),
        ("binance is lower case here", ()),  # entity: case matters
        ("Encrypted messages were sent.", ()),  # crypto* is a word start, not a substring
        ("A militant group attacked.", ()),  # min_matches 2
        ("Militants of the TTP attacked.", ("militancy",)),
        ("The China–Pakistan Economic Corridor grows.", ("cpec",)),  # en dash normalized
        ("the CHINA PAKISTAN ECONOMIC CORRIDOR", ("cpec",)),
    ],
)
def test_matched_topics(text, expected):
    assert matched_topics(story("s", title="Headline", body=(text,)), matchers(CONFIG.topics)) == expected


_OLD_NORMALIZE = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ",
                                "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def old_normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_OLD_NORMALIZE)


def reference_topics(story: Story, topics: tuple[Topic, ...]) -> tuple[str, ...]:
    """matched_topics as it was before the pre-checks: every regex run over the whole text."""
    text = old_normalize("\n".join((story.headline or story.title, *story.summary, *story.body)))
    found = []
    for topic in topics:
        hits = 0
        for terms, case in ((topic.keywords, False), (topic.entities, True)):
            if not terms:
                continue
            sources = set()
            for term in terms:
                term = old_normalize((term if case else term.lower()).strip())
                core = re.sub(r"(\\ )+", r"\\s+", re.escape(term.rstrip("*").strip()))
                sources.add(core + (r"\w*" if term.endswith("*") else ""))
            regex = re.compile(rf"(?:{'|'.join(sorted(sources, key=lambda x: (-len(x), x)))})(?!\w)")
            hay = text if case else text.lower()
            hits += sum(1 for m in regex.finditer(hay) if m.start() == 0 or not re.match(r"\w", hay[m.start() - 1]))
        hits += sum(len(re.findall(p, text, re.IGNORECASE)) for p in topic.patterns)
        if hits >= topic.min_matches:
            found.append(topic.slug)
    return tuple(found)


RULES_CONFIG = parse_config({
    "title": "T",
    "base_url": "https://example.org/",
    "topics": [
        {"name": "Border", "keywords": ["Afghan", "Durand Line", "Kabul"], "patterns": ["pak(istan)?[- ]afghan"],
         "min_matches": 2},
        {"name": "Security", "keywords": ["suicide bomb*", "bombing", "terror*", "counter-terrorism"],
         "entities": ["TTP", "BLA"], "patterns": ["tehreek-?e-?taliban", "k+ill", "ab?c"], "min_matches": 2},
        {"name": "China", "keywords": ["China", "Xi Jinping"], "patterns": ["sino[- ]pak", "x|yz", "[a-z]q", "(?:foo)bar"]},
        {"name": "Letters", "patterns": ["kelvin", "is", "ss", "I", "K{2}"], "min_matches": 3},
        {"name": "Island", "patterns": ["island"]},
    ],
})
RULES = matchers(RULES_CONFIG.topics)
STORY_PIECES = [
    "Pakistan-Afghan", "PAK AFGHAN", "pak\u2013afghan", "paki afghan", "Afghan", "afghans", "Durand\n line", "Kabul",
    "suicide bombing", "Suicide  Bombers", "xsuicide bombing", "terrorism", "counter-terrorism", "TTP", "ttp", "BLA",
    "Tehreek-e-Taliban", "TEHREEKETALIBAN", "kill", "KKill", "\u212aill", "ac", "ABC", "China", "Xi  Jinping",
    "Sino-Pak", "\u017fino pak", "x", "YZ", "aq", "Q", "foobar", "FOOBAR", "Kelvin", "\u212aelvin", "is", "\u0131s",
    "ss", "\u017f\u017f", "\u00df", "\u0130", "I", "kk", "island", "\u0130SLAND", "\u0131sland", "i\u017fland", "\u212a\u212a",
    " ", "  ", "\n", ", ", "-", "_", "9", "\u00e9", "£",
]
story_texts = st.lists(st.sampled_from(STORY_PIECES) | st.text(alphabet="abkqxyzAKI -\n", max_size=4), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(story_texts, story_texts, st.lists(story_texts, max_size=3))
@example("Pakistan-Afghan talks", "", ["\u212aelvin is KKill \u212a\u212a"])
@example("", "", ["\u017f\u017f \u0131s \u0130s"])  # long s, dotless i and İ match s and i case-blind, but lower otherwise
@example("\u0131sland", "", [])
@example("\u0130sland", "", [])
@example("i\u017fland", "", [])
def test_matched_topics_as_the_plain_regexes(headline, summary, body):
    case = story("s", title=headline or "T", summary=(summary,) if summary else (), body=tuple(body))
    assert matched_topics(case, RULES) == reference_topics(case, RULES_CONFIG.topics)


@pytest.mark.parametrize(
    ("pattern", "start"),
    [
        ("pak(istan)?[- ]afghan", "pak"),
        ("China Pakistan", "china pakistan"),
        ("tehreek-?e-?taliban", "tehreek"),
        ("colou?r", "colo"),  # the u is optional
        ("ab*c", "a"),
        ("ab+", "a"),
        ("ab{2}", "a"),
        ("x|yz", ""),  # a match may start with either
        ("(?:x)y", ""),
        ("(?i)foo", ""),
        ("\\bfoo", ""),
        ("[ab]c", ""),
        ("é", ""),  # only ASCII letters are sure to be lowered as they match
        ("\u017fx", ""),  # long s matches s case-blind
    ],
)
def test_literal_start(pattern, start):
    assert _literal_start(pattern) == start


def test_only_three_letters_match_ascii_case_blind_but_lower_to_something_else():
    """matched_topics skips a pattern when the lowered text lacks its lowered ASCII start, unless the text has one
    of these: each matches an ASCII letter case-blind, yet lower() does not turn it into that letter."""
    others = "".join(chr(c) for c in range(128, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    odd = set()
    for ascii_char in string.ascii_letters + string.digits + " ":
        for m in re.finditer(re.escape(ascii_char), others, re.IGNORECASE):
            if m.group().lower() != ascii_char.lower():
                odd.add(m.group())
    assert odd == {"ı", "İ", "ſ"}


def test_story_text_is_normalized_once_for_all_rules():
    text = story_text(story("s", title="\u201cCPEC\u201d", body=("China\u2013Pakistan\u00a0corridor", "plain")))
    assert text == '"CPEC"\nChina-Pakistan corridor\nplain'


def test_front_matter_topics_add_known_and_new_topics():
    result = classify([story("a", topics=("Militancy", "Local politics")), story("b", body=("blockchain",))], CONFIG)
    by_id = {s.id: s for s in result.stories}
    assert by_id["a"].topics == ("militancy", "local-politics")
    assert by_id["b"].topics == ("crypto",)
    assert [t.slug for t in result.topics] == ["crypto", "militancy", "cpec", "local-politics"]
    assert result.topics[-1] == Topic(slug="local-politics", name="Local politics")
    lines = dict(result.by_topic)
    assert [s.id for s in lines["militancy"].stories()] == ["a"]
    assert lines["cpec"].count == 0


def test_timeline_groups_by_month_and_day_newest_first_and_keeps_undated():
    d = dt.date
    stories = [
        story("old", "Old", d(2025, 1, 5)),
        story("new", "New", d(2025, 3, 2)),
        story("same-day-b", "Beta", d(2025, 3, 2)),
        story("mid", "Mid", d(2025, 1, 20)),
        story("nodate", "No date"),
    ]
    line = timeline(stories)
    assert [m.key for m in line.months] == ["2025-03", "2025-01"]
    assert [m.label for m in line.months] == ["March 2025", "January 2025"]
    assert [day.date for day in line.months[1].days] == [d(2025, 1, 20), d(2025, 1, 5)]
    assert [e.lead.id for e in line.months[0].days[0].events] == ["same-day-b", "new"]  # same day: by title
    assert [e.lead.id for e in line.undated] == ["nodate"]
    assert sorted(s.id for s in line.stories()) == sorted(s.id for s in stories)
    assert line.count == 5


def test_related_coverage_is_one_event_with_its_reports():
    d = dt.date
    stories = [
        story("first", "First report", d(2025, 2, 1), related=("second",)),
        story("second", "Follow-up", d(2025, 2, 3), related=("first", "third")),
        story("third", "Undated echo", None, related=("second",)),
        story("alone", "Alone", d(2025, 2, 2), related=("missing-id",)),
    ]
    line = timeline(stories)
    events = [e for m in line.months for day in m.days for e in day.events]
    assert [[s.id for s in e.stories] for e in events] == [["second", "first", "third"], ["alone"]]
    assert events[0].date == d(2025, 2, 3)  # shown on the day of its newest report
    assert line.undated == ()  # the undated report travels with its event
    assert line.count == 4


def test_classify_orders_stories_as_the_timeline_reads():
    d = dt.date
    result = classify([story("u"), story("a", "A", d(2024, 5, 1)), story("b", "B", d(2024, 6, 1))], CONFIG)
    assert [s.id for s in result.stories] == ["b", "a", "u"]
