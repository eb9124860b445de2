"""report.html and its data: every input file appears with the fate of every story found in it."""

import dataclasses
import datetime as dt
import html
import re
import shutil

import pytest
from conftest import ARTICLES, ROOT, SEED_BUILD_DATE

from digest.dedupe import dedupe
from digest.feeds import build_report_data
from digest.load import load_paths
from digest.pipeline import build
from digest.report import report_data, report_inputs

CONFIG = ROOT / "digest.yaml"
STORY = """{title}

ISLAMABAD: {body}
"""
BODY = ("The federal cabinet approved a revised budget for the Karachi harbour levy on Tuesday, officials said, "
        "after weeks of talks with port operators, shipping lines and the provincial government over fees. ")


@pytest.fixture(scope="module")
def mixed(tmp_path_factory):
    """Seed articles plus a copy of one story, a rejected binary file, a skipped file and hostile names."""
    articles = tmp_path_factory.mktemp("mixed") / "articles"
    shutil.copytree(ARTICLES, articles)
    (articles / "levy.txt").write_text(STORY.format(title="Cabinet approves harbour levy", body=BODY * 3), encoding="utf-8")
    (articles / "levy-copy.txt").write_text(STORY.format(title="Cabinet approves harbour levy", body=BODY * 3), encoding="utf-8")
    (articles / "broken.txt").write_bytes(b"\x00\x01\x02binary")
    (articles / "photo.jpg").write_bytes(b"\xff\xd8")
    (articles / '<b onclick=alert(1)>&"x.txt').write_text(
        STORY.format(title="<script>alert('t')</script> Quetta bridge opens", body="A new bridge opened in Quetta. " * 12),
        encoding="utf-8")
    out = tmp_path_factory.mktemp("mixed-out") / "public"
    result = build(articles, out, CONFIG, SEED_BUILD_DATE)
    assert result.code == 0, result.error
    return articles, out


def test_every_file_appears_with_its_fate(mixed):
    articles, out = mixed
    page = (out / "report.html").read_text(encoding="utf-8")
    names = sorted(p.name for p in articles.iterdir())
    statuses = dict(re.findall(r'<h3 id="f-\d+"><code>([^<]*)</code> <span class="count">(\w+)</span>', page))
    assert sorted(html.unescape(n) for n in statuses) == names
    assert statuses["broken.txt"] == "rejected" and statuses["photo.jpg"] == "skipped"
    assert statuses["levy-copy.txt"] == "merged" or statuses["levy.txt"] == "merged"
    assert "Skipped: not an article file" in page and "Rejected: binary file" in page


def test_merged_story_names_its_story_rule_and_similarity(mixed):
    _, out = mixed
    page = (out / "report.html").read_text(encoding="utf-8")
    assert page.count(" merged into <a href=\"stories/") == 2  # the seed copy and the levy copy
    assert re.search(r"\(exact, similarity 1\.00, as a copy of <code>levy(-copy)?\.txt</code> story 1\)", page)
    assert "(exact, similarity 1.00, as a copy of <code>000_f8515c5b4837a612.txt</code> story 2)" in page


def test_published_stories_link_their_pages_and_links_resolve(mixed):
    _, out = mixed
    page = (out / "report.html").read_text(encoding="utf-8")
    story_links = set(re.findall(r'href="(stories/[^"]+)"', page))
    assert story_links == {p.relative_to(out).as_posix() for p in (out / "stories").iterdir()}
    for href in re.findall(r'href="([^"]+)"', page):
        if not href.startswith(("http", "data:", "#")):
            assert (out / href.split("#")[0]).is_file(), href


def test_every_problem_with_file_and_line(mixed):
    articles, out = mixed
    text = html.unescape(re.sub(r"<[^>]+>", "", (out / "report.html").read_text(encoding="utf-8")))
    loaded = load_paths([articles], SEED_BUILD_DATE)
    assert loaded.problems
    for p in loaded.problems:
        assert f"{p.path}:{p.line} {p.level}: {p.message}" in text, p


def test_hostile_names_and_titles_are_escaped(mixed):
    _, out = mixed
    page = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page
    assert "&lt;b onclick=alert(1)&gt;&amp;&#34;x.txt" in page
    assert "<script" not in page and "<b onclick" not in page


def test_report_is_not_linked_from_reader_pages_nor_the_sitemap(mixed):
    _, out = mixed
    for page in out.rglob("*.html"):
        if page.name != "report.html":
            assert "report.html" not in page.read_text(encoding="utf-8"), page
    assert "report.html" not in (out / "sitemap.xml").read_text(encoding="utf-8")
    assert '<meta name="robots" content="noindex">' in (out / "report.html").read_text(encoding="utf-8")


def test_report_data_accounts_for_every_story_found():
    loaded = load_paths([ARTICLES], SEED_BUILD_DATE)
    deduped = dedupe(loaded.stories)
    data = report_data(loaded, deduped.stories, deduped.merges, dt.date(2026, 11, 22))
    assert [f.path for f in data.files] == [f.path for f in loaded.files]
    assert sum(len(f.stories) for f in data.files) == len(loaded.stories)
    assert data.published == len(deduped.stories) == 5 and data.merged == 1 and data.dropped == 0
    (merged,) = [s for f in data.files for s in f.stories if s.fate == "merged"]
    assert merged.rule == "exact" and merged.similarity == 1.0
    assert merged.story_id == "pakistan-global-crypto-exchange-discuss-b53890"
    assert dict(data.problem_counts) == {"error": 0, "warning": 4, "info": 0}


