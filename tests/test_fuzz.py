"""Fuzzing (hypothesis): the loader, front matter, config and dedupe on arbitrary bytes and text.

Each `check_*` function is one fuzz target: it feeds one input to the code under test and asserts
the contract (never raises; always records or problems; a bad config is a `ConfigError` naming the
file and the key). The tests below run each target on a modest number of examples; the long run,
`benchmarks/fuzz.py`, drives the same targets with hundreds of thousands of inputs.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from digest.config import SITE_SCHEMA, TOPIC_SCHEMA, ConfigError, SiteConfig, load_config, parse_config
from digest.dedupe import dedupe
from digest.load import INTERNAL_ERROR, parse_bytes
from digest.load.frontmatter import KNOWN_KEYS, FrontMatter, split_front_matter
from digest.load.parse import parse_text
from digest.model import Problem, SourceRef, Story

TODAY = dt.date(2026, 11, 22)
URL_SAFE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
PROFILE = settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))

# --- strategies ---------------------------------------------------------------------------------

# Lines of real pasted pages and hostile text, so generated files reach the parser's deep paths.
LINES = [
    "Pakistan and China agree to expand trade links",
    "Published March 26, 2025",
    "Published February 30, 2025",
    "Updated 06 February 2025",
    "March 26, 20252:30 PM GMT+5",
    "2025-03-26 19:32:15",
    "ISLAMABAD: The government said on Wednesday (March 26) it would resume talks.",
    "KARACHI, March 26 (Reuters) - Shares rose on Wednesday.",
    "ISLAMABAD (AP) — Militants attacked a checkpoint.",
    "By MUNIR AHMED",
    "Share",
    "Advertisement",
    "• A summary bullet",
    "Trucks wait at the border. (AP)",
    "https://arab.news/abc12",
    "Reporting by A; Editing by B",
    "# Heading",
    "<script>alert(1)</script>",
    "[link](javascript:alert(1))",
    "![img](x onerror=alert(1))",
    "{{ config }} {% raw %}",
    "\u202e\u200b\ufeff\u00a0",
    "\ud800",
    "\x0c\x0b\x1b",
    "---",
    "...",
]
FRONT_LINES = [
    "title: Front matter title",
    "headline: Another",
    "date: 2025-03-26",
    "date: 2025-02-30",
    "date: 0000-01-01",
    "date: 2025-13-45",
    "date: 2025-02-28T10:00:00+99:00",
    "date: Feb 30 2025",
    "date: 10000-01-01",
    "date: [2025]",
    "slug: ../../etc/passwd",
    "slug: ''",
    "source_url: javascript:alert(1)",
    "topics: [a, b, 3, null]",
    "topics: {a: 1}",
    "summary: just one",
    "skip: true",
    "skip: yes",
    "stories:",
    "  0: {title: First}",
    "  1: {skip: true}",
    "  -1: {title: x}",
    "  x: {title: y}",
    "  1.5: {title: z}",
    "  99999999999999999999: {}",
    "  - {title: listed}",
    "stories: 7",
    "a: &a [1, 2]",
    "b: *a",
    "c: *undefined",
    "!!python/object/apply:os.system ['true']",
    "title: !!python/name:os.system",
    "title: !!binary aGVsbG8=",
    "title: !!timestamp 2025-02-30",
    "title: !!float nan",
    "? [unhashable]\n: 1",
    "%YAML 1.1",
    "title: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
    "\t- tab",
    "caption: 12",
    "dateline: true",
]

any_text = st.text(alphabet=st.characters(codec=None), max_size=120)
page_line = st.one_of(st.sampled_from(LINES), any_text)
page_text = st.lists(page_line, max_size=25).map("\n".join)
front_text = st.lists(st.one_of(st.sampled_from(FRONT_LINES), any_text), max_size=12).map("\n".join)
file_name = st.sampled_from(["a.txt", "a.md", "a.markdown", "a.text", "dir/sub/b.TXT", "spaced name.md", "ünï.txt"])
build_day = st.one_of(st.just(TODAY), st.dates(min_value=dt.date(1, 1, 1), max_value=dt.date(9999, 12, 31)))

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), any_text, st.dates(), st.datetimes(),
    st.sampled_from(["2025-02-30", "2025-03-26", "Feb 30, 2025", "<script>alert(1)</script>", "javascript:alert(1)", ""]),
)
yaml_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4) | st.dictionaries(any_text | st.integers(), inner,
                                                                                                    max_size=4), max_leaves=12)
front_keys = st.one_of(st.sampled_from(sorted(KNOWN_KEYS)), any_text)
front_data = st.dictionaries(front_keys, yaml_values, max_size=8)


@st.composite
def front_matter_file(draw: st.DrawFn) -> str:
    """A file whose front matter is either dumped from data or assembled from YAML-looking lines."""
    if draw(st.booleans()):
        data = draw(front_data)
        if draw(st.booleans()):
            data["stories"] = draw(st.dictionaries(st.integers(-2, 5), front_data, max_size=3) | yaml_values)
        raw = yaml.safe_dump(data, allow_unicode=draw(st.booleans()))
    else:
        raw = draw(front_text)
    fence = draw(st.sampled_from(["---\n", "---  \n", "---\r\n"]))
    end = draw(st.sampled_from(["\n---\n", "\n...\n", "\n", "\n--- \n"]))
    return fence + raw + end + draw(page_text)


def _config_value(key: str) -> st.SearchStrategy[Any]:
    plausible = {
        "title": st.sampled_from(["Digest", "", "  ", "<script>alert(1)</script>"]),
        "base_url": st.sampled_from(["https://example.org/x", "http://a", "javascript:alert(1)", "ftp://x", "https://"]),
        "timezone": st.sampled_from(["UTC", "Asia/Karachi", "Asia", "../../etc/passwd", "a" * 300, "", "Etc/GMT+5", "\0"]),
        "language": st.sampled_from(["en", "en-GB", "e", "x" * 10]),
        "templates": st.sampled_from(["my-templates", "../..", "/etc", ""]),
        "name": st.sampled_from(["Crypto", "<b>x</b>", "!!!", "", "Pakistan–Afghanistan"]),
        "slug": st.sampled_from(["crypto", "Crypto", "a--b", "../x", "x"]),
        "patterns": st.lists(st.sampled_from(["a{4294967296}", "(", "[", "x" * 5, "(?P<n>a)", "\\"]) | any_text, max_size=3),
        "keywords": st.lists(st.sampled_from(["crypto*", "*", " ", "a b", "é"]) | any_text, max_size=3),
        "entities": st.lists(st.sampled_from(["TTP", "*", "x"]) | any_text, max_size=3),
    }.get(key, st.integers(-2, 200))
    return st.one_of(plausible, yaml_values)


topic_data = st.one_of(
    st.fixed_dictionaries({"name": _config_value("name")}, optional={k: _config_value(k) for k in TOPIC_SCHEMA if k != "name"}),
    yaml_values,
)
config_data = st.one_of(
    st.fixed_dictionaries(
        {"title": _config_value("title"), "base_url": _config_value("base_url")},
        optional={
            **{k: _config_value(k) for k in SITE_SCHEMA if k not in ("title", "base_url", "topics")},
            "topics": st.lists(topic_data, max_size=4) | yaml_values,
            "colour": yaml_values,
        },
    ),
    yaml_values,
)
config_text = st.one_of(
    config_data.map(lambda d: yaml.safe_dump(d, allow_unicode=True)),
    st.lists(st.one_of(st.sampled_from(["title: T", "base_url: https://x.org", "timezone: Asia", "topics:", "  - name: A",
                                        "    patterns: ['a{99999999999}']", "latest: 2025-02-30", "[[[[", "\t", "&a [*a]"]),
                                        any_text), max_size=10).map("\n".join),
)

# --- targets ------------------------------------------------------------------------------------


def check_records(stories: list[Story], problems: list[Problem], path: str) -> None:
    assert stories or problems, "neither records nor problems"
    for problem in problems:
        assert problem.path == path and problem.line >= 1 and problem.message, problem
        assert problem.level in ("error", "warning", "info"), problem
    for story in stories:
        assert story.title.strip(), story
        assert URL_SAFE.match(story.id), story.id
        assert story.sources[0].path == path
        assert story.date is None or story.date_source


def check_bytes(data: bytes, name: str = "a.txt", today: dt.date = TODAY) -> None:
    stories, problems, report = parse_bytes(name, data, today)
    assert not any(INTERNAL_ERROR in p.message for p in problems), problems  # parse_bytes caught a crash
    check_records(stories, problems, name)
    assert report.path == name and report.stories == len(stories)
    assert (report.status == "loaded") == bool(stories), report
    assert report.status == "loaded" or report.reason, report
    for story in stories:  # the loader's own dates are never after the build date; front matter may set any
        assert story.date is None or story.date <= today or story.date_source == "front-matter", story


def check_text(text: str, markdown: bool = False, today: dt.date = TODAY) -> None:
    stories, problems = parse_text("t.md" if markdown else "t.txt", text, today, markdown=markdown)
    check_records(stories, problems, "t.md" if markdown else "t.txt")


def check_front_matter(text: str, markdown: bool = False) -> None:
    front = split_front_matter("f.txt", text)
    assert isinstance(front, FrontMatter)
    assert front.body_start_line >= 1
    assert all(index >= 0 for index in front.per_story)
    for problem in front.problems:
        assert problem.path == "f.txt" and problem.line >= 1 and problem.message
    check_text(text, markdown)


KEY_NAMES = {*SITE_SCHEMA, *TOPIC_SCHEMA}


def check_config_data(data: Any) -> None:
    try:
        config = parse_config(data, "digest.yaml", Path("/nowhere"))
    except ConfigError as exc:
        message = str(exc)
        assert message.startswith("digest.yaml: "), message
        if isinstance(data, dict) and "expected a mapping of keys" not in message.split(":", 2)[1]:
            named = KEY_NAMES | {str(k) for k in data} | {"topics["}
            assert any(name and name in message for name in named), message
        return
    assert isinstance(config, SiteConfig)
    assert config.base_url.endswith("/") and config.title.strip()
    assert len({t.slug for t in config.topics}) == len(config.topics)


def check_config_file(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "digest.yaml"
        path.write_bytes(data)
        try:
            config = load_config(path)
        except ConfigError as exc:
            assert str(exc).startswith(f"{path.as_posix()}: "), str(exc)
            return
        assert isinstance(config, SiteConfig)


def check_dedupe(texts: list[str], copies: list[tuple[int, int]]) -> None:
    """Stories from arbitrary text (plus cut or repeated copies of some): every source is kept exactly once."""
    stories: list[Story] = []
    for n, text in enumerate(texts):
        found, _ = parse_text(f"{n}.txt", text, TODAY)
        stories.extend(found)
    for n, (which, cut) in enumerate(copies):
        if stories:
            original = stories[which % len(stories)]
            body = original.body[: max(1, len(original.body) - cut)]
            stories.append(Story(f"{original.id}-{n + 2}", original.headline, original.title, original.date, original.date_source,
                                 original.dateline, original.summary, body, (SourceRef(f"copy{n}.txt", 0),)))
    result = dedupe(stories)
    kept = [ref for story in result.stories for ref in story.sources]
    assert sorted((r.path, r.index) for r in kept) == sorted((s.sources[0].path, s.sources[0].index) for s in stories)
    ids = [s.id for s in result.stories]
    assert len(set(ids)) == len(ids), ids
    for story in result.stories:
        assert URL_SAFE.match(story.id), story.id
        assert story.id not in story.related and set(story.related) <= set(ids), story
    for merge in result.merges:
        assert merge.id in ids and len(merge.sources) >= 2


# --- the tests ----------------------------------------------------------------------------------


@PROFILE
@given(st.binary(max_size=4000), file_name, build_day)
@example(b"---\ndate: 2025-02-30\n---\nHeadline\nISLAMABAD: Body text of the story.\n", "a.txt", TODAY)  # crashed: ValueError
@example(b"---\ndate: 0000-01-01\n---\nBody text.\n", "a.md", TODAY)  # crashed: year 0 is out of range
@example(b"---\nstories: {1: {date: 2025-13-01}}\n---\nBody.\n", "a.txt", TODAY)  # crashed: month must be in 1..12
@example(b"---\ndate: 2025-02-28T10:00:00+99:00\n---\nBody.\n", "a.txt", TODAY)  # crashed: offset out of range
def test_any_bytes_give_records_or_problems(data: bytes, name: str, today: dt.date) -> None:
    check_bytes(data, name, today)


@PROFILE
@given(page_text, file_name, build_day, st.sampled_from(["utf-8", "utf-16", "cp1252", "utf-8-sig"]))
def test_pasted_text_in_any_encoding(text: str, name: str, today: dt.date, encoding: str) -> None:
    check_bytes(text.encode(encoding, "replace"), name, today)


@PROFILE
@given(page_text | any_text, st.booleans(), build_day)
@example("Headline of the story\n\nPublished \u017fept 3, 2020\n\nBody text.\n", False, TODAY)  # crashed: KeyError
@example("Headline of the story\n\nUpdated 06 Apr\u0131l 2025\n\nBody text.\n", False, TODAY)  # crashed: KeyError
@example("Headline of the story\n\nKABUL: On Monday (March 3) the talks began.\n", False, TODAY)
@example("Headline of the story\n\nKABUL: On \u017funday (March 2) the talks began.\n", False, TODAY)
def test_parse_text_never_raises(text: str, markdown: bool, today: dt.date) -> None:
    check_text(text, markdown, today)


@PROFILE
@given(front_matter_file(), st.booleans())
@example("---\ntitle: !!timestamp 2025-02-30\n---\nBody.\n", False)
@example("---\n" + "[" * 5000 + "\n---\nBody.\n", True)
@example("---\ntitle: !!timestamp hello\n---\nBody.\n", False)  # crashed: AttributeError inside PyYAML
@example("---\ntitle: !!bool maybe\n---\nBody.\n", False)  # crashed: KeyError inside PyYAML
@example("---\ntitle: !!int x\n---\nBody.\n", True)  # crashed: ValueError inside PyYAML
def test_front_matter_never_raises(text: str, markdown: bool) -> None:
    check_front_matter(text, markdown)


@PROFILE
@given(config_data)
@example({"title": "T", "base_url": "https://x.org", "timezone": "Asia"})  # crashed: IsADirectoryError
@example({"title": "T", "base_url": "https://x.org", "timezone": "a" * 300})  # crashed: OSError, file name too long
@example({"title": "T", "base_url": "https://x.org", "topics": [{"name": "x", "patterns": ["a{4294967296}"]}]})  # OverflowError
def test_config_is_valid_or_a_config_error_naming_the_key(data: Any) -> None:
    check_config_data(data)


@PROFILE
@given(config_text.map(lambda t: t.encode("utf-8", "surrogatepass")) | st.binary(max_size=500))
@example(b"title: T\nbase_url: https://x.org\ndescription: 2025-02-30\n")  # crashed: ValueError from the YAML constructor
@example(b"[" * 5000)  # crashed: RecursionError
@example(b"title: !!bool maybe\nbase_url: https://x.org\n")  # crashed: KeyError inside PyYAML
def test_config_file_is_valid_or_a_config_error(data: bytes) -> None:
    check_config_file(data)


@settings(PROFILE, max_examples=40)
@given(st.lists(page_text, min_size=1, max_size=6), st.lists(st.tuples(st.integers(0, 50), st.integers(0, 3)), max_size=4))
def test_dedupe_keeps_every_source_once(texts: list[str], copies: list[tuple[int, int]]) -> None:
    check_dedupe(texts, copies)


@pytest.mark.parametrize(
    ("front", "message"),
    [
        ("date: 2025-02-30", "'2025-02-30' is not a real date"),
        ("date: 2025-13-01", "'2025-13-01' is not a real date"),
        ("date: 0000-01-01", "'0000-01-01' is not a real date"),
        ("stories: {0: {date: 2025-02-29}}", "'stories.0.date' '2025-02-29' is not a real date"),
    ],
)
def test_impossible_front_matter_date_is_reported_and_the_rest_kept(front: str, message: str) -> None:
    text = f"---\ntitle: Kept title\n{front}\n---\nSome headline\nPublished March 3, 2025\nISLAMABAD: Body text.\n"
    stories, problems, report = parse_bytes("x.txt", text.encode(), TODAY)
    assert report.status == "loaded"
    (story,) = stories
    assert story.title == "Kept title"  # the other fields still apply
    assert story.date == dt.date(2025, 3, 3)  # the page's own date, not the impossible one
    assert any(message in p.message for p in problems), problems
