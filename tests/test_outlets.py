"""Pages copied from each outlet family become the expected records.

Each `tests/fixtures/outlets/NAME.txt` (or `.md`) has a sibling `NAME.json`:
`{"stories": [...], "problems": [...]}`. A story lists only the fields it checks (`index`
picks a story by its position in the file, else stories are matched in order);
`problems` are substrings that some problem's message must contain.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata
from pathlib import Path

import pytest

from digest.load import load_paths
from digest.model import Story

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "outlets"
BUILD_DATE = dt.date(2026, 11, 22)
QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
FIELDS = ("id", "headline", "title", "date_source", "dateline", "source_url", "caption", "body_format")
CASES = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".md") and p.with_suffix(".json").exists())


def norm(value: object) -> object:
    if value is None:
        return None
    if isinstance(value, (list, tuple)):
        return [norm(v) for v in value]
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(value)).translate(QUOTES)).strip()


def check_story(story: Story, expected: dict[str, object], where: str) -> None:
    for name in FIELDS:
        if name in expected:
            assert norm(getattr(story, name)) == norm(expected[name]), f"{where}: {name}"
    if "date" in expected:
        assert (story.date.isoformat() if story.date else None) == expected["date"], f"{where}: date"
    for name in ("summary", "body", "topics"):
        if name in expected:
            assert norm(list(getattr(story, name))) == norm(expected[name]), f"{where}: {name}"
    if "title_startswith" in expected:
        assert story.title.startswith(str(expected["title_startswith"])), f"{where}: title"
    assert story.title.strip()


@pytest.mark.parametrize("path", CASES, ids=[p.name for p in CASES])
def test_outlet_fixture(path: Path) -> None:
    expected = json.loads(path.with_suffix(".json").read_text(encoding="utf-8"))
    result = load_paths([path], BUILD_DATE)
    stories = list(result.stories)
    wanted = expected["stories"]
    if any("index" in w for w in wanted):
        by_index = {s.sources[0].index: s for s in stories}
        assert sorted(by_index) == sorted(w["index"] for w in wanted), "stories found"
        pairs = [(by_index[w["index"]], w) for w in wanted]
    else:
        assert len(stories) == len(wanted), f"{len(stories)} stories: {[s.title for s in stories]}"
        pairs = list(zip(stories, wanted, strict=True))
    for k, (story, want) in enumerate(pairs):
        check_story(story, want, f"{path.name} story {k}")
    messages = [p.message for p in result.problems]
    for fragment in expected.get("problems", []):
        assert any(fragment in m for m in messages), f"no problem mentions {fragment!r}: {messages}"
    for problem in result.problems:
        assert problem.path == path.name and problem.line >= 0


def _records(folder: Path, name: str) -> list[Story]:
    return list(load_paths([folder / name], BUILD_DATE).stories)


def _same(a: list[Story], b: list[Story]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for name in ("headline", "date", "dateline", "summary", "body", "caption"):
            assert norm(getattr(x, name)) == norm(getattr(y, name)), name


@pytest.mark.parametrize("name", ["dawn.txt", "arabnews.txt", "reuters.txt"])
def test_bom_crlf_and_nbsp_read_like_plain_utf8(tmp_path: Path, name: str) -> None:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    (tmp_path / "plain.txt").write_bytes(text.encode("utf-8"))
    (tmp_path / "bom.txt").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    (tmp_path / "crlf.txt").write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    (tmp_path / "nbsp.txt").write_bytes(text.replace(" the ", "\u00a0the\u00a0").encode("utf-8"))
    (tmp_path / "all.txt").write_bytes(b"\xef\xbb\xbf" + text.replace(" a ", " a\u00a0").replace("\n", "\r\n").encode("utf-8"))
    plain = _records(tmp_path, "plain.txt")
    assert plain and plain[0].headline
    for variant in ("bom.txt", "crlf.txt", "nbsp.txt", "all.txt"):
        _same(plain, _records(tmp_path, variant))
    assert not plain[0].headline.startswith("\ufeff")


def test_windows_1252_is_detected_without_mojibake(tmp_path: Path) -> None:
    text = (
        "Café owners in Lahore’s Gulberg protest new “luxury” tax\n"
        "Published March 26, 2025\n"
        "LAHORE: Owners of cafés in Gulberg on Wednesday protested against a 16% “luxury” tax — "
        "levied on restaurants with air-conditioning — saying it would cost jobs.\n"
        "The Punjab Revenue Authority said the tax would raise Rs8bn a year; traders called it “unfair”.\n"
    )
    (tmp_path / "legacy.txt").write_bytes(text.replace("\n", "\r\n").encode("cp1252"))
    result = load_paths([tmp_path / "legacy.txt"], BUILD_DATE)
    (story,) = result.stories
    assert story.headline == "Café owners in Lahore’s Gulberg protest new “luxury” tax"
    assert story.date == dt.date(2025, 3, 26)
    assert story.dateline == "LAHORE"
    assert story.body[0].startswith("Owners of cafés in Gulberg")
    assert "—" in story.body[0]
    joined = " ".join((story.headline, *story.body))
    assert not any(bad in joined for bad in ("Ã", "â€", "\ufffd"))
    assert any("Windows-1252" in p.message for p in result.problems)


def test_print_edition_date_never_becomes_the_publication_date() -> None:
    (story,) = load_paths([FIXTURES / "dawn_print_only.txt"], BUILD_DATE).stories
    assert story.date is None
    (story,) = load_paths([FIXTURES / "dawn.txt"], BUILD_DATE).stories
    assert story.date == dt.date(2025, 3, 26)


def test_publication_date_beats_an_earlier_listed_update() -> None:
    (story,) = load_paths([FIXTURES / "afp.txt"], BUILD_DATE).stories
    assert (story.date, story.date_source) == (dt.date(2025, 3, 26), "published-line")


def test_no_fixture_ever_dates_a_story_today() -> None:
    result = load_paths(CASES, BUILD_DATE)
    assert all(s.date is None or s.date < BUILD_DATE for s in result.stories)
