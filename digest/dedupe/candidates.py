"""All pairs of stories whose shingle sets overlap enough, found without comparing every pair.

Exact copies (same token stream) are grouped first by their signature, so a story pasted many
times costs one set. Between the distinct sets, prefix filtering finds every pair in which the
smaller set shares at least a fraction `c` of its shingles with the larger (every pair with
Jaccard >= c is among them): a set's `|x| - ceil(c|x|) + 1` rarest shingles must meet the other
set, and rare shingles have short posting lists. Candidates are then counted exactly, so the
result equals an all-pairs comparison at that threshold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from digest.dedupe.features import I64, U64, Shingles, distinct

F64 = NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Pairs:
    """Story pairs a < b (input positions) with their shingle Jaccard and containment of the smaller set."""

    a: I64
    b: I64
    jaccard: F64
    containment: F64
    same_text: NDArray[np.bool_]  # identical token streams


def _expand(starts: I64, counts: I64) -> I64:
    """Concatenated ranges [start, start + count) for each start."""
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    return np.repeat(starts, counts) + offsets


@dataclass(frozen=True, slots=True)
class Units:
    """The stories with a body grouped by signature (exact copies), in order of signature."""

    reps: I64  # per unit: its first story, which stands for it
    unit: I64  # per story: its unit, -1 for an empty body
    members: dict[int, list[int]]  # the units of more than one story: their stories, ascending


def units(signature: U64, nonempty: NDArray[np.bool_]) -> Units:
    n = len(signature)
    stories = np.flatnonzero(nonempty)
    order = stories[np.lexsort((stories, signature[stories]))]
    sig = signature[order]
    first_of_unit = np.r_[True, sig[1:] != sig[:-1]] if len(sig) else np.zeros(0, dtype=np.bool_)
    unit = np.full(n, -1, dtype=np.int64)
    unit[order] = np.cumsum(first_of_unit) - 1
    # Only units with more than one member need their member lists; the rest are their representative.
    starts = np.flatnonzero(first_of_unit)
    unit_size = np.diff(np.r_[starts, len(order)])
    multi = np.flatnonzero(unit_size > 1)
    members: dict[int, list[int]] = {
        u: sorted(order[s : s + k].tolist())
        for u, s, k in zip(multi.tolist(), starts[multi].tolist(), unit_size[multi].tolist(), strict=True)
    }
    return Units(order[first_of_unit], unit, members)


def similar_pairs(sh: Shingles, c: float) -> Pairs:
    found = units(sh.signature, sh.size > 0)
    return story_pairs(found, *unit_pairs(sh, found.reps, c))


def story_pairs(found: Units, u_a: I64, u_b: I64, u_j: F64, u_c: F64) -> Pairs:
    """Unit pairs (given by their representatives, the smaller set first, in order of (u_a, u_b)) expanded to
    story pairs, then the pairs inside each unit (exact copies)."""
    unit, unit_members = found.unit, found.members
    out_a: list[int] = []
    out_b: list[int] = []
    out_j: list[float] = []
    out_c: list[float] = []
    out_same: list[bool] = []
    for x0, y0, ua, ub, j, cc in zip(
        u_a.tolist(), u_b.tolist(), unit[u_a].tolist(), unit[u_b].tolist(), u_j.tolist(), u_c.tolist(), strict=True
    ):
        for x in unit_members.get(ua, [x0]):
            for y in unit_members.get(ub, [y0]):
                out_a.append(min(x, y))
                out_b.append(max(x, y))
                out_j.append(j)
                out_c.append(cc)
                out_same.append(False)
    for ms in unit_members.values():
        for i, x in enumerate(ms):
            for y in ms[i + 1 :]:
                out_a.append(x)
                out_b.append(y)
                out_j.append(1.0)
                out_c.append(1.0)
                out_same.append(True)
    return Pairs(
        np.array(out_a, dtype=np.int64),
        np.array(out_b, dtype=np.int64),
        np.array(out_j, dtype=np.float64),
        np.array(out_c, dtype=np.float64),
        np.array(out_same, dtype=np.bool_),
    )


def unit_pairs(sh: Shingles, reps: I64, c: float) -> tuple[I64, I64, F64, F64]:
    """Pairs of distinct shingle sets (given by one story each) with containment >= c."""
    n = len(sh.size)
    empty_i = np.zeros(0, dtype=np.int64)
    empty_f = np.zeros(0, dtype=np.float64)
    is_rep = np.zeros(n, dtype=np.bool_)
    is_rep[reps] = True
    keep = is_rep[sh.doc]
    shingle, doc = sh.shingle[keep], sh.doc[keep]  # sorted by shingle, then story
    if len(shingle) == 0:
        return empty_i, empty_i, empty_f, empty_f
    df = np.bincount(shingle, minlength=len(sh.df))
    size = sh.size
    prefix_len = size - np.ceil(c * size - 1e-9).astype(np.int64) + 1
    # Shingles held by one set only (here: by exact copies of it; the index has no others) come first
    # in every prefix and can never be shared: drop them, after counting how many prefix places they fill.
    shared = df[shingle] > 1
    shingle, doc = shingle[shared], doc[shared]
    if len(shingle) == 0:
        return empty_i, empty_i, empty_f, empty_f
    per_doc = np.bincount(doc, minlength=n)
    slots = prefix_len - (size - per_doc)
    d_sorted, s_sorted = _rarest_first(doc, shingle, df, n)
    doc_first = np.r_[0, np.cumsum(per_doc)[:-1]].astype(np.int64)
    rank = np.arange(len(d_sorted)) - doc_first[d_sorted]
    in_prefix = rank < slots[d_sorted]
    px, ps = d_sorted[in_prefix], s_sorted[in_prefix]
    # Join each prefix shingle with every set holding it.
    counts_by_shingle = np.where(df > 1, df, 0)
    post_start = np.r_[0, np.cumsum(counts_by_shingle)[:-1]].astype(np.int64)
    counts = df[ps]
    ys = doc[_expand(post_start[ps], counts)]
    xs = np.repeat(px, counts)
    smaller = (size[xs] < size[ys]) | ((size[xs] == size[ys]) & (xs < ys))
    xs, ys = xs[smaller], ys[smaller]
    if len(xs) == 0:
        return empty_i, empty_i, empty_f, empty_f
    pair_key = distinct(xs * n + ys)
    xs, ys = pair_key // n, pair_key % n
    # Exact overlap: look every shared shingle of the smaller set up in the other set.
    member = _expand(doc_first[xs], per_doc[xs])
    pair_of = np.repeat(np.arange(len(xs)), per_doc[xs])
    wanted = s_sorted[member] * n + ys[pair_of]
    all_keys = shingle * n + doc
    at = np.searchsorted(all_keys, wanted)
    found = all_keys[np.minimum(at, len(all_keys) - 1)] == wanted
    overlap = np.bincount(pair_of[found], minlength=len(xs)).astype(np.float64)
    contain = overlap / size[xs]
    jac = overlap / (size[xs] + size[ys] - overlap)
    ok = contain >= c - 1e-12
    return xs[ok], ys[ok], jac[ok], contain[ok]


def _rarest_first(doc: I64, shingle: I64, df: I64, n: int) -> tuple[I64, I64]:
    """The (story, shingle) pairs sorted by story, then rarity (df, then shingle number): one sort of
    packed 64-bit keys when they fit, else a three-key sort."""
    shingle_bits = max(1, len(df).bit_length())
    rarity_bits = shingle_bits + max(1, int(df.max()).bit_length())
    if rarity_bits + max(1, n.bit_length()) > 63:
        order = np.lexsort((shingle, df[shingle], doc))
        return doc[order], shingle[order]
    packed = np.sort((doc << rarity_bits) | (df[shingle] << shingle_bits) | shingle)
    return packed >> rarity_bits, packed & ((1 << shingle_bits) - 1)


def prefix_size(size: int, c: float) -> int:
    """How many of a set's rarest shingles must be looked up (for documentation and tests)."""
    return size - math.ceil(c * size - 1e-9) + 1
