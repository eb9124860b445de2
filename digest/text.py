"""Small text helpers shared by every stage (slugs, comparison keys, content hashes)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_QUOTES = (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u00a0", " "))
_NON_SLUG = re.compile(r"[^a-z0-9]+")
_SPACE = re.compile(r"\s+")


def fold(text: str) -> str:
    """A comparison key: NFKC, straight quotes, collapsed white space, lower case."""
    if text.isascii():  # the same key, without the costly normalisation
        return " ".join(text.split()).lower()
    text = unicodedata.normalize("NFKC", text)
    for curly, straight in _QUOTES:  # str.replace, not str.translate: a translate table is slow on non-ASCII text
        text = text.replace(curly, straight)
    return _SPACE.sub(" ", text).strip().lower()


def slugify(text: str, max_length: int = 60) -> str:
    """ASCII, lower-case, hyphenated, cut at a word boundary; never empty."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    slug = _NON_SLUG.sub("-", ascii_text.lower()).strip("-")
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else cut
    return slug or "story"


def short_hash(*parts: str, length: int = 8) -> str:
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\0")
    return digest.hexdigest()[:length]


def cut_at_word(text: str, limit: int) -> str:
    """The text, or its start cut at a word boundary with an ellipsis."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:-–—")
    return (cut or text[:limit]) + "…"
