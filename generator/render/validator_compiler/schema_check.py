"""The validator compiler, first job: check a whole schema before anything is compiled.

A keyword outside the compiler's table, a root-only keyword elsewhere, or a malformed value raises here with
its JSON Pointer; nothing is ignored silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ...runtime._values import ARRAY, BOOLEAN, INTEGER, NULL, NUMBER, OBJECT, STRING

# JSON types as bits (the runtime's): an int value has NUMBER | INTEGER, an integral float too, any other float
# NUMBER.
ALL = 127
TYPE_BITS = {"null": NULL, "boolean": BOOLEAN, "object": OBJECT, "array": ARRAY, "number": NUMBER, "string": STRING,
             "integer": INTEGER}
NUMERIC = NUMBER | INTEGER

ANNOTATIONS = frozenset(
    {
        "$comment",
        "title",
        "description",
        "examples",
        "default",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",  # content keywords are annotations in 2020-12
        "contentEncoding",
        "contentSchema",
        "xml",  # the OpenAPI 3.1 dialect's own annotations, kept in the bundled schemas
        "externalDocs",
        "example",
    }
)
ROOT_ONLY = frozenset({"$schema", "$id", "$defs"})
DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"


class UnsupportedKeyword(Exception):
    """A schema uses a keyword (or a form of one) the compiler does not implement."""

    def __init__(self, pointer: str, keyword: str, detail: str = "", schema_name: str = "") -> None:
        self.pointer = pointer
        self.keyword = keyword
        self.detail = detail
        self.schema_name = schema_name
        where = f" in schema {schema_name!r}" if schema_name else ""
        extra = f": {detail}" if detail else ""
        super().__init__(f"unsupported JSON Schema keyword {keyword!r} at {pointer!r}{where}{extra}")


class InvalidSchema(ValueError):
    """A supported keyword has a value JSON Schema does not allow (or a policy entry is malformed)."""

    def __init__(self, pointer: str, message: str, schema_name: str = "") -> None:
        self.pointer = pointer
        self.schema_name = schema_name
        where = f" in schema {schema_name!r}" if schema_name else ""
        super().__init__(f"{message} at {pointer!r}{where}")


def escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")



SCHEMA_LIST = ("allOf", "anyOf", "oneOf")
_NON_NEG_INT = ("minLength", "maxLength", "minItems", "maxItems")
_NUMBER_KWS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


@dataclass
class Entry:
    index: int
    name: str
    schema: dict[str, Any] | bool
    defs: dict[str, Any]


def def_name(ref: str, pointer: str, entry: Entry) -> str:
    if not ref.startswith("#/$defs/"):
        raise UnsupportedKeyword(
            pointer, "$ref", f"only local '#/$defs/Name' references, got {ref!r}", entry.name
        )
    raw = ref[len("#/$defs/") :]
    if "/" in raw:
        raise UnsupportedKeyword(
            pointer, "$ref", f"only whole definitions can be referenced, got {ref!r}", entry.name
        )
    name = unquote(raw).replace("~1", "/").replace("~0", "~")
    if name not in entry.defs:
        raise InvalidSchema(pointer, f"unresolvable reference {ref!r}", entry.name)
    return name


def _is_num(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


class Checker:
    """Walks a whole schema before anything is compiled: unsupported or malformed keywords fail here."""

    def __init__(self, entry: Entry, supported: frozenset[str]) -> None:
        self.entry = entry
        self.supported = supported

    def fail(self, pointer: str, message: str) -> InvalidSchema:
        return InvalidSchema(pointer, message, self.entry.name)

    def check(self, node: object, ptr: str, root: bool = False) -> None:
        if isinstance(node, bool):
            return
        if not isinstance(node, dict):
            raise self.fail(ptr, "a schema must be an object or a boolean")
        for key, value in node.items():
            kp = f"{ptr}/{escape(str(key))}"
            if key in ANNOTATIONS or (isinstance(key, str) and key.startswith("x-")):
                if key == "x-open-enum" and not isinstance(value, bool):
                    raise self.fail(kp, "x-open-enum must be a boolean")
                continue
            if key in ROOT_ONLY:
                if not root:
                    raise UnsupportedKeyword(kp, key, "allowed at the schema root only", self.entry.name)
                self.check_root_keyword(key, value, kp)
                continue
            if key not in self.supported:
                raise UnsupportedKeyword(kp, str(key), "", self.entry.name)
            self.check_keyword(key, value, kp, node)

    def check_root_keyword(self, key: str, value: object, kp: str) -> None:
        if key == "$schema" and value not in (DRAFT_2020_12, DRAFT_2020_12 + "#"):
            raise UnsupportedKeyword(
                kp, key, f"only Draft 2020-12 is supported, got {value!r}", self.entry.name
            )
        if key == "$id" and not isinstance(value, str):
            raise self.fail(kp, "$id must be a string")
        if key == "$defs":
            if not isinstance(value, dict):
                raise self.fail(kp, "$defs must be an object")
            for name, sub in value.items():
                self.check(sub, f"{kp}/{escape(name)}")

    def check_keyword(self, key: str, value: object, kp: str, node: dict[str, Any]) -> None:
        if key == "type":
            names = value if isinstance(value, list) else [value]
            if not names or len(set(map(str, names))) != len(names):
                raise self.fail(kp, "type must be a type name or a non-empty list of distinct names")
            for n in names:
                if n not in TYPE_BITS:
                    raise self.fail(kp, f"unknown type {n!r}")
        elif key == "enum":
            if not isinstance(value, list):
                raise self.fail(kp, "enum must be an array")
        elif key == "required":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise self.fail(kp, "required must be an array of strings")
            if len(set(value)) != len(value):
                raise self.fail(kp, "required must not repeat names")
        elif key == "properties":
            if not isinstance(value, dict):
                raise self.fail(kp, "properties must be an object")
            for name, sub in value.items():
                self.check(sub, f"{kp}/{escape(name)}")
        elif key in ("additionalProperties", "items"):
            if isinstance(value, list):
                raise UnsupportedKeyword(kp, key, "the array form is not Draft 2020-12", self.entry.name)
            self.check(value, kp)
        elif key in SCHEMA_LIST:
            if not isinstance(value, list) or not value:
                raise self.fail(kp, f"{key} must be a non-empty array of schemas")
            for i, sub in enumerate(value):
                self.check(sub, f"{kp}/{i}")
        elif key in _NUMBER_KWS:
            if not _is_num(value):
                raise self.fail(kp, f"{key} must be a number")
        elif key in _NON_NEG_INT:
            if (
                not isinstance(value, (int, float))
                or isinstance(value, bool)
                or value < 0
                or value != int(value)
            ):
                raise self.fail(kp, f"{key} must be a non-negative integer")
        elif key == "pattern":
            if not isinstance(value, str):
                raise self.fail(kp, "pattern must be a string")
            try:
                re.compile(value)
            except re.error as exc:
                raise self.fail(kp, f"pattern does not compile: {exc}") from None
        elif key == "format":
            if not isinstance(value, str):
                raise self.fail(kp, "format must be a string")
        elif key == "$ref":
            if not isinstance(value, str):
                raise self.fail(kp, "$ref must be a string")
            def_name(value, kp, self.entry)


