"""The seed site: pages, escaping, determinism, golden HTML, feeds, sitemap, build report, publishing."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import feedparser
import pytest
from conftest import ARTICLES, ROOT, SEED_BUILD_DATE

from digest.pipeline import build
from digest.publish import PublishError, publish
from digest.render import OutputFile

GOLDEN = ROOT / "tests/golden/site"
UPDATE = os.environ.get("DIGEST_UPDATE_GOLDEN") == "1"
CONFIG = ROOT / "digest.yaml"
VNU = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"
CRYPTO_STORY = "stories/pakistan-global-crypto-exchange-discuss-b53890.html"


def build_site(articles: Path, out: Path, config: Path = CONFIG, today: dt.date = SEED_BUILD_DATE) -> Path:
    assert build(articles, out, config, today).code == 0
    return out


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    return build_site(ARTICLES, tmp_path_factory.mktemp("seed") / "public")


def html_pages(site: Path) -> list[str]:
    return sorted(p for p in tree(site) if p.endswith(".html"))


def test_every_page_type_is_built(site: Path):
    files = tree(site)
    for path in ("index.html", "timeline.html", "feed.xml", "sitemap.xml", "build-report.json", "search-data.js",
                 "static/style.css", "static/search.js", "static/vendor/minisearch.js", "static/vendor/minisearch.LICENSE.txt",
                 "topics/crypto-digital-finance.html", "topics/crypto-digital-finance.xml", CRYPTO_STORY):
        assert path in files, path
    assert len([p for p in files if p.startswith("stories/")]) == 5  # six found, two of them the same story
    assert b'<input id="q" name="q" type="search"' in files["index.html"]


def test_links_are_relative_and_resolve(site: Path):
    for page in html_pages(site):
        text = (site / page).read_text(encoding="utf-8")
        for href in re.findall(r'(?:href|src)="([^"]+)"', text):
            if href.startswith(("https://", "http://", "data:")):
                continue
            assert not href.startswith("/"), (page, href)
            target = href.split("#")[0]
            if target:
                assert ((site / page).parent / target).resolve().is_file(), (page, href)


def test_story_page_shows_provenance_dates_and_neighbours(site: Path):
    crypto = (site / CRYPTO_STORY).read_text(encoding="utf-8")
    assert "Found in <code>000_f8515c5b4837a612.txt</code>, story 2" in crypto  # every file it came from
    assert "Merged from <code>001_2cba5b57e2f18ceb.txt</code>, story 2" in crypto
    assert 'rel="prev"' not in crypto and 'rel="next"' in crypto  # the newest story in the timeline
    undated = (site / "stories/pakistan-says-prioritizes-diplomacy-day-after-826de8.html").read_text(encoding="utf-8")
    assert '<span class="undated">Undated</span>' in undated
    inferred = (site / "stories/pakistan-and-china-are-discussing-security-1c3f22.html").read_text(encoding="utf-8")
    assert '<time datetime="2025-03-26">26 March 2025</time> <span class="inferred">(date inferred)</span>' in inferred
    stated = (site / "stories/china-pakistan-urge-afghanistan-to-act-against-7bc603.html").read_text(encoding="utf-8")
    assert '<time datetime="2025-02-06">6 February 2025</time>' in stated and "(date inferred)" not in stated
    assert 'href="https://arab.news/' not in stated
    assert "<li>Pakistan recognizes commitment to ensuring safety of Chinese workers" in stated


def test_topic_and_timeline_pages_list_their_stories(site: Path):
    crypto = (site / "topics/crypto-digital-finance.html").read_text(encoding="utf-8")
    assert crypto.count('class="event"') == 1  # the merged crypto story and its related (undated) report: one event
    assert crypto.count('href="../stories/') == 2
    timeline = (site / "timeline.html").read_text(encoding="utf-8")
    assert timeline.count('class="event"') == 4
    assert len(set(re.findall(r'<a href="(stories/[^"]+)"', timeline))) == 5
    assert [m for m in re.findall(r'id="m-([\w-]+)"', timeline)] == ["2025-12", "2025-03", "2025-02", "undated"]


def test_build_is_byte_identical(tmp_path: Path, site: Path):
    again = build_site(ARTICLES, tmp_path / "again")
    assert tree(again) == tree(site)


def test_golden_seed_site(site: Path):
    """The seed site's pages, feeds and report, with the build date pinned. DIGEST_UPDATE_GOLDEN=1 rewrites them."""
    got = {p: b for p, b in tree(site).items() if not p.startswith("static/")}
    if UPDATE:
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for path, data in got.items():
            (GOLDEN / path).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / path).write_bytes(data)
    want = tree(GOLDEN)
    assert sorted(got) == sorted(want), "the set of files changed; rerun with DIGEST_UPDATE_GOLDEN=1 if intended"
    for path in sorted(want):
        assert got[path].decode("utf-8") == want[path].decode("utf-8"), f"{path} differs from tests/golden/site/{path}"


