"""`validate`: check recorded traffic (files, folders, JSON Lines, XML, HAR, stdin) against the generated validators.

Every bad input is a finding for its file and the run goes on; nothing here raises to the user.
This module imports no third-party package, so validating is fast to start.
"""

from __future__ import annotations

import base64
import codecs
import importlib
import json
import os
import re
import stat
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, BinaryIO, TextIO

SUFFIXES = (".json", ".jsonl", ".ndjson", ".xml", ".har")
MAX_BYTES = 256 * 1024 * 1024  # an input (file, standard input, decompressed HAR body) larger than this is a finding
_CHUNK = 1 << 20  # reads in pieces, so Ctrl-C is honoured and the bound is checked as the input grows
HINTS = {
    "type": "the spec gives this field another type; if the service now sends this, change the spec's type",
    "enum": "not a documented value; lenient mode (the default) keeps it as a warning, strict rejects it",
    "additionalProperties": "a field the spec does not know; if the service sends it now, add it to the spec",
    "required": "a field the spec requires is missing",
    "parse": "the document could not be read as the format its name says",
    "input": "the input could not be read",
    "encoding": "documents of this API are UTF-8 without a byte order mark (RFC 8259 for JSON); read anyway",
    "duplicate": "JSON parsers disagree on which of the values counts (this check, like Python, keeps the "
                 "last); lenient mode keeps it as a warning, strict rejects it",
    "root": "an XML answer of this API has an operation's response or the error body as its root element; this "
            "may be an HTML page saved as .xml, or another API's answer",
    "entry": "the HAR entry is not shaped as HAR 1.2 says (request and response objects, response.content "
             "with a text)",
    "empty": "a gate that checked nothing must not pass: point validate at the recordings, or pass "
             "--allow-empty where nothing to check is fine",
}


@dataclass(frozen=True)
class Finding:
    file: str
    severity: str  # error | warning
    keyword: str
    path: str  # JSON Pointer inside the document
    message: str
    expected: str = ""
    found: str = ""
    line: int | None = None  # JSON Lines: the line; a JSON file with a syntax error: where it is
    entry: int | None = None  # HAR: the entry index (never a line: a HAR body is not the file's text)
    document: str = "response"  # response | error | unknown
    hint: str = ""


@dataclass
class FileReport:
    file: str
    documents: int
    findings: list[Finding]
    empty_reason: str = ""  # why nothing in it was checked, when `documents` is 0
    counted: bool = True  # False for a finding about a PATH as a whole (an empty folder): not a file


