"""The build, stage by stage: load -> dedupe -> classify -> render -> publish, incrementally.

Every stage is a pure function; the cache beside the output (`digest.cache`) lets a rebuild skip work
whose inputs did not change: a file whose content hash is known is not parsed again, dedupe reads only
new or changed stories (their features are memoized by content), topics are matched only for stories
whose text changed, a page whose input key (`digest.fingerprint`) is unchanged is not rendered, and
publishing writes only files whose bytes differ (`digest.publish`). With nothing changed at all (same
files, config, templates, static files, build date and code) the build stops after hashing its inputs;
with only story bodies changed, `digest.patch` renders the pages that show them and keeps the rest.
The output equals a clean build's.

`build` returns a frozen `BuildResult` and reports progress through an optional callback
`progress(stage, done, total)`; it prints nothing itself (the command line does).
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import os
import time
from collections.abc import Callable, Iterator, KeysView, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from digest import cache as c
from digest.config import ConfigError, SiteConfig, load_config
from digest.forkmap import fork_call, fork_map_start
from digest.load import MAX_FILE_BYTES, Found, load_paths, scan
from digest.model import LoadResult, Story
from digest.parsecache import ParseCache
from digest.publish import MARKER, Published, PublishError, check_output, mirror, publish_incremental

if TYPE_CHECKING:
    from digest.classify import Classified
    from digest.dedupe import DedupeResult
    from digest.feeds import OutputFile

Progress = Callable[[str, int, int], None]
TextOf = tuple[str, tuple[str, ...], tuple[str, ...]]  # what topic rules read: headline (or title), summary, body
TopicsStarted = Callable[[], tuple[str, dict[str, tuple[str, ...]], KeysView[str], dict[TextOf, str]]]
STAGES = ("load", "dedupe", "classify", "render", "publish")
Rebuilt = Literal["all", "bodies", "nothing"]


@dataclass(frozen=True, slots=True)
class BuildResult:
    """What a build did. `code` is the exit code: 0 built, 1 could not publish (or locked), 2 bad input."""

    code: int
    stories: int = 0  # stories on the site (after merging duplicates)
    files: int = 0  # input files accounted for in the report (loaded, merged, skipped, rejected)
    duplicates_merged: int = 0  # copies folded into another story
    undated: int = 0  # stories without a date
    problems: Mapping[str, int] = field(default_factory=dict)  # level ("error", "warning", "info") -> count
    pages: int = 0  # HTML pages on the site
    rendered: int = 0  # output files rendered by this build (the rest came from the cache)
    written: int = 0  # output files written because they are new or their bytes changed
    removed: int = 0  # output files of the previous build that are gone (deleted articles, ...)
    output: Path | None = None  # the published folder
    report: Path | None = None  # its build-report.json
    seconds: float = 0.0
    error: str | None = None  # why the build failed, when code != 0
    rebuilt: Rebuilt = "all"  # what the build made again: the site, the pages showing edited bodies, or nothing

    @property
    def changed(self) -> int:
        return self.written + self.removed


def _noop(stage: str, done: int, total: int) -> None:
    pass


def build(
    articles: Path, out: Path, config_path: Path, today: dt.date, progress: Progress | None = None,
    memory: c.Memory | None = None,
) -> BuildResult:
    started = time.perf_counter()
    if not articles.is_dir():
        return BuildResult(2, error=f"no articles folder at {articles}", seconds=time.perf_counter() - started)
    try:
        config = load_config(config_path)
    except ConfigError as exc:
        return BuildResult(2, error=str(exc), seconds=time.perf_counter() - started)
    try:
        out = check_output(out)
        folder = c.cache_dir(out)
        with c.BuildLock(folder / f"{out.name}.lock"), _collector_paused():
            result = _build(articles, out, config, today, folder, progress or _noop, memory)
    except c.LockedError as exc:
        return BuildResult(1, error=str(exc), seconds=time.perf_counter() - started)
    except PublishError as exc:
        return BuildResult(1, error=str(exc), seconds=time.perf_counter() - started)
    except OSError as exc:
        return BuildResult(1, error=f"cannot build into {out}: {exc}", seconds=time.perf_counter() - started)
    return replace(result, seconds=time.perf_counter() - started)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused for the build. A build holds hundreds of thousands of long-lived
    objects (stories, features, keys) and makes few reference cycles: the collector's full passes over them cost
    0.3 s of a rebuild at 10,000 articles, and in forked workers each pass copies the memory pages it walks.
    Whatever cycles the build leaves are collected when it ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _site_sources(config: SiteConfig) -> str:
    """A key for the templates and static files a build may read (every file in their folders)."""
    builtin = c.PACKAGE.parent  # render.BUILTIN_TEMPLATES and BUILTIN_STATIC (not imported: a no-change build skips it)
    folders = [builtin / "templates", builtin / "static", config.root / "templates", config.root / "static"]
    if config.templates:
        folders.append(config.root / config.templates)
    parts: list[str | bytes] = []
    for folder in dict.fromkeys(f.resolve() for f in folders):
        if folder.is_dir():
            for rel, path in c.tree_files(folder):
                parts += [str(folder), rel, path.read_bytes()]
    return c.digest_of(*parts)


def _live_manifest(out: Path, state: dict[str, Any]) -> dict[str, tuple[str, c.Stat | None]]:
    """The entries of the recorded manifest of the output folder that still hold (by stat)."""
    recorded: dict[str, tuple[str, c.Stat | None]] = state.get("live") or {}
    if not out.is_dir():
        return {}
    base = f"{out}{os.sep}"
    stat = os.stat
    live: dict[str, tuple[str, c.Stat | None]] = {}
    for p, e in recorded.items():  # `file_sig(base + p) == e[1]`, written out: 9,000 files on every build
        try:
            st = stat(base + p)
        except OSError:
            continue
        if (st.st_size, st.st_mtime_ns, 0, st.st_ino) == e[1]:
            live[p] = e
    return live


def _build(
    articles: Path, out: Path, config: SiteConfig, today: dt.date, folder: Path, report: Progress, memory: c.Memory | None
) -> BuildResult:
    state = c.read_pickle(folder / f"state-{out.name}.pickle", {}, keep=memory)  # not changed: it may be kept
    if not isinstance(state, dict) or state.get("out") != str(out):
        state = {}
    elif state.get("spare") is not None and os.path.lexists(folder / f"spare-{out.name}.changing"):
        state = {**state, "spare": None}  # a build changed the spare and did not get to record it
    code = c.code_version()
    recorded_ns = time.time_ns()
    parse_cache = ParseCache(folder, today.isoformat(), MAX_FILE_BYTES, memory)

    report("load", 0, 1)
    found = scan(articles, stat=True)

    # Everything the build reads but the files' contents (joined, not repr'd: 10,000 names).
    context = c.digest_of(code, today.isoformat(), repr(config), _site_sources(config), str(articles.resolve()),
                          "\0".join(found.files), repr(found.skipped))

    def inputs_key(hashes: list[str | None]) -> str:
        return c.digest_of(context, "\0".join([h or "-" for h in hashes]))  # ("-": none)

    # With no earlier build to compare with, the files are hashed where they are parsed, not read twice: the key
    # is then made after loading, from the hash of what was parsed (a file edited meanwhile differs next time).
    hashes = list(map(parse_cache.content_hash, found.files, found.sigs)) if state.get("result") else None
    inputs = inputs_key(hashes) if hashes is not None else None
    live = _live_manifest(out, state)
    intact = len(live) == len(state.get("live") or {})  # the output folder is as the last build left it
    if inputs is not None and inputs == state.get("inputs") and intact:
        for stage in STAGES:
            report(stage, 1, 1)
        parse_cache.save(recorded_ns)
        last: BuildResult = state["result"]
        return replace(last, rendered=0, written=0, removed=0, output=out, report=out / MARKER, rebuilt="nothing")
    if hashes is not None and inputs is not None and intact:
        patched = _patched(articles, out, config, today, folder, report, state, code, inputs, context, hashes, live,
                           parse_cache, recorded_ns, found)
        if patched is not None:
            return patched

    def parsed_hashes() -> list[str | None]:
        return list(map(parse_cache.parsed_hash, found.files))

    return _full(articles, out, config, today, folder, report, state, code, inputs, context, parsed_hashes, live,
                 parse_cache, recorded_ns, found)


def _patched(
    articles: Path, out: Path, config: SiteConfig, today: dt.date, folder: Path, report: Progress, state: dict[str, Any],
    code: str, inputs: str, context: str, hashes: list[str | None], live: dict[str, tuple[str, c.Stat | None]],
    parse_cache: ParseCache, recorded_ns: int, found: Found,
) -> BuildResult | None:
    """The build as `digest.patch` makes it when only story bodies changed (None: it cannot)."""
    from digest.patch import Snapshot, patch

    snapshot = c.read_pickle(folder / f"index-{out.name}.pickle", None, keep=parse_cache.memory)
    if not isinstance(snapshot, Snapshot) or snapshot.inputs != state.get("inputs") or snapshot.context != context:
        return None
    keys: dict[str, str] = state.get("keys") or {}
    patched = patch(articles, found, hashes, inputs, snapshot, keys, live.keys(), config, today, code, folder, parse_cache)
    if patched is None:
        return None
    for stage in STAGES[:-1]:  # (done in a moment: shown as for a build that finds nothing changed)
        report(stage, 1, 1)
    parse_cache.keep_others()
    parse_cache.save(recorded_ns)
    made = {f.path for f in patched.files}
    published, spare = _publish(out, folder, state, patched.files, [p for p in live if p not in made], live, report)
    patched.save()
    last: BuildResult = state["result"]
    result = replace(last, rendered=len(patched.files), written=published.written, removed=published.removed,
                     output=published.out, report=published.out / MARKER, rebuilt="bodies")
    c.write_pickle(folder / f"index-{out.name}.pickle", patched.snapshot, keep=parse_cache.memory)
    _record(out, folder, state, inputs, {**keys, **patched.keys}, published, spare, result, parse_cache.memory)
    return result


def _full(
    articles: Path, out: Path, config: SiteConfig, today: dt.date, folder: Path, report: Progress, state: dict[str, Any],
    code: str, inputs: str | None, context: str, parsed_hashes: Callable[[], list[str | None]],
    live: dict[str, tuple[str, c.Stat | None]], parse_cache: ParseCache, recorded_ns: int, found: Found,
) -> BuildResult:
    from digest.patch import Snapshot, keep_stories
    from digest.render import render, report_files

    memory = parse_cache.memory

    loaded = load_paths([articles], today, cache=parse_cache, progress=lambda done, total: report("load", done, total),
                        discovered={articles: found})
    hashes = parsed_hashes()  # every file's hash is known now
    if inputs is None:
        inputs = c.digest_of(context, "\0".join([h or "-" for h in hashes]))
    parse_cache.save(recorded_ns)

    report("dedupe", 0, 1)
    topics = _start_topics(loaded, config, folder, code, today, memory)
    deduped = _dedupe(loaded.stories, folder, memory)
    report("dedupe", 1, 1)

    # The build report reads dedupe's result but not topics: it is made on another CPU while this one classifies.
    previous = {p: k for p, k in (state.get("keys") or {}).items() if p in live}
    compiled = folder / "templates"
    report_made = fork_call(partial(report_files, loaded, deduped.stories, deduped.merges, config, today, code, compiled,
                                    previous))
    report("classify", 0, 1)
    classified = _classify(deduped.stories, config, folder, topics, memory)
    report("classify", 1, 1)

    report("render", 0, 1)
    site = render(classified, config, today, loaded, deduped.merges, previous, code, compiled, report_made)
    report("render", 1, 1)

    published, spare_now = _publish(out, folder, state, site.files, site.kept, live, report)
    if site.index is not None:  # what a rebuild after body edits starts from (`digest.patch`)
        keep_stories(folder, classified.stories, site.index.origins, memory)
        c.write_pickle(folder / f"index-{out.name}.pickle",
                       Snapshot(inputs, context, dict(zip(found.names, hashes, strict=True)), site.index), keep=memory)

    levels: dict[str, int] = {}
    for p in loaded.problems:
        levels[p.level] = levels.get(p.level, 0) + 1
    result = BuildResult(
        0,
        stories=site.stories,
        files=len(loaded.files),
        duplicates_merged=sum(len(m.sources) - 1 for m in deduped.merges),
        undated=sum(1 for s in classified.stories if s.date is None),
        problems=levels,
        pages=site.pages,
        rendered=len(site.files),
        written=published.written,
        removed=published.removed,
        output=published.out,
        report=published.out / MARKER,
    )
    _record(out, folder, state, inputs, site.keys, published, spare_now, result, memory)
    return result


def _publish(
    out: Path, folder: Path, state: dict[str, Any], files: Sequence[OutputFile], kept: Sequence[str],
    live: dict[str, tuple[str, c.Stat | None]], report: Progress,
) -> tuple[Published, dict[str, tuple[str, c.Stat | None]] | None]:
    """Swap in the site made of `files` and the `kept` files of the live one; the new spare folder's manifest."""
    report("publish", 0, 1)
    spare_dir = folder / f"spare-{out.name}"
    spare = state.get("spare")
    if spare is not None and not _mark(folder / f"spare-{out.name}.changing"):  # the spare is about to change: its
        c.write_pickle(folder / f"state-{out.name}.pickle", {**state, "spare": None})  # content is unknown until the
    published = publish_incremental(files, out, spare_dir, kept, live, spare)  # new state is saved
    # The spare now holds the last site, which the next build brings up to date file by file; when most files
    # changed (a new day, a template edited), linking it afresh to this site costs a tenth of that.
    keep = published.spare is not None and published.written * 2 <= len(published.live)
    spare_now = published.spare if keep else mirror(out, spare_dir, published.live)
    report("publish", 1, 1)
    return published, spare_now


