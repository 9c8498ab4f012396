"""Checking what inputs hold: JSON, JSON Lines (bodies, or a recording's exchanges), XML, HAR and standard
input, each document with the generated validators and each recorded request with the operation's
parameters. Every bad input is a finding for its file and the run goes on; nothing here raises to the user."""

from __future__ import annotations

import base64
import codecs
import json
import os
import re
import sys
from collections.abc import Iterator
from typing import Any, BinaryIO

from ...recordings import ExchangeError, a, clip, read_request, read_response
from . import har as harfile
from . import reading
from .findings import HINTS, FileReport, Finding, escape, finding, locate, seen_text, unescape
from .package import Package
from .reading import Unreadable, bom_warning, decode
from .requests import RequestChecker

EXCHANGE = "exchange"  # the `type` of a recording's line (docs/validating.md, "Recordings")
_REREAD_BYTES = 16 * 1024 * 1024  # a HAR file up to this size that is not JSON is read again for json's message


class Checker:
    """Validates what inputs hold. `action` (default: the package's first operation) is the operation whose
    responses plain JSON documents are; HAR entries, exchanges and XML root elements name their own."""

    def __init__(self, package: Package, strict: bool, action: str | None = None) -> None:
        if action is not None and action not in package.operations:
            raise LookupError(f"unknown action {action!r}: {package.name} has {', '.join(package.operations)}")
        self.pkg = package
        self.strict = strict
        self.only = action  # given explicitly: HAR entries and exchanges of other actions are skipped
        self.action = action or package.action
        self.wanted = {action} if action else set(package.operations)
        self.requests = RequestChecker(package.parameters, strict) if package.parameters is not None else None

    # ------------------------------------------------------------ one document
    def document(self, report: FileReport, file: str, doc: Any, *, line: int | None = None,
                 entry: int | None = None, kind: str | None = None, action: str | None = None,
                 repeated: list[str] | tuple[str, ...] = ()) -> None:
        """Validate one document as the response of `action` (default: the checker's), or as an error body
        when it is one; its findings go to `report`."""
        if kind is None:
            kind = "error" if self.pkg.is_error_body(doc) else "response"
        action = action or self.action
        report.kinds[(kind, action)] = report.kinds.get((kind, action), 0) + 1
        validate = (self.pkg.validators.validate_error if kind == "error" else self.pkg.response_validator(action))
        severity = "error" if self.strict else "warning"
        found = report.findings
        for at in repeated:
            found.append(finding(file, "duplicate", f"the key {unescape(at.rsplit('/', 1)[1])!r} appears more "
                                 "than once in its object; the last value was kept", severity=severity, path=at,
                                 line=line, entry=entry, document=kind, action=action, **_where(doc, at)))
        try:
            issues = validate(doc, strict=self.strict)
        except RecursionError:
            found.append(finding(file, "parse", "document nested too deep to validate", line=line, entry=entry,
                                 document=kind, action=action))
            return
        for i in issues:
            found.append(Finding(file, i.severity, i.keyword, i.path, i.message, i.expected, i.found, line, entry,
                                 kind, HINTS.get(i.keyword, ""), action=action,
                                 **_where(doc, i.path, i.keyword, i.expected)))

    def body(self, report: FileReport, file: str, text: str, *, action: str, line: int | None = None,
             entry: int | None = None) -> None:
        """A recorded response body (HAR entry, exchange): XML or JSON, the operation's answer or an error."""
        report.documents += 1
        if text.lstrip().startswith("<"):
            self.xml(report, file, text, entry=entry, line=line)
            return
        try:
            doc, repeated = loads(text)
        except (ValueError, RecursionError) as exc:
            report.findings.append(json_error(file, exc, entry=entry, line=line, body=True))
            return
        self.document(report, file, doc, line=line, entry=entry, action=action, repeated=repeated)

    # ------------------------------------------------------------ whole inputs
    def file(self, file: str) -> FileReport:
        """Everything one input holds (a JSON Lines file as its only part)."""
        if file == "-":
            return self.stdin()
        kind = reading.suffix(file)
        if kind in reading.LINE_SUFFIXES:
            return self.part(file, 0, None)
        if kind == ".har":
            return self.har(file)
        report = FileReport(file, 0, [])
        try:
            data = reading.read_input(file)
        except Unreadable as exc:
            report.findings.append(finding(file, "input", str(exc)))
            return report
        text = decode(file, data, report.findings)
        if text is not None:
            if kind == ".xml":
                self.xml(report, file, text)
            else:
                self.json(report, file, text)
        return report

    def json(self, report: FileReport, file: str, text: str) -> None:
        report.documents += 1
        try:
            doc, repeated = loads(text)
        except (ValueError, RecursionError) as exc:
            report.findings.append(json_error(file, exc))
            return
        self.document(report, file, doc, repeated=repeated)

    def xml(self, report: FileReport, file: str, text: str, entry: int | None = None,
            line: int | None = None) -> None:
        """An XML answer: the operation its root element names, or the error body; any other root is an
        error (an HTML page saved as .xml is not an answer of this API)."""
        if entry is None and line is None:
            report.documents += 1
        root = self.pkg.core.root_name(as_utf8_xml(text[:4096]))  # the runtime's reading, as the client's
        if root == self.pkg.error_root:
            kind, action, shape = "error", self.action, self.pkg.error_shape
        elif root in self.pkg.action_of_root:
            action = self.pkg.action_of_root[root]
            kind, shape = "response", self.pkg.operations[action]["response_shape"]
        else:
            roots = ", ".join(f"<{r}>" for r in [*self.pkg.action_of_root, self.pkg.error_root])
            found = f"<{root}>" if root else "missing"
            report.findings.append(finding(file, "root", f"the root element is {found}, none of {roots}: not "
                                           "an answer of this API", entry=entry, line=line, document="unknown"))
            return
        core = self.pkg.core
        try:
            doc = core.xml_to_dict(as_utf8_xml(text), shape, root=root)
        except core.XmlError as exc:
            report.findings.append(finding(file, "parse", f"not usable XML: {exc}", entry=entry, line=line,
                                           document=kind))
            return
        self.document(report, file, doc, entry=entry, line=line, kind=kind, action=action)

    # ------------------------------------------------------------ JSON Lines
    def part(self, file: str, start: int, end: int | None, part: int = 0) -> FileReport:
        """The lines that start in [start, end) of a JSON Lines file (end None: to its end). Line numbers
        count from the part's first line; `lines` says how many it read."""
        report = FileReport(file, 0, [], part=part)
        try:
            fh = reading.open_regular(file)
        except Unreadable as exc:
            report.findings.append(finding(file, "input", str(exc)))
            return report
        with fh:
            size = os.fstat(fh.fileno()).st_size
            stop = size if end is None else end
            try:
                at_line_start = start == 0
                if start == 0:
                    head = fh.read(4)
                    if reading.is_wide(head):  # UTF-16/32: its lines cannot be split as bytes; read whole
                        fh.seek(0)
                        self._wide_lines(report, file, fh, size)
                        return report
                    if head.startswith(codecs.BOM_UTF8):
                        report.findings.append(bom_warning(file, "UTF-8"))
                        start = len(codecs.BOM_UTF8)
                self._lines(report, file, reading.lines_of(fh, start, stop, at_line_start=at_line_start))
            except OSError as exc:
                report.findings.append(finding(file, "input", f"cannot read: {exc.strerror or exc}"))
        return report

    def _wide_lines(self, report: FileReport, file: str, fh: BinaryIO, size: int) -> None:
        if size > reading.MAX_BYTES:
            report.findings.append(finding(file, "input", f"{size:,} bytes of UTF-16 or UTF-32, over the "
                                           f"{reading.MAX_BYTES:,}-byte limit for text read whole: not checked"))
            return
        text = decode(file, reading.read_bounded(fh, first=size + 1), report.findings)
        if text is not None:
            self._lines(report, file, (line.encode("utf-8") + b"\n" for line in text.split("\n")))

    def _lines(self, report: FileReport, file: str, lines: Any) -> None:
        no = 0
        for raw in lines:
            no += 1
            if type(raw) is int:
                report.documents += 1
                report.findings.append(finding(file, "input", f"the line is {raw:,} bytes, over the "
                                               f"{reading.MAX_BYTES:,}-byte limit: not checked", line=no))
                continue
            if raw.isspace():
                continue
            self.line(report, file, raw, no)
        report.lines = no

    def line(self, report: FileReport, file: str, raw: bytes, no: int) -> None:
        """One line of JSON Lines: a document, or an exchange of a recording."""
        try:
            text = (raw[:-1] if raw.endswith(b"\n") else raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            report.documents += 1
            report.findings.append(finding(file, "input", f"the line is not UTF-8: byte 0x{raw[exc.start]:02x} "
                                           f"at column {exc.start + 1}", line=no))
            return
        try:
            doc, repeated = loads(text)
        except (ValueError, RecursionError) as exc:
            report.documents += 1
            report.findings.append(json_error(file, exc, line=no))
            return
        if type(doc) is dict and doc.get("type") == EXCHANGE:
            self.exchange(report, file, doc, no)
        else:
            report.documents += 1
            self.document(report, file, doc, line=no, repeated=repeated)

    def stdin(self) -> FileReport:
        """Standard input: JSON Lines (told by a first line that is a document of its own, with another line
        after it) streamed a line at a time; anything else (JSON, XML, UTF-16/32) read whole, up to MAX_BYTES."""
        report = FileReport("-", 0, [])
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:
            report.findings.append(finding("-", "input", "no standard input to read"))
            return report
        try:
            lines, taken = _stdin_lines(stream)
            if lines is not None:
                self._lines(report, "-", lines)
                return report
            data = taken + reading.read_bounded(stream, limit=reading.MAX_BYTES - len(taken))
        except Unreadable as exc:
            report.findings.append(finding("-", "input", str(exc)))
            return report
        except OSError as exc:
            report.findings.append(finding("-", "input", f"cannot read: {exc.strerror or exc}"))
            return report
        text = decode("-", data, report.findings)
        if text is not None:
            if text.lstrip().startswith("<"):
                self.xml(report, "-", text)
            else:
                self.json(report, "-", text)
        return report

    # ------------------------------------------------------------ recordings
    def exchange(self, report: FileReport, file: str, ex: dict[str, Any], no: int) -> None:
        """One exchange of a recording (docs/validating.md, "Recordings"): its request's parameters against
        the operation's, its response body against the operation's answer or the error body."""
        def bad(message: str) -> None:
            report.findings.append(finding(file, "exchange", message, line=no, document="unknown"))

        try:
            request = read_request(ex)
        except ExchangeError as exc:
            return bad(str(exc))
        for problem in request.problems:
            bad(problem)
        action = request.action
        if action not in self.wanted:
            report.skipped += 1
            return None
        assert isinstance(action, str)
        if self.requests is not None:
            report.requests += 1
            report.kinds[("request", action)] = report.kinds.get(("request", action), 0) + 1
            report.findings.extend(self.requests.check(file, action, request.params, line=no))
        try:
            response = read_response(ex)
        except ExchangeError as exc:
            return bad(str(exc))
        if response is None:
            return None  # the call failed before an answer: only its request to check
        body = response.get("body")
        if body is None:
            report.findings.append(finding(file, "input", "the exchange has no response body recorded", line=no))
            return None
        if not isinstance(body, str):
            return bad(f"its response.body is {a(body)}, not a string")
        encoding = response.get("body_encoding")
        if encoding not in (None, ""):
            if encoding != "base64":
                return bad(f"its response.body_encoding is {clip(encoding)}, not base64")
            headers = response.get("headers")
            coding = ""
            if isinstance(headers, dict):
                coding = next((str(v) for k, v in headers.items() if str(k).lower() == "content-encoding"), "")
            text = self._bytes_body(report, file, body, coding.strip().lower(), line=no)
            if text is None:
                return None
            body = text
        self.body(report, file, body, action=action, line=no)
        return None

    def _bytes_body(self, report: FileReport, file: str, body: str, coding: str, *, line: int | None = None,
                    entry: int | None = None) -> str | None:
        """A base64 body as text: decoded, decompressed, read as UTF-8 (or UTF-16/32 behind a mark)."""
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError as exc:
            report.findings.append(finding(file, "input", f"the response body is not valid base64: {exc}",
                                           line=line, entry=entry))
            return None
        try:
            data = harfile.decompressed(data, coding)
        except Unreadable as exc:
            report.findings.append(finding(file, "input", f"the response body {exc}", line=line, entry=entry))
            return None
        return decode(file, data, report.findings, entry=entry, line=line, what="the response body")

    # ------------------------------------------------------------ HAR
    def har(self, file: str) -> FileReport:
        """The entries whose request calls an operation of the package (or --action's), streamed one at a
        time; a malformed entry is a finding for its index, and the other entries are still checked."""
        report = FileReport(file, 0, [])
        try:
            fh = reading.open_regular(file)
        except Unreadable as exc:
            report.findings.append(finding(file, "input", str(exc)))
            return report
        count = entries = 0
        with fh:
            head = fh.read(4)
            fh.seek(0)
            if reading.is_wide(head):
                return self._har_text(report, file, fh)
            if head.startswith(codecs.BOM_UTF8):
                report.findings.append(bom_warning(file, "UTF-8"))
                fh.seek(len(codecs.BOM_UTF8))
            try:
                for entry in harfile.entries(fh):
                    count += self._entry(report, file, entries, entry)
                    entries += 1
            except harfile.NotHar:
                report.findings.append(finding(file, "parse", "not a HAR file: no log.entries list in it"))
                return report
            except harfile.EntryTooLarge:
                report.findings.append(finding(file, "input", f"an entry holds more than the "
                                               f"{reading.MAX_BYTES:,}-byte limit: it and the rest of the file "
                                               "are not checked", entry=entries))
                return report
            except harfile.HarSyntax as exc:
                report.findings.append(self._har_syntax(file, fh, str(exc)))
                return report
            except OSError as exc:
                report.findings.append(finding(file, "input", f"cannot read: {exc.strerror or exc}"))
                return report
        self._har_empty(report, count, entries)
        return report

    def _har_syntax(self, file: str, fh: BinaryIO, message: str) -> Finding:
        """Where a HAR file stops being JSON: said as json does (line and column) when the file is small
        enough to read again whole, else as the streaming parser said it."""
        size = os.fstat(fh.fileno()).st_size
        if size <= min(reading.MAX_BYTES, _REREAD_BYTES):
            fh.seek(0)
            found: list[Finding] = []
            text = decode(file, reading.read_bounded(fh, first=size + 1), found)
            if text is None:
                return found[-1]
            try:
                json.loads(text)
            except (ValueError, RecursionError) as exc:
                return json_error(file, exc)
        return finding(file, "parse", f"not valid JSON: {message}")

    def _har_text(self, report: FileReport, file: str, fh: BinaryIO) -> FileReport:
        """A HAR file in UTF-16/32: read whole (up to MAX_BYTES), then its entries."""
        try:
            data = reading.read_bounded(fh)
        except Unreadable as exc:
            report.findings.append(finding(file, "input", str(exc)))
            return report
        text = decode(file, data, report.findings)
        if text is None:
            return report
        try:
            har = json.loads(text)
        except (ValueError, RecursionError) as exc:
            report.findings.append(json_error(file, exc))
            return report
        log = har.get("log") if isinstance(har, dict) else None
        entries = log.get("entries") if isinstance(log, dict) else None
        if not isinstance(entries, list):
            report.findings.append(finding(file, "parse", "not a HAR file: no log.entries list in it"))
            return report
        count = sum(self._entry(report, file, index, entry) for index, entry in enumerate(entries))
        self._har_empty(report, count, len(entries))
        return report

    def _har_empty(self, report: FileReport, count: int, total: int) -> None:
        if count == 0:
            called = " or ".join(sorted(self.wanted))
            report.empty_reason = ("the HAR file has no entries" if not total else
                                   f"its only entry does not call {called}" if total == 1 else
                                   f"none of its {total} entries calls {called}")

    def _entry(self, report: FileReport, file: str, index: int, entry: Any) -> int:
        """One HAR entry: 1 when it calls an operation checked here (whatever its state), else 0."""
        findings = report.findings
        if not isinstance(entry, dict):
            findings.append(finding(file, "entry", f"the entry is {a(entry)}, not an object", entry=index))
            return 1
        request = entry.get("request")
        if not isinstance(request, dict):
            findings.append(finding(file, "entry", f"its request is {a(request)}, not an object", entry=index))
            return 1
        action = harfile.entry_action(request)
        if action not in self.wanted:
            report.skipped += 1
            return 0  # another API's traffic recorded alongside
        assert action is not None
        if self.requests is not None:
            params, problems = harfile.request_params(request)
            for problem in problems:
                findings.append(finding(file, "entry", f"its request has {problem}", entry=index))
            report.requests += 1
            report.kinds[("request", action)] = report.kinds.get(("request", action), 0) + 1
            findings.extend(self.requests.check(file, action, params, entry=index))
        text = self._har_body(report, file, entry, index)
        if text is None:
            return 1
        self.body(report, file, text, action=action, entry=index)
        return 1

    def _har_body(self, report: FileReport, file: str, entry: dict[str, Any], index: int) -> str | None:
        """The response body of a HAR entry as text: base64 decoded, decompressed when compressed; None
        (with a finding) when it is not there or not readable."""
        findings = report.findings
        response = entry.get("response")
        if not isinstance(response, dict):
            findings.append(finding(file, "entry", f"its response is {a(response)}, not an object", entry=index))
            return None
        content = response.get("content")
        if content is None or (isinstance(content, dict) and content.get("text") is None):
            findings.append(finding(file, "input", "the entry has no response body recorded", entry=index))
            return None
        if not isinstance(content, dict):
            findings.append(finding(file, "entry", f"its response.content is {a(content)}, not an object",
                                    entry=index))
            return None
        body = content["text"]
        if not isinstance(body, str):
            findings.append(finding(file, "entry", f"its response.content.text is {a(body)}, not a string",
                                    entry=index))
            return None
        encoding = content.get("encoding")
        if encoding in (None, ""):
            return body
        if encoding != "base64":
            findings.append(finding(file, "entry", f"its response.content.encoding is {clip(encoding)}, not "
                                    "base64", entry=index))
            return None
        return self._bytes_body(report, file, body, harfile.header(response, "content-encoding").lower(),
                                entry=index)


# ---------------------------------------------------------------- standard input
def _stdin_lines(stream: BinaryIO) -> tuple[Iterator[bytes | int] | None, bytes]:
    """Standard input's lines when it is JSON Lines (its first line a document, and another line after
    it), else None and the bytes read so far (the start of what is read whole)."""
    first = stream.readline(reading.MAX_BYTES + 1)
    if len(first) > reading.MAX_BYTES:
        raise Unreadable(f"more than the {reading.MAX_BYTES:,}-byte limit: not checked")
    if len(first) < 4 or reading.is_wide(first) or first.startswith(codecs.BOM_UTF8):
        return None, first
    try:
        loads(first.decode("utf-8"))
    except (ValueError, RecursionError):
        return None, first
    taken = [first]
    while True:
        following = stream.readline(reading.MAX_BYTES + 1)
        if not following:
            return None, b"".join(taken)  # one document, maybe with blank lines after it
        taken.append(following)
        if not following.isspace():
            return _chain(taken, reading.lines_of(stream, 0, sys.maxsize, at_line_start=True,
                                                  seekable=False)), b""


def _chain(taken: list[bytes], rest: Iterator[bytes | int]) -> Iterator[bytes | int]:
    for line in taken:
        yield line if len(line) <= reading.MAX_BYTES else len(line)
    yield from rest


# ---------------------------------------------------------------- JSON
def loads(text: str) -> tuple[Any, list[str]]:
    """The document, and the JSON Pointers of keys that appear more than once in their object (the last
    value is the one kept, as everywhere in Python)."""
    repeated: dict[int, list[str]] = {}
    alive: list[dict[str, Any]] = []  # an object later overwritten by a repeated key must keep its id unshared

    def pairs_hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        obj = dict(pairs)
        if len(obj) != len(pairs):
            counts: dict[str, int] = {}
            for key, _ in pairs:
                counts[key] = counts.get(key, 0) + 1
            repeated[id(obj)] = [key for key, n in counts.items() if n > 1]
            alive.append(obj)
        return obj

    doc = json.loads(text, object_pairs_hook=pairs_hook)
    return doc, (_pointers_of(doc, repeated) if repeated else [])


def _pointers_of(doc: Any, repeated: dict[int, list[str]]) -> list[str]:
    found: list[str] = []
    stack: list[tuple[Any, str]] = [(doc, "")]
    while stack:  # iterative: the document may be as deep as the JSON parser allowed
        node, at = stack.pop()
        if isinstance(node, dict):
            found += [f"{at}/{escape(k)}" for k in repeated.get(id(node), ())]
            stack += [(v, f"{at}/{escape(k)}") for k, v in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(v, f"{at}/{i}") for i, v in reversed(list(enumerate(node)))]
    return found


def json_error(file: str, exc: Exception, *, line: int | None = None, entry: int | None = None,
               body: bool = False) -> Finding:
    """A document that is not JSON. Where: the line of the file (JSON), the line (JSON Lines: the column
    alone is news), or the entry or line of a recorded body (the position is inside the body)."""
    if isinstance(exc, RecursionError):
        return finding(file, "parse", "JSON nested too deep to read safely", line=line, entry=entry)
    if not isinstance(exc, json.JSONDecodeError):
        return finding(file, "parse", f"not valid JSON: {exc}", line=line, entry=entry)
    if entry is not None or body:
        where = f"line {exc.lineno}, column {exc.colno} of the response body"
    elif line is not None:
        where = f"column {exc.colno}"
    else:
        where, line = f"line {exc.lineno}, column {exc.colno}", exc.lineno
    joint = " " if exc.msg.endswith(" at") else " at "  # "Unterminated string starting at": no "at at"
    return finding(file, "parse", f"not valid JSON: {exc.msg}{joint}{where}", line=line, entry=entry)


_REQUIRED = re.compile(r'property (".*")')


def _where(doc: Any, path: str, keyword: str = "", expected: str = "") -> dict[str, str]:
    """A finding's schema location and what was seen there (nothing, for a missing field)."""
    location, value = locate(doc, path)
    if keyword == "required":
        named = _REQUIRED.fullmatch(expected)
        if named and not named.group(1).endswith('..."'):
            location += "/" + escape(json.loads(named.group(1)))
        return {"location": location, "seen": ""}
    return {"location": location, "seen": seen_text(value)}


# ---------------------------------------------------------------- XML
_WIDE_DECLARATION = re.compile(r"""(<\?xml[^>]*?encoding\s*=\s*)(["'])utf-?(?:16|32)[^"']*\2""", re.IGNORECASE)


def as_utf8_xml(text: str) -> bytes:
    """XML text as UTF-8 bytes; a UTF-16/32 declaration (the text was decoded from it) now says UTF-8."""
    return _WIDE_DECLARATION.sub(r"\1\2UTF-8\2", text, count=1).encode("utf-8")
