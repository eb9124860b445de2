"""The build cache under stress: stat signatures that lie or tell the truth, damaged or foreign cache files,
a cache deleted under a long-lived process, edits made while a rebuild reads. Every build's output must equal
a clean build's, byte for byte (see test_incremental.py)."""

from __future__ import annotations

import ast
import datetime as dt
import os
import pickle
import shutil
from pathlib import Path

import pytest
from conftest import SEED_BUILD_DATE
from test_incremental import Project, tree

import digest.cache
import digest.load
import digest.parsecache
from digest.cache import cache_dir


def fresh_process(p: Project) -> None:
    """Forget what the project's builds kept of the cache in memory, as a new process would."""
    p.memory = digest.cache.Memory()


def parse_jobs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the files each build hands to the parser (appends one number per call)."""
    counts: list[int] = []
    real = digest.load._run

    def counting(jobs, workers, tick=None):  # type: ignore[no-untyped-def]
        counts.append(len(jobs))
        return real(jobs, workers, tick)

    monkeypatch.setattr(digest.load, "_run", counting)
    return counts


def test_a_file_touched_but_not_changed_is_a_no_change_build(tmp_path: Path):
    p = Project(tmp_path)
    p.build()
    story = p.articles / "story-0004.md"
    later = story.stat().st_mtime_ns + 5_000_000_000
    os.utime(story, ns=(later, later))
    again = p.build()
    assert (again.rendered, again.written, again.removed) == (0, 0, 0)
    assert tree(p.out) == p.clean()


@pytest.mark.parametrize("how", ["in place", "renamed over"])
def test_a_file_rewritten_with_the_same_size_and_mtime_is_read_again(tmp_path: Path, monkeypatch, how: str):
    """Stat signatures are trusted here even when fresh: only the inode and the ctime tell the new content."""
    monkeypatch.setattr(digest.parsecache, "trusted", lambda sig, recorded_at_ns: sig is not None)
    p = Project(tmp_path)
    p.build()
    story = p.articles / "story-0006.md"
    before = story.stat()
    text = story.read_text(encoding="utf-8")
    new = text.replace("Paragraph two", "Paragraph TWO")
    assert len(new.encode()) == before.st_size and new != text
    if how == "in place":
        story.write_text(new, encoding="utf-8")
    else:
        (p.articles / ".swap").write_text(new, encoding="utf-8")
        os.replace(p.articles / ".swap", story)
    os.utime(story, ns=(before.st_atime_ns, before.st_mtime_ns))
    p.check()
    page = next((p.out / "stories").glob("report-6-*.html")).read_text(encoding="utf-8")
    assert "Paragraph TWO" in page


def damage(folder: Path, how: str) -> None:
    for path in sorted(folder.rglob("*.pickle")):  # with those beside the compiled templates
        if how == "garbage":
            path.write_bytes(b"\x80\x05not a pickle at all")
        elif how == "empty":
            path.write_bytes(b"")
        elif how == "foreign":
            path.write_bytes(pickle.dumps(("someone else's", {1: 2}, [3])))
        elif how == "damaged records" and path.name.startswith("parse-"):  # the right key, each record spoiled
            value = pickle.loads(path.read_bytes())
            path.write_bytes(pickle.dumps((value[0], {k: b"\x80\x05junk" for k in value[1]})))


@pytest.mark.parametrize("how", ["garbage", "empty", "foreign", "damaged records"])
@pytest.mark.parametrize("process", ["same", "new"])
def test_damaged_or_foreign_cache_files_cost_only_time(tmp_path: Path, how: str, process: str):
    p = Project(tmp_path)
    p.build()
    story = p.articles / "story-0002.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nOne more line.\n", encoding="utf-8")
    damage(cache_dir(p.out), how)
    if process == "new":
        fresh_process(p)
    p.check()
    p.check()


def test_a_cache_deleted_under_a_long_lived_process_is_written_again_whole(tmp_path: Path, monkeypatch):
    """The second build takes every parse result from this process's memory, and must still write them all."""
    p = Project(tmp_path)
    p.build()
    shutil.rmtree(cache_dir(p.out))
    p.check()
    fresh_process(p)
    jobs = parse_jobs(monkeypatch)
    story = p.articles / "story-0008.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nA late addition.\n", encoding="utf-8")
    p.check()
    assert jobs[0] == 1  # the edited file only: the others came from the cache written after the deletion


def test_an_article_edited_while_a_rebuild_parses_it_is_rebuilt_next_time(tmp_path: Path, monkeypatch):
    p = Project(tmp_path)
    p.build()
    victim = p.articles / "story-0003.md"
    victim.write_text(victim.read_text(encoding="utf-8").replace("Paragraph two", "First edit"), encoding="utf-8")
    real = digest.load.load_file
    edited: list[Path] = []

    def load_then_edit(root: Path, file: Path, today: dt.date):  # type: ignore[no-untyped-def]
        result = real(root, file, today)
        if file == victim and not edited:
            victim.write_text(victim.read_text(encoding="utf-8").replace("First edit", "Second edit"), encoding="utf-8")
            edited.append(file)
        return result

    monkeypatch.setattr(digest.load, "load_file", load_then_edit)
    p.build()
    assert edited
    page = next((p.out / "stories").glob("report-3-*.html"))
    assert "First edit" in page.read_text(encoding="utf-8")
    again = p.build()
    assert again.rendered > 0
    assert "Second edit" in next((p.out / "stories").glob("report-3-*.html")).read_text(encoding="utf-8")
    assert tree(p.out) == p.clean()


