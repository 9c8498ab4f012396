"""Writing what `validate` found: one line a finding (text, JSON or GitHub annotations), or with --report
one line a schema location; a summary at the end either way."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict
from typing import TextIO

from .aggregate import DOCUMENT_KEYWORDS, Aggregate, Row
from .findings import FileReport, Finding


def where(f: Finding) -> str:
    at = "<stdin>" if f.file == "-" else f.file
    if f.line is not None:
        at += f":{f.line}"
    if f.entry is not None:
        at += f" entry {f.entry}"
    return at


def gh_data(text: str) -> str:
    """The message of a workflow command: `%`, CR and LF escaped (GitHub's toolkit rules)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def gh_property(text: str) -> str:
    """A property value (file, title): as data, and `:` and `,` too, which would end it."""
    return gh_data(text).replace(":", "%3A").replace(",", "%2C")


def _github(f: Finding, title: str, message: str) -> str:
    level = "error" if f.severity == "error" else "warning"
    props = [] if f.file == "-" else [f"file={gh_property(f.file)}"]
    if f.line is not None:
        props.append(f"line={f.line}")
    props.append(f"title={gh_property(title)}")
    return f"::{level} {','.join(props)}::{gh_data(message)}\n"


class Summary:
    def __init__(self) -> None:
        self.counts = {"files": 0, "documents": 0, "requests": 0, "errors": 0, "warnings": 0,
                       "files_with_errors": 0}
        self._erred = False

    def add(self, r: FileReport) -> None:
        c = self.counts
        if r.part == 0:
            c["files"] += r.counted
            self._erred = False
        c["documents"] += r.documents
        c["requests"] += r.requests
        errors = sum(1 for f in r.findings if f.severity == "error")
        c["errors"] += errors
        c["warnings"] += len(r.findings) - errors
        if errors and r.counted and not self._erred:
            c["files_with_errors"] += 1
            self._erred = True

    def line(self) -> str:
        c = self.counts
        requests = f", {c['requests']:,} requests" if c["requests"] else ""
        return (f"{c['files']:,} files, {c['documents']:,} documents{requests}: {c['errors']:,} errors, "
                f"{c['warnings']:,} warnings")


def collect(reports: Iterable[FileReport]) -> tuple[dict[str, int], Aggregate]:
    """The summary's counts and the findings gathered by location, writing nothing (--suggest-spec)."""
    summary, aggregate = Summary(), Aggregate()
    for r in reports:
        summary.add(r)
        aggregate.add(r)
    return summary.counts, aggregate


def report(reports: Iterable[FileReport], fmt: str, out: TextIO, colour: bool = False,
           by_location: bool = False) -> dict[str, int]:
    """Write every finding (or, `by_location`, every schema location with findings) and the summary;
    the summary's counts."""
    summary = Summary()
    aggregate = Aggregate() if by_location else None
    red, yellow, dim, reset = ("\033[31m", "\033[33m", "\033[2m", "\033[0m") if colour else ("", "", "", "")
    for r in reports:
        summary.add(r)
        if aggregate is not None:
            aggregate.add(r)
            continue
        for f in r.findings:
            if fmt == "json":
                out.write(json.dumps({"type": "finding", **asdict(f)}, ensure_ascii=False) + "\n")
            elif fmt == "github":
                title = f"{f.keyword} at {f.path or '/'}" + (f" (entry {f.entry})" if f.entry is not None else "")
                out.write(_github(f, title, f.message))
            else:
                tone = red if f.severity == "error" else yellow
                out.write(f"{where(f)}: {tone}{f.severity}{reset}: {f.path or '/'}: {f.message}\n")
                if f.hint:
                    out.write(f"    {dim}hint: {f.hint}{reset}\n")
    if aggregate is not None:
        write_rows(aggregate, fmt, out, (red, yellow, dim, reset))
    if fmt == "json":
        out.write(json.dumps({"type": "summary", **summary.counts}) + "\n")
    elif fmt == "github":
        out.write(f"::notice title=validate::{gh_data(summary.line())}\n")
    else:
        out.write(summary.line() + "\n")
    return summary.counts


_NOUNS = {"response": "documents", "error": "error bodies", "request": "requests"}


def _label(row: Row) -> str:
    return row.location or ("/" if row.document in _NOUNS and row.keyword not in DOCUMENT_KEYWORDS else "(input)")


def _count(aggregate: Aggregate, row: Row) -> str:
    of = aggregate.of(row)
    noun = _NOUNS.get(row.document, "inputs")
    docs = f"{row.documents:,} of {of:,} {noun}" if of else f"{row.documents:,} {noun}"
    times = f", {row.occurrences:,} times" if row.occurrences != row.documents else ""
    return f"in {docs}{times}"


def write_rows(aggregate: Aggregate, fmt: str, out: TextIO, tones: tuple[str, str, str, str]) -> None:
    red, yellow, dim, reset = tones
    several = len({row.action for row in aggregate.rows.values() if row.action}) > 1
    for row in aggregate.sorted():
        what = row.document + (f" of {row.action}" if several and row.action else "")
        first = where(row.first)
        if fmt == "json":
            out.write(json.dumps({
                "type": "location", "location": row.location, "document": row.document, "action": row.action,
                "keyword": row.keyword, "severity": row.severity, "seen": row.seen, "documents": row.documents,
                "of": aggregate.of(row), "occurrences": row.occurrences,
                "first": {"file": row.first.file, "line": row.first.line, "entry": row.first.entry},
                "message": row.first.message}, ensure_ascii=False) + "\n")
        elif fmt == "github":
            title = f"{row.keyword} at {_label(row)} ({what})"
            out.write(_github(row.first, title, f"{row.seen} {_count(aggregate, row)}; first: {row.first.message}"))
        else:
            tone = red if row.severity == "error" else yellow
            out.write(f"{_label(row)} ({what}): {tone}{row.severity}{reset}: {row.seen} {_count(aggregate, row)}; "
                      f"first at {first}\n")
            out.write(f"    {dim}e.g. {row.first.message}{reset}\n")
    if aggregate.overflow:
        line = (f"and {aggregate.overflow:,} more findings at other locations (only the first "
                f"{len(aggregate.rows):,} locations are listed)")
        out.write(json.dumps({"type": "overflow", "findings": aggregate.overflow}) + "\n" if fmt == "json"
                  else f"::notice title=validate::{gh_data(line)}\n" if fmt == "github" else line + "\n")
