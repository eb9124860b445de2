"""Publish stage: put the rendered files in the output folder, all at once.

The live site is never written to. A build prepares the next generation of the site in a staging
folder and swaps it in with one atomic rename, so a build that fails or is killed at any point
leaves the previous site exactly as it was.

Incremental builds keep two generations: the live folder and a spare (`.digest-cache/spare-<out>`),
which holds the site as it was before the last build. The next build brings the spare up to date
(writing only files whose content differs from what the spare holds, hard-linking unchanged pages
from the live folder, deleting files that are gone) and exchanges it with the live folder
(`renameat2(RENAME_EXCHANGE)`); the old live folder becomes the spare. A manifest (content hash and
stat of each file) says what each folder holds; a spare whose manifest is unknown is rebuilt.
Files in both folders are only ever replaced by rename, never rewritten in place, so hard links
between them are safe. A folder that is not empty and does not look like a previous build (no
build-report.json) is never replaced.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import os
import shutil
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from digest.cache import Stat, stat_of
from digest.feeds import OutputFile

MARKER = "build-report.json"
Manifest = Mapping[str, tuple[str, Stat | None]]  # "/"-relative path -> (content hash, stat)


class PublishError(Exception):
    """The output folder cannot be written or replaced."""


@dataclass(frozen=True, slots=True)
class Published:
    out: Path
    written: int  # files new or changed against the previous site
    removed: int  # files of the previous site that are gone
    live: dict[str, tuple[str, Stat | None]]  # what the output folder now holds
    spare: dict[str, tuple[str, Stat | None]] | None  # what the spare folder now holds (None: unknown)


def file_sig(path: Path | str) -> Stat | None:
    """A published file's stat signature, without ctime (hard-linking a file changes its ctime)."""
    sig = stat_of(path)
    return (sig[0], sig[1], 0, sig[3]) if sig else None


def _write(path: str, data: bytes) -> Stat:
    """Write a new file and return its signature (as `file_sig`): plain os calls, half the time of
    Path.write_bytes and a stat for 9,000 pages."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o666)  # the umask decides, as before
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        st = os.fstat(fd)
    finally:
        os.close(fd)
    return (st.st_size, st.st_mtime_ns, 0, st.st_ino)


def _link(source: Path, target: str) -> Stat | None:
    """A hard link (or, where there are none, a copy) of a live file; its signature (as `file_sig`)."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copyfile(source, target)
    return file_sig(target)


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _safe_relative(path: str) -> str:
    if not path.startswith("/") and all(part not in ("", ".", "..") for part in path.split("/")):
        return path  # the common case, without building a path object
    rel = PurePosixPath(path)
    if rel.is_absolute() or not rel.parts or ".." in rel.parts or "." in path.split("/"):
        raise PublishError(f"refusing to write outside the output folder: {path!r}")
    return rel.as_posix()


def _explain(exc: OSError, where: Path) -> PublishError:
    if exc.errno == errno.ENOSPC or exc.errno == errno.EDQUOT:
        why = "the disk is full"
    elif exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        why = "it is read-only or not writable"
    else:
        why = exc.strerror or str(exc)
    return PublishError(f"cannot write the site next to {where} ({why}: {exc.filename or where}); "
                        "the previous site is unchanged")


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two folders (Linux renameat2 RENAME_EXCHANGE); False where that is not supported."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (AttributeError, OSError):
        return False
    if renameat2(-100, os.fsencode(a), -100, os.fsencode(b), 2) == 0:  # AT_FDCWD, RENAME_EXCHANGE
        return True
    err = ctypes.get_errno()
    if err in (errno.EINVAL, errno.ENOSYS, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(a))


def _swap(staging: Path, out: Path) -> bool:
    """Make staging the live folder; returns whether the old live folder is now at `staging`."""
    if not out.exists():
        staging.rename(out)
        return False
    if _exchange(staging, out):
        return True
    old = out.with_name(f".{out.name}.old-{os.getpid()}")  # no exchange here: two renames, a moment without a site
    out.rename(old)
    staging.rename(out)
    old.rename(staging)
    return True


def check_output(out: Path) -> Path:
    out = Path(os.path.abspath(out))
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise PublishError(f"{out} exists and is not a previous build (no {MARKER}); remove it or choose another --out")
    return out


