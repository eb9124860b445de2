"""A 2,000-article site made from ../shared/corpora (plus the seeds), in the browser.

Skipped when the corpora or benchmarks/make_articles.py are not there. Marked slow (about 30 s).
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from digest.pipeline import build

from .conftest import AXE, ROOT

MAKE = ROOT / "benchmarks/make_articles.py"
CORPORA = ROOT.parent / "shared/corpora"
VNU = ROOT / "node_modules/vnu-jar/build/dist/vnu.jar"
CRYPTO = "stories/pakistan-global-crypto-exchange-discuss-b53890.html"
AXE_RUN = ("axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
           ".then(r => r.violations)")

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not MAKE.exists() or not (CORPORA / "bbc2095.jsonl.gz").exists(), reason="needs ../shared/corpora"),
]


@pytest.fixture(scope="module")
def big_site(tmp_path_factory) -> Path:
    articles = tmp_path_factory.mktemp("a2000")
    subprocess.run([sys.executable, str(MAKE), "2000", str(articles)], check=True, capture_output=True)
    for seed in (ROOT / "articles").iterdir():
        shutil.copy(seed, articles / seed.name)
    out = tmp_path_factory.mktemp("s2000") / "public"
    assert build(articles, out, ROOT / "digest.yaml", dt.date(2026, 11, 22)).code == 0
    return out


def sample(site: Path) -> list[str]:
    stories = sorted(p.name for p in (site / "stories").iterdir())
    months = sorted(p.name for p in (site / "timeline").iterdir())
    return ["index.html", CRYPTO, f"stories/{stories[len(stories) // 2]}", "topics/economy-trade.html", "timeline.html",
            f"timeline/{months[len(months) // 2]}", "timeline/undated.html"]


def test_big_site_has_every_story_in_the_timeline(big_site: Path):
    stories = {f"stories/{p.name}" for p in (big_site / "stories").iterdir()}
    assert len(stories) > 1500
    assert "timeline/undated.html" in {p.relative_to(big_site).as_posix() for p in big_site.rglob("*.html")}
    listed: set[str] = set()
    for page in (big_site / "timeline").iterdir():
        hrefs = re.findall(r'<a href="(\.\./stories/[^"#]+)"', page.read_text(encoding="utf-8"))
        listed |= {h.removeprefix("../") for h in hrefs}
    assert listed == stories


def test_big_site_links_resolve(big_site: Path):
    """Static check of every href on every page (the browser test below checks a sample as Chromium resolves them)."""
    for page in big_site.rglob("*.html"):
        for href in re.findall(r'(?:href|src)="([^"]+)"', page.read_text(encoding="utf-8")):
            if href.startswith(("http://", "https://", "data:")):
                continue
            target = href.split("#")[0]
            assert not target or (page.parent / target).resolve().is_file(), (page, href)


def test_big_site_pages_in_the_browser(browser, big_site: Path):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        for rel in sample(big_site):
            page.goto((big_site / rel).as_uri())
            assert errors == [], rel
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, rel
            for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
                parts = urlsplit(href)
                if parts.scheme == "file":
                    assert Path(unquote(parts.path)).is_file(), (rel, href)
            page.add_script_tag(path=str(AXE))
            violations = page.evaluate(AXE_RUN)
            assert violations == [], (rel, [(v["id"], [n["target"] for n in v["nodes"]][:3]) for v in violations])
            errors.clear()  # axe reads the stylesheet with XHR, which file:// refuses: not the page's error
    finally:
        context.close()


def test_big_site_search_finds_binance(browser, big_site: Path):
    page = browser.new_page()
    try:
        page.goto((big_site / "index.html").as_uri())
        page.fill("#q", "Binance")
        page.wait_for_selector("#search-results li", timeout=15000)
        hits = page.eval_on_selector_all("#search-results a", "els => els.map(a => a.getAttribute('href'))")
        assert CRYPTO in hits[:3]
    finally:
        page.close()


@pytest.mark.skipif(shutil.which("java") is None or not VNU.exists(), reason="needs java and npm vnu-jar")
def test_big_site_html_is_valid(big_site: Path):
    result = subprocess.run(["java", "-jar", str(VNU), "--errors-only", "--skip-non-html", str(big_site)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]


def test_big_site_feeds_parse(big_site: Path):
    import feedparser

    for feed in [big_site / "feed.xml", *sorted((big_site / "topics").glob("*.xml"))]:
        parsed = feedparser.parse(feed.read_bytes())
        assert not parsed.bozo, (feed.name, parsed.get("bozo_exception"))
        assert parsed.version == "atom10"