def test_a_spare_left_changing_by_a_killed_build_is_made_afresh(tmp_path: Path, monkeypatch):
    import digest.pipeline

    p = Project(tmp_path)
    p.build()
    p.build()
    (cache_dir(p.out) / f"spare-{p.out.name}.changing").touch()  # as a build killed while publishing leaves it
    spares: list[object] = []
    real = digest.pipeline.publish_incremental

    def spy(files, out, staging, kept=(), live=None, spare=None):  # type: ignore[no-untyped-def]
        if out == p.out:
            spares.append(spare)
        return real(files, out, staging, kept, live, spare)

    monkeypatch.setattr(digest.pipeline, "publish_incremental", spy)
    story = p.articles / "story-0001.md"
    story.write_text(story.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    p.check()
    assert spares == [None]
    assert not (cache_dir(p.out) / f"spare-{p.out.name}.changing").exists()
    story.write_text(story.read_text(encoding="utf-8") + "\nAnd more.\n", encoding="utf-8")
    p.check()
    assert spares[1] is not None  # recorded again by the build that made it


def test_scan_names_files_as_the_loader_does(tmp_path: Path):
    root = tmp_path / "articles"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / ".hidden").mkdir()
    for rel in ["a.txt", "B.TXT", "c.md", "sub/d.text", "sub/deeper/e.markdown", "x.pdf", ".h.txt", "f.txt~", "#g.txt#"]:
        (root / rel).write_text("Headline\n\nBody text.\n", encoding="utf-8")
    odd = os.fsencode(str(root / "sub")) + b"/caf\xe9.txt"  # not UTF-8
    with open(odd, "wb") as f:
        f.write(b"Headline\n\nBody.\n")
    found = digest.load.scan(root, stat=True)
    files, skipped = digest.load.discover(root)
    assert [str(f) for f in files] == list(found.files)
    assert list(found.skipped) == skipped
    assert list(found.names) == [digest.load._relative(root, f) for f in files]
    assert "sub/caf\\xe9.txt" in found.names
    assert found.sigs == tuple(digest.cache.stat_of(f) for f in files)
    assert digest.load.scan(root).sigs == (None,) * len(files)


def test_a_build_from_a_relative_folder_names_files_as_from_an_absolute_one(tmp_path: Path, monkeypatch):
    p = Project(tmp_path)
    p.build()
    monkeypatch.chdir(p.articles)
    relative = digest.load.load_paths([Path(".")], SEED_BUILD_DATE)
    assert relative == digest.load.load_paths([p.articles], SEED_BUILD_DATE)


def test_the_parse_cache_key_covers_every_module_the_loader_imports() -> None:
    """A parse result depends on the loader's code and on what it imports of the package (the story record, the
    text helpers that make ids): a change to any of them must invalidate the parse cache."""
    imported: set[str] = set()
    for source in (digest.cache.PACKAGE / "load").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("digest."):
                imported.add(node.module.split(".")[1])
    not_parsing = {"load", "cache", "parsecache"}  # the loader itself; the caches read no text
    covered = {part.removesuffix(".py") for part in digest.parsecache.LOADER_CODE}
    assert imported - not_parsing <= covered, imported - not_parsing - covered
    version = digest.cache.code_version
    assert version("text.py") != version("model.py") != version("load")


def test_a_memory_keeps_one_site_and_its_subfolders(tmp_path: Path) -> None:
    """A long-lived process's memory of cache files holds one site's cache folder, subfolders included; a file of
    another folder makes it forget the first (it never serves one site's records to another)."""
    memory = digest.cache.Memory()
    site, other = tmp_path / "site" / ".digest-cache", tmp_path / "other" / ".digest-cache"
    (site / "templates").mkdir(parents=True)
    other.mkdir(parents=True)
    assert digest.cache.write_pickle(site / "a.pickle", "a", keep=memory)
    assert digest.cache.write_pickle(site / "templates" / "b.pickle", "b", keep=memory)
    assert str(site / "a.pickle") in memory.files  # still there after a write into a subfolder
    assert digest.cache.write_pickle(other / "c.pickle", "c", keep=memory)
    assert set(memory.files) == {str(other / "c.pickle")}


def test_after_a_build_that_rewrote_every_page_the_spare_is_the_live_site_again(tmp_path: Path) -> None:
    """The spare folder holds the site the next build starts from. After a build that changed most files (here a new
    site title, on every page) it is linked afresh to the new site, so that the next build, which may change one
    page, does not first have to bring every file of it up to date."""
    p = Project(tmp_path)
    p.build()
    p.config.write_text(p.config.read_text(encoding="utf-8").replace("title:", "title: New", 1), encoding="utf-8")
    p.build()
    spare = cache_dir(p.out) / f"spare-{p.out.name}"
    live = {f.relative_to(p.out): f.stat().st_ino for f in p.out.rglob("*") if f.is_file()}
    assert {f.relative_to(spare): f.stat().st_ino for f in spare.rglob("*") if f.is_file()} == live
