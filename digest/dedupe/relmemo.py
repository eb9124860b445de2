"""Related pairs kept between builds: a rebuild whose changes touch no rare name reuses the last build's.

`related.related_pairs` depends on the number of groups, each group's day and each group's rare names
(those in at most `df_cap` groups) with their document frequencies; names in more groups count for
nothing. A group's names and day are those of its members' records, so a group is known by its members'
record keys. The memo keeps, under `KEY`, the last build's groups (by those keys), their days, every
name's document frequency and the pairs found. When this build has as many groups and the groups it
does not share with that one change the frequency of common names only, and each new group has the rare
names and day of one group gone, every pair is what it was (under the new group numbers), exactly;
otherwise the pairs are computed again.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from digest.dedupe.features import I64, U64, distinct
from digest.dedupe.perstory import StoryFeatures
from digest.dedupe.related import df_cap, related_pairs_df

KEY = "dedupe-related"  # story records' keys start with their version ("f2\x1f…"), so never this
_MAX_CHANGED = 64  # groups new to this build; more, and computing the pairs again is as cheap

Group = str | tuple[str, ...]  # the record key of a group's one story, or its members' keys, sorted


@dataclass(frozen=True, slots=True)
class RelatedMemo:
    groups: tuple[Group, ...]
    days: bytes  # float64 per group: date ordinal or NaN
    terms: bytes  # uint64, ascending: every name term
    df: bytes  # int64: how many groups hold each
    a: bytes  # int64: each pair's groups (positions in `groups`)
    b: bytes

    def __reduce__(self) -> tuple[type[RelatedMemo], tuple[object, ...]]:
        return RelatedMemo, tuple(getattr(self, name) for name in self.__slots__)  # see perstory.StoryFeatures


def known_related(
    groups: list[Group],
    feats: Sequence[StoryFeatures],
    members: list[list[int]],
    days: NDArray[np.float64],
    memo: MutableMapping[str, Any],
) -> set[tuple[int, int]]:
    """`related_pairs` of the groups (each given by its key, its member stories and its day), reusing the memo's."""
    n = len(groups)
    stored = memo.get(KEY)
    if isinstance(stored, RelatedMemo) and len(stored.groups) == n:
        found = _reuse(stored, groups, feats, members, days, memo)
        if found is not None:
            return found
    terms = [_names(feats, ms) for ms in members]
    owner = np.repeat(np.arange(n, dtype=np.int64), [len(t) for t in terms])
    all_terms = np.concatenate(terms) if terms else np.zeros(0, dtype=np.uint64)
    pairs, table, df = related_pairs_df(all_terms, owner, n, days)
    memo[KEY] = RelatedMemo(tuple(groups), days.tobytes(), table.tobytes(), df.tobytes(), *_columns(pairs))
    return set(pairs)


def _names(feats: Sequence[StoryFeatures], members: list[int]) -> U64:
    if len(members) == 1:
        return np.frombuffer(feats[members[0]].names, dtype=np.uint64)
    return np.frombuffer(b"".join(feats[m].names for m in members), dtype=np.uint64)


def _columns(pairs: list[tuple[int, int]] | NDArray[np.int64]) -> tuple[bytes, bytes]:
    both = np.array(pairs, dtype=np.int64).reshape(-1, 2)
    return both[:, 0].tobytes(), both[:, 1].tobytes()


