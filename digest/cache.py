"""The build cache: the only state a build keeps, in `.digest-cache/` beside the output folder.

Deleting the folder is always safe: the next build is a clean one. It holds
  files.pickle         each article file's stat signature and content hash
  parse-NN.pickle      each article file's parse result, keyed by (path, content hash, build date, loader code),
                       in 64 shards by file name (one changed article rewrites one shard; see `parsecache`)
  dedupe-NN.pickle     dedupe's per-story features, keyed by story content (and the dedupe code), in 64 shards
  topics.pickle        each story's matched topics, keyed by where it was parsed from (file, content hash, place)
                       or, for a merged story, by its text hash; valid for one set of topic rules
  stories-NN.pickle    the last build's published stories, by origin (`fingerprint.origins`), in 64 shards
  templates/           compiled templates, what parsing them found, the search index's entries by story origin
  state-<out>.pickle   for one output folder: the input key of every page it holds, a manifest of its files
                       (hash and stat), the same for the spare folder, and the last build's summary
  index-<out>.pickle   for one output folder: what a rebuild after body edits starts from (`patch.Snapshot`)
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
import os
import pickle
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


# --- sharded records ------------------------------------------------------------------------------

SHARDS = 64  # records are kept in this many files, so that one changed article rewrites a small one


def shard_of(rel: str) -> int:
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % SHARDS


K = TypeVar("K")


def by_shard(keys: Iterable[K], name: Callable[[K], str]) -> dict[int, list[K]]:
    """Keys grouped by the shard of their name (once each: a cold build adds 10,000 keys to 64 shards)."""
    groups: dict[int, list[K]] = {}
    for key in keys:
        groups.setdefault(shard_of(name(key)), []).append(key)
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
        changed = by_shard((k for k, v in now.items() if before.get(k) is not v), str)  # new or replaced
        self.dirty.update(changed)
        self.dirty.update(by_shard(before.keys() - now.keys(), str))  # dropped
        for shard in sorted(self.dirty):  # the entries it kept, and those added to it
            entries = {k: now[k] for k in self.stored[shard] if k in now}
            entries.update((k, now[k]) for k in changed.get(shard, ()))
            write_pickle(self.paths[shard], (self.key, entries), keep=self.memory)
            self.stored[shard] = entries
        self.dirty = set()
        self.before = now
