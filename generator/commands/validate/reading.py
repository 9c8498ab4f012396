"""Reading inputs in bounded memory: which files a PATH stands for, how a file is split into parts, the
bytes of one document, the lines of one part, and how bytes become text.

Bounds: one document (a JSON or XML file, one JSON Lines line, standard input that is not JSON Lines, one
HAR entry, one decompressed body) holds at most MAX_BYTES; a JSON Lines file or stream of any size is read a
line at a time, and a large one in parts of about PART_BYTES that worker processes check side by side.
"""

from __future__ import annotations

import codecs
import os
import stat
import sys
from collections.abc import Iterator
from typing import BinaryIO

from .findings import FileReport, Finding, finding

SUFFIXES = (".json", ".jsonl", ".ndjson", ".xml", ".har")
LINE_SUFFIXES = (".jsonl", ".ndjson")
MAX_BYTES = 256 * 1024 * 1024  # one document larger than this is a finding, not checked
PART_BYTES = 8 * 1024 * 1024  # a JSON Lines file is checked in parts of about this many bytes
_CHUNK = 1 << 20  # reads in pieces, so Ctrl-C is honoured and the bound is checked as the input grows


class Unreadable(Exception):
    """An input that is not read at all; the message says why."""


def inputs(raw: str) -> Iterator[str | FileReport]:
    """The files one PATH stands for: itself, or every file under a folder with a known suffix (in sorted
    order), FIFOs and devices among them (they become findings, not hangs). A folder that cannot be
    listed is a report of its own."""
    if raw == "-" or not os.path.isdir(raw):
        yield raw
        return
    problems: list[OSError] = []
    found: list[str] = []
    for folder, dirs, names in os.walk(raw, onerror=problems.append):  # symlinked folders are not entered
        dirs.sort()
        found.extend(os.path.join(folder, n) for n in names if os.path.splitext(n)[1].lower() in SUFFIXES)
    yield from sorted(found)
    for exc in problems:
        where = str(exc.filename or raw)
        yield FileReport(where, 0, [finding(where, "input", f"cannot list the folder: {exc.strerror or exc}")])


def suffix(file: str) -> str:
    return os.path.splitext(file)[1].lower()


_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")


def open_regular(file: str) -> BinaryIO:
    """A regular file opened for reading; Unreadable for a missing or unreadable file, or one that is not
    a regular file (a FIFO would block, a device never ends)."""
    try:
        kind = _not_regular(os.stat(file).st_mode)
        if kind:
            raise Unreadable(f"{kind}, not a regular file: not read")
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, opening it does not hang.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        fh = os.fdopen(fd, "rb", buffering=_CHUNK)
        kind = _not_regular(os.fstat(fh.fileno()).st_mode)
        if kind:
            fh.close()
            raise Unreadable(f"{kind}, not a regular file: not read")
        return fh
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from None


def size_of(file: str) -> int:
    try:
        return os.stat(file).st_size
    except OSError:
        return 0


def read_bounded(stream: BinaryIO, first: int = _CHUNK, limit: int | None = None) -> bytes:
    """Everything `stream` holds, in pieces (`first` bytes, then _CHUNK at a time), up to `limit`
    (MAX_BYTES unless given)."""
    limit = MAX_BYTES if limit is None else limit
    chunks: list[bytes] = []
    total = 0
    size = first
    while True:
        chunk = stream.read(min(size, limit + 1 - total))
        size = _CHUNK
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise Unreadable(f"more than the {MAX_BYTES:,}-byte limit: not checked")


def read_input(file: str) -> bytes:
    """The bytes of one document: a file or standard input ("-"), bounded by MAX_BYTES either way."""
    if file == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            raise Unreadable("no standard input to read")
        return read_bounded(stdin)
    with open_regular(file) as fh:
        size = os.fstat(fh.fileno()).st_size
        if size > MAX_BYTES:
            raise Unreadable(f"{size:,} bytes, over the {MAX_BYTES:,}-byte limit: not checked")
        try:
            return read_bounded(fh, first=size + 1)  # its size is known: one read, no copies
        except OSError as exc:
            raise Unreadable(f"cannot read: {exc.strerror or exc}") from None


# ---------------------------------------------------------------- JSON Lines in parts
def parts(size: int) -> list[tuple[int, int]]:
    """The byte ranges a JSON Lines file of `size` bytes is checked in: a part holds the lines that start
    inside its range, so every line belongs to exactly one part, wherever the ranges cut."""
    if size <= PART_BYTES:
        return [(0, size)]
    return [(start, min(start + PART_BYTES, size)) for start in range(0, size, PART_BYTES)]


