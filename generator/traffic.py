"""`validate`: check recorded traffic (files, folders, JSON Lines, XML, HAR, stdin) against the generated validators.

Every bad input is a finding for its file and the run goes on; nothing here raises to the user.
This module imports no third-party package, so validating is fast to start.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

SUFFIXES = (".json", ".jsonl", ".ndjson", ".xml", ".har")
MAX_BYTES = 256 * 1024 * 1024  # a file larger than this is a finding, not an out-of-memory
HINTS = {
    "type": "the spec gives this field another type; if the service now sends this, change the spec's type",
    "enum": "not a documented value; lenient mode (the default) keeps it as a warning, strict rejects it",
    "additionalProperties": "a field the spec does not know; if the service sends it now, add it to the spec",
    "required": "a field the spec requires is missing",
    "parse": "the document could not be read as the format its name says",
    "input": "the file could not be read",
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
    line: int | None = None  # JSON Lines: the line; JSON with a syntax error: where it is
    entry: int | None = None  # HAR: the entry index
    document: str = "response"  # response | error | unknown
    hint: str = ""


@dataclass
class FileReport:
    file: str
    documents: int
    findings: list[Finding]


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
        # Only XML needs the runtime core; JSON validation stays light to start.
        return importlib.import_module(self.name + "._core")

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
def iter_files(paths: Iterable[str]) -> Iterator[str]:
    for raw in paths:
        p = Path(raw)
        if raw == "-" or not p.is_dir():
            yield raw
            continue
        for sub in sorted(p.rglob("*")):
            if sub.is_file() and sub.suffix.lower() in SUFFIXES:
                yield str(sub)


def _finding(file: str, keyword: str, message: str, *, severity: str = "error", **kw: Any) -> Finding:
    return Finding(file, severity, keyword, kw.pop("path", ""), message, hint=HINTS.get(keyword, ""), **kw)


def _decode(file: str, data: bytes, findings: list[Finding]) -> str | None:
    if not data.strip():
        findings.append(_finding(file, "input", "empty file: no document in it"))
        return None
    if data.startswith(b"\xef\xbb\xbf"):
        findings.append(_finding(file, "input", "the file starts with a UTF-8 byte order mark; JSON senders must "
                                 "not add one (read anyway)", severity="warning"))
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        findings.append(_finding(file, "input", f"not UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}"))
        return None


def _loads(text: str) -> Any:
    return json.loads(text)


def _json_error(file: str, exc: Exception, line_offset: int = 0, **kw: Any) -> Finding:
    if isinstance(exc, json.JSONDecodeError):
        return _finding(file, "parse", f"not valid JSON: {exc.msg} at line {exc.lineno + line_offset}, "
                        f"column {exc.colno}", line=exc.lineno + line_offset, **kw)
    if isinstance(exc, RecursionError):
        return _finding(file, "parse", "JSON nested too deep to read safely", **kw)
    return _finding(file, "parse", f"not valid JSON: {exc}", **kw)


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
                 kind: str | None = None, action: str | None = None) -> list[Finding]:
        if kind is None:
            kind = "error" if self.pkg.is_error_body(doc) else "response"
        validate = (self.pkg.validators.validate_error if kind == "error"
                    else self.pkg.response_validator(action or self.action))
        try:
            issues = validate(doc, strict=self.strict)
        except RecursionError:
            return [_finding(file, "parse", "document nested too deep to validate", line=line, entry=entry,
                             document=kind)]
        return [
            Finding(file, i.severity, i.keyword, i.path, i.message, i.expected, i.found, line, entry, kind,
                    HINTS.get(i.keyword, ""))
            for i in issues
        ]

    def file(self, file: str) -> FileReport:
        findings: list[Finding] = []
        try:
            if file == "-":
                data = sys.stdin.buffer.read(MAX_BYTES + 1)
            else:
                size = os.path.getsize(file)
                if size > MAX_BYTES:
                    findings.append(_finding(file, "input", f"{size:,} bytes is over the {MAX_BYTES:,}-byte limit"))
                    return FileReport(file, 0, findings)
                with open(file, "rb") as fh:
                    data = fh.read()
        except OSError as exc:
            findings.append(_finding(file, "input", f"cannot read: {exc.strerror or exc}"))
            return FileReport(file, 0, findings)
        text = _decode(file, data, findings)
        if text is None:
            return FileReport(file, 0, findings)
        suffix = Path(file).suffix.lower() if file != "-" else _sniff(text)
        reader = {".xml": self.xml, ".jsonl": self.jsonl, ".ndjson": self.jsonl, ".har": self.har}.get(suffix,
                                                                                                       self.json)
        documents = reader(file, text, findings)
        return FileReport(file, documents, findings)

    def json(self, file: str, text: str, findings: list[Finding]) -> int:
        try:
            doc = _loads(text)
        except (ValueError, RecursionError) as exc:
            if "\n" in text.strip() and file == "-":  # stdin may be JSON Lines
                return self.jsonl(file, text, findings)
            findings.append(_json_error(file, exc))
            return 1
        findings.extend(self.document(file, doc))
        return 1

    def jsonl(self, file: str, text: str, findings: list[Finding]) -> int:
        count = 0
        for no, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            count += 1
            try:
                doc = _loads(line)
            except (ValueError, RecursionError) as exc:
                f = _json_error(file, exc, no - 1)
                findings.append(Finding(**{**asdict(f), "line": no}))
                continue
            findings.extend(self.document(file, doc, line=no))
        if count == 0:
            findings.append(_finding(file, "input", "no JSON line in the file"))
        return count

    def xml(self, file: str, text: str, findings: list[Finding], entry: int | None = None,
            action: str | None = None) -> int:
        core = self.pkg.core
        data = text.encode("utf-8")
        try:
            root = _xml_root(text)
            kind = "error" if root == self.pkg.error_root else "response"
            action = self.pkg.action_of_root.get(root, action or self.action)  # the root names its operation
            shape = self.pkg.error_shape if kind == "error" else self.pkg.operations[action]["response_shape"]
            doc = core.xml_to_dict(data, shape)
        except core.XmlError as exc:
            findings.append(_finding(file, "parse", f"not usable XML: {exc}", entry=entry))
            return 1
        findings.extend(self.document(file, doc, entry=entry, kind=kind, action=action))
        return 1

    def har(self, file: str, text: str, findings: list[Finding]) -> int:
        try:
            har = _loads(text)
            entries = har["log"]["entries"]
            if not isinstance(entries, list):
                raise TypeError("log.entries is not a list")
        except (ValueError, RecursionError, KeyError, TypeError) as exc:
            findings.append(_finding(file, "parse", f"not a HAR file: {exc}"))
            return 0
        count = 0
        wanted = {self.only} if self.only else set(self.pkg.operations)
        for index, entry in enumerate(entries):
            action = _entry_action(entry) if isinstance(entry, dict) else None
            if action not in wanted:
                continue  # another API's traffic recorded alongside
            count += 1
            content = (entry.get("response") or {}).get("content") or {}
            body = content.get("text")
            if not isinstance(body, str):
                findings.append(_finding(file, "input", "the entry has no response body recorded", entry=index))
                continue
            if content.get("encoding") == "base64":
                import base64

                try:
                    body = base64.b64decode(body).decode("utf-8")
                except ValueError as exc:
                    findings.append(_finding(file, "input", f"undecodable base64 body: {exc}", entry=index))
                    continue
            if body.lstrip().startswith("<"):
                self.xml(file, body, findings, entry=index, action=action)
                continue
            try:
                doc = _loads(body)
            except (ValueError, RecursionError) as exc:
                findings.append(_json_error(file, exc, entry=index))
                continue
            findings.extend(self.document(file, doc, entry=index, action=action))
        return count


_ACTION_PARAM = re.compile(r"(?:^|[?&])Action=([^&#\s]+)")


def _entry_action(entry: dict[str, Any]) -> str | None:
    """The Action a recorded request called: a query or form parameter, the x-acs-action header (V3),
    or the URL or form text."""
    request = entry.get("request") or {}
    pairs = list(request.get("queryString") or []) + list((request.get("postData") or {}).get("params") or [])
    for p in pairs:
        if isinstance(p, dict) and p.get("name") == "Action" and isinstance(p.get("value"), str):
            return str(p["value"])
    for h in request.get("headers") or []:
        if isinstance(h, dict) and str(h.get("name", "")).lower() == "x-acs-action" and isinstance(h.get("value"), str):
            return str(h["value"])
    url = str(request.get("url", ""))
    for text in (url.partition("?")[2], str((request.get("postData") or {}).get("text", ""))):
        found = _ACTION_PARAM.search(text)
        if found:
            from urllib.parse import unquote

            return unquote(found.group(1))
    return None


_ROOT = re.compile(r"<([A-Za-z_][\w.:-]*)")


def _xml_root(text: str) -> str:
    """The root element's name: the first tag after the prolog, comments and declarations."""
    pos = 0
    while True:
        m = _ROOT.search(text, pos)
        if m is None:
            return ""
        before = text[m.start() - 1: m.start()] if m.start() else ""
        if before not in ("?", "!"):
            return m.group(1)
        pos = m.end()


