"""Parsing across processes gives exactly the serial result, in the same order."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

from digest.load import PARALLEL_MIN_FILES, load_paths

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "outlets"
TODAY = dt.date(2026, 11, 22)


def test_parallel_load_equals_serial(tmp_path: Path) -> None:
    sources = sorted(p for p in FIXTURES.iterdir() if p.suffix in (".txt", ".md"))
    for k in range(PARALLEL_MIN_FILES + 20):
        src = sources[k % len(sources)]
        shutil.copy(src, tmp_path / f"{k:04d}_{src.name}")
    (tmp_path / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / "zz_binary.txt").write_bytes(b"\0\1\2" * 100)
    serial = load_paths([tmp_path], TODAY, workers=1)
    parallel = load_paths([tmp_path], TODAY, workers=2)
    assert parallel == serial
    assert len(serial.files) == PARALLEL_MIN_FILES + 22
    assert len({s.id for s in serial.stories}) == len(serial.stories)
