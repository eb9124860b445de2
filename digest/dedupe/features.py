"""Story bodies to numbers, all stories at once: a token stream, word 5-shingle sets and name terms.

Text model: NFKC, quotes and page furniture dropped, tokens are runs of letters and digits
(lower-cased for shingles), shingles are word 5-grams (a body of 1-4 tokens is one shingle).
Tokens are hashed with BLAKE2b, so every number here depends on the text only, never on the
order of the stories or on which other stories are present.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray

K = 5
_P = np.uint64(0x9E3779B97F4A7C15)  # odd multiplier for the rolling combination of token hashes
_SHORT_SALT = np.uint64(0xD6E8FEB86659FD93)
_SEP = b"\x00"
_TABLE = bytes((c if (c == 0 or chr(c).isalnum()) else 32) for c in range(128)) + bytes(range(128, 256))
_LOWER_TABLE = bytes(ord(chr(c).lower()) for c in _TABLE)
_FURNITURE = re.compile(
    r"^(?:advertisement|advert|sponsored( content)?|scroll to continue( with content)?|"
    r"share( this)?( article| story| on \w+)?|(read|see) (more|also)\b.*|also read\b.*|related( articles| stories)?:.*|"
    r"click here\b.*|subscribe\b.*|sign up\b.*|follow (us|\w+ on)\b.*|reuters?|"
    r"\(?(reporting|editing|writing|additional reporting) by\b.*|©.*|\(c\) .*|copyright\b.*|all rights reserved\b.*|"
    r"(photo|image|file photo|picture)( credit)?:.*|listen to (this|the) (article|story).*|\d+ min(ute)?s? read)$",
    re.IGNORECASE,
)
_FURNITURE_MAX = 240

I64 = NDArray[np.int64]
U64 = NDArray[np.uint64]
_A = TypeVar("_A", bound=np.generic)


def distinct(values: NDArray[_A]) -> NDArray[_A]:
    """`np.unique(values)` for a 1-d array, without the import of numpy.ma that np.unique makes (10 ms a build)."""
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]] if len(ordered) else ordered


def distinct_counts(values: NDArray[_A]) -> tuple[NDArray[_A], I64]:
    """`np.unique(values, return_counts=True)` for a 1-d array, likewise."""
    ordered = np.sort(values)
    if not len(ordered):
        return ordered, np.zeros(0, dtype=np.int64)
    first = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]])
    return ordered[first], np.diff(np.r_[first, len(ordered)]).astype(np.int64)


def is_furniture(paragraph: str) -> bool:
    """A paragraph that belongs to the page, not the story: ads, share and follow prompts, credits."""
    return len(paragraph) <= _FURNITURE_MAX and _FURNITURE.match(paragraph.strip(" \t.:-–—|\u00a0")) is not None


def story_text(body: Sequence[str]) -> str:
    return "\n".join(p for p in body if not is_furniture(p))


def _hash64(token: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(token, digest_size=8).digest(), "little")


def _utf8(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def _nfkc(text: str) -> str:
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _clean(raw: bytes) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """The text as it was written and lower-cased, every character that is not a letter or digit
    (or the story separator) turned into spaces.

    Multi-byte characters are decoded only where they occur and keep their length in bytes, so
    the two arrays line up byte for byte.
    """
    cased = np.frombuffer(raw.translate(_TABLE), dtype=np.uint8).copy()
    lower = np.frombuffer(raw.translate(_LOWER_TABLE), dtype=np.uint8).copy()
    high = np.flatnonzero(cased >= 0x80)
    if len(high):
        breaks = np.flatnonzero(np.diff(high) > 1)
        firsts = np.r_[high[0], high[breaks + 1]]
        lasts = np.r_[high[breaks], high[-1]]
        for first, last in zip(firsts.tolist(), lasts.tolist(), strict=True):
            run = raw[first : last + 1].decode("utf-8", "surrogatepass")
            kept = [ch if ch.isalnum() else " " * len(_utf8(ch)) for ch in run]
            fixed = _utf8("".join(kept))
            low = "".join(ch.lower() if len(_utf8(ch.lower())) == len(_utf8(ch)) else ch for ch in kept)
            cased[first : last + 1] = np.frombuffer(fixed, dtype=np.uint8)
            lower[first : last + 1] = np.frombuffer(_utf8(low), dtype=np.uint8)
    return cased, lower


def _mix(x: U64) -> None:
    """splitmix64's finaliser, in place."""
    x ^= x >> np.uint64(31)
    x *= np.uint64(0xBF58476D1CE4E5B9)
    x ^= x >> np.uint64(27)
    x *= np.uint64(0x94D049BB133111EB)
    x ^= x >> np.uint64(31)


