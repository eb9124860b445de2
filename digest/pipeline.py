"""The build, stage by stage: load -> dedupe -> (classify -> render -> publish)."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

from digest.dedupe import dedupe
from digest.load import load_paths
from digest.serialize import file_dict, problem_dict, story_dict


def build(articles: Path, out: Path, config: Path, today: dt.date) -> int:
    if not articles.is_dir():
        print(f"digest: no articles folder at {articles}", file=sys.stderr)
        return 2
    loaded = load_paths([articles], today)
    deduped = dedupe(loaded.stories)
    out.mkdir(parents=True, exist_ok=True)
    records = {
        "stories": [story_dict(s) for s in deduped.stories],
        "problems": [problem_dict(p) for p in loaded.problems],
        "files": [file_dict(f) for f in loaded.files],
    }
    (out / "records.json").write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"{len(deduped.stories)} stories from {len(loaded.files)} files -> {out / 'records.json'}")
    return 0
