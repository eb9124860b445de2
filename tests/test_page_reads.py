"""A page is rendered again when what it shows changes, and only then: its key covers the story attributes it
read when it was last rendered (recorded by `environment.ReadingEnvironment`), not whole stories.

Each test renders a small site, edits one article, renders again with the first render's keys, and checks which
pages were rendered again and that every page kept is byte-identical to a clean render of the edited inputs.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from conftest import ROOT, SEED_BUILD_DATE
from test_incremental import synthetic

from digest.classify import classify
from digest.config import load_config
from digest.dedupe import dedupe
from digest.load import load_paths
from digest.render import Site, render

EDITED = "story-0005.md"
BODY_EDIT = ("Paragraph four says little.", "Paragraph four, corrected, says a little more.")
TITLE_EDIT = ('title: "Report 5 on', 'title: "Report 5, retitled, on')


def render_site(project: Path, previous: Site | None = None) -> Site:
    config = load_config(project / "digest.yaml")
    loaded = load_paths([project / "articles"], SEED_BUILD_DATE)
    deduped = dedupe(loaded.stories)
    classified = classify(deduped.stories, config)
    return render(classified, config, SEED_BUILD_DATE, loaded, deduped.merges, previous.keys if previous else None,
                  "test")


def project(tmp_path: Path, macros: str | None = None, index: str | None = None) -> Path:
    synthetic(40, tmp_path / "articles")
    # Story 5 gets two more paragraphs: a story's id covers its headline and first three paragraphs, so an edit
    # further down keeps its id (and its address), as a typical correction does.
    edited = tmp_path / "articles" / EDITED
    edited.write_text(edited.read_text(encoding="utf-8") + "\nParagraph three.\n\nParagraph four says little.\n",
                      encoding="utf-8")
    config = (ROOT / "digest.yaml").read_text(encoding="utf-8")
    (tmp_path / "digest.yaml").write_text(config + "\ntimeline_split: 20\n", encoding="utf-8")
    if macros is not None:  # an override of the built-in macros, with `macros` put into each timeline item
        built_in = (ROOT / "templates" / "_macros.html").read_text(encoding="utf-8")
        marker = '<li class="event" id="s-{{ event.lead.id }}">'
        assert marker in built_in
        (tmp_path / "templates").mkdir()
        (tmp_path / "templates" / "_macros.html").write_text(built_in.replace(marker, marker + macros), encoding="utf-8")
    if index is not None:  # an override of the home page, with `index` put into its main block
        built_in = (ROOT / "templates" / "index.html").read_text(encoding="utf-8")
        (tmp_path / "templates").mkdir(exist_ok=True)
        (tmp_path / "templates" / "index.html").write_text(
            built_in.replace("{% block main %}", "{% block main %}" + index, 1), encoding="utf-8")
    return tmp_path


def edit(project: Path, old: str, new: str) -> None:
    path = project / "articles" / EDITED
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def rerender(project: Path, change: tuple[str, str]) -> tuple[set[str], str]:
    """Render, edit, render again: the files rendered the second time, and the edited story's month page."""
    first = render_site(project)
    edit(project, *change)
    second = render_site(project, first)
    clean = {f.path: f.data for f in render_site(project).files}
    before = {f.path: f.data for f in first.files}
    for path in second.kept:  # a page kept is the page a clean render makes
        assert before[path] == clean[path], path
    for f in second.files:
        assert f.data == clean[f.path], f.path
    day = dt.date(2025, 1, 1) + dt.timedelta(days=35)  # story 5's date (see `synthetic`)
    return {f.path for f in second.files}, f"timeline/{day:%Y-%m}.html"


def story_page(pages: set[str]) -> str:
    found = [p for p in pages if p.startswith("stories/report-5-")]
    assert len(found) == 1, pages
    return found[0]


def test_a_body_edit_renders_the_story_page_but_not_the_month_page_that_shows_titles(tmp_path: Path) -> None:
    pages, month = rerender(project(tmp_path), BODY_EDIT)
    story_page(pages)
    assert month not in pages
    assert "timeline.html" not in pages  # the months' index: it reads no story
    assert "index.html" not in pages  # its story cards show a story's summary or first paragraph (`lede`)
    assert not {"build-report.json", "report.html"} & pages  # the report shows no story text


