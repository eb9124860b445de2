"""digest.yaml validation: unknown keys and wrong types are errors that name the key and the file."""

from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from digest.config import ConfigError, keyword_terms, load_config, parse_config

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
