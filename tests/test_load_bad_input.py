"""Bad input never stops a run: every file is accounted for, every problem names its file and a line."""

from __future__ import annotations

import datetime as dt
import os
import time
from pathlib import Path

import pytest
from conftest import make_unreadable

from digest.load import load_paths, parse_bytes
from digest.model import LoadResult

TODAY = dt.date(2026, 11, 22)
GOOD = (
    "Pakistan and China sign agreement on Karakoram Highway upgrade\n"
    "Published March 26, 2025\n"
    "ISLAMABAD: Pakistan and China on Wednesday signed an agreement to upgrade a section of the Karakoram Highway.\n"
)


def load(folder: Path) -> LoadResult:
    result = load_paths([folder], TODAY)
    check_accounting(folder, result)
    return result


def check_accounting(folder: Path, result: LoadResult) -> None:
    """Every entry under the folder has a file report; every problem names a file and a line."""
    reported = {f.path.rstrip("/") for f in result.files}
    for entry in folder.rglob("*"):
        rel = entry.relative_to(folder).as_posix()
        if entry.is_dir() and not entry.is_symlink():
            continue
        assert rel in reported or any(rel.startswith(r + "/") for r in reported), f"{rel} not accounted for"
    for problem in result.problems:
        assert problem.path and problem.line >= 1, problem
        assert problem.message


def report(result: LoadResult, path: str) -> tuple[str, str | None]:
    (entry,) = [f for f in result.files if f.path == path]
    return entry.status, entry.reason


def messages(result: LoadResult, path: str) -> list[str]:
    return [p.message for p in result.problems if p.path == path]


def test_binary_empty_and_nul_files_are_rejected_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "image.txt").write_bytes(bytes(range(256)) * 40)
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "blank.txt").write_bytes(b"  \n\r\n\t\n")
    (tmp_path / "nul.txt").write_bytes(GOOD.encode() + b"\0\0\0more text\n")
    result = load(tmp_path)
    assert report(result, "good.txt")[0] == "loaded"
    assert report(result, "image.txt") == ("rejected", report(result, "image.txt")[1])
    assert "binary" in (report(result, "image.txt")[1] or "")
    assert "empty" in (report(result, "empty.txt")[1] or "")
    assert "empty" in (report(result, "blank.txt")[1] or "")
    assert "NUL" in (report(result, "nul.txt")[1] or "")
    nul = [p for p in result.problems if p.path == "nul.txt"]
    assert nul[0].line == 4  # where the first NUL byte is
    assert len(result.stories) == 1


def test_invalid_utf8_is_read_as_windows_1252_and_reported(tmp_path: Path) -> None:
    (tmp_path / "legacy.txt").write_bytes(GOOD.replace("China", "Chin\xe9").encode("latin-1") + b"\xff\xfe trailing\n")
    result = load(tmp_path)
    (story,) = result.stories
    assert "Chiné" in (story.headline or "")
    assert any("Windows-1252" in m for m in messages(result, "legacy.txt"))


def test_unreadable_file_is_reported_and_the_run_goes_on(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "locked.txt").write_text(GOOD, encoding="utf-8")
    make_unreadable(monkeypatch, "locked.txt")
    result = load(tmp_path)
    status, reason = report(result, "locked.txt")
    assert status == "rejected" and "Permission denied" in (reason or "")
    assert len(result.stories) == 1


def test_unreadable_folder_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "sealed").mkdir()
    (tmp_path / "sealed" / "inside.txt").write_text(GOOD, encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path: str | os.PathLike[str] = ".") -> object:
        if Path(path).name == "sealed":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    result = load_paths([tmp_path], TODAY)
    assert len(result.stories) == 1
    assert any(p.path.startswith("sealed") and "Permission denied" in p.message for p in result.problems)
    assert any(f.path.startswith("sealed") and f.status == "rejected" for f in result.files)


