"""Topic matching and timeline grouping."""

import datetime as dt

import pytest

from digest.classify import classify, matched_topics, matchers, timeline
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
