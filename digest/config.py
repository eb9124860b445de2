"""Site configuration: `digest.yaml` to a frozen, validated `SiteConfig`.

Validation is declarative: each mapping in the file has a schema (key -> kind, default), and any
unknown key, missing required key or wrong type is a `ConfigError` that names the file and the key,
e.g. `digest.yaml: topics[2].keywords: expected a list of strings, got a number`.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
import zoneinfo
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from digest.text import slugify


class ConfigError(Exception):
    """The configuration file is missing, unreadable or invalid; the message names the file and key."""


@dataclass(frozen=True, slots=True)
class Topic:
    slug: str
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()  # any case, whole words; a trailing * matches word starts ("crypto*")
    entities: tuple[str, ...] = ()  # exact case, whole words ("TTP", "Binance")
    patterns: tuple[str, ...] = ()  # regular expressions, case-insensitive
    min_matches: int = 1  # how many hits (headline, summary and body together) put a story in the topic


@dataclass(frozen=True, slots=True)
class SiteConfig:
    title: str
    base_url: str  # absolute, ends with "/": used by feeds and the sitemap only; pages link relatively
    timezone: str
    description: str = ""
    language: str = "en"
    latest: int = 12  # stories on the home page
    feed_entries: int = 50
    timeline_split: int = 150  # above this many stories the timeline gets one page per month
    topics: tuple[Topic, ...] = ()
    templates: str | None = None  # a folder of template overrides, relative to the config file
    root: Path = Path(".")  # the folder the config file is in (user templates/ and static/ live here)
    source: str = "digest.yaml"


# --- the schema -------------------------------------------------------------------------------

Check = Callable[[Any], bool]


@dataclass(frozen=True, slots=True)
class Field:
    kind: str  # how the expected type is named in errors
    check: Check
    required: bool = False


def _is_str(v: Any) -> bool:
    return isinstance(v, str)


def _is_nonempty_str(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


def _is_count(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 1


def _is_str_list(v: Any) -> bool:
    return isinstance(v, list) and all(isinstance(x, str) and x.strip() for x in v)


def _is_list(v: Any) -> bool:
    return isinstance(v, list)


SITE_SCHEMA: Mapping[str, Field] = {
    "title": Field("a non-empty string", _is_nonempty_str, required=True),
    "base_url": Field("an absolute http(s) URL", lambda v: isinstance(v, str) and re.match(r"https?://[^/\s]+", v) is not None,
                      required=True),
    "timezone": Field("an IANA time zone name such as Asia/Karachi", _is_nonempty_str),
    "description": Field("a string", _is_str),
    "language": Field("a language tag such as en",
                      lambda v: isinstance(v, str) and re.fullmatch(r"[A-Za-z]{2,3}(-[A-Za-z0-9]+)*", v) is not None),
    "latest": Field("a whole number of at least 1", _is_count),
    "feed_entries": Field("a whole number of at least 1", _is_count),
    "timeline_split": Field("a whole number of at least 1", _is_count),
    "templates": Field("a folder path (string)", _is_nonempty_str),
    "topics": Field("a list of topics", _is_list),
}

TOPIC_SCHEMA: Mapping[str, Field] = {
    "name": Field("a non-empty string", _is_nonempty_str, required=True),
    "slug": Field("a slug of lower-case letters, digits and hyphens", lambda v: isinstance(v, str)
                  and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", v) is not None),
    "description": Field("a string", _is_str),
    "keywords": Field("a list of non-empty strings", _is_str_list),
    "entities": Field("a list of non-empty strings", _is_str_list),
    "patterns": Field("a list of regular expressions (strings)", _is_str_list),
    "min_matches": Field("a whole number of at least 1", _is_count),
}


def _type_name(v: Any) -> str:
    if v is None:
        return "nothing"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, int | float):
        return "a number"
    if isinstance(v, str):
        return "a string"
    if isinstance(v, list):
        return "a list"
    if isinstance(v, dict):
        return "a mapping"
    return type(v).__name__


def _check_mapping(data: Any, schema: Mapping[str, Field], where: str, source: str) -> dict[str, Any]:
    label = f"{source}: {where}" if where else source
    if not isinstance(data, dict):
        raise ConfigError(f"{label}: expected a mapping of keys, got {_type_name(data)}")
    for key in data:
        if key not in schema:
            near = difflib.get_close_matches(str(key), list(schema), n=1)
            hint = f" (did you mean '{near[0]}'?)" if near else f" (known keys: {', '.join(schema)})"
            raise ConfigError(f"{source}: unknown key '{_join(where, str(key))}'{hint}")
    for key, spec in schema.items():
        if key not in data:
            if spec.required:
                raise ConfigError(f"{source}: missing required key '{_join(where, key)}'")
            continue
        if not spec.check(data[key]):
            raise ConfigError(f"{source}: {_join(where, key)}: expected {spec.kind}, got {_type_name(data[key])}")
    return data


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


# --- matching helpers, checked at load time ----------------------------------------------------


def normalize(text: str) -> str:
    """NFKC with straight quotes and hyphens, so rules match however the text was pasted."""
    if text.isascii():  # NFKC leaves ASCII alone and every character replaced below is non-ASCII
        return text
    text = unicodedata.normalize("NFKC", text)
    for curly, straight in _NORMALIZE:
        if curly in text:  # a few scans and replaces: str.translate looks up every character, ~50 times slower
            text = text.replace(curly, straight)
    return text


_NORMALIZE = (("\u2018", "'"), ("\u2019", "'"), ("\u201c", '"'), ("\u201d", '"'), ("\u00a0", " "),
              ("\u2010", "-"), ("\u2011", "-"), ("\u2013", "-"), ("\u2014", "-"))

_WORD = re.compile(r"\w+")
_ASCII_NON_WORD = bytes(c for c in range(128) if not _WORD.fullmatch(chr(c)))
_ASCII_NON_WORD_TO_SPACE = bytes.maketrans(_ASCII_NON_WORD, b" " * len(_ASCII_NON_WORD))


def text_words(text: str, among: frozenset[str] | None = None) -> AbstractSet[str]:
    """The words of text as `re` sees them (maximal runs of \\w), or only those `among` the given ones
    (cheaper: no set of all the words is built)."""
    # With the ASCII characters that are not word characters as spaces, str.split cuts out the words several
    # times faster than _WORD.findall; only pieces with other characters (as in "£38") need the regex.
    pieces = text.encode().translate(_ASCII_NON_WORD_TO_SPACE).decode().split()
    if not text.isascii():
        pieces = [p for p in pieces if p.isascii()] + _WORD.findall(" ".join(p for p in pieces if not p.isascii()))
    return set(pieces) if among is None else among.intersection(pieces)


def _term_source(term: str) -> str:
    term = normalize(term.strip())
    core = re.escape(term.rstrip("*").strip())
    core = re.sub(r"(\\ )+", r"\\s+", core)  # any run of white space between words
    return core + (r"\w*" if term.endswith("*") else "")


def _term_needs(term: str, case: bool) -> frozenset[str] | str:
    """What every hit of the term (as `_term_source` makes it) has: words that are all whole words of the
    lowered text; else a string in the text ("" if nothing is sure)."""
    term = normalize(term.strip())
    core = term.rstrip("*").strip()
    words = _WORD.findall(core)
    # A hit starts at a word start and ends at a word end, so each word of the term is a whole word of the
    # text, but for the last one when a trailing * continues it.
    stem = words.pop() if term.endswith("*") and words and core.endswith(words[-1]) else ""
    if not words:
        return stem
    if case:
        # Entities are looked up among the words of the lowered text. lower() turns each character but "İ" into
        # one character that is a word character exactly when the original is, so a whole word of the text
        # is one of the lowered text; but only in ASCII is it lowered the same alone as in the text (final sigma).
        return frozenset(w.lower() for w in words) if all(w.isascii() for w in words) else words[0]
    return frozenset(words)


def _by_first_character(alternatives: list[str]) -> str:
    """The regex alternatives joined with `|`, those with the same first character as one group: `re` then tries
    one group at each place instead of every alternative. Same matches: the order within a group is kept, and
    alternatives that start with different characters never match at the same place."""
    if "" in alternatives or r"\w*" in alternatives:  # terms of only "*" or spaces (digest.yaml refuses them)
        return "|".join(alternatives)
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        first = alternative[:2] if alternative.startswith("\\") else alternative[:1]  # re.escape's "\\$"
        groups.setdefault(first, []).append(alternative[len(first):])
    return "|".join(first + (f"(?:{'|'.join(rests)})" if len(rests) > 1 else rests[0]) for first, rests in groups.items())


@dataclass(frozen=True, slots=True)
class Terms:
    """Keywords or entities compiled to one regex: whole words, case-blind unless `case`.

    The regex has no leading look-behind (which would stop `re` from skipping ahead by first
    character, several times slower); the start-of-word check is done on each match instead.
    It is not run on a text where no term can hit (most texts, for most topics): given the text's
    words, a hit needs all words of one of `needs` among them, or one of `anywhere` in the text.
    """

    regex: re.Pattern[str]
    case: bool
    needs: tuple[frozenset[str], ...] = ()  # for each term with whole words: those words (lowered)
    anywhere: tuple[str, ...] = ("",)  # for each other term: what it starts with ("" is in any text)
    words: frozenset[str] = field(init=False)  # every word in `needs`: for a quick first look

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", frozenset().union(*self.needs))

    def count(self, text: str, lowered: str | None = None, words: AbstractSet[str] | None = None,
              enough: int | None = None) -> int:
        """Hits in text, or `enough` once that many are found; when counting many Terms over one text, pass
        `lowered` (text.lower()) and `words` (text_words(lowered), or at least those of it among `self.words`)."""
        hay = text if self.case else (lowered if lowered is not None else text.lower())
        if words is not None and not self._may_hit(hay, words):
            return 0
        hits = 0
        for m in self.regex.finditer(hay):
            i = m.start()
            if i == 0 or not (hay[i - 1].isalnum() or hay[i - 1] == "_"):
                hits += 1
                if hits == enough:
                    break
        return hits

    def _may_hit(self, hay: str, words: AbstractSet[str]) -> bool:
        if not self.words.isdisjoint(words) and any(need <= words for need in self.needs):
            return True
        return any(start in hay for start in self.anywhere)

    def search(self, text: str) -> bool:
        return self.count(text) > 0


def keyword_terms(*terms: str, case: bool) -> Terms:
    """Terms for a topic rule; a trailing `*` allows any word ending ("crypto*" finds "cryptocurrency")."""
    cased = [t if case else t.lower() for t in terms]
    sources = {_term_source(t) for t in cased}
    alternatives = sorted(sources, key=lambda x: (-len(x), x))
    needs = {_term_needs(t, case) for t in cased} or {""}  # no terms: the empty regex matches anywhere
    return Terms(re.compile(rf"(?:{_by_first_character(alternatives)})(?!\w)"), case,
                 tuple(n for n in needs if isinstance(n, frozenset)), tuple(sorted(n for n in needs if isinstance(n, str))))


def _topic(data: Any, index: int, source: str) -> Topic:
    where = f"topics[{index}]"
    d = _check_mapping(data, TOPIC_SCHEMA, where, source)
    for i, pattern in enumerate(d.get("patterns", [])):
        try:
            re.compile(pattern)
        except (re.error, OverflowError, RecursionError) as exc:  # a{99999999999} overflows instead of re.error
            raise ConfigError(f"{source}: {where}.patterns[{i}]: not a valid regular expression ({exc})") from exc
    for key in ("keywords", "entities"):
        for i, term in enumerate(d.get(key, [])):
            if not term.rstrip("*").strip():
                raise ConfigError(f"{source}: {where}.{key}[{i}]: empty term")
    return Topic(
        slug=d.get("slug") or slugify(d["name"]),
        name=d["name"].strip(),
        description=d.get("description", "").strip(),
        keywords=tuple(d.get("keywords", [])),
        entities=tuple(d.get("entities", [])),
        patterns=tuple(d.get("patterns", [])),
        min_matches=d.get("min_matches", 1),
    )


def parse_config(data: Any, source: str = "digest.yaml", root: Path = Path(".")) -> SiteConfig:
    """Validate parsed YAML and build the config; raises ConfigError naming `source` and the key."""
    d = _check_mapping(data, SITE_SCHEMA, "", source)
    timezone = d.get("timezone", "UTC").strip()
    try:
        zoneinfo.ZoneInfo(timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: a folder ("Asia"), a name too long
        raise ConfigError(f"{source}: timezone: unknown time zone {timezone!r}") from exc
    topics = tuple(_topic(t, i, source) for i, t in enumerate(d.get("topics", [])))
    seen: dict[str, int] = {}
    for i, topic in enumerate(topics):
        if topic.slug in seen:
            raise ConfigError(f"{source}: topics[{i}]: slug '{topic.slug}' is already used by topics[{seen[topic.slug]}]")
        seen[topic.slug] = i
    base_url = d["base_url"].strip()
    return SiteConfig(
        title=d["title"].strip(),
        base_url=base_url if base_url.endswith("/") else base_url + "/",
        timezone=timezone,
        description=d.get("description", "").strip(),
        language=d.get("language", "en"),
        latest=d.get("latest", 12),
        feed_entries=d.get("feed_entries", 50),
        timeline_split=d.get("timeline_split", 150),
        topics=topics,
        templates=d.get("templates"),
        root=root,
        source=source,
    )


def load_config(path: Path) -> SiteConfig:
    """Read and validate a config file."""
    source = path.name if path.parent == Path(".") else path.as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{source}: no such configuration file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{source}: cannot be read ({exc})") from exc
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}: not valid YAML{at}: {getattr(exc, 'problem', None) or exc}") from exc
    except Exception as exc:  # PyYAML's constructors: nested too deep, 2025-02-30, "!!bool x" (KeyError) …
        raise ConfigError(f"{source}: not valid YAML: {type(exc).__name__}: {exc}") from exc
    return parse_config(data if data is not None else {}, source, path.resolve().parent)