def test_feeds_parse_as_atom(site: Path):
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Frontier Digest"
    assert len(feed.entries) == 5
    first = feed.entries[0]
    assert first.link.startswith("https://example.org/digest/stories/")
    assert first.updated.startswith("2025-12-05T00:00:00+05:00")
    assert "<p>" in first.content[0].value
    topic = feedparser.parse((site / "topics/crypto-digital-finance.xml").read_bytes())
    assert not topic.bozo
    assert len(topic.entries) == 2
    assert all("crypto" in e.title.lower() or "financial" in e.title.lower() for e in topic.entries)


def test_sitemap_uses_base_url(site: Path):
    text = (site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", text)
    assert len(locs) == len(html_pages(site)) - 1  # every page but report.html, which is for editors
    assert not any(loc.endswith("/report.html") for loc in locs)
    assert all(loc.startswith("https://example.org/digest/") for loc in locs)
    assert "<lastmod>2025-02-06</lastmod>" in text


def test_build_report_accounts_for_every_file(site: Path):
    report = json.loads((site / "build-report.json").read_text(encoding="utf-8"))
    assert report["build_date"] == "2026-11-22"
    assert sorted(f["path"] for f in report["files"]) == sorted(p.name for p in ARTICLES.iterdir())
    assert all(f["status"] in ("loaded", "merged", "rejected", "skipped") for f in report["files"])
    assert sum(len(f["stories"]) for f in report["files"]) == report["summary"]["stories"] == 5
    merged = next(f for f in report["files"] if f["path"] == "001_2cba5b57e2f18ceb.txt")
    assert merged["merged_into"] == [CRYPTO_STORY.removeprefix("stories/").removesuffix(".html")]
    assert [m["rule"] for m in report["merges"]] == ["exact"]
    assert any("undated" in p["message"] for p in report["problems"])


def test_search_index_is_a_script(site: Path):
    text = (site / "search-data.js").read_text(encoding="utf-8")
    assert text.startswith("window.SEARCH_DOCS = [")
    docs = json.loads(text.removeprefix("window.SEARCH_DOCS = ").rstrip().removesuffix(";"))
    assert {d["url"] for d in docs} == {p for p in html_pages(site) if p.startswith("stories/")}
    assert any("Binance" in d["text"] for d in docs)


@pytest.mark.skipif(shutil.which("java") is None or not VNU.exists(), reason="needs java and npm vnu-jar (make test installs it)")
def test_html_is_valid_per_nu_checker(site: Path):
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", str(site)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-4000:]


# --- hostile input ----------------------------------------------------------------------------

EVIL_MD = """---
title: "Evil <script>alert('fm')</script> headline"
date: 2025-04-01
dateline: "KABUL<script>alert(2)</script>"
summary: ["Bullet <script>alert('sum')</script>", "<b>bold?</b>"]
topics: ["<script>alert('topic')</script>", crypto-digital-finance]
source_url: "javascript:alert('src')"
---
Intro with <script>alert('md')</script> inline and <img src=x onerror="alert('img')"> image.

[click me](javascript:alert('link')) and [ok](https://example.com/x) and <a href="javascript:alert(3)">raw</a>.

<iframe src="https://evil.example"></iframe>

# A heading
"""

EVIL_TXT = """Headline with <script>alert("h")</script> tag

  • Summary with <script>alert("s")</script>
  • Second point

ISLAMABAD: Body <script>alert("b")</script> paragraph about Binance & a crypto exchange.
"""


@pytest.fixture(scope="module")
def evil_site(tmp_path_factory) -> Path:
    articles = tmp_path_factory.mktemp("evil")
    (articles / "evil.md").write_text(EVIL_MD, encoding="utf-8")
    (articles / "evil.txt").write_text(EVIL_TXT, encoding="utf-8")
    return build_site(articles, tmp_path_factory.mktemp("evil-out") / "public")


def test_no_markup_from_input_survives(evil_site: Path):
    for path, data in tree(evil_site).items():
        if path.startswith("static/") or path == "build-report.json":
            continue
        text = data.decode("utf-8")
        assert "<script>alert" not in text, path
        if path.endswith(".html"):
            assert "<script" not in text.replace('<script src="static/search.js"', ""), path
            assert not re.search(r"<a\s[^>]*href=[\"']?\s*javascript:", text, re.IGNORECASE), path
            assert not re.search(r"<[a-z][^>]*\son\w+=", text), path  # no event-handler attribute on any tag
            assert "<iframe" not in text and "<img" not in text, path


def test_escaped_text_is_shown_literally(evil_site: Path):
    pages = {p: b.decode("utf-8") for p, b in tree(evil_site).items() if p.startswith("stories/")}
    text_page = next(t for t in pages.values() if "<h1>Headline with" in t)
    assert "Headline with &lt;script&gt;alert(&#34;h&#34;)&lt;/script&gt; tag" in text_page
    assert "Summary with &lt;script&gt;" in text_page
    assert "Body &lt;script&gt;" in text_page and "Binance &amp; a crypto" in text_page
    md_page = next(t for t in pages.values() if "<h1>Evil &lt;script&gt;" in t)
    assert "KABUL&lt;script&gt;" in md_page
    assert "Bullet &lt;script&gt;" in md_page and "&lt;b&gt;bold?&lt;/b&gt;" in md_page
    assert "Original report: javascript:alert(&#39;src&#39;)" in md_page  # shown, never linked
    assert '<a href="https://example.com/x" rel="noopener noreferrer">ok</a>' in md_page
    assert re.search(r"<a (?![^>]*href)[^>]*>click me</a>", md_page)  # the javascript: href is gone
    assert "<h2>A heading</h2>" in md_page  # demoted below the page's h1
    assert "Intro with &lt;script&gt;alert(" in md_page  # raw HTML in Markdown is shown as text, never run
    assert "&lt;iframe src=" in md_page
    assert "<img" not in md_page


def test_front_matter_topic_name_is_escaped(evil_site: Path):
    topics = [p for p in tree(evil_site) if p.startswith("topics/") and p.endswith(".html")]
    assert "topics/script-alert-topic-script.html" in topics
    page = (evil_site / "topics/script-alert-topic-script.html").read_text(encoding="utf-8")
    assert "<h1>&lt;script&gt;alert(&#39;topic&#39;)&lt;/script&gt;</h1>" in page


def test_hostile_feed_still_parses(evil_site: Path):
    feed = feedparser.parse((evil_site / "feed.xml").read_bytes())
    assert not feed.bozo, feed.get("bozo_exception")
    assert any("<script>" in e.title for e in feed.entries)  # the literal text, as a title


# --- config and publishing --------------------------------------------------------------------


def test_bad_config_fails_the_build_and_keeps_the_old_site(tmp_path: Path, site: Path, capsys):
    out = tmp_path / "public"
    shutil.copytree(site, out)
    bad = tmp_path / "digest.yaml"
    bad.write_text("title: X\nbase_url: https://x.org/\nthemes: []\n", encoding="utf-8")
    result = build(ARTICLES, out, bad, SEED_BUILD_DATE)
    assert result.code == 2
    assert result.error is not None and "digest.yaml: unknown key 'themes'" in result.error
    assert tree(out) == tree(site)


def test_user_templates_override_built_in_ones(tmp_path: Path):
    shutil.copy(CONFIG, tmp_path / "digest.yaml")
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates/topic.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Custom {{ topic.name }}</h1>{% endblock %}', encoding="utf-8")
    (tmp_path / "static").mkdir()
    (tmp_path / "static/extra.css").write_text("body{}", encoding="utf-8")
    out = build_site(ARTICLES, tmp_path / "public", tmp_path / "digest.yaml")
    assert "<h1>Custom Diplomacy</h1>" in (out / "topics/diplomacy.html").read_text(encoding="utf-8")
    assert "<h1>Timeline</h1>" in (out / "timeline.html").read_text(encoding="utf-8")  # not overridden
    assert (out / "static/extra.css").exists() and (out / "static/style.css").exists()


def test_publish_refuses_a_folder_that_is_not_a_site(tmp_path: Path):
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    with pytest.raises(PublishError, match="not a previous build"):
        publish([OutputFile("build-report.json", b"{}")], tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "mine"


def test_failed_publish_leaves_the_previous_site(tmp_path: Path):
    out = tmp_path / "public"
    publish([OutputFile("build-report.json", b"{}"), OutputFile("index.html", b"old")], out)

    def files():
        yield OutputFile("index.html", b"new")
        raise RuntimeError("render failed half-way")

    with pytest.raises(RuntimeError):
        publish(files(), out)
    assert (out / "index.html").read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["public"]  # no temporary folder left behind
    with pytest.raises(PublishError, match="outside the output folder"):
        publish([OutputFile("../escape.html", b"x")], out)
    assert not (tmp_path / "escape.html").exists()


def test_long_timeline_is_split_by_month(tmp_path: Path):
    config = tmp_path / "digest.yaml"
    config.write_text(CONFIG.read_text(encoding="utf-8").replace("timeline_split: 150", "timeline_split: 2"), encoding="utf-8")
    out = build_site(ARTICLES, tmp_path / "public", config)
    index = (out / "timeline.html").read_text(encoding="utf-8")
    assert 'href="timeline/2025-12.html"' in index and 'href="timeline/undated.html"' in index
    assert 'class="event"' not in index
    december = (out / "timeline/2025-12.html").read_text(encoding="utf-8")
    assert 'href="../stories/pakistan-global-crypto-exchange-discuss-b53890.html"' in december
    assert 'rel="next" href="../timeline/2025-03.html"' in december
    story = (out / "stories/pakistan-and-china-are-discussing-security-1c3f22.html").read_text(encoding="utf-8")
    assert 'href="../timeline/2025-03.html#s-pakistan-and-china-are-discussing-security-1c3f22"' in story
    home = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="timeline/2025-02.html#m-2025-02"' in home
    assert (out / "timeline/undated.html").exists()
