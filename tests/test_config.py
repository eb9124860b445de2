"""digest.yaml validation: unknown keys and wrong types are errors that name the key and the file."""

import re
import sys
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from hypothesis import example, given, settings
from hypothesis import strategies as st

from digest.config import ConfigError, keyword_terms, load_config, parse_config, text_words

MINIMAL = {"title": "T", "base_url": "https://example.org/news"}


def test_shipped_config_is_valid_and_covers_the_region():
    config = load_config(ROOT / "digest.yaml")
    slugs = [t.slug for t in config.topics]
    for wanted in ("pakistan-afghanistan", "china-pakistan-cpec", "militancy-security", "crypto-digital-finance", "diplomacy"):
        assert wanted in slugs
    assert config.base_url.endswith("/")
    assert config.timezone == "Asia/Karachi"
    assert all(t.description for t in config.topics)


def test_minimal_config_gets_defaults():
    config = parse_config(MINIMAL)
    assert config.base_url == "https://example.org/news/"
    assert config.timezone == "UTC"
    assert config.topics == ()
    assert config.latest >= 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({**MINIMAL, "colour": "red"}, "unknown key 'colour'"),
        ({**MINIMAL, "titel": "x"}, "did you mean 'title'"),
        ({"base_url": "https://x.org/"}, "missing required key 'title'"),
        ({**MINIMAL, "latest": "ten"}, "latest: expected a whole number"),
        ({**MINIMAL, "latest": True}, "latest: expected a whole number"),
        ({**MINIMAL, "base_url": "example.org"}, "base_url: expected an absolute http(s) URL"),
        ({**MINIMAL, "timezone": "Mars/Olympus"}, "timezone: unknown time zone"),
        ({**MINIMAL, "topics": {"a": 1}}, "topics: expected a list of topics"),
        ({**MINIMAL, "topics": [{"name": "A", "keyword": ["x"]}]},
         "unknown key 'topics[0].keyword' (did you mean 'keywords'?)"),
        ({**MINIMAL, "topics": [{"name": "A", "keywords": "x"}]},
         "topics[0].keywords: expected a list of non-empty strings, got a string"),
        ({**MINIMAL, "topics": [{"name": "A", "keywords": [1]}]}, "topics[0].keywords: expected a list"),
        ({**MINIMAL, "topics": [{"name": "A", "patterns": ["(unclosed"]}]}, "topics[0].patterns[0]: not a valid regular"),
        ({**MINIMAL, "topics": [{"description": "no name"}]}, "missing required key 'topics[0].name'"),
        ({**MINIMAL, "topics": [{"name": "A"}, {"name": "a"}]}, "topics[1]: slug 'a' is already used by topics[0]"),
        ({**MINIMAL, "topics": [{"name": "A", "slug": "Not A Slug"}]}, "topics[0].slug: expected a slug"),
        ({**MINIMAL, "topics": ["just a name"]}, "topics[0]: expected a mapping"),
        (["a", "list"], "expected a mapping of keys"),
    ],
)
def test_invalid_config_names_key_and_file(data, message):
    with pytest.raises(ConfigError) as info:
        parse_config(data, "site/digest.yaml")
    text = str(info.value)
    assert text.startswith("site/digest.yaml")
    assert message in text


def test_load_config_reports_file_problems(tmp_path: Path):
    with pytest.raises(ConfigError, match="no such configuration file"):
        load_config(tmp_path / "missing.yaml")
    bad = tmp_path / "digest.yaml"
    bad.write_text("title: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digest.yaml: not valid YAML at line"):
        load_config(bad)
    bad.write_text(yaml.safe_dump({**MINIMAL, "extra": 1}), encoding="utf-8")
    with pytest.raises(ConfigError, match=r"digest.yaml: unknown key 'extra'"):
        load_config(bad)


def test_empty_file_reports_missing_title(tmp_path: Path):
    empty = tmp_path / "digest.yaml"
    empty.write_text("", encoding="utf-8")
    with pytest.raises(ConfigError, match="missing required key 'title'"):
        load_config(empty)


@pytest.mark.parametrize(
    ("term", "case", "text", "hit"),
    [
        ("Afghan", False, "the afghan border", True),
        ("Afghan", False, "Afghanistan said", False),  # whole words only
        ("crypto*", False, "cryptocurrency exchange", True),
        ("crypto*", False, "encrypted", False),
        ("TTP", True, "the TTP said", True),
        ("TTP", True, "ttp", False),  # entities keep their case
        ("Durand Line", False, "the durand\nline", True),  # any white space between words
        ("Web3", False, "web3 skills", True),
        ("$38 billion", False, "cost $38 billion a year", True),
    ],
)
def test_keyword_terms(term, case, text, hit):
    assert (keyword_terms(term, case=case).search(text)) is hit


# --- Terms.count against the plain regex way it replaces -------------------------------------------------

_OLD_NORMALIZE = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " ",
                                "\u2010": "-", "\u2011": "-", "\u2013": "-", "\u2014": "-"})


