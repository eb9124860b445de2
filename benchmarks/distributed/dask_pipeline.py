#!/usr/bin/env python3
"""Load and dedupe on a Dask cluster with the pipeline's own stage functions, checked against one machine.

A proof for docs/scaling.md, not part of the build. Dask stays out of the default install:

    python3 -m venv /tmp/dask-venv
    /tmp/dask-venv/bin/pip install -e /work/main 'dask[distributed]'
    .venv/bin/python benchmarks/make_articles.py 10000 /tmp/nd-art-10k     # never commit these
    /tmp/dask-venv/bin/python benchmarks/distributed/dask_pipeline.py /tmp/nd-art-10k --workers 2

What runs where (P = partitions of files, S = shingle buckets):
  load      a dask.bag of file paths; each partition reads the bytes and maps `parse_bytes`
  ids       clashing story ids numbered as the loader does: a group-by on the id (only the id,
            path and index travel)
  features  per partition, `tokenize` + the word 5-shingle hashes of `features.shingles`
  df        shuffle 1: (shingle hash, story) postings to S buckets by hash; df per shingle
  prefix    shuffle 2: the shared shingles (df > 1) back to their story's partition; each story
            keeps its |x| - ceil(0.8|x|) + 1 rarest ones (the prefix filter of `candidates`)
  join      shuffle 3: prefix tokens to the shingle buckets, joined with the postings there
  verify    shuffle 4: candidate pairs to the smaller story's partition and then the other's,
            exact shingle overlap; pairs with containment >= 0.8 are edges
  groups    edges gathered (small) and joined into connected components; each component's
            stories are shuffled together and `dedupe()` runs on each component as it stands
  related   rare names (df over final stories <= the cap of `related`) shuffled by name, pairs
            summed by a group-by on the pair, as `related_pairs` does in one process

It then runs `load_paths` + `dedupe` in one process on the same folder and compares stories,
merged groups, held-apart pairs and related links. Exit 0 when they agree, 1 when not, 2 when the
input or Dask is missing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import sys
import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np

from digest.dedupe import DedupeResult, dedupe
from digest.dedupe.features import _P, _SHORT_SALT, K, story_text, tokenize
from digest.dedupe.related import MAX_DAYS_APART, MAX_DF_CAP, MAX_DF_SHARE, MIN_DF_CAP, MIN_SHARE, MIN_SHARED
from digest.dedupe.rules import CANDIDATE_CONTAINMENT
from digest.load import discover, load_paths, parse_bytes
from digest.model import SourceRef, Story

try:
    import dask
    import dask.bag as db
    from dask.distributed import Client, LocalCluster
except ImportError:  # the message in main() is the point
    dask = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
CORPORA = ROOT.parent / "shared" / "corpora"
HOW = (
    "  python3 -m venv /tmp/dask-venv && /tmp/dask-venv/bin/pip install -e /work/main 'dask[distributed]'\n"
    "  .venv/bin/python benchmarks/make_articles.py 10000 /tmp/nd-art-10k\n"
    "  /tmp/dask-venv/bin/python benchmarks/distributed/dask_pipeline.py /tmp/nd-art-10k"
)

U64 = np.uint64
Key = tuple[SourceRef, ...]  # a story (or merged group) is named by its sources


# --- stage functions run on the workers -------------------------------------------------------


def load_part(jobs: Sequence[tuple[str, str]], today: dt.date) -> list[Story]:
    """Read and parse one partition of files: (name relative to the folder, path to read)."""
    out: list[Story] = []
    for rel, path in jobs:
        stories, _problems, _report = parse_bytes(rel, Path(path).read_bytes(), today)
        out.extend(stories)
    return out


def shingle_postings(stories: Sequence[Story], first_doc: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (shingle hash, story number) postings and each story's set size, as `features.shingles` hashes them."""
    tok = tokenize([story_text(s.body) for s in stories])
    h, doc, m = tok.hashes, tok.doc, len(tok.hashes)
    parts_h: list[np.ndarray] = []
    parts_d: list[np.ndarray] = []
    if m >= K:
        w = h[: m - K + 1].copy()
        for k in range(1, K):
            w = w * _P + h[k : m - K + 1 + k]
        valid = np.flatnonzero(doc[: m - K + 1] == doc[K - 1 :])
        parts_h.append(w[valid])
        parts_d.append(doc[valid])
    for d in np.flatnonzero((tok.length > 0) & (tok.length < K)).tolist():  # a body of 1-4 tokens is one shingle
        acc = int(_SHORT_SALT)
        for value in h[int(tok.start[d]) : int(tok.start[d] + tok.length[d])].tolist():
            acc = (acc * int(_P) + value) & 0xFFFFFFFFFFFFFFFF
        parts_h.append(np.array([acc], dtype=U64))
        parts_d.append(np.array([d], dtype=np.int64))
    hs = np.concatenate(parts_h) if parts_h else np.zeros(0, U64)
    ds = np.concatenate(parts_d) if parts_d else np.zeros(0, np.int64)
    pairs = np.unique(np.stack([ds.astype(U64), hs], axis=1), axis=0) if len(hs) else np.zeros((0, 2), U64)
    docs = pairs[:, 0].astype(np.int64)
    size = np.bincount(docs, minlength=len(stories)).astype(np.int64)
    return pairs[:, 1], docs + first_doc, size