def _skip_line(fh: BinaryIO) -> int:
    """Read past the end of the current line (in pieces: it may be longer than memory should hold); the
    bytes skipped."""
    skipped = 0
    while True:
        piece = fh.readline(_CHUNK)
        skipped += len(piece)
        if not piece or piece.endswith(b"\n"):
            return skipped


def lines_of(fh: BinaryIO, start: int, end: int, *, at_line_start: bool = False,
             seekable: bool = True) -> Iterator[bytes | int]:
    """The lines that start in [start, end) of a file, each with its line break; a line longer than
    MAX_BYTES is not held: its length comes instead (an int). A stream that cannot seek is read from where
    it is, `at_line_start`."""
    pos = start
    if seekable:
        fh.seek(start if at_line_start else max(0, start - 1))
        if start > 0 and not at_line_start:  # the line running through `start` belongs to the part before
            pos = start - 1 + _skip_line(fh)
    limit = MAX_BYTES + 1
    readline = fh.readline
    while pos < end:
        line = readline(limit)
        if not line:
            return
        pos += len(line)
        if len(line) == limit and not line.endswith(b"\n"):
            rest = _skip_line(fh)
            pos += rest
            yield len(line) + rest
            continue
        yield line


# ---------------------------------------------------------------- bytes to text
# Byte order marks, longest first: UTF-32 LE starts with UTF-16 LE's mark.
BOMS = ((codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 (big-endian)"),
        (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 (little-endian)"),
        (codecs.BOM_UTF8, "utf-8", "UTF-8"),
        (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 (big-endian)"),
        (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 (little-endian)"))

_WIDE_PATTERNS = {  # where a wide encoding puts the zero bytes of an ASCII first character
    (True, True, True, False): "UTF-32 (big-endian)", (False, True, True, True): "UTF-32 (little-endian)",
    (True, False, True, False): "UTF-16 (big-endian)", (False, True, False, True): "UTF-16 (little-endian)",
}


def wide_without_bom(data: bytes) -> str | None:
    """UTF-16 or UTF-32 text with no mark, told by where the zero bytes of its first characters are."""
    if len(data) < 4 or b"\x00" not in data[:4]:
        return None
    return _WIDE_PATTERNS.get((data[0] == 0, data[1] == 0, data[2] == 0, data[3] == 0))


def is_wide(head: bytes) -> bool:
    """Whether text starting with `head` (4 bytes or more) is UTF-16 or UTF-32, marked or not: such text is
    read whole (its lines cannot be split as bytes)."""
    marked = any(head.startswith(bom) for bom, codec, _ in BOMS if codec != "utf-8")
    return marked or wide_without_bom(head) is not None


def decode(file: str, data: bytes, findings: list[Finding], entry: int | None = None, line: int | None = None,
           what: str = "") -> str | None:
    """The text of an input: UTF-8, or UTF-16/32 behind a byte order mark (read, with a warning saying
    so); None, with the reason in `findings`, when there is nothing to read or the encoding is unknown.
    `entry` and `line` say where the findings are; `what` names the input in them."""
    what = what or ("the response body" if entry is not None else "standard input" if file == "-" else "the file")
    for bom, codec, name in BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                findings.append(finding(file, "input", f"{what} starts with a {name} byte order mark but is not "
                                        f"{name}: {exc.reason} at offset {exc.start + len(bom)}", entry=entry, line=line))
                return None
            findings.append(bom_warning(file, name, what, entry, line))
            break
    else:
        wide = wide_without_bom(data)
        if wide:
            findings.append(finding(file, "input", f"{what} looks like {wide} without a byte order mark, not "
                                    "UTF-8: not read", entry=entry, line=line))
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            findings.append(finding(file, "input", f"{what} is not UTF-8: byte 0x{data[exc.start]:02x} at offset "
                                    f"{exc.start}", entry=entry, line=line))
            return None
    if not text.strip():
        findings.append(finding(file, "input", f"{what} is empty: no document in it", entry=entry, line=line))
        return None
    return text


def bom_warning(file: str, name: str, what: str = "the file", entry: int | None = None,
                line: int | None = None) -> Finding:
    plain = "a byte order mark" if name == "UTF-8" else "a byte order mark, not UTF-8"
    return finding(file, "encoding", f"{what} is {name} with {plain}; read as {name}", severity="warning",
                   entry=entry, line=line)
