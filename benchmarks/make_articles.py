"""Write N raw article files, as people paste them, from the shared news corpora.

    python benchmarks/make_articles.py N OUT_DIR [--seed 7] [--truth FILE]

Stories come from ../shared/corpora (BBC 2004-05 and Reuters-21578), laid out as copied pages of
several outlets (Dawn, The Express Tribune, The News, Geo, Arab News, Reuters, AP, AFP, Al Jazeera,
Xinhua, BBC, a plain paste and Markdown). About 10% are repeats: exact copies under another name,
or the story re-sent with a changed headline or a trimmed body. Deterministic for a given seed.
`--truth` writes one JSON line per file with what the loader should recover (headline, date,
dateline, body). The corpora are test data only: never commit the output.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import random
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

CORPORA = Path(__file__).resolve().parent.parent.parent / "shared" / "corpora"
FILES = ("bbc2095.jsonl.gz", "reuters21578.jsonl.gz")
MONTHS = "January February March April May June July August September October November December".split()


@dataclass(frozen=True)
class Item:
    headline: str
    date: dt.date
    place: str | None
    paragraphs: tuple[str, ...]


def read_corpora(folder: Path) -> list[Item]:
    items: list[Item] = []
    with gzip.open(folder / "bbc2095.jsonl.gz", "rt", encoding="utf-8") as fh:
        for n, line in enumerate(fh):
            rec = json.loads(line)
            paragraphs = tuple(p.strip() for p in rec["body"].split("\n\n") if p.strip())
            if rec["title"].strip() and paragraphs:
                # The BBC set has no dates: give each a fixed day in 2004-05.
                items.append(Item(rec["title"].strip(), dt.date(2004, 6, 1) + dt.timedelta(days=n % 500), None, paragraphs))
    with gzip.open(folder / "reuters21578.jsonl.gz", "rt", encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            paragraphs = tuple(p.strip() for p in rec["body"].split("\n\n") if p.strip())
            if rec["type"] != "NORM" or not rec["title"] or len(paragraphs) < 2 or len(rec["body"]) < 300:
                continue
            place = rec["dateline"].split(",")[0].strip(" -") or None
            if sum(len(p) < 60 for p in paragraphs) > len(paragraphs) // 3:
                continue  # a table (price lists, crop figures), not prose
            title = rec["title"].strip()
            headline = title[0] + title[1:].lower() if title.isupper() else title
            items.append(Item(headline, dt.date.fromisoformat(rec["date"][:10]), place, paragraphs))
    return items


def us_date(d: dt.date) -> str:
    return f"{MONTHS[d.month - 1]} {d.day}, {d.year}"


def lede(item: Item, style: str) -> list[str]:
    """The paragraphs with the first one opened by the outlet's dateline."""
    paras = list(item.paragraphs)
    if item.place is None:
        return paras
    mon = MONTHS[item.date.month - 1]
    head = {
        "colon": f"{item.place.upper()}: ",
        "reuters": f"{item.place}, {mon} {item.date.day} (Reuters) - ",
        "ap": f"{item.place} (AP) — ",
        "afp": f"{item.place.title()} (AFP) – ",
        "xinhua": f"{item.place}, {mon} {item.date.day} (Xinhua) -- ",
    }[style]
    paras[0] = head + paras[0]
    return paras


def dawn(item: Item, rng: random.Random) -> str:
    parts = ["Business", item.headline, "Staff Reporter", f"Published {us_date(item.date)} Updated about 2 hours ago", "Follow"]
    body = lede(item, "colon")
    if len(body) > 2:
        body.insert(2, "Read more: Markets close higher on hopes of rate cut")
    after = item.date + dt.timedelta(days=1)
    tail = f"\n\nPublished in Dawn, {MONTHS[after.month - 1]} {after.day}th, {after.year}\n\nComments ({rng.randint(1, 40)})\n"
    return "\n".join(parts) + "\n" + "\n\n".join(body) + tail