_LOW_BYTES = np.array([(1 << (8 * j)) - 1 for j in range(8)] + [0xFFFFFFFFFFFFFFFF], dtype=np.uint64)
_BLOCKS = 3  # tokens up to 24 bytes are hashed in numpy, longer ones one by one
_CHUNK = 1 << 16  # tokens hashed at a time: their arrays stay in the CPU cache through the rounds


def _token_hashes(a: NDArray[np.uint8], starts: I64, length: I64) -> U64:
    padded = np.concatenate([a, np.zeros(8 * _BLOCKS + 8, dtype=np.uint8)])
    # The 8 bytes from every offset as one (unaligned, overlapping) view: a token's block is one read.
    words = np.ndarray((len(padded) - 7,), dtype=np.uint64, buffer=padded, strides=(1,))
    h = np.empty(len(starts), dtype=np.uint64)
    for lo in range(0, len(starts), _CHUNK):
        at, size = starts[lo : lo + _CHUNK], length[lo : lo + _CHUNK]
        part = size.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
        for k in range(_BLOCKS):
            block = words[at + 8 * k]
            block &= _LOW_BYTES[np.clip(size - 8 * k, 0, 8)]
            part ^= block
            _mix(part)
        h[lo : lo + _CHUNK] = part
    for i in np.flatnonzero(length > 8 * _BLOCKS).tolist():
        s = int(starts[i])
        h[i] = _hash64(a[s : s + int(length[i])].tobytes())
    return h


@dataclass(frozen=True, slots=True)
class Tokens:
    """Every story's tokens in one stream: doc[i] is the story of token i, stories in input order."""

    n_docs: int
    hashes: U64  # per token: hash of the lower-cased token (also its identity as a term)
    capital: NDArray[np.bool_]  # per token: written with a capital initial (a name, an acronym, a sentence start)
    digit: NDArray[np.bool_]  # per token: holds a digit
    doc: I64
    start: I64  # per story: its first token
    length: I64  # per story: how many tokens


