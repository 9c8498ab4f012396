"""Replay: the exchanges of recordings (docs/validating.md, "Recordings") served again, answer for answer.

A recording is read once at start and indexed by offsets: an exchange is found again by what its request
asked, and its line is read again only when a request needs it, so memory grows with the number of
exchanges (a few dozen bytes each), never with their bodies. Everything comes from the spec: the job is the
operation's x-emulator job_param, the page its x-pagination page_param.

What answers a request:
  * the exchanges recorded for the same job (exactly as recorded), the same page and the same values of the
    operation's other parameters (one left out counts as its default; integers and booleans compare by
    value), one a request, in the order they were recorded; after the last one, the last one again. The
    exchanges whose request asked for the same Format (XML or JSON) as this one come first, else the others;
  * a page after the last recorded one, when the recorded pages reach the end of the list (the last one is
    short, or reaches the total), is an empty page, as the service answers there;
  * anything else is a Miss, with the reason; the engine answers the spec's unknown-job error.
A recorded answer is served as recorded: its status, content type, body bytes (and the retry-after header
the spec names, which clients act on); an exchange that got no answer (a timeout) is served as a connection
closed without one. Nothing of a recorded request's headers is ever sent back.
"""

from __future__ import annotations

import base64
import json
import os
import re
import threading
from array import array
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

from ..ir import ScalarProperty
from ..recordings import (
    ContentCodingError,
    ExchangeError,
    a,
    last,
    read_request,
    read_response,
    undo_content_coding,
)
from ..runtime._errors import XmlError
from ..runtime._xml import xml_to_dict
from .api import Api, EmulatorConfigError, OperationApi
from .data import DataFiles, Refused, open_inside

EXCHANGE = "exchange"  # the `type` of a recording's line
MAX_LINE_BYTES = 256 * 1024 * 1024  # one exchange; a longer line is refused at start
MAX_BODY_BYTES = 64 * 1024 * 1024  # a body once decompressed (the generated clients' own limit)
MAX_PROBLEMS = 20  # listed at start; the rest are counted
_JSON, _XML = 0, 1
_REF = 4  # an exchange in the index: file number, line number, offset, length
_INTEGER = re.compile(r"[+-]?[0-9]{1,40}\Z")
_HEADER_VALUE = re.compile(r"[\x20-\x7e]{1,256}\Z")  # a recorded header value sent again: printable ASCII
_NO_BODY_STATUSES = frozenset({204, 205, 304})