def test_broken_and_unclosed_front_matter(tmp_path: Path) -> None:
    (tmp_path / "unclosed.txt").write_text("---\ntitle: Never closed\n" + GOOD, encoding="utf-8")
    (tmp_path / "broken.txt").write_text("---\ntitle: [unbalanced\ndate: 2025-03-26\n---\n" + GOOD, encoding="utf-8")
    (tmp_path / "scalar.txt").write_text("---\njust a sentence\n---\n" + GOOD, encoding="utf-8")
    (tmp_path / "badfields.txt").write_text(
        "---\ndate: someday\ntopics: {a: 1}\nskip: maybe\ncolour: red\nstories: 7\n---\n" + GOOD, encoding="utf-8"
    )
    result = load(tmp_path)
    for name in ("unclosed.txt", "broken.txt", "scalar.txt", "badfields.txt"):
        assert report(result, name)[0] == "loaded", name
    assert any("never closed" in m for m in messages(result, "unclosed.txt"))
    broken = [p for p in result.problems if p.path == "broken.txt"]
    assert any("not valid YAML" in p.message and p.line >= 2 for p in broken)
    assert any("mapping" in m for m in messages(result, "scalar.txt"))
    bad = " ".join(messages(result, "badfields.txt"))
    for word in ("'date'", "'topics'", "'skip'", "'colour'", "'stories'"):
        assert word in bad
    by_path = {s.sources[0].path: s for s in result.stories}
    assert by_path["broken.txt"].date == dt.date(2025, 3, 26)  # from the page, not the broken YAML


def test_python_object_tags_are_refused(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    (tmp_path / "evil.txt").write_text(
        f"---\ntitle: !!python/object/apply:os.system ['touch {marker}']\n---\n" + GOOD, encoding="utf-8"
    )
    (tmp_path / "evil2.md").write_text("---\n!!python/object:__main__.X {a: 1}\n---\nSome text.\n", encoding="utf-8")
    result = load(tmp_path)
    assert not marker.exists()
    assert any("not valid YAML" in m for m in messages(result, "evil.txt"))
    assert any("not valid YAML" in m for m in messages(result, "evil2.md"))
    (story,) = [s for s in result.stories if s.sources[0].path == "evil.txt"]
    assert story.headline == "Pakistan and China sign agreement on Karakoram Highway upgrade"


def test_yaml_alias_bomb_is_bounded(tmp_path: Path) -> None:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    lines += ["topics: *a9", "title: *a9", "summary: *a9"]
    (tmp_path / "bomb.txt").write_text("---\n" + "\n".join(lines) + "\n---\n" + GOOD, encoding="utf-8")
    start = time.perf_counter()
    result = load(tmp_path)
    assert time.perf_counter() - start < 5
    assert report(result, "bomb.txt")[0] == "loaded"
    assert messages(result, "bomb.txt")


def test_symlinks_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(GOOD, encoding="utf-8")
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD.replace("Karakoram", "Gwadar"), encoding="utf-8")
    (folder / "link.txt").symlink_to(outside / "secret.txt")
    (folder / "dirlink").symlink_to(outside)
    (folder / "dangling.txt").symlink_to(folder / "nowhere.txt")
    (folder / "inside.txt").symlink_to(folder / "good.txt")
    result = load(folder)
    assert report(result, "link.txt")[0] == "skipped"
    assert "not followed" in (report(result, "link.txt")[1] or "")
    assert report(result, "dirlink/")[0] == "skipped"
    assert report(result, "dangling.txt")[0] == "skipped"
    assert report(result, "inside.txt")[0] == "loaded"
    assert all("Karakoram" not in (s.headline or "") for s in result.stories)
    assert any(p.path == "link.txt" for p in result.problems)


def test_hidden_and_editor_files_are_skipped_and_reported(tmp_path: Path) -> None:
    names = [".hidden.txt", ".story.txt.swp", "story.txt~", "#story.txt#", ".#story.txt", "story.txt.bak", "notes.docx"]
    for name in names:
        (tmp_path / name).write_text(GOOD, encoding="utf-8")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.txt").write_text(GOOD, encoding="utf-8")
    result = load(tmp_path)
    assert not result.stories
    for name in names:
        assert report(result, name)[0] == "skipped", name
        assert messages(result, name), name
    assert report(result, ".git/")[0] == "skipped"


def test_folder_named_like_an_article(tmp_path: Path) -> None:
    (tmp_path / "x.txt").mkdir()
    (tmp_path / "x.txt" / "inner.txt").write_text(GOOD, encoding="utf-8")
    (tmp_path / "empty.md").mkdir()
    result = load(tmp_path)
    assert report(result, "x.txt/inner.txt")[0] == "loaded"
    assert len(result.stories) == 1


