"""The candidate step finds exactly the pairs an all-pairs comparison of shingle sets finds.

Random bodies drawn from a small vocabulary (so that many shingles are shared), with exact copies,
cut-down copies, re-sends with a changed word, 1-4 token bodies and empty bodies, compared with
plain Python sets of the same shingle hashes.
"""

import itertools
import random

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from digest.dedupe.candidates import _rarest_first, similar_pairs
from digest.dedupe.features import distinct, distinct_counts
from digest.dedupe.pairmemo import KEY, PairMemo, known_pairs
from digest.dedupe.perstory import gather, story_features
from digest.dedupe.rules import CANDIDATE_CONTAINMENT
from digest.model import SourceRef, Story

WORDS = [f"w{i}" for i in range(40)]


def story(n: int, body: str) -> Story:
    return Story(f"s{n}", None, f"s{n}", None, None, None, (), (body,) if body else (), (SourceRef(f"{n}.txt", 0),))


def bodies(rng: random.Random, count: int) -> list[str]:
    out: list[str] = []
    for _ in range(count):
        kind = rng.random()
        if out and kind < 0.2:
            out.append(rng.choice(out))  # an exact copy
        elif out and kind < 0.35:
            words = rng.choice(out).split()
            out.append(" ".join(words[: max(1, len(words) * rng.randint(6, 10) // 10)]))  # cut down
        elif out and kind < 0.5:
            words = rng.choice(out).split() or ["x"]
            words[rng.randrange(len(words))] = rng.choice(WORDS)  # a changed word
            out.append(" ".join(words))
        elif kind < 0.6:
            out.append(" ".join(rng.choices(WORDS, k=rng.randint(0, 4))))  # short or empty
        else:
            out.append(" ".join(rng.choices(WORDS[: rng.randint(3, 40)], k=rng.randint(5, 60))))
    return out


def all_pairs(sets: list[set[int]], c: float) -> dict[tuple[int, int], tuple[float, float]]:
    found = {}
    for a, b in itertools.combinations(range(len(sets)), 2):
        if sets[a] and sets[b]:
            both = len(sets[a] & sets[b])
            contain = both / min(len(sets[a]), len(sets[b]))
            if contain >= c - 1e-12:
                found[(a, b)] = (both / len(sets[a] | sets[b]), contain)
    return found


@pytest.mark.parametrize("seed", range(40))
def test_similar_pairs_equal_an_all_pairs_comparison(seed):
    rng = random.Random(seed)
    stories = [story(i, text) for i, text in enumerate(bodies(rng, rng.randint(1, 30)))]
    feats = story_features(stories)
    sets = [set(np.frombuffer(f.shingles, dtype=np.uint64).tolist()) for f in feats]
    shingles = gather(feats)
    assert shingles.size.tolist() == [len(s) for s in sets]
    c = rng.choice([0.5, 0.8, 0.9])
    pairs = similar_pairs(shingles, c)
    got = {
        (a, b): (j, k)
        for a, b, j, k in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.jaccard.tolist(), pairs.containment.tolist(), strict=True)
    }
    assert got == all_pairs(sets, c)  # the same divisions of the same counts
    same = {(a, b) for a, b, s in zip(pairs.a.tolist(), pairs.b.tolist(), pairs.same_text.tolist(), strict=True) if s}
    assert same == {(a, b) for a, b in got if stories[a].body == stories[b].body}


def test_rarest_first_sorts_the_same_with_packed_keys_and_without():
    rng = np.random.default_rng(0)
    df = rng.integers(2, 50, 300)
    pairs = np.unique(np.stack([rng.integers(0, 100, 2000), rng.integers(0, 300, 2000)], axis=1), axis=0)
    doc, shingle = pairs[:, 0], pairs[:, 1]
    packed = _rarest_first(doc, shingle, df, 100)
    three_keys = _rarest_first(doc, shingle, df, 1 << 60)  # too many stories to pack: a lexsort
    expected = sorted(zip(doc.tolist(), df[shingle].tolist(), shingle.tolist(), strict=True))
    for d_sorted, s_sorted in (packed, three_keys):
        assert list(zip(d_sorted.tolist(), df[s_sorted].tolist(), s_sorted.tolist(), strict=True)) == expected


@pytest.mark.parametrize("seed", range(40))
def test_pairs_kept_in_the_memo_equal_those_of_the_whole_index(seed):
    """known_pairs with the pairs of an earlier build (some stories gone, some new, the order changed) gives
    exactly what similar_pairs gives over all the stories: the same pairs, in the same order, the same values."""
    rng = random.Random(seed)
    texts = bodies(rng, rng.randint(2, 40))
    stories = [story(i, text) for i, text in enumerate(texts)]
    feats = story_features(stories)
    memo: dict[str, object] = {}
    # An earlier build: some of the stories, in another order; then one without a few of them (the same number of
    # low bits ignored, mostly, so its pairs are reused and the missing stories compared with the others).
    for before in (rng.sample(feats, rng.randint(1, len(feats))), rng.sample(feats, max(1, len(feats) - rng.randint(1, 3)))):
        known_pairs(before, memo, CANDIDATE_CONTAINMENT)
        check_known_pairs(rng, feats, memo)


def check_known_pairs(rng: random.Random, feats: list, memo: dict[str, object]) -> None:
    for now in (feats, rng.sample(feats, len(feats)), feats[: rng.randint(1, len(feats))]):
        shingles = gather(now)
        want = similar_pairs(shingles, CANDIDATE_CONTAINMENT)
        got, size = known_pairs(now, memo, CANDIDATE_CONTAINMENT)
        assert isinstance(memo[KEY], PairMemo)
        assert size.tolist() == shingles.size.tolist()
        for name in ("a", "b", "jaccard", "containment", "same_text"):
            assert getattr(got, name).tolist() == getattr(want, name).tolist()


@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), max_size=60))
def test_distinct_is_numpy_unique(values: list[int]) -> None:
    array = np.array(values, dtype=np.uint64)
    assert distinct(array).tolist() == np.unique(array).tolist()
    found, counts = distinct_counts(array)
    expected, expected_counts = np.unique(array, return_counts=True)
    assert found.tolist() == expected.tolist() and counts.tolist() == expected_counts.tolist()
