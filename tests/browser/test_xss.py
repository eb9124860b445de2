"""Script injection: a site built from hostile text, every page opened in headless Chromium.

The payloads (tests/fixtures/xss/payloads.json, after the OWASP XSS filter-evasion cheat sheet) go into
pasted headlines, bodies and summaries (.txt), every front matter field and the Markdown body of .md
files (raw HTML, links, images), file names, and the site title, description and topic names of a
temporary digest.yaml. Every page of the built site is then opened from disk, and:

- no dialog (alert, confirm, prompt) opens, the page never navigates away, no popup opens;
- nothing outside the output folder is requested (every request is routed: others are recorded and aborted);
- no console error and no uncaught exception;
- the DOM holds no event-handler attribute, no inline or foreign script, no frame, object, embed, base or
  meta refresh, and no link, source or form whose address is javascript:, vbscript: or data:;
- the payload still reads as written (the headline shows the literal `<script>` characters).

Slugs that try to leave the output folder (`../../etc/x`, `..\\x`, `/etc/passwd`) must leave nothing
outside it and still publish their stories. The guards these tests stand for (Jinja autoescape, nh3 on
Markdown, only http(s) source links, the slug sanitizer) were each removed once to see the tests fail.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import yaml

from digest.pipeline import build

pytestmark = pytest.mark.slow

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "xss"
CORPUS = json.loads((FIXTURES / "payloads.json").read_text(encoding="utf-8"))
PAYLOADS: list[str] = [p["payload"] for p in CORPUS["payloads"]]
SLUGS: list[str] = CORPUS["slugs"]
TODAY = dt.date(2026, 11, 22)
FIRST_DAY = dt.date(2024, 1, 1)
SITE_SCRIPTS = {"static/search.js", "static/vendor/minisearch.js", "search-data.js"}
ZERO_WIDTH = str.maketrans({"\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None})
WORDS = ("harbour levy convoy tariff monsoon senate quarry cabinet ledger pipeline railway border audit census bridge "
         "wheat cotton power grid court budget envoy summit drone patrol valley river canal market bond rupee").split()


def plain(text: str) -> str:
    """White space collapsed, as a browser's innerText shows it."""
    return " ".join(text.split())


def filler(seed: int) -> str:
    """Words unique to one story, so no two stories are merged as copies."""
    rng = random.Random(seed)
    return " ".join(rng.choice(WORDS) + str(rng.randrange(1000)) for _ in range(40)) + "."


def file_name(index: int, payload: str) -> str:
    name = f"{index:02d} {payload}".replace("/", "\u2215").replace("\0", "")
    while len(name.encode()) > 200:
        name = name[:-1]
    return name + ".txt"


@dataclass
class XssSite:
    base: Path
    out: Path
    expected: dict[str, list[str]]  # source file -> literal texts its story page must show
    slug_files: dict[str, str]  # source file -> the hostile slug it set
    outside_before: set[str]


def _front(**fields: Any) -> str:
    return "---\n" + yaml.safe_dump(fields, allow_unicode=True, sort_keys=False) + "---\n"


