"""The editor's loop around the build: `check` lints the articles, `new` starts an article file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from digest.config import SiteConfig
from digest.dedupe import DedupeResult
from digest.model import LoadResult, Problem
from digest.text import slugify


def check_problems(loaded: LoadResult, deduped: DedupeResult, config: SiteConfig) -> list[Problem]:
    """Everything a build would report, plus suspected duplicates and topics the config does not know."""
    problems = list(loaded.problems)
    known = {t.slug for t in config.topics} | {slugify(t.name) for t in config.topics}
    for story in loaded.stories:
        for topic in story.topics:
            if slugify(topic) not in known:
                source = story.sources[0]
                message = f"topic '{topic}' is not in {config.source}; it gets a page of its own with no rules"
                problems.append(Problem(source.path, 1, "warning", message))
    for merge in deduped.merges:
        first, *others = merge.sources
        for other in others:
            message = (
                f"story {other.index + 1} repeats {first.path} story {first.index + 1} "
                f"({merge.rule}, similarity {merge.similarity:.2f}); they are published as one story"
            )
            problems.append(Problem(other.path, 1, "info", message))
    return sorted(problems, key=lambda p: (p.path, p.line, p.level, p.message))


def new_article(headline: str, articles: Path, today: dt.date, markdown: bool = False) -> Path:
    """Write `<date>-<slug>.txt` (or `.md`) with front matter filled; refuse to overwrite."""
    slug = slugify(headline)
    path = articles / f"{today.isoformat()}-{slug}.{'md' if markdown else 'txt'}"
    quoted = headline.replace("\\", "\\\\").replace('"', '\\"')
    hint = "Write the story below in Markdown." if markdown else "Paste the story below; the fields above override it."
    text = f'---\ntitle: "{quoted}"\ndate: {today.isoformat()}\nslug: {slug}\n# {hint}\n---\n\n'
    articles.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:  # "x": never overwrite an existing article
        handle.write(text)
    return path
