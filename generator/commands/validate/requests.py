"""Recorded requests checked against the operation's parameters (the `_spec.PARAMETERS` table of the generated
package): required, type, value set, bounds. Values of secret parameters are never echoed."""

from __future__ import annotations

import math
import re
from typing import Any

from ...recordings import clip
from ...runtime._values import broken_rule
from .findings import HINTS, Finding, escape, finding

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
            if not values or (p["required"] and all(v == "" for v in values)):  # else an empty text is checked
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
            self._rules(p, number, text, add)
        elif "string" in types:
            self._rules(p, text, text, add)

    def _rules(self, p: dict[str, Any], value: int | float | str, text: str, add: Any) -> None:
        broken = broken_rule(value, p)  # the client's check too: one rule, one wording
        if broken is not None:
            keyword, expected = broken
            found = f"{len(text)} characters" if keyword in ("minLength", "maxLength") else _shown(p["name"], text)
            add(keyword, p["name"], f"expected {expected}, found {found}", expected=expected, text=text)


def _an(json_type: str) -> str:
    return "an integer" if json_type == "integer" else f"a {json_type}"


def _json_string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False) if len(text) <= 80 else "string"
