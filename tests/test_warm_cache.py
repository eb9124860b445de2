"""The warm rebuild's caches: parse results kept as marshal records, and what a damaged one costs (only time)."""

from __future__ import annotations

import datetime as dt
import marshal
import pickle
from pathlib import Path

import pytest
from conftest import SEED_BUILD_DATE
from test_incremental import Project
from test_incremental_cache import fresh_process, parse_jobs

from digest.cache import cache_dir
from digest.load import MAX_FILE_BYTES, load_file, load_paths
from digest.load.records import dump_result, load_result
from digest.model import FileReport, Problem, SourceRef, Story
from digest.parsecache import ParseCache


def test_a_parse_result_comes_back_equal_from_its_record(tmp_path: Path):
    story = Story("an-id-abcdef", None, "Title", dt.date(2025, 3, 1), "front-matter", "KABUL", ("a summary",),
                  ("one", "two \ud800 lone surrogate"), (SourceRef("x.md", 0), SourceRef("y.md", 2)),
                  "https://example.org/", "a caption", "markdown", ("economy",), ("other-id",), 7)
    undated = Story("b", "Headline", "Headline", None, None, None, (), (), (SourceRef("x.md", 1),))
    result = ([story, undated], [Problem("x.md", 3, "warning", "odd")], FileReport("x.md", "loaded", 2, None, "ab12"))
    assert pickle.dumps(load_result(dump_result(result))) == pickle.dumps(result)


def test_every_seed_article_comes_back_equal_from_its_record(tmp_path: Path):
    p = Project(tmp_path)
    for file in sorted(p.articles.iterdir()):
        result = load_file(p.articles, file, SEED_BUILD_DATE)
        assert pickle.dumps(load_result(dump_result(result))) == pickle.dumps(result)


SPOILED = {
    "truncated": lambda data: data[: len(data) // 2],
    "not marshal": lambda data: b"\x80\x05junk",
    "another shape": lambda data: marshal.dumps((1, 2)),
    "a story too short": lambda data: marshal.dumps(([("id",)], [], ("x", "loaded", 1, None, "h"))),
    "a bad date": lambda data: marshal.dumps(([("i", None, "t", -5, None, None, (), (), (), None, None, "text", (),
                                                 (), 1)], [], ("x", "loaded", 1, None, "h"))),
}


@pytest.mark.parametrize("how", sorted(SPOILED))
def test_a_spoiled_parse_record_costs_only_time(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: str):
    p = Project(tmp_path)
    p.build()
    folder = cache_dir(p.out)
    spoiled = 0
    for path in sorted(folder.glob("parse-*.pickle")):
        key, records = pickle.loads(path.read_bytes())
        path.write_bytes(pickle.dumps((key, {k: SPOILED[how](v) for k, v in records.items()})))
        spoiled += len(records)
    fresh_process(p)
    jobs = parse_jobs(monkeypatch)
    p.check()
    assert jobs[0] == spoiled  # every spoiled file parsed again
    p.check()


def test_a_parse_cache_of_another_python_is_not_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    p = Project(tmp_path)
    p.build()
    monkeypatch.setattr("sys.version", "2.7.18 (elsewhere)")
    fresh_process(p)
    jobs = parse_jobs(monkeypatch)
    p.check()
    assert jobs[0] == len(list(p.articles.iterdir()))


def test_loading_without_a_cache_gives_the_cached_result(tmp_path: Path):
    p = Project(tmp_path)
    p.build()
    cached = load_paths([p.articles], SEED_BUILD_DATE,
                        cache=ParseCache(cache_dir(p.out), SEED_BUILD_DATE.isoformat(), MAX_FILE_BYTES))
    assert pickle.dumps(cached) == pickle.dumps(load_paths([p.articles], SEED_BUILD_DATE, workers=1))
