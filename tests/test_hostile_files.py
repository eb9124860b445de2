"""Hostile files through a whole build, beyond tests/test_load_bad_input.py (which covers binary, empty,
NUL, invalid UTF-8, unreadable files and folders, broken front matter, python tags, the alias bomb,
symlinks out, hidden and swap files, a folder named x.txt, a 2 MB single line and February 30 in a
pasted page).

Here: a 50 MB file (bounded time and memory, a clear problem), Windows-1252 punctuation, unusual file
names (spaces, non-ASCII, ~250 bytes, a newline, bytes that are not UTF-8) that still give working
pages, two stories that want the same page (neither overwrites the other), impossible dates in front
matter, and a folder of all of it where every input is accounted for in build-report.json.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import time
import tracemalloc
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
from conftest import ROOT, make_unreadable

from digest.load import MAX_FILE_BYTES, load_paths
from digest.pipeline import build

TODAY = dt.date(2026, 11, 22)
CONFIG = ROOT / "digest.yaml"


def article(n: int, topic: str = "highway") -> str:
    """A pasted page that differs from every other n (never merged as a copy)."""
    return (
        f"Pakistan and China sign agreement number {n} on the {topic}\n"
        f"Published March {1 + n % 28}, 2025\n"
        f"ISLAMABAD: Pakistan and China signed agreement number {n} on the {topic}, officials said, "
        f"covering section {n * 7} and budget line {n * 13} of the {topic} programme.\n"
        f"The {topic} work under agreement {n} starts in quarter {n % 4 + 1}, with {n * 3} engineers.\n"
    )


def run_build(articles: Path, out: Path) -> dict[str, Any]:
    result = build(articles, out, CONFIG, TODAY)
    assert result.code == 0, result.error
    report: dict[str, Any] = json.loads((out / "build-report.json").read_text(encoding="utf-8"))
    return report


def entry(report: dict[str, Any], path: str) -> dict[str, Any]:
    (found,) = [f for f in report["files"] if f["path"] == path]
    return found


def problems_of(report: dict[str, Any], path: str) -> list[str]:
    return [p["message"] for p in report["problems"] if p["path"] == path]


def headline(page: Path) -> str:
    (h1,) = re.findall(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"))
    return str(h1)


def broken_links(out: Path) -> list[tuple[str, str]]:
    """Relative links in every page that do not lead to a file of the site."""
    broken = []
    for page in out.rglob("*.html"):
        for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            parts = urlsplit(href)
            if parts.scheme or href.startswith(("#", "//")) or not parts.path:
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file() or not target.is_relative_to(out.resolve()):
                broken.append((page.relative_to(out).as_posix(), href))
    return broken


# --- size ---------------------------------------------------------------------------------------


def test_a_50_mb_file_is_refused_quickly_without_reading_it(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "good.txt").write_text(article(1), encoding="utf-8")
    chunk = article(2).encode() * 64
    with (articles / "huge.txt").open("wb") as f:
        for _ in range(50 * 1024 * 1024 // len(chunk) + 1):
            f.write(chunk)
    assert (articles / "huge.txt").stat().st_size >= 50 * 1024 * 1024
    tracemalloc.start()
    start = time.perf_counter()
    try:
        report = run_build(articles, tmp_path / "out")
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seconds < 10
    assert peak < 30 * 1024 * 1024, f"peak {peak / 2**20:.0f} MiB: the 50 MB file was read"
    huge = entry(report, "huge.txt")
    assert huge["status"] == "rejected"
    assert "too large" in huge["reason"] and "8 MiB" in huge["reason"]
    assert any("too large" in m for m in problems_of(report, "huge.txt"))
    assert entry(report, "good.txt")["status"] == "loaded"


def test_a_file_just_under_the_limit_is_read_in_bounded_time(tmp_path: Path) -> None:
    page = "".join(article(n) + "\n" for n in range(200)).encode()
    data = page * (MAX_FILE_BYTES // len(page))
    assert MAX_FILE_BYTES - len(page) < len(data) <= MAX_FILE_BYTES
    (tmp_path / "big.txt").write_bytes(data)
    start = time.perf_counter()
    result = load_paths([tmp_path], TODAY)
    assert time.perf_counter() - start < 30
    assert result.files[0].status == "loaded" and len(result.stories) > 20_000


def test_thousands_of_copies_of_one_page_in_one_file_load_in_linear_time(tmp_path: Path) -> None:
    page = article(3).encode()
    (tmp_path / "repeated.txt").write_bytes(page * (2 * 1024 * 1024 // len(page)))  # 6,786 copies of one story
    start = time.perf_counter()
    result = load_paths([tmp_path], TODAY)
    assert time.perf_counter() - start < 4  # was 8 s: numbering the clashing ids was quadratic
    assert len({s.id for s in result.stories}) == len(result.stories) > 6000


# --- encodings and names ------------------------------------------------------------------------


def test_windows_1252_punctuation_is_read(tmp_path: Path) -> None:
    text = "\u201cTalks resume\u201d \u2014 Pakistan and China\u2019s \u20ac5m deal\nPublished March 26, 2025\n" \
           "ISLAMABAD: The \u201chighway\u201d deal \u2014 worth \u20ac5m \u2026 was signed on Wednesday.\n"
    (tmp_path / "legacy.txt").write_bytes(text.encode("cp1252"))
    result = load_paths([tmp_path], TODAY)
    (story,) = result.stories
    assert story.title == "\u201cTalks resume\u201d \u2014 Pakistan and China\u2019s \u20ac5m deal"
    assert any("Windows-1252" in p.message for p in result.problems)


UNUSUAL_NAMES = [
    "with spaces in the name.txt",
    "  leading and trailing spaces  .txt",
    "Ünïcödé — Karachi 東京 مرحبا.txt",
    unicodedata.normalize("NFD", "café décomposé.txt"),
    "x" * 246 + ".txt",  # 250 bytes: near the file system's limit of 255
    "é" * 123 + ".md",  # 250 bytes in UTF-8, 125 characters
    "new\nline and\ttab.txt",
    "-rf --help.txt",
    "100% #hash ?query &amp; 'quote\" <b>.txt",
    "folder with space/inner ünï.txt",
]


def test_unusual_file_names_build_into_working_pages(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    names = [*UNUSUAL_NAMES]
    for n, name in enumerate(names):
        (articles / name).parent.mkdir(parents=True, exist_ok=True)
        (articles / name).write_text(article(10 + n), encoding="utf-8")
    raw = os.fsencode(articles) + b"/bytes \xff\xfe not utf-8.txt"  # a name that is no text at all
    with open(raw, "wb") as f:
        f.write(article(40).encode())
    out = tmp_path / "out"
    report = run_build(articles, out)

    for name in [*names, "bytes \\xff\\xfe not utf-8.txt"]:
        found = entry(report, name)
        assert found["status"] == "loaded", found
        (story_id,) = found["stories"]
        page = out / "stories" / f"{story_id}.html"
        assert re.fullmatch(r"[a-z0-9-]+", story_id) and page.is_file()
        html = page.read_text(encoding="utf-8")
        shown = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&#34;").replace("'", "&#39;")
        assert shown in html, name  # "Found in <name>", escaped
    assert any("not UTF-8" in m for m in problems_of(report, "bytes \\xff\\xfe not utf-8.txt"))
    assert broken_links(out) == []
    assert len(list((out / "stories").iterdir())) == len(names) + 1


# --- one page, two stories ----------------------------------------------------------------------


def test_two_stories_with_the_same_slug_both_get_a_page(tmp_path: Path) -> None:
    articles = tmp_path / "articles"
    articles.mkdir()
    for n, name in enumerate(["a.md", "b.md", "c.txt"]):
        (articles / name).write_text(f"---\nslug: Same Page\ntitle: Story {name}\n---\n" + article(50 + n), encoding="utf-8")
    # a story whose own id another file's slug takes
    (articles / "d.txt").write_text(article(60), encoding="utf-8")
    first = run_build(articles, tmp_path / "probe")
    (d_id,) = entry(first, "d.txt")["stories"]
    (articles / "e.md").write_text(f"---\nslug: {d_id}\ntitle: Thief\n---\nA different story altogether, about wheat.\n",
                                   encoding="utf-8")
    out = tmp_path / "out"
    report = run_build(articles, out)

    pages = {}
    for name in ["a.md", "b.md", "c.txt", "d.txt", "e.md"]:
        found = entry(report, name)
        assert found["status"] == "loaded", found
        (story_id,) = found["stories"]
        pages[name] = out / "stories" / f"{story_id}.html"
    assert len(set(pages.values())) == 5  # nobody overwrote anybody
    assert pages["a.md"].name == "same-page.html"
    for name in ["a.md", "b.md", "c.txt"]:
        assert headline(pages[name]) == f"Story {name}"
    assert headline(pages["e.md"]) == "Thief"
    assert headline(pages["d.txt"]) == "Pakistan and China sign agreement number 60 on the highway"
    for name in ["b.md", "c.txt"]:
        assert any("stories/same-page.html is already taken by a.md" in m for m in problems_of(report, name)), name
    assert any(f"stories/{d_id}.html is already taken by d.txt" in m for m in problems_of(report, "e.md"))
    assert not problems_of(report, "a.md") and not problems_of(report, "d.txt")


def test_identical_copies_with_one_slug_are_merged_not_reported(tmp_path: Path) -> None:
    for name in ["a.md", "b.md"]:
        (tmp_path / "articles").mkdir(exist_ok=True)
        (tmp_path / "articles" / name).write_text("---\nslug: copy\n---\n" + article(70), encoding="utf-8")
    report = run_build(tmp_path / "articles", tmp_path / "out")
    statuses = sorted(entry(report, n)["status"] for n in ["a.md", "b.md"])
    assert statuses == ["loaded", "merged"]
    assert not any("already taken" in p["message"] for p in report["problems"])


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2025-02-30", "2025-13-01", "0000-01-01", "2025-02-29", "2025-04-31 10:00:00", "'2025-02-30'"])
def test_impossible_front_matter_dates_never_stop_the_build(tmp_path: Path, value: str) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "bad.md").write_text(f"---\ntitle: Bad date\ndate: {value}\n---\nBody of the story.\n",
                                                  encoding="utf-8")
    (tmp_path / "articles" / "good.txt").write_text(article(80), encoding="utf-8")
    report = run_build(tmp_path / "articles", tmp_path / "out")
    bad = entry(report, "bad.md")
    assert bad["status"] == "loaded"
    assert any("is not a real date" in m for m in problems_of(report, "bad.md"))
    assert any("undated" in m for m in problems_of(report, "bad.md"))
    assert "Bad date" in (tmp_path / "out" / "stories" / f"{bad['stories'][0]}.html").read_text(encoding="utf-8")


# --- the account --------------------------------------------------------------------------------


def test_every_input_is_accounted_for_in_the_build_report(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text(article(90), encoding="utf-8")
    a = tmp_path / "articles"
    a.mkdir()
    expect: dict[str, str] = {}  # path in the report -> status

    def put(name: str, data: bytes | str, status: str) -> None:
        (a / name).parent.mkdir(parents=True, exist_ok=True)
        (a / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expect[name] = status

    put("good.txt", article(91), "loaded")
    put("copy of good.txt", article(91), "merged")
    put("two stories.txt", article(92) + "\n\n" + article(93), "loaded")
    put("legacy.txt", article(94).replace("officials", "\u201cofficials\u201d").encode("cp1252"), "loaded")
    put("empty.txt", b"", "rejected")
    put("blank.md", b"\n  \n", "rejected")
    put("binary.txt", bytes(range(256)) * 8, "rejected")
    put("nul.txt", article(95).encode() + b"\0", "rejected")
    put("broken utf-16.txt", b"\xff\xfe" + b"\x00\xd8", "rejected")
    put("only furniture.txt", "Share\nFollow\nAdvertisement\n", "rejected")
    put("all skipped.txt", "---\nskip: true\n---\n" + article(96), "skipped")
    put("bad front matter.md", "---\ntitle: [unclosed\n---\nBody text here.\n", "loaded")
    put("python tag.md", "---\ntitle: !!python/object/apply:os.system ['true']\n---\nPython tag body.\n", "loaded")
    put("impossible date.md", "---\ndate: 2025-02-30\n---\nImpossible date body.\n", "loaded")
    put("slug clash 1.md", "---\nslug: same\n---\nOne body.\n", "loaded")
    put("slug clash 2.md", "---\nslug: same\n---\nAnother body.\n", "loaded")
    put("escape.md", "---\nslug: ../../../etc/passwd\n---\nEscape body.\n", "loaded")
    put(".hidden.txt", article(97), "skipped")
    put(".swap.txt.swp", article(97), "skipped")
    put("backup.txt~", article(97), "skipped")
    put("notes.docx", article(97), "skipped")
    put("image.png", b"\x89PNG\r\n\x1a\n" + bytes(100), "skipped")
    put("locked.txt", article(98), "rejected")
    put("folder.txt/inner.txt", article(99), "loaded")
    put("deep/er/still/deeper.md", "# Deep heading\n\nDeep body.\n", "loaded")
    with (a / "huge.txt").open("wb") as f:
        f.truncate(50 * 1024 * 1024)
    expect["huge.txt"] = "rejected"
    (a / ".git").mkdir()
    (a / ".git" / "config.txt").write_text(article(100), encoding="utf-8")
    expect[".git/"] = "skipped"
    (a / "link out.txt").symlink_to(outside)
    expect["link out.txt"] = "skipped"
    (a / "dangling.txt").symlink_to(a / "nowhere.txt")
    expect["dangling.txt"] = "skipped"
    (a / "link in.txt").symlink_to(a / "good.txt")
    expect["link in.txt"] = "merged"
    (a / "linked folder").symlink_to(tmp_path, target_is_directory=True)
    expect["linked folder/"] = "skipped"
    with open(os.fsencode(a) + b"/odd \xe9 name.txt", "wb") as f:
        f.write(article(101).encode())
    expect["odd \\xe9 name.txt"] = "loaded"

    make_unreadable(monkeypatch, "locked.txt")
    out = tmp_path / "site" / "out"
    report = run_build(a, out)

    got = {f["path"]: f["status"] for f in report["files"]}
    copies = ["good.txt", "copy of good.txt", "link in.txt"]  # one leads, which one depends on content order only
    assert sorted(got.pop(name) for name in copies) == ["loaded", "merged", "merged"]
    assert got == {k: v for k, v in expect.items() if k not in copies}
    for f in report["files"]:
        assert f["status"] in ("loaded", "merged", "rejected", "skipped")
        if f["status"] in ("rejected", "skipped"):
            assert f["reason"], f
            assert not f["stories"] and not f["merged_into"], f
        elif f["status"] == "loaded":
            assert f["stories"], f
        else:
            assert f["merged_into"] and not f["stories"], f
    assert report["summary"]["files"] == len(expect)
    assert sum(report["summary"].get(s, 0) for s in ("loaded", "merged", "rejected", "skipped")) == len(expect)
    # Every story on the site comes from a file the report lists as loaded or merged, and every page exists.
    on_site = {s for f in report["files"] for s in f["stories"]} | {s for f in report["files"] for s in f["merged_into"]}
    assert on_site == {p.stem for p in (out / "stories").iterdir()}
    assert report["summary"]["stories"] == len(on_site)
    # Every rejected or skipped file says why in the problems too (hidden and swap files quietly, as info).
    for path, status in expect.items():
        if status in ("rejected", "skipped") and path != "all skipped.txt":
            assert problems_of(report, path), path
    assert not (tmp_path / "etc").exists() and not Path("/etc/passwd.html").exists()
    assert broken_links(out) == []
