"""`digest build` (and `python build.py`) as a user runs them: the summary, plain progress lines, --strict."""

import re
import shutil
import subprocess
import sys

from conftest import ARTICLES, ROOT, run_cli

SEED = ("--config", str(ROOT / "digest.yaml"), "--build-date", "2026-11-22")


run = run_cli


def test_summary_counts_and_links_the_report(tmp_path):
    out = tmp_path / "public"
    done = run("build", "--articles", str(ARTICLES), "--out", str(out), *SEED)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.fullmatch(r"Built 5 stories from 4 files in \d+\.\d\d s: 13 pages, 1 duplicate merged, 2 undated", lines[0])
    assert lines[1] == "Problems: 0 errors, 4 warnings, 0 info"
    assert lines[2] == f"Report: {out / 'report.html'} ({(out / 'report.html').as_uri()})"
    assert (out / "report.html").is_file()
    assert lines[3] == f"Open {(out / 'index.html').as_uri()}"


def test_plain_progress_lines_when_stderr_is_not_a_terminal(tmp_path):
    done = run("build", "--articles", str(ARTICLES), "--out", str(tmp_path / "public"), *SEED)
    stages = [m[1] for m in re.finditer(r"^build: (\w+) done \(\d+\.\d\d s\)$", done.stderr, re.MULTILINE)]
    assert stages == ["load", "dedupe", "classify", "render", "publish"]
    assert "\x1b[" not in done.stderr + done.stdout  # no terminal control codes, no bar


def test_strict_fails_on_warnings_after_building(tmp_path):
    out = tmp_path / "public"
    done = run("build", "--articles", str(ARTICLES), "--out", str(out), *SEED, "--strict")
    assert done.returncode == 1
    assert "--strict: 0 errors and 4 warnings" in done.stderr
    assert (out / "index.html").is_file()  # built all the same
    assert done.stdout.startswith("Built 5 stories")


def test_strict_passes_a_clean_site_and_errors_only_fail_under_strict(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.md").write_text("---\ntitle: Karachi port traffic rises\ndate: 2025-03-01\n---\n"
                                   "KARACHI: Traffic at Karachi port rose in February, officials said.\n", encoding="utf-8")
    clean = run("build", "--articles", str(articles), "--out", str(tmp_path / "public"), *SEED, "--strict")
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "Problems: 0 errors, 0 warnings, 0 info" in clean.stdout
    (articles / "broken.txt").write_bytes(b"\x00\x01binary")
    lenient = run("build", "--articles", str(articles), "--out", str(tmp_path / "public"), *SEED)
    assert lenient.returncode == 0 and "Problems: 1 error," in lenient.stdout
    strict = run("build", "--articles", str(articles), "--out", str(tmp_path / "public"), *SEED, "--strict")
    assert strict.returncode == 1 and "--strict: 1 error and 0 warnings" in strict.stderr


def test_failed_build_says_why_and_fails(tmp_path):
    done = run("build", "--articles", str(tmp_path / "missing"), "--out", str(tmp_path / "public"), *SEED)
    assert done.returncode == 2
    assert "no articles folder" in done.stderr and done.stdout == ""


def test_build_py_passes_the_same_flags(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES, articles)
    done = subprocess.run([sys.executable, str(ROOT / "build.py"), "--articles", str(articles), "--out", str(tmp_path / "public"),
                           *SEED, "--strict"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("Built 5 stories from 4 files")
    assert "build: publish done" in done.stderr and "--strict: 0 errors and 4 warnings" in done.stderr


def test_a_rebuild_says_when_nothing_or_only_story_bodies_changed(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES, articles)
    build = ("build", "--articles", str(articles), "--out", str(tmp_path / "public"), *SEED)
    first = run(*build)
    assert "changed" not in first.stdout
    again = run(*build)
    assert again.stdout.splitlines()[1] == "Nothing changed since the last build: the site was left as it was"
    story = articles / "002_5e6c6ddb248020da.txt"  # related coverage of another story, and no copy of one
    story.write_text(story.read_text(encoding="utf-8") + "\nA closing line added to the story.\n", encoding="utf-8")
    edited = run(*build)
    assert re.fullmatch(r"Only story bodies changed: \d+ files made again \(the pages and feeds that show those stories, "
                        r"the search index\), the rest kept", edited.stdout.splitlines()[1]), edited.stdout
