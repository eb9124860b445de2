"""Browser test set-up: Debian's /usr/bin/chromium driven by Playwright, one browser for the session.

`make test` installs what these need (chromium with apt-get, axe-core and vnu-jar with npm, playwright
from the test extra). Never `playwright install`: it downloads a browser and fails offline.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from digest.pipeline import build

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
AXE = ROOT / "node_modules/axe-core/axe.min.js"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pytest_collection_modifyitems(config, items):
    missing = [what for what, ok in (("/usr/bin/chromium", CHROMIUM.exists()), ("node_modules/axe-core", AXE.exists())) if not ok]
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing:
        skip = pytest.mark.skip(reason=f"browser tests need {', '.join(missing)}: run `make test` to install them")
        for item in items:
            if "tests/browser" in str(item.fspath):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def served_root(tmp_path_factory) -> Path:
    """A folder served over http; the seed site lives in a sub-path of it, /news/digest/."""
    return tmp_path_factory.mktemp("www")


@pytest.fixture(scope="session")
def seed_site(served_root: Path) -> Path:
    import datetime as dt

    out = served_root / "news" / "digest"
    assert build(ROOT / "articles", out, ROOT / "digest.yaml", dt.date(2026, 11, 22)).code == 0
    return out


@pytest.fixture(scope="session")
def http_root(served_root: Path, seed_site: Path) -> Iterator[str]:
    """Base URL of a loopback server for `served_root` (the seed site is at {base}/news/digest/)."""
    handler = functools.partial(QuietHandler, directory=str(served_root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield b
        b.close()


class Console:
    """Console errors and uncaught exceptions seen by a page."""

    def __init__(self, page) -> None:
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(str(e)))


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    pg = context.new_page()
    pg.console = Console(pg)
    yield pg
    context.close()


def copy_site(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
