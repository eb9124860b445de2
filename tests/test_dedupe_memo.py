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
from digest.model import SourceRef


def check(stories, memo) -> None:
    assert dedupe(stories, memo) == dedupe(stories)


def test_memo_gives_the_same_result_cold_and_warm():
    memo: dict[str, StoryFeatures] = {}
    check(STORIES, memo)
    assert set(memo) - {KEY} == {memo_key(s) for s in STORIES}  # the story records, and the pairs of their texts
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
