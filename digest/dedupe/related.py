"""Related coverage: different write-ups of one event share its rare names (people, bodies, places, firms).

Names are tokens written with a capital initial in the body. A name is rare when few stories hold
it; two stories are related when rare names they share carry a large part of the weight (inverse
document frequency) of the rarer-named of the two, and they are dated close together. Pairs come
from the posting lists of rare names only, so the cost stays near linear in the archive size.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

from digest.dedupe.features import I64, U64, distinct

MIN_SHARED = 4  # rare names in common
MIN_SHARE = 0.35  # shared weight / the smaller story's weight of rare names
MAX_DAYS_APART = 3
MAX_DF_SHARE = 0.01  # a name in more than 1% of the stories (and more than MIN_DF_CAP) is not rare
MIN_DF_CAP = 3
MAX_DF_CAP = 60


def df_cap(n_groups: int) -> int:
    """The most groups a rare name is in."""
    return max(MIN_DF_CAP, min(MAX_DF_CAP, math.floor(MAX_DF_SHARE * n_groups)))


def related_pairs(terms: U64, groups: I64, n_groups: int, days: NDArray[np.float64]) -> list[tuple[int, int]]:
    """Pairs of groups (a < b) that look like coverage of the same event, from every name term and the
    group holding it; days is each group's date ordinal or NaN."""
    return related_pairs_df(terms, groups, n_groups, days)[0]


def related_pairs_df(
    terms: U64, groups: I64, n_groups: int, days: NDArray[np.float64]
) -> tuple[list[tuple[int, int]], U64, I64]:
    """`related_pairs`, and every distinct name term (ascending) with the number of groups holding it."""
    no_terms = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    if n_groups < 2 or len(terms) == 0:
        return [], *no_terms
    terms, groups = _distinct_sorted(terms, groups, n_groups)
    if len(terms) == 0:
        return [], *no_terms
    new_term = np.r_[True, terms[1:] != terms[:-1]]
    term_id = np.cumsum(new_term) - 1
    df = np.bincount(term_id)
    table = terms[new_term], df.astype(np.int64)
    return _pairs(term_id, groups, df, n_groups, days), *table


def _pairs(term_id: I64, groups: I64, df: I64, n_groups: int, days: NDArray[np.float64]) -> list[tuple[int, int]]:
    cap = df_cap(n_groups)
    rare = df[term_id] <= cap
    idf = np.log((n_groups + 1) / df)
    weight = idf[term_id]
    total = np.bincount(groups[rare], weights=weight[rare], minlength=n_groups)
    shared = rare & (df[term_id] > 1)
    t_sh, g_sh = term_id[shared], groups[shared]  # sorted by term, then group
    if len(t_sh) == 0:
        return []
    starts = np.flatnonzero(np.r_[True, t_sh[1:] != t_sh[:-1]])
    sizes = np.diff(np.r_[starts, len(t_sh)])
    # Every pair of groups under each shared rare name.
    pair_a: list[I64] = []
    pair_b: list[I64] = []
    pair_w: list[NDArray[np.float64]] = []
    for k in sorted(set(sizes.tolist())):
        at = starts[sizes == k]
        block = g_sh[at[:, None] + np.arange(k)]  # (names, k) groups, ascending
        w = idf[t_sh[at]]
        i, j = np.triu_indices(k, 1)
        pair_a.append(block[:, i].ravel())
        pair_b.append(block[:, j].ravel())
        pair_w.append(np.repeat(w, len(i)))
    a = np.concatenate(pair_a)
    b = np.concatenate(pair_b)
    w_all = np.concatenate(pair_w)
    # Only groups dated close together (or undated) can be related, and most pairs are not: they go first.
    gap = np.abs(days[a] - days[b])
    close = np.isnan(gap) | (gap <= MAX_DAYS_APART)
    a, b, w_all = a[close], b[close], w_all[close]
    if len(a) == 0:
        return []
    key = a * n_groups + b
    # A stable argsort of the keys, as one sort of (key, position) packed in 64 bits when they fit.
    if (int(key.max()) + 1) * len(key) < 2**63:
        packed = np.sort(key * len(key) + np.arange(len(key)))
        order = packed % len(key)
    else:
        order = np.argsort(key, kind="stable")
    key, w_all = key[order], w_all[order]
    first = np.flatnonzero(np.r_[True, key[1:] != key[:-1]])
    count = np.diff(np.r_[first, len(key)])
    weight_sum = np.add.reduceat(w_all, first)
    key = key[first]
    ga, gb = key // n_groups, key % n_groups
    share = weight_sum / np.maximum(np.minimum(total[ga], total[gb]), 1e-9)
    ok = (count >= MIN_SHARED) & (share >= MIN_SHARE)
    return list(zip(ga[ok].tolist(), gb[ok].tolist(), strict=True))


def _distinct_sorted(terms: U64, groups: I64, n_groups: int) -> tuple[U64, I64]:
    """The distinct (term, group) pairs sorted by term, then group.

    One sort of 64-bit keys (the group in the low bits of the term) instead of a two-key sort; when two
    different terms share their high bits, which the keys cannot tell apart, the two-key sort is used."""
    bits = max(1, int(n_groups - 1).bit_length())
    low = np.uint64((1 << bits) - 1)
    key = np.sort((terms & ~low) | groups.astype(np.uint64))
    high = key & ~low
    sorted_terms = distinct(terms)
    if len(sorted_terms) != int(np.count_nonzero(np.r_[True, high[1:] != high[:-1]])):
        order = np.lexsort((groups, terms))
        terms, groups = terms[order], groups[order]
        first = np.r_[True, (terms[1:] != terms[:-1]) | (groups[1:] != groups[:-1])]
        return terms[first], groups[first]
    key = key[np.r_[True, key[1:] != key[:-1]]]
    # Each masked term stands for one term only: take its full value from the term list.
    return sorted_terms[np.searchsorted(sorted_terms & ~low, key & ~low)], (key & low).astype(np.int64)