def _reuse(
    stored: RelatedMemo,
    groups: list[Group],
    feats: Sequence[StoryFeatures],
    members: list[list[int]],
    days: NDArray[np.float64],
    memo: MutableMapping[str, Any],
) -> set[tuple[int, int]] | None:
    n = len(groups)
    old_at: dict[Group, list[int]] = {}
    for i, group in enumerate(stored.groups):
        old_at.setdefault(group, []).append(i)  # two groups of the same stories (held apart) are interchangeable
    match = np.array([found.pop() if (found := old_at.get(g)) else -1 for g in groups], dtype=np.int64)
    added = np.flatnonzero(match < 0)
    if len(added) > _MAX_CHANGED:
        return None
    new_of_old = np.full(n, -1, dtype=np.int64)
    new_of_old[match[match >= 0]] = np.flatnonzero(match >= 0)
    removed = np.flatnonzero(new_of_old < 0)
    if len(removed) != len(added):
        return None
    df = np.frombuffer(stored.df, dtype=np.int64)
    if len(added):
        table = np.frombuffer(stored.terms, dtype=np.uint64)
        gone: list[U64] = []
        for i in removed.tolist():
            keys = stored.groups[i]
            raw = b""
            for k in (keys,) if isinstance(keys, str) else keys:
                record = memo.get(k)
                if not isinstance(record, StoryFeatures):
                    return None  # the record of a story gone is gone too: count again
                raw += record.names
            gone.append(distinct(np.frombuffer(raw, dtype=np.uint64)))
        new = [distinct(_names(feats, members[g])) for g in added.tolist()]
        changes = np.concatenate([*new, *gone])
        ones = np.ones(len(new) + len(gone), dtype=np.int64)
        ones[len(new) :] = -1
        sign = np.repeat(ones, [len(t) for t in new + gone])
        order = np.argsort(changes, kind="stable")
        changes, sign = changes[order], sign[order]
        first = np.flatnonzero(np.r_[True, changes[1:] != changes[:-1]]) if len(changes) else np.zeros(0, dtype=np.int64)
        delta = np.add.reduceat(sign, first) if len(changes) else np.zeros(0, dtype=np.int64)
        term = changes[first]
        at = np.minimum(np.searchsorted(table, term), max(len(table) - 1, 0))
        known = table[at] == term if len(table) else np.zeros(len(term), dtype=np.bool_)
        before = np.where(known, df[at] if len(df) else 0, 0)
        cap = df_cap(n)
        moved = delta != 0
        if np.any(moved & ((before <= cap) | (before + delta <= cap))):
            return None  # a rare name gained or lost a group
        rare = table[(df <= cap)] if len(table) else table
        old_days = np.frombuffer(stored.days, dtype=np.float64)
        waiting: dict[tuple[object, ...], list[int]] = {}
        for i, names in zip(removed.tolist(), gone, strict=True):
            waiting.setdefault(_signature(names, rare, old_days[i]), []).append(i)
        for g, names in zip(added.tolist(), new, strict=True):
            candidates = waiting.get(_signature(names, rare, days[g]))
            if not candidates:
                return None
            new_of_old[candidates.pop()] = g
        df = df.copy()
        df[at[known & moved]] += delta[known & moved]
        entry = RelatedMemo(tuple(groups), days.tobytes(), stored.terms, df.tobytes(), stored.a, stored.b)
        memo[KEY] = _renumbered(entry, new_of_old)
    a = new_of_old[np.frombuffer(stored.a, dtype=np.int64)]
    b = new_of_old[np.frombuffer(stored.b, dtype=np.int64)]
    return set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True))


def _signature(names: U64, rare: U64, day: float) -> tuple[object, ...]:
    """What the pairs of a group depend on besides the document frequencies: its rare names and its day."""
    at = np.minimum(np.searchsorted(rare, names), max(len(rare) - 1, 0))
    kept = names[rare[at] == names] if len(rare) else names[:0]
    return (kept.tobytes(), None if np.isnan(day) else float(day))


def _renumbered(entry: RelatedMemo, new_of_old: I64) -> RelatedMemo:
    a = new_of_old[np.frombuffer(entry.a, dtype=np.int64)]
    b = new_of_old[np.frombuffer(entry.b, dtype=np.int64)]
    pairs = np.stack([np.minimum(a, b), np.maximum(a, b)], axis=1)
    return RelatedMemo(entry.groups, entry.days, entry.terms, entry.df, *_columns(pairs))
