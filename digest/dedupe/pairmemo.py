"""Candidate pairs kept between builds, so that a rebuild compares only its new texts with the others.

Whether two shingle sets make a candidate pair, and their Jaccard and containment, depends on those two
sets alone, and on how many low bits of a shingle hash the index ignores (`features.index_shingles`: as
many as the number of stories has bits). So the memo keeps, under `KEY`, the distinct sets of the last
build (by signature, as `candidates.units` groups them), their sizes and their pairs. A build with as
many low bits takes the pairs among the sets it still has from there and compares each new set with
every set, counting all shared shingles: the result is `similar_pairs` of the whole archive, exactly.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from digest.dedupe.candidates import F64, Pairs, _expand, story_pairs, unit_pairs, units
from digest.dedupe.features import I64, U64, distinct, distinct_counts
from digest.dedupe.perstory import StoryFeatures, gather

KEY = "dedupe-pairs"  # story records' keys start with their version ("f2\x1f…"), so never this
_MAX_NEW = 1 << 15  # above this many new shingles, indexing them all is as cheap
_TABLE_BITS = 16  # a first sieve on the top bits of the hashes: most shingles meet no new set


@dataclass(frozen=True, slots=True)
class PairMemo:
    """The candidate pairs of one build's distinct shingle sets. Byte strings hold numpy arrays (cheap to pickle)."""

    bits: int  # low bits of the shingle hashes the index ignored
    sigs: bytes  # uint64, ascending: the signature of every set
    sizes: bytes  # int64: each set's number of distinct shingles
    a: bytes  # uint64: the signatures of each pair's sets
    b: bytes
    jaccard: bytes  # float64
    containment: bytes

    def __reduce__(self) -> tuple[type[PairMemo], tuple[object, ...]]:
        return PairMemo, tuple(getattr(self, name) for name in self.__slots__)  # see perstory.StoryFeatures


def known_pairs(feats: Sequence[StoryFeatures], memo: MutableMapping[str, Any], c: float) -> tuple[Pairs, I64]:
    """`similar_pairs(gather(feats), c)` and each story's number of distinct shingles (`Shingles.size`), with the
    pairs the memo holds reused; the memo then holds this build's."""
    n = len(feats)
    bits = max(1, n.bit_length())
    signature = np.fromiter((f.signature for f in feats), dtype=np.uint64, count=n)
    raw = np.fromiter((len(f.shingles) >> 3 for f in feats), dtype=np.int64, count=n)
    found = units(signature, raw > 0)
    reps = found.reps
    rep_sig = signature[reps]
    stored = memo.get(KEY)
    if isinstance(stored, PairMemo) and stored.bits == bits and len(reps):
        old = np.frombuffer(stored.sigs, dtype=np.uint64)
        at = np.searchsorted(old, rep_sig)
        known = old[np.minimum(at, len(old) - 1)] == rep_sig if len(old) else np.zeros(len(reps), dtype=np.bool_)
        new = np.flatnonzero(~known)
        if int(raw[reps[new]].sum()) <= _MAX_NEW:
            unit_size = np.zeros(len(reps), dtype=np.int64)
            unit_size[known] = np.frombuffer(stored.sizes, dtype=np.int64)[at[known]]
            u_a, u_b, u_j, u_c = _reuse(stored, rep_sig, feats, reps, new, unit_size, bits, c)
            if len(new):
                memo[KEY] = _memo(bits, rep_sig, unit_size, signature, u_a, u_b, u_j, u_c)
            size = np.zeros(n, dtype=np.int64)
            has = found.unit >= 0
            size[has] = unit_size[found.unit[has]]
            return story_pairs(found, u_a, u_b, u_j, u_c), size
    sh = gather(feats)
    u_a, u_b, u_j, u_c = unit_pairs(sh, reps, c)
    memo[KEY] = _memo(bits, rep_sig, sh.size[reps], signature, u_a, u_b, u_j, u_c)
    return story_pairs(found, u_a, u_b, u_j, u_c), sh.size


def _memo(bits: int, rep_sig: U64, unit_size: I64, signature: U64, u_a: I64, u_b: I64, u_j: F64, u_c: F64) -> PairMemo:
    return PairMemo(
        bits,
        rep_sig.tobytes(),
        unit_size.astype(np.int64).tobytes(),
        signature[u_a].tobytes(),
        signature[u_b].tobytes(),
        u_j.tobytes(),
        u_c.tobytes(),
    )