def split(key: np.ndarray, parts: int, *columns: np.ndarray) -> list[tuple[np.ndarray, ...]]:
    """Columns cut into `parts` pieces by key (the map side of a shuffle)."""
    where = (key % U64(parts)).astype(np.int64) if key.dtype == U64 else np.asarray(key, dtype=np.int64)
    return [tuple(c[where == j] for c in columns) for j in range(parts)]


def concat(pieces: Sequence[tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """The reduce side of a shuffle: one bucket's pieces from every mapper."""
    return tuple(np.concatenate(cols) for cols in zip(*pieces, strict=True))


def shared_df(bucket: tuple[np.ndarray, ...]) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """In a shingle bucket: postings of shingles held by more than one story, and (story, shingle, df) for them."""
    h, doc, size = bucket
    order = np.lexsort((doc, h))
    h, doc, size = h[order], doc[order], size[order]
    _, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)
    df = counts[inverse]
    keep = df > 1
    return (h[keep], doc[keep], size[keep]), (doc[keep], h[keep], df[keep])


def prefixes(shared: tuple[np.ndarray, ...], first_doc: int, size: np.ndarray, c: float) -> tuple[np.ndarray, ...]:
    """In a story partition: each story's prefix, its rarest shared shingles (df, then hash).

    Shingles only one story holds come first in every prefix and meet nothing, so they only use up
    places, as in `candidates._unit_pairs`; any fixed order gives the same pairs, rarity keeps them few.
    """
    doc, h, df = shared
    order = np.lexsort((h, df, doc))
    doc, h = doc[order], h[order]
    local = doc - first_doc
    n_shared = np.bincount(local, minlength=len(size))
    prefix_len = size - np.ceil(c * size - 1e-9).astype(np.int64) + 1
    slots = prefix_len - (size - n_shared)
    first = np.r_[0, np.cumsum(n_shared)[:-1]]
    rank = np.arange(len(doc)) - first[local]
    keep = rank < slots[local]
    return h[keep], doc[keep], size[local[keep]]


def join_prefixes(prefix: tuple[np.ndarray, ...], postings: tuple[np.ndarray, ...]) -> tuple[np.ndarray, np.ndarray]:
    """In a shingle bucket: stories x (by a prefix shingle) and y (holding it), x the smaller of the two."""
    ph, px, psize = prefix
    h, doc, size = postings  # sorted by hash
    lo, hi = np.searchsorted(h, ph, "left"), np.searchsorted(h, ph, "right")
    counts = hi - lo
    at = np.repeat(lo, counts) + (np.arange(int(counts.sum())) - np.repeat(np.cumsum(counts) - counts, counts))
    xs, xsize = np.repeat(px, counts), np.repeat(psize, counts)
    ys, ysize = doc[at], size[at]
    smaller = (xsize < ysize) | ((xsize == ysize) & (xs < ys))
    pairs = np.unique(np.stack([xs[smaller], ys[smaller]], axis=1), axis=0) if smaller.any() else np.zeros((0, 2), np.int64)
    return pairs[:, 0], pairs[:, 1]


def route(items: Sequence[tuple[int, int, np.ndarray]], owner: np.ndarray) -> list[list[tuple[int, int, np.ndarray]]]:
    """Records (x, y, x's set) cut by the partition that holds y."""
    out: list[list[tuple[int, int, np.ndarray]]] = [[] for _ in range(len(owner) + 1)]
    for record in items:
        out[int(np.searchsorted(owner, record[1], side="right"))].append(record)
    return out


def chain(pieces: Iterable[list[Any]]) -> list[Any]:
    return [r for piece in pieces for r in piece]


def sets_of(h: np.ndarray, doc: np.ndarray, first_doc: int, n: int) -> list[np.ndarray]:
    order = np.argsort(doc, kind="stable")
    return np.split(h[order], np.cumsum(np.bincount(doc[order] - first_doc, minlength=n))[:-1])


def attach_x(pairs: tuple[np.ndarray, ...], post: tuple[np.ndarray, ...], first_doc: int,
             n: int) -> list[tuple[int, int, np.ndarray]]:
    sets = sets_of(post[0], post[1], first_doc, n)
    return [(x, y, sets[x - first_doc]) for x, y in zip(pairs[0].tolist(), pairs[1].tolist(), strict=True)]


def overlap_y(items: Iterable[tuple[int, int, np.ndarray]], post: tuple[np.ndarray, ...], first_doc: int, n: int,
              c: float) -> list[tuple[int, int, float]]:
    sets = sets_of(post[0], post[1], first_doc, n)
    out = []
    for x, y, set_x in items:
        both = len(np.intersect1d(set_x, sets[y - first_doc], assume_unique=True))
        if both / len(set_x) >= c - 1e-12:
            out.append((x, y, both / len(set_x)))
    return out


def dedupe_components(members: Sequence[tuple[int, Story]]) -> list[tuple[tuple[Key, ...], DedupeResult]]:
    """`dedupe()` on each component (its stories in input order) as it stands.

    Its rare-name pass is switched off here: names are rare or not across the whole archive, so
    that pass runs over all final stories below. What stays is what one component decides alone:
    merges, held-apart pairs, and similar texts linked as related.
    """
    by_comp: dict[int, list[Story]] = defaultdict(list)
    for comp, story in members:
        by_comp[comp].append(story)
    out = []
    with mock.patch("digest.dedupe.related_pairs", lambda *_: []):
        for stories in by_comp.values():
            stories.sort(key=lambda s: (s.sources[0].path, s.sources[0].index))
            result = dedupe(stories)
            out.append((tuple(s.sources for s in result.stories), result))
    return out


def tag(part: Sequence[Story], first_doc: int, comp: dict[int, int]) -> list[tuple[int, Story]]:
    """The stories of a partition that belong to a component, with its label."""
    return [(comp[first_doc + i], s) for i, s in enumerate(part) if first_doc + i in comp]


def order(key: Key) -> tuple[tuple[str, int], ...]:
    return tuple((r.path, r.index) for r in key)


def name_postings(part: Sequence[Story], first_doc: int, gid_of: dict[SourceRef, int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (name hash, final story number) in a partition: capitalised tokens without digits, as `related`.

    A story that was merged counts for the story it was merged into; any other keeps its own number.
    """
    tok = tokenize([story_text(s.body) for s in part])
    names = tok.capital & ~tok.digit
    gid = np.array([gid_of.get(s.sources[0], first_doc + i) for i, s in enumerate(part)], dtype=np.int64)
    pairs = np.unique(np.stack([tok.hashes[names], gid[tok.doc[names]].astype(U64)], axis=1), axis=0)
    return pairs[:, 0], pairs[:, 1].astype(np.int64)


def rare_names(bucket: tuple[np.ndarray, ...], cap: int, n_groups: int) -> tuple[tuple[np.ndarray, ...], tuple[np.ndarray, ...]]:
    """In a name bucket: (story, idf) for each rare name a story holds, and (a, b, idf) for each pair sharing one."""
    term, gid = bucket  # the copies of one story may sit in different partitions: one (name, story) each
    both = np.unique(np.stack([term, gid.astype(U64)], axis=1), axis=0)
    term, gid = both[:, 0], both[:, 1].astype(np.int64)
    _, inverse, df = np.unique(term, return_inverse=True, return_counts=True)
    rare = df[inverse] <= cap
    idf = np.log((n_groups + 1) / df[inverse])
    pa: list[np.ndarray] = [np.zeros(0, np.int64)]
    pb: list[np.ndarray] = [np.zeros(0, np.int64)]
    pw: list[np.ndarray] = [np.zeros(0)]
    starts = np.r_[0, np.cumsum(df)[:-1]]
    for k in np.unique(df[(df > 1) & (df <= cap)]).tolist():
        at = starts[df == k]
        block = gid[at[:, None] + np.arange(k)]
        i, j = np.triu_indices(k, 1)
        pa.append(block[:, i].ravel())
        pb.append(block[:, j].ravel())
        pw.append(np.repeat(idf[at], len(i)))
    return (gid[rare], idf[rare]), (np.concatenate(pa), np.concatenate(pb), np.concatenate(pw))


def sum_pairs(bucket: tuple[np.ndarray, ...]) -> tuple[np.ndarray, ...]:
    """In a pair bucket: how many rare names each pair of stories shares, and their summed weight."""
    a, b, w = bucket
    if len(a) == 0:
        return a, b, a, w
    pairs, inverse, counts = np.unique(np.stack([a, b], axis=1), axis=0, return_inverse=True, return_counts=True)
    return pairs[:, 0], pairs[:, 1], counts, np.bincount(inverse.ravel(), weights=w, minlength=len(pairs))


# --- the run ----------------------------------------------------------------------------------


def timed(label: str, clock: dict[str, float], start: float) -> float:
    now = time.perf_counter()
    clock[label] = now - start
    return now


def run_dask(folder: Path, today: dt.date, client: Any, parts: int, buckets: int) -> dict[str, Any]:
    c = CANDIDATE_CONTAINMENT
    clock: dict[str, float] = {}
    t = t0 = time.perf_counter()
    files, _skipped = discover(folder)
    jobs = [(f.relative_to(folder).as_posix(), str(f)) for f in files]

    # load: a map over files
    stories = db.from_sequence(jobs, npartitions=parts).map_partitions(load_part, today)
    stories = client.persist(stories)
    # ids: clashing ids numbered in (file, index) order, as the loader does
    ids = stories.map(lambda s: (s.id, (s.sources[0].path, s.sources[0].index)))
    clashes = ids.groupby(lambda r: r[0]).filter(lambda g: len(g[1]) > 1).compute()
    renames: dict[tuple[str, int], str] = {}
    for story_id, rows in clashes:
        for n, (_, where) in enumerate(sorted(rows, key=lambda r: r[1])[1:], start=2):
            renames[where] = f"{story_id}-{n}"
    stories = client.persist(stories.map(
        lambda s: replace(s, id=renames[(s.sources[0].path, s.sources[0].index)])
        if (s.sources[0].path, s.sources[0].index) in renames else s))
    part_list = stories.to_delayed()
    parts = len(part_list)
    lengths = dask.compute(*[dask.delayed(len)(p) for p in part_list])
    first = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int64).tolist()
    t = timed("load + ids", clock, t)

    # features, then shuffle 1 by shingle hash
    feats = [dask.delayed(shingle_postings, nout=3)(p, f) for p, f in zip(part_list, first, strict=True)]
    feats = client.persist(feats)
    owner = np.asarray(first[1:], dtype=np.int64)

    def by_owner(doc: np.ndarray) -> np.ndarray:
        return np.searchsorted(owner, doc, side="right")

    # (each posting carries its story's set size)
    mapped = [dask.delayed(lambda f, fd: split(f[0], buckets, f[0], f[1], f[2][f[1] - fd]))(f, fd)
              for f, fd in zip(feats, first, strict=True)]
    bucket = [dask.delayed(concat)([m[j] for m in mapped]) for j in range(buckets)]
    dfs = client.persist([dask.delayed(shared_df, nout=2)(b) for b in bucket])
    # shuffle 2: shared shingles with their df back to each story's partition; prefixes there
    back = [dask.delayed(lambda s: split(by_owner(s[1][0]), parts, *s[1]))(d) for d in dfs]
    pre = [dask.delayed(prefixes)(dask.delayed(concat)([b[i] for b in back]), first[i], feats[i][2], c)
           for i in range(len(part_list))]
    # shuffle 3: prefix shingles to the shingle buckets, joined with the postings there
    pre_split = [dask.delayed(lambda p: split(p[0], buckets, *p))(p) for p in pre]
    pairs = [dask.delayed(join_prefixes)(dask.delayed(concat)([p[j] for p in pre_split]), dfs[j][0]) for j in range(buckets)]
    # shuffle 4: to x's partition (attach x's set), then y's (exact overlap)
    to_x = [dask.delayed(lambda p: split(by_owner(p[0]), parts, *p))(p) for p in pairs]
    with_x = [dask.delayed(attach_x)(dask.delayed(concat)([s[i] for s in to_x]), feats[i], first[i], lengths[i])
              for i in range(len(part_list))]
    to_y = [dask.delayed(route)(w, owner) for w in with_x]
    edges_parts = [dask.delayed(overlap_y)(dask.delayed(chain)([s[i] for s in to_y]),
                                           feats[i], first[i], lengths[i], c) for i in range(len(part_list))]
    edges_done, volume = dask.compute(edges_parts, {
        "postings": [dask.delayed(len)(f[0]) for f in feats],
        "shared postings": [dask.delayed(len)(d[0][0]) for d in dfs],
        "prefix tokens": [dask.delayed(len)(p[0]) for p in pre],
        "candidate pairs": [dask.delayed(len)(p[0]) for p in pairs],
    })
    edges = [e for part in edges_done for e in part]
    t = timed("candidates + verify", clock, t)

    # groups: connected components of the edges (small: gathered here), dedupe() per component
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for x, y, _ in edges:
        parent[find(x)] = find(y)
    comp = {d: find(d) for d in parent}
    comp_f = client.scatter(comp, broadcast=True)
    tagged = db.from_delayed([dask.delayed(tag)(p, f, comp_f) for p, f in zip(part_list, first, strict=True)])
    grouped = tagged.groupby(lambda r: r[0]).map(lambda g: [(g[0], s) for _, s in g[1]])
    results = grouped.map_partitions(lambda gs: dedupe_components([r for g in gs for r in g])).compute()
    t = timed("components + dedupe", clock, t)

    # final stories: singletons keep their story number; those from components are numbered after them
    n_docs = sum(lengths)
    gid_of: dict[SourceRef, int] = {}
    key_of: dict[int, Key] = {}
    days_of: dict[int, float] = {}
    merged, held, related_inside = [], [], []
    for _, result in results:
        for story in result.stories:
            gid = n_docs + len(key_of)
            key_of[gid] = story.sources
            days_of[gid] = story.date.toordinal() if story.date else math.nan
            gid_of.update((ref, gid) for ref in story.sources)
        ids = {s.id: s.sources for s in result.stories}
        merged += [m.sources for m in result.merges]
        held += [frozenset((h.a, h.b)) for h in result.held_apart]
        related_inside += [frozenset((s.sources, ids[r])) for s in result.stories for r in s.related if r in ids]
    n_groups = n_docs - len(comp) + len(key_of)
    t = timed("final stories", clock, t)

    # related: rare names (df over final stories <= cap) by name bucket, pairs summed by pair bucket
    cap = max(MIN_DF_CAP, min(MAX_DF_CAP, math.floor(MAX_DF_SHARE * n_groups)))
    gid_f = client.scatter(gid_of, broadcast=True)
    names = [dask.delayed(name_postings, nout=2)(p, f, gid_f) for p, f in zip(part_list, first, strict=True)]
    names_split = [dask.delayed(lambda t: split(t[0], buckets, *t))(t) for t in names]
    rare = [dask.delayed(rare_names, nout=2)(dask.delayed(concat)([x[j] for x in names_split]), cap, n_groups)
            for j in range(buckets)]
    pair_split = [dask.delayed(lambda r: split(r[1][0] % buckets, buckets, *r[1]))(r) for r in rare]
    sums = [dask.delayed(sum_pairs)(dask.delayed(concat)([x[j] for x in pair_split])) for j in range(buckets)]
    weights, summed = dask.compute([r[0] for r in rare], sums)
    total = np.zeros(n_docs + len(key_of))
    for gid, w in weights:
        total += np.bincount(gid, weights=w, minlength=len(total))
    singles = stories.map_partitions(lambda p, g: [(s.sources, s.date.toordinal() if s.date else math.nan)
                                                   for s in p if s.sources[0] not in g], gid_f).compute()
    singles_iter = iter(singles)
    for d in range(n_docs):  # the partitions come back in order: story numbers of the stories not in a component
        if d not in comp:
            key_of[d], days_of[d] = next(singles_iter)
    related = set(related_inside)
    for a_s, b_s, n_s, w_s in summed:
        for a, b, n, w in zip(a_s.tolist(), b_s.tolist(), n_s.tolist(), w_s.tolist(), strict=True):
            gap = abs(days_of[a] - days_of[b])
            if n >= MIN_SHARED and w / max(min(total[a], total[b]), 1e-9) >= MIN_SHARE and (
                    math.isnan(gap) or gap <= MAX_DAYS_APART):
                related.add(frozenset((key_of[a], key_of[b])))
    t = timed("related", clock, t)
    clock["total"] = t - t0
    return {"clock": clock, "volume": {k: sum(v) for k, v in volume.items()},
            "stories": n_docs, "final": n_groups, "edges": len(edges), "merged": set(merged),
            "held": set(held), "related": related}


def run_one(folder: Path, today: dt.date) -> dict[str, Any]:
    clock: dict[str, float] = {}
    t = t0 = time.perf_counter()
    loaded = load_paths([folder], today)
    t = timed("load", clock, t)
    result = dedupe(loaded.stories)
    t = timed("dedupe", clock, t)
    clock["total"] = t - t0
    ids = {s.id: s.sources for s in result.stories}
    related = {frozenset((s.sources, ids[r])) for s in result.stories for r in s.related if r in ids}
    return {"clock": clock, "stories": len(loaded.stories), "final": len(result.stories),
            "merged": {m.sources for m in result.merges},
            "held": {frozenset((h.a, h.b)) for h in result.held_apart}, "related": related}


def count(v: int | set[Any]) -> int:
    return v if isinstance(v, int) else len(v)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("articles", type=Path, help="folder of raw article files (make_articles.py N DIR)")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--partitions", type=int, default=8, help="partitions of the files")
    ap.add_argument("--buckets", type=int, default=8, help="shingle hash buckets of the shuffles")
    ap.add_argument("--today", type=dt.date.fromisoformat, default=dt.date(2026, 1, 1))
    args = ap.parse_args(argv)
    if dask is None:
        print("dask_pipeline: Dask is not installed here (it is kept out of the project's install). Run it as:\n" + HOW,
              file=sys.stderr)
        return 2
    if not CORPORA.is_dir():
        print(f"dask_pipeline: the shared corpora are missing ({CORPORA}); they make the input. Nothing was run.",
              file=sys.stderr)
        return 2
    if not args.articles.is_dir() or not any(args.articles.iterdir()):
        print(f"dask_pipeline: no article files in {args.articles}. Make them first:\n" + HOW, file=sys.stderr)
        return 2

    with LocalCluster(n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, \
            Client(cluster) as client:
        spread = run_dask(args.articles, args.today, client, args.partitions, args.buckets)
    one = run_one(args.articles, args.today)

    print(f"input: {args.articles} ({spread['stories']} stories); cluster: {args.workers} worker processes, "
          f"{args.partitions} partitions, {args.buckets} buckets")
    print("dask stages (s): " + ", ".join(f"{k} {v:.2f}" for k, v in spread["clock"].items()))
    print("one process (s): " + ", ".join(f"{k} {v:.2f}" for k, v in one["clock"].items()))
    ok = True
    for what in ("stories", "final", "merged", "held", "related"):
        a, b = spread[what], one[what]
        same = a == b
        ok &= same
        extra = "" if same or isinstance(a, int) else f" (only dask {len(a - b)}, only one process {len(b - a)})"
        print(f"{what:8} dask {count(a):>6}  one process {count(b):>6}  {'agree' if same else 'DIFFER'}{extra}")
    print("shuffled rows: " + ", ".join(f"{k} {v}" for k, v in spread["volume"].items()) + f", edges {spread['edges']}")
    print("result: " + ("the cluster and the single process agree" if ok else "they DIFFER"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
