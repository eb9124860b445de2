"""The site's machine-readable files: Atom feeds, the sitemap, the search index and the build report.

Part of the render stage; every function is pure and every output is sorted, so the same inputs
give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from digest.cache import read_pickle, write_pickle
from digest.serialize import problem_dict

if TYPE_CHECKING:  # only for annotations: importing this module (publish does) stays cheap
    import jinja2
    from markupsafe import Markup

    from digest.config import SiteConfig, Topic
    from digest.dedupe import MergeRecord
    from digest.model import LoadResult, Story

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
SEARCH_TEXT_LIMIT = 3000  # characters of body text per story in the search index


@dataclass(frozen=True, slots=True)
class OutputFile:
    path: str  # relative to the output folder, "/"-separated
    data: bytes


def xml_safe(text: str) -> str:
    """Drop the control characters that HTML and XML forbid (a pasted form feed would break a feed)."""
    return _CONTROL.sub("", text)


def _stamp(day: dt.date, config: SiteConfig) -> str:
    return dt.datetime.combine(day, dt.time(0), tzinfo=zoneinfo.ZoneInfo(config.timezone)).isoformat()


def atom_feed(
    template: jinja2.Template,
    path: str,
    title: str,
    subtitle: str,
    stories: Sequence[Story],
    config: SiteConfig,
    today: dt.date,
    body_html: Callable[[Story], Markup | None],
) -> OutputFile:
    """An Atom feed of the newest stories (timeline order: dated newest first, then undated)."""
    chosen = list(stories[: config.feed_entries])
    dates = [s.date for s in chosen if s.date is not None]
    entries = [
        {"story": s, "updated": _stamp(s.date or today, config), "body_html": body_html(s)}
        for s in chosen
    ]
    xml = template.render(
        config=config, title=title, subtitle=subtitle, feed_url=config.base_url + path, entries=entries,
        updated=_stamp(max(dates) if dates else today, config),
    )
    return OutputFile(path, xml_safe(xml).encode("utf-8"))


def sitemap(template: jinja2.Template, pages: Sequence[str], by_id: Mapping[str, Story], config: SiteConfig) -> OutputFile:
    urls = []
    for path in sorted(pages):
        story = by_id.get(path.removeprefix("stories/").removesuffix(".html")) if path.startswith("stories/") else None
        urls.append({"loc": config.base_url + path, "lastmod": story.date.isoformat() if story and story.date else None})
    return OutputFile("sitemap.xml", template.render(urls=urls).encode("utf-8"))


_SEARCH_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def search_entry(story: Story, topic_names: Mapping[str, str]) -> str:
    """One story's document in the search index, as JSON."""
    body = " ".join(story.body)
    doc = {
        "id": story.id,
        "url": story.url,
        "title": story.title,
        "date": story.date.isoformat() if story.date else "",
        "text": " ".join((*story.summary, story.dateline or "", body[:SEARCH_TEXT_LIMIT])),
        "topics": " ".join(topic_names[t] for t in story.topics if t in topic_names),
    }
    # "<" escaped: the text is data for textContent, and can then never close a script element.
    return _SEARCH_JSON(doc).replace("<", "\\u003c")


def search_file(entries: Sequence[str]) -> OutputFile:
    return OutputFile("search-data.js", f"window.SEARCH_DOCS = [{','.join(entries)}];\n".encode())


def search_index(
    story_at: Callable[[int], Story], digests: Sequence[str], topics: Mapping[str, Topic], cache: tuple[str, Path] | None
) -> OutputFile:
    """The search index documents of the stories `story_at(0)`, `story_at(1)`, … (one per digest) as a script
    (`window.SEARCH_DOCS = [...]`: a script tag loads from file:// too). The entries of stories unchanged since
    the last time are taken from `cache` (a code version and a file) by the stories' `digests` (each determines its
    story, id included): encoding 10,000 entries costs more than the digests, which a rebuild has anyway from
    checking the story pages. Only the stories whose entry is not there are asked for."""
    names = {slug: topic.name for slug, topic in topics.items()}
    version = (cache[0] if cache else "", sorted(names.items()))
    stored = read_pickle(cache[1], None) if cache else None
    known = stored[1] if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == version else {}
    entries: dict[str, str] = {}
    for i, digest in enumerate(digests):  # (ids are unique, so are the digests)
        entries[digest] = known.get(digest) or search_entry(story_at(i), names)
    if cache and entries.keys() != known.keys():
        write_pickle(cache[1], (version, entries))
    return search_file(list(entries.values()))


def build_report(loaded: LoadResult, stories: Sequence[Story], merges: Sequence[MergeRecord], today: dt.date) -> OutputFile:
    """What happened to every input file: loaded, merged (all its stories folded into others), rejected or skipped."""
    return build_report_file(build_report_data(loaded, stories, merges, today))


def build_report_file(data: Mapping[str, Any]) -> OutputFile:
    """`build-report.json` from `build_report_data`: one line per top-level key and per entry of a top-level list
    (a file, a merge, a problem), so it reads and diffs well; each line is encoded by json's C encoder (an
    indented dump goes through its pure-Python one, 4x slower at 10,000 files)."""

    dump = json.JSONEncoder(ensure_ascii=False, sort_keys=True).encode  # one encoder: dumps() makes one per call
    lines = []
    for key in sorted(data):
        value = data[key]
        if isinstance(value, list) and value:
            entries = ",\n  ".join(dump(entry) for entry in value)
            lines.append(f" {dump(key)}: [\n  {entries}\n ]")
        else:
            lines.append(f" {dump(key)}: {dump(value)}")
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    return OutputFile("build-report.json", text.encode("utf-8"))


def build_report_data(
    loaded: LoadResult, stories: Sequence[Story], merges: Sequence[MergeRecord], today: dt.date
) -> dict[str, Any]:
    """The records of `build-report.json` (plain data: its repr is a key for the file)."""
    kept: dict[str, list[str]] = {}  # file -> ids of stories it leads
    merged: dict[str, list[str]] = {}  # file -> ids of stories it was merged into
    for story in stories:
        first, *rest = story.sources
        kept.setdefault(first.path, []).append(story.id)
        for ref in rest:
            merged.setdefault(ref.path, []).append(story.id)
    files: list[dict[str, Any]] = []
    for report in loaded.files:
        status: str = report.status
        if status == "loaded" and report.path not in kept and report.path in merged:
            status = "merged"
        files.append({
            "path": report.path,
            "status": status,
            "stories_found": report.stories,
            "stories": sorted(kept.get(report.path, [])),
            "merged_into": sorted(set(merged.get(report.path, []))),
            "reason": report.reason,
        })
    counts: dict[str, int] = {}
    for f in files:
        counts[f["status"]] = counts.get(f["status"], 0) + 1
    report_data = {
        "build_date": today.isoformat(),
        "summary": {"files": len(files), "stories": len(stories), **dict(sorted(counts.items()))},
        "files": files,
        "merges": [
            {
                "id": m.id,
                "sources": [f"{ref.path}#{ref.index}" for ref in m.sources],
                "members": list(m.members),
                "rule": m.rule,
                "similarity": round(m.similarity, 4),
            }
            for m in sorted(merges, key=lambda m: m.id)
        ],
        "problems": [problem_dict(p) for p in sorted(loaded.problems, key=lambda p: (p.path, p.line, p.level, p.message))],
    }
    return report_data
