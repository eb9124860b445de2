"""Dedupe stage: each story once, every source kept, different write-ups of one event linked as related.

`dedupe(stories)` is a pure function. Bodies are compared as sets of word 5-shingles (see
`features`), candidate pairs come from an exact prefix-filter join (`candidates`), and each pair
is then judged (`rules`): an exact copy, a near copy (Jaccard >= 0.8) or a cut-down copy (90% of
the shorter text inside the longer) is merged unless the two are different news: dated more than
a day apart, different datelines, different tickers, or a short templated body under different
headlines or with different figures. Groups grow only while no two members conflict. Merged
stories are built in `combine`; related coverage is found in `related`.
"""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from digest.dedupe.candidates import similar_pairs
from digest.dedupe.combine import base_id, combine, unique_ids
from digest.dedupe.features import K
from digest.dedupe.pairmemo import known_pairs
from digest.dedupe.perstory import Extra, StoryFeatures, extra, gather, memo_key, names, story_features
from digest.dedupe.related import related_pairs
from digest.dedupe.relmemo import Group, known_related
from digest.dedupe.rules import CANDIDATE_CONTAINMENT, RULE_ORDER, Facts, conflict, is_cut_down, similarity_rule
from digest.model import SourceRef, Story, changed

__all__ = ["DedupeResult", "HeldApart", "MergeLink", "MergeRecord", "dedupe"]


@dataclass(frozen=True, slots=True)
class MergeLink:
    """One judged pair inside a merged group: which copies, which rule, how similar."""

    a: SourceRef
    b: SourceRef
    rule: str
    jaccard: float
    containment: float


@dataclass(frozen=True, slots=True)
class MergeRecord:
    """One merged story, for the build report."""

    id: str  # the merged story's id
    sources: tuple[SourceRef, ...]  # every copy merged
    members: tuple[str, ...]  # the ids the copies had before merging
    rule: str  # the weakest rule that joined the group: exact, near-duplicate or truncated
    similarity: float  # the lowest shingle Jaccard among the links that joined it
    links: tuple[MergeLink, ...]


@dataclass(frozen=True, slots=True)
class HeldApart:
    """Two stories whose texts are alike but which were kept apart as different news, and why."""

    a: SourceRef
    b: SourceRef
    reason: str
    jaccard: float


@dataclass(frozen=True, slots=True)
class DedupeResult:
    stories: tuple[Story, ...]
    merges: tuple[MergeRecord, ...] = ()
    held_apart: tuple[HeldApart, ...] = ()


@dataclass(frozen=True, slots=True)
class _Judged:
    a: int
    b: int
    rule: str
    jaccard: float
    containment: float


def _same_tokens(fa: StoryFeatures, fb: StoryFeatures) -> bool:
    return fa.tokens == fb.tokens and fa.shingles == fb.shingles


def _opens_early(small: StoryFeatures, large: StoryFeatures) -> bool:
    """Whether the shorter text's opening words (its first shingle) occur in the first half of the longer one."""
    if small.tokens < K or large.tokens < K:
        return False
    text = large.shingle_array()
    hits = np.flatnonzero(text == small.shingle_array()[0])
    return bool(len(hits)) and int(hits[0]) <= large.tokens // 2


