"""`digest serve`: build, serve the output on 127.0.0.1, rebuild on change, reload the open page.

A `DevServer` owns everything that lives while it runs: the HTTP server, the watchdog observer, the
rebuild thread and the build generation. Nothing is global.

- Watching: `articles/`, the template and static folders beside the config (and the config's own
  `templates:` folder), and the config file itself; those folders are picked up when they appear
  after serving started. Any change marks the site dirty; the rebuild
  thread waits until the files have been quiet for `debounce` seconds, then builds. Only that one
  thread builds, so builds never overlap; changes made during a build cause one more build after it.
- Publishing is the build's own (a new folder swapped in), so the served files are exactly what
  `digest build` writes. A failed build publishes nothing: the last good site stays served and the
  error is printed.
- Live reload happens in the served responses only: every HTML response gets one
  `<script src="/__livereload.js" data-generation="N">` before `</body>`. The script long-polls
  `/__livereload?since=N`, which answers as soon as the generation (successful builds so far)
  differs from N, or after `POLL_SECONDS` with the same N; the page reloads when it changed.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import threading
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs, urlsplit

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from digest.cache import Memory
from digest.pipeline import BuildResult, Progress, build

POLL_SECONDS = 20.0
RELOAD_PATH = "/__livereload"
RELOAD_SCRIPT_PATH = "/__livereload.js"
RELOAD_JS = b"""(function () {
  var me = document.currentScript, seen = me.getAttribute("data-generation");
  function poll() {
    fetch("/__livereload?since=" + encodeURIComponent(seen), {cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (d) { if (String(d.generation) !== seen) { location.reload(); } else { poll(); } })
      .catch(function () { setTimeout(poll, 1000); });
  }
  poll();
})();
"""
WATCHED_EVENTS = frozenset({"created", "deleted", "modified", "moved"})


def inject_reload(html: bytes, generation: int) -> bytes:
    """The page with the live-reload script tag before its last `</body>` (or at the end)."""
    tag = f'<script src="{RELOAD_SCRIPT_PATH}" data-generation="{generation}"></script>\n'.encode()
    at = html.lower().rfind(b"</body>")
    return html + tag if at < 0 else html[:at] + tag + html[at:]


class _Changes(FileSystemEventHandler):
    """Forwards relevant file-system events to the server; `only` limits a folder watch to some files."""

    def __init__(self, notify: Callable[[str], None], only: frozenset[str] | None = None) -> None:
        self.notify = notify
        self.only = only

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type not in WATCHED_EVENTS or (event.is_directory and event.event_type == "modified"):
            return
        paths = [os.fsdecode(getattr(event, "dest_path", "") or ""), os.fsdecode(event.src_path)]  # a save by rename: the target
        paths = [os.path.abspath(p) for p in paths if p]
        if self.only is not None:
            paths = [p for p in paths if p in self.only]
        if paths:
            self.notify(paths[0])


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files from the output folder, the reload script and the long-poll endpoint."""

    server: _HTTPServer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, directory=None, **kwargs)

    def translate_path(self, path: str) -> str:
        # the folder is looked up on every request: a build swaps in a new one
        self.directory = str(self.server.dev.out)
        return super().translate_path(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path == RELOAD_PATH:
            since = parse_qs(url.query).get("since", [""])[0]
            generation = self.server.dev.wait_for_change(int(since) if since.lstrip("-").isdigit() else -1, POLL_SECONDS)
            self._send(json.dumps({"generation": generation}).encode(), "application/json")
            return
        if url.path == RELOAD_SCRIPT_PATH:
            self._send(RELOAD_JS, "text/javascript; charset=utf-8")
            return
        local = Path(self.translate_path(self.path))
        if local.is_dir() and url.path.endswith("/"):
            local = local / "index.html"
        if local.suffix == ".html" and local.is_file():
            try:
                data = local.read_bytes()
            except OSError:  # swapped away between the check and the read: the browser retries
                self.send_error(503, "site is being rebuilt")
                return
            self._send(inject_reload(data, self.server.dev.generation), "text/html; charset=utf-8")
            return
        super().do_GET()

    def _send(self, data: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the terminal shows builds, not requests


class _HTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], dev: DevServer) -> None:
        self.dev = dev
        super().__init__(address, _Handler)


