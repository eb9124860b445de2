"""The build cache: the only state a build keeps, in `.digest-cache/` beside the output folder.

Deleting the folder is always safe: the next build is a clean one. It holds
  files.pickle         each article file's stat signature and content hash
  parse-NN.pickle      each article file's parse result, keyed by (path, content hash, build date, loader code),
                       in 16 shards by file name (one changed article rewrites one shard)
  dedupe-NN.pickle     dedupe's per-story features, keyed by story content (and the dedupe code), in 16 shards
  topics.pickle        each story's matched topics, keyed by (story text hash, topic rules)
  state-<out>.pickle   for one output folder: the input key of every page it holds, a manifest of its files
                       (hash and stat), the same for the spare folder, and the last build's summary
  spare-<out>/         the previous generation of the site, updated and swapped in by the next build
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
from collections.abc import Iterable
from pathlib import Path
from typing import Any, BinaryIO

PACKAGE = Path(__file__).resolve().parent
FORMAT = 3  # bump when the layout of the cached records changes


class LockedError(Exception):
    """Another build of the same output folder is running."""


def digest_of(*parts: bytes | str) -> str:
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "little"))
        h.update(data)
    return h.hexdigest()


def code_version(*folders: str) -> str:
    """A key for the code that produced a cached record: the digest package's sources (or some folders of it)."""
    roots = [PACKAGE / f for f in folders] if folders else [PACKAGE]
    files = sorted(p for root in roots for p in root.rglob("*.py"))
    return digest_of(str(FORMAT), *(f"{p.relative_to(PACKAGE)}\0".encode() + p.read_bytes() for p in files))


def cache_dir(out: Path) -> Path:
    return Path(os.path.abspath(out)).parent / ".digest-cache"


def read_pickle(path: Path, default: Any) -> Any:
    """A cached record, or `default` when it is missing or unreadable (a cache is never worth failing for)."""
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ValueError, TypeError, ImportError, IndexError):
        return default


def write_pickle(path: Path, value: Any) -> None:
    """Replace a cached record atomically; a full disk or a read-only cache only costs speed next time."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("wb") as f:
            pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        tmp.unlink(missing_ok=True)


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

SHARDS = 16  # parse results are kept in this many files, so that one changed article rewrites one


def _shard(rel: str) -> int:
    return zlib.crc32(rel.encode("utf-8", "surrogatepass")) % SHARDS


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
    whose entries changed, so a build that changed one story writes a sixteenth of it. `data` records the
    keys a build used, which are those `save` keeps unless told otherwise."""

    def __init__(self, folder: Path, stem: str, key: str) -> None:
        self.paths = [folder / f"{stem}-{shard:02d}.pickle" for shard in range(SHARDS)]
        self.key = key
        self.data = UsedDict()
        self.dirty: set[int] = set()
        for shard, path in enumerate(self.paths):
            stored = read_pickle(path, None)
            if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == key and isinstance(stored[1], dict):
                self.data.update(stored[1])
            else:
                self.dirty.add(shard)
        self.before = dict(self.data)  # what was read, to find entries added, replaced or dropped

    def save(self, wanted: set[str] | None = None) -> None:
        """Keep the entries in `wanted` (default: those used); write the shards that gained or lost one (or were
        unreadable)."""
        keep = self.data.used if wanted is None else wanted
        now = {k: v for k, v in self.data.items() if k in keep}
        self.dirty.update(_shard(k) for k, v in now.items() if self.before.get(k) is not v)
        self.dirty.update(_shard(k) for k in self.before.keys() - now.keys())
        shards: list[dict[str, Any]] = [{} for _ in range(SHARDS)]
        for k, v in now.items():
            shards[_shard(k)][k] = v
        for shard in sorted(self.dirty):
            write_pickle(self.paths[shard], (self.key, shards[shard]))
        self.dirty = set()



