"""What dedupe needs to know about each story on its own, computed once per story content and reusable.

`story_features(stories)` tokenizes and shingles a batch of stories at once (see `features`) and cuts
the result into one `StoryFeatures` per story. Nothing in it depends on the other stories of the
batch, so a record made in one build is valid in the next for a story with the same `memo_key`.
`StoryFeatures.extra` (the headline facts and sort keys) is filled in only for stories that turn out
to be in a similar pair, since it is costly and most stories never need it.
`gather` builds the index of the shingles two stories or more share from the records of a whole archive.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from digest.dedupe.combine import content_key, known_of
from digest.dedupe.features import I64, U64, Shingles, index_shingles, raw_shingles, signatures, story_text, tokenize
from digest.dedupe.rules import Facts, facts
from digest.model import Story

_VERSION = "f2"


@dataclass(frozen=True, slots=True)
class Extra:
    """Per-story values used only for stories in a similar pair (costly: text folding and regexes)."""

    facts: Facts
    content: tuple[str, str, str, str, str]  # combine.content_key(story)
    weight: tuple[int, int]  # words and characters of the body (the fullest copy wins)
    headline: str | None  # the headline without wire markers
    headline_key: str  # fold(headline) ("" without a headline)

    def __reduce__(self) -> tuple[type[Extra], tuple[object, ...]]:
        return Extra, tuple(getattr(self, name) for name in self.__slots__)  # see StoryFeatures.__reduce__


@dataclass(frozen=True, slots=True)
class StoryFeatures:
    """One story's body as numbers. Byte strings hold little-endian uint64 arrays (cheap to pickle)."""

    tokens: int  # how many tokens the body has
    signature: int  # a hash of the whole token stream (equal for exact copies)
    shingles: bytes  # the hash of the word 5-shingle at each position (one salted hash for a 1-4 token body)
    names: bytes  # hashes of the tokens written with a capital initial and without a digit
    numbers: bytes  # hashes of the tokens holding a digit
    extra: Extra | None = None

    def shingle_array(self) -> U64:
        return np.frombuffer(self.shingles, dtype=np.uint64)

    def __reduce__(self) -> tuple[type[StoryFeatures], tuple[object, ...]]:
        # Pickled as a constructor call: the memo is loaded on every rebuild, and this loads in half the
        # time of the default (slots state set field by field) and saves in a third.
        return StoryFeatures, tuple(getattr(self, name) for name in self.__slots__)


def memo_key(story: Story) -> str:
    """A key for everything a story's features are made from: headline, body, date, dateline and summary.

    Two checksums (CRC-32 and Adler-32) of the body and the length of every part: cheap for 10,000
    stories, and different for any two stories that are not made to collide on purpose.
    """
    body = "\x1e".join(story.body).encode("utf-8", "surrogatepass")
    date = story.date.toordinal() if story.date else 0
    headline = "\x00" if story.headline is None else story.headline
    dateline = "\x00" if story.dateline is None else story.dateline
    # One join of plain parts: formatting costs as much as the checksums at 10,000 stories.
    sums = (hex(zlib.crc32(body)), hex(zlib.adler32(body)), hex(len(body)))
    return "\x1f".join((_VERSION, *sums, str(date), str(len(story.summary)), headline, dateline, *story.summary))


def _split(values: np.ndarray, owner: I64, n: int) -> list[bytes]:
    """values (grouped by owner, owners ascending) cut into one byte string per owner 0..n-1."""
    counts = np.bincount(owner, minlength=n)
    ends = np.cumsum(counts) * values.itemsize
    starts = ends - counts * values.itemsize
    raw = values.tobytes()
    return [raw[s:e] for s, e in zip(starts.tolist(), ends.tolist(), strict=True)]


def story_features(stories: Sequence[Story]) -> list[StoryFeatures]:
    n = len(stories)
    if n == 0:
        return []
    tok = tokenize([story_text(s.body) for s in stories])
    all_h, all_d, all_p = raw_shingles(tok)
    sig = signatures(tok, all_h, all_d, all_p)
    order = np.argsort(all_d, kind="stable")  # positional shingles, then those of short bodies: two sorted runs
    shingle_bytes = _split(all_h[order], all_d[order], n)
    names = tok.capital & ~tok.digit
    name_bytes = _split(tok.hashes[names], tok.doc[names], n)
    number_bytes = _split(tok.hashes[tok.digit], tok.doc[tok.digit], n)
    return [
        StoryFeatures(t, s, sh, nm, nb)
        for t, s, sh, nm, nb in zip(tok.length.tolist(), sig.tolist(), shingle_bytes, name_bytes, number_bytes, strict=True)
    ]


def extra(story: Story, feat: StoryFeatures) -> Extra:
    known = known_of(story)
    numbers = frozenset(np.frombuffer(feat.numbers, dtype=np.uint64).tolist())
    return Extra(facts(story, feat.tokens, numbers), content_key(story), known.weight, known.headline, known.headline_key)


def gather(feats: Sequence[StoryFeatures]) -> Shingles:
    """The shared-shingle index of all the stories (see `features.Shingles`), from their records."""
    n = len(feats)
    signature = np.array([f.signature for f in feats], dtype=np.uint64)
    all_h = np.frombuffer(b"".join(f.shingles for f in feats), dtype=np.uint64)
    counts = np.array([len(f.shingles) >> 3 for f in feats], dtype=np.int64)
    all_d = np.repeat(np.arange(n, dtype=np.int64), counts)
    return index_shingles(all_h, all_d, n, signature)


def names(feats: Sequence[StoryFeatures]) -> tuple[U64, I64]:
    """Every story's name terms and the story each belongs to."""
    terms = np.frombuffer(b"".join(f.names for f in feats), dtype=np.uint64)
    counts = np.array([len(f.names) >> 3 for f in feats], dtype=np.int64)
    return terms, np.repeat(np.arange(len(feats), dtype=np.int64), counts)
