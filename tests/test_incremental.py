"""Incremental builds: after any change, the output equals a clean build's, byte for byte.

Each step changes the inputs (edit, add, delete, rename an article; change digest.yaml; override a
template; change nothing), rebuilds over the previous output with its cache, builds the same inputs
from scratch elsewhere, and compares the two output trees whole.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ARTICLES, ROOT, SEED_BUILD_DATE

from digest.cache import Memory, cache_dir
from digest.pipeline import BuildResult, build

CONFIG = ROOT / "digest.yaml"


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def synthetic(n: int, folder: Path, salt: str = "") -> None:
    """n small Markdown articles over several months (so the timeline splits into month pages)."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        day = dt.date(2025, 1, 1) + dt.timedelta(days=(i * 7) % 300)
        topic = ("Pakistan's economy and the IMF loan" if i % 3 == 0 else "crypto exchange Binance talks")
        (folder / f"story-{i:04d}.md").write_text(
            f'---\ntitle: "Report {i} on {topic}{salt}"\ndate: {day.isoformat()}\n---\n\n'
            f"ISLAMABAD: Item {i} says officials met on {day:%A} about {topic}. {salt}\n\n"
            f"Paragraph two of story {i} with its own words, number {i * 13} and place {i % 17}.\n",
            encoding="utf-8",
        )


