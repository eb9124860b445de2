"""Dedupe stage: collapse repeated stories, link related coverage. (Placeholder until issue 3.)"""

from __future__ import annotations

from dataclasses import dataclass

from digest.model import Story


@dataclass(frozen=True, slots=True)
class DedupeResult:
    stories: tuple[Story, ...]


def dedupe(stories: tuple[Story, ...]) -> DedupeResult:
    return DedupeResult(stories)
