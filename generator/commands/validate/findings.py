"""What `validate` reports: findings, the report of one input (or one part of a large one), and their words."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

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
    "exchange": "the line says it is an exchange of a recording but is not shaped as docs/validating.md says",
    "parameter": "the request does not send this parameter as the operation declares it; if the service takes "
                 "it so, change the parameter in the spec (--suggest-spec proposes how)",
    "empty": "a gate that checked nothing must not pass: point validate at the recordings, or pass "
             "--allow-empty where nothing to check is fine",
}


@dataclass(frozen=True)
class Finding:
    file: str
    severity: str  # error | warning
    keyword: str
    path: str  # JSON Pointer inside the document (a request: /<parameter name>)
    message: str
    expected: str = ""
    found: str = ""
    line: int | None = None  # JSON Lines: the line; a JSON file with a syntax error: where it is
    entry: int | None = None  # HAR: the entry index (never a line: a HAR body is not the file's text)
    document: str = "response"  # response | error | request | unknown
    hint: str = ""
    location: str = ""  # the schema location: `path` with every array index as `*`
    seen: str = ""  # what was there: a short JSON value, or its JSON type ("" when nothing was there)
    action: str = ""  # the operation the document was checked as


@dataclass
class FileReport:
    """The findings of one input, or of one part of a large one (parts of one input come one after the
    other, the first with `part` 0)."""

    file: str
    documents: int
    findings: list[Finding]
    empty_reason: str = ""  # why nothing in it was checked, when `documents` is 0
    counted: bool = True  # False for a finding about a PATH as a whole (an empty folder): not a file
    part: int = 0
    lines: int = 0  # JSON Lines read (a part's findings count lines from its own start)
    requests: int = 0  # recorded requests checked
    skipped: int = 0  # HAR entries and exchanges of other operations, passed over
    # documents checked, by kind ("response", "error", "request") and action: what --report counts against
    kinds: dict[tuple[str, str], int] = field(default_factory=dict)


def finding(file: str, keyword: str, message: str, *, severity: str = "error", **kw: Any) -> Finding:
    hint = kw.pop("hint", HINTS.get(keyword, ""))
    return Finding(file, severity, keyword, kw.pop("path", ""), message, hint=hint, **kw)


def escape(key: str) -> str:
    """A key as a JSON Pointer token."""
    return key.replace("~", "~0").replace("/", "~1")


def unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


_MISSING = object()
SEEN_MAX = 80  # a longer string is seen as `string`: findings stay small, and say what kind of value it was


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def seen_text(value: Any) -> str:
    """What a finding says was there: the value as compact JSON when short and scalar, else its JSON type."""
    if value is _MISSING:
        return ""
    if isinstance(value, (dict, list)) or (isinstance(value, str) and len(value) > SEEN_MAX):
        return json_type(value)
    try:
        return json.dumps(value, ensure_ascii=False)
    except ValueError:  # inf / nan read from a lenient parse
        return json_type(value)


def locate(doc: Any, path: str) -> tuple[str, Any]:
    """The schema location of `path` in `doc` (every array index a `*`) and the value there (_MISSING when
    the path leads nowhere, as for a missing required field)."""
    if not path:
        return "", doc
    node: Any = doc
    out: list[str] = []
    for token in path.split("/")[1:]:
        if isinstance(node, list):
            out.append("*")
            try:
                node = node[int(token)]
            except (ValueError, IndexError):
                node = _MISSING
        else:
            out.append(token)
            node = node.get(unescape(token), _MISSING) if isinstance(node, dict) else _MISSING
    return "/" + "/".join(out), node


def with_location(f: Finding, doc: Any) -> Finding:
    from dataclasses import replace

    location, value = locate(doc, f.path)
    return replace(f, location=location, seen=seen_text(value))