class Project:
    """A project folder (config, articles, maybe templates) built incrementally into public/."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.articles = root / "articles"
        self.config = root / "digest.yaml"
        self.out = root / "site" / "public"
        shutil.copytree(ARTICLES, self.articles)
        synthetic(40, self.articles)
        text = CONFIG.read_text(encoding="utf-8")
        self.config.write_text(text + "\ntimeline_split: 20\n" if "timeline_split" not in text else text, encoding="utf-8")
        self.clean_runs = 0
        self.memory = Memory()  # as `digest serve` does: each build takes the cache files unchanged from memory

    def build(self) -> BuildResult:
        result = build(self.articles, self.out, self.config, SEED_BUILD_DATE, memory=self.memory)
        assert result.code == 0, result.error
        return result

    def clean(self) -> dict[str, bytes]:
        self.clean_runs += 1
        out = self.root / f"clean{self.clean_runs}" / "public"
        result = build(self.articles, out, self.config, SEED_BUILD_DATE)
        assert result.code == 0, result.error
        return tree(out)

    def check(self) -> BuildResult:
        result = self.build()
        assert tree(self.out) == self.clean()
        return result


def test_incremental_output_equals_clean_build_after_every_kind_of_change(tmp_path: Path):
    p = Project(tmp_path)
    first = p.check()
    assert first.written == len(tree(p.out))
    total = len(tree(p.out))

    again = p.check()  # nothing changed
    assert (again.rendered, again.written, again.removed) == (0, 0, 0)

    story = p.articles / "story-0005.md"
    story.write_text(story.read_text(encoding="utf-8").replace("Paragraph two", "Paragraph two, corrected,"), "utf-8")
    edited = p.check()
    assert 0 < edited.written < total // 3, edited  # its page, neighbours, its month, home, feeds, search, report
    assert edited.rendered < total // 3

    (p.articles / "story-0007.md").unlink()
    deleted = p.check()
    assert deleted.removed >= 1
    assert not any(name.startswith("stories/report-7-") for name in tree(p.out))

    (p.articles / "story-0009.md").rename(p.articles / "renamed-0009.md")
    p.check()

    synthetic(3, p.articles / "new", salt=" (added)")
    p.check()

    p.config.write_text(p.config.read_text(encoding="utf-8").replace("title:", "title: New", 1), encoding="utf-8")
    retitled = p.check()
    assert retitled.written >= retitled.pages  # the title is on every page

    p.config.write_text(p.config.read_text(encoding="utf-8").replace("name: Pakistan–Afghanistan",
                                                                     "name: Pakistan and Afghanistan"), encoding="utf-8")
    p.check()  # a topic's name is in the search index entries a rebuild reuses
    assert "Pakistan and Afghanistan" in (p.out / "search-data.js").read_text(encoding="utf-8")

    (p.root / "templates").mkdir()
    (p.root / "templates/story.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Custom: {{ story.title }}</h1>{% endblock %}', encoding="utf-8")
    custom = p.check()
    assert "Custom:" in (p.out / "stories" / next(n for n in (p.out / "stories").iterdir()).name).read_text("utf-8")
    assert custom.written >= custom.stories

    (p.root / "templates/story.html").unlink()
    p.check()
    last = p.check()
    assert (last.rendered, last.written) == (0, 0)


def test_hand_edits_to_the_output_are_repaired(tmp_path: Path):
    p = Project(tmp_path)
    p.build()
    page = next((p.out / "stories").iterdir())
    page.write_text("tampered", encoding="utf-8")
    (p.out / "stray.html").write_text("stray", encoding="utf-8")
    p.build()  # the stray file of the hand edit goes too: the output is only what the build makes
    p.build()
    assert tree(p.out) == p.clean()


def test_deleting_the_cache_gives_a_clean_build(tmp_path: Path):
    p = Project(tmp_path)
    p.build()
    shutil.rmtree(cache_dir(p.out))
    p.check()
    p.check()


def test_a_second_build_at_once_fails_fast_naming_the_lock(tmp_path: Path):
    p = Project(tmp_path)
    p.build()
    before = tree(p.out)
    lock = cache_dir(p.out) / "public.lock"
    holder = subprocess.Popen(  # another process holds the lock, as a running build does
        [sys.executable, "-c", "import sys, time\nfrom digest.cache import BuildLock\n"
         f"with BuildLock(__import__('pathlib').Path({str(lock)!r})):\n    print('held', flush=True); time.sleep(60)"],
        stdout=subprocess.PIPE, cwd=ROOT)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"held\n"
        result = build(p.articles, p.out, p.config, SEED_BUILD_DATE)
    finally:
        holder.kill()
        holder.wait()
    assert result.code == 1
    assert result.error is not None and "public.lock" in result.error and "another build" in result.error
    assert tree(p.out) == before
    p.check()


@pytest.mark.parametrize("err", ["ENOSPC", "EROFS"])
def test_full_disk_or_read_only_output_leaves_the_old_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, err: str):
    import errno

    p = Project(tmp_path)
    p.build()
    before = tree(p.out)
    story = p.articles / "story-0003.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nA new last line.\n", encoding="utf-8")
    import digest.publish

    real = digest.publish._write
    calls = {"n": 0}

    def failing(path: str, data: bytes) -> tuple[int, int, int, int]:
        calls["n"] += 1
        if calls["n"] > 1 and p.out.parent in Path(path).parents:
            raise OSError(getattr(errno, err), "simulated", path)
        return real(path, data)

    monkeypatch.setattr(digest.publish, "_write", failing)  # every file publish writes goes through it
    result = build(p.articles, p.out, p.config, SEED_BUILD_DATE)
    assert result.code == 1
    assert result.error is not None
    assert ("disk is full" if err == "ENOSPC" else "read-only") in result.error
    assert "previous site is unchanged" in result.error
    assert tree(p.out) == before
    monkeypatch.undo()
    p.check()  # and the next build recovers


def test_read_only_output_folder(tmp_path: Path):
    import os

    if os.geteuid() == 0:
        pytest.skip("root writes to read-only folders; the simulated EROFS test covers this")
    p = Project(tmp_path)
    p.build()
    before = tree(p.out)
    (p.articles / "story-0001.md").unlink()
    os.chmod(p.out.parent, 0o555)
    try:
        result = build(p.articles, p.out, p.config, SEED_BUILD_DATE)
    finally:
        os.chmod(p.out.parent, 0o755)
    assert result.code == 1 and result.error
    assert tree(p.out) == before


def test_pages_and_topics_made_across_processes_equal_those_made_in_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    import digest.forkmap

    articles = tmp_path / "articles"
    synthetic(60, articles)
    monkeypatch.setattr(digest.forkmap, "cpus", lambda: 1)
    assert build(articles, tmp_path / "one" / "public", CONFIG, SEED_BUILD_DATE).code == 0
    monkeypatch.setattr(digest.forkmap, "cpus", lambda: 2)
    monkeypatch.setattr(digest.forkmap, "MIN_ITEMS", 1)
    assert build(articles, tmp_path / "two" / "public", CONFIG, SEED_BUILD_DATE).code == 0
    assert tree(tmp_path / "two" / "public") == tree(tmp_path / "one" / "public")


def test_an_article_edited_while_a_first_build_parses_it_is_rebuilt_next_time(tmp_path: Path, monkeypatch):
    """A first build hashes each file where it parses it; the edit lands after that read, so the site shows the
    old text, and the next build must see the file as changed (not take the no-change path)."""
    import digest.load as load

    p = Project(tmp_path)
    victim = p.articles / "story-0003.md"
    original_load_file = load.load_file
    edited: list[Path] = []

    def load_then_edit(root: Path, file: Path, today: dt.date):  # type: ignore[no-untyped-def]
        result = original_load_file(root, file, today)
        if file == victim and not edited:
            text = victim.read_text(encoding="utf-8")
            victim.write_text(text.replace("Paragraph two", "Edited paragraph two"), encoding="utf-8")
            edited.append(file)
        return result

    monkeypatch.setattr(load, "load_file", load_then_edit)  # 43 files: parsed in this process
    p.build()
    assert edited
    page = next(f for f in (p.out / "stories").glob("report-3-*.html"))
    assert "Edited paragraph two" not in page.read_text(encoding="utf-8")
    again = p.build()
    assert again.rendered > 0
    assert "Edited paragraph two" in next(f for f in (p.out / "stories").glob("report-3-*.html")).read_text(encoding="utf-8")
