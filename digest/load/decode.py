"""Bytes to text: UTF-8 (with or without BOM), UTF-16 with BOM, else Windows-1252; binaries refused.

A hand-written rule rather than a detector library: valid UTF-8 is almost never legacy text
by accident, and every byte sequence that is not UTF-8 reads as Windows-1252 (with its five
undefined bytes mapped as Latin-1), so this never produces mojibake for the two encodings
people actually paste and never guesses an exotic one for a short file.
"""

from __future__ import annotations

import codecs
from typing import NamedTuple

# Control characters other than tab, LF, CR and form feed: a text file has next to none.
_CONTROL = bytes(c for c in range(32) if c not in (9, 10, 12, 13))
_CONTROL_TABLE = bytes.maketrans(_CONTROL, b"\0" * len(_CONTROL))


class Decoded(NamedTuple):
    text: str | None
    encoding: str | None
    reason: str | None = None  # why there is no text
    line: int = 1  # where the trouble (a NUL, the first byte that is not UTF-8) is


# Windows-1252 is Latin-1 but for 0x80-0x9F; its five undefined bytes there stay as Latin-1.
_CP1252_FROM_LATIN1 = {
    code: bytes([code]).decode("cp1252") for code in range(0x80, 0xA0) if code not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)
}


def _cp1252(data: bytes) -> str:
    return data.decode("latin-1").translate(_CP1252_FROM_LATIN1)


def decode(data: bytes) -> Decoded:
    if not data or data.isspace():  # not data.strip(), which copies the file
        return Decoded(None, None, "empty file")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return Decoded(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError:
            return Decoded(None, None, "broken UTF-16 (the byte-order mark promises UTF-16, the bytes are not)")
    sample = data[:65536]
    if b"\0" in sample:
        line = _line_of(data, data.index(b"\0"))
        return Decoded(None, None, f"binary file (contains NUL bytes, first on line {line}), not text", line)
    controls = sample.translate(_CONTROL_TABLE).count(0)
    if controls > max(8, len(sample) // 100):
        return Decoded(None, None, "binary file (too many control characters), not text")
    try:
        text = data.decode("utf-8-sig")
        return Decoded(text, "utf-8")
    except UnicodeDecodeError as exc:
        return Decoded(_cp1252(data), "windows-1252", line=_line_of(data, exc.start))


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1
