"""Load stage: a folder (or files) of pasted articles to story records, problems and a per-file account.

Every file under the folder is accounted for: loaded (with how many stories), skipped (hidden,
editor swap files, unsupported types, links out of the folder) or rejected (binary, empty,
unreadable, too large), each with its reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from pathlib import Path

from digest.cache import Stat, stat_of
from digest.load.records import dump_result, load_result
from digest.model import FileReport, Level, LoadResult, Problem, Story, changed
from digest.parsecache import ParseCache

TEXT_SUFFIXES = frozenset({".txt", ".text"})
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
MAX_FILE_BYTES = 8 * 1024 * 1024
_SWAP_SUFFIXES = (".swp", ".swo", ".swx", ".tmp", ".bak", ".orig", "~")

__all__ = ["Found", "discover", "load_file", "load_paths", "parse_bytes", "scan", "unique_ids"]


_ARTICLE_SUFFIXES = TEXT_SUFFIXES | MARKDOWN_SUFFIXES


_PLAIN = (".txt", ".text", ".md", ".markdown")  # the article suffixes as written in most names


def _skip_reason(name: str) -> str | None:
    """Why a file (by its name, without a folder) is passed over, if it is."""
    if name.endswith(_PLAIN) and name[0] not in ".#":  # the common case, decided without the rules below
        return None
    if name.startswith(".#") or (name.startswith("#") and name.endswith("#")) or name.endswith(_SWAP_SUFFIXES):
        return "editor swap or backup file"
    if name.startswith("."):
        return "hidden file"
    dot = name.rfind(".")  # _suffix(name), for a name without a folder (10,000 of them)
    if not (0 < dot < len(name) - 1 and name[dot:].lower() in _ARTICLE_SUFFIXES):
        return f"not an article file (only {', '.join(sorted(_ARTICLE_SUFFIXES))} are read)"
    return None


def _suffix(path: str) -> str:
    """PurePosixPath(path).suffix in lower case, without a path object (pathlib's is slow for 10,000 files)."""
    name = next((part for part in reversed(path.split("/")) if part not in ("", ".")), "")
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


INTERNAL_ERROR = "internal error"  # in the reason of a file the parser failed on (the fuzz tests look for it)


def parse_bytes(path: str, data: bytes, today: dt.date) -> tuple[list[Story], list[Problem], FileReport]:
    """One file's bytes to its stories: a pure function, safe on any input."""
    from digest.load.decode import decode  # here, not at the top: a build with nothing to parse never imports them
    from digest.load.parse import parse_text

    content_hash = hashlib.blake2b(data, digest_size=16).hexdigest()
    decoded = decode(data)
    if decoded.text is None:
        reason = decoded.reason or "unreadable"
        return [], [Problem(path, decoded.line, "error", reason)], FileReport(path, "rejected", 0, reason, content_hash)
    markdown = _suffix(path) in MARKDOWN_SUFFIXES
    try:
        stories, problems = parse_text(path, decoded.text, today, markdown=markdown)
    except RecursionError as exc:  # pathological input: report it, never stop the run
        reason = f"could not be parsed ({type(exc).__name__})"
        return [], [Problem(path, 1, "error", reason)], FileReport(path, "rejected", 0, reason, content_hash)
    except Exception as exc:  # a bug in the parser: one file is rejected with the reason, the build goes on
        reason = f"could not be parsed ({INTERNAL_ERROR}: {type(exc).__name__}: {exc}; please report it with the file)"
        return [], [Problem(path, 1, "error", reason)], FileReport(path, "rejected", 0, reason, content_hash)
    if decoded.encoding == "windows-1252":
        problems.insert(0, Problem(path, decoded.line, "info", "not UTF-8; read as Windows-1252"))
    if not stories:
        error = next((p.message for p in problems if p.level == "error"), None)
        if error is None and any(p.message.endswith("skipped by its front matter") for p in problems):
            return stories, problems, FileReport(path, "skipped", 0, "every story skipped by its front matter", content_hash)
        return stories, problems, FileReport(path, "rejected", 0, error or "no story found", content_hash)
    return stories, problems, FileReport(path, "loaded", len(stories), None, content_hash)


def printable(name: str) -> str:
    """A file name as text that can be written out: bytes that are not UTF-8 (which Python keeps as lone
    surrogates, and which no page, report or terminal can encode) are shown as \\xNN escapes."""
    if name.isascii():
        return name
    try:
        name.encode("utf-8")
        return name
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _relative(root: Path, file: Path | str) -> str:
    """The file's name relative to root, with '/' (string work: pathlib's is slow for 10,000 files)."""
    root_s, file_s = str(root), str(file)
    prefix = root_s if root_s.endswith(os.sep) else root_s + os.sep
    if root_s != "." and file_s.startswith(prefix):
        return printable(file_s[len(prefix) :].replace(os.sep, "/"))
    path = Path(file)
    return printable(path.relative_to(root).as_posix() if path.is_relative_to(root) else path.as_posix())


def load_file(root: Path, file: Path, today: dt.date) -> tuple[list[Story], list[Problem], FileReport]:
    rel = _relative(root, file)
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            reason = f"file too large ({size // (1024 * 1024)} MiB; the limit is {MAX_FILE_BYTES // (1024 * 1024)} MiB)"
            return [], [Problem(rel, 1, "error", reason)], FileReport(rel, "rejected", 0, reason)
        data = file.read_bytes()
    except OSError as exc:
        reason = f"unreadable: {exc.strerror or exc}"
        return [], [Problem(rel, 1, "error", reason)], FileReport(rel, "rejected", 0, reason)
    stories, problems, report = parse_bytes(rel, data, today)
    if printable(str(file)) != str(file):
        problems.insert(0, Problem(rel, 1, "warning", "the file name is not UTF-8; its odd bytes are shown as \\xNN"))
    return stories, problems, report


@dataclass(frozen=True, slots=True)
class Found:
    """The article files under a folder (paths as strings, in a stable order), the stat signature of each when
    asked for (None: it could not be taken), and a report for each file passed over."""

    files: tuple[str, ...]
    names: tuple[str, ...]  # each file's name relative to the folder, with "/" (as `_relative` gives it)
    sigs: tuple[Stat | None, ...]
    skipped: tuple[FileReport, ...]


def discover(root: Path) -> tuple[list[Path], list[FileReport]]:
    """Article files under root in a stable order, and a report for each file passed over."""
    found = scan(root)
    return [Path(f) for f in found.files], list(found.skipped)


def scan(root: Path, stat: bool = False) -> Found:
    """`discover` with paths as strings and, with `stat`, each file's signature taken in the same walk: the
    one stat a build makes of each file (before reading it, so that an edit made later changes it)."""
    root_real = Path(os.path.realpath(root))
    found: list[str] = []
    names: list[str] = []
    sigs: list[Stat | None] = []
    skipped: list[FileReport] = []

    def unreadable(exc: OSError) -> None:
        where = Path(exc.filename) if exc.filename else root
        rel = printable(where.relative_to(root).as_posix() if where.is_relative_to(root) else where.as_posix())
        skipped.append(FileReport(rel.rstrip("/") + "/", "rejected", 0, f"unreadable folder: {exc.strerror or exc}"))

    def walk(folder: str, prefix: str) -> None:  # os.scandir: its entries know their type without a stat per file
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=_name_of)
        except OSError as exc:
            unreadable(exc)
            return
        subfolders = []
        files = []
        for entry in entries:
            if not entry.is_dir(follow_symlinks=False) and not (entry.is_symlink() and _is_dir(entry.path)):
                files.append(entry)
                continue
            rel = printable(prefix + entry.name)
            if entry.name.startswith(".") or entry.name in ("__pycache__", "node_modules"):
                skipped.append(FileReport(rel + "/", "skipped", 0, "hidden folder"))
            elif entry.is_symlink():
                skipped.append(FileReport(rel + "/", "skipped", 0, "symbolic link to a folder; not followed"))
            else:
                subfolders.append((entry.path, f"{prefix}{entry.name}/"))
        for entry in files:
            reason = _skip_reason(entry.name)
            if reason is None and entry.is_symlink():
                target = Path(os.path.realpath(entry.path))
                if not target.is_relative_to(root_real):
                    reason = "symbolic link out of the articles folder; not followed"
                elif not target.is_file():
                    reason = "broken symbolic link"
            if reason is not None:
                skipped.append(FileReport(printable(prefix + entry.name), "skipped", 0, reason))
                continue
            found.append(entry.path)
            names.append(printable(prefix + entry.name))
            if stat:
                try:
                    st = entry.stat()  # follows a link, as reading the file does
                except OSError:
                    sigs.append(None)
                else:
                    sigs.append((st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        for sub in subfolders:
            walk(*sub)

    walk(str(root), "")
    return Found(tuple(found), tuple(names), tuple(sigs) if stat else (None,) * len(found), tuple(skipped))


_name_of = attrgetter("name")


def _is_dir(path: str) -> bool:
    try:
        return os.path.isdir(path)
    except OSError:
        return False


def unique_ids(stories: Iterable[Story]) -> list[Story]:
    """Stories in (file, index) order with clashing ids numbered -2, -3 … in that order."""
    return _numbered(sorted(stories, key=_place))


def _place(story: Story) -> tuple[str, int]:
    return story.sources[0].path, story.sources[0].index


def _numbered(ordered: list[Story]) -> list[Story]:
    """`unique_ids` of stories already in (file, index) order."""
    seen: set[str] = set()
    last: dict[str, int] = {}  # id -> the last number given to it: n copies cost n steps, not n * n / 2
    out = []
    for story in ordered:
        new_id, n = story.id, last.get(story.id, 1)
        while new_id in seen:
            n += 1
            new_id = f"{story.id}-{n}"
        if new_id != story.id:
            last[story.id] = n
        seen.add(new_id)
        out.append(story if new_id == story.id else changed(story, id=new_id))
    return out


PARALLEL_MIN_FILES = 200  # below this, starting processes costs more than it saves


def _default_workers() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _load_job(job: tuple[Path, Path, dt.date]) -> bytes:
    """One file's result, encoded here: the bytes travel back and go into the parse cache as they are."""
    return dump_result(load_file(*job))


def _run(jobs: list[tuple[Path, Path, dt.date]], workers: int, tick: Callable[[int], None] | None = None) -> list[bytes]:
    """Each job's encoded result, in the jobs' order: across processes for many files, else here."""
    out: list[bytes] = []
    step = max(1, len(jobs) // 100)

    def collect(results: Iterable[bytes]) -> None:
        for result in results:
            out.append(result)
            if tick is not None and len(out) % step == 0 and len(out) < len(jobs):
                tick(len(out))

    if workers > 1 and len(jobs) >= PARALLEL_MIN_FILES:
        from concurrent.futures import ProcessPoolExecutor

        try:
            with ProcessPoolExecutor(max_workers=workers) as pool:
                collect(pool.map(_load_job, jobs, chunksize=max(1, len(jobs) // (workers * 16))))
                return out
        except (OSError, RuntimeError, AssertionError):
            out.clear()  # no processes here (sandbox, daemon process): parse in this one
    collect(_load_job(job) for job in jobs)
    return out


def load_paths(
    paths: Iterable[Path],
    today: dt.date,
    workers: int | None = None,
    cache: ParseCache | None = None,
    progress: Callable[[int, int], None] | None = None,
    discovered: dict[Path, Found] | None = None,
) -> LoadResult:
    """Load folders and single files; a folder's files are named relative to it.

    Files are parsed in parallel when there are many (`workers` processes, default one per CPU);
    the result is the same, in the same order, as a serial run. With a `cache`, a file whose path
    and content hash are in it is not parsed again. `progress(done, total)` is called as files are done.
    `discovered` holds `scan(folder, stat=True)` for folders the caller has walked already.
    """
    problems_before: list[Sequence[Problem]] = []  # for each file: the problems reported before it
    reports: list[FileReport] = []
    roots: list[Path] = []  # each file's root, path (as found), name and stat signature (with a cache)
    files: list[str] = []
    names: list[str] = []
    sigs: list[Stat | None] = []
    pending: list[Problem] = []
    for path in paths:
        if discovered is not None and path in discovered:
            found = discovered[path]
            root = path
        elif path.is_dir():
            found = scan(path, stat=cache is not None)
            root = path
        elif path.exists():
            sig = stat_of(path) if cache is not None else None
            found, root = Found((str(path),), (_relative(path.parent, path),), (sig,), ()), path.parent
        else:
            pending.append(Problem(printable(path.as_posix()), 1, "error", "no such file or folder"))
            reports.append(FileReport(printable(path.as_posix()), "rejected", 0, "no such file or folder"))
            continue
        for report in found.skipped:
            quiet = report.reason in ("hidden file", "hidden folder", "editor swap or backup file")
            level: Level = "error" if report.status == "rejected" else "info" if quiet else "warning"
            message = report.reason if report.status == "rejected" else f"skipped: {report.reason}"
            pending.append(Problem(report.path, 1, level, message or "skipped"))
        reports.extend(found.skipped)
        if found.files:
            roots += [root] * len(found.files)
            files += found.files
            names += found.names
            sigs += found.sigs
            problems_before.append(pending)
            problems_before += [()] * (len(found.files) - 1)
            pending = []
    stories: list[Story] = []
    problems: list[Problem] = []
    results: list[tuple[list[Story], list[Problem], FileReport] | None] = [None] * len(files)
    if cache is not None:  # files are not read here: those the cache cannot answer are hashed where they are parsed
        for i, (file, sig) in enumerate(zip(files, sigs, strict=True)):
            h = cache.known_hash(file, sig)
            if h is not None:
                results[i] = cache.get(names[i], h, load_result)
    todo = [i for i, r in enumerate(results) if r is None]
    cached = len(files) - len(todo)
    tick = None if progress is None else (lambda n: progress(cached + n, len(files)))
    jobs = [(roots[i], Path(files[i]), today) for i in todo]
    for i, encoded in zip(todo, _run(jobs, workers or _default_workers(), tick), strict=True):
        result = results[i] = load_result(encoded)
        h, sig = result[2].content_hash, sigs[i]
        if cache is not None and h is not None:
            if sig is not None:  # taken before the file was read: a later edit changes it
                cache.record(files[i], sig, h)
            cache.put(names[i], h, encoded, result)
    if progress is not None:
        progress(len(files), len(files))
    for before, done in zip(problems_before, results, strict=True):
        assert done is not None
        file_stories, file_problems, report = done
        problems.extend(before)
        stories.extend(file_stories)
        problems.extend(file_problems)
        reports.append(report)
    problems.extend(pending)
    ordered = sorted(stories, key=_place)
    kept = _numbered(ordered)
    problems.extend(page_clashes(ordered, kept))
    return LoadResult(tuple(kept), tuple(problems), tuple(sorted(reports, key=lambda r: r.path)))


def page_clashes(ordered: list[Story], kept: list[Story]) -> list[Problem]:
    """A warning for each story that wanted the page of a different story (two files with the same `slug`).

    `kept` is `unique_ids(ordered)`. Identical copies also share an id, but deduplication merges them: no warning.
    """
    first: dict[str, Story] = {}
    out = []
    for story, renamed in zip(ordered, kept, strict=True):
        owner = first.setdefault(story.id, story)
        if owner is story or (owner.headline, owner.body) == (story.headline, story.body):
            continue
        where = f"{owner.sources[0].path} (story {owner.sources[0].index + 1})"
        out.append(Problem(story.sources[0].path, story.line, "warning",
                           f"page {story.url} is already taken by {where}; this story is published as {renamed.url}"))
    return out
