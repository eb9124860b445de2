"""A rebuild after edits to story bodies only (`digest.patch`): it renders the pages and feeds that show the edited
stories and keeps the rest, and its output equals a clean build's byte for byte. Any other change, or an edit it
cannot be sure of, makes the build a full one, whose output equals a clean build's too.

Each step edits the inputs, rebuilds over the previous output with its cache, checks which kind of build it was
(`BuildResult.rebuilt`), builds the same inputs from scratch elsewhere and compares the two output trees whole.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
from pathlib import Path

import pytest
from conftest import ARTICLES, ROOT, SEED_BUILD_DATE
from test_incremental import tree

from digest.cache import Memory
from digest.pipeline import BuildResult, build

NOTES = 30
TRIO = ("event-a.txt", "event-b.txt", "event-c.txt")
TRIO_DAY = dt.date(2025, 2, 17)  # note 9's
NAMES = "Zorvan Quelthar Marivosk Tesplindra Darkovian"


def _words(rng: random.Random, n: int) -> list[str]:
    """Made-up lowercase words: no two notes share a run of five, and none is a name (which related coverage reads)."""
    syllables = ["ka", "lo", "mi", "ra", "tu", "se", "no", "vi", "pa", "de", "zo", "qu", "bre", "ston", "lin", "mar"]
    return ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(n)]


def paragraph(seed: int) -> str:
    return " ".join(_words(random.Random(seed), 25)).capitalize() + "."


def note_day(i: int) -> dt.date:
    return dt.date(2025, 1, 3) + dt.timedelta(days=(i * 5) % 150)


class Site:
    """The seed articles and `NOTES` plain-text notes (each its own story), built incrementally into public/."""

    def __init__(self, root: Path, memory: Memory | None) -> None:
        self.root = root
        self.articles = root / "articles"
        shutil.copytree(ARTICLES, self.articles)
        for i in range(NOTES):
            rng = random.Random(i)
            body = "\n\n".join(paragraph(i * 10 + k) for k in range(3))
            self.note(i).write_text(f'---\ntitle: "Dispatch {i} {" ".join(_words(rng, 3))}"\ndate: {note_day(i)}\n---\n\n'
                                    f"{body}\n", encoding="utf-8")
        for i, trio in enumerate(TRIO):  # three reports of one event: they share its rare names, and are related
            body = "\n\n".join([paragraph(1000 + i * 10 + k) for k in range(3)] + [f"{NAMES} met on the day."])
            (self.articles / trio).write_text(f'---\ntitle: "Event report {i}"\ndate: {TRIO_DAY}\n---\n\n{body}\n', "utf-8")
        self.config = root / "digest.yaml"
        self.config.write_text((ROOT / "digest.yaml").read_text(encoding="utf-8") + "\ntimeline_split: 10\nfeed_entries: 5\n",
                               encoding="utf-8")
        self.out = root / "site" / "public"
        self.memory = memory
        self.clean_runs = 0

    def note(self, i: int) -> Path:
        return self.articles / f"note-{i:02d}.txt"

    def edit(self, path: Path, old: str, new: str) -> None:
        text = path.read_text(encoding="utf-8")
        assert old in text, (path, old)
        path.write_text(text.replace(old, new, 1), encoding="utf-8")

    def append(self, i: int, text: str) -> None:
        with self.note(i).open("a", encoding="utf-8") as f:
            f.write(f"\n{text}\n")

    def override(self, name: str, main: str) -> None:
        """A user's copy of a built-in template with `main` put at the start of its main block."""
        built_in = (ROOT / "templates" / name).read_text(encoding="utf-8")
        assert "{% block main %}" in built_in
        (self.root / "templates").mkdir(exist_ok=True)
        (self.root / "templates" / name).write_text(built_in.replace("{% block main %}", "{% block main %}" + main, 1),
                                                    encoding="utf-8")

    def check(self, rebuilt: str) -> BuildResult:
        """Rebuild, expecting that kind of build, and compare the output with a clean build's."""
        result = build(self.articles, self.out, self.config, SEED_BUILD_DATE, memory=self.memory)
        assert result.code == 0, result.error
        assert result.rebuilt == rebuilt, result
        self.clean_runs += 1
        out = self.root / f"clean{self.clean_runs}" / "public"
        clean = build(self.articles, out, self.config, SEED_BUILD_DATE)
        assert clean.code == 0 and clean.rebuilt == "all", clean.error
        assert tree(self.out) == tree(out)
        assert (result.stories, result.pages, result.files, result.problems) == (clean.stories, clean.pages, clean.files,
                                                                                  clean.problems)
        return result