def tribune(item: Item, rng: random.Random) -> str:
    stamp = f"{us_date(item.date)}{rng.randint(1, 11)}:{rng.randint(10, 59)} PM GMT+5"  # glued, as copied
    parts = ["Business", item.headline, "Our Correspondent", stamp]
    parts.append("PHOTO: REUTERS")
    tail = "\n\nLike Business on Facebook, follow @ETribune on Twitter.\n"
    return "\n".join(parts) + "\n" + "\n\n".join(lede(item, "colon")) + tail


def thenews(item: Item, rng: random.Random) -> str:
    parts = ["Top Story", item.headline, "By Our Correspondent", us_date(item.date), "Share", "Next Story >>>"]
    return "\n".join(parts) + "\n" + "\n\n".join(lede(item, "colon")) + "\n"


def geo(item: Item, rng: random.Random) -> str:
    stamp = f"{item.date.isoformat()} {rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d}"
    return f"{item.headline}\nWeb Desk\n{stamp}\n\n" + "\n\n".join(lede(item, "colon")) + "\n"


def arabnews(item: Item, rng: random.Random) -> str:
    d = item.date
    caption = "A view of the city centre on a busy morning. (AP)"
    head = [item.headline, "", caption, "Short Url", f"Updated {d.day:02d} {MONTHS[d.month - 1]} {d.year}"]
    head += ["Follow", "", item.headline, ""]
    return "\n".join(head) + "\n" + "\n\n".join(lede(item, "colon")) + f"\n\nhttps://arab.news/{rng.randbytes(3).hex()}\n"


def reuters(item: Item, rng: random.Random) -> str:
    stamp = f"{us_date(item.date)} {rng.randint(1, 11)}:{rng.randint(10, 59)} PM GMT+5Updated {rng.randint(1, 9)} hours ago"
    tail = "\n\nReporting by Staff; Editing by Desk\n\nOur Standards: The Thomson Reuters Trust Principles.\n"
    return f"World\n{item.headline}\nBy Staff Writer\n{stamp}\n" + "\n\n".join(lede(item, "reuters")) + tail


def ap(item: Item, rng: random.Random) -> str:
    d = item.date
    stamp = f"Updated {rng.randint(1, 11)}:{rng.randint(10, 59)} PM GMT+5, {MONTHS[d.month - 1][:3]} {d.day}, {d.year}"
    tail = "\n\nAssociated Press writer Staff Writer contributed to this report.\n"
    return f"{item.headline}\nBy STAFF WRITER\n{stamp}\nShare\n" + "\n\n".join(lede(item, "ap")) + tail


def afp(item: Item, rng: random.Random) -> str:
    later = item.date + dt.timedelta(days=1)
    stamp = f"Updated {us_date(later)} at 1:02 AM GMT+5 | Published {us_date(item.date)} at 11:42 AM GMT+5"
    return f"{item.headline}\nBy AFP - Agence France Presse\n{stamp}\n" + "\n\n".join(lede(item, "afp")) + "\n\nbur-sw/jfx\n"


def aljazeera(item: Item, rng: random.Random) -> str:
    d = f"{item.date.day} {MONTHS[item.date.month - 1][:3]} {item.date.year}"
    head = f"News|Economy\n{item.headline}\n\nPublished On {d}{d}\nSave\nClick here to share on social media\nshare2\n"
    return head + "\n\n".join(item.paragraphs) + "\n\nSource\n: Al Jazeera and news agencies\n"


def xinhua(item: Item, rng: random.Random) -> str:
    stamp = f"Source: Xinhua| {item.date.isoformat()} 21:05:30|Editor: huaxia"
    body = lede(item, "xinhua")
    body[-1] += " Enditem"
    return f"{item.headline}\n\n{stamp}\n\n" + "\n\n".join(body) + "\n"


def bbc(item: Item, rng: random.Random) -> str:
    d = f"{item.date.day} {MONTHS[item.date.month - 1]} {item.date.year}"
    head = f"{item.headline}\n{d}\nShare\nSave\nStaff Writer\nBBC News\n"
    head += "Image source, Getty Images\nImage caption,\nA general view\n"
    return head + "\n\n".join(item.paragraphs) + "\n\nRelated topics\nBusiness\n"


