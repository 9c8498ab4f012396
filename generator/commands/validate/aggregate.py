"""`validate --report`: findings gathered by schema location instead of by document, in bounded memory.

`/Items/*/Total` stands for that field of every item; a location is counted once a document however
often it occurs there, against the number of documents of that kind (response, error, request) checked.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .findings import FileReport, Finding

MAX_LOCATIONS = 10_000  # beyond this many distinct rows, findings are only counted (memory stays bounded)
DOCUMENT_KEYWORDS = {"input", "parse", "entry", "exchange", "root", "empty", "encoding"}


@dataclass
class Row:
    """One location and one kind of problem there."""

    document: str
    action: str
    location: str
    keyword: str
    severity: str
    seen: str  # what was seen, in words: `numeric string`, `unknown value "Paused"`, `undeclared field (integer)`
    first: Finding
    documents: int = 0
    occurrences: int = 0
    values: Counter[str] = field(default_factory=Counter)  # the `seen` values behind it (a few)
    last: tuple[Any, ...] = ()


class Aggregate:
    def __init__(self) -> None:
        self.rows: dict[tuple[str, ...], Row] = {}
        self.checked: Counter[tuple[str, str]] = Counter()  # (document kind, action) -> documents checked
        self.overflow = 0

    def add(self, report: FileReport) -> None:
        self.checked.update(report.kinds)
        for f in report.findings:
            self.add_finding(f)

    def add_finding(self, f: Finding) -> None:
        general = f.keyword in DOCUMENT_KEYWORDS
        seen = f.keyword if general else describe(f.keyword, f.seen)
        location = "" if general else (f.location or f.path)
        key = (f.document, f.action, location, f.keyword, f.severity, seen)
        row = self.rows.get(key)
        if row is None:
            if len(self.rows) >= MAX_LOCATIONS:
                self.overflow += 1
                return
            row = self.rows[key] = Row(f.document, f.action, location, f.keyword, f.severity, seen, f)
        row.occurrences += 1
        here = (f.file, f.line, f.entry, f.document)
        if here != row.last:
            row.documents += 1
            row.last = here
        if len(row.values) < 16 or f.seen in row.values:
            row.values[f.seen] += 1

    def of(self, row: Row) -> int:
        """The documents of the row's kind that were checked."""
        return self.checked.get((row.document, row.action), 0)

    def sorted(self) -> list[Row]:
        """Errors first, then the most widespread, then by location."""
        return sorted(self.rows.values(), key=lambda r: (r.severity != "error", -r.documents, r.location,
                                                         r.document, r.keyword, r.seen))


def describe(keyword: str, seen: str) -> str:
    """What a finding found, in words that group alike findings: the value itself for an unknown value,
    the kind of value for a type mismatch or an undeclared field."""
    if keyword == "enum":
        return f"unknown value {seen}" if seen else "unknown value"
    if keyword == "required":
        return "missing"
    if keyword == "duplicate":
        return "repeated key"
    kind = kind_of(seen)
    if keyword == "additionalProperties":
        return f"undeclared field ({kind})" if kind else "undeclared field"
    if keyword == "type":
        return kind or "another type"
    return keyword


def kind_of(seen: str) -> str:
    """The kind of a seen value: a JSON type, or for a string what it looks like (`numeric string`,
    `boolean text "TRUE"`, `null text "None"`)."""
    if not seen:
        return ""
    if not seen.startswith(('"', "-", "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "t", "f", "n")):
        return seen  # a JSON type already (object, array, a long string)
    try:
        value = json.loads(seen)
    except ValueError:
        return seen
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("+-").isdigit() and text.isascii():
            return "numeric string"
        if text.lower() in ("true", "false"):
            return f"boolean text {seen}"
        if text.lower() in ("none", "null", "nil"):
            return f"null text {seen}"
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "integer" if isinstance(value, int) else "number"