def make_site(base: Path) -> XssSite:
    articles = base / "articles"
    articles.mkdir(parents=True)
    expected: dict[str, list[str]] = {}
    slug_files: dict[str, str] = {}
    day = 0

    def next_day() -> dt.date:
        nonlocal day
        day += 3  # never within a day of another story: different news, never merged
        return FIRST_DAY + dt.timedelta(days=day)

    for i, payload in enumerate(PAYLOADS):
        # A pasted page (.txt) named after the payload: headline, stamp, dateline lede, body.
        name = file_name(i, payload)
        when = next_day()
        (articles / name).write_text(
            f"Payload {i} headline {payload}\n"
            f"Published {when:%B} {when.day}, {when.year}\n"
            f"ISLAMABAD: Officials said the payload text {payload} appeared in report number {i}.\n"
            f"{filler(i)}\n"
            f"A second paragraph quotes it again: {payload} and goes on.\n",
            encoding="utf-8",
        )
        pasted = payload.translate(ZERO_WIDTH)  # the loader drops zero-width characters from pasted text, on purpose
        expected[name] = [f"Payload {i} headline {pasted}", f"the payload text {pasted} appeared", name]
        # A Markdown write-up (.md): the payload in every front matter field and raw in the body.
        md = f"{i:02d}-write-up.md"
        fields = {
            "title": payload, "date": next_day().isoformat(), "dateline": f"{payload} dateline",
            "summary": [f"{payload} summary"], "topics": [f"topic {i} {payload}"], "source_url": payload.strip(),
            "caption": f"{payload} caption",
        }
        (articles / md).write_text(
            _front(**fields) + f"{payload}\n\n`` {payload} `` in code.\n\n"
            f"Markdown {i}: [link {i}]({payload.strip()}) ![image {i}]({payload.strip()}) <{payload.strip()}>\n\n"
            f"<p title=\"{payload}\">{payload}</p>\n\n{filler(1000 + i)}\n",
            encoding="utf-8",
        )
        expected[md] = [plain(payload), f"{payload} dateline", f"{payload} summary", f"topic {i} {payload}", f"{payload} caption",
                        payload.strip(), f"{payload} in code"]
    for j, slug in enumerate(SLUGS):
        name = f"slug-{j:02d}.md"
        (articles / name).write_text(
            _front(title=f"Slug test {j}", slug=slug, date=next_day().isoformat()) + f"Slug {j} body. {filler(2000 + j)}\n",
            encoding="utf-8",
        )
        expected[name] = [f"Slug test {j}"]
        slug_files[name] = slug

    config = {
        "title": f"Digest {PAYLOADS[0]}", "base_url": "https://example.org/digest/", "timezone": "UTC",
        "description": PAYLOADS[15],
        "topics": [{"name": payload, "slug": f"t{i}", "description": payload, "keywords": [f"report number {i}"]}
                   for i, payload in enumerate(PAYLOADS)],
    }
    (base / "digest.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    outside_before = {p.relative_to(base).as_posix() for p in base.rglob("*")}
    out = base / "site" / "public"
    result = build(articles, out, base / "digest.yaml", TODAY)
    assert result.code == 0, result.error
    return XssSite(base, out, expected, slug_files, outside_before)


@pytest.fixture(scope="module")
def xss_site(tmp_path_factory: pytest.TempPathFactory) -> XssSite:
    return make_site(tmp_path_factory.mktemp("xss"))


# --- one visit of every page, everything recorded -----------------------------------------------

DOM_CHECK = """
() => {
  const bad = [];
  const show = el => el.outerHTML.slice(0, 160);
  for (const el of document.querySelectorAll("*")) {
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      if (name.startsWith("on") || ["srcdoc", "formaction", "style"].includes(name))
        bad.push("attribute " + name + ": " + show(el));
    }
  }
  const active = "iframe, frame, frameset, object, embed, applet, base, meta[http-equiv], body style, svg, math";
  for (const el of document.querySelectorAll(active))
    bad.push("element: " + show(el));
  for (const el of document.querySelectorAll("[href], [src], [action], [data], [poster], [srcset], [background]")) {
    for (const name of ["href", "src", "action", "data", "poster", "background"]) {
      const value = el.getAttribute(name);
      if (value === null) continue;
      if (el.tagName === "LINK" && el.rel === "icon" && value === "data:,") continue;
      let protocol;
      try { protocol = new URL(value, document.baseURI).protocol; } catch (e) { protocol = "unparsable:"; }
      if (!["file:", "http:", "https:", "mailto:"].includes(protocol)) bad.push("address " + protocol + " " + show(el));
    }
    if (el.hasAttribute("srcset")) bad.push("srcset: " + show(el));
  }
  const scripts = [...document.scripts].map(s => s.src ? s.src : "inline: " + s.textContent.slice(0, 80));
  const links = [...document.querySelectorAll("a[href]")].map(a => [a.protocol, a.href]);
  return {bad, scripts, links, text: document.body.innerText, content: document.body.textContent, title: document.title};
}
"""


@dataclass
class Visit:
    url: str
    dialogs: list[str] = field(default_factory=list)
    navigations: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)  # outside the site: aborted
    errors: list[str] = field(default_factory=list)
    dom: dict[str, Any] = field(default_factory=dict)