def _sniff(text: str) -> str:
    head = text.lstrip()[:1]
    return ".xml" if head == "<" else ".json"


# ---------------------------------------------------------------- running and reporting
_worker: Checker | None = None


def _init_worker(package: str, strict: bool, action: str | None) -> None:
    global _worker
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
        progress: bool = True, action: str | None = None) -> Iterator[FileReport]:
    """Check every file; LookupError at once for an action the package does not have."""
    return _reports(Checker(Package(package), strict, action), list(iter_files(paths)), jobs, progress)


def _reports(checker: Checker, files: list[str], jobs: int | None, progress: bool) -> Iterator[FileReport]:
    jobs = max(1, jobs or os.cpu_count() or 1)
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
    where = f.file
    if f.line is not None:
        where += f":{f.line}"
    if f.entry is not None:
        where += f" entry {f.entry}"
    return where


def _gh_escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def report(reports: Iterable[FileReport], fmt: str, out: TextIO, colour: bool = False) -> dict[str, int]:
    summary = {"files": 0, "documents": 0, "errors": 0, "warnings": 0, "files_with_errors": 0}
    red, yellow, dim, reset = ("\033[31m", "\033[33m", "\033[2m", "\033[0m") if colour else ("", "", "", "")
    for r in reports:
        summary["files"] += 1
        summary["documents"] += r.documents
        errors = sum(1 for f in r.findings if f.severity == "error")
        summary["errors"] += errors
        summary["warnings"] += len(r.findings) - errors
        summary["files_with_errors"] += bool(errors)
        for f in r.findings:
            if fmt == "json":
                out.write(json.dumps({"type": "finding", **asdict(f)}, ensure_ascii=False) + "\n")
            elif fmt == "github":
                level = "error" if f.severity == "error" else "warning"
                props = f"file={f.file}" + (f",line={f.line}" if f.line is not None else "")
                title = f"{f.keyword} at {f.path or '/'}"
                out.write(f"::{level} {props},title={_gh_escape(title)}::{_gh_escape(f.message)}\n")
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
            out.write(f"::notice title=validate::{line}\n")
        else:
            out.write(line + "\n")
    return summary
