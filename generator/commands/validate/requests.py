"""Recorded requests checked against the operation's parameters (the `_spec.PARAMETERS` table of the generated
package): required, type, value set, bounds. Values of secret parameters are never echoed."""

from __future__ import annotations

import math
import operator
import re
from typing import Any

from .findings import HINTS, Finding, clip, escape, finding

# The common parameters of the RPC protocol (signature V2 and the gateway's own), which no operation declares.
COMMON = frozenset({"Action", "Version", "Format", "Timestamp", "SignatureNonce", "SignatureMethod",
                    "SignatureVersion", "SignatureType", "AccessKeyId", "SecurityToken", "Signature"})
_SECRET_WORDS = ("signature", "token", "secret", "accesskey", "password", "credential", "authorization")
_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def is_secret(name: str) -> bool:
    """A parameter or header whose value must never appear in a finding."""
    folded = name.lower().replace("-", "").replace("_", "")
    return any(word in folded for word in _SECRET_WORDS)


def _shown(name: str, text: str) -> str:
    return "its value (not shown: a secret)" if is_secret(name) else clip(text)


class RequestChecker:
    """Checks the parameters of recorded requests of one package, in one mode."""

    def __init__(self, table: dict[str, list[dict[str, Any]]], strict: bool) -> None:
        self.table = table
        self.strict = strict
        self.drift = "error" if strict else "warning"  # what lenient mode keeps as a warning
        self._patterns: dict[str, re.Pattern[str] | None] = {}

    def check(self, file: str, action: str, params: dict[str, list[str]], **where: Any) -> list[Finding]:
        """Every problem of one request's parameters (`params`: each name with the values it was sent with)."""
        declared = self.table.get(action, [])
        out: list[Finding] = []

        def add(keyword: str, name: str, message: str, *, severity: str = "error", expected: str = "",
                text: str | None = None) -> None:
            seen = "" if text is None or is_secret(name) else _json_string(text)
            out.append(finding(file, keyword, f"request parameter {name!r}: {message}.", severity=severity,
                               path="/" + escape(name), location="/" + escape(name), document="request",
                               expected=expected, found="" if text is None or is_secret(name) else clip(text),
                               seen=seen, action=action, hint=HINTS["parameter"], **where))

        names = {p["name"] for p in declared}
        for p in declared:
            name = p["name"]
            values = params.get(name, [])
            if not values or all(v == "" for v in values):
                if p["required"]:
                    add("required", name, "required, but " + ("sent empty" if values else "not sent"),
                        expected="a value")
                continue
            if len(values) > 1:
                add("duplicate", name, f"sent {len(values)} times; servers disagree on which one counts",
                    severity=self.drift)
            for text in values:
                self._value(p, text, add)
        for name in params:
            if name not in names and name not in COMMON:
                add("additionalProperties", name, "not a parameter of the operation (nor a common parameter "
                    "of the protocol)", severity=self.drift, expected="a declared parameter")
        return out

    def _value(self, p: dict[str, Any], text: str, add: Any) -> None:
        name, types = p["name"], p["types"]
        values, shown = p["values"], _shown(p["name"], text)
        number: float | int | None = None
        if values and text in values:
            return
        if "boolean" in types and text in p["lenient"]:
            add("type", name, f"{shown} for a boolean; the server takes it (lenient), the spec says true or "
                "false", severity=self.drift, expected="true or false", text=text)
            return
        if types and "string" not in types:
            if "integer" in types and _INTEGER.fullmatch(text):
                number = int(text)
            elif "number" in types and _NUMBER.fullmatch(text) and math.isfinite(float(text)):
                number = float(text)
            elif not set(types) <= {"array", "object"}:  # flattened lists and maps are not checked
                wanted = " or ".join("true or false" if t == "boolean" else _an(t) for t in types)
                add("type", name, f"expected {wanted}, found {shown}", expected=wanted, text=text)
                return
        if values and ("string" in types or not types):
            listed = ", ".join(repr(v) for v in values)
            if p["open"]:
                add("enum", name, f"{shown} is not one of the documented values ({listed}); kept as is "
                    + ("(strict: an error)" if self.strict else "(lenient)"), severity=self.drift,
                    expected=f"one of {listed}", text=text)
            else:
                add("enum", name, f"expected one of {listed}, found {shown}", expected=f"one of {listed}", text=text)
            return
        if number is not None:
            self._bounds(p, number, text, add)
        elif "string" in types:
            self._text(p, text, add)

    def _bounds(self, p: dict[str, Any], number: float, text: str, add: Any) -> None:
        name, shown = p["name"], _shown(p["name"], text)
        low, high = p.get("int_range") or (-math.inf, math.inf)
        checks = (("minimum", "at least", p.get("minimum"), operator.lt),
                  ("maximum", "at most", p.get("maximum"), operator.gt),
                  ("exclusiveMinimum", "above", p.get("exclusive_minimum"), operator.le),
                  ("exclusiveMaximum", "below", p.get("exclusive_maximum"), operator.ge))
        for keyword, words, bound, fails in checks:
            if bound is not None and fails(number, bound):
                add(keyword, name, f"expected {words} {bound!r}, found {shown}", expected=f"{words} {bound!r}",
                    text=text)
                return
        if not low <= number <= high:
            add("format", name, f"expected from {low} to {high}, found {shown}", expected=f"from {low} to {high}",
                text=text)

    def _text(self, p: dict[str, Any], text: str, add: Any) -> None:
        name, shown = p["name"], _shown(p["name"], text)
        if p.get("min_length") is not None and len(text) < p["min_length"]:
            add("minLength", name, f"expected at least {p['min_length']} characters, found {len(text)}",
                expected=f"at least {p['min_length']} characters", text=text)
        elif p.get("max_length") is not None and len(text) > p["max_length"]:
            add("maxLength", name, f"expected at most {p['max_length']} characters, found {len(text)}",
                expected=f"at most {p['max_length']} characters", text=text)
        elif p.get("pattern") is not None:
            pattern = self._pattern(p["pattern"])
            if pattern is not None and not pattern.search(text):
                add("pattern", name, f"{shown} does not match {p['pattern']!r}", expected=f"matching "
                    f"{p['pattern']!r}", text=text)

    def _pattern(self, source: str) -> re.Pattern[str] | None:
        if source not in self._patterns:
            try:
                self._patterns[source] = re.compile(source)
            except re.error:  # ECMA-262 syntax Python does not read: not checked here (the validators are)
                self._patterns[source] = None
        return self._patterns[source]


def _an(json_type: str) -> str:
    return "an integer" if json_type == "integer" else f"a {json_type}"


def _json_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False) if len(text) <= 80 else "string"