def _inside(url: str, out: Path) -> bool:
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return False
    return Path(os.path.normpath(unquote(parts.path))).is_relative_to(out)


@pytest.fixture(scope="module")
def visits(browser, xss_site: XssSite) -> dict[str, Visit]:
    """Every page of the site opened once, with what happened while it was open."""
    from playwright.sync_api import Error as PlaywrightError
    out = xss_site.out
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    current: list[Visit] = []
    popups: list[str] = []

    def route(r) -> None:
        if _inside(r.request.url, out):
            r.continue_()
        else:
            current[-1].requests.append(r.request.url)
            r.abort()

    def on_request(request) -> None:
        if not _inside(request.url, out) and not request.url.startswith("data:,"):
            current[-1].requests.append(request.url)

    def on_dialog(dialog) -> None:
        current[-1].dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    context.route("**/*", route)
    page = context.new_page()
    context.on("page", lambda p: popups.append(p.url))  # only pages opened after ours: popups
    page.on("request", on_request)
    page.on("dialog", on_dialog)
    page.on("console", lambda m: current[-1].errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: current[-1].errors.append(str(e)))
    page.on("framenavigated", lambda f: current[-1].navigations.append(f.url) if f == page.main_frame else None)
    found: dict[str, Visit] = {}
    try:
        for file in sorted(out.rglob("*.html")):
            rel = file.relative_to(out).as_posix()
            visit = Visit(file.as_uri())
            current.append(visit)
            found[rel] = visit
            try:
                page.goto(visit.url)
                if rel == "index.html":  # the search box renders story titles with script: search for every story
                    page.fill("#q", "payload")
                    page.wait_for_function("document.querySelectorAll('#search-results li').length > 0", timeout=10_000)
                visit.dom = page.evaluate(DOM_CHECK)
            except PlaywrightError as exc:  # a page that navigated away or broke the search: a failure of that page
                visit.errors.append(f"playwright: {str(exc).splitlines()[0]}")
                visit.dom = {"bad": ["page could not be checked"], "scripts": [], "links": [], "text": "", "content": "",
                             "title": ""}
        page.wait_for_timeout(300)  # a late timer or refresh on the last page still gets recorded
    finally:
        context.close()
    assert popups == [], popups
    return found


# --- the tests ----------------------------------------------------------------------------------


def test_the_corpus_is_large_and_every_page_was_opened(visits: dict[str, Visit], xss_site: XssSite) -> None:
    assert len(PAYLOADS) >= 50
    pages = {p.relative_to(xss_site.out).as_posix() for p in xss_site.out.rglob("*.html")}
    assert set(visits) == pages
    assert len([p for p in pages if p.startswith("stories/")]) == len(xss_site.expected)
    assert len(pages) > 2 * len(PAYLOADS)


def test_no_dialog_navigation_or_outside_request(visits: dict[str, Visit]) -> None:
    failures = {}
    for rel, v in visits.items():
        wrong_navigation = [u for u in v.navigations if u != v.url and not u.startswith(v.url + "#")]
        if v.dialogs or wrong_navigation or v.requests:
            failures[rel] = {"dialogs": v.dialogs, "navigations": wrong_navigation, "requests": v.requests}
    assert failures == {}


def test_no_console_errors(visits: dict[str, Visit]) -> None:
    failures = {rel: v.errors for rel, v in visits.items() if v.errors}
    assert failures == {}


