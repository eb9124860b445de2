"""`digest serve` over loopback: pages served with the reload script, rebuild on change, reload signal, failures.

Everything listens on 127.0.0.1 on a free port; every wait is bounded.
"""

import io
import json
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from conftest import ARTICLES, ROOT, SEED_BUILD_DATE

from digest.pipeline import build
from digest.serve import DevServer, inject_reload

STORY = "stories/pakistan-and-china-are-discussing-security-1c3f22.html"
ARTICLE = "003_5dbe3aa90005a131.txt"
TIMEOUT = 15.0


def fetch(url: str, timeout: float = TIMEOUT) -> str:
    with urllib.request.urlopen(url, timeout=timeout) as response:  # loopback only
        return response.read().decode("utf-8")


def tree(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copytree(ARTICLES, tmp_path / "articles")
    shutil.copy(ROOT / "digest.yaml", tmp_path / "digest.yaml")
    return tmp_path


@pytest.fixture
def server(project: Path):
    dev = DevServer(project / "articles", project / "public", project / "digest.yaml", lambda: SEED_BUILD_DATE,
                    port=0, log=io.StringIO())
    try:
        dev.start()
        yield dev
    finally:
        dev.stop()


def poll_in_background(url: str) -> tuple[threading.Thread, list[dict]]:
    answers: list[dict] = []
    thread = threading.Thread(target=lambda: answers.append(json.loads(fetch(url, timeout=30))), daemon=True)
    thread.start()
    return thread, answers


def wait_until(check, timeout: float = TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_serves_pages_with_the_reload_script_only_in_responses(server: DevServer, project: Path, tmp_path: Path):
    assert server.port != 0 and server.generation == 1
    home = fetch(server.url)
    assert '<script src="/__livereload.js" data-generation="1"></script>\n</body>' in home
    assert "Frontier Digest" in home
    assert "location.reload()" in fetch(server.url + "__livereload.js")
    assert fetch(server.url + "static/style.css").startswith((":root", "/*", "@", "html", "*"))
    assert "__livereload" not in (project / "public/index.html").read_text(encoding="utf-8")
    clean = build(project / "articles", tmp_path / "clean", project / "digest.yaml", SEED_BUILD_DATE)
    assert clean.code == 0
    assert tree(project / "public") == tree(tmp_path / "clean")  # the served folder is exactly digest build's


def test_saving_an_article_rebuilds_and_fires_the_reload_signal(server: DevServer, project: Path):
    before = fetch(server.url + STORY)
    assert "ARMOURED CONVOYS" not in before
    generation = server.generation
    thread, answers = poll_in_background(f"{server.url}__livereload?since={generation}")
    time.sleep(0.2)  # the poll is waiting
    assert answers == []
    path = project / "articles" / ARTICLE
    text = path.read_text(encoding="utf-8")
    path.write_text(text.rstrip() + "\n\nOfficials said ARMOURED CONVOYS would escort the engineers.\n", encoding="utf-8")
    started = time.monotonic()
    thread.join(TIMEOUT)
    assert answers and answers[0]["generation"] > generation, "the reload signal did not fire"
    assert time.monotonic() - started < TIMEOUT
    assert "ARMOURED CONVOYS" in fetch(server.url + STORY)
    assert f'data-generation="{answers[0]["generation"]}"' in fetch(server.url + STORY)
    # a poll from a page that is already current waits; an old one answers at once
    assert json.loads(fetch(f"{server.url}__livereload?since=0"))["generation"] == server.generation


def test_template_and_config_changes_rebuild(project: Path):
    (project / "templates").mkdir()  # watched folders are those that exist when serving starts
    with DevServer(project / "articles", project / "public", project / "digest.yaml", lambda: SEED_BUILD_DATE, port=0) as dev:
        dev.start()
        (project / "templates/topic.html").write_text(
            '{% extends "base.html" %}{% block main %}<h1>Custom {{ topic.name }}</h1>{% endblock %}', encoding="utf-8")
        assert wait_until(lambda: "<h1>Custom Diplomacy</h1>" in fetch(dev.url + "topics/diplomacy.html"))
        config = project / "digest.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace("title: ", "title: Renamed ", 1), encoding="utf-8")
        assert wait_until(lambda: "Renamed " in fetch(dev.url))


def test_template_and_static_folders_made_after_start_are_watched(server: DevServer, project: Path):
    assert not (project / "templates").exists() and not (project / "static").exists()
    (project / "templates").mkdir()
    (project / "templates/topic.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Late {{ topic.name }}</h1>{% endblock %}', encoding="utf-8")
    assert wait_until(lambda: "<h1>Late Diplomacy</h1>" in fetch(server.url + "topics/diplomacy.html"))
    (project / "static").mkdir()
    (project / "static/style.css").write_text("body { color: teal }\n", encoding="utf-8")
    assert wait_until(lambda: fetch(server.url + "static/style.css") == "body { color: teal }\n")
    # an edit inside the new folder (not its creation) rebuilds too: it is watched now
    (project / "templates/topic.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1>Edited {{ topic.name }}</h1>{% endblock %}', encoding="utf-8")
    assert wait_until(lambda: "<h1>Edited Diplomacy</h1>" in fetch(server.url + "topics/diplomacy.html"))


def test_a_failed_rebuild_keeps_the_last_good_site(server: DevServer, project: Path):
    good = fetch(server.url + STORY)
    generation = server.generation
    config = project / "digest.yaml"
    original = config.read_text(encoding="utf-8")
    config.write_text(original + "themes: []\n", encoding="utf-8")
    assert wait_until(lambda: server.last_error is not None)
    assert "unknown key 'themes'" in server.last_error
    assert "build failed" in server.log.getvalue() and "still serving the last good site" in server.log.getvalue()
    assert server.generation == generation
    assert fetch(server.url + STORY) == good
    config.write_text(original, encoding="utf-8")
    assert wait_until(lambda: server.last_error is None)
    assert server.generation == generation  # back to the same site: nothing to reload


def test_rapid_saves_are_debounced_into_few_builds(server: DevServer, project: Path):
    generation = server.generation
    path = project / "articles" / ARTICLE
    text = path.read_text(encoding="utf-8")
    for i in range(10):
        path.write_text(text.rstrip() + f"\n\nOfficials said convoys would escort the engineers ({i}).\n", encoding="utf-8")
        time.sleep(0.005)
    assert wait_until(lambda: "the engineers (9)." in fetch(server.url + STORY))
    time.sleep(0.5)
    assert 1 <= server.generation - generation <= 3


def test_reload_tag_goes_before_the_last_body_end():
    tag = b'<script src="/__livereload.js" data-generation="7"></script>\n'
    assert inject_reload(b"<p></body></p></BODY>", 7) == b"<p></body></p>" + tag + b"</BODY>"
    assert inject_reload(b"<p>x", 1).endswith(b'data-generation="1"></script>\n')


def test_the_command_prints_its_port_serves_and_stops_on_ctrl_c(project: Path):
    # -X faulthandler: if it ever hangs, SIGABRT below prints every thread's stack into the failure.
    command = [sys.executable, "-X", "faulthandler", "-m", "digest", "serve", "--port", "0",
               "--build-date", SEED_BUILD_DATE.isoformat()]
    # Ctrl-C as a terminal gives it: a job started in the background by a script (`make test &`, some CI runners)
    # inherits SIGINT ignored, and Python then never raises KeyboardInterrupt.
    proc = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            match = re.match(r"Serving .* at http://127\.0\.0\.1:(\d+)/", line)
            port = int(match[1]) if match else None
        assert port, proc.stderr.read() if proc.poll() is not None else "no Serving line"
        assert "Frontier Digest" in fetch(f"http://127.0.0.1:{port}/index.html")
        waiting, _ = poll_in_background(f"http://127.0.0.1:{port}/__livereload?since=1")  # an open long poll
        time.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.send_signal(signal.SIGABRT)
            proc.wait(5)
            pytest.fail("serve did not stop within 10 s of Ctrl-C; its threads:\n" + proc.stderr.read()[-8000:])
        assert proc.returncode == 0
        assert "Stopped." in proc.stderr.read()
        waiting.join(5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def test_port_in_use_is_a_clear_error(project: Path):
    with DevServer(project / "articles", project / "public", project / "digest.yaml", lambda: SEED_BUILD_DATE, port=0) as held:
        done = subprocess.run([sys.executable, "-m", "digest", "serve", "--port", str(held.port)], cwd=project,
                              capture_output=True, text=True, timeout=60)
    assert done.returncode == 1
    assert f"cannot serve on 127.0.0.1:{held.port}" in done.stderr
