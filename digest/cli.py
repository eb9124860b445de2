"""Command line: `digest build`, `serve`, `check`, `new`, `inspect`."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from digest import __version__


def build_date(value: str | None = None) -> dt.date:
    """The day a build runs: --build-date, else SOURCE_DATE_EPOCH (reproducible builds), else today (UTC)."""
    if value:
        return dt.date.fromisoformat(value)
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).date()
    return dt.datetime.now(dt.UTC).date()


def _date_arg(value: str) -> str:
    try:
        dt.date.fromisoformat(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from exc
    return value


def cmd_inspect(args: argparse.Namespace) -> int:
    from digest.dedupe import dedupe
    from digest.load import load_paths
    from digest.serialize import file_dict, problem_dict, story_dict

    loaded = load_paths([Path(p) for p in args.paths], build_date(args.build_date))
    stories = loaded.stories if args.no_dedupe else dedupe(loaded.stories).stories
    if args.json:
        out = {
            "stories": [story_dict(s) for s in stories],
            "problems": [problem_dict(p) for p in loaded.problems],
            "files": [file_dict(f) for f in loaded.files],
        }
        json.dump(out, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    else:
        for story in stories:
            date = story.date.isoformat() if story.date else "undated"
            refs = ", ".join(f"{s.path}#{s.index}" for s in story.sources)
            print(f"{date}  {story.title}\n            {story.dateline or '-'} | {refs} | {story.id}")
        for problem in loaded.problems:
            print(problem, file=sys.stderr)
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from digest.config import ConfigError, load_config
    from digest.dedupe import dedupe
    from digest.editor import check_problems
    from digest.load import load_paths

    try:
        config = load_config(Path(args.config))
    except ConfigError as exc:
        print(f"{args.config}:1: error: {exc}")
        return 2
    articles = Path(args.articles)
    if not articles.is_dir():
        print(f"{articles}:0: error: no articles folder")
        return 2
    loaded = load_paths([articles], build_date(args.build_date))
    problems = check_problems(loaded, dedupe(loaded.stories), config)
    for problem in problems:
        print(f"{articles / problem.path}:{problem.line}: {problem.level}: {problem.message}")
    errors = sum(p.level == "error" for p in problems)
    warnings = sum(p.level == "warning" for p in problems)
    print(f"{len(loaded.stories)} stories in {len(loaded.files)} files: {errors} errors, {warnings} warnings", file=sys.stderr)
    return 1 if errors or (args.strict and warnings) else 0


def cmd_new(args: argparse.Namespace) -> int:
    from digest.editor import new_article

    try:
        path = new_article(args.headline, Path(args.articles), build_date(args.build_date), markdown=args.markdown)
    except FileExistsError as exc:
        print(f"digest: {exc.filename} exists already; not overwritten", file=sys.stderr)
        return 1
    print(path)
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from digest.console import build_progress, strict_failure, summary
    from digest.pipeline import build

    with build_progress(sys.stderr) as progress:
        result = build(Path(args.articles), Path(args.out), Path(args.config), build_date(args.build_date), progress)
    if result.error is not None or result.output is None:
        print(f"digest: {result.error}", file=sys.stderr)
        return result.code or 1
    for line in summary(result):
        print(line)
    why = strict_failure(result) if args.strict else None
    if why is not None:
        print(f"digest: {why}", file=sys.stderr)
        return 1
    return result.code


def cmd_serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from digest.console import build_progress, summary
    from digest.serve import DevServer

    try:
        server = DevServer(Path(args.articles), Path(args.out), Path(args.config), lambda: build_date(args.build_date),
                           port=args.port, log=sys.stderr)
    except OSError as exc:
        print(f"digest: cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 1
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        with build_progress(sys.stderr) as progress:
            server.start(progress)
        if server.last_result is not None:
            for line in summary(server.last_result):
                print(line)
        print(f"Serving {server.out} at {server.url} (port {server.port}); watching for changes. Ctrl-C stops.", flush=True)
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
        signal.signal(signal.SIGTERM, previous)
    print("Stopped.", file=sys.stderr)
    return 0


def _options(p: argparse.ArgumentParser, *names: str) -> None:
    """The options several commands share, with one wording."""
    helps = {
        "articles": ("articles", "folder of article files (default: articles/)"),
        "out": ("public", "output folder (default: public/)"),
        "config": ("digest.yaml", "site configuration (default: digest.yaml)"),
    }
    for name in names:
        if name == "build-date":
            text = "the day to infer years against (default: SOURCE_DATE_EPOCH or today)"
            p.add_argument("--build-date", type=_date_arg, help=text)
        else:
            default, text = helps[name]
            p.add_argument(f"--{name}", default=default, help=text)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="digest", description="Build a static news digest from pasted articles.")
    top.add_argument("--version", action="version", version=f"digest {__version__}")
    sub = top.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="build the site from the articles folder")
    _options(build, "articles", "out", "config", "build-date")
    build.add_argument("--strict", action="store_true", help="fail (exit 1) after building when there are warnings or errors")
    build.set_defaults(func=cmd_build)

    serve = sub.add_parser("serve", help="build, serve on 127.0.0.1, rebuild on change and reload the open page")
    _options(serve, "articles", "out", "config", "build-date")
    serve.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0 picks a free one)")
    serve.set_defaults(func=cmd_serve)

    check = sub.add_parser("check", help="lint the articles without building (prints file:line: message)")
    _options(check, "articles", "config", "build-date")
    check.add_argument("--strict", action="store_true", help="warnings fail too")
    check.set_defaults(func=cmd_check)

    new = sub.add_parser("new", help="start a new article file with its front matter filled")
    new.add_argument("headline")
    _options(new, "articles", "build-date")
    new.add_argument("--markdown", action="store_true", help="write a .md file for your own write-up")
    new.set_defaults(func=cmd_new)

    inspect = sub.add_parser("inspect", help="print the story records parsed from files or folders")
    inspect.add_argument("paths", nargs="+", metavar="PATH")
    inspect.add_argument("--json", action="store_true", help="machine-readable records")
    inspect.add_argument("--no-dedupe", action="store_true", help="one record per story found in each file")
    _options(inspect, "build-date")
    inspect.set_defaults(func=cmd_inspect)
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    result: int = args.func(args)
    return result


def run(argv: list[str] | None = None) -> NoReturn:
    """`main` as a process: it ends without tearing the interpreter down, because freeing a build's records one by
    one costs 0.1 s at 10,000 articles (a twentieth of a rebuild) and the system takes the memory back at once."""
    code = main(argv)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe: what it missed is lost either way
            stream.flush()
    os._exit(code)
