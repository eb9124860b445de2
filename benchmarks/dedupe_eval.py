#!/usr/bin/env python3
"""Deduplication: precision and recall on a labelled set built from the shared corpora, and the Reuters timing.

    .venv/bin/python benchmarks/dedupe_eval.py [--corpora ../shared/corpora] [--runs 5] [--no-timing]

The labelled set (seeded, so the same every run) has two parts:

* Synthetic, truth by construction. Stories drawn from Reuters-21578 and BBC (ones in no known
  duplicate pair) each get one copy of one kind: an exact copy with re-spaced text, curly quotes
  and page furniture; a re-send with one sentence dropped; a truncated copy (the first 40-75% of
  its paragraphs); a retitled "UPDATE 1-" copy with a new opening paragraph, a day later; a
  "(CORRECTED)" copy with one figure changed. Traps that must stay apart: the same text a week
  later (a recurring report), a short dividend notice under another company's headline and
  ticker, a short market report under another city's dateline and headline.
* Natural, labelled from corpus metadata (anchors/results/*_truth_pairs.tsv): Reuters pairs with
  Jaccard >= 0.8 sent within 24 h under the same title (wire markers removed) or the same ticker are
  duplicates (plus four pairs read by hand, see ADJUDICATED_SAME), as are
  BBC pairs with Jaccard >= 0.8 (re-headlined copies); pairs whose titles name different tickers
  (anchors' list), same-title pairs more than 24 h apart (recurring reports), the Joliet / St Joseph
  hog reports, and pairs with 0.5 <= Jaccard < 0.8 whose shorter text is less than 70% inside the
  longer (different write-ups of the same subject) must stay apart.

Precision and recall are over story pairs: a pair is predicted a duplicate when dedupe puts both in
one story. Exit status: 0 when precision >= 0.99 and recall >= 0.98, 1 when not, 2 without corpora.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import itertools
import json
import random
import re
import resource
import statistics
import sys
import time
import tracemalloc
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from digest.dedupe import dedupe  # noqa: E402
from digest.dedupe.rules import clean_headline  # noqa: E402
from digest.model import SourceRef, Story  # noqa: E402
from digest.text import cut_at_word, fold, short_hash, slugify  # noqa: E402

DEFAULT_CORPORA = ROOT.parent / "shared" / "corpora"
TARGET_PRECISION = 0.99
TARGET_RECALL = 0.98
_TICKER = re.compile(r"<[^>]+>")
# Pairs read by hand that the anchors' ticker list calls different companies but that are one story:
# WESTPORT BANCORP <WBAT.O> / <WEBAT.O> (a ticker typo, same figures, same day) and C.O.M.B. <COQ> /
# "CORRECTED - C.O.M.B <CMCO>" (the correction fixes the ticker).
ADJUDICATED_SAME = {(20388, 20930), (20388, 20943), (20930, 20943), (10492, 10571)}


def make_story(path: str, headline: str | None, body: list[str], date: dt.date | None, dateline: str | None) -> Story:
    paragraphs = tuple(p for p in (x.strip() for x in body) if p)
    title = headline or cut_at_word(paragraphs[0] if paragraphs else "story", 90)
    digest = short_hash(fold(headline or ""), fold(" ".join(paragraphs[:3]))[:2000], length=6)
    story_id = f"{slugify(headline or title, 50)}-{digest}"
    return Story(
        id=story_id,
        headline=headline,
        title=title,
        date=date,
        date_source="corpus" if date else None,
        dateline=dateline,
        summary=(),
        body=paragraphs,
        sources=(SourceRef(path, 0),),
    )


def read_jsonl(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def reuters_story(r: dict, path: str | None = None, **change: object) -> Story:
    place = r["dateline"].split(",")[0].strip() or None if r["dateline"] else None
    fields = {
        "headline": r["title"] or None,
        "body": r["body"].split("\n\n"),
        "date": dt.date.fromisoformat(r["date"][:10]),
        "dateline": place,
    }
    fields.update(change)
    return make_story(path or f"reuters/{r['id']:05d}.txt", **fields)  # type: ignore[arg-type]


def bbc_story(r: dict, date: dt.date | None, path: str | None = None, **change: object) -> Story:
    fields = {"headline": r["title"], "body": r["body"].split("\n\n"), "date": date, "dateline": None}
    fields.update(change)
    return make_story(path or f"bbc/{r['id']}", **fields)  # type: ignore[arg-type]


def truth_pairs(anchors: Path, name: str) -> list[tuple[str, str, float]]:
    rows = []
    for line in (anchors / "results" / f"{name}_truth_pairs.tsv").read_text(encoding="utf-8").splitlines():
        a, b, j = line.split("\t")
        rows.append((a, b, float(j)))
    return rows


def ticker_conflicts(anchors: Path) -> set[tuple[int, int]]:
    text = (anchors / "results" / "reuters_ticker_conflicts.txt").read_text(encoding="utf-8")
    found = set()
    for a, b in re.findall(r"(\d+)/(\d+)", text):
        found.add((min(int(a), int(b)), max(int(a), int(b))))
    return found


def tokens(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", text.lower())


def containment(a: str, b: str) -> float:
    def sh(t: list[str]) -> set[tuple[str, ...]]:
        return {tuple(t[i : i + 5]) for i in range(max(1, len(t) - 4))}

    x, y = sh(tokens(a)), sh(tokens(b))
    small, large = (x, y) if len(x) <= len(y) else (y, x)
    return len(small & large) / max(1, len(small))


# ---------------------------------------------------------------- synthetic copies

FURNITURE = ["Advertisement", "Share this article", "Read more: markets today"]
NEW_LEADS = [
    "Officials gave further details later in the day, adding to earlier remarks.",
    "The announcement was confirmed in a statement issued later on, officials said.",
]


def curly(text: str) -> str:
    return re.sub(r'"([^"]*)"', "\u201c\\1\u201d", text).replace("'", "\u2019")


def exact_copy(s: Story, rng: random.Random) -> list[str]:
    body = [curly(p).replace(" ", "  ") for p in s.body]
    body.insert(rng.randrange(1, len(body) + 1), FURNITURE[rng.randrange(len(FURNITURE))])
    return [*body, "(Reporting by A. Writer; Editing by B. Editor)"]


def resend(s: Story, rng: random.Random) -> list[str]:
    body = list(s.body)
    longest = max(range(len(body)), key=lambda i: len(body[i]))
    sentences = re.split(r"(?<=[.!?])\s+", body[longest])
    if len(sentences) > 1:
        del sentences[rng.randrange(len(sentences))]
        body[longest] = " ".join(sentences)
    else:
        words = body[longest].split()
        del words[rng.randrange(len(words))]
        body[longest] = " ".join(words)
    return body


def truncated(s: Story, rng: random.Random) -> list[str]:
    words = sum(len(p.split()) for p in s.body)
    keep, count = [], 0
    share = rng.uniform(0.4, 0.75)
    for p in s.body:
        if count >= share * words and count >= 40:
            break
        keep.append(p)
        count += len(p.split())
    return keep


def with_changed_figure(s: Story, rng: random.Random) -> list[str] | None:
    body = list(s.body)
    spots = [(i, m) for i, p in enumerate(body) for m in re.finditer(r"\b\d+(?:\.\d+)?\b", p)]
    if not spots:
        return None
    i, m = spots[rng.randrange(len(spots))]
    value = m.group()
    new = str(int(value) + 1) if value.isdigit() else f"{float(value) + 0.1:.{len(value.split('.')[1])}f}"
    body[i] = body[i][: m.start()] + new + body[i][m.end() :]
    return body


KINDS = ("exact copy", "re-send", "truncated copy", "retitled update", "corrected figure")


def synthetic(reuters: list[dict], bbc: list[dict], busy: set[str], rng: random.Random, per_corpus: tuple[int, int]):
    """(story, label, kind) triples: a base story and one copy, or a base story and a trap."""
    out = []
    base_r = [
        r for r in reuters if r["type"] == "NORM" and r["title"] and len(tokens(r["body"])) >= 80 and str(r["id"]) not in busy
    ]
    titles = Counter(r["title"] for r in reuters)
    base_r = [r for r in base_r if titles[r["title"]] == 1]
    base_b = [r for r in bbc if r["id"] not in busy and len(tokens(r["body"])) >= 80]
    picks = [("r", r) for r in rng.sample(base_r, per_corpus[0])] + [("b", r) for r in rng.sample(base_b, per_corpus[1])]
    for n, (corpus, r) in enumerate(picks):
        date = dt.date(2005, 1, 1) + dt.timedelta(days=n) if corpus == "b" else None
        base = reuters_story(r) if corpus == "r" else bbc_story(r, date)
        label = f"syn-{n}"
        kind = KINDS[n % len(KINDS)] if n % 6 else "recurring report (trap)"
        path = f"copies/{n:04d}.txt"
        if kind == "exact copy":
            copy = Story(**{**_fields(base), "body": tuple(exact_copy(base, rng)), "sources": (SourceRef(path, 0),)})
        elif kind == "re-send":
            copy = _with(base, path, body=resend(base, rng))
        elif kind == "truncated copy":
            copy = _with(base, path, body=truncated(base, rng))
        elif kind == "retitled update":
            day = base.date + dt.timedelta(days=1) if base.date else None
            copy = _with(base, path, headline=f"UPDATE 1-{base.headline}", body=[NEW_LEADS[n % 2], *base.body], date=day)
        elif kind == "corrected figure":
            changed = with_changed_figure(base, rng)
            if changed is None:
                continue
            copy = _with(base, path, headline=f"{base.headline} (CORRECTED)", body=changed)
        else:
            if base.date is None:
                base = _with(base, base.sources[0].path, date=dt.date(2005, 6, 1))
            copy = _with(base, path, date=base.date + dt.timedelta(days=7) if base.date else None)
            out.append((base, label, "base"))
            out.append((copy, f"{label}-later", kind))
            continue
        out.append((base, label, "base"))
        out.append((copy, label, kind))
    # Templated traps: short dividend notices under another company's headline; market reports under another city.
    notices = [r for r in reuters if r["type"] == "NORM" and _TICKER.search(r["title"]) and len(tokens(r["body"])) < 40
               and re.search(r"DIVIDEND|QUARTERLY|PAYOUT|QTLY", r["title"]) and str(r["id"]) not in busy]
    for n, (r, other) in enumerate(zip(rng.sample(notices, 60), rng.sample(notices, 60), strict=True)):
        if _TICKER.search(r["title"]).group() == _TICKER.search(other["title"]).group():  # type: ignore[union-attr]
            continue
        base = reuters_story(r)
        trap = reuters_story(r, f"traps/dividend-{n:03d}.txt", headline=other["title"])
        out.append((base, f"div-{n}", "base"))
        out.append((trap, f"div-{n}-other", "dividend under another company (trap)"))
    markets = [r for r in reuters if r["type"] == "NORM" and r["dateline"] and len(tokens(r["body"])) < 60
               and re.search(r"\b(HOGS|CATTLE|GRAIN|PRICES?)\b", r["title"]) and str(r["id"]) not in busy]
    cities = ["OMAHA", "PEORIA", "SIOUX CITY", "KANSAS CITY", "DES MOINES"]
    for n, r in enumerate(rng.sample(markets, min(40, len(markets)))):
        place = r["dateline"].split(",")[0].strip().upper()
        city = next(c for c in rng.sample(cities, len(cities)) if c != place)
        base = reuters_story(r)
        title = r["title"].upper()
        headline = title.replace(place, city) if place in title else f"{city} {title}"
        trap = reuters_story(r, f"traps/market-{n:03d}.txt", dateline=city, headline=headline)
        out.append((base, f"mkt-{n}", "base"))
        out.append((trap, f"mkt-{n}-other", "market report for another city (trap)"))
    return out


def _fields(s: Story) -> dict:
    return {f: getattr(s, f) for f in Story.__dataclass_fields__}


def _with(s: Story, path: str, **change: object) -> Story:
    fields = {"headline": s.headline, "body": list(s.body), "date": s.date, "dateline": s.dateline}
    fields.update(change)
    return make_story(path, **fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- natural pairs

def natural(reuters: list[dict], bbc: list[dict], anchors: Path):
    by_id = {str(r["id"]): r for r in reuters}
    bbc_by_id = {r["id"]: r for r in bbc}
    conflicts = ticker_conflicts(anchors)
    positive: list[tuple[str, str, str]] = []
    negative: list[tuple[str, str, str]] = []
    for a, b, j in truth_pairs(anchors, "reuters"):
        ra, rb = by_id[a], by_id[b]
        hours = abs((dt.datetime.fromisoformat(ra["date"]) - dt.datetime.fromisoformat(rb["date"])).total_seconds()) / 3600
        same_title = ra["title"] and fold(clean_headline(ra["title"])) == fold(clean_headline(rb["title"]))
        key = (min(int(a), int(b)), max(int(a), int(b)))
        tickers_a = {t.strip("<>").split(".")[0] for t in _TICKER.findall(ra["title"])}
        tickers_b = {t.strip("<>").split(".")[0] for t in _TICKER.findall(rb["title"])}
        same_company = bool(tickers_a & tickers_b) or key in ADJUDICATED_SAME
        resent = j >= 0.8 and (same_title or same_company) and hours <= 24 and ra["type"] == rb["type"] == "NORM"
        if key in ADJUDICATED_SAME or resent:
            positive.append((f"r{a}", f"r{b}", "natural re-send"))
        elif key in conflicts:
            negative.append((f"r{a}", f"r{b}", "different tickers (natural trap)"))
        elif j >= 0.8 and same_title and hours > 48:
            negative.append((f"r{a}", f"r{b}", "recurring report (natural trap)"))
        elif j < 0.8 and containment(ra["body"], rb["body"]) < 0.7:
            negative.append((f"r{a}", f"r{b}", "different write-up (natural)"))
    negative.append(("r13893", "r13977", "hog markets (natural trap)"))
    for a, b, j in truth_pairs(anchors, "bbc"):
        if j >= 0.8:
            positive.append((f"b{a}", f"b{b}", "natural re-headlined copy"))
        elif containment(bbc_by_id[a]["body"], bbc_by_id[b]["body"]) < 0.7:
            negative.append((f"b{a}", f"b{b}", "same-event write-up (natural)"))
    stories: dict[str, Story] = {}
    for key in {k for p in positive + negative for k in p[:2]}:
        stories[key] = reuters_story(by_id[key[1:]]) if key[0] == "r" else bbc_story(bbc_by_id[key[1:]], None)
    return stories, positive, negative


# ---------------------------------------------------------------- evaluation

def evaluate(corpora: Path, seed: int) -> tuple[float, float, dict]:
    anchors = corpora / "anchors"
    reuters = [r for r in read_jsonl(corpora / "reuters21578.jsonl.gz") if r["body"]]
    bbc = read_jsonl(corpora / "bbc2095.jsonl.gz")
    busy = {x for name in ("reuters", "bbc") for a, b, _ in truth_pairs(anchors, name) for x in (a, b)}
    rng = random.Random(seed)
    syn = synthetic(reuters, bbc, busy, rng, (250, 110))
    nat_stories, positive, negative = natural(reuters, bbc, anchors)

    items: list[Story] = []
    label_of: dict[SourceRef, str] = {}
    kind_of: dict[SourceRef, str] = {}
    for story, label, kind in syn:
        if story.sources[0] in label_of:
            continue
        items.append(story)
        label_of[story.sources[0]] = label
        kind_of[story.sources[0]] = kind
    ref_of = {}
    for key, story in sorted(nat_stories.items()):
        if story.sources[0] in label_of:
            continue
        items.append(story)
        ref_of[key] = story.sources[0]
        label_of[story.sources[0]] = key
    # Natural labels: components of the positive pairs.
    parent = {k: k for k in nat_stories}

    def find(x: str) -> str:
        while parent[x] != x:
            x = parent[x]
        return x

    for a, b, _ in positive:
        parent[find(a)] = find(b)
    for key, ref in ref_of.items():
        label_of[ref] = find(key)
    pair_kind: dict[frozenset[SourceRef], str] = {}
    for a, b, kind in positive + negative:
        if a in ref_of and b in ref_of:
            pair_kind.setdefault(frozenset((ref_of[a], ref_of[b])), kind)
    for story, _, kind in syn:
        if kind != "base":
            base = next(s for s, lab, k in syn if k == "base" and lab == _base_label(label_of[story.sources[0]]))
            pair_kind[frozenset((base.sources[0], story.sources[0]))] = kind

    result = dedupe(tuple(items))
    group_of = {ref: k for k, s in enumerate(result.stories) for ref in s.sources}
    refs = [s.sources[0] for s in items]
    truth = {frozenset(p) for p in itertools.combinations(refs, 2) if label_of[p[0]] == label_of[p[1]]}
    predicted = {frozenset(p) for s in result.stories for p in itertools.combinations(s.sources, 2)}
    tp = len(truth & predicted)
    precision = tp / len(predicted) if predicted else 1.0
    recall = tp / len(truth) if truth else 1.0
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for pair, kind in pair_kind.items():
        a, b = tuple(pair)
        merged = group_of[a] == group_of[b]
        by_kind[kind][0] += 1
        by_kind[kind][1] += merged
    wrong = [sorted(p, key=lambda r: (r.path, r.index)) for p in predicted - truth]
    missed = [sorted(p, key=lambda r: (r.path, r.index)) for p in truth - predicted]
    report = {
        "stories": len(items),
        "true_pairs": len(truth),
        "predicted_pairs": len(predicted),
        "by_kind": {k: {"pairs": v[0], "merged": v[1]} for k, v in sorted(by_kind.items())},
        "false_merges": [[f"{r.path}" for r in p] for p in wrong[:10]],
        "missed": [[f"{r.path}" for r in p] for p in missed[:10]],
    }
    related = {s.id: set(s.related) for s in result.stories}
    id_of = {ref: s.id for s in result.stories for ref in s.sources}
    same_event = [p for p, k in pair_kind.items() if k == "same-event write-up (natural)"]
    linked = sum(1 for p in same_event if id_of[sorted(p, key=str)[1]] in related[id_of[sorted(p, key=str)[0]]])
    report["same_event_pairs_linked_as_related"] = f"{linked}/{len(same_event)}"
    return precision, recall, report


def _base_label(label: str) -> str:
    return label.removesuffix("-later").removesuffix("-other")


def timing(corpora: Path, runs: int) -> dict:
    reuters = [r for r in read_jsonl(corpora / "reuters21578.jsonl.gz") if r["body"]]
    stories = tuple(reuters_story(r) for r in reuters)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        result = dedupe(stories)
        times.append(time.perf_counter() - start)
    tracemalloc.start()
    dedupe(stories)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "stories": len(stories),
        "after_dedupe": len(result.stories),
        "merged_groups": len(result.merges),
        "rules": dict(Counter(m.rule for m in result.merges)),
        "held_apart": len(result.held_apart),
        "with_related": sum(1 for s in result.stories if s.related),
        "seconds": [round(t, 3) for t in times],
        "median_seconds": round(statistics.median(times), 3),
        "dedupe_peak_traced_mb": round(peak / 2**20, 1),
        "process_peak_rss_mb": round(rss, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpora", type=Path, default=DEFAULT_CORPORA)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-timing", action="store_true")
    args = parser.parse_args()
    needed = ["reuters21578.jsonl.gz", "bbc2095.jsonl.gz", "anchors/results/reuters_truth_pairs.tsv",
              "anchors/results/bbc_truth_pairs.tsv", "anchors/results/reuters_ticker_conflicts.txt"]
    missing = [n for n in needed if not (args.corpora / n).is_file()]
    if missing:
        print(f"dedupe_eval: the corpora are not available at {args.corpora} (missing: {', '.join(missing)}).\n"
              "This benchmark needs ../shared/corpora (Reuters-21578, BBC and the anchors); pass --corpora DIR.",
              file=sys.stderr)
        return 2
    precision, recall, report = evaluate(args.corpora, args.seed)
    print(json.dumps(report, indent=1))
    print(f"labelled set: precision {precision:.4f}, recall {recall:.4f} "
          f"(targets {TARGET_PRECISION}, {TARGET_RECALL}) over {report['true_pairs']} true "
          f"and {report['predicted_pairs']} predicted pairs")
    if not args.no_timing:
        t = timing(args.corpora, args.runs)
        print(json.dumps(t, indent=1))
        print(f"Reuters-21578, {t['stories']} bodies: median {t['median_seconds']} s over {args.runs} runs, "
              f"dedupe peak {t['dedupe_peak_traced_mb']} MB traced, process peak RSS {t['process_peak_rss_mb']} MB")
    return 0 if precision >= TARGET_PRECISION and recall >= TARGET_RECALL else 1


if __name__ == "__main__":
    sys.exit(main())
