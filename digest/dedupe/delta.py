"""Whether edits to some stories' bodies leave dedupe's result as it was, but for those bodies.

A rebuild that finds only story bodies edited (`digest.patch`) asks this of the memo the last build of those
stories left (`dedupe(stories, memo)`): a record of each story, the candidate pairs of their shingle sets
(`pairmemo`), and their groups with the document frequency of every name (`relmemo`). The result is the last
one with the edited stories' bodies replaced when each edited story was alone in its group and in no candidate
pair, is in none now, and the related pairs are the same: merges, held pairs, similar pairs and related links
are then made of the same pairs, between the same stories, as before.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

import numpy as np

from digest.dedupe.pairmemo import KEY as PAIRS
from digest.dedupe.pairmemo import PairMemo, known_pairs
from digest.dedupe.perstory import StoryFeatures, memo_key, story_features
from digest.dedupe.relmemo import KEY as RELATED
from digest.dedupe.relmemo import Group, RelatedMemo, known_related
from digest.dedupe.rules import CANDIDATE_CONTAINMENT
from digest.model import Story


def bodies_only(memo: MutableMapping[str, Any], edits: Sequence[tuple[Story, Story]]) -> bool:
    """Whether `dedupe` of the last build's stories with each edit's old story replaced by its new one (the same
    story but for its body) gives the last result with those stories replaced. When it does, the memo then holds
    what that `dedupe` would have left in it (the new stories' records, pairs and name frequencies)."""
    related, pairs = memo.get(RELATED), memo.get(PAIRS)
    if not isinstance(related, RelatedMemo) or not isinstance(pairs, PairMemo):
        return False
    groups: list[Group] = list(related.groups)
    alone: dict[str, list[int]] = {}
    for at, group in enumerate(groups):
        if isinstance(group, str):
            alone.setdefault(group, []).append(at)
    in_pairs = set(np.frombuffer(pairs.a, dtype=np.uint64).tolist()) | set(np.frombuffer(pairs.b, dtype=np.uint64).tolist())
    edited: list[int] = []
    old_signatures: list[int] = []
    for (old, new), record in zip(edits, story_features([new for _, new in edits]), strict=True):
        old_key = memo_key(old)
        where, old_record = alone.get(old_key, []), memo.get(old_key)
        if len(where) != 1 or not isinstance(old_record, StoryFeatures) or old_record.signature in in_pairs:
            return False  # merged, or a copy of another story, or in a candidate pair
        new_key = memo_key(new)
        memo[new_key] = memo.get(new_key) or record
        groups[where[0]] = new_key
        edited.append(where[0])
        old_signatures.append(old_record.signature)
    feats: list[StoryFeatures] = []
    members: list[list[int]] = []
    for group in groups:
        keys = (group,) if isinstance(group, str) else group
        members.append(list(range(len(feats), len(feats) + len(keys))))
        for key in keys:
            found_record = memo.get(key)
            if not isinstance(found_record, StoryFeatures):
                return False
            feats.append(found_record)
    mine = np.array([members[at][0] for at in edited], dtype=np.int64)
    found, _ = known_pairs(feats, memo, CANDIDATE_CONTAINMENT)
    if np.isin(found.a, mine).any() or np.isin(found.b, mine).any():
        return False  # an edited story is in a candidate pair now (a copy of another included)
    signature = np.fromiter((f.signature for f in feats), dtype=np.uint64, count=len(feats))
    others = np.ones(len(feats), dtype=np.bool_)
    others[mine] = False
    if np.isin(np.array(old_signatures, dtype=np.uint64), signature[others]).any():
        return False  # an old story was an exact copy of one still here: they were a candidate pair
    a, b = np.frombuffer(related.a, dtype=np.int64), np.frombuffer(related.b, dtype=np.int64)
    before = set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist(), strict=True))
    return known_related(groups, feats, members, np.frombuffer(related.days, dtype=np.float64), memo) == before
