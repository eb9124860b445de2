"""The build report as a page for people: `report.html`, from the same records as `build-report.json`.

`report_data` is pure: for every file the loader saw it lists the stories found in it and what became
of each (published, merged into another story and by which rule, or never published), the file's
own fate when it was rejected or skipped, and every problem with its line. `report_page` renders it
with `templates/report.html` (the site's base layout, autoescaped like every page), which lists the
files itself up to `REPORT_PART_FILES` of them and above that links to pages of that many
(`report/N.html`, `templates/report-part.html`; a rebuild renders only those whose files changed).
The pages are not linked from the reader's pages and are kept out of the sitemap; they carry `noindex`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any, Literal

import jinja2

from digest.config import SiteConfig
from digest.dedupe import MergeRecord
from digest.feeds import OutputFile, xml_safe
from digest.model import LoadResult, Problem, SourceRef, Story, pickle_as_call

REPORT_PATH = "report.html"
Fate = Literal["published", "merged", "dropped"]


@dataclass(frozen=True, slots=True)
class StoryFate:
    """One story found in a file, and what the build did with it."""

    index: int  # 0-based position in its file (shown 1-based, as on story pages)
    line: int
    title: str
    fate: Fate
    story_id: str | None = None  # the published story it is (or was merged into)
    story_title: str | None = None
    rule: str | None = None  # for a merge: the dedupe rule and similarity that joined it
    similarity: float | None = None
    merged_with: SourceRef | None = None  # for a merge: the copy it was judged against

    __reduce__ = pickle_as_call  # its pickle keys the report's pages (see fingerprint): the fast form


@dataclass(frozen=True, slots=True)
class FileEntry:
    path: str
    status: str  # loaded, merged (every story folded into others), rejected, skipped
    reason: str | None
    stories: tuple[StoryFate, ...]
    problems: tuple[Problem, ...]

    __reduce__ = pickle_as_call


@dataclass(frozen=True, slots=True)
class ReportData:
    build_date: dt.date
    files: tuple[FileEntry, ...]
    other_problems: tuple[Problem, ...]  # problems tied to no input file
    published: int
    merged: int
    dropped: int
    file_counts: tuple[tuple[str, int], ...]  # status -> files
    problem_counts: tuple[tuple[str, int], ...]  # level -> problems


def _merge_detail(ref: SourceRef, record: MergeRecord | None) -> tuple[str | None, float | None, SourceRef | None]:
    """The rule and similarity of the judged link that joined `ref` to its group (else the group's weakest)."""
    if record is None:
        return None, None, None
    for link in record.links:
        if ref in (link.a, link.b):
            other = link.b if link.a == ref else link.a
            return link.rule, round(link.jaccard, 4), other
    return record.rule, round(record.similarity, 4), record.sources[0]


def report_inputs(loaded: LoadResult, stories: Sequence[Story], merges: Sequence[MergeRecord]) -> tuple[Any, ...]:
    """Every value of the build's records that the report's files read (`report_data` here and
    `feeds.build_report_data`), as plain values: when these are equal, so are the files. Story texts and content
    hashes are not among them, so an edit to a story's body leaves the report as it was."""
    return (
        [(f.path, f.status, f.stories, f.reason) for f in loaded.files],
        [(s.sources[0].path, s.sources[0].index, s.line, s.title) for s in loaded.stories],
        [(s.id, s.title, [(ref.path, ref.index) for ref in s.sources]) for s in stories],
        [(m.id, [(ref.path, ref.index) for ref in m.sources], m.members, m.rule, m.similarity,
          [(link.a.path, link.a.index, link.b.path, link.b.index, link.rule, link.jaccard) for link in m.links])
         for m in merges],
        [(p.path, p.line, p.level, p.message) for p in loaded.problems],
    )


def report_data(loaded: LoadResult, stories: Sequence[Story], merges: Sequence[MergeRecord], build_date: dt.date) -> ReportData:
    """Every input file with every story found in it and its fate; every problem with file and line."""
    owner: dict[SourceRef, Story] = {}
    for story in stories:
        for ref in story.sources:
            owner[ref] = story
    record_of = {m.id: m for m in merges}
    found: dict[str, list[StoryFate]] = {}
    for original in loaded.stories:
        ref = original.sources[0]
        final = owner.get(ref)
        if final is None:
            fate = StoryFate(ref.index, original.line, original.title, "dropped")
        elif final.sources[0] == ref:
            fate = StoryFate(ref.index, original.line, original.title, "published", final.id, final.title)
        else:
            rule, similarity, other = _merge_detail(ref, record_of.get(final.id))
            fate = StoryFate(ref.index, original.line, original.title, "merged", final.id, final.title, rule, similarity, other)
        found.setdefault(ref.path, []).append(fate)

    problems: dict[str, list[Problem]] = {}
    for problem in sorted(loaded.problems, key=lambda p: (p.path, p.line, p.level, p.message)):
        problems.setdefault(problem.path, []).append(problem)

    files: list[FileEntry] = []
    for report in loaded.files:
        fates = tuple(sorted(found.get(report.path, ()), key=lambda f: f.index))
        status: str = report.status
        if status == "loaded" and fates and all(f.fate == "merged" for f in fates):
            status = "merged"
        files.append(FileEntry(report.path, status, report.reason, fates, tuple(problems.pop(report.path, ()))))
    unfiled = tuple(p for path in sorted(problems) for p in problems[path])

    fates_all = [f for entry in files for f in entry.stories]
    file_counts: dict[str, int] = {}
    for entry in files:
        file_counts[entry.status] = file_counts.get(entry.status, 0) + 1
    level_counts = {level: sum(p.level == level for p in loaded.problems) for level in ("error", "warning", "info")}
    return ReportData(
        build_date=build_date,
        files=tuple(files),
        other_problems=unfiled,
        published=sum(f.fate == "published" for f in fates_all),
        merged=sum(f.fate == "merged" for f in fates_all),
        dropped=sum(f.fate == "dropped" for f in fates_all),
        file_counts=tuple(sorted(file_counts.items())),
        problem_counts=tuple(level_counts.items()),
    )


@dataclass(frozen=True, slots=True)
class ReportPart:
    """One page of the per-file listing, when the report is split (more than REPORT_PART_FILES files)."""

    path: str  # "report/3.html"
    number: int  # 1-based
    first: int  # 1-based number of its first file, in file-name order
    last: int
    first_path: str
    last_path: str


REPORT_PART_FILES = 500  # above this many files, the per-file listing is split over report/N.html pages


def report_parts(paths: Sequence[str]) -> tuple[ReportPart, ...]:
    """The parts of the listing of files with these names (in report order); none when one page holds them."""
    if len(paths) <= REPORT_PART_FILES:
        return ()
    starts = range(0, len(paths), REPORT_PART_FILES)
    return tuple(
        ReportPart(f"report/{k}.html", k, start + 1, min(start + REPORT_PART_FILES, len(paths)), paths[start],
                   paths[min(start + REPORT_PART_FILES, len(paths)) - 1])
        for k, start in enumerate(starts, 1)
    )


def report_context(data: ReportData, config: SiteConfig, today: dt.date, parts: Sequence[ReportPart] = ()) -> dict[str, Any]:
    """What `templates/report.html` is given: with `parts`, the files are listed on those pages instead."""
    summary = replace(data, files=()) if parts else data  # the page then reads nothing of the files
    return dict(root="", path=REPORT_PATH, config=config, today=today, title="Build report", report=summary,
                parts=tuple(parts), file_total=len(data.files))


def report_page(
    env: jinja2.Environment, data: ReportData, config: SiteConfig, today: dt.date, parts: Sequence[ReportPart] = ()
) -> OutputFile:
    """`report.html` at the site's root, in the site's layout."""
    html = env.get_template("report.html").render(**report_context(data, config, today, parts))
    return OutputFile(REPORT_PATH, xml_safe(html).encode("utf-8"))


def part_context(data: ReportData, part: ReportPart, parts: int, config: SiteConfig, today: dt.date) -> dict[str, Any]:
    """What `templates/report-part.html` is given: the part's own files only."""
    return dict(root="../", path=part.path, config=config, today=today, title=f"Build report: files {part.first}–{part.last}",
                part=part, part_count=parts, files=data.files[part.first - 1 : part.last])


def part_page(env: jinja2.Environment, context: dict[str, Any]) -> OutputFile:
    html = env.get_template("report-part.html").render(**context)
    return OutputFile(context["path"], xml_safe(html).encode("utf-8"))