class Package:
    """The generated package whose validators and schema shapes are used."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.module: ModuleType = importlib.import_module(name)
        self.validators: ModuleType = importlib.import_module(name + ".validators")
        spec = importlib.import_module(name + "._spec")
        self.action: str = spec.ACTION  # what a document is taken for when nothing says otherwise
        self.operations: dict[str, dict[str, Any]] = dict(spec.OPERATIONS)
        self.action_of_root = {op["response_root"]: action for action, op in self.operations.items()}
        self.error_root: str = spec.ERROR_ROOT
        self.error_shape: Any = spec.ERROR_SHAPE
        self.error_only_keys: frozenset[str] = frozenset(spec.ERROR_ONLY_KEYS)
        self.error_keys: frozenset[str] = frozenset(spec.ERROR_KEYS)

    @property
    def core(self) -> ModuleType:
        # Only XML needs the runtime's XML reader; JSON validation stays light to start.
        return importlib.import_module(self.name + "._xml")

    def response_validator(self, action: str) -> Callable[..., list[Any]]:
        validate: Callable[..., list[Any]] = getattr(self.validators, self.operations[action]["validator"])
        return validate

    def is_error_body(self, doc: Any) -> bool:
        # An error body has only error keys and at least one that no response has.
        return isinstance(doc, dict) and bool(doc) and doc.keys() <= self.error_keys and bool(
            doc.keys() & self.error_only_keys)


def find_package(explicit: str | None, option: str = "--package") -> str:
    """`explicit` (given as `option`), else the one package in generated/ beside this toolkit, else the
    installed one.

    LookupError, naming what is wrong, unless the name is an importable generated package (one with `_spec`).
    """
    name = explicit or _default_package(option)
    what = f"{option} {name}" if explicit else f"the generated package {name}"
    if not all(part.isidentifier() for part in name.split(".")):
        raise LookupError(f"{what}: not a Python package name")
    try:
        importlib.import_module(name + "._spec")
    except ModuleNotFoundError as exc:
        if exc.name == name + "._spec":
            raise LookupError(f"{what}: not a generated package (it has no _spec module)") from None
        if exc.name is not None and (name + ".").startswith(exc.name + "."):
            raise LookupError(f"{what}: no package of that name can be imported") from None
        raise LookupError(f"{what}: importing it failed: {exc}") from None
    except Exception as exc:  # a package of the user's that fails on import: its error, in one line
        raise LookupError(f"{what}: importing it failed: {type(exc).__name__}: {exc}") from None
    return name


def _default_package(option: str) -> str:
    generated = Path(__file__).resolve().parent.parent / "generated"
    found = sorted(p.parent.name for p in generated.glob("*/_spec.py")) if generated.is_dir() else []
    if len(found) == 1:
        if str(generated) not in sys.path:
            sys.path.insert(0, str(generated))
        return found[0]
    from importlib.metadata import entry_points

    names = sorted({ep.value for ep in entry_points(group="spec_toolkit.packages")})
    if len(names) == 1:
        return names[0]
    raise LookupError(f"cannot tell which generated package to use: pass {option} NAME")


# ---------------------------------------------------------------- reading inputs
class _Unreadable(Exception):
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
        yield FileReport(where, 0, [_finding(where, "input", f"cannot list the folder: {exc.strerror or exc}")])


_NOT_REGULAR = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
                (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _NOT_REGULAR if test(mode)), "not a regular file")


def _read_bounded(stream: BinaryIO, first: int = _CHUNK) -> bytes:
    """Everything `stream` holds, in pieces (`first` bytes, then _CHUNK at a time), up to MAX_BYTES."""
    chunks: list[bytes] = []
    total = 0
    size = first
    while True:
        chunk = stream.read(min(size, MAX_BYTES + 1 - total))
        size = _CHUNK
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_BYTES:
            raise _Unreadable(f"more than the {MAX_BYTES:,}-byte limit: not checked")


def read_input(file: str) -> bytes:
    """The bytes of a file or of standard input ("-"), bounded by MAX_BYTES either way; _Unreadable for a
    missing or unreadable file, one that is not a regular file (a FIFO would block, a device never ends),
    or one too large."""
    if file == "-":
        stdin = getattr(sys.stdin, "buffer", None)
        if stdin is None:
            raise _Unreadable("no standard input to read")
        return _read_bounded(stdin)
    try:
        kind = _not_regular(os.stat(file).st_mode)
        if kind:
            raise _Unreadable(f"{kind}, not a regular file: not read")
        # O_NONBLOCK: should the file be swapped for a FIFO after the check, opening it does not hang.
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            info = os.fstat(fh.fileno())
            kind = _not_regular(info.st_mode)
            if kind:
                raise _Unreadable(f"{kind}, not a regular file: not read")
            if info.st_size > MAX_BYTES:
                raise _Unreadable(f"{info.st_size:,} bytes, over the {MAX_BYTES:,}-byte limit: not checked")
            return _read_bounded(fh, first=info.st_size + 1)  # its size is known: one read, no copies
    except OSError as exc:
        raise _Unreadable(f"cannot read: {exc.strerror or exc}") from None


def _finding(file: str, keyword: str, message: str, *, severity: str = "error", **kw: Any) -> Finding:
    return Finding(file, severity, keyword, kw.pop("path", ""), message, hint=HINTS.get(keyword, ""), **kw)


# Byte order marks, longest first: UTF-32 LE starts with UTF-16 LE's mark.
_BOMS = ((codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 (big-endian)"),
         (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 (little-endian)"),
         (codecs.BOM_UTF8, "utf-8", "UTF-8"),
         (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 (big-endian)"),
         (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 (little-endian)"))


_WIDE_PATTERNS = {  # where a wide encoding puts the zero bytes of an ASCII first character
    (True, True, True, False): "UTF-32 (big-endian)", (False, True, True, True): "UTF-32 (little-endian)",
    (True, False, True, False): "UTF-16 (big-endian)", (False, True, False, True): "UTF-16 (little-endian)",
}


def _wide_without_bom(data: bytes) -> str | None:
    """UTF-16 or UTF-32 text with no mark, told by where the zero bytes of its first characters are."""
    if len(data) < 4 or b"\x00" not in data[:4]:
        return None
    return _WIDE_PATTERNS.get((data[0] == 0, data[1] == 0, data[2] == 0, data[3] == 0))


def decode(file: str, data: bytes, findings: list[Finding], entry: int | None = None) -> str | None:
    """The text of an input: UTF-8, or UTF-16/32 behind a byte order mark (read, with a warning saying
    so); None, with the reason in `findings`, when there is nothing to read or the encoding is unknown."""
    what = "the response body" if entry is not None else "standard input" if file == "-" else "the file"
    for bom, codec, name in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom):].decode(codec)
            except UnicodeDecodeError as exc:
                findings.append(_finding(file, "input", f"{what} starts with a {name} byte order mark but is not "
                                         f"{name}: {exc.reason} at offset {exc.start + len(bom)}", entry=entry))
                return None
            plain = "a byte order mark" if codec == "utf-8" else "a byte order mark, not UTF-8"
            findings.append(_finding(file, "encoding", f"{what} is {name} with {plain}; read as {name}",
                                     severity="warning", entry=entry))
            break
    else:
        wide = _wide_without_bom(data)
        if wide:
            findings.append(_finding(file, "input", f"{what} looks like {wide} without a byte order mark, not "
                                     "UTF-8: not read", entry=entry))
            return None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            findings.append(_finding(file, "input", f"{what} is not UTF-8: byte 0x{data[exc.start]:02x} at offset "
                                     f"{exc.start}", entry=entry))
            return None
    if not text.strip():
        findings.append(_finding(file, "input", f"{what} is empty: no document in it", entry=entry))
        return None
    return text


def _loads(text: str) -> tuple[Any, list[str]]:
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
            found += [f"{at}/{_escape(k)}" for k in repeated.get(id(node), ())]
            stack += [(v, f"{at}/{_escape(k)}") for k, v in reversed(node.items())]
        elif isinstance(node, list):
            stack += [(v, f"{at}/{i}") for i, v in reversed(list(enumerate(node)))]
    return found


def _escape(key: str) -> str:
    return key.replace("~", "~0").replace("/", "~1")


def _json_error(file: str, exc: Exception, *, line: int | None = None, entry: int | None = None) -> Finding:
    """A document that is not JSON. Where: the line of the file (JSON), the line (JSON Lines: the column
    alone is news), or the entry (HAR: the position is inside the response body)."""
    if isinstance(exc, RecursionError):
        return _finding(file, "parse", "JSON nested too deep to read safely", line=line, entry=entry)
    if not isinstance(exc, json.JSONDecodeError):
        return _finding(file, "parse", f"not valid JSON: {exc}", line=line, entry=entry)
    if entry is not None:
        where = f"line {exc.lineno}, column {exc.colno} of the response body"
    elif line is not None:
        where = f"column {exc.colno}"
    else:
        where, line = f"line {exc.lineno}, column {exc.colno}", exc.lineno
    joint = " " if exc.msg.endswith(" at") else " at "  # "Unterminated string starting at": no "at at"
    return _finding(file, "parse", f"not valid JSON: {exc.msg}{joint}{where}", line=line, entry=entry)


def _a(value: Any) -> str:
    """What a JSON value is, for a message: 'a string', 'a list', 'null'."""
    if value is None:
        return "null"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", int: "a number",
             float: "a number"}
    return names.get(type(value), type(value).__name__)


class Checker:
    """Validates what files hold. `action` (default: the package's first operation) is the operation whose
    responses plain JSON documents are; HAR entries and XML root elements name their own."""

    def __init__(self, package: Package, strict: bool, action: str | None = None) -> None:
        if action is not None and action not in package.operations:
            raise LookupError(f"unknown action {action!r}: {package.name} has {', '.join(package.operations)}")
        self.pkg = package
        self.strict = strict
        self.only = action  # given explicitly: HAR entries of other actions are skipped
        self.action = action or package.action

    def document(self, file: str, doc: Any, *, line: int | None = None, entry: int | None = None,
                 kind: str | None = None, action: str | None = None,
                 repeated: Iterable[str] = ()) -> list[Finding]:
        if kind is None:
            kind = "error" if self.pkg.is_error_body(doc) else "response"
        validate = (self.pkg.validators.validate_error if kind == "error"
                    else self.pkg.response_validator(action or self.action))
        severity = "error" if self.strict else "warning"
        found = [_finding(file, "duplicate", f"the key {_unescape(at.rsplit('/', 1)[1])!r} appears more than "
                          "once in its object; the last value was kept", severity=severity, path=at, line=line,
                          entry=entry, document=kind) for at in repeated]
        try:
            issues = validate(doc, strict=self.strict)
        except RecursionError:
            return [*found, _finding(file, "parse", "document nested too deep to validate", line=line,
                                     entry=entry, document=kind)]
        return found + [
            Finding(file, i.severity, i.keyword, i.path, i.message, i.expected, i.found, line, entry, kind,
                    HINTS.get(i.keyword, ""))
            for i in issues
        ]

    def file(self, file: str) -> FileReport:
        report = FileReport(file, 0, [])
        try:
            data = read_input(file)
        except _Unreadable as exc:
            report.findings.append(_finding(file, "input", str(exc)))
            return report
        text = decode(file, data, report.findings)
        if text is None:
            return report
        suffix = Path(file).suffix.lower() if file != "-" else (".xml" if text.lstrip()[:1] == "<" else ".json")
        reader = {".xml": self.xml, ".jsonl": self.jsonl, ".ndjson": self.jsonl, ".har": self.har}.get(suffix,
                                                                                                       self.json)
        report.documents = reader(file, text, report)
        return report

    def json(self, file: str, text: str, report: FileReport) -> int:
        try:
            doc, repeated = _loads(text)
        except (ValueError, RecursionError) as exc:
            if file == "-" and _is_json_lines(text):  # standard input has no name to tell JSON Lines by
                return self.jsonl(file, text, report)
            report.findings.append(_json_error(file, exc))
            return 1
        report.findings.extend(self.document(file, doc, repeated=repeated))
        return 1

    def jsonl(self, file: str, text: str, report: FileReport) -> int:
        count = 0
        for no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            count += 1
            try:
                doc, repeated = _loads(line)
            except (ValueError, RecursionError) as exc:
                report.findings.append(_json_error(file, exc, line=no))
                continue
            report.findings.extend(self.document(file, doc, line=no, repeated=repeated))
        if count == 0:
            report.findings.append(_finding(file, "input", "no JSON line in the file"))
        return count

    def xml(self, file: str, text: str, report: FileReport, entry: int | None = None) -> int:
        """An XML answer: the operation its root element names, or the error body; any other root is an
        error (an HTML page saved as .xml is not an answer of this API)."""
        root = _xml_root(text)
        if root == self.pkg.error_root:
            kind, action, shape = "error", self.action, self.pkg.error_shape
        elif root in self.pkg.action_of_root:
            action = self.pkg.action_of_root[root]
            kind, shape = "response", self.pkg.operations[action]["response_shape"]
        else:
            roots = ", ".join(f"<{r}>" for r in [*self.pkg.action_of_root, self.pkg.error_root])
            found = f"<{root}>" if root else "missing"
            report.findings.append(_finding(file, "root", f"the root element is {found}, none of {roots}: not "
                                            "an answer of this API", entry=entry, document="unknown"))
            return 1
        core = self.pkg.core
        try:
            doc = core.xml_to_dict(_as_utf8_xml(text), shape, root=root)
        except core.XmlError as exc:
            report.findings.append(_finding(file, "parse", f"not usable XML: {exc}", entry=entry, document=kind))
            return 1
        report.findings.extend(self.document(file, doc, entry=entry, kind=kind, action=action))
        return 1

    def har(self, file: str, text: str, report: FileReport) -> int:
        """The entries whose request calls an operation of the package (or --action's); a malformed entry
        is a finding for its index, and the other entries are still checked."""
        findings = report.findings
        try:
            har, _ = _loads(text)
        except (ValueError, RecursionError) as exc:
            findings.append(_json_error(file, exc))
            return 0
        log = har.get("log") if isinstance(har, dict) else None
        entries = log.get("entries") if isinstance(log, dict) else None
        if not isinstance(entries, list):
            findings.append(_finding(file, "parse", "not a HAR file: no log.entries list in it"))
            return 0
        count = 0
        wanted = {self.only} if self.only else set(self.pkg.operations)
        for index, entry in enumerate(entries):
            if not isinstance(entry, dict):
                findings.append(_finding(file, "entry", f"the entry is {_a(entry)}, not an object", entry=index))
                continue
            request = entry.get("request")
            if not isinstance(request, dict):
                findings.append(_finding(file, "entry", f"its request is {_a(request)}, not an object",
                                         entry=index))
                continue
            action = _entry_action(request)
            if action not in wanted:
                continue  # another API's traffic recorded alongside
            count += 1
            body = self._har_body(file, entry, index, findings)
            if body is None:
                continue
            if body.lstrip().startswith("<"):
                self.xml(file, body, report, entry=index)
                continue
            try:
                doc, repeated = _loads(body)
            except (ValueError, RecursionError) as exc:
                findings.append(_json_error(file, exc, entry=index))
                continue
            findings.extend(self.document(file, doc, entry=index, action=action, repeated=repeated))
        if count == 0:
            called = " or ".join(sorted(wanted))
            report.empty_reason = ("the HAR file has no entries" if not entries else
                                   f"its only entry does not call {called}" if len(entries) == 1 else
                                   f"none of its {len(entries)} entries calls {called}")
        return count

    def _har_body(self, file: str, entry: dict[str, Any], index: int, findings: list[Finding]) -> str | None:
        """The response body of a HAR entry as text: base64 decoded, decompressed when compressed; None
        (with a finding) when it is not there or not readable."""
        response = entry.get("response")
        if not isinstance(response, dict):
            findings.append(_finding(file, "entry", f"its response is {_a(response)}, not an object", entry=index))
            return None
        content = response.get("content")
        if content is None or (isinstance(content, dict) and content.get("text") is None):
            findings.append(_finding(file, "input", "the entry has no response body recorded", entry=index))
            return None
        if not isinstance(content, dict):
            findings.append(_finding(file, "entry", f"its response.content is {_a(content)}, not an object",
                                     entry=index))
            return None
        body = content["text"]
        if not isinstance(body, str):
            findings.append(_finding(file, "entry", f"its response.content.text is {_a(body)}, not a string",
                                     entry=index))
            return None
        encoding = content.get("encoding")
        if encoding in (None, ""):
            return body
        if encoding != "base64":
            findings.append(_finding(file, "entry", f"its response.content.encoding is {_clip(encoding)}, not "
                                     "base64", entry=index))
            return None
        try:
            data = base64.b64decode(body, validate=True)
        except ValueError as exc:
            findings.append(_finding(file, "input", f"the response body is not valid base64: {exc}", entry=index))
            return None
        try:
            data = _decompressed(data, _header(response, "content-encoding").lower())
        except _Unreadable as exc:
            findings.append(_finding(file, "input", f"the response body {exc}", entry=index))
            return None
        return decode(file, data, findings, entry=index)


def _is_json_lines(text: str) -> bool:
    """Several lines, the first of them a JSON document on its own (truncated pretty JSON is not)."""
    lines = [line for line in text.splitlines() if line.strip()]
    if len(lines) < 2:
        return False
    try:
        json.loads(lines[0])
    except (ValueError, RecursionError):
        return False
    return True


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _clip(value: Any, width: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def _header(message: dict[str, Any], name: str) -> str:
    """A recorded header's value (the first of that name, any case), stripped; "" when absent."""
    headers = message.get("headers")
    for h in headers if isinstance(headers, list) else []:
        if isinstance(h, dict) and str(h.get("name", "")).lower() == name and isinstance(h.get("value"), str):
            return str(h["value"]).strip()
    return ""


def _decompressed(data: bytes, content_encoding: str) -> bytes:
    """A recorded body as it was before its Content-Encoding: gzip (told by its magic bytes too: tools
    record it either way) and deflate are undone, to MAX_BYTES at most; other codings are named."""
    if data[:2] == b"\x1f\x8b" or content_encoding in ("gzip", "x-gzip"):
        wbits, name = 16 + zlib.MAX_WBITS, "gzip"
    elif content_encoding == "deflate":
        wbits, name = (zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS), "deflate"  # zlib or raw
    elif content_encoding in ("", "identity"):
        return data
    else:
        raise _Unreadable(f"is {_clip(content_encoding)}-encoded, which this check cannot undo: not read")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, MAX_BYTES + 1)
    except zlib.error as exc:
        raise _Unreadable(f"is not valid {name} data: {exc}") from None
    if len(out) > MAX_BYTES:
        raise _Unreadable(f"decompresses to more than the {MAX_BYTES:,}-byte limit: not checked")
    return out


_ACTION_PARAM = re.compile(r"(?:^|[?&])Action=([^&#\s]+)")


def _entry_action(request: dict[str, Any]) -> str | None:
    """The Action a recorded request called: a query or form parameter, the x-acs-action header (V3),
    or the URL or form text. Parts of the wrong type are passed over."""
    post = request.get("postData")
    post = post if isinstance(post, dict) else {}
    pairs = [p for group in (request.get("queryString"), post.get("params")) if isinstance(group, list)
             for p in group]
    for p in pairs:
        if isinstance(p, dict) and p.get("name") == "Action" and isinstance(p.get("value"), str):
            return str(p["value"])
    header = _header(request, "x-acs-action")
    if header:
        return header
    url, form = request.get("url"), post.get("text")
    for text in (url.partition("?")[2] if isinstance(url, str) else "", form if isinstance(form, str) else ""):
        found = _ACTION_PARAM.search(text)
        if found:
            from urllib.parse import unquote

            return unquote(found.group(1))
    return None


# The prolog: declarations, comments, a DOCTYPE (with its internal subset).
_MARKUP = re.compile(r"\s*(?:<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^[>]*(?:\[.*?\])?\s*>)", re.DOTALL | re.IGNORECASE)
_TAG = re.compile(r"\s*<([A-Za-z_][\w.:-]*)")


def _xml_root(text: str) -> str:
    """The root element's local name: the first tag after the prolog's declarations and comments."""
    pos = 0
    while (m := _MARKUP.match(text, pos)) is not None:
        pos = m.end()
    tag = _TAG.match(text, pos)
    return tag.group(1).rpartition(":")[2] if tag else ""


_WIDE_DECLARATION = re.compile(r"""(<\?xml[^>]*?encoding\s*=\s*)(["'])utf-?(?:16|32)[^"']*\2""", re.IGNORECASE)


def _as_utf8_xml(text: str) -> bytes:
    """XML text as UTF-8 bytes; a UTF-16/32 declaration (the text was decoded from it) now says UTF-8."""
    return _WIDE_DECLARATION.sub(r"\1\2UTF-8\2", text, count=1).encode("utf-8")


# ---------------------------------------------------------------- running and reporting
_worker: Checker | None = None


def _init_worker(package: str, strict: bool, action: str | None) -> None:
    global _worker
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the pool
    _worker = Checker(Package(package), strict, action)


def _check_one(file: str) -> FileReport:
    assert _worker is not None
    return _worker.file(file)


class Progress:
    """A progress bar on a terminal for runs over a second; silent when stderr is not a terminal."""

    def __init__(self, total: int, stream: TextIO = sys.stderr,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.total, self.done, self.stream, self.clock = total, 0, stream, clock
        self.started = clock()
        self.enabled = stream.isatty() and total > 1
        self.shown = False
        self.last = 0.0

    def step(self) -> None:
        self.done += 1
        now = self.clock()
        if not self.enabled or now - self.started < 1.0 or (now - self.last < 0.1 and self.done < self.total):
            return
        self.last, self.shown = now, True
        width = 30
        filled = int(width * self.done / self.total)
        rate = self.done / (now - self.started)
        self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} files "
                          f"{rate:,.0f}/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()


def run(paths: list[str], *, package: str, strict: bool = False, jobs: int | None = None,
        progress: bool = True, action: str | None = None, allow_empty: bool = False) -> Iterator[FileReport]:
    """Check every file the PATHs stand for, a report each; LookupError at once for an action the package
    does not have. A PATH in which nothing was checked (an empty folder, a HAR file with no entry of the
    API) gets an error report of its own, unless `allow_empty`."""
    checker = Checker(Package(package), strict, action)
    groups = [list(inputs(raw)) for raw in paths]
    files = [x for group in groups for x in group if isinstance(x, str)]
    return _by_path(paths, groups, _reports(checker, files, jobs, progress), allow_empty)


def _by_path(paths: list[str], groups: list[list[str | FileReport]], reports: Iterator[FileReport],
             allow_empty: bool) -> Iterator[FileReport]:
    for raw, group in zip(paths, groups, strict=True):
        documents = errors = 0
        reasons: list[str] = []
        for item in group:
            report = item if isinstance(item, FileReport) else next(reports)
            documents += report.documents
            errors += any(f.severity == "error" for f in report.findings)
            reasons += [report.empty_reason] if report.empty_reason else []
            yield report
        if documents or errors or allow_empty:
            continue
        if os.path.isdir(raw):
            files = sum(isinstance(item, str) for item in group)
            why = (f"none of the {files} files under it held a document to check" if files else
                   f"no {', '.join('*' + s for s in SUFFIXES)} file under it")
        else:
            why = reasons[0] if reasons else "no document in it"
        yield FileReport(raw, 0, [_finding(raw, "empty", f"nothing checked: {why}")], counted=False)


def _reports(checker: Checker, files: list[str], jobs: int | None, progress: bool) -> Iterator[FileReport]:
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(files)))  # never more workers than files
    bar = Progress(len(files)) if progress else None
    try:
        if jobs == 1 or len(files) < 64 or "-" in files:
            for f in files:
                yield checker.file(f)
                if bar:
                    bar.step()
            return
        import multiprocessing

        ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
        with ctx.Pool(jobs, initializer=_init_worker,
                      initargs=(checker.pkg.name, checker.strict, checker.only)) as pool:
            for report in pool.imap(_check_one, files, chunksize=max(1, min(64, len(files) // (jobs * 8)))):
                yield report
                if bar:
                    bar.step()
    finally:
        if bar:
            bar.close()


def _where(f: Finding) -> str:
    where = "<stdin>" if f.file == "-" else f.file
    if f.line is not None:
        where += f":{f.line}"
    if f.entry is not None:
        where += f" entry {f.entry}"
    return where


def _gh_data(text: str) -> str:
    """The message of a workflow command: `%`, CR and LF escaped (GitHub's toolkit rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _gh_property(text: str) -> str:
    """A property value (file, title): as data, and `:` and `,` too, which would end it."""
    return _gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(f: Finding) -> str:
    level = "error" if f.severity == "error" else "warning"
    props = [] if f.file == "-" else [f"file={_gh_property(f.file)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
    title = f"{f.keyword} at {f.path or '/'}" + (f" (entry {f.entry})" if f.entry is not None else "")
    props.append(f"title={_gh_property(title)}")
    return f"::{level} {','.join(props)}::{_gh_data(f.message)}\n"


def report(reports: Iterable[FileReport], fmt: str, out: TextIO, colour: bool = False) -> dict[str, int]:
    summary = {"files": 0, "documents": 0, "errors": 0, "warnings": 0, "files_with_errors": 0}
    red, yellow, dim, reset = ("\033[31m", "\033[33m", "\033[2m", "\033[0m") if colour else ("", "", "", "")
    for r in reports:
        summary["files"] += r.counted
        summary["documents"] += r.documents
        errors = sum(1 for f in r.findings if f.severity == "error")
        summary["errors"] += errors
        summary["warnings"] += len(r.findings) - errors
        summary["files_with_errors"] += bool(errors) and r.counted
        for f in r.findings:
            if fmt == "json":
                out.write(json.dumps({"type": "finding", **asdict(f)}, ensure_ascii=False) + "\n")
            elif fmt == "github":
                out.write(_github(f))
            else:
                tone = red if f.severity == "error" else yellow
                out.write(f"{_where(f)}: {tone}{f.severity}{reset}: {f.path or '/'}: {f.message}\n")
                if f.hint:
                    out.write(f"    {dim}hint: {f.hint}{reset}\n")
    if fmt == "json":
        out.write(json.dumps({"type": "summary", **summary}) + "\n")
    else:
        line = (f"{summary['files']} files, {summary['documents']} documents: {summary['errors']} errors, "
                f"{summary['warnings']} warnings")
        if fmt == "github":
            out.write(f"::notice title=validate::{_gh_data(line)}\n")
        else:
            out.write(line + "\n")
    return summary