def test_a_title_edit_renders_the_report_that_lists_titles(tmp_path: Path) -> None:
    pages, _ = rerender(project(tmp_path), TITLE_EDIT)
    assert {"build-report.json", "report.html"} <= pages


def test_a_title_edit_renders_the_month_page(tmp_path: Path) -> None:
    pages, month = rerender(project(tmp_path), TITLE_EDIT)
    assert month in pages
    # The home page lists the months by name and count (and the latest stories, not this one), the months' index
    # lists the months: neither shows the title.
    assert not {"index.html", "timeline.html"} & pages


@pytest.mark.parametrize("index", [
    pytest.param("{% for s in timeline.stories() %}{{ s.title }}{% endfor %}", id="a timeline's stories"),
    pytest.param("{% for m in timeline.months %}{% for d in m.days %}{{ d.events[0].lead.title }}{% endfor %}"
                 "{% endfor %}", id="a month's days"),
    pytest.param('{{ timeline.months | map(attribute="days") | list | length }}'
                 "{% for m in timeline.months %}{% for d in m['days'] %}{{ d.events[0].lead.title }}{% endfor %}"
                 "{% endfor %}", id="days by item and map(attribute=...)"),
])
def test_a_home_page_that_shows_the_months_stories_is_rendered_again_when_a_title_changes(
    tmp_path: Path, index: str
) -> None:
    pages, _ = rerender(project(tmp_path, index=index), TITLE_EDIT)
    assert "index.html" in pages


@pytest.mark.parametrize("change", [pytest.param(BODY_EDIT, id="body"), pytest.param(TITLE_EDIT, id="title")])
def test_an_edit_renders_the_story_pages_that_link_to_the_story_and_no_other(tmp_path: Path, change: tuple[str, str]) -> None:
    """A story page is keyed by where its story and the stories it links to came from (see `fingerprint.origins`)."""
    pages, _ = rerender(project(tmp_path), change)
    assert len({p for p in pages if p.startswith("stories/")}) == 3  # its own, the previous and the next story's


@pytest.mark.parametrize("macros", [
    pytest.param("{{ event.lead.body[-1] }}", id="reads the body"),
    pytest.param('<span hidden>{{ event.lead | string | length }}</span>', id="filters a story whole"),
    pytest.param('<span hidden>{{ "%s" | format(event.lead) | length }}</span>', id="a story as a filter argument"),
    pytest.param('<span hidden>{{ event.lead }}</span>', id="prints a story whole"),
    pytest.param('<span hidden>{{ event.stories | map(attribute="body") | list | length }}</span>'
                 '{{ (event.stories | map(attribute="body") | first)[-1] }}', id="reads through map(attribute=...)"),
])
def test_a_template_that_reads_the_body_renders_its_page_again_when_the_body_changes(tmp_path: Path, macros: str) -> None:
    pages, month = rerender(project(tmp_path, macros=macros), BODY_EDIT)
    assert month in pages



def test_a_story_page_that_shows_its_topics_names_is_rendered_again_when_a_topic_is_renamed(tmp_path: Path) -> None:
    """A story page's key covers the topics its story names, even when its template reads nothing else shared."""
    site = project(tmp_path)
    (site / "templates").mkdir()
    (site / "templates" / "story.html").write_text(
        "<p>{{ story.title }}: {% for t in story_topics %}{{ t.name }};{% endfor %}</p>\n", encoding="utf-8")
    first = render_site(site)
    config = site / "digest.yaml"
    text = config.read_text(encoding="utf-8")
    assert "name: Crypto and digital finance" in text
    config.write_text(text.replace("name: Crypto and digital finance", "name: Digital money"), encoding="utf-8")
    second = render_site(site, first)
    clean = {f.path: f.data for f in render_site(site).files}
    before = {f.path: f.data for f in first.files}
    assert all(before[path] == clean[path] for path in second.kept)
    assert any(b"Digital money;" in f.data for f in second.files if f.path.startswith("stories/"))
