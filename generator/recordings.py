"""What `validate` and the emulator's replay share about recorded traffic (docs/validating.md, "Recordings"):
a recorded body as it was before its Content-Encoding. Imports nothing else of the generator."""

from __future__ import annotations

import zlib


class ContentCodingError(ValueError):
    """A recorded body that cannot be undone; the message is a phrase about it (`is not valid gzip data: ...`)."""


def undo_content_coding(data: bytes, coding: str, limit: int, *, reader: str) -> bytes:
    """`data` as it was before its Content-Encoding `coding` (lower case), `limit` bytes at most: gzip (told by its
    magic bytes too: tools record it either way) and deflate (zlib-wrapped or raw) are undone, identity is the data
    itself; any other coding is refused, naming `reader` as what cannot undo it."""
    if data[:2] == b"\x1f\x8b" or coding in ("gzip", "x-gzip"):
        wbits, name = 16 + zlib.MAX_WBITS, "gzip"
    elif coding == "deflate":
        wbits, name = (zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS), "deflate"
    elif coding in ("", "identity"):
        return data
    else:
        raise ContentCodingError(f"is {coding[:40]!r}-encoded, which {reader} cannot undo")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)  # bounded: a small bomb must not become gigabytes
    except zlib.error as exc:
        raise ContentCodingError(f"is not valid {name} data: {exc}") from None
    if len(out) > limit:
        raise ContentCodingError(f"decompresses to more than the {limit:,}-byte limit")
    return out
