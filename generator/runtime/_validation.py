"""What the compiled validators call off their happy path: recording issues, lenient drift, anyOf/oneOf,
JSON equality, document order.

The compiled module (`validators.py`) is straight-line code per schema; it calls into this module only when a
value is not as expected, so a valid document never gets here. Lenient readings come from `_values`, the
rules the models follow too. Copied verbatim into every generated package (standard library only).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from . import _values as _v
from ._values import Lenient

__all__ = ["MISSING", "Branch", "Found", "Helpers", "Issue", "Raw", "eq", "finish", "is_in", "merge", "too_deep"]


@dataclass(frozen=True, slots=True)
class Issue:
    """One finding: `path` is a JSON Pointer into the document ("" for the root)."""

    path: str
    keyword: str
    expected: str
    found: str
    severity: str  # "error" or "warning"
    message: str


# An issue while validating: path segments innermost first (callers append theirs), keyword, expected,
# found, severity, message. Validating functions return None when they found nothing: no path is built on
# the happy path.
Raw: TypeAlias = tuple[list[str | int], str, str, str, str, str]
Found: TypeAlias = list[Raw]
Branch: TypeAlias = tuple[int, Callable[[object, bool, int], Found | None]]
# An issue site, as the compiled module lists them: (keyword, expected, types bits for `type` / open flag for
# `enum` / one flag for anyOf-oneOf).
Site: TypeAlias = tuple[str, str, int]

MISSING = object()  # a property that is not there
_JSON_TYPES: dict[type, int] = {
    str: _v.STRING,
    int: _v.NUMBER | _v.INTEGER,
    float: _v.NUMBER,
    dict: _v.OBJECT,
    list: _v.ARRAY,
    bool: _v.BOOLEAN,
    type(None): _v.NULL,
}
_describe = _v.describe


def _json_types(x: object) -> int:
    """The JSON types of a value as bits (an integral float is an integer too)."""
    if type(x) is float and x.is_integer():
        return _v.NUMBER | _v.INTEGER
    return _JSON_TYPES.get(type(x), 0)


def _add(e: Found | None, segs: list[str | int], keyword: str, expected: str, found: str, severity: str,
         message: str) -> Found:
    if e is None:
        e = []
    e.append((segs, keyword, expected, found, severity, message))
    return e


class Helpers:
    """The helpers that read the compiled module's issue sites and lenient policy."""

    def __init__(self, sites: Sequence[Site], lax: Lenient) -> None:
        self.sites = sites
        self.policy = lax

    def err(self, e: Found | None, segs: list[str | int], site: int, x: object) -> Found:
        keyword, expected, _ = self.sites[site]
        found = _describe(x)
        return _add(e, segs, keyword, expected, found, "error", f"Expected {expected}, found {found}.")

    def miss(self, e: Found | None, segs: list[str | int], site: int) -> Found:
        keyword, expected, _ = self.sites[site]
        return _add(e, segs, keyword, expected, "missing", "error", f"Required {expected} is missing.")

    def lax(self, x: object, e: Found | None, segs: list[str | int], site: int) -> tuple[object, Found | None]:
        """Lenient mode: replace a drifted string by the value it stands for, with a warning."""
        keyword, expected, mask = self.sites[site]
        if type(x) is str:
            value = self.policy.read(x, mask)
            if value is not _v.NOT_DRIFT:
                found = _describe(x)
                message = f"Expected {expected}, found {found}; accepted as {_describe(value)} (lenient)."
                return value, _add(e, segs, keyword, expected, found, "warning", message)
        return x, e

    def type(self, x: object, e: Found | None, segs: list[str | int], site: int,
             lax: bool) -> tuple[object, Found | None]:
        """The slow path of a `type` check: integral floats, lenient drift, else an error."""
        keyword, expected, mask = self.sites[site]
        if mask & _v.INTEGER and type(x) is float and x.is_integer():
            return x, e
        if lax and type(x) is str:
            value = self.policy.read(x, mask)
            if value is not _v.NOT_DRIFT:
                found = _describe(x)
                message = f"Expected {expected}, found {found}; accepted as {_describe(value)} (lenient)."
                return value, _add(e, segs, keyword, expected, found, "warning", message)
        return x, self.err(e, segs, site, x)

    def enum(self, e: Found | None, segs: list[str | int], site: int, x: object, lax: bool) -> Found:
        keyword, expected, is_open = self.sites[site]
        found = _describe(x)
        if is_open and lax and type(x) is str:
            message = f"Unknown value {x!r} of an open value set (known: {expected[7:]}); kept as is (lenient)."
            return _add(e, segs, keyword, expected, found, "warning", message)
        return _add(e, segs, keyword, expected, found, "error", f"Expected {expected}, found {found}.")

    def extra(self, e: Found | None, x: dict[object, object], known: set[str], segs: list[str | int], site: int,
              lax: bool) -> Found:
        """One issue per undeclared property, at the property, in the document's key order."""
        keyword, expected, _ = self.sites[site]
        severity = "warning" if lax else "error"
        for k in x:
            if k not in known:
                message = f"Property {k!r} is not declared by the schema (additionalProperties is false)."
                path: list[str | int] = [k if type(k) is str else str(k), *segs]
                e = _add(e, path, keyword, expected, _describe(x[k]), severity, message)
        return e if e is not None else []

    def comb(self, x: object, lax: bool, d: int, site: int, branches: tuple[Branch, ...]) -> Found | None:
        """anyOf/oneOf with branches whose types overlap: descend when only one branch takes the value's type."""
        keyword, expected, one = self.sites[site]
        t = _json_types(x)
        fits = [fn for mask, fn in branches if mask & t]
        if len(fits) == 1:
            return fits[0](x, lax, d)
        passed: list[Found | None] = []
        for fn in fits:
            r = fn(x, lax, d)
            if not _has_error(r):
                passed.append(r)
                if not one:
                    break
        if len(passed) == 1 or (passed and not one):
            return passed[0]
        found = _describe(x)
        if passed:
            message = f"Expected {expected}, found {found}, which is valid under {len(passed)} of them."
        else:
            message = f"Expected {expected}, found {found}, which is valid under none of them."
        return [([], keyword, expected, found, "error", message)]


