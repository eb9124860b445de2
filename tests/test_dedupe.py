"""Dedupe stage: precision/recall on an invented labelled set, the seed merge, stable ids, templated traps."""

import datetime as dt
import itertools
import json
from dataclasses import replace

import pytest
from conftest import ARTICLES, ROOT, SEED_BUILD_DATE

from digest.dedupe import dedupe
from digest.load import load_paths
from digest.model import SourceRef, Story
from digest.text import fold, short_hash, slugify

FIXTURE = json.loads((ROOT / "tests/fixtures/dedupe/labelled.json").read_text(encoding="utf-8"))


def make(entry: dict) -> Story:
    body = tuple(entry["body"])
    headline = entry["headline"]
    digest = short_hash(fold(headline or ""), fold(" ".join(body[:3]))[:2000], length=6)
    return Story(
        id=f"{slugify(headline or body[0], 50)}-{digest}",
        headline=headline,
        title=headline or body[0][:90],
        date=dt.date.fromisoformat(entry["date"]) if entry["date"] else None,
        date_source="published-line" if entry["date"] else None,
        dateline=entry["dateline"],
        summary=tuple(entry["summary"]),
        body=body,
        sources=(SourceRef(entry["path"], 0),),
    )


STORIES = tuple(make(e) for e in FIXTURE["stories"])
LABEL = {e["path"]: e["label"] for e in FIXTURE["stories"]}


def groups(stories) -> list[set[str]]:
    return [{r.path for r in s.sources} for s in dedupe(stories).stories]


def test_precision_and_recall_on_the_labelled_fixture():
    paths = list(LABEL)
    truth = {frozenset(p) for p in itertools.combinations(paths, 2) if LABEL[p[0]] == LABEL[p[1]]}
    predicted = {frozenset(p) for g in groups(STORIES) for p in itertools.combinations(sorted(g), 2)}
    tp = len(truth & predicted)
    assert tp / len(predicted) >= 0.99, sorted(map(sorted, predicted - truth))
    assert tp / len(truth) >= 0.98, sorted(map(sorted, truth - predicted))


def test_merged_story_keeps_every_source_and_the_best_fields():
    result = dedupe(STORIES)
    flood = next(s for s in result.stories if "wire/flood.txt" in {r.path for r in s.sources})
    assert {r.path for r in flood.sources} == {p for p, lab in LABEL.items() if lab == "flood"}
    assert flood.headline == "Marrowgate to spend 42 mln crowns on flood barriers"
    assert flood.date == dt.date(2025, 3, 10) and flood.date_source == "merged"
    assert len(flood.body) == 6  # the fullest copy: the update with its new opening paragraph
    assert sorted(flood.summary) == ["Barriers to protect 3,800 homes", "Work begins in spring"]  # every line once
    record = next(m for m in result.merges if m.id == flood.id)
    assert set(record.sources) == set(flood.sources)
    assert record.rule in ("exact", "near-duplicate", "truncated") and 0 < record.similarity <= 1
    assert {link.rule for link in record.links} >= {"exact", "truncated"}


@pytest.mark.parametrize("label", ["div-acme", "div-zen", "hog-j", "hog-p", "reserves-2025-03-03", "reserves-2025-03-10"])
def test_templated_traps_are_not_merged(label):
    for g in groups(STORIES):
        if any(LABEL[p] == label for p in g):
            assert {LABEL[p] for p in g} == {label}
    result = dedupe(STORIES)
    assert any("dated" in h.reason or "dateline" in h.reason or "headline" in h.reason for h in result.held_apart)


def test_same_event_write_ups_are_related_not_merged():
    by_path = {r.path: s for s in dedupe(STORIES).stories for r in s.sources}
    a, b = by_path["wire/water.txt"], by_path["outlet/water-analysis.txt"]
    assert a.id != b.id
    assert b.id in a.related and a.id in b.related
    festival = by_path["outlet/festival.txt"]
    assert not festival.related


def ids_by_path(stories) -> dict[str, str]:
    return {r.path: s.id for s in dedupe(tuple(stories)).stories for r in s.sources}


def test_ids_are_stable_under_reordering_adding_and_renaming():
    base = ids_by_path(STORIES)
    assert ids_by_path(reversed(STORIES)) == base
    assert ids_by_path(STORIES[5:] + STORIES[:5]) == base
    extra = make(
        {
            "path": "zzz/new.txt",
            "headline": "Lighthouse keeper retires after 40 years",
            "body": ["The last keeper of the Skerrow light retired on Saturday after four decades, the harbour board said."],
            "date": "2025-07-01",
            "dateline": None,
            "summary": [],
        }
    )
    with_extra = ids_by_path((*STORIES, extra))
    assert {p: i for p, i in with_extra.items() if p != "zzz/new.txt"} == base
    # Renaming files (so that they sort differently) changes no id.
    renamed = [replace(s, sources=(SourceRef("0-" + s.sources[0].path[::-1], 0),)) for s in STORIES]
    again = ids_by_path(renamed)
    assert sorted(again.values()) == sorted(base.values())
    assert len(set(base.values())) == len(dedupe(STORIES).stories)


def test_recurring_reports_get_distinct_stable_ids():
    reserves = [s for s in STORIES if LABEL[s.sources[0].path].startswith("reserves")]
    first = ids_by_path(reserves)
    assert len(set(first.values())) == 3
    assert ids_by_path(reversed(reserves)) == first


def test_seed_articles_merge_and_link():
    loaded = load_paths([ARTICLES], SEED_BUILD_DATE)
    result = dedupe(loaded.stories)
    assert len(result.stories) == len(loaded.stories) - 1
    merged = next(s for s in result.stories if len(s.sources) == 2)
    assert {(r.path, r.index) for r in merged.sources} == {("000_f8515c5b4837a612.txt", 1), ("001_2cba5b57e2f18ceb.txt", 1)}
    assert merged.date == dt.date(2025, 12, 5) and merged.date_source == "merged"
    assert merged.id == "pakistan-global-crypto-exchange-discuss-b53890"
    other = next(s for s in result.stories if s.sources[0].path.startswith("002"))
    assert other.id in merged.related and merged.id in other.related
    assert [m.rule for m in result.merges] == ["exact"]
    shuffled = dedupe(tuple(reversed(loaded.stories)))
    assert [s.id for s in shuffled.stories] == [s.id for s in result.stories]


def test_empty_and_single():
    assert dedupe(()).stories == ()
    assert dedupe(STORIES[:1]).stories == STORIES[:1]


def test_merged_date_says_merged_only_for_a_stated_date():
    stories = load_paths([ARTICLES], SEED_BUILD_DATE).stories
    copies = [s for s in stories if s.headline and s.headline.startswith("Pakistan, global crypto exchange")]
    (merged,) = [s for s in dedupe(tuple(copies)).stories]
    assert (merged.date, merged.date_source) == (dt.date(2025, 12, 5), "merged")  # one copy's "Updated" stamp
    guessed = (
        replace(copies[0], date=dt.date(2025, 12, 5), date_source="weekday-inference"),
        replace(copies[1], date=None, date_source=None),
    )
    (merged,) = dedupe(guessed).stories
    assert merged.date_source == "weekday-inference"  # the page must still say the date is inferred
