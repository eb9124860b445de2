"""The build cache: the only state a build keeps, in `.digest-cache/` beside the output folder.

Deleting the folder is always safe: the next build is a clean one. It holds
  files.pickle         each article file's stat signature and content hash
  parse-NN.pickle      each article file's parse result, keyed by (path, content hash, build date, loader code),
                       in 64 shards by file name (one changed article rewrites one shard)
  dedupe-NN.pickle     dedupe's per-story features, keyed by story content (and the dedupe code), in 64 shards
  topics.pickle        each story's matched topics, keyed by where it was parsed from (file, content hash, place)
                       or, for a merged story, by its text hash; valid for one set of topic rules
  state-<out>.pickle   for one output folder: the input key of every page it holds, a manifest of its files
                       (hash and stat), the same for the spare folder, and the last build's summary
  spare-<out>/         the previous generation of the site, updated and swapped in by the next build
  spare-<out>.changing there while a build changes the spare: the state's manifest of it no longer holds
  <out>.lock           held (flock) while a build of that output runs
Writes are atomic (a temporary file renamed over the old one), so a killed build leaves each file
either old or new; every entry is validated against its key before use.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import operator
import os
import pickle
import sys
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

PACKAGE = Path(__file__).resolve().parent
FORMAT = 5  # bump when the layout of the cached records changes


class LockedError(Exception):
    """Another build of the same output folder is running."""


def digest_of(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def code_version(*parts: str) -> str:
    """A key for the code that produced a cached record: the digest package's sources (or some folders and modules
    of it)."""
    roots = [PACKAGE / f for f in parts] if parts else [PACKAGE]
    files = sorted(p for root in roots for p in (root.rglob("*.py") if root.is_dir() else [root]))
    return digest_of(str(FORMAT), *(f"{p.relative_to(PACKAGE)}\0".encode() + p.read_bytes() for p in files))


def cache_dir(out: Path) -> Path:
    return Path(os.path.abspath(out)).parent / ".digest-cache"


class Memory:
    """What a long-lived caller's builds last read from or wrote to the files of one cache folder, each with the
    stat signature the file had then, and the decoded parse results of the last build.

    A caller that builds again and again (`digest serve`) keeps one and passes it to every build: a cache file
    whose signature is unchanged is then taken from memory instead of being unpickled again (10,000 parse
    results and story features cost 0.3 s to unpickle). A file rewritten by anyone gets a new inode or ctime,
    so it is read again. Values kept here are shared with the callers of `read_pickle(keep=...)`, which must
    not change them. One folder at a time, so a process building many sites keeps one site's worth."""

    def __init__(self) -> None:
        self.folder = ""
        self.files: dict[str, tuple[Stat, Any]] = {}
        self.parsed: tuple[str, dict[tuple[str, str], tuple[bytes, Any]]] = ("", {})  # (parse key, results)

    def get(self, path: str, sig: Stat) -> tuple[bool, Any]:
        entry = self.files.get(path)
        return (True, entry[1]) if entry is not None and entry[0] == sig else (False, None)

    def enter(self, folder: str) -> None:
        if folder != self.folder:
            self.folder, self.files, self.parsed = folder, {}, ("", {})

    def put(self, path: str, sig: Stat | None, value: Any) -> None:
        folder = os.path.dirname(path)
        if not self.folder or (folder != self.folder and not folder.startswith(self.folder + os.sep)):
            self.enter(folder)  # another site's cache (a file in a subfolder of this one is this site's)
        if sig is None:
            self.files.pop(path, None)
        else:
            self.files[path] = (sig, value)


def _sig_of(st: os.stat_result) -> Stat:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def read_pickle(path: Path, default: Any, keep: Memory | None = None) -> Any:
    """A cached record, or `default` when it is missing or unreadable (a cache is never worth failing for).
    With `keep`, the value may come from (and goes to) that memory: the caller must not change it."""
    name = str(path)
    try:
        with open(name, "rb") as f:
            if keep is not None:
                sig = _sig_of(os.fstat(f.fileno()))
                found, value = keep.get(name, sig)
                if found:
                    return value
            value = pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, ImportError, IndexError):
        return default
    if keep is not None:
        keep.put(name, sig, value)
    return value


