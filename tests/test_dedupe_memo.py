"""dedupe(stories, memo): the per-story feature memo never changes the result.

A memo filled by one run, kept (and pickled, as the build cache keeps it) and used for the next run
after an edit, a deletion or an addition gives exactly the result of a run without a memo.
"""

import pickle
from dataclasses import replace

from test_dedupe import STORIES

from digest.cache import UsedDict
from digest.dedupe import dedupe
from digest.dedupe.pairmemo import KEY
from digest.dedupe.perstory import StoryFeatures, memo_key
from digest.dedupe.relmemo import KEY as RELATED_KEY
from digest.model import SourceRef


def check(stories, memo) -> None:
    assert dedupe(stories, memo) == dedupe(stories)


def test_memo_gives_the_same_result_cold_and_warm():
    memo: dict[str, StoryFeatures] = {}
    check(STORIES, memo)
    # the story records, the pairs of their texts and the related pairs of the groups
    assert set(memo) - {KEY, RELATED_KEY} == {memo_key(s) for s in STORIES}
    check(STORIES, memo)  # every record reused
    check(STORIES[::-1], memo)  # other order, same records


def test_memo_after_an_edit_a_deletion_and_an_addition():
    memo: dict[str, StoryFeatures] = {}
    check(STORIES, memo)
    memo = pickle.loads(pickle.dumps(memo))  # kept on disk between builds
    merged = dedupe(STORIES).merges[0]
    member = next(s for s in STORIES if s.sources[0] == merged.sources[0])
    at = STORIES.index(member)

    edited = list(STORIES)
    edited[at] = replace(member, body=(*member.body[:-1], member.body[-1] + " Officials gave no further details."))
    check(edited, memo)

    shorter = edited[:at] + edited[at + 1 :]
    check(shorter, memo)

    added = replace(STORIES[0], sources=(SourceRef("new/copy.txt", 0),), headline=(STORIES[0].headline or "") + " (UPDATE 1)")
    check([*shorter, added], memo)
    check([*shorter, added, replace(added, sources=(SourceRef("new/again.txt", 0),))], memo)


def test_a_stale_or_foreign_memo_entry_is_not_used_for_another_story():
    memo: dict[str, StoryFeatures] = {}
    dedupe(STORIES[:5], memo)
    check(STORIES, memo)
    changed = [replace(s, dateline=(s.dateline or "") + " x") for s in STORIES]
    assert {memo_key(s) for s in changed}.isdisjoint(memo)
    check(changed, memo)


def test_headline_only_and_summary_only_edits_change_the_key():
    story = STORIES[0]
    keys = {
        memo_key(story),
        memo_key(replace(story, headline=(story.headline or "") + "!")),
        memo_key(replace(story, summary=(*story.summary, "one more line"))),
        memo_key(replace(story, date=None)),
        memo_key(replace(story, body=(*story.body, "x"))),
    }
    assert len(keys) == 5


def test_every_story_record_is_looked_up():
    """The build keeps the memo entries a dedupe looked up (cache.UsedDict): every story's, cold, warm and after an edit."""
    memo = UsedDict()
    dedupe(STORIES, memo)
    wanted = {memo_key(s) for s in STORIES}
    assert memo.used >= wanted
    for stories in (STORIES, (*STORIES[:-1], replace(STORIES[-1], body=(*STORIES[-1].body, "One more line.")))):
        warm = UsedDict()
        warm.update(memo)
        dedupe(stories, warm)
        assert warm.used >= {memo_key(s) for s in stories}


def test_related_pairs_kept_in_the_memo(monkeypatch):
    """A rebuild reuses the last build's related pairs when its changes touch no rare name and no day (here: a
    common name added to a story, a story moved to another file), and counts them again otherwise (a new rare
    name, another day); the result is the same as without a memo each time."""
    import digest.dedupe.relmemo as relmemo

    reused: list[bool] = []
    reuse = relmemo._reuse
    monkeypatch.setattr(relmemo, "_reuse", lambda *a: reused.append((found := reuse(*a)) is not None) or found)
    memo: dict[str, StoryFeatures] = {}
    check(STORIES, memo)
    common = "The"  # in more stories than a rare name may be
    assert sum(common in " ".join(s.body) for s in STORIES) > 3
    at = next(i for i, s in enumerate(STORIES) if common not in " ".join(s.body))
    story = STORIES[at]
    steps = [
        replace(story, body=(*story.body, f"{common} talks resume.")),
        replace(story, sources=(SourceRef("moved/elsewhere.txt", 0),)),
        replace(story, body=(*story.body, "Zebulon Quartermaine-Vexley spoke.")),
        replace(story, date=None if story.date else STORIES[0].date),
    ]
    for edited in steps:
        stories = (*STORIES[:at], edited, *STORIES[at + 1 :])
        check(stories, memo)
        check(STORIES, memo)  # and back
    assert reused[:6] == [True] * 4 + [False] * 2  # (whether another date changes its group's day depends on the group)