class DevServer:
    """Build, serve and rebuild one site. `start()` then `stop()` (or use it as a context manager)."""

    def __init__(
        self,
        articles: Path,
        out: Path,
        config: Path,
        today: Callable[[], dt.date],
        port: int = 8000,
        host: str = "127.0.0.1",
        debounce: float = 0.05,
        log: IO[str] | None = None,
    ) -> None:
        self.articles, self.out, self.config = articles.resolve(), Path(os.path.abspath(out)), config.resolve()
        self.today = today
        self.debounce = debounce
        self.log = log
        self.generation = 0  # successful builds so far; pages reload when it changes
        self.memory = Memory()  # what the builds of this server read from their cache, for the next one
        self.last_result: BuildResult | None = None
        self.last_error: str | None = None
        self._changed = threading.Condition()
        self._dirty: str | None = None  # the first path changed since the last build started
        self._last_change = 0.0
        self._changes = 0  # events since the last build started
        self._stopping = False
        self._http = _HTTPServer((host, port), self)
        self._observer = Observer()
        self._threads: list[threading.Thread] = []
        self._watching: set[Path] = set()
        self._started = False

    # --- state -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return int(self._http.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def wait_for_change(self, since: int, timeout: float) -> int:
        """The generation, once it differs from `since` (or after `timeout`, or when the server stops)."""
        with self._changed:
            self._changed.wait_for(lambda: self.generation != since or self._stopping, timeout)
            return self.generation

    def wait_for_generation(self, generation: int, timeout: float) -> bool:
        """For tests and tools: wait until `generation` builds have succeeded."""
        with self._changed:
            return self._changed.wait_for(lambda: self.generation >= generation, timeout)

    def _say(self, text: str) -> None:
        if self.log is not None:
            print(text, file=self.log, flush=True)

    # --- building ----------------------------------------------------------------------------

    def build(self, progress: Progress | None = None) -> BuildResult | None:
        """One build; on success the generation goes up. Never raises: a failure is printed and kept."""
        try:
            result = build(self.articles, self.out, self.config, self.today(), progress, self.memory)
        except Exception as exc:  # a broken template or a bug: keep serving the last good site
            self.last_error = "".join(traceback.format_exception_only(exc)).strip()
            self._say(f"build failed: {self.last_error}\n{traceback.format_exc(limit=-3)}still serving the last good site")
            return None
        if result.code != 0 or result.output is None:
            self.last_error = result.error or f"exit code {result.code}"
            self._say(f"build failed: {self.last_error}; still serving the last good site")
            return result
        with self._changed:
            self.last_result, self.last_error = result, None
            if self.generation == 0 or result.changed:  # a save that changes no output reloads nothing
                self.generation += 1
            self._changed.notify_all()
        return result

    def changed(self, path: str) -> None:
        """A watched file changed: rebuild once things are quiet."""
        with self._changed:
            self._dirty = path  # the latest, for the message
            self._changes += 1
            self._last_change = time.monotonic()
            self._changed.notify_all()

    def _rebuild_loop(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._dirty is not None or self._stopping)
                if self._stopping:
                    return
                while (quiet := time.monotonic() - self._last_change) < self.debounce and not self._stopping:
                    self._changed.wait(self.debounce - quiet)
                if self._stopping:
                    return
                why, events, self._dirty, self._changes = self._dirty, self._changes, None, 0
            self._watch_new_folders()  # before building: a file saved into a new folder meanwhile is not missed
            result = self.build()
            if result is not None and result.code == 0:
                more = f" (and {events - 1} more events)" if events > 1 else ""
                self._say(f"rebuilt in {result.seconds:.2f} s after a change to {os.path.relpath(why or '.')}{more}: "
                          f"{result.stories} stories, {result.problems.get('error', 0)} errors, "
                          f"{result.problems.get('warning', 0)} warnings")

    # --- running -----------------------------------------------------------------------------

    def watched(self) -> list[tuple[Path, bool]]:
        """Folders to watch (recursively) that exist, then the config file's folder (for that file only)."""
        unique = [f for f in self._sources() if f.is_dir() and f != self.out and self.out not in f.parents]
        return [(f, True) for f in unique] + [(self.config.parent, False)]

    def _sources(self) -> list[Path]:
        """The folders a build reads, whether they exist yet or not."""
        root = self.config.parent
        folders = [self.articles, root / "templates", root / "static"]
        try:
            from digest.config import load_config

            extra = load_config(self.config).templates
            if extra:
                folders.append((root / extra).resolve())
        except Exception:  # a broken config is reported by the build itself
            pass
        return list(dict.fromkeys(folders))

    def _watch_new_folders(self) -> None:
        """Watch the source folders that appeared since the last look (a new templates/, or one the config
        names now). The config's folder is watched for them: their creation is a change like any other."""
        for folder, recursive in self.watched():
            if folder in self._watching:
                continue
            self._watching.add(folder)
            only = None if recursive else frozenset({str(self.config), *(str(f) for f in self._sources())})
            self._observer.schedule(_Changes(self.changed, only), str(folder), recursive=recursive)

    def start(self, progress: Progress | None = None) -> None:
        """Build, then serve and watch (all in background threads)."""
        first = self.build(progress)
        if first is None or first.code != 0:
            self._say("the first build failed; fix the error and save: the site is rebuilt on every change")
        self._watch_new_folders()
        self._observer.start()
        self._started = True
        for target in (self._http.serve_forever, self._rebuild_loop):
            thread = threading.Thread(target=target, name=f"digest-serve-{target.__name__}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self) -> None:
        """Stop watching, answer waiting pollers, stop serving; returns once every thread is done."""
        with self._changed:
            self._stopping = True
            self._changed.notify_all()
        if self._started:
            self._observer.stop()
            self._http.shutdown()
            # Bounded: watchdog's inotify thread can sit in a blocking read until an event comes, and a
            # rebuild may be mid-way. All are daemon threads and publishing is atomic, so leaving them
            # to the process exit is safe; Ctrl-C must not wait on them for long.
            deadline = time.monotonic() + 2
            for thread in (self._observer, *self._threads):
                thread.join(timeout=max(0.0, deadline - time.monotonic()))
        self._http.server_close()

    def __enter__(self) -> DevServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