def too_deep(x: object) -> Found:
    """A value nested past MAX_DEPTH where the schema refers back to itself: an error, not followed."""
    message = f"Nested deeper than {_v.MAX_DEPTH} levels where the schema refers back to itself; not read."
    return [([], "depth", f"at most {_v.MAX_DEPTH} levels", _describe(x), "error", message)]


def merge(e: Found | None, r: Found, segs: list[str | int]) -> Found:
    """Adopt the issues of a call on a child value, prefixing their paths with the child's segments."""
    if segs:
        for issue in r:
            issue[0].extend(segs)
    if e is None:
        return r
    e.extend(r)
    return e


def _has_error(r: Found | None) -> bool:
    return r is not None and any(issue[4] == "error" for issue in r)


def eq(a: object, b: object) -> bool:
    """JSON equality as JSON Schema defines it: 1 == 1.0, but true != 1."""
    if a is b:
        return True
    if type(a) is str or type(b) is str:
        return a == b
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(eq(i, j) for i, j in zip(a, b, strict=True))
    if type(a) is dict and type(b) is dict:
        return len(a) == len(b) and all(k in b and eq(v, b[k]) for k, v in a.items())
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    return a == b


def is_in(x: object, values: object) -> bool:
    assert type(values) is list
    return any(eq(x, v) for v in values)


def _pointer(segs: list[str | int]) -> str:
    return "".join("/" + str(s).replace("~", "~0").replace("/", "~1") for s in reversed(segs))


def _order(document: object, segs: list[str | int], cache: dict[int, dict[object, int]]) -> list[int]:
    """The position of a path in the document, for sorting issues into document order."""
    key: list[int] = []
    cur = document
    for s in reversed(segs):
        if type(cur) is dict:
            positions = cache.get(id(cur))
            if positions is None:
                positions = cache[id(cur)] = {k: n for n, k in enumerate(cur)}
            key.append(positions.get(s, len(positions)))
            cur = cur.get(s)
        elif type(cur) is list and type(s) is int and 0 <= s < len(cur):
            key.append(s)
            cur = cur[s]
        else:
            key.append(0)
            cur = None
    return key


def finish(document: object, raw: Found) -> list[Issue]:
    """The issues as records with JSON Pointers, in document order."""
    if len(raw) > 1:
        cache: dict[int, dict[object, int]] = {}
        raw = sorted(raw, key=lambda issue: _order(document, issue[0], cache))
    return [Issue(_pointer(segs), *rest) for segs, *rest in raw]