def test_missing_path_is_reported(tmp_path: Path) -> None:
    result = load_paths([tmp_path / "nope"], TODAY)
    assert not result.stories
    assert result.files[0].status == "rejected"
    assert result.problems[0].line >= 1


def test_huge_single_line_file_finishes_quickly(tmp_path: Path) -> None:
    line = "ISLAMABAD: " + "Pakistan (AP) — March 26, 2025 By Ahmed Khan/Reuters said on Wednesday (March 26) - " * 24000
    (tmp_path / "huge.txt").write_text(line[: 2 * 1024 * 1024], encoding="utf-8")
    start = time.perf_counter()
    result = load(tmp_path)
    assert time.perf_counter() - start < 5
    assert report(result, "huge.txt")[0] == "loaded"
    (story,) = result.stories
    assert story.title and len(story.title) < 100


@pytest.mark.parametrize(
    "chunk",
    ["A" * 50_000, "(" * 50_000, "By " + "Abc " * 20_000, "- " * 50_000, "1" * 50_000, "March 26, " * 5000, "a/" * 50_000],
)
def test_pathological_lines_do_not_backtrack(chunk: str) -> None:
    text = f"Headline about a pathological page\nPublished March 26, 2025\n{chunk}\n{chunk}.\n"
    start = time.perf_counter()
    stories, _, _ = parse_bytes("p.txt", text.encode(), TODAY)
    assert time.perf_counter() - start < 3
    assert stories


def test_impossible_dates_are_not_dates_and_are_reported(tmp_path: Path) -> None:
    (tmp_path / "feb30.txt").write_text(
        "Budget talks stall over petroleum levy\nPublished February 30, 2025\n"
        "ISLAMABAD: Talks between the government and its coalition partners on the budget stalled over a proposed levy.\n",
        encoding="utf-8",
    )
    result = load(tmp_path)
    (story,) = result.stories
    assert story.date is None
    feb = [p for p in result.problems if p.path == "feb30.txt"]
    assert any("February 30, 2025" in p.message and p.line == 2 for p in feb)
    assert any("undated" in p.message for p in feb)


def test_impossible_date_in_a_labelled_part_of_a_stamp_is_reported(tmp_path: Path) -> None:
    (tmp_path / "xinhua.txt").write_text(
        "China and Pakistan sign a new trade pact\nSource: Feb 30, 2025| 2025-03-26 21:05:30|Editor: huaxia\n"
        "BEIJING, March 26 (Xinhua) -- China and Pakistan signed a trade pact on Wednesday, officials said.\n",
        encoding="utf-8",
    )
    result = load(tmp_path)
    (story,) = result.stories
    assert story.date == dt.date(2025, 3, 26)
    assert [p.line for p in result.problems if "'Feb 30, 2025' is not a real date" in p.message] == [2]


def test_the_same_stamp_in_two_files_is_reported_at_each_files_line(tmp_path: Path) -> None:
    # Short lines are classified once per process: each file must still get its own line numbers.
    stamp, body = "Published February 30, 2025", "ISLAMABAD: Talks on the budget between the coalition partners stalled.\n"
    (tmp_path / "a.txt").write_text(f"Budget talks stall over levy\n{stamp}\n{body}", encoding="utf-8")
    (tmp_path / "b.txt").write_text(f"Budget talks stall over levy\n\nShare\n{stamp}\n{body}", encoding="utf-8")
    result = load(tmp_path)
    lines = {p.path: p.line for p in result.problems if "is not a real date" in p.message}
    assert lines == {"a.txt": 2, "b.txt": 4}
    assert {s.sources[0].path: s.line for s in result.stories} == {"a.txt": 1, "b.txt": 1}


def test_future_dates_are_not_taken(tmp_path: Path) -> None:
    (tmp_path / "future.txt").write_text(
        "Election commission announces schedule\nPublished March 26, 2031\n"
        "ISLAMABAD: The Election Commission of Pakistan announced the schedule for the general elections.\n",
        encoding="utf-8",
    )
    result = load(tmp_path)
    (story,) = result.stories
    assert story.date is None
    assert any("after the build date" in p.message for p in result.problems)