def publish(files: Iterable[OutputFile], out: Path) -> Path:
    """Write `files` under `out` (replacing a previous build there) through a fresh staging folder."""
    out = check_output(out)
    staging = out.parent / f".{out.name}.new-{os.getpid()}"
    published = publish_incremental(files, out, staging)
    shutil.rmtree(staging, ignore_errors=True)
    return published.out


def publish_incremental(
    files: Iterable[OutputFile],
    out: Path,
    staging: Path,
    kept: Collection[str] = (),
    live: Manifest | None = None,
    spare: Manifest | None = None,
) -> Published:
    """Swap in a site made of `files` plus the `kept` files of the live site (whose hashes `live` gives).

    `staging` is the spare folder, holding what `spare` says (None: unknown, so it is made afresh).
    """
    out = check_output(out)
    try:
        return _publish(files, out, staging, kept, live or {}, spare)
    except OSError as exc:
        raise _explain(exc, out) from exc


def _publish(
    files: Iterable[OutputFile], out: Path, staging: Path, kept: Collection[str], live: Manifest, spare: Manifest | None
) -> Published:
    data: dict[str, bytes] = {}
    for file in files:
        data[_safe_relative(file.path)] = file.data
    desired: dict[str, str] = {path: content_hash(b) for path, b in data.items()}
    for path in kept:
        if path not in desired:
            desired[path] = live[path][0]
    have: dict[str, tuple[str, Stat | None]] = {}
    if spare is not None and staging.is_dir():
        base = f"{staging}{os.sep}"
        have = {p: e for p, e in spare.items() if e[1] is not None and file_sig(base + p) == e[1]}
    # Staging made empty here when there is no spare, or when most of it would change (after a build that changed
    # most files): files are then written and linked in place, with no temporary file, at a fraction of the cost.
    fresh = not have or 2 * sum(1 for p, h in desired.items() if p not in have or have[p][0] != h) > len(desired)
    if fresh:
        if staging.exists():
            shutil.rmtree(staging)
        have = {}
    else:
        assert spare is not None
        for path in set(spare) - set(have):
            (staging / path).unlink(missing_ok=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging.mkdir(parents=True, exist_ok=True)

    now: dict[str, tuple[str, Stat | None]] = {}
    made: set[str] = set()
    base = f"{staging}{os.sep}"  # (paths as strings: pathlib costs more than writing a page)
    for path in sorted(desired):
        h = desired[path]
        entry = have.get(path)
        if entry is not None and entry[0] == h:
            now[path] = entry
            continue
        _make_parent(base, path, made)
        if fresh:  # nothing reads a fresh staging folder before the swap: no temporary file
            now[path] = (h, _write(base + path, data[path]) if path in data else _link(out / path, base + path))
            continue
        target = staging / path
        tmp = target.with_name(f".{target.name}.tmp")
        if path in data:
            _write(str(tmp), data[path])
        else:
            try:
                os.link(out / path, tmp)
            except FileExistsError:
                tmp.unlink()
                os.link(out / path, tmp)
            except OSError:  # no hard links here: copy
                shutil.copyfile(out / path, tmp)
        os.replace(tmp, target)
        now[path] = (h, file_sig(target))
    for path in set(have) - set(desired):
        gone = staging / path
        gone.unlink(missing_ok=True)
        for parent in gone.parents:
            if parent == staging:
                break
            try:
                parent.rmdir()
            except OSError:
                break

    written = sum(1 for p, h in desired.items() if p not in live or live[p][0] != h)
    removed = sum(1 for p in live if p not in desired)
    swapped = _swap(staging, out)
    old_live = dict(live) if swapped and live else None
    return Published(out, written, removed, now, old_live)


def _make_parent(base: str, path: str, made: set[str]) -> None:
    """Make the folder that `base + path` goes in, unless made already (`made` records those made)."""
    parent = os.path.dirname(path)
    if parent not in made:
        os.makedirs(base + parent, exist_ok=True)
        made.add(parent)


def mirror(out: Path, spare: Path, live: Manifest) -> dict[str, tuple[str, Stat | None]] | None:
    """Make `spare` a hard-linked copy of the output folder (after a full build); returns its manifest."""
    try:
        if spare.exists():
            shutil.rmtree(spare)
        made: set[str] = set()
        base, source = f"{spare}{os.sep}", f"{out}{os.sep}"
        for path in live:
            _make_parent(base, path, made)
            os.link(source + path, base + path)
        return dict(live)  # a hard link has the same size, mtime and inode (file_sig leaves out the ctime)
    except OSError:
        shutil.rmtree(spare, ignore_errors=True)
        return None