@pytest.fixture(params=["fresh process", "serve's memory"])
def site(tmp_path: Path, request: pytest.FixtureRequest) -> Site:
    made = Site(tmp_path, Memory() if request.param == "serve's memory" else None)
    made.check("all")
    return made


def story_text(site: Site, i: int | str) -> str:
    """The HTML of note i's page (or of the story whose page name starts so)."""
    start = f"dispatch-{i}-" if isinstance(i, int) else i
    found = [p for p in (site.out / "stories").iterdir() if p.name.startswith(start)]
    assert len(found) == 1
    return found[0].read_text(encoding="utf-8")


def test_a_body_edit_renders_the_story_its_neighbours_and_the_search_index_only(site: Site) -> None:
    site.append(7, "A sentence added at the end.")
    result = site.check("bodies")
    assert "A sentence added at the end." in story_text(site, 7)
    assert "A sentence added at the end." in (site.out / "search-data.js").read_text(encoding="utf-8")
    assert result.rendered == 4  # the page, its two neighbours' pages, the search index
    assert result.written == 2  # the page and the search index: the neighbours' bytes are the same


def test_an_edit_to_a_story_in_the_feeds_renders_those_feeds(site: Site) -> None:
    newest = max(range(NOTES), key=note_day)
    site.append(newest, "A correction to the newest dispatch.")
    result = site.check("bodies")
    assert "A correction to the newest dispatch." in (site.out / "feed.xml").read_text(encoding="utf-8")
    assert result.rendered == 5  # and feed.xml


def test_edits_in_a_row_each_equal_a_clean_build_and_a_full_build_after_them_too(site: Site) -> None:
    for i, n in ((3, 1), (3, 2), (11, 3), (20, 4)):
        site.append(i, f"Addition number {n}.")
        site.check("bodies")
    site.edit(site.note(3), "Dispatch 3 ", "Dispatch 3 retitled ")
    site.check("all")
    site.append(3, "An addition after the retitling.")
    site.check("bodies")
    site.note(20).write_text(site.note(20).read_text(encoding="utf-8").replace("\nAddition number 4.\n", ""), "utf-8")
    site.check("bodies")
    site.check("nothing")


def test_two_files_edited_at_once(site: Site) -> None:
    site.append(4, "One more line here.")
    site.append(25, "And one more line there.")
    site.check("bodies")


def test_an_edit_to_the_first_paragraph_of_a_story_with_a_fixed_address_makes_a_full_build(site: Site) -> None:
    """The home page shows a story's first paragraph (when it has no summary), whose edit usually changes the story's
    id too; with a `slug`, it does not."""
    newest = max(range(NOTES), key=note_day)
    site.edit(site.note(newest), "---\n\n", "slug: fixed-address\n---\n\n")
    site.check("all")
    site.edit(site.note(newest), paragraph(newest * 10), "Fresh start. " + paragraph(newest * 10))
    site.check("all")
    assert "Fresh start." in (site.out / "index.html").read_text(encoding="utf-8")
    site.append(newest, "A last paragraph, which the home page does not show.")
    site.check("bodies")


