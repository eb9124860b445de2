"""Properties of the loader on arbitrary input (hypothesis): it never raises and its records hold their contract."""

from __future__ import annotations

import datetime as dt
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from digest.load import parse_bytes, unique_ids
from digest.model import Story

TODAY = dt.date(2026, 11, 22)
URL_SAFE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Pieces of real pages, so generated files look like pasted articles often enough to reach deep code.
PIECES = [
    "Pakistan and China agree to expand trade links",
    "Published March 26, 2025 Updated about 2 hours ago",
    "Updated 06 February 2025",
    "March 26, 20252:30 PM GMT+5",
    "Published On 26 Mar 202526 Mar 2025",
    "2025-03-26 19:32:15",
    "Updated 3:14 PM GMT+5, Mar 26, 2025",
    "Published February 30, 2025",
    "ISLAMABAD: The government said on Wednesday (March 26) it would resume talks.",
    "KARACHI, March 26 (Reuters) - Shares rose on Wednesday.",
    "ISLAMABAD (AP) — Militants attacked a checkpoint.",
    "BEIJING, March 26 (Xinhua) -- China said. Enditem",
    "By MUNIR AHMED",
    "Web Desk",
    "Short Url",
    "Follow",
    "Share",
    "Save",
    "Advertisement",
    "Read more: Another story entirely",
    "Comments (14)",
    "Published in Dawn, March 27th, 2025",
    "Trucks wait at the border. (AP)",
    "Image caption,",
    "• A summary bullet",
    "- Another bullet",
    "https://arab.news/abc12",
    "---",
    "title: Front matter title",
    "stories:",
    "  1: {skip: true}",
    "date: 2025-03-26",
    "!!python/object:os.system",
    "Source",
    ": Al Jazeera and news agencies",
    "",
    "   ",
    "\u00a0",
    "\ufeff",
    "#",
    "# Heading",
]

page_lines = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=80)), max_size=30)
pasted_text = page_lines.map("\n".join)


def check(stories: list[Story], problems: list[object], path: str) -> None:
    assert stories or problems, "neither records nor problems"
    ids = [s.id for s in stories]
    for story in stories:
        assert story.title.strip(), story
        assert URL_SAFE.match(story.id), story.id
        assert story.date is None or story.date <= TODAY
        assert story.sources[0].path == path
        assert story.date is None or story.date_source
    # Within a file ids may clash only for identical stories; unique_ids makes them unique across a run.
    assert len({s.id for s in unique_ids(stories)}) == len(ids)


@PROFILE
@given(pasted_text, st.sampled_from(["a.txt", "a.md"]))
def test_text_never_raises_and_keeps_the_contract(text: str, name: str) -> None:
    stories, problems, report = parse_bytes(name, text.encode("utf-8", "surrogatepass"), TODAY)
    check(stories, problems, name)
    assert report.path == name
    assert report.stories == len(stories)
    assert (report.status == "loaded") == bool(stories)


@PROFILE
@given(st.binary(max_size=2000))
def test_bytes_never_raise(data: bytes) -> None:
    stories, problems, report = parse_bytes("b.txt", data, TODAY)
    check(stories, problems, "b.txt")
    assert report.status in ("loaded", "rejected")


@PROFILE
@given(pasted_text, st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]), st.booleans())
def test_encodings_and_line_ends_never_raise(text: str, encoding: str, crlf: bool) -> None:
    if crlf:
        text = text.replace("\n", "\r\n")
    data = text.encode(encoding, "replace")
    stories, problems, _ = parse_bytes("e.txt", data, TODAY)
    check(stories, problems, "e.txt")


@PROFILE
@given(pasted_text, st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2035, 12, 31)))
def test_output_is_deterministic_and_never_after_the_build_date(text: str, today: dt.date) -> None:
    data = text.encode("utf-8", "surrogatepass")
    first = parse_bytes("d.txt", data, today)
    second = parse_bytes("d.txt", data, today)
    assert first == second
    assert all(s.date is None or s.date <= today for s in first[0])


@PROFILE
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=40))
def test_every_story_has_a_title_and_a_slug_id(pieces: list[str]) -> None:
    text = "\n".join(pieces)
    stories, problems, _ = parse_bytes("p.txt", text.encode(), TODAY)
    check(stories, problems, "p.txt")
    for story in stories:
        if story.date is None:
            assert any("undated" in p.message for p in problems)
