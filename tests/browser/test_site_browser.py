"""The built seed site in headless Chromium: from disk (file://) and served over http under a sub-path."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import AXE

CRYPTO = "stories/pakistan-global-crypto-exchange-discuss-b53890.html"
PAGES = {
    "home": "index.html",
    "story": CRYPTO,
    "inferred-date story": "stories/pakistan-and-china-are-discussing-security-1c3f22.html",
    "topic": "topics/crypto-digital-finance.html",
    "timeline": "timeline.html",
}
AXE_TAGS = "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']"


def all_pages(site: Path) -> list[str]:
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))


@pytest.mark.parametrize("kind", PAGES)
def test_page_opens_from_disk_without_console_errors(page, seed_site: Path, kind: str):
    page.goto((seed_site / PAGES[kind]).as_uri())
    assert page.locator("h1").count() == 1
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")  # the stylesheet loaded
    if kind == "home":
        page.focus("#q")  # loads the search scripts too
        page.wait_for_function("window.MiniSearch && window.SEARCH_DOCS")
    assert page.console.errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", PAGES)
def test_axe_finds_no_wcag_violations(browser, seed_site: Path, kind: str, scheme: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    try:
        pg = context.new_page()
        pg.goto((seed_site / PAGES[kind]).as_uri())
        pg.add_script_tag(path=str(AXE))
        violations = pg.evaluate(f"axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS}}}}}).then(r => r.violations)")
        assert violations == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in violations]
    finally:
        context.close()


def test_every_link_resolves(page, seed_site: Path):
    """Every link on every page points at a file of the site, and every #fragment at an element on that page."""
    ids: dict[Path, set[str]] = {}

    def ids_of(file: Path) -> set[str]:
        if file not in ids:
            ids[file] = set(re.findall(r'\sid="([^"]+)"', file.read_text(encoding="utf-8")))
        return ids[file]

    checked = 0
    for rel in all_pages(seed_site):
        page.goto((seed_site / rel).as_uri())
        hrefs = page.eval_on_selector_all("a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.scheme in ("http", "https", "data"):
                continue
            assert parts.scheme == "file", (rel, href)
            target = Path(unquote(parts.path))
            assert target.is_file(), (rel, href)
            assert target.is_relative_to(seed_site), (rel, href)
            if parts.fragment and target.suffix == ".html":
                assert parts.fragment in ids_of(target), (rel, href)
            checked += 1
    assert checked > 100


def _search(page, query: str) -> list[str]:
    page.fill("#q", query)
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0 || "
                           "document.getElementById('search-status').textContent.startsWith('No')")
    return page.eval_on_selector_all("#search-results a", "els => els.map(a => a.getAttribute('href'))")


def test_search_finds_binance_from_disk(page, seed_site: Path):
    page.goto((seed_site / "index.html").as_uri())
    hits = _search(page, "Binance")
    assert CRYPTO in hits
    assert all(h.startswith("stories/") for h in hits)
    assert _search(page, "zzzqqq nothing") == []
    _search(page, "binanc")  # prefix search
    page.click(f'#search-results a[href="{CRYPTO}"]')
    page.wait_for_url("**/" + CRYPTO)
    assert "crypto exchange" in page.locator("h1").inner_text()
    assert page.console.errors == []


def test_search_finds_binance_served_under_a_sub_path(page, http_root: str):
    page.goto(f"{http_root}/news/digest/index.html?q=Binance")
    page.wait_for_selector("#search-results li")
    hits = page.eval_on_selector_all("#search-results a", "els => els.map(a => a.href)")
    assert f"{http_root}/news/digest/{CRYPTO}" in hits
    page.goto(f"{http_root}/news/digest/{CRYPTO}")
    page.click("text=This story in the timeline")
    assert page.url.startswith(f"{http_root}/news/digest/timeline.html#s-")
    assert page.console.errors == []


def test_timeline_lists_every_story_by_month_and_the_undated(page, seed_site: Path):
    page.goto((seed_site / "timeline.html").as_uri())
    assert page.locator("section.month h2").all_inner_texts() == [
        "December 2025 2 stories", "March 2025 1 story", "February 2025 1 story", "Undated 1 story"]
    links = page.eval_on_selector_all(".event a", "els => els.map(a => a.getAttribute('href'))")
    assert sorted(links) == sorted(p for p in all_pages(seed_site) if p.startswith("stories/"))
    assert page.locator("#m-undated ~ ul .event").count() == 1
    # related coverage: one event, its other report listed under it
    event = page.locator("#s-pakistan-global-crypto-exchange-discuss-b53890")
    assert event.locator(".reports li").all_inner_texts()[0].startswith("Pakistan appears to be moving toward")


def test_topic_page_lists_its_stories(page, seed_site: Path):
    page.goto((seed_site / "topics/crypto-digital-finance.html").as_uri())
    titles = page.locator(".event a").all_inner_texts()
    assert len(titles) == 2
    assert any(t.startswith("Pakistan appears to be moving toward") for t in titles)
    page.goto((seed_site / "topics/china-pakistan-cpec.html").as_uri())
    assert sorted(page.locator(".event > a").all_inner_texts()) == [
        "China, Pakistan urge Afghanistan to act against militants as Zardari seeks stronger economic ties",
        "Pakistan and China are discussing security measures for Chinese nationals",
    ]


def test_pages_read_without_javascript(browser, seed_site: Path):
    context = browser.new_context(java_script_enabled=False)
    try:
        pg = context.new_page()
        pg.goto((seed_site / CRYPTO).as_uri())
        assert "Binance" in pg.locator(".body").inner_text()
        pg.goto((seed_site / "index.html").as_uri())
        assert pg.locator(".latest .card").count() == 5
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_no_horizontal_scroll(browser, seed_site: Path, width: int):
    context = browser.new_context(viewport={"width": width, "height": 900})
    try:
        pg = context.new_page()
        for rel in PAGES.values():
            pg.goto((seed_site / rel).as_uri())
            assert pg.evaluate("document.documentElement.scrollWidth") <= width, rel
    finally:
        context.close()
