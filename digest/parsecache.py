"""The parse cache: each article file's parse result by (name, content hash), kept between builds (see `digest.cache`
for the folder it lives in and the rules every cached record follows)."""

from __future__ import annotations

import hashlib
import operator
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from digest.cache import (
    SHARDS,
    Memory,
    Stat,
    by_shard,
    code_version,
    digest_of,
    read_pickle,
    shard_of,
    trusted,
    write_pickle,
)

Entry = tuple[bytes, Any]  # a parse result as its worker encoded it, and decoded
LOADER_CODE = ("load", "model.py", "text.py")  # what a parse result depends on: the loader and what it imports


class ParseCache:
    """Parse results by (path, content hash), valid for one build date and one version of the loader code.

    `files.pickle` maps each article file to its last stat signature and content hash (small, read on
    every build); `parse-NN.pickle` hold the results (each encoded on its own by the loader, in marshal's format:
    the key holds the Python version), sharded by file name (read only when some are needed). Files are named
    by their path as `load.scan` gives it, with the stat signature it took.
    """

    def __init__(self, folder: Path, today: str, max_bytes: int, memory: Memory | None = None) -> None:
        self.folder = folder
        self.memory = memory
        if memory is not None:
            memory.enter(str(folder))
        self.key = digest_of(today, code_version(*LOADER_CODE), str(max_bytes), sys.version)
        self.max_bytes = max_bytes
        index = read_pickle(folder / "files.pickle", None, keep=memory)
        valid = isinstance(index, tuple) and len(index) == 3 and index[0] == self.key and isinstance(index[2], dict)
        self.recorded_ns: int = index[1] if valid else 0
        self.index: dict[str, tuple[Stat, str]] = index[2] if valid else {}
        self.seen: dict[str, tuple[Stat, str]] = {}
        self.used: dict[tuple[str, str], Entry] = {}  # the results this build took or made: what `save` keeps
        kept_key, kept = memory.parsed if memory is not None else ("", {})
        self._kept = kept if kept_key == self.key else {}
        self._stored: dict[int, dict[tuple[str, str], bytes]] = {}  # the shards read so far, as they are on disk
        self._unreadable: set[int] = set()
        self._made: set[tuple[str, str]] = set()  # the results this build parsed
        self._others_kept = False  # see `keep_others`
        self.dirty = not valid  # the index needs writing

    def known_hash(self, name: str, sig: Stat | None) -> str | None:
        """The content hash of the file `name` with stat signature `sig` (taken before reading it), when this build
        or a trusted record knows it (the file is not read)."""
        if sig is None:
            return None
        now = self.seen.get(name)
        if now is not None and now[0] == sig:
            return now[1]
        old = self.index.get(name)
        if old is not None and old[0] == sig and trusted(sig, self.recorded_ns):
            self.seen[name] = old
            return old[1]
        return None

    def record(self, name: str, sig: Stat, h: str) -> None:
        """The content hash of the file as it was when its signature `sig` was taken."""
        self.seen[name] = (sig, h)
        self.dirty = True

    def parsed_hash(self, name: str) -> str | None:
        """The content hash this build recorded for the file (what it parsed or found in the cache), if any."""
        entry = self.seen.get(name)
        return None if entry is None else entry[1]

    def content_hash(self, name: str, sig: Stat | None) -> str | None:
        """The file's content hash: from its stat signature when that is trusted, else by reading it."""
        if sig is None or sig[0] > self.max_bytes:
            return None
        known = self.known_hash(name, sig)
        if known is not None:
            return known
        try:
            with open(name, "rb") as f:
                h = hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()
        except OSError:
            return None
        self.record(name, sig, h)
        return h

    def _shard(self, shard: int) -> dict[tuple[str, str], bytes]:
        """One shard's results, read when first needed."""
        found = self._stored.get(shard)
        if found is None:
            stored = read_pickle(self.folder / f"parse-{shard:02d}.pickle", None, keep=self.memory)
            if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.key and isinstance(stored[1], dict):
                found = stored[1]
            else:
                found = {}
                self._unreadable.add(shard)
            self._stored[shard] = found
        return found

    def get(self, rel: str, h: str, decode: Callable[[bytes], Any]) -> Any:
        """The result for the file `rel` with content hash `h`, decoded from its bytes with `decode`, if any."""
        entry = self._entry((rel, h), decode)
        if entry is not None:
            self.used[(rel, h)] = entry
        return None if entry is None else entry[1]

    def peek(self, rel: str, h: str, decode: Callable[[bytes], Any]) -> Any:
        """`get`, for a result this build does not keep (the one an edited file had)."""
        entry = self._entry((rel, h), decode)
        return None if entry is None else entry[1]

    def _entry(self, key: tuple[str, str], decode: Callable[[bytes], Any]) -> Entry | None:
        entry = self.used.get(key) or self._kept.get(key)  # decoded by this build, or an earlier one of this process
        if entry is None:
            stored = self._shard(shard_of(key[0])).get(key)
            if stored is None:
                return None
            try:
                entry = (stored, decode(stored))
            except Exception:  # a damaged record: the file is parsed again
                return None
        return entry

    def keep_others(self) -> None:
        """Keep every result in the cache but those of the files parsed by this build, which replace them: for a
        build that reads only the files it parses (`digest.patch`); `save` then rewrites only their shards."""
        self._others_kept = True

    def put(self, rel: str, h: str, encoded: bytes, result: Any) -> None:
        """Keep a result as the bytes it was encoded to (by the process that parsed it): saving writes them as
        they are, instead of encoding every story again."""
        self.used[(rel, h)] = (encoded, result)
        self._made.add((rel, h))

    def save(self, recorded_ns: int) -> None:
        """Write back what changed: the shards whose results are not this build's (a new, changed or dropped file,
        or an unreadable shard), and the index."""
        if self._others_kept:
            self._save_made()
        elif self.used or self._stored:
            for shard in range(SHARDS):
                self._shard(shard)
            stored = self._stored
            on_disk = {key for entries in stored.values() for key in entries}
            added = self.used.keys() - on_disk
            added_to = by_shard(added, operator.itemgetter(0))
            dropped = by_shard(on_disk - self.used.keys(), operator.itemgetter(0))
            for shard in sorted(self._unreadable | added_to.keys() | dropped.keys()):  # what it keeps, and adds
                now = {key: encoded for key, encoded in stored[shard].items() if key in self.used}
                now.update((key, self.used[key][0]) for key in added_to.get(shard, ()))
                write_pickle(self.folder / f"parse-{shard:02d}.pickle", (self.key, now), keep=self.memory)
                stored[shard] = now
            self._unreadable = set()
            if self.memory is not None:
                self.memory.parsed = (self.key, dict(self.used))
        if self.dirty or self.seen.keys() != self.index.keys():
            write_pickle(self.folder / "files.pickle", (self.key, recorded_ns, dict(self.seen)), keep=self.memory)
            self.dirty = False

    def _save_made(self) -> None:
        """`save` after `keep_others`: the shards of the results parsed, with those results in place of the others of
        their files."""
        names = {name for name, _ in self._made}
        for shard, made in by_shard(self._made, operator.itemgetter(0)).items():
            now = {key: encoded for key, encoded in self._shard(shard).items() if key[0] not in names}
            now.update((key, self.used[key][0]) for key in made)
            write_pickle(self.folder / f"parse-{shard:02d}.pickle", (self.key, now), keep=self.memory)
            self._stored[shard] = now
            self._unreadable.discard(shard)
        if self.memory is not None:
            kept = {key: entry for key, entry in self._kept.items() if key[0] not in names}
            self.memory.parsed = (self.key, {**kept, **self.used})