def _record(
    out: Path, folder: Path, state: dict[str, Any], inputs: str, keys: Mapping[str, str], published: Published,
    spare: dict[str, tuple[str, c.Stat | None]] | None, result: BuildResult, memory: c.Memory | None,
) -> None:
    """Save the build's state: its input key, its files' keys, the live and spare folders' manifests, its summary."""
    keys = {p: k for p, k in keys.items() if p in published.live}
    saved = c.write_pickle(folder / f"state-{out.name}.pickle",
                           {"out": str(out), "inputs": inputs, "keys": keys, "live": published.live, "spare": spare,
                            "result": result}, keep=memory)
    if saved:
        (folder / f"spare-{out.name}.changing").unlink(missing_ok=True)


def _mark(path: Path) -> bool:
    """Create an empty marker file; whether it is there (the state is rewritten in full where it cannot be)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_CLOEXEC, 0o666))
    except OSError:
        return False
    return True


def _dedupe(stories: tuple[Story, ...], folder: Path, memory: c.Memory | None) -> DedupeResult:
    """Dedupe with the per-story features of earlier builds (`dedupe-NN.pickle`), kept for the stories
    still there; dedupe reads only the stories that are new or changed."""
    from digest.dedupe import dedupe

    memo = c.ShardedMemo(folder, "dedupe", c.code_version("dedupe"), memory)
    result = dedupe(stories, memo.data)
    memo.save()  # the records of this build's stories: dedupe looks each one up
    return result


def _start_topics(
    loaded: LoadResult, config: SiteConfig, folder: Path, code: str, today: dt.date, memory: c.Memory | None
) -> TopicsStarted:
    """Start matching topic rules against the story texts not seen before (`topics.pickle`), in the background on
    every CPU but one (the build dedupes on that one meanwhile); the returned function gives (rules key, memo, keys
    stored before, the key of each loaded story's text).

    A loaded story's text is keyed by where it was parsed from: its file's name and content hash and its place in
    the file (the parse is a pure function of those, the build date and the code, which the rules key holds)."""
    from digest.classify import matched_topics, matchers

    rules_key = c.digest_of(code, today.isoformat(), repr(config.topics))
    stored = c.read_pickle(folder / "topics.pickle", (None, {}), keep=memory)
    memo: dict[str, tuple[str, ...]] = stored[1] if isinstance(stored, tuple) and stored[0] == rules_key else {}
    hashes = {f.path: f.content_hash for f in loaded.files}
    keyed: dict[TextOf, str] = {}
    new: dict[str, Story] = {}
    for story in loaded.stories:
        path, index = story.sources[0].path, story.sources[0].index
        h = hashes.get(path)
        key = f"{path}\0{h}\0{index}" if h is not None else _text_key(story)
        keyed[(story.headline or story.title, story.summary, story.body)] = key
        if key not in memo:
            new.setdefault(key, story)
    collect = fork_map_start(partial(matched_topics, rules=matchers(config.topics)), list(new.values()), leave=1)
    return lambda: (rules_key, {**memo, **dict(zip(new, collect(), strict=True))}, memo.keys(), keyed)


def _classify(
    stories: tuple[Story, ...], config: SiteConfig, folder: Path, started: TopicsStarted, memory: c.Memory | None
) -> Classified:
    """Classify with the topics matched so far (texts made by merging copies are matched here)."""
    from digest.classify import Matcher, classify, matched_topics

    rules_key, memo, known, keyed = started()
    used: dict[str, tuple[str, ...]] = {}

    def match(story: Story, rules: Sequence[Matcher]) -> tuple[str, ...]:
        # a text dedupe left as it was loaded has its key already (the same objects: the lookup costs no compare)
        key = keyed.get((story.headline or story.title, story.summary, story.body)) or _text_key(story)
        topics = memo.get(key)
        if topics is None:
            topics = matched_topics(story, rules)
        used[key] = topics
        return topics

    classified = classify(stories, config, match)
    if used.keys() != known:
        c.write_pickle(folder / "topics.pickle", (rules_key, used), keep=memory)
    return classified


def _text_key(story: Story) -> str:
    """A key for the text topic rules read: exactly what `classify.story_text` joins."""
    text = "\n".join((story.headline or story.title, *story.summary, *story.body))
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
