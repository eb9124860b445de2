"""`digest check` and `digest new`, run as a user runs them."""

import json
import shutil

from conftest import ARTICLES, ROOT, run_cli

run = run_cli


def test_check_lists_problems_as_file_line_message_and_passes_on_warnings(tmp_path):
    shutil.copytree(ARTICLES, tmp_path / "articles")
    done = run("check", "--articles", str(tmp_path / "articles"), "--config", str(ROOT / "digest.yaml"))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert any(line.endswith("002_5e6c6ddb248020da.txt:1: warning: story has no headline; its title falls back to the lede")
               for line in lines)
    assert any("001_2cba5b57e2f18ceb.txt:1: info: story 2 repeats 000_f8515c5b4837a612.txt story 2" in line for line in lines)


def test_check_strict_fails_on_warnings_and_errors_fail_always(tmp_path):
    articles = tmp_path / "articles"
    shutil.copytree(ARTICLES, articles)
    assert run("check", "--articles", str(articles), "--config", str(ROOT / "digest.yaml"), "--strict").returncode == 1
    (articles / "broken.txt").write_bytes(b"\x00\x01binary")
    done = run("check", "--articles", str(articles), "--config", str(ROOT / "digest.yaml"))
    assert done.returncode == 1
    assert "broken.txt:1: error: binary file" in done.stdout


def test_check_reports_topics_the_config_does_not_know(tmp_path):
    articles = tmp_path / "articles"
    articles.mkdir()
    (articles / "a.md").write_text("---\ntitle: Karachi port traffic rises\ndate: 2025-03-01\ntopics: [shipping-news]\n---\n"
                                   "Traffic at Karachi port rose in February, officials said.\n", encoding="utf-8")
    done = run("check", "--articles", str(articles), "--config", str(ROOT / "digest.yaml"))
    assert f"a.md:1: warning: topic 'shipping-news' is not in {ROOT / 'digest.yaml'}" in done.stdout


def test_new_writes_front_matter_that_the_loader_reads_back(tmp_path):
    articles = tmp_path / "articles"
    done = run("new", 'Pakistan, IMF reach "staff-level" deal', "--articles", str(articles), "--build-date", "2026-11-22")
    assert done.returncode == 0, done.stderr
    path = articles / "2026-11-22-pakistan-imf-reach-staff-level-deal.txt"
    assert done.stdout.strip() == str(path)
    path.write_text(path.read_text(encoding="utf-8") + "ISLAMABAD: Pakistan and the IMF reached a deal on Tuesday.\n",
                    encoding="utf-8")
    inspected = run("inspect", str(articles), "--json", "--build-date", "2026-11-22")
    (story,) = json.loads(inspected.stdout)["stories"]
    assert story["title"] == 'Pakistan, IMF reach "staff-level" deal'
    assert story["date"] == "2026-11-22" and story["date_source"] == "front-matter"
    assert story["id"] == "pakistan-imf-reach-staff-level-deal"
    assert story["dateline"] == "ISLAMABAD"
    again = run("new", 'Pakistan, IMF reach "staff-level" deal', "--articles", str(articles), "--build-date", "2026-11-22")
    assert again.returncode == 1 and "not overwritten" in again.stderr