def _reuse(
    stored: PairMemo,
    rep_sig: U64,
    feats: Sequence[StoryFeatures],
    reps: I64,
    new: I64,
    unit_size: I64,
    bits: int,
    c: float,
) -> tuple[I64, I64, F64, F64]:
    """The unit pairs, as `candidates.unit_pairs` gives them (representatives, the smaller set first, in order):
    the stored ones between sets still here, and those of the new sets (whose sizes are filled in)."""
    m = len(reps)
    parts: list[tuple[I64, I64, F64, F64]] = []
    pa = np.searchsorted(rep_sig, np.frombuffer(stored.a, dtype=np.uint64))
    pb = np.searchsorted(rep_sig, np.frombuffer(stored.b, dtype=np.uint64))
    here = (pa < m) & (pb < m)
    here[here] = (rep_sig[pa[here]] == np.frombuffer(stored.a, dtype=np.uint64)[here]) & (
        rep_sig[pb[here]] == np.frombuffer(stored.b, dtype=np.uint64)[here]
    )
    parts.append(
        (
            pa[here],
            pb[here],
            np.frombuffer(stored.jaccard, dtype=np.float64)[here],
            np.frombuffer(stored.containment, dtype=np.float64)[here],
        )
    )
    if len(new):
        parts.append(_compare(feats, reps, new, unit_size, bits, c))
    x = np.concatenate([p[0] for p in parts])
    y = np.concatenate([p[1] for p in parts])
    jac = np.concatenate([p[2] for p in parts])
    con = np.concatenate([p[3] for p in parts])
    # The smaller set first (by size, then by story), pairs in order of their representatives.
    rx, ry = reps[x], reps[y]
    swap = (unit_size[y] < unit_size[x]) | ((unit_size[y] == unit_size[x]) & (ry < rx))
    small, large = np.where(swap, ry, rx), np.where(swap, rx, ry)
    order = np.argsort(small * len(feats) + large, kind="stable")
    return small[order], large[order], jac[order], con[order]


def _compare(
    feats: Sequence[StoryFeatures], reps: I64, new: I64, unit_size: I64, bits: int, c: float
) -> tuple[I64, I64, F64, F64]:
    """Unit pairs (x, y) of each new unit with every other unit (x < y when both are new) whose containment is
    at least c, with their Jaccard and containment, from every distinct shingle they share."""
    m = len(reps)
    high = ~np.uint64((1 << bits) - 1)
    values = []
    for u in new.tolist():
        v = distinct(feats[int(reps[u])].shingle_array() & high)
        unit_size[u] = len(v)
        values.append(v)
    xv = np.concatenate(values)
    xu = np.repeat(new, [len(v) for v in values])
    order = np.argsort(xv, kind="stable")
    xv, xu = xv[order], xu[order]
    rep_feats = [feats[r] for r in reps.tolist()]
    all_h = np.frombuffer(b"".join(f.shingles for f in rep_feats), dtype=np.uint64)
    ends = np.cumsum(np.fromiter((len(f.shingles) >> 3 for f in rep_feats), dtype=np.int64, count=m))
    top = np.uint64(64 - _TABLE_BITS)
    table = np.zeros(1 << _TABLE_BITS, dtype=np.bool_)
    table[(xv >> top).astype(np.intp)] = True
    hit = np.flatnonzero(table[(all_h >> top).astype(np.intp)])
    vals = all_h[hit] & high
    lo = np.searchsorted(xv, vals, "left")
    count = np.searchsorted(xv, vals, "right") - lo
    at = _expand(lo, count)
    ys = np.repeat(np.searchsorted(ends, hit, side="right"), count)  # the unit holding each shingle met
    xs, vs = xu[at], xv[at]
    is_new = np.zeros(m, dtype=np.bool_)
    is_new[new] = True
    keep = (xs != ys) & ~(is_new[ys] & (ys < xs))
    xs, ys, vs = xs[keep], ys[keep], vs[keep]
    # Each distinct shingle once per pair (a text may repeat a 5-gram), then counted per pair.
    order = np.lexsort((vs, ys, xs))
    xs, ys, vs = xs[order], ys[order], vs[order]
    first = np.r_[True, (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1]) | (vs[1:] != vs[:-1])] if len(xs) else np.zeros(0, np.bool_)
    key = xs[first] * m + ys[first]
    pair_key, shared = distinct_counts(key)
    px, py = pair_key // m, pair_key % m
    overlap = shared.astype(np.float64)
    sx, sy = unit_size[px], unit_size[py]
    contain = overlap / np.minimum(sx, sy)
    jac = overlap / (sx + sy - overlap)
    ok = contain >= c - 1e-12
    return px[ok], py[ok], jac[ok], contain[ok]