def test_dom_holds_no_active_content(visits: dict[str, Visit], xss_site: XssSite) -> None:
    failures = {rel: v.dom["bad"] for rel, v in visits.items() if v.dom["bad"]}
    assert failures == {}
    for rel, v in visits.items():
        for src in v.dom["scripts"]:
            assert not src.startswith("inline:"), (rel, src)
            assert _inside(src, xss_site.out), (rel, src)
            assert Path(unquote(urlsplit(src).path)).relative_to(xss_site.out).as_posix() in SITE_SCRIPTS, (rel, src)


def test_no_link_is_a_javascript_link(visits: dict[str, Visit]) -> None:
    """In particular a source_url of javascript:… (any case, entities, white space) is shown as text, never a link."""
    for rel, v in visits.items():
        for protocol, href in v.dom["links"]:
            assert protocol in ("file:", "http:", "https:", "mailto:"), (rel, href)


def _story_pages(xss_site: XssSite) -> dict[str, str]:
    """Source file -> its story page, from the build report."""
    report = json.loads((xss_site.out / "build-report.json").read_text(encoding="utf-8"))
    pages = {}
    for entry in report["files"]:
        assert entry["status"] == "loaded", entry
        (story_id,) = entry["stories"]
        pages[entry["path"]] = f"stories/{story_id}.html"
    return pages


def test_payloads_read_as_written(visits: dict[str, Visit], xss_site: XssSite) -> None:
    pages = _story_pages(xss_site)
    assert set(pages) == set(xss_site.expected)
    missing = {}
    for source, texts in xss_site.expected.items():
        dom = visits[pages[source]].dom
        content, shown = plain(dom["content"]), plain(dom["text"]).casefold()  # shown: as styled (datelines in capitals)
        lost = [t for t in texts if plain(t) not in content or plain(t).casefold() not in shown]
        if lost:
            missing[source] = lost
    assert missing == {}
    # The headline of the first pasted page shows the literal characters.
    first = visits[pages[file_name(0, PAYLOADS[0])]]
    assert "<script>alert(1)</script>" in first.dom["text"]
    assert f"Digest {PAYLOADS[0]}" in first.dom["title"]


def test_topic_names_and_site_title_read_as_written(visits: dict[str, Visit]) -> None:
    for i, payload in enumerate(PAYLOADS):
        page = visits[f"topics/t{i}.html"]
        assert plain(payload) in plain(page.dom["content"]), (i, payload)
        assert plain(payload) in plain(page.dom["title"]), (i, payload)
    home = plain(visits["index.html"].dom["content"])
    assert plain(PAYLOADS[15]) in home  # the site description
    assert all(plain(p) in home for p in PAYLOADS[:5])  # topic names in the side bar


def test_search_results_show_titles_as_text(visits: dict[str, Visit]) -> None:
    home = visits["index.html"].dom["text"]
    assert "matching stories" in home
    assert "Payload 0 headline <script>alert(1)</script>" in home


def test_hostile_slugs_stay_inside_the_output_folder(xss_site: XssSite) -> None:
    outside_after = {p.relative_to(xss_site.base).as_posix() for p in xss_site.base.rglob("*")
                     if not p.relative_to(xss_site.base).as_posix().startswith("site/public")}
    # Beside the output the build may keep its own state (a cache, a lock): dot-named, never a story page.
    new = {p for p in outside_after - xss_site.outside_before if p != "site" and not p.startswith("site/.")}
    assert new == set()
    out = xss_site.out.resolve()
    for path in xss_site.out.rglob("*"):
        assert not path.is_symlink(), path
        assert path.resolve().is_relative_to(out), path
        assert ".." not in path.relative_to(xss_site.out).parts
    pages = _story_pages(xss_site)
    for source in xss_site.slug_files:  # every hostile slug still gave a page of its own
        assert (xss_site.out / pages[source]).is_file(), source
        assert pages[source].count("/") == 1, pages[source]
    assert len({pages[s] for s in xss_site.slug_files}) == len(xss_site.slug_files)