def plain(item: Item, rng: random.Random) -> str:
    return f"{item.headline}\n{us_date(item.date)}\n\n" + "\n\n".join(lede(item, "colon")) + "\n"


def markdown(item: Item, rng: random.Random) -> str:
    title = item.headline.replace('"', "'")
    front = f'---\ntitle: "{title}"\ndate: {item.date.isoformat()}\n' + (f"dateline: {item.place}\n" if item.place else "")
    return front + "---\n" + "\n\n".join(item.paragraphs) + "\n"


LAYOUTS: dict[str, Callable[[Item, random.Random], str]] = {
    "dawn": dawn, "tribune": tribune, "thenews": thenews, "geo": geo, "arabnews": arabnews, "reuters": reuters,
    "ap": ap, "afp": afp, "aljazeera": aljazeera, "xinhua": xinhua, "bbc": bbc, "plain": plain, "markdown": markdown,
}  # fmt: skip
NO_DATELINE = {"aljazeera", "bbc"}
COLON_STYLE = {"dawn", "tribune", "thenews", "geo", "arabnews", "plain"}


def dateline_of(item: Item, layout: str) -> str | None:
    if item.place is None or layout in NO_DATELINE:
        return None
    if layout in COLON_STYLE:
        return item.place.upper()
    return item.place.title() if layout == "afp" else item.place


def articles(items: list[Item], n: int, rng: random.Random) -> Iterator[tuple[str, str, dict[str, object]]]:
    """(file name, text, truth) for n files; about one in ten repeats an earlier story."""
    picked = rng.sample(items, min(n, len(items)))
    written: list[tuple[str, Item, str]] = []
    for k in range(n):
        layout = rng.choice(sorted(LAYOUTS))
        kind = "new"
        if written and rng.random() < 0.10:
            _, item, earlier_layout = rng.choice(written)
            kind = rng.choice(["copy", "headline", "trim"])
            if kind == "copy":
                layout = earlier_layout
            elif kind == "headline":
                item = replace(item, headline=f"UPDATE 1-{item.headline}")
            elif len(item.paragraphs) > 1:
                item = replace(item, paragraphs=item.paragraphs[:-1])
        else:
            item = picked[k % len(picked)]
        # The copy must be byte-identical, so it gets its own generator seeded by the story.
        text = LAYOUTS[layout](item, random.Random(f"{item.headline}|{layout}"))
        name = f"{k:05d}_{layout}.{'md' if layout == 'markdown' else 'txt'}"
        written.append((name, item, layout))
        truth = {
            "file": name, "layout": layout, "kind": kind, "headline": item.headline, "date": item.date.isoformat(),
            "dateline": dateline_of(item, layout),
            "body": list(item.paragraphs),
        }  # fmt: skip
        yield name, text, truth


def main(argv: list[str] | None = None) -> int:
    ap_ = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap_.add_argument("n", type=int, help="how many files")
    ap_.add_argument("out", type=Path, help="folder to write them to (created)")
    ap_.add_argument("--seed", type=int, default=7)
    ap_.add_argument("--truth", type=Path, help="write what each file should yield, one JSON line per file")
    ap_.add_argument("--corpora", type=Path, default=CORPORA)
    args = ap_.parse_args(argv)
    missing = [f for f in FILES if not (args.corpora / f).is_file()]
    if missing:
        print(f"make_articles: the corpora are missing: {', '.join(str(args.corpora / f) for f in missing)}", file=sys.stderr)
        print("make_articles: these are the shared test corpora (../shared/corpora); nothing was written.", file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    items = read_corpora(args.corpora)
    args.out.mkdir(parents=True, exist_ok=True)
    truth_fh = args.truth.open("w", encoding="utf-8") if args.truth else None
    count = 0
    for name, text, truth in articles(items, args.n, rng):
        (args.out / name).write_text(text, encoding="utf-8")
        if truth_fh:
            truth_fh.write(json.dumps(truth, ensure_ascii=False) + "\n")
        count += 1
    if truth_fh:
        truth_fh.close()
    print(f"make_articles: wrote {count} files to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
