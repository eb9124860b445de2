"""Publish stage: write the rendered files into the output folder, all at once.

The files go into a temporary sibling folder first, which is then swapped in, so a build that fails
half-way leaves the previous site as it was. A folder that is not empty and does not look like a
previous build (no build-report.json) is never replaced.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from digest.feeds import OutputFile

MARKER = "build-report.json"


class PublishError(Exception):
    """The output folder cannot be written or replaced."""


def _safe_relative(path: str) -> PurePosixPath:
    rel = PurePosixPath(path)
    if rel.is_absolute() or not rel.parts or ".." in rel.parts:
        raise PublishError(f"refusing to write outside the output folder: {path!r}")
    return rel


def publish(files: Iterable[OutputFile], out: Path) -> Path:
    """Write `files` under `out` (replacing a previous build there); returns the output folder."""
    out = Path(os.path.abspath(out))
    if out.exists() and (not out.is_dir() or (any(out.iterdir()) and not (out / MARKER).exists())):
        raise PublishError(f"{out} exists and is not a previous build (no {MARKER}); remove it or choose another --out")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.new-{os.getpid()}"
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        for file in files:
            target = tmp.joinpath(*_safe_relative(file.path).parts)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(file.data)
        if out.exists():
            out.rename(old)
        tmp.rename(out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not out.exists():
            old.rename(out)
        raise
    shutil.rmtree(old, ignore_errors=True)
    return out
