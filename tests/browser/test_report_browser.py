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