def reference_count(terms: list[str], case: bool, text: str) -> int:
    """Hits as counted before the word pre-check: one alternation regex, then a start-of-word check per match."""
    sources = set()
    for term in terms:
        term = unicodedata.normalize("NFKC", (term if case else term.lower()).strip()).translate(_OLD_NORMALIZE)
        core = re.sub(r"(\\ )+", r"\\s+", re.escape(term.rstrip("*").strip()))
        sources.add(core + (r"\w*" if term.endswith("*") else ""))
    regex = re.compile(rf"(?:{'|'.join(sorted(sources, key=lambda x: (-len(x), x)))})(?!\w)")
    hay = text if case else text.lower()
    return sum(1 for m in regex.finditer(hay) if m.start() == 0 or not re.match(r"\w", hay[m.start() - 1]))


TERM_POOL = [
    "suicide bomb*", "bombing", "bomb", "crypto*", "Durand Line", "counter-terrorism", "terror*", "$38 billion",
    "air strike*", "airstrike*", "Web3", "U.S.", "ab", "b c", "c", "x*", "TTP", "Binance", "VASPs", "VASP",
    "İstanbul", "ΟΔΟΣ", "Straße", "café", "ﬁnance", "état*", "a_b", "2024", "Xi Jinping", "talks with", "talks", "with",
    "-x", "Durand", "Line",
]
SEPARATORS = [" ", "  ", "\n", "\t", "-", ".", ",", "$", "'", "_", "9", "x", "é", "İ", "ı", "Σ", "ς", "Α", "K", "ﬁ",
              "\u0307"]


def variants(term: str) -> list[str]:
    """Ways a term shows up in text: other cases, other white space, longer words, cut short."""
    core = term.rstrip("*")
    return [core, core.lower(), core.upper(), core.title(), core.replace(" ", "  "), core.replace(" ", "\n"),
            core.replace(" ", " \t\n "), core + "s", core + "ing", core[1:], core[:-1]]


@st.composite
def terms_and_text(draw: st.DrawFn) -> tuple[list[str], str]:
    any_term = st.text(alphabet="abcxAB _-*é", min_size=1, max_size=5)  # even "*" or " ", which the config refuses
    terms = draw(st.lists(st.sampled_from(TERM_POOL) | any_term, max_size=6))
    pieces = st.sampled_from([v for t in terms for v in variants(t)] + SEPARATORS)
    pieces |= st.text(alphabet="abcxyABCİΣé_9 -\n*", max_size=4)
    return terms, "".join(draw(st.lists(pieces, max_size=24)))


@settings(max_examples=500, deadline=None)
@given(terms_and_text(), st.booleans())
@example((["suicide bomb*", "bombing"], "xsuicide bombing; Suicide  bombers\nsuicide\nbomb"), False)
@example((["ab", "b c", "c"], "xab c"), False)  # a match that does not start a word still hides the next one
@example((["TTP"], "İTTP TTP"), True)
@example((["İstanbul"], "İstanbul"), True)  # lowered, "İ" is two characters
@example((["ΟΔΟΣ"], "ΟΔΟΣ'Α"), True)  # lowered, this Σ is not final: "οδοσ'α"
@example((["counter-terrorism", "terror*"], "_counter-terrorism 9terror counter-terrorist"), False)
@example((["talks", "with", "talks with"], "talks  with"), False)  # the longer term wins: one hit
@example((["abcd", "*", "a$", "$ y", "y"], "a$ y"), False)  # "*" is \w*: it matches where "a$" does, but shorter
@example(([], " x "), False)
def test_terms_count_as_the_regex_way(terms_text, case):
    terms, text = terms_text
    want = reference_count(terms, case, text)
    compiled = keyword_terms(*terms, case=case)
    lowered = text.lower()
    assert compiled.count(text) == want
    assert compiled.count(text, lowered, text_words(lowered)) == want
    assert compiled.count(text, lowered, text_words(lowered, compiled.words)) == want
    assert compiled.count(text, lowered, text_words(lowered), enough=2) == min(want, 2)


def test_text_words_are_the_regex_words():
    for text in ("Hello, world_1 (e.g. x9)\tnew\nline", "café-crème İstanbul ΟΔΟΣ 3½ £38\u3000x·y", ""):
        among = frozenset({"world_1", "new", "crème", "x", "38", "İstanbul", "stanbul"})
        assert text_words(text) == set(re.findall(r"\w+", text))
        assert text_words(text, among) == among & set(re.findall(r"\w+", text))


def test_lower_keeps_each_character_one_of_its_kind_but_dotted_capital_i():
    """Entities are looked up among the words of the lowered text (Terms.count): sound as long as lower()
    turns each character into one character that is a word character exactly when the original is."""
    changed = []
    for code in range(sys.maxunicode + 1):
        char = chr(code)
        low = char.lower()
        if len(low) != 1 or (char.isalnum() or char == "_") != (low.isalnum() or low == "_"):
            changed.append(char)
    assert changed == ["İ"]
