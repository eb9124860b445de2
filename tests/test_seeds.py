"""Golden records: the four seed articles must yield exactly the expected stories."""

import json
import re
import unicodedata

import pytest
from conftest import ARTICLES, ROOT, SEED_BUILD_DATE

from digest.load import load_paths

EXPECTED = json.loads((ROOT / "tests/golden/seed_records.json").read_text(encoding="utf-8"))
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


def norm(value):
    if value is None:
        return None
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value)).translate(QUOTES)).strip() or None


@pytest.fixture(scope="module")
def by_ref():
    result = load_paths([ARTICLES], SEED_BUILD_DATE)
    return {(s.sources[0].path, s.sources[0].index): s for s in result.stories}


CASES = [(name, exp) for name, stories in EXPECTED["files"].items() for exp in stories]


@pytest.mark.parametrize(("name", "expected"), CASES, ids=[f"{n[:3]}#{e['index']}" for n, e in CASES])
def test_seed_story_matches_golden_record(by_ref, name, expected):
    story = by_ref[(name, expected["index"])]
    assert norm(story.headline) == norm(expected["headline"])
    assert (story.date.isoformat() if story.date else None) == expected["date"]
    assert norm(story.dateline) == norm(expected["dateline"])
    assert norm(story.source_url) == norm(expected["source_url"])
    assert [norm(x) for x in story.summary] == [norm(x) for x in expected["summary"]]
    assert [norm(x) for x in story.body] == [norm(x) for x in expected["body"]]
    assert story.title.strip()


def test_seed_files_yield_exactly_the_expected_stories(by_ref):
    found = sorted(by_ref)
    wanted = sorted((name, exp["index"]) for name, exp in CASES)
    assert found == wanted


def test_date_sources_are_recorded(by_ref):
    assert by_ref[("001_2cba5b57e2f18ceb.txt", 0)].date_source == "updated-line"
    assert by_ref[("003_5dbe3aa90005a131.txt", 0)].date_source == "weekday-inference"
    assert by_ref[("000_f8515c5b4837a612.txt", 0)].date_source is None


def test_headless_story_gets_a_lede_title(by_ref):
    story = by_ref[("002_5e6c6ddb248020da.txt", 0)]
    assert story.headline is None
    assert story.title.startswith("Pakistan appears to be moving toward")
    assert len(story.title) <= 91
