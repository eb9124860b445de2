"""The build, stage by stage: load -> dedupe -> classify -> render -> publish."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

from digest.classify import classify
from digest.config import ConfigError, load_config
from digest.dedupe import dedupe
from digest.load import load_paths
from digest.publish import PublishError, publish
from digest.render import render


def build(articles: Path, out: Path, config_path: Path, today: dt.date) -> int:
    if not articles.is_dir():
        print(f"digest: no articles folder at {articles}", file=sys.stderr)
        return 2
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        print(f"digest: {exc}", file=sys.stderr)
        return 2

    loaded = load_paths([articles], today)
    deduped = dedupe(loaded.stories)
    classified = classify(deduped.stories, config)
    site = render(classified, config, today, loaded, deduped.merges)
    try:
        written = publish(site.files, out)
    except (PublishError, OSError) as exc:
        print(f"digest: {exc}", file=sys.stderr)
        return 1

    problems = sum(1 for p in loaded.problems if p.level != "info")
    print(f"{site.stories} stories from {len(loaded.files)} files, {site.pages} pages, {problems} problems "
          f"(see {out / 'build-report.json'})")
    print(f"Open {(written / 'index.html').as_uri()}")
    return 0