def write_pickle(path: Path, value: Any, keep: Memory | None = None) -> bool:
    """Replace a cached record atomically (whether it was); a full disk or a read-only cache only costs speed
    next time. With `keep`, that memory holds the value (see `Memory`): the caller must not change it later."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            f.flush()
            os.replace(tmp, path)
            sig = _sig_of(os.fstat(f.fileno()))  # after the rename, which sets the ctime
    except OSError:
        tmp.unlink(missing_ok=True)
        if keep is not None:
            keep.put(str(path), None, value)  # what the file holds now is unknown
        return False
    if keep is not None:
        keep.put(str(path), sig, value)
    return True


class BuildLock:
    """An exclusive lock on `<cache>/<out>.lock`; the second build fails at once, naming the lock.

    A POSIX record lock (fcntl.lockf), not flock: it belongs to this process only, so the loader's worker
    processes do not inherit it and a killed build's lingering workers cannot block the next build."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: BinaryIO | None = None

    def __enter__(self) -> BuildLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        file = self.path.open("ab")
        try:
            fcntl.lockf(file.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            file.close()
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise LockedError(f"another build of this output is running (it holds the lock {self.path}); "
                                  "wait for it to finish") from None
            raise
        self._file = file
        return self

    def __exit__(self, *exc: object) -> None:
        if self._file is not None:
            fcntl.lockf(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


# --- file signatures --------------------------------------------------------------------------

Stat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode


def stat_of(path: Path | str) -> Stat | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)


def trusted(sig: Stat | None, recorded_at_ns: int) -> bool:
    """Whether a stat signature may stand for the content: not when the file changed within 2 s of recording
    it (a second edit in the same clock tick would keep the same mtime)."""
    return sig is not None and sig[1] < recorded_at_ns - 2_000_000_000 and sig[2] < recorded_at_ns - 2_000_000_000


def tree_files(root: Path) -> Iterable[tuple[str, Path]]:
    """Every file under root, as ("/"-relative name, path), sorted."""
    found = []
    prefix = len(str(root)) + 1
    for folder, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            full = os.path.join(folder, name)
            found.append((full[prefix:].replace(os.sep, "/"), Path(full)))
    return sorted(found)


# --- the parse cache ----------------------------------------------------------------------------

SHARDS = 64  # records are kept in this many files, so that one changed article rewrites a small one


def _shard(rel: str) -> int:
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % SHARDS


K = TypeVar("K")


def _by_shard(keys: Iterable[K], name: Callable[[K], str]) -> dict[int, list[K]]:
    """Keys grouped by the shard of their name (once each: a cold build adds 10,000 keys to 64 shards)."""
    groups: dict[int, list[K]] = {}
    for key in keys:
        groups.setdefault(_shard(name(key)), []).append(key)
    return groups


class UsedDict(dict[str, Any]):
    """A dict that records the keys looked up or stored through `get`, `setdefault` and `[]`."""

    def __init__(self) -> None:
        super().__init__()
        self.used: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return super().get(key, default)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.used.add(key)
        return super().setdefault(key, default)

    def __getitem__(self, key: str) -> Any:
        self.used.add(key)
        return super().__getitem__(key)

    def __setitem__(self, key: str, value: Any) -> None:
        self.used.add(key)
        super().__setitem__(key, value)


class ShardedMemo:
    """A mapping kept in `SHARDS` files `<stem>-NN.pickle`, valid for one key: `save` rewrites only the shards
    whose entries changed, so a build that changed one story writes a sixty-fourth of it. `data` records the
    keys a build used, which are those `save` keeps unless told otherwise."""

    def __init__(self, folder: Path, stem: str, key: str, memory: Memory | None = None) -> None:
        self.memory = memory
        self.paths = [folder / f"{stem}-{shard:02d}.pickle" for shard in range(SHARDS)]
        self.key = key
        self.data = UsedDict()
        self.dirty: set[int] = set()
        self.stored: list[dict[str, Any]] = []  # each shard as read (kept by this process: not changed)
        for shard, path in enumerate(self.paths):
            stored = read_pickle(path, None, keep=memory)
            if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key and isinstance(stored[1], dict):
                self.stored.append(stored[1])
                self.data.update(stored[1])
            else:
                self.stored.append({})
                self.dirty.add(shard)
        self.before = dict(self.data)  # what was read, to find entries added, replaced or dropped

    def save(self, wanted: set[str] | None = None) -> None:
        """Keep the entries in `wanted` (default: those used); write the shards that gained or lost one (or were
        unreadable)."""
        keep = self.data.used if wanted is None else wanted
        now = {k: v for k, v in self.data.items() if k in keep}
        before = self.before
        changed = _by_shard((k for k, v in now.items() if before.get(k) is not v), str)  # new or replaced
        self.dirty.update(changed)
        self.dirty.update(_by_shard(before.keys() - now.keys(), str))  # dropped
        for shard in sorted(self.dirty):  # the entries it kept, and those added to it
            entries = {k: now[k] for k in self.stored[shard] if k in now}
            entries.update((k, now[k]) for k in changed.get(shard, ()))
            write_pickle(self.paths[shard], (self.key, entries), keep=self.memory)
            self.stored[shard] = entries
        self.dirty = set()
        self.before = now


Entry = tuple[bytes, Any]  # a parse result as its worker encoded it, and decoded (None: not yet)
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
        self._stored: list[dict[tuple[str, str], bytes]] | None = None  # the shards as they are on disk
        self._on_disk: dict[tuple[str, str], bytes] = {}  # all of them in one (a lookup per file, not a shard's crc)
        self._unreadable: set[int] = set()
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

    def _shards(self) -> list[dict[tuple[str, str], bytes]]:
        if self._stored is None:
            self._stored = []
            for shard in range(SHARDS):
                stored = read_pickle(self.folder / f"parse-{shard:02d}.pickle", None, keep=self.memory)
                if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.key and isinstance(stored[1], dict):
                    self._stored.append(stored[1])
                else:
                    self._stored.append({})
                    self._unreadable.add(shard)
            for entries in self._stored:
                self._on_disk.update(entries)
        return self._stored

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
        if entry is None or entry[1] is None:
            if entry is None:
                if self._stored is None:
                    self._shards()
                stored = self._on_disk.get(key)
                if stored is None:
                    return None
            else:
                stored = entry[0]
            try:
                entry = (stored, decode(stored))
            except Exception:  # a damaged record: the file is parsed again
                return None
        return entry

    def carry(self, keys: Iterable[tuple[str, str]]) -> None:
        """Keep the results of these files (name, content hash) that are in the cache, as they are: a build that
        does not read them (`digest.patch`) keeps them for the next, which decodes them when it needs them."""
        self._shards()
        for key in keys:
            if key not in self.used:
                entry = self._kept.get(key)
                stored = self._on_disk.get(key) if entry is None else entry[0]
                if stored is not None:
                    self.used[key] = entry or (stored, None)

    def put(self, rel: str, h: str, encoded: bytes, result: Any) -> None:
        """Keep a result as the bytes it was encoded to (by the process that parsed it): saving writes them as
        they are, instead of encoding every story again."""
        self.used[(rel, h)] = (encoded, result)

    def save(self, recorded_ns: int) -> None:
        """Write back what changed: the shards whose results are not this build's (a new, changed or dropped file,
        or an unreadable shard), and the index."""
        if self.used or self._stored is not None:
            stored = self._shards()
            added = self.used.keys() - self._on_disk.keys()
            dropped = self._on_disk.keys() - self.used.keys()
            added_to = _by_shard(added, operator.itemgetter(0))
            dirty = self._unreadable | added_to.keys() | _by_shard(dropped, operator.itemgetter(0)).keys()
            for shard in sorted(dirty):  # the results it keeps, and those added to it
                now = {key: encoded for key, encoded in stored[shard].items() if key in self.used}
                now.update((key, self.used[key][0]) for key in added_to.get(shard, ()))
                write_pickle(self.folder / f"parse-{shard:02d}.pickle", (self.key, now), keep=self.memory)
                stored[shard] = now
            for key in dropped:
                del self._on_disk[key]
            self._on_disk.update((key, self.used[key][0]) for key in added)
            self._unreadable = set()
            if self.memory is not None:
                self.memory.parsed = (self.key, dict(self.used))
        if self.dirty or self.seen.keys() != self.index.keys():
            write_pickle(self.folder / "files.pickle", (self.key, recorded_ns, dict(self.seen)), keep=self.memory)
            self.dirty = False
