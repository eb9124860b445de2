"""Records as JSON-ready dicts (the `inspect --json` contract and the build report)."""

from __future__ import annotations

from typing import Any

from digest.model import FileReport, Problem, Story


def story_dict(story: Story) -> dict[str, Any]:
    return {
        "id": story.id,
        "headline": story.headline,
        "title": story.title,
        "date": story.date.isoformat() if story.date else None,
        "date_source": story.date_source,
        "dateline": story.dateline,
        "summary": list(story.summary),
        "body": list(story.body),
        "body_format": story.body_format,
        "caption": story.caption,
        "source_url": story.source_url,
        "sources": [{"path": s.path, "index": s.index} for s in story.sources],
        "topics": list(story.topics),
        "related": list(story.related),
        "url": story.url,
    }


def problem_dict(problem: Problem) -> dict[str, Any]:
    return {"path": problem.path, "line": problem.line, "level": problem.level, "message": problem.message}


def file_dict(report: FileReport) -> dict[str, Any]:
    return {"path": report.path, "status": report.status, "stories": report.stories, "reason": report.reason}