class _Groups:
    """Union of stories into groups that never hold two conflicting stories."""

    def __init__(self, n: int, fact: dict[int, Facts]) -> None:
        self.parent = list(range(n))
        self.members: dict[int, list[int]] = {}
        self.fact = fact

    def find(self, x: int) -> int:
        while self.parent[x] != x:
            self.parent[x] = self.parent[self.parent[x]]
            x = self.parent[x]
        return x

    def join(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return True
        ma, mb = self.members.get(ra, [ra]), self.members.get(rb, [rb])
        if any(conflict(self.fact[x], self.fact[y]) for x in ma for y in mb):
            return False
        self.parent[rb] = ra
        self.members[ra] = ma + mb
        self.members.pop(rb, None)
        return True


def dedupe(stories: tuple[Story, ...] | Sequence[Story], memo: MutableMapping[str, Any] | None = None) -> DedupeResult:
    """Each story once, every source kept, related coverage linked (see the module docstring).

    `memo`, optional, maps `perstory.memo_key(story)` to that story's `StoryFeatures` (a frozen,
    picklable record of its tokens, shingles and, for stories found in a similar pair, headline facts).
    Records found there are used instead of reading the story again; records made are stored in it.
    Keep it between builds (the keys cover everything a record is made from, and the code version
    through a prefix) and drop entries of stories that are gone whenever convenient. The result is
    the same with or without a memo, whatever it holds for other keys.
    """
    stories = tuple(stories)
    if not stories:
        return DedupeResult(())
    keys = [memo_key(s) for s in stories] if memo is not None else []
    feats = _features(stories, keys, memo)
    if memo is None:
        sh = gather(feats)
        pairs, size = similar_pairs(sh, CANDIDATE_CONTAINMENT), sh.size
    else:
        pairs, size = known_pairs(feats, memo, CANDIDATE_CONTAINMENT)

    extras: dict[int, Extra] = {}

    def extra_of(i: int) -> Extra:
        found = extras.get(i)
        if found is None:
            feat = memo.get(keys[i], feats[i]) if memo is not None else feats[i]
            found = feat.extra
            if found is None:
                found = extra(stories[i], feat)
                if memo is not None:
                    memo[keys[i]] = replace(feat, extra=found)
            extras[i] = found
        return found

    def facts_of(i: int) -> Facts:
        return extra_of(i).facts

    accepted: list[_Judged] = []
    similar: list[tuple[int, int]] = []
    held: list[HeldApart] = []
    columns = (pairs.a, pairs.b, pairs.jaccard, pairs.containment, pairs.same_text)
    for a, b, jac, con, same in zip(*(column.tolist() for column in columns), strict=True):
        exact = bool(same) and _same_tokens(feats[a], feats[b])
        rule = similarity_rule(jac, con, exact, int(min(size[a], size[b])))
        if rule == "truncated":
            small, large = (a, b) if size[a] <= size[b] else (b, a)
            if not is_cut_down(facts_of(a), facts_of(b), _opens_early(feats[small], feats[large])):
                rule = None
        why = conflict(facts_of(a), facts_of(b))
        if why is not None:
            if rule is not None:
                held.append(HeldApart(stories[a].sources[0], stories[b].sources[0], why, round(jac, 4)))
        elif rule is not None:
            accepted.append(_Judged(a, b, rule, jac, con))
        else:
            similar.append((a, b))

    in_pairs = sorted({i for j in accepted for i in (j.a, j.b)})
    rank = _content_rank(stories, {i: extra_of(i).content for i in in_pairs})
    accepted.sort(key=lambda j: (RULE_ORDER[j.rule], -j.jaccard, -j.containment, *sorted((rank[j.a], rank[j.b]))))
    groups = _Groups(len(stories), {i: e.facts for i, e in extras.items()})
    links: dict[int, list[_Judged]] = {}
    for judged in accepted:
        if groups.join(judged.a, judged.b):
            links.setdefault(groups.find(judged.a), []).append(judged)

    return _assemble(stories, feats, extras, groups, links, similar, rank, tuple(held), keys, memo)


def _features(
    stories: tuple[Story, ...], keys: list[str], memo: MutableMapping[str, Any] | None
) -> list[StoryFeatures]:
    if memo is None:
        return story_features(stories)
    found: list[StoryFeatures | None] = [memo.get(k) for k in keys]
    missing = [i for i, f in enumerate(found) if f is None]
    if missing:
        made = story_features([stories[i] for i in missing])
        for i, feat in zip(missing, made, strict=True):
            found[i] = memo.setdefault(keys[i], feat)
    return [f for f in found if f is not None]


def _link(stories: Sequence[Story], j: _Judged) -> MergeLink:
    return MergeLink(stories[j.a].sources[0], stories[j.b].sources[0], j.rule, round(j.jaccard, 4), round(j.containment, 4))


def _content_rank(stories: Sequence[Story], content: dict[int, tuple[str, ...]]) -> dict[int, int]:
    ordered = sorted(content, key=lambda i: (content[i], [(r.path, r.index) for r in stories[i].sources]))
    return {i: r for r, i in enumerate(ordered)}


def _assemble(
    stories: tuple[Story, ...],
    feats: list[StoryFeatures],
    extras: dict[int, Extra],
    groups: _Groups,
    links: dict[int, list[_Judged]],
    similar: list[tuple[int, int]],
    rank: dict[int, int],
    held: tuple[HeldApart, ...],
    keys: list[str],
    memo: MutableMapping[str, Any] | None,
) -> DedupeResult:
    n = len(stories)
    # A group is led by its first member; groups come in the order of their leaders. Most stories are
    # alone in theirs, so only the merged groups (groups.members) are looked at one by one.
    merged = {min(ms): (root, sorted(ms, key=rank.__getitem__)) for root, ms in groups.members.items()}
    leader = np.arange(n, dtype=np.int64)
    for first, (_, members) in merged.items():
        leader[members] = first
    is_leader = leader == np.arange(n)
    group_of = (np.cumsum(is_leader) - 1)[leader]
    built: list[Story] = []
    records: list[tuple[int, int, list[int]]] = []  # (group, root in `groups`, members in content order)
    for i in np.flatnonzero(is_leader).tolist():
        group = merged.get(i)
        if group is None:
            story = stories[i]
            new_id = base_id(story.id)
            built.append(story if new_id == story.id else changed(story, id=new_id))
        else:
            root, members = group
            records.append((len(built), root, members))
            built.append(combine([stories[m] for m in members], [extras[m] for m in members]))
    final = unique_ids(built)

    # Related coverage between final stories.
    days = np.array([s.date.toordinal() if s.date else np.nan for s in final], dtype=np.float64)
    if memo is None:
        terms, owner = names(feats)
        links_found = set(related_pairs(terms, group_of[owner], len(final), days))
    else:
        group_members = [[i] for i in np.flatnonzero(is_leader).tolist()]
        group_keys: list[Group] = [keys[ms[0]] for ms in group_members]
        for k, _, members in records:
            group_members[k] = members
            group_keys[k] = tuple(sorted(keys[m] for m in members))
        links_found = known_related(group_keys, feats, group_members, days, memo)
    for a, b in similar:
        ga, gb = int(group_of[a]), int(group_of[b])
        if ga != gb:
            links_found.add((min(ga, gb), max(ga, gb)))
    related: dict[int, set[str]] = {}
    if any(s.related for s in stories):
        old_to_new: dict[str, str] = {}
        for i, story in enumerate(stories):
            old_to_new.setdefault(story.id, final[int(group_of[i])].id)
        related = {k: {old_to_new.get(r, r) for r in s.related} for k, s in enumerate(final) if s.related}
    for ga, gb in links_found:
        related.setdefault(ga, set()).add(final[gb].id)
        related.setdefault(gb, set()).add(final[ga].id)
    for k, ids in related.items():
        story = final[k]
        links_k = tuple(sorted(ids - {story.id}))
        if links_k != story.related:
            final[k] = changed(story, related=links_k)

    merges = []
    for k, root, members in records:
        judged = links.get(root, [])
        weakest = max(judged, key=lambda j: RULE_ORDER[j.rule]).rule if judged else "exact"
        merges.append(
            MergeRecord(
                id=final[k].id,
                sources=final[k].sources,
                members=tuple(stories[i].id for i in members),
                rule=weakest,
                similarity=round(min((j.jaccard for j in judged), default=1.0), 4),
                links=tuple(_link(stories, j) for j in judged),
            )
        )
    merges.sort(key=lambda m: (m.sources[0].path, m.sources[0].index))
    return DedupeResult(tuple(sorted(final, key=lambda s: (s.sources[0].path, s.sources[0].index))), tuple(merges), held)