class ParseCache:
    """Parse results by (path, content hash), valid for one build date and one version of the loader code.

    `files.pickle` maps each article file to its last stat signature and content hash (small, read on
    every build); `parse-NN.pickle` hold the results (each pickled on its own), sharded by file name (read only
    when some are needed).
    """

    def __init__(self, folder: Path, today: str, max_bytes: int) -> None:
        self.folder = folder
        self.key = digest_of(today, code_version("load"), str(max_bytes))
        self.max_bytes = max_bytes
        index = read_pickle(folder / "files.pickle", None)
        valid = isinstance(index, tuple) and len(index) == 3 and index[0] == self.key
        self.recorded_ns: int = index[1] if valid else 0
        self.index: dict[str, tuple[Stat, str]] = index[2] if valid else {}
        self.seen: dict[str, tuple[Stat, str]] = {}
        self._results: dict[tuple[str, str], Any] | None = None
        self._dirty_shards: set[int] = set()  # shards of the results that need writing
        self.dirty = not valid  # the index needs writing

    def known_hash(self, file: Path) -> tuple[Stat | None, str | None]:
        """The file's stat signature, and its content hash when this build or a trusted record knows it (the
        file is not read). Take the signature before reading the file, to `record` with its hash."""
        name = str(file)
        sig = stat_of(file)
        if sig is None:
            return None, None
        now = self.seen.get(name)
        if now is not None and now[0] == sig:
            return sig, now[1]
        old = self.index.get(name)
        if old is not None and old[0] == sig and trusted(sig, self.recorded_ns):
            self.seen[name] = old
            return sig, old[1]
        return sig, None

    def record(self, file: Path, sig: Stat, h: str) -> None:
        """The content hash of the file as it was when its signature `sig` was taken."""
        self.seen[str(file)] = (sig, h)
        self.dirty = True

    def parsed_hash(self, file: Path) -> str | None:
        """The content hash this build recorded for the file (what it parsed or found in the cache), if any."""
        entry = self.seen.get(str(file))
        return None if entry is None else entry[1]

    def content_hash(self, file: Path) -> str | None:
        """The file's content hash: from its stat signature when that is trusted, else by reading it."""
        sig, known = self.known_hash(file)
        if sig is None or sig[0] > self.max_bytes:
            return None
        if known is not None:
            return known
        name = str(file)
        try:
            data = file.read_bytes()
        except OSError:
            return None
        h = hashlib.blake2b(data, digest_size=16).hexdigest()
        self.seen[name] = (sig, h)
        self.dirty = True
        return h

    def _load_results(self) -> dict[tuple[str, str], Any]:
        if self._results is None:
            self._results = {}
            for shard in range(SHARDS):
                stored = read_pickle(self.folder / f"parse-{shard:02d}.pickle", None)
                if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self.key:
                    self._results.update(stored[1])
                else:
                    self._dirty_shards.add(shard)
        return self._results

    def get(self, rel: str, h: str) -> Any:
        stored = self._load_results().get((rel, h))
        return None if stored is None else pickle.loads(stored)

    def put(self, rel: str, h: str, pickled: bytes) -> None:
        """Keep a result as the bytes it was pickled to (by the process that parsed it): saving writes them as
        they are, instead of pickling every story again."""
        self._load_results()[(rel, h)] = pickled
        self._dirty_shards.add(_shard(rel))

    def save(self, recorded_ns: int) -> None:
        """Write back what changed (only the shards holding a new or a dropped result), keeping only the files
        seen in this build."""
        if self._results is not None:
            wanted = {sig_h[1] for sig_h in self.seen.values()}
            shards: list[dict[tuple[str, str], Any]] = [{} for _ in range(SHARDS)]
            for k, v in self._results.items():
                if k[1] in wanted:
                    shards[_shard(k[0])][k] = v
                else:
                    self._dirty_shards.add(_shard(k[0]))
            for shard in sorted(self._dirty_shards):
                write_pickle(self.folder / f"parse-{shard:02d}.pickle", (self.key, shards[shard]))
        if self.dirty or self._dirty_shards or self.seen.keys() != self.index.keys():
            write_pickle(self.folder / "files.pickle", (self.key, recorded_ns, self.seen))
        self._dirty_shards = set()