class Recorded(NamedTuple):
    """A recorded answer, to be sent as it is."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    where: str  # file:line of the exchange
    code: str | None  # the error code its body carries, for the log


class NoAnswer(NamedTuple):
    """The recorded call got no answer: the connection is closed without one."""

    where: str


class EmptyPage(NamedTuple):
    """A page past the end of a list recorded to its end: the last recorded page with no items."""

    doc: dict[str, Any]
    where: str


class Miss(NamedTuple):
    """Nothing recorded answers the request; `reason` says why (for the log)."""

    reason: str


Answer = Recorded | NoAnswer | EmptyPage | Miss


class _Slot:
    """The exchanges recorded for one page of one list, by the Format their request asked for (_REF numbers
    each), and the next one of each to serve. A large recording has many: kept small."""

    __slots__ = ("json", "json_next", "xml", "xml_next")

    def __init__(self) -> None:
        self.json: array[int] | None = None
        self.xml: array[int] | None = None
        self.json_next = self.xml_next = 0

    def refs(self, fmt: int) -> array[int] | None:
        return self.xml if fmt == _XML else self.json

    def add(self, fmt: int, ref: tuple[int, ...]) -> None:
        refs = self.refs(fmt)
        if refs is None:
            refs = array("q")
            if fmt == _XML:
                self.xml = refs
            else:
                self.json = refs
        refs.extend(ref)

    def take(self, fmt: int) -> int:
        """The exchange to serve next (the caller holds the lock): each in turn, then the last one again."""
        refs = self.refs(fmt)
        count = len(refs) // _REF if refs is not None else 0
        i = self.xml_next if fmt == _XML else self.json_next
        if i + 1 < count:
            if fmt == _XML:
                self.xml_next = i + 1
            else:
                self.json_next = i + 1
        return i


class _Listing:
    """One list: a job asked with the same other parameters, page by page."""

    __slots__ = ("ends", "pages")

    def __init__(self) -> None:
        self.pages: dict[int, _Slot] = {}
        self.ends: dict[int, tuple[dict[str, Any], str] | None] | None = None  # Format -> its last page, once seen


@dataclass(frozen=True)
class _File:
    shown: str  # the path as --data names it
    real: Path
    device: int
    inode: int
    size: int


class RecordingChanged(RuntimeError):
    """A recording no longer holds, at an indexed place, the exchange it held at start."""


@dataclass
class Summary:
    """What the recordings held, for the start-up line."""

    files: int = 0
    exchanges: int = 0  # indexed, servable
    documents: int = 0  # lines that are plain documents, not exchanges
    other: int = 0  # exchanges of operations the emulator does not serve
    unusable: int = 0  # exchanges no request can match (no job, a page that is no number)
    unfinished: int = 0  # a last line cut short (a recording still being written, or cut off)
    jobs: int = 0

    def __str__(self) -> str:
        text = (f"{_count(self.exchanges, 'exchange', 'exchanges')} of {_count(self.jobs, 'job', 'jobs')} "
                f"from {_count(self.files, 'recording', 'recordings')}")
        skipped = [_count(n, one, many) for n, one, many in (
            (self.documents, "plain document", "plain documents"),
            (self.other, "exchange of another operation", "exchanges of other operations"),
            (self.unusable, "exchange no request can match (no job, or no page number)",
             "exchanges no request can match (no job, or no page number)"),
            (self.unfinished, "unfinished last line", "unfinished last lines")) if n]
        return text + (f" (passed over: {', '.join(skipped)})" if skipped else "")


def _count(n: int, one: str, many: str) -> str:
    return f"{n:,} {one if n == 1 else many}"


class _Bad(Exception):
    """A line that says it is an exchange but is not shaped as the recording format says."""


Key = tuple[tuple[str, str], ...]  # the operation's other parameters, canonical, in the spec's order


def canonical(op: OperationApi, params: Mapping[str, str]) -> tuple[str | None, int | None, Key]:
    """A request as replay compares requests: (job, page, the operation's other parameters). The job is what
    the engine takes (the text sent, else the spec's default), exactly; the other parameters are texts, one
    left out as its default, integers and booleans in one spelling. The page is None when it is no number."""
    job_param, page_param = op.cfg.job_param, op.pagination.page_param
    job = params.get(job_param) or None
    if job is None and job_param in op.params and op.params[job_param].default is not None:
        job = str(op.params[job_param].default)
    page: int | None = op.pagination.first_page
    rest: list[tuple[str, str]] = []
    for p in op.op.parameters:
        if p.wire == job_param:
            continue
        text = params.get(p.wire)
        if text is None or text == "":
            if p.default is None:
                continue
            text = ("true" if p.default else "false") if isinstance(p.default, bool) else str(p.default)
        kind = p.prop.json_type if isinstance(p.prop, ScalarProperty) else None
        if kind == "integer" and _INTEGER.match(text.strip()):
            text = str(int(text))
        elif kind == "boolean" and text in op.boolean_texts:
            text = "true" if op.boolean_texts[text] else "false"
        if p.wire == page_param:
            page = int(text) if _INTEGER.match(text) else None
        else:
            rest.append((p.wire, text))
    return job, page, tuple(rest)


class Replay:
    """The recorded exchanges of one operation, indexed by job, other parameters and page."""

    def __init__(self, api: Api, op: OperationApi, files: list[_File], retry_header: str | None) -> None:
        self.api = api
        self.op = op
        self.files = files  # shared by every operation's Replay
        self.retry_header = retry_header
        self.listings: dict[str, dict[Key, _Listing]] = {}
        self._keys: dict[Key, Key] = {}  # one tuple for each set of other parameters, however many lists share it
        self.exchanges = 0
        self._lock = threading.Lock()

    def add(self, job: str, page: int, rest: Key, xml: bool, ref: tuple[int, ...]) -> None:
        rest = self._keys.setdefault(rest, rest)
        lists = self.listings.get(job)
        if lists is None:
            lists = self.listings[job] = {}
        listing = lists.get(rest)
        if listing is None:
            listing = lists[rest] = _Listing()
        slot = listing.pages.get(page)
        if slot is None:
            slot = listing.pages[page] = _Slot()
        slot.add(_XML if xml else _JSON, ref)
        self.exchanges += 1

    def knows(self, job: str) -> bool:
        return job in self.listings

    # ------------------------------------------------------------------ answering
    def answer(self, job: str, params: Mapping[str, str], xml: bool) -> Answer:
        """What the recordings answer a request for `job` (the text the engine took from the request, or the
        default) with these parameters (the texts sent), asking for XML or not."""
        _, page, rest = canonical(self.op, params)
        lists = self.listings.get(job)
        if lists is None:
            return Miss(f"no job {job!r}")
        listing = lists.get(rest)
        if listing is None:
            return Miss(_recorded_for(job, rest, list(lists)))
        if page is None:
            page = self.op.pagination.first_page
        wanted = _XML if xml else _JSON
        slot = listing.pages.get(page)
        if slot is not None:
            fmt = wanted if slot.refs(wanted) is not None else 1 - wanted
            refs = slot.refs(fmt)
            assert refs is not None  # a slot holds at least one exchange
            with self._lock:
                i = slot.take(fmt)
            return self._recorded(refs[i * _REF:(i + 1) * _REF])
        last = max(listing.pages)
        if page > last:
            end = self._end(listing, last, wanted, dict(rest))
            if end is not None:
                doc, where = end
                doc = dict(doc)
                pg = self.op.pagination
                doc[pg.items_field] = []
                if pg.page_field:
                    doc[pg.page_field] = page
                return EmptyPage(doc, where)
        beyond = ", and they do not reach the end of the list" if page > last else ""
        return Miss(f"page {page} of job {job!r} was not recorded (recorded: {_pages(listing.pages)}{beyond})")

    def _end(self, listing: _Listing, last: int, wanted: int,
             rest: dict[str, str]) -> tuple[dict[str, Any], str] | None:
        """The last recorded page of a list recorded to its end, and where it was recorded; None when the list
        was not recorded to its end (or its last page got no readable answer)."""
        with self._lock:
            if listing.ends is not None and wanted in listing.ends:
                return listing.ends[wanted]
        found: tuple[dict[str, Any], str] | None = None
        slot = listing.pages[last]
        for fmt in (wanted, 1 - wanted):
            refs = slot.refs(fmt) or array("q")
            for i in reversed(range(len(refs) // _REF)):
                answer = self._recorded(refs[i * _REF:(i + 1) * _REF])
                if isinstance(answer, Recorded) and answer.status == 200:
                    doc = self._page(answer.body)
                    if doc is not None and self._is_last(doc, last, rest):
                        found = (doc, answer.where)
                    break
            else:
                continue
            break
        with self._lock:
            if listing.ends is None:
                listing.ends = {}
            listing.ends[wanted] = found
        return found

    def _page(self, body: bytes) -> dict[str, Any] | None:
        try:
            if body.lstrip()[:1] == b"<":
                return xml_to_dict(body, self.op.response_shape, root=self.op.op.xml_root)
            doc = json.loads(body)
        except (ValueError, XmlError, RecursionError):
            return None
        return doc if isinstance(doc, dict) else None

    def _is_last(self, doc: Mapping[str, Any], page: int, rest: Mapping[str, str]) -> bool:
        """Whether a recorded page is the list's last: it reaches the total the page states, or (with no total)
        it holds fewer items than a page holds, or none."""
        pg = self.op.pagination
        items = doc.get(pg.items_field)
        count = len(items) if isinstance(items, list) else 0
        size = _whole(doc.get(pg.size_field)) if pg.size_field else None
        if size is None:
            asked = rest.get(pg.size_param)
            size = int(asked) if asked is not None and _INTEGER.match(asked) else pg.default_size
        total = _whole(doc.get(pg.total_field)) if pg.total_field else None
        if count == 0:
            return True
        if size is None:
            return False
        if total is not None:
            return (page - pg.first_page) * size + count >= total
        return count < size

    def _recorded(self, ref: array[int] | tuple[int, ...]) -> Recorded | NoAnswer:
        file_no, line, offset, length = ref
        source = self.files[file_no]
        where = f"{source.shown}:{line}"
        try:
            ex = json.loads(_read(source, offset, length))
            if not isinstance(ex, dict) or ex.get("type") != EXCHANGE:
                raise ValueError("not an exchange")
            response = ex.get("response")
            if response is None:
                return NoAnswer(where)
            status, headers, body = _response(response)
        except (ValueError, _Bad) as exc:
            raise RecordingChanged(f"{where} is no longer the exchange it was at start ({exc}): "
                                   "restart the emulator") from None
        out = [("Content-Type", _content_type(headers.get("content-type"), body))]
        if self.retry_header:
            value = headers.get(self.retry_header.lower())
            if isinstance(value, str) and _HEADER_VALUE.match(value):
                out.append((self.retry_header, value))
        return Recorded(status, out, body, where, None if status == 200 else self._code(body))

    def _code(self, body: bytes) -> str | None:
        """The error code an error body carries (for the log)."""
        service = self.api.ir.service
        try:
            if body.lstrip()[:1] == b"<":
                doc: Any = xml_to_dict(body, self.api.error_shape)
            else:
                doc = json.loads(body)
        except (ValueError, XmlError, RecursionError):
            return None
        code = doc.get(service.error_code_field) if isinstance(doc, dict) else None
        return str(code)[:120] if code is not None else None


@dataclass
class Replays:
    """Every operation's recorded exchanges, from one reading of the recordings."""

    by_action: dict[str, Replay]
    summary: Summary


def index(api: Api, data: DataFiles) -> Replays:
    """Read every recording of `data` once, line by line, and index its exchanges by offset. A line that says
    it is an exchange but is malformed, or is not JSON, refuses the start with its file and line (the first
    MAX_PROBLEMS of them); a last line cut short is passed over."""
    files: list[_File] = []
    retry = api.ir.service.retry.get("retry_after_header")
    replays = {action: Replay(api, op, files, retry if isinstance(retry, str) else None)
               for action, op in api.operations.items()}
    summary = Summary()
    problems: list[str] = []
    more = 0
    for path in data.recordings:
        try:
            fd, info, real = open_inside(path, data.root)
        except Refused as exc:
            problems.append(f"{path}: {exc}")
            continue
        file_no = len(files)
        files.append(_File(str(path), real, info.st_dev, info.st_ino, info.st_size))
        summary.files += 1
        with os.fdopen(fd, "rb", buffering=1 << 20) as fh:
            for no, offset, raw in _lines(fh, info.st_size):
                try:
                    _index_line(replays, summary, raw, (file_no, no, offset, len(raw) if raw else 0))
                except (_Bad, ExchangeError) as exc:
                    if len(problems) < MAX_PROBLEMS:
                        problems.append(f"{path}:{no}: {exc}")
                    else:
                        more += 1
    summary.jobs = sum(len(r.listings) for r in replays.values())
    if problems:
        tail = [f"... and {more:,} more"] if more else []
        raise EmulatorConfigError("unreadable recordings:\n  " + "\n  ".join(problems + tail))
    return Replays({a: r for a, r in replays.items() if r.exchanges}, summary)


def _lines(fh: BinaryIO, size: int) -> Iterator[tuple[int, int, bytes | None]]:
    """(line number, offset, bytes) of each line up to `size` bytes into the file (what it held at start);
    None for a line over MAX_LINE_BYTES, which is skipped without being held."""
    offset = no = 0
    while offset < size:
        raw = fh.readline(min(MAX_LINE_BYTES + 1, size - offset))
        if not raw:
            return
        no += 1
        start = offset
        offset += len(raw)
        if len(raw) > MAX_LINE_BYTES:
            while not raw.endswith(b"\n") and offset < size:
                raw = fh.readline(min(1 << 20, size - offset))
                if not raw:
                    break
                offset += len(raw)
            yield no, start, None
            continue
        yield no, start, raw


def _index_line(replays: dict[str, Replay], summary: Summary, raw: bytes | None,
                ref: tuple[int, int, int, int]) -> None:
    if raw is None:
        raise _Bad(f"the line is longer than {MAX_LINE_BYTES:,} bytes: not read")
    if raw.isspace():
        return
    try:
        ex = json.loads(raw)
    except ValueError as exc:
        if not raw.endswith(b"\n"):
            summary.unfinished += 1  # the last line, written in part
            return
        raise _Bad(f"not JSON: {exc}") from None
    if type(ex) is not dict or ex.get("type") != EXCHANGE:
        summary.documents += 1
        return
    request = read_request(ex)  # its ExchangeError, like _Bad, is a problem of this line
    if request.problems:
        raise _Bad(request.problems[0])
    replay = replays.get(request.action) if request.action is not None else None
    if replay is None:
        summary.other += 1
        return
    response = read_response(ex)
    if response is not None:
        _response(response)
    params = {name: value for name, values in request.params.items() if (value := last(values)) is not None}
    job, page, rest = canonical(replay.op, params)
    if job is None or page is None:
        summary.unusable += 1
        return
    replay.add(job, page, rest, params.get("Format", "").upper() == "XML", ref)
    summary.exchanges += 1


def _response(response: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """A recorded answer's status, headers (lower-case names) and body bytes, as they are sent again."""
    status = response.get("status")
    if type(status) is not int or not 200 <= status <= 599 or status in _NO_BODY_STATUSES:
        raise _Bad(f"its response.status is {a(status)}, not an HTTP status with a body (200 to 599)")
    raw_headers = response.get("headers", {})
    if not isinstance(raw_headers, dict):
        raise _Bad(f"its response.headers is {a(raw_headers)}, not an object")
    headers = {str(k).lower(): v for k, v in raw_headers.items() if isinstance(v, str)}
    body = response.get("body")
    if not isinstance(body, str):
        raise _Bad(f"its response.body is {a(body)}, not a string")
    encoding = response.get("body_encoding")
    if encoding in (None, ""):
        try:
            return status, headers, body.encode("utf-8")
        except UnicodeEncodeError:
            raise _Bad("its response.body holds a lone surrogate: a body that is not UTF-8 text is recorded in "
                       "base64") from None
    if encoding != "base64":
        raise _Bad(f"its response.body_encoding is {str(encoding)[:40]!r}, not base64")
    try:
        data = base64.b64decode(body, validate=True)
    except ValueError as exc:
        raise _Bad(f"its response.body is not valid base64: {exc}") from None
    return status, headers, _decoded(data, headers.get("content-encoding", "").strip().lower())


def _decoded(data: bytes, coding: str) -> bytes:
    """A base64 body as it was before its Content-Encoding."""
    try:
        return undo_content_coding(data, coding, MAX_BODY_BYTES, reader="the emulator")
    except ContentCodingError as exc:
        raise _Bad(f"its response.body {exc}") from None


def _read(source: _File, offset: int, length: int) -> bytes:
    """One indexed line, from the file that was indexed (not one put in its place since)."""
    try:
        fd = os.open(source.real, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc}") from None
    try:
        info = os.fstat(fd)
        if (info.st_dev, info.st_ino) != (source.device, source.inode) or info.st_size < source.size:
            raise ValueError("the file was replaced or cut short")
        data = os.pread(fd, length, offset)
    finally:
        os.close(fd)
    if len(data) != length:
        raise ValueError("the file was cut short")
    return data


def _content_type(recorded: Any, body: bytes) -> str:
    """The recorded Content-Type when it can be sent as it is; else the one the body's first byte tells."""
    if isinstance(recorded, str) and _HEADER_VALUE.match(recorded):
        return recorded
    return "text/xml;charset=utf-8" if body.lstrip()[:1] == b"<" else "application/json;charset=utf-8"


def _whole(value: Any) -> int | None:
    return value if type(value) is int else None


def _pages(pages: Mapping[int, Any]) -> str:
    """Page numbers as ranges: 1-3, 5."""
    numbers = sorted(pages)
    runs: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        runs.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    shown = ", ".join(runs[:10]) + (f", and {len(runs) - 10:,} more runs" if len(runs) > 10 else "")
    return ("page " if len(numbers) == 1 else "pages ") + shown


def _recorded_for(job: str, rest: Key, recorded: list[Key]) -> str:
    """Why no list of a recorded job answers: the parameters each recorded list differs in."""
    mine = dict(rest)
    ways = []
    for key in recorded[:5]:
        theirs = dict(key)
        names = sorted(mine.keys() | theirs.keys(), key=lambda n: [*theirs, *mine].index(n))
        ways.append(", ".join(f"{n} {theirs[n]!r}" if n in theirs else f"no {n}"
                              for n in names if mine.get(n) != theirs.get(n)))
    more = f"; and {len(recorded) - 5} other ways" if len(recorded) > 5 else ""
    return f"job {job!r} is recorded only for " + "; ".join(ways) + more