def _spans(a: NDArray[np.uint8]) -> tuple[I64, I64]:
    edge = np.diff((a != 32).view(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edge == 1), np.flatnonzero(edge == -1)


def tokenize(texts: Sequence[str]) -> Tokens:
    # Each text normalised on its own (most are ASCII and need nothing): the separator, a starter
    # that composes with nothing, keeps NFKC from reaching across texts, so this is NFKC of the whole.
    cased, lower = _clean((b" " + _SEP + b" ").join(_utf8(_nfkc(t.replace("\x00", " "))) for t in texts))
    starts, ends = _spans(lower)
    length = ends - starts
    hashes = _token_hashes(lower, starts, length)
    digit = np.zeros(len(starts), dtype=np.bool_)
    digit[np.searchsorted(starts, np.flatnonzero((lower >= 48) & (lower <= 57)), side="right") - 1] = True
    first = cased[starts] != lower[starts]
    following = np.minimum(starts + 1, len(lower) - 1)
    second = (cased[starts] >= 0x80) & (cased[following] != lower[following])
    capital = (first | second) & (length > 1)
    is_sep = lower[starts] == 0
    keep = ~is_sep
    doc = np.cumsum(is_sep)[keep].astype(np.int64)
    n_docs = len(texts)
    count = np.bincount(doc, minlength=n_docs).astype(np.int64)
    first_token = np.zeros(n_docs, dtype=np.int64)
    if n_docs > 1:
        first_token[1:] = np.cumsum(count)[:-1]
    return Tokens(n_docs, hashes[keep], capital[keep], digit[keep], doc, first_token, count)


@dataclass(frozen=True, slots=True)
class Shingles:
    """The shingles held by two stories or more, as (shingle, story) pairs sorted by shingle then story,
    and each story's number of distinct shingles. A shingle only one story holds can match nothing:
    it counts in `size` only."""

    shingle: I64  # a shingle number: the rank of its hash among the shared shingles
    doc: I64
    size: I64  # per story: distinct shingles (shared or not)
    df: I64  # per shingle: how many stories hold it (two or more)
    signature: U64  # per story: a hash of its whole token sequence (equal for exact copies)


def raw_shingles(tok: Tokens) -> tuple[U64, I64, I64]:
    """Every shingle occurrence: its hash, its story and its position (positional shingles first, in
    story then position order, then the one salted shingle of each 1-4 token body)."""
    h, doc = tok.hashes, tok.doc
    m = len(h)
    parts_h: list[U64] = []
    parts_d: list[I64] = []
    parts_p: list[I64] = []
    if m >= K:
        w = h[: m - K + 1].copy()
        for k in range(1, K):
            w *= _P
            w += h[k : m - K + 1 + k]
        valid = np.flatnonzero(doc[: m - K + 1] == doc[K - 1 :])
        wd = doc[valid]
        parts_h.append(w[valid])
        parts_d.append(wd)
        parts_p.append(valid - tok.start[wd])
    short = np.flatnonzero((tok.length > 0) & (tok.length < K))
    if len(short):
        values = []
        for d in short.tolist():
            s = int(tok.start[d])
            acc = int(_SHORT_SALT)
            for value in h[s : s + int(tok.length[d])].tolist():
                acc = (acc * int(_P) + value) & 0xFFFFFFFFFFFFFFFF
            values.append(acc)
        parts_h.append(np.array(values, dtype=np.uint64))
        parts_d.append(short.astype(np.int64))
        parts_p.append(np.zeros(len(short), dtype=np.int64))
    all_h = np.concatenate(parts_h) if parts_h else np.zeros(0, dtype=np.uint64)
    all_d = np.concatenate(parts_d) if parts_d else np.zeros(0, dtype=np.int64)
    all_p = np.concatenate(parts_p) if parts_p else np.zeros(0, dtype=np.int64)
    return all_h, all_d, all_p


def shingles(tok: Tokens) -> Shingles:
    all_h, all_d, all_p = raw_shingles(tok)
    return index_shingles(all_h, all_d, tok.n_docs, signatures(tok, all_h, all_d, all_p))


def index_shingles(all_h: U64, all_d: I64, n: int, signature: U64) -> Shingles:
    """The shared-shingle index of n stories' shingle occurrences (in any order)."""
    # One 64-bit key per (shingle, story): the story number in the low bits, the shingle hash above it.
    bits = max(1, int(n).bit_length())
    low = np.uint64((1 << bits) - 1)
    key = np.sort((all_h & ~low) | all_d.astype(np.uint64))
    if len(key):
        key = key[np.r_[True, key[1:] != key[:-1]]]
    size = np.bincount((key & low).view(np.int64), minlength=n)
    hi = key & ~low
    same = hi[1:] == hi[:-1]
    shared = np.r_[False, same] | np.r_[same, False] if len(key) else np.zeros(0, dtype=np.bool_)
    key = key[shared]
    hi = key & ~low
    new = np.r_[True, hi[1:] != hi[:-1]] if len(hi) else np.zeros(0, dtype=np.bool_)
    shingle = np.cumsum(new, dtype=np.int64)
    shingle -= 1
    df = np.diff(np.r_[np.flatnonzero(new), len(new)]).astype(np.int64)
    return Shingles(shingle, (key & low).view(np.int64), size.astype(np.int64), df, signature)


def signatures(tok: Tokens, h: U64, d: I64, pos: I64) -> U64:
    """An order-sensitive hash of each story's shingle sequence and length: equal for identical token streams."""
    sig = tok.length.astype(np.uint64) * _SHORT_SALT
    if len(h):
        mixed = (h ^ (pos.astype(np.uint64) * _P)) * _SHORT_SALT
        mixed ^= mixed >> np.uint64(29)
        order = np.argsort(d, kind="stable")
        ds = d[order]
        starts = np.flatnonzero(np.r_[True, ds[1:] != ds[:-1]])
        sig[ds[starts]] += np.add.reduceat(mixed[order], starts)
    sig[tok.length == 0] = np.uint64(0)
    return sig
