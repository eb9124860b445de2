#!/usr/bin/env python3
"""Recall of dedupe's candidate step against exact Jaccard, on all of Reuters-21578.

    .venv/bin/python benchmarks/dedupe_recall.py

The anchors in ../shared/corpora/anchors list every pair of Reuters bodies with exact word-5-shingle
Jaccard >= 0.5 (computed by a scipy sparse product over all 19,779 bodies). This prints how many of
the pairs at >= 0.8 the candidate step finds (it must find all: its recall is that of exact Jaccard)
and how many dedupe then merges (the rest are held apart on purpose: templated reports, dates days
apart, different tickers). Exits 2 when the corpora are missing.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

from dedupe_eval import reuters_story

from digest.dedupe import CANDIDATE_CONTAINMENT, _features, dedupe, gather
from digest.dedupe.candidates import similar_pairs

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"


def main() -> int:
    truth_file = CORPORA / "anchors" / "results" / "reuters_truth_pairs.tsv"
    if not truth_file.exists():
        print(f"needs the corpora and anchors in {CORPORA}, which are missing", file=sys.stderr)
        return 2
    with gzip.open(CORPORA / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as handle:
        rows = [r for r in map(json.loads, handle) if r["body"].strip()]
    stories = tuple(reuters_story(r) for r in rows)
    ids = [r["id"] for r in rows]
    pairs = similar_pairs(gather(_features(stories, [], None)), CANDIDATE_CONTAINMENT)
    found = {frozenset((ids[a], ids[b])) for a, b in zip(pairs.a.tolist(), pairs.b.tolist(), strict=True)}
    lines = [line.split("\t") for line in truth_file.read_text().splitlines() if line.strip()]
    truth = [(int(a), int(b)) for a, b, j in lines if float(j) >= 0.8]
    hit = sum(frozenset(p) in found for p in truth)
    story_of = {ref.path: s.id for s in dedupe(stories).stories for ref in s.sources}
    merged = sum(story_of[f"reuters/{a:05d}.txt"] == story_of[f"reuters/{b:05d}.txt"] for a, b in truth)
    print(f"{len(stories)} bodies; {len(truth)} pairs at exact Jaccard >= 0.8; the candidate step finds {hit} "
          f"(recall {hit / len(truth):.4f}) among {len(found)} candidate pairs; dedupe merges {merged}, "
          f"holds {len(truth) - merged} apart by its rules")
    return 0 if hit == len(truth) else 1


if __name__ == "__main__":
    sys.exit(main())
