"""report.html in headless Chromium, held to the reader pages' standard: axe (light and dark), no console
errors, one h1, the stylesheet, no horizontal scroll on a phone, every link resolving. (The Nu checker runs
over the whole seed site, report.html included, in tests/test_site.py.)"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from .conftest import AXE
from .test_site_browser import AXE_TAGS

REPORT = "report.html"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_report_has_no_wcag_violations(browser, seed_site: Path, scheme: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    try:
        pg = context.new_page()
        pg.goto((seed_site / REPORT).as_uri())
        pg.add_script_tag(path=str(AXE))
        violations = pg.evaluate(f"axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS}}}}}).then(r => r.violations)")
        assert violations == [], [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in violations]
        assert pg.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_report_opens_from_disk_and_its_links_resolve(page, seed_site: Path):
    page.goto((seed_site / REPORT).as_uri())
    assert page.locator("h1").inner_text() == "Build report"
    assert page.evaluate("getComputedStyle(document.body).fontFamily").startswith("system-ui")
    assert page.locator("section.report-file").count() == 4
    hrefs = page.eval_on_selector_all("a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)")
    stories = [h for h in hrefs if "/stories/" in h]
    assert len(stories) == 6  # five published stories and the story a copy was merged into
    for href in hrefs:
        parts = urlsplit(href)
        if parts.scheme == "file":
            assert Path(unquote(parts.path)).is_file(), href
    assert page.console.errors == []


@pytest.fixture(scope="module")
def split_report(tmp_path_factory) -> Path:
    """The seed site built with a report listing 3 files a page: report/1.html and report/2.html."""
    import datetime as dt

    import digest.report
    from digest.pipeline import build

    from .conftest import ROOT

    root = tmp_path_factory.mktemp("split-report")
    saved = digest.report.REPORT_PART_FILES
    digest.report.REPORT_PART_FILES = 3
    try:
        assert build(ROOT / "articles", root / "public", ROOT / "digest.yaml", dt.date(2026, 11, 22)).code == 0
    finally:
        digest.report.REPORT_PART_FILES = saved
    return root / "public"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_report_pages_have_no_wcag_violations_and_their_links_resolve(browser, split_report: Path, scheme: str):
    context = browser.new_context(viewport={"width": 390, "height": 844}, color_scheme=scheme)
    try:
        pg = context.new_page()
        for name in (REPORT, "report/1.html", "report/2.html"):
            pg.goto((split_report / name).as_uri())
            pg.add_script_tag(path=str(AXE))
            violations = pg.evaluate(
                f"axe.run(document, {{runOnly: {{type: 'tag', values: {AXE_TAGS}}}}}).then(r => r.violations)")
            assert violations == [], (name, [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:5]) for v in violations])
            assert pg.evaluate("document.documentElement.scrollWidth") <= 390, name
            for href in pg.eval_on_selector_all("a[href], link[href], script[src]", "els => els.map(e => e.href || e.src)"):
                parts = urlsplit(href)
                if parts.scheme == "file":
                    assert Path(unquote(parts.path)).is_file(), (name, href)
        assert pg.locator("section.report-file").count() == 1  # report/2.html: the fourth file
    finally:
        context.close()