@pytest.mark.parametrize("change", [
    "first paragraph",  # it is in the story's id
    "title",
    "date",
    "copy of another",  # the story becomes a near copy of another: dedupe merges them
    "topic words",  # the edit makes a topic's rules match the story
    "related names",  # the edit names the people of another event of that day: related coverage changes
    "merged story",  # a seed article that dedupe merged with its copy
    "new file",
    "deleted file",
])
def test_other_changes_make_a_full_build(site: Site, change: str) -> None:
    note = site.note(9)
    if change == "first paragraph":
        site.edit(note, paragraph(90), paragraph(90) + " Now longer.")
    elif change == "title":
        site.edit(note, "Dispatch 9 ", "Dispatch nine ")
    elif change == "date":
        site.edit(note, f"date: {note_day(9)}", f"date: {note_day(9) + dt.timedelta(days=1)}")
    elif change == "copy of another":
        site.append(9, "\n\n".join(paragraph(120 + k) for k in range(3)) + "\n\n" + paragraph(121))
    elif change == "related names":
        site.append(9, f"Among those present were {NAMES}.")
    elif change == "topic words":
        site.append(9, "Pakistan and Afghanistan held talks at the Torkham border with Pakistan's army and Kabul.")
    elif change == "merged story":
        merge = json.loads((site.out / "build-report.json").read_text(encoding="utf-8"))["merges"][0]
        merged = site.articles / merge["sources"][0].rpartition("#")[0]
        merged.write_text(merged.read_text(encoding="utf-8") + "\nA closing line added to a merged story.\n", "utf-8")
    elif change == "new file":
        (site.articles / "note-99.txt").write_text(note.read_text(encoding="utf-8").replace("Dispatch 9", "Dispatch 99"),
                                                   encoding="utf-8")
    elif change == "deleted file":
        note.unlink()
    site.check("all")


def test_a_listing_page_that_shows_bodies_makes_body_edits_full_builds(site: Site) -> None:
    site.override("index.html", "{% for s in latest %}<p>{{ s.body | length }}</p>{% endfor %}")
    site.check("all")
    newest = max(range(NOTES), key=note_day)
    site.append(newest, "A paragraph the home page counts.")
    site.check("all")


def test_a_story_page_that_shows_its_neighbours_last_paragraph_is_rendered_again(site: Site) -> None:
    site.override("story.html", "{% if next %}<p>Next ends: {{ next.body[-1] }}</p>{% endif %}")
    site.check("all")
    site.append(12, "The new last paragraph.")
    site.check("bodies")
    shown = [p.name for p in (site.out / "stories").iterdir() if "Next ends: The new last paragraph." in p.read_text("utf-8")]
    assert len(shown) == 1


def test_the_page_of_a_story_related_to_the_edited_one_is_rendered_again(site: Site) -> None:
    """The three event reports are related to each other and sit together in the timeline: the first one's page is no
    neighbour of the third's, but lists it."""
    site.override("story.html", "{% for other in related %}<p>Related ends: {{ other.body[-1] }}</p>{% endfor %}")
    site.check("all")
    for name in TRIO:
        assert story_text(site, f"event-report-{TRIO.index(name)}").count("Related ends:") == 2
    (site.articles / TRIO[2]).write_text((site.articles / TRIO[2]).read_text(encoding="utf-8") + "\nA closing line.\n",
                                         encoding="utf-8")
    site.check("bodies")
    assert "Related ends: A closing line." in story_text(site, "event-report-0")


def test_a_random_run_of_edits_of_every_kind_equals_clean_builds(site: Site) -> None:
    """Edits of every kind, in a random (seeded) order, each build checked against a clean one; the kind of build
    is whatever the edit calls for, and at least some are body-only."""
    rng = random.Random(5)
    kinds: list[str] = []
    for step in range(12):
        i = rng.randrange(NOTES)
        note = site.note(i)
        if not note.exists():
            continue
        kind = rng.choice(["append", "append", "append", "last paragraph", "title", "delete", "add"])
        text = note.read_text(encoding="utf-8")
        if kind == "append":
            site.append(i, f"Step {step} adds this.")
        elif kind == "last paragraph":
            last = text.rstrip("\n").rpartition("\n\n")[2]
            note.write_text(text.replace(last, last + f" Step {step} extends it."), encoding="utf-8")
        elif kind == "title":
            site.edit(note, f"Dispatch {i} ", f"Dispatch {i} (step {step}) ")
        elif kind == "delete":
            note.unlink()
        else:
            (site.articles / f"extra-{step}.txt").write_text(text.replace(f"Dispatch {i} ", f"Extra {step} ").replace(
                paragraph(i * 10), paragraph(5000 + step)), encoding="utf-8")
        result = build(site.articles, site.out, site.config, SEED_BUILD_DATE, memory=site.memory)
        kinds.append(result.rebuilt)
        site.clean_runs += 1
        out = site.root / f"clean{site.clean_runs}" / "public"
        build(site.articles, out, site.config, SEED_BUILD_DATE)
        assert tree(site.out) == tree(out), (step, kind, result.rebuilt)
    assert kinds.count("bodies") >= 3 and "all" in kinds, kinds