def test_a_long_report_lists_its_files_over_pages_rebuilt_one_by_one(tmp_path, monkeypatch):
    """Above REPORT_PART_FILES files, report.html keeps the summary and links to report/N.html pages of that many
    files each; every file is on exactly one of them, and a rebuild after one edit renders only that file's page."""
    import digest.report

    monkeypatch.setattr(digest.report, "REPORT_PART_FILES", 3)
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES, articles)
    places = ("Gwadar", "Karachi", "Quetta", "Peshawar")
    for i, place in enumerate(places):  # four different stories
        body = f"The {place} city council met on Tuesday to discuss item {i * 17} of its budget and the roads. " * 3
        (articles / f"levy-{i}.txt").write_text(STORY.format(title=f"{place} council meets on budget", body=body),
                                                encoding="utf-8")
    out = tmp_path / "public"
    assert build(articles, out, CONFIG, SEED_BUILD_DATE).code == 0
    summary = (out / "report.html").read_text(encoding="utf-8")
    assert "report-file" not in summary and "8 files" in summary
    parts = sorted((out / "report").glob("*.html"))
    assert [p.name for p in parts] == ["1.html", "2.html", "3.html"]
    assert all(f'href="report/{p.name}"' in summary for p in parts)
    listed = []
    for number, part in enumerate(parts, 1):
        text = part.read_text(encoding="utf-8")
        assert '<meta name="robots" content="noindex">' in text and 'href="../report.html"' in text
        assert f"Part {number} of 3 " in text
        listed += re.findall(r'<h3 id="f-(\d+)"><code>([^<]+)</code>', text)
        for link in re.findall(r'href="\.\./(stories/[^"]+)"', text):
            assert (out / link).is_file(), link
    assert [int(n) for n, _ in listed] == list(range(1, 9))
    assert sorted(html.unescape(name) for _, name in listed) == sorted(p.name for p in articles.iterdir())
    assert "report/" not in (out / "sitemap.xml").read_text(encoding="utf-8")

    before = {p.name: p.read_bytes() for p in parts}
    (articles / "levy-3.txt").write_text(STORY.format(title="Peshawar council passes its budget", body=BODY),
                                         encoding="utf-8")
    assert build(articles, out, CONFIG, SEED_BUILD_DATE).code == 0
    changed = [p.name for p in sorted((out / "report").glob("*.html")) if p.read_bytes() != before[p.name]]
    assert changed == ["3.html"]


def _variants(record):
    """The record with one field changed, for each field (in a field holding records, the first one's fields)."""
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for inner, first in _variants(value[0]):
                yield f"{f.name}[0].{inner}", dataclasses.replace(record, **{f.name: (first, *value[1:])})
            continue
        if isinstance(value, bool):
            changed = not value
        elif isinstance(value, (int, float)):
            changed = value + 1
        elif isinstance(value, str) or value is None:
            changed = f"{value}x"
        elif isinstance(value, dt.date):
            changed = value + dt.timedelta(days=1)
        elif isinstance(value, tuple):
            changed = (*value, "x") if not value or isinstance(value[0], str) else value[1:]
        elif dataclasses.is_dataclass(value):
            for inner, changed in _variants(value):
                yield f"{f.name}.{inner}", dataclasses.replace(record, **{f.name: changed})
            continue
        else:
            raise AssertionError(f"no variant for {type(value)}")
        yield f.name, dataclasses.replace(record, **{f.name: changed})


def test_report_inputs_hold_everything_the_report_shows():
    """Report files are kept while `report_inputs` is unchanged: every change to a record that changes the report's
    records must change `report_inputs` too (and a story's body, which the report does not show, must not)."""
    loaded = load_paths([ARTICLES], SEED_BUILD_DATE)
    deduped = dedupe(loaded.stories)
    assert deduped.merges
    today = dt.date(2026, 11, 22)

    def shown(loaded, stories, merges):
        return report_data(loaded, stories, merges, today), build_report_data(loaded, stories, merges, today)

    base = (loaded, deduped.stories, deduped.merges)
    base_shown, base_inputs = shown(*base), report_inputs(*base)
    changed_report = 0
    for slot, (holder, field) in enumerate([(0, "files"), (0, "stories"), (0, "problems"), (1, None), (2, None)]):
        records = getattr(base[holder], field) if field else base[holder]
        for i, record in enumerate(records):
            for name, variant in _variants(record):
                changed_records = (*records[:i], variant, *records[i + 1:])
                args = list(base)
                args[holder] = dataclasses.replace(loaded, **{field: changed_records}) if field else changed_records
                if shown(*args) != base_shown:
                    changed_report += 1
                    assert report_inputs(*args) != base_inputs, (slot, i, name)
                elif name == "body":
                    assert report_inputs(*args) == base_inputs
    assert changed_report > 30  # the test reaches the fields the report shows
