"""JSON Schema (Draft 2020-12 subset) -> plain, fast, standard-library-only Python validators.

`compile_validators(schemas, lenient, header)` turns self-contained schemas (local `#/$defs/Name`
references only) into the source of one module with `validate_<name>(document, strict=False)` per entry
point, `validate` (the first entry point) and the `Issue` record they return.

How it works, in the manner of fastjsonschema's generator:

* `_check` walks every schema first: a keyword outside `_Compiler.KEYWORDS`, the root-only keywords and the
  ignored annotations raises `UnsupportedKeyword` with its JSON Pointer; malformed values raise
  `InvalidSchema`. Nothing is ignored silently.
* `_Compiler.KEYWORDS` is the table from keyword to the method that emits its code. Type-specific keywords
  are emitted under one guard per JSON type (`type(x) is dict`, ...), as JSON Schema applies them only to
  instances of that type; the others apply to every instance.
* One function per `$defs` entry (small leaf definitions, such as value sets, are also inlined where they
  are referenced) and one per entry point; all other subschemas are inlined as straight-line code.
* No path is built on the happy path: a function returns `None` when it found nothing, otherwise its
  issues with paths relative to its own value (segments stored innermost first); the caller appends its
  segments. `validate_*` turns them into JSON Pointers and sorts them into document order.

Reporting, chosen to agree with `jsonschema`'s `iter_errors` (strict mode: same verdict, same error paths):

* every failing keyword is one issue at the instance it applies to, except
* `additionalProperties: false`: one issue per undeclared property, at the property's own path
  (jsonschema reports one error at the object, naming the properties);
* `anyOf` / `oneOf`: one issue at the instance unless exactly one branch accepts the JSON type of the value,
  in which case that branch's issues are reported (paths stay precise for the nullable
  `anyOf: [{$ref}, {type: null}]` pattern). A branch's accepted types come from its `type`, intersected
  through `$ref` and `allOf`; a branch without `type` accepts every type. This is exactly the branch
  jsonschema's error context shows without a `type` error at the instance itself.

Lenient mode (the default of the generated `validate*`) downgrades to warnings: a string outside an
`enum` marked `x-open-enum: true`, an undeclared property under `additionalProperties: false`, and the
type drift the lenient policy allows (a string holding an int64 where an integer or number is expected, a
listed string where a boolean is expected, a listed string where null is allowed). An accepted drifted value
is checked against the remaining keywords as the value it stands for.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote

from .codec import lenient_source
from .ir.schemas import LenientPolicy
from .runtime._values import INT_FORMATS

__all__ = ["InvalidSchema", "UnsupportedKeyword", "compile_validators"]

LINE_LENGTH = 110  # the repo's ruff line length: long generated lines are wrapped the way ruff formats them

# JSON types as bits. An int value has NUMBER | INTEGER, an integral float too, any other float NUMBER.
NULL, BOOLEAN, OBJECT, ARRAY, NUMBER, STRING, INTEGER = 1, 2, 4, 8, 16, 32, 64
ALL = 127
_TYPE_BITS = {
    "null": NULL,
    "boolean": BOOLEAN,
    "object": OBJECT,
    "array": ARRAY,
    "number": NUMBER,
    "string": STRING,
    "integer": INTEGER,
}
_NUMERIC = NUMBER | INTEGER

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


def _esc(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


# --------------------------------------------------------------------------------------------- literals


def _pystr(text: str) -> str:
    """A Python string literal as ruff format writes it (double quotes unless that needs more escapes)."""
    quote = "'" if text.count('"') > text.count("'") else '"'
    out = [quote]
    for ch in text:
        if ch == "\\":
            out.append("\\\\")
        elif ch == quote:
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        elif 0xD800 <= ord(ch) <= 0xDFFF or not ch.isprintable():
            out.append(f"\\u{ord(ch):04x}" if ord(ch) <= 0xFFFF else f"\\U{ord(ch):08x}")
        else:
            out.append(ch)
    out.append(quote)
    return "".join(out)


def _pylit(value: object) -> str:
    """A one-line Python literal for a JSON value."""
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return _pystr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_pylit(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_pystr(str(k))}: {_pylit(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def _fmt_value(value: object, indent: int, prefix: str, suffix: str = "") -> list[str]:
    """`prefix + literal + suffix` as ruff formats it: one line if it fits, else exploded with trailing commas."""
    one = " " * indent + prefix + _pylit(value) + suffix
    if len(one) <= LINE_LENGTH or not isinstance(value, (list, dict)) or not value:
        return [one]
    pad = " " * indent
    opener, closer = ("[", "]") if isinstance(value, list) else ("{", "}")
    lines = [pad + prefix + opener]
    if isinstance(value, list):
        for item in value:
            lines += _fmt_value(item, indent + 4, "", ",")
    else:
        for key, item in value.items():
            lines += _fmt_value(item, indent + 4, _pystr(str(key)) + ": ", ",")
    lines.append(pad + closer + suffix)
    return lines


def _short(value: object, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ------------------------------------------------------------------------------------ code structures


@dataclass(frozen=True)
class _Cond:
    """A condition: `op` is "" for an atom, else "and"/"or" over `parts` (already parenthesised)."""

    text: str
    neg: str | None = None  # the atom's negation, written without a leading `not` where possible
    op: str = ""
    parts: tuple[_Cond, ...] = ()


def _atom(text: str, neg: str | None = None) -> _Cond:
    return _Cond(text, neg)


def _join(op: str, conds: Iterable[_Cond]) -> _Cond:
    flat: list[_Cond] = []
    for c in conds:
        if c.op == op:
            flat.extend(c.parts)
        else:
            flat.append(c)
    if len(flat) == 1:
        return flat[0]
    texts = [f"({c.text})" if c.op else c.text for c in flat]
    return _Cond(f" {op} ".join(texts), None, op, tuple(flat))


def _and(*conds: _Cond) -> _Cond:
    return _join("and", conds)


def _or(*conds: _Cond) -> _Cond:
    return _join("or", conds)


def _not(cond: _Cond) -> _Cond:
    if not cond.op:
        if cond.neg is not None:
            return _Cond(cond.neg, cond.text)
        return _Cond(f"not {cond.text}", cond.text)
    inner = [_not(p) for p in cond.parts]
    return _join("or" if cond.op == "and" else "and", inner)


@dataclass
class _If:
    cond: _Cond
    body: list[_Stmt]
    orelse: list[_Stmt] = field(default_factory=list)


@dataclass
class _For:
    head: str
    body: list[_Stmt]


@dataclass(frozen=True)
class _ListLit:
    """A list display of Python expressions (a path), exploded like ruff does when too long."""

    items: tuple[str, ...]

    def __str__(self) -> str:
        return "[" + ", ".join(self.items) + "]"


@dataclass
class _Call:
    """`lhs = fn(args)` (or a bare call when lhs is empty), wrapped the way ruff format does."""

    lhs: str
    fn: str
    args: list[str | _ListLit]


_Stmt = str | _If | _For | _Call


def _collapse(node: _If) -> _If:
    while (
        not node.orelse and len(node.body) == 1 and isinstance(node.body[0], _If) and not node.body[0].orelse
    ):
        inner = node.body[0]
        node = _If(_and(node.cond, inner.cond), inner.body)
    return node


def _render(stmts: list[_Stmt], indent: int, out: list[str]) -> None:
    pad = " " * indent
    for stmt in stmts:
        if isinstance(stmt, str):
            out.append(pad + stmt)
        elif isinstance(stmt, _Call):
            _render_call(stmt, indent, out)
        elif isinstance(stmt, _For):
            out.append(pad + stmt.head)
            _render(stmt.body, indent + 4, out)
        else:
            _render_if(stmt, indent, out, "if")


def _render_if(node: _If, indent: int, out: list[str], word: str) -> None:
    pad = " " * indent
    node = _collapse(node)
    line = f"{pad}{word} {node.cond.text}:"
    if len(line) <= LINE_LENGTH or not node.cond.op:
        out.append(line)
    else:  # as ruff format does: one operand a line, the operator leading
        out.append(f"{pad}{word} (")
        for i, part in enumerate(node.cond.parts):
            text = f"({part.text})" if part.op else part.text
            out.append(f"{pad}    {'' if i == 0 else node.cond.op + ' '}{text}")
        out.append(f"{pad}):")
    _render(node.body, indent + 4, out)
    if node.orelse:
        if len(node.orelse) == 1 and isinstance(node.orelse[0], _If):
            _render_if(node.orelse[0], indent, out, "elif")
        else:
            out.append(pad + "else:")
            _render(node.orelse, indent + 4, out)


def _render_call(call: _Call, indent: int, out: list[str]) -> None:
    pad = " " * indent
    head = f"{pad}{call.lhs} = {call.fn}(" if call.lhs else f"{pad}{call.fn}("
    args = [str(a) for a in call.args]
    one = head + ", ".join(args) + ")"
    if len(one) <= LINE_LENGTH:
        out.append(one)
        return
    out.append(head)
    hugged = pad + "    " + ", ".join(args)
    if len(hugged) <= LINE_LENGTH:
        out.append(hugged)
    else:
        for arg in call.args:
            line = f"{pad}    {arg},"
            if isinstance(arg, _ListLit) and arg.items and len(line) > LINE_LENGTH:
                out.append(f"{pad}    [")
                out.extend(f"{pad}        {item}," for item in arg.items)
                out.append(f"{pad}    ],")
            else:
                out.append(line)
    out.append(pad + ")")


# ----------------------------------------------------------------------------------------- type tests


def _type_test(var: str, mask: int, exact: bool) -> _Cond:
    """A condition true when `var` has one of the JSON types in `mask`.

    Not `exact`: integral floats for "integer" are left to the slow path (`_type` accepts them)."""
    atoms: list[_Cond] = []
    if mask & STRING:
        atoms.append(_atom(f"type({var}) is str", f"type({var}) is not str"))
    if mask & NUMBER:
        atoms.append(_atom(f"type({var}) is int", f"type({var}) is not int"))
        atoms.append(_atom(f"type({var}) is float", f"type({var}) is not float"))
    elif mask & INTEGER:
        atoms.append(_atom(f"type({var}) is int", f"type({var}) is not int"))
        if exact:
            atoms.append(
                _and(
                    _atom(f"type({var}) is float", f"type({var}) is not float"),
                    _atom(f"{var}.is_integer()", f"not {var}.is_integer()"),
                )
            )
    if mask & BOOLEAN:
        atoms.append(_atom(f"type({var}) is bool", f"type({var}) is not bool"))
    if mask & OBJECT:
        atoms.append(_atom(f"type({var}) is dict", f"type({var}) is not dict"))
    if mask & ARRAY:
        atoms.append(_atom(f"type({var}) is list", f"type({var}) is not list"))
    if mask & NULL:
        atoms.append(_atom(f"{var} is None", f"{var} is not None"))
    if not atoms:
        return _atom("False", "True")
    return _or(*atoms)


def _covers(mask: int, known: int) -> bool:
    """Whether every value of the `known` types has a type in `mask`."""
    if known & ~_NUMERIC & ~mask:
        return False
    if known & NUMBER:
        return bool(mask & NUMBER)
    return not known & INTEGER or bool(mask & _NUMERIC)


def _overlap(a: int, b: int) -> bool:
    """Whether some JSON value has a type in both masks (an int is both a number and an integer)."""
    if a & b & ~_NUMERIC:
        return True
    return bool(a & _NUMERIC and b & _NUMERIC)


_NAME_ORDER = ("string", "integer", "number", "boolean", "object", "array", "null")


def _type_names(mask: int) -> str:
    names = [n for n in _NAME_ORDER if mask & _TYPE_BITS[n]]
    if mask & NUMBER and mask & INTEGER:
        names.remove("integer")
    return " or ".join(names) if names else "nothing"


# ------------------------------------------------------------------------------------------- checking

_SCHEMA_LIST = ("allOf", "anyOf", "oneOf")
_NON_NEG_INT = ("minLength", "maxLength", "minItems", "maxItems")
_NUMBER_KWS = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")


@dataclass
class _Entry:
    index: int
    name: str
    schema: dict[str, Any] | bool
    defs: dict[str, Any]


def _def_name(ref: str, pointer: str, entry: _Entry) -> str:
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


class _Checker:
    """Walks a whole schema before anything is compiled: unsupported or malformed keywords fail here."""

    def __init__(self, entry: _Entry) -> None:
        self.entry = entry

    def fail(self, pointer: str, message: str) -> InvalidSchema:
        return InvalidSchema(pointer, message, self.entry.name)

    def check(self, node: object, ptr: str, root: bool = False) -> None:
        if isinstance(node, bool):
            return
        if not isinstance(node, dict):
            raise self.fail(ptr, "a schema must be an object or a boolean")
        for key, value in node.items():
            kp = f"{ptr}/{_esc(str(key))}"
            if key in ANNOTATIONS or (isinstance(key, str) and key.startswith("x-")):
                if key == "x-open-enum" and not isinstance(value, bool):
                    raise self.fail(kp, "x-open-enum must be a boolean")
                continue
            if key in ROOT_ONLY:
                if not root:
                    raise UnsupportedKeyword(kp, key, "allowed at the schema root only", self.entry.name)
                self.check_root_keyword(key, value, kp)
                continue
            if key not in _Compiler.KEYWORDS:
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
                self.check(sub, f"{kp}/{_esc(name)}")

    def check_keyword(self, key: str, value: object, kp: str, node: dict[str, Any]) -> None:
        if key == "type":
            names = value if isinstance(value, list) else [value]
            if not names or len(set(map(str, names))) != len(names):
                raise self.fail(kp, "type must be a type name or a non-empty list of distinct names")
            for n in names:
                if n not in _TYPE_BITS:
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
                self.check(sub, f"{kp}/{_esc(name)}")
        elif key in ("additionalProperties", "items"):
            if isinstance(value, list):
                raise UnsupportedKeyword(kp, key, "the array form is not Draft 2020-12", self.entry.name)
            self.check(value, kp)
        elif key in _SCHEMA_LIST:
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
            _def_name(value, kp, self.entry)


# ------------------------------------------------------------------------------------------ compiling


@dataclass(frozen=True)
class _Ctx:
    entry: _Entry
    var: str  # the Python variable holding the instance
    segs: tuple[
        str, ...
    ]  # Python expressions of the path segments from the function's value, innermost first
    depth: int
    ptr: str  # JSON Pointer of the subschema inside its entry's schema
    known: int = ALL  # the JSON types the instance is known to have here (tested by an enclosing anyOf)

    def child(self, var: str, seg: str, ptr: str) -> _Ctx:
        return _Ctx(self.entry, var, (seg, *self.segs), self.depth + 1, ptr)

    def same(self, ptr: str, known: int | None = None) -> _Ctx:
        return _Ctx(self.entry, self.var, self.segs, self.depth, ptr, self.known if known is None else known)

    @property
    def segs_list(self) -> _ListLit:
        return _ListLit(self.segs)


_GROUP_GUARD = {
    "number": _or(
        _atom("type({v}) is int", "type({v}) is not int"),
        _atom("type({v}) is float", "type({v}) is not float"),
    ),
    "string": _atom("type({v}) is str", "type({v}) is not str"),
    "array": _atom("type({v}) is list", "type({v}) is not list"),
    "object": _atom("type({v}) is dict", "type({v}) is not dict"),
}
_GROUP_MASK = {"number": _NUMERIC, "string": STRING, "array": ARRAY, "object": OBJECT}


def _guard(group: str, var: str) -> _Cond:
    cond = _GROUP_GUARD[group]
    if cond.op:
        return _or(*(_atom(p.text.format(v=var), (p.neg or "").format(v=var)) for p in cond.parts))
    return _atom(cond.text.format(v=var), (cond.neg or "").format(v=var))


class _Compiler:
    """Emits the module. `KEYWORDS` is the table keyword -> (type group or None, emitting method)."""

    KEYWORDS: ClassVar[dict[str, tuple[str | None, str]]] = {
        "type": (None, "_kw_type"),  # emitted first by `subschema`, with the coercion of lenient drift
        "const": (None, "_kw_const"),
        "enum": (None, "_kw_enum"),
        "format": ("number", "_kw_format"),  # int32 / int64 are ranges; other formats are annotations
        "minimum": ("number", "_kw_minimum"),
        "maximum": ("number", "_kw_maximum"),
        "exclusiveMinimum": ("number", "_kw_exclusive_minimum"),
        "exclusiveMaximum": ("number", "_kw_exclusive_maximum"),
        "minLength": ("string", "_kw_min_length"),
        "maxLength": ("string", "_kw_max_length"),
        "pattern": ("string", "_kw_pattern"),
        "minItems": ("array", "_kw_min_items"),
        "maxItems": ("array", "_kw_max_items"),
        "items": ("array", "_kw_items"),
        "required": ("object", "_kw_required"),
        "properties": ("object", "_kw_properties"),
        "additionalProperties": ("object", "_kw_additional_properties"),
        "$ref": (None, "_kw_ref"),
        "allOf": (None, "_kw_all_of"),
        "anyOf": (None, "_kw_any_of"),
        "oneOf": (None, "_kw_one_of"),
    }

    def __init__(self, entries: list[_Entry], policy: LenientPolicy) -> None:
        self.entries = entries
        self.policy = policy
        self.sites: dict[tuple[str, str, int], int] = {}
        self.consts: dict[str, str] = {}  # rendered definition -> name
        self.const_lines: list[str] = []
        self.functions: list[str] = []
        self.branch_tables: list[str] = []
        self.def_funcs: dict[tuple[int, str], str] = {}
        self.counter = 0
        self.uses_re = False
        for entry in entries:
            for n, name in enumerate(entry.defs):
                self.def_funcs[(entry.index, name)] = f"_d{entry.index}_{n}"

    # ------------------------------------------------------------------------------ registries

    def site(self, keyword: str, expected: str, aux: int = 0) -> int:
        key = (keyword, expected, aux)
        if key not in self.sites:
            self.sites[key] = len(self.sites)
        return self.sites[key]

    def const(self, prefix: str, definition: str, lines: list[str] | None = None) -> str:
        """A module-level constant; `definition` is its right-hand side (its identity for reuse)."""
        if definition in self.consts:
            return self.consts[definition]
        name = f"_{prefix}{len(self.consts)}"
        self.consts[definition] = name
        if lines is None:
            lines = [f"{name} = {definition}"]
        else:
            lines = [line.replace("{name}", name, 1) if i == 0 else line for i, line in enumerate(lines)]
        self.const_lines.extend(lines)
        return name

    def str_set(self, values: Iterable[str | None]) -> str:
        given = list(values)
        items: list[str | None] = [
            *sorted({v for v in given if v is not None}),
            *([None] if None in given else []),
        ]
        if not items:
            return self.const("K", "set()", ["{name}: set[str] = set()"])
        body = ["{name} = {"] + [f"    {_pylit(v)}," for v in items] + ["}"]
        return self.const("K", "{" + ", ".join(_pylit(v) for v in items) + "}", body)

    def value_const(self, value: object) -> str:
        definition = _pylit(value)
        lines = _fmt_value(value, 0, "{name}: object = ")
        return self.const("C", definition, lines)

    def regex(self, pattern: str) -> str:
        self.uses_re = True
        lit = _pystr(pattern)
        definition = f"re.compile({lit})"
        one = f"_R{len(self.consts)} = {definition}"
        lines = (
            [f"{{name}} = {definition}"]
            if len(one) <= LINE_LENGTH
            else ["{name} = re.compile(", f"    {lit}", ")"]
        )
        return self.const("R", definition, lines)

    # ------------------------------------------------------------------------------ structure

    def function(self, name: str, comment: str, ctx: _Ctx, schema: object, recursive: bool = False) -> None:
        body = self.subschema(ctx, schema)
        out = [f"# {comment}", f"def {name}(x: object, lax: bool, d: int) -> _L | None:"]
        if recursive:  # it refers back to itself: bounded, so no document exhausts the stack
            out.append("    if d > _v.MAX_DEPTH:")
            out.append("        return _too_deep(x)")
        only = body[0] if len(body) == 1 else None
        if (
            isinstance(only, _If)
            and not only.orelse
            and only.cond.text.startswith("(r := ")
            and only.body == [_Call("e", "_merge", ["e", "r", _ListLit(())])]
        ):  # the schema is just a reference
            out.append("    return " + only.cond.text[len("(r := ") : -len(") is not None")])
        elif body:
            out.append("    e: _L | None = None")
            _render(body, 4, out)
            out.append("    return e")
        else:
            out.append("    return None")
        self.functions.append("\n".join(out))

    def compile(self) -> None:
        for entry in self.entries:
            recursive = _recursive_defs(entry)
            for name, schema in entry.defs.items():
                ptr = f"/$defs/{_esc(name)}"
                ctx = _Ctx(entry, "x", (), 0, ptr)
                self.function(self.def_funcs[(entry.index, name)], f"{entry.name}: #{ptr}", ctx, schema,
                              name in recursive)
            ctx = _Ctx(entry, "x", (), 0, "")
            self.function(f"_e{entry.index}", f"{entry.name}: the root schema", ctx, entry.schema)

    def record(self, ctx: _Ctx, helper: str, site: int, *extra: str) -> _Call:
        return _Call("e", helper, ["e", ctx.segs_list, str(site), *extra])

    def error(self, ctx: _Ctx, keyword: str, expected: str) -> _Call:
        return self.record(ctx, "_err", self.site(keyword, expected), ctx.var)

    def subschema(self, ctx: _Ctx, schema: object) -> list[_Stmt]:
        """The statements checking `ctx.var` against `schema`, in keyword-table order."""
        if schema is True:
            return []
        if schema is False:
            return [self.error(ctx, "false", "nothing (the schema is false)")]
        assert isinstance(schema, dict)
        groups: dict[str, list[_Stmt]] = {"number": [], "string": [], "array": [], "object": []}
        plain: list[_Stmt] = []
        for keyword, (group, method) in self.KEYWORDS.items():
            if keyword == "type" or keyword not in schema:
                continue
            emit: Callable[[_Ctx, Any, dict[str, Any]], list[_Stmt]] = getattr(self, method)
            stmts = emit(ctx, schema[keyword], schema)
            (groups[group] if group else plain).extend(stmts)
        out: list[_Stmt] = []
        known = ctx.known
        for group, gmask in _GROUP_MASK.items():  # a group for a type the instance cannot have: dropped
            if not known & gmask:
                groups[group] = []
        mask = _mask_of_type(schema["type"]) if "type" in schema else ALL
        fused = None
        if not _covers(mask, known):
            fused = next((g for g in ("object", "array") if mask & _GROUP_MASK[g] and groups[g]), None)
            out.extend(self._kw_type(ctx, mask, fused, groups[fused] if fused else []))
        for group in ("number", "string", "array", "object"):
            if group != fused and groups[group]:
                if known & ~_GROUP_MASK[group]:
                    out.append(_If(_guard(group, ctx.var), groups[group]))
                else:  # the instance is known to be of this type
                    out.extend(groups[group])
        # `plain` is in table order: const and enum (they see a coerced value), then the applicators
        return out + plain

    # ------------------------------------------------------------------------------ keywords

    def _kw_type(self, ctx: _Ctx, mask: int, fused: str | None, group: list[_Stmt]) -> list[_Stmt]:
        site = self.site("type", _type_names(mask), mask)
        slow = _Call(f"{ctx.var}, e", "_type", [ctx.var, "e", ctx.segs_list, str(site), "lax"])
        if fused is None:
            return [_If(_not(_type_test(ctx.var, mask, exact=False)), [slow])]
        rest = mask & ~_GROUP_MASK[fused]
        orelse: list[_Stmt] = (
            [slow] if not rest else [_If(_not(_type_test(ctx.var, rest, exact=False)), [slow])]
        )
        return [_If(_guard(fused, ctx.var), group, orelse)]

    def _kw_const(self, ctx: _Ctx, value: Any, schema: dict[str, Any]) -> list[_Stmt]:
        v = ctx.var
        if isinstance(value, str):
            cond = _atom(f"{v} != {_pylit(value)}")
        elif value is None or isinstance(value, bool):
            cond = _atom(f"{v} is not {value!r}")
        else:
            cond = _atom(f"not _eq({v}, {self.value_const(value)})")
        return [_If(cond, [self.error(ctx, "const", f"the value {_short(value)}")])]

    def _kw_enum(self, ctx: _Ctx, values: list[Any], schema: dict[str, Any]) -> list[_Stmt]:
        v = ctx.var
        open_enum = schema.get("x-open-enum") is True
        shown = ", ".join(_short(x, 30) for x in values[:8])
        expected = f"one of {shown}" + (f", ... ({len(values)} values)" if len(values) > 8 else "")
        site = self.site("enum", expected, 1 if open_enum else 0)
        if all(isinstance(x, str) for x in values) and not ctx.known & ~STRING:  # known to be a string
            cond = _atom(f"{v} not in {self.str_set(values)}")
        elif all(isinstance(x, str) for x in values):
            cond = _or(_atom(f"type({v}) is not str"), _atom(f"{v} not in {self.str_set(values)}"))
        elif all(isinstance(x, str) or x is None for x in values):
            cond = _or(
                _and(_atom(f"type({v}) is not str"), _atom(f"{v} is not None")),
                _atom(f"{v} not in {self.str_set(values)}"),
            )
        else:
            cond = _atom(f"not _in({v}, {self.value_const(values)})")
        return [_If(cond, [self.record(ctx, "_enum", site, v, "lax")])]

    def _bound(self, ctx: _Ctx, keyword: str, op: str, limit: Any, shown: str) -> list[_Stmt]:
        return [
            _If(_atom(f"{ctx.var} {op} {_pylit(limit)}"), [self.error(ctx, keyword, f"{shown} {limit!r}")])
        ]

    def _kw_format(self, ctx: _Ctx, fmt: Any, schema: dict[str, Any]) -> list[_Stmt]:
        bounds = INT_FORMATS.get(fmt)
        if bounds is None:
            return []
        lo, hi = bounds
        name = self.const("F", f"_v.INT_FORMATS[{_pystr(fmt)}]")  # the range lives in the shared runtime
        fails = _atom(f"not {name}[0] <= {ctx.var} <= {name}[1]")
        return [_If(fails, [self.error(ctx, "format", f"an {fmt} integer ({lo} to {hi})")])]

    def _kw_minimum(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._bound(ctx, "minimum", "<", limit, "a number >=")

    def _kw_maximum(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._bound(ctx, "maximum", ">", limit, "a number <=")

    def _kw_exclusive_minimum(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._bound(ctx, "exclusiveMinimum", "<=", limit, "a number >")

    def _kw_exclusive_maximum(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._bound(ctx, "exclusiveMaximum", ">=", limit, "a number <")

    def _length(self, ctx: _Ctx, keyword: str, op: str, limit: Any, shown: str) -> list[_Stmt]:
        n = int(limit)
        return [_If(_atom(f"len({ctx.var}) {op} {n}"), [self.error(ctx, keyword, shown.format(n=n))])]

    def _kw_min_length(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._length(ctx, "minLength", "<", limit, "a string of at least {n} characters")

    def _kw_max_length(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._length(ctx, "maxLength", ">", limit, "a string of at most {n} characters")

    def _kw_min_items(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._length(ctx, "minItems", "<", limit, "an array of at least {n} items")

    def _kw_max_items(self, ctx: _Ctx, limit: Any, schema: dict[str, Any]) -> list[_Stmt]:
        return self._length(ctx, "maxItems", ">", limit, "an array of at most {n} items")

    def _kw_pattern(self, ctx: _Ctx, pattern: str, schema: dict[str, Any]) -> list[_Stmt]:
        name = self.regex(pattern)
        expected = f"a string matching {_short(pattern, 60)}"
        return [_If(_atom(f"{name}.search({ctx.var}) is None"), [self.error(ctx, "pattern", expected)])]

    def _kw_items(self, ctx: _Ctx, items: Any, schema: dict[str, Any]) -> list[_Stmt]:
        if items is False:  # like jsonschema: one issue at the array, not one per item
            return [_If(_atom(ctx.var), [self.error(ctx, "items", "an empty array (items is false)")])]
        d = ctx.depth + 1
        body = self.subschema(ctx.child(f"v{d}", f"i{d}", f"{ctx.ptr}/items"), items)
        return [_For(f"for i{d}, v{d} in enumerate({ctx.var}):", body)] if body else []

    def _kw_required(self, ctx: _Ctx, names: list[str], schema: dict[str, Any]) -> list[_Stmt]:
        out: list[_Stmt] = []
        for name in names:
            site = self.site("required", f"property {_short(name)}")
            out.append(_If(_atom(f"{_pylit(name)} not in {ctx.var}"), [self.record(ctx, "_miss", site)]))
        return out

    def _kw_properties(self, ctx: _Ctx, props: dict[str, Any], schema: dict[str, Any]) -> list[_Stmt]:
        out: list[_Stmt] = []
        d = ctx.depth + 1
        for name, sub in props.items():
            lit = _pylit(name)
            body = self.subschema(ctx.child(f"p{d}", lit, f"{ctx.ptr}/properties/{_esc(name)}"), sub)
            if body:
                out.append(_Call(f"p{d}", f"{ctx.var}.get", [lit, "_M"]))
                out.append(_If(_atom(f"p{d} is not _M", f"p{d} is _M"), body))
        return out

    def _kw_additional_properties(self, ctx: _Ctx, extra: Any, schema: dict[str, Any]) -> list[_Stmt]:
        known = self.str_set(schema.get("properties", {}))
        if extra is False:
            site = self.site("additionalProperties", "no undeclared property")
            call = _Call("e", "_extra", ["e", ctx.var, known, ctx.segs_list, str(site), "lax"])
            return [_If(_atom(f"not {known}.issuperset({ctx.var})"), [call])]
        d = ctx.depth + 1
        body = self.subschema(ctx.child(f"a{d}", f"k{d}", f"{ctx.ptr}/additionalProperties"), extra)
        if not body:
            return []
        if schema.get("properties"):
            body = [_If(_atom(f"k{d} not in {known}", f"k{d} in {known}"), body)]
        return [_For(f"for k{d}, a{d} in {ctx.var}.items():", body)]

    def _kw_ref(self, ctx: _Ctx, ref: str, schema: dict[str, Any]) -> list[_Stmt]:
        name = _def_name(ref, ctx.ptr + "/$ref", ctx.entry)
        target = ctx.entry.defs[name]
        if _is_leaf(target):
            return self.subschema(ctx.same(f"/$defs/{_esc(name)}"), target)
        fn = self.def_funcs[(ctx.entry.index, name)]
        return [self._call(ctx, fn)]

    def _call(self, ctx: _Ctx, fn: str) -> _If:
        merge = _Call("e", "_merge", ["e", "r", ctx.segs_list])
        depth = f"d + {len(ctx.segs)}" if ctx.segs else "d"
        return _If(_atom(f"(r := {fn}({ctx.var}, lax, {depth})) is not None"), [merge])

    def _kw_all_of(self, ctx: _Ctx, subs: list[Any], schema: dict[str, Any]) -> list[_Stmt]:
        out: list[_Stmt] = []
        for i, sub in enumerate(subs):
            out.extend(self.subschema(ctx.same(f"{ctx.ptr}/allOf/{i}"), sub))
        return out

    def _kw_any_of(self, ctx: _Ctx, subs: list[Any], schema: dict[str, Any]) -> list[_Stmt]:
        return self._combinator(ctx, "anyOf", subs)

    def _kw_one_of(self, ctx: _Ctx, subs: list[Any], schema: dict[str, Any]) -> list[_Stmt]:
        return self._combinator(ctx, "oneOf", subs)

    def _combinator(self, ctx: _Ctx, keyword: str, subs: list[Any]) -> list[_Stmt]:
        v = ctx.var
        masks = [_mask_of(sub, ctx.entry, set()) for sub in subs]
        ptrs = [f"{ctx.ptr}/{keyword}/{i}" for i in range(len(subs))]
        summary = ", ".join(_summary(sub, ctx.entry) for sub in subs)
        expected = ("any of " if keyword == "anyOf" else "exactly one of ") + f"[{summary}]"
        site = self.site(keyword, expected, 1 if keyword == "oneOf" else 0)
        union = 0
        for m in masks:
            union |= m
        if len(subs) == 1 and masks[0] == ALL:  # one branch accepting every type: it is the branch
            return self.subschema(ctx.same(ptrs[0]), subs[0])
        out: list[_Stmt] = []
        if _coercible(self.policy, union):
            lax_site = self.site("type", _type_names(union), union)
            coerce = _Call(f"{v}, e", "_lax", [v, "e", ctx.segs_list, str(lax_site)])
            out.append(_If(_and(_atom("lax"), _atom(f"type({v}) is str")), [coerce]))
        live = [i for i, m in enumerate(masks) if m]
        disjoint = all(not _overlap(masks[a], masks[b]) for a in live for b in live if a < b)
        if disjoint:
            chain: list[tuple[_Cond, list[_Stmt]]] = []
            empty: list[_Cond] = []
            for i in live:
                test = _type_test(v, masks[i], exact=True)
                body = self.subschema(ctx.same(ptrs[i], known=masks[i]), subs[i])
                if body:
                    chain.append((test, body))
                else:
                    empty.append(test)
            fail: list[_Stmt] = [self.record(ctx, "_err", site, v)]
            tail: list[_Stmt] = [_If(_not(_or(*empty)), fail)] if empty else fail
            for test, body in reversed(chain):
                tail = [_If(test, body, tail)]
            out.extend(tail)
            return out
        table = []
        for i in live:
            self.counter += 1
            fn = f"_b{self.counter}"
            self.function(fn, f"{ctx.entry.name}: #{ptrs[i]}", _Ctx(ctx.entry, "x", (), 0, ptrs[i]), subs[i])
            table.append(f"({masks[i]}, {fn})")
        self.counter += 1
        tname = f"_A{self.counter}"
        self.branch_tables.append(
            "\n".join([f"{tname}: tuple[_Branch, ...] = ("] + [f"    {t}," for t in table] + [")"])
        )
        merge = _Call("e", "_merge", ["e", "r", ctx.segs_list])
        depth = f"d + {len(ctx.segs)}" if ctx.segs else "d"
        out.append(_If(_atom(f"(r := _comb({v}, lax, {depth}, {site}, {tname})) is not None"), [merge]))
        return out


def _mask_of_type(value: object) -> int:
    names = value if isinstance(value, list) else [value]
    mask = 0
    for n in names:
        mask |= _TYPE_BITS[str(n)]
    return mask


def _mask_of(schema: object, entry: _Entry, seen: set[str]) -> int:
    """The JSON types a subschema can accept as far as `type` says (through `$ref` and `allOf`)."""
    if not isinstance(schema, dict):
        return ALL
    mask = _mask_of_type(schema["type"]) if "type" in schema else ALL
    if "$ref" in schema:
        name = _def_name(schema["$ref"], "", entry)
        if name not in seen:
            mask &= _mask_of(entry.defs[name], entry, seen | {name})
    for sub in schema.get("allOf", ()):
        mask &= _mask_of(sub, entry, seen)
    return mask


def _summary(schema: object, entry: _Entry) -> str:
    if schema is True:
        return "anything"
    if schema is False:
        return "nothing"
    assert isinstance(schema, dict)
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "type" in schema:
        return _type_names(_mask_of_type(schema["type"]))
    if "const" in schema:
        return f"the value {_short(schema['const'], 20)}"
    if "enum" in schema:
        return f"one of {len(schema['enum'])} values"
    return "a schema"


def _is_leaf(schema: object) -> bool:
    """A definition small enough to inline: no subschemas (so no recursion either)."""
    if not isinstance(schema, dict):
        return True
    return not any(
        k in schema for k in ("properties", "additionalProperties", "items", "$ref", *_SCHEMA_LIST)
    )


# ------------------------------------------------------------------------------------------- policy

def _coercible(policy: LenientPolicy, mask: int) -> bool:
    """Whether some string could stand for a value of one of these types (and strings are not allowed)."""
    if mask & STRING:
        return False
    return bool(
        (mask & _NUMERIC and policy.integer_from_string)
        or (mask & BOOLEAN and policy.booleans)
        or (mask & NULL and policy.nulls)
    )


def _recursive_defs(entry: _Entry) -> set[str]:
    """The definitions that can reach themselves through `$ref`s: their depth is bounded at run time."""
    edges: dict[str, set[str]] = {}
    for name, schema in entry.defs.items():
        found: set[str] = set()
        stack: list[object] = [schema]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and ref.startswith("#/$defs/"):
                    found.add(unquote(ref[len("#/$defs/") :]).replace("~1", "/").replace("~0", "~"))
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        edges[name] = found
    out = set()
    for start in edges:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            node = todo.pop()
            if node == start:
                out.add(start)
                break
            if node not in seen and node in edges:
                seen.add(node)
                todo.extend(edges[node])
    return out


# ------------------------------------------------------------------------------------------ runtime

_DOC = '''"""Compiled JSON Schema validators: generated, standard library only.

`validate(document, strict=False)` returns every issue found, in document order (object members in the
document's key order, array items in order), as `Issue` records whose `path` is a JSON Pointer.

strict=True follows JSON Schema Draft 2020-12 for the keywords used. The default, lenient mode, is meant for
recorded traffic: a string outside an open value set (`x-open-enum`), an undeclared property and the type
drift allowed by the spec's lenient policy are warnings instead of errors, and an accepted drifted value is
checked as the value it stands for. `format` is an annotation only, as in jsonschema's default.
"""'''

_RUNTIME = '''

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
# found, severity, message. Functions return None when they found nothing: no path is built on the happy path.
_Raw: TypeAlias = tuple[list[str | int], str, str, str, str, str]
_L: TypeAlias = list[_Raw]
_Branch: TypeAlias = tuple[int, Callable[[object, bool, int], _L | None]]

_NULL = _v.NULL
_BOOLEAN = _v.BOOLEAN
_OBJECT = _v.OBJECT
_ARRAY = _v.ARRAY
_NUMBER = _v.NUMBER
_STRING = _v.STRING
_INTEGER = _v.INTEGER
_JSON_TYPES: dict[type, int] = {
    str: _STRING,
    int: _NUMBER | _INTEGER,
    float: _NUMBER,
    dict: _OBJECT,
    list: _ARRAY,
    bool: _BOOLEAN,
    type(None): _NULL,
}
_M = object()  # a missing property
_desc = _v.describe


def _jt(x: object) -> int:
    """The JSON types of a value as bits (an integral float is an integer too)."""
    if type(x) is float and x.is_integer():
        return _NUMBER | _INTEGER
    return _JSON_TYPES.get(type(x), 0)


def _add(
    e: _L | None, segs: list[str | int], keyword: str, expected: str, found: str, severity: str, message: str
) -> _L:
    if e is None:
        e = []
    e.append((segs, keyword, expected, found, severity, message))
    return e


def _err(e: _L | None, segs: list[str | int], site: int, x: object) -> _L:
    keyword, expected, _ = _SITES[site]
    found = _desc(x)
    return _add(e, segs, keyword, expected, found, "error", f"Expected {expected}, found {found}.")


def _miss(e: _L | None, segs: list[str | int], site: int) -> _L:
    keyword, expected, _ = _SITES[site]
    return _add(e, segs, keyword, expected, "missing", "error", f"Required {expected} is missing.")


def _lax(x: object, e: _L | None, segs: list[str | int], site: int) -> tuple[object, _L | None]:
    """Lenient mode: replace a drifted string by the value it stands for, with a warning."""
    keyword, expected, mask = _SITES[site]
    if type(x) is str:
        value = _LAX.read(x, mask)
        if value is not _v.NOT_DRIFT:
            found = _desc(x)
            message = f"Expected {expected}, found {found}; accepted as {_desc(value)} (lenient)."
            return value, _add(e, segs, keyword, expected, found, "warning", message)
    return x, e


def _type(x: object, e: _L | None, segs: list[str | int], site: int, lax: bool) -> tuple[object, _L | None]:
    """The slow path of a `type` check: integral floats, lenient drift, else an error."""
    keyword, expected, mask = _SITES[site]
    if mask & _INTEGER and type(x) is float and x.is_integer():
        return x, e
    if lax and type(x) is str:
        value = _LAX.read(x, mask)
        if value is not _v.NOT_DRIFT:
            found = _desc(x)
            message = f"Expected {expected}, found {found}; accepted as {_desc(value)} (lenient)."
            return value, _add(e, segs, keyword, expected, found, "warning", message)
    return x, _err(e, segs, site, x)


def _enum(e: _L | None, segs: list[str | int], site: int, x: object, lax: bool) -> _L:
    keyword, expected, is_open = _SITES[site]
    found = _desc(x)
    if is_open and lax and type(x) is str:
        message = f"Unknown value {x!r} of an open value set (known: {expected[7:]}); kept as is (lenient)."
        return _add(e, segs, keyword, expected, found, "warning", message)
    return _add(e, segs, keyword, expected, found, "error", f"Expected {expected}, found {found}.")


def _extra(
    e: _L | None, x: dict[object, object], known: set[str], segs: list[str | int], site: int, lax: bool
) -> _L:
    """One issue per undeclared property, at the property, in the document's key order."""
    keyword, expected, _ = _SITES[site]
    severity = "warning" if lax else "error"
    for k in x:
        if k not in known:
            message = f"Property {k!r} is not declared by the schema (additionalProperties is false)."
            path: list[str | int] = [k if type(k) is str else str(k), *segs]
            e = _add(e, path, keyword, expected, _desc(x[k]), severity, message)
    return e if e is not None else []


def _too_deep(x: object) -> _L:
    message = f"Nested deeper than {_v.MAX_DEPTH} levels where the schema refers back to itself; not read."
    return [([], "depth", f"at most {_v.MAX_DEPTH} levels", _desc(x), "error", message)]


def _merge(e: _L | None, r: _L, segs: list[str | int]) -> _L:
    """Adopt the issues of a call on a child value, prefixing their paths with the child's segments."""
    if segs:
        for issue in r:
            issue[0].extend(segs)
    if e is None:
        return r
    e.extend(r)
    return e


def _has_error(r: _L | None) -> bool:
    return r is not None and any(issue[4] == "error" for issue in r)


def _comb(x: object, lax: bool, d: int, site: int, branches: tuple[_Branch, ...]) -> _L | None:
    """anyOf/oneOf with branches whose types overlap: descend when only one branch takes the value's type."""
    keyword, expected, one = _SITES[site]
    t = _jt(x)
    fits = [fn for mask, fn in branches if mask & t]
    if len(fits) == 1:
        return fits[0](x, lax, d)
    passed: list[_L | None] = []
    for fn in fits:
        r = fn(x, lax, d)
        if not _has_error(r):
            passed.append(r)
            if not one:
                break
    if len(passed) == 1 or (passed and not one):
        return passed[0]
    found = _desc(x)
    if passed:
        message = f"Expected {expected}, found {found}, which is valid under {len(passed)} of them."
    else:
        message = f"Expected {expected}, found {found}, which is valid under none of them."
    return [([], keyword, expected, found, "error", message)]


def _eq(a: object, b: object) -> bool:
    """JSON equality as JSON Schema defines it: 1 == 1.0, but true != 1."""
    if a is b:
        return True
    if type(a) is str or type(b) is str:
        return a == b
    if type(a) is list and type(b) is list:
        return len(a) == len(b) and all(_eq(i, j) for i, j in zip(a, b, strict=True))
    if type(a) is dict and type(b) is dict:
        return len(a) == len(b) and all(k in b and _eq(v, b[k]) for k, v in a.items())
    if type(a) is bool or type(b) is bool:
        return type(a) is type(b) and a == b
    return a == b


def _in(x: object, values: object) -> bool:
    assert type(values) is list
    return any(_eq(x, v) for v in values)


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


def _finish(document: object, raw: _L) -> list[Issue]:
    if len(raw) > 1:
        cache: dict[int, dict[object, int]] = {}
        raw = sorted(raw, key=lambda issue: _order(document, issue[0], cache))
    return [Issue(_pointer(segs), *rest) for segs, *rest in raw]
'''


# -------------------------------------------------------------------------------------------- public


def _identifier(name: str) -> str:
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident


def compile_validators(
    schemas: dict[str, dict[str, Any]],
    policy: LenientPolicy,
    header: str,
    values_import: str = "from . import _values as _v",
) -> str:
    """Compile entry-point schemas into the source of a validator module (see the module docstring).

    `schemas` maps entry-point names to self-contained Draft 2020-12 schemas (the first one is `validate`);
    `policy` is the spec's lenient policy as the IR decided it; `header` is a comment block put first;
    `values_import` binds `_v` to the runtime module `_values` (the rules the models share). Raises
    `UnsupportedKeyword` for any keyword it does not implement and `InvalidSchema` for malformed ones."""
    if not schemas:
        raise ValueError("at least one entry-point schema is needed")
    entries: list[_Entry] = []
    idents: dict[str, str] = {}
    for index, (name, schema) in enumerate(schemas.items()):
        ident = _identifier(name)
        if ident in idents.values():
            raise ValueError(f"entry points {name!r} and another one both map to validate_{ident}")
        idents[name] = ident
        defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
        entry = _Entry(index, name, schema, defs if isinstance(defs, dict) else {})
        _Checker(entry).check(schema, "", root=True)
        entries.append(entry)
    compiler = _Compiler(entries, policy)
    compiler.compile()

    publics = [f"validate_{idents[e.name]}" for e in entries]
    out: list[str] = []
    head = header.rstrip("\n")
    if head:
        out.append(head)
    out.append(_DOC)
    out.append("")
    if compiler.uses_re:
        out.append("import re")
    out.append("from collections.abc import Callable")
    out.append("from dataclasses import dataclass")
    out.append("from typing import TypeAlias")
    out.append("")
    out.append(values_import)
    out.append("")
    out.append("__all__ = [")
    out.extend(f"    {_pystr(n)}," for n in ["VALIDATORS", "Issue", "validate", *sorted(publics)])
    out.append("]")
    out.append(_RUNTIME.rstrip("\n"))
    out.append("")
    out.append("")
    out.append("# The spec's lenient policy (x-service.lenient), applied by the runtime the models share.")
    out.extend(lenient_source(policy).splitlines())
    out.append("")
    out.append(
        "# Issue sites: (keyword, expected, types bit set for `type` / open flag for `enum` / one for oneOf)."
    )
    out.append("_SITES: tuple[tuple[str, str, int], ...] = (")
    for (keyword, expected, aux), _n in sorted(compiler.sites.items(), key=lambda kv: kv[1]):
        one = f"    ({_pystr(keyword)}, {_pystr(expected)}, {aux}),"
        if len(one) <= LINE_LENGTH:
            out.append(one)
        else:
            out.extend(
                [
                    "    (",
                    f"        {_pystr(keyword)},",
                    f"        {_pystr(expected)},",
                    f"        {aux},",
                    "    ),",
                ]
            )
    out.append(")")
    if compiler.const_lines:
        out.append("")
        out.extend(compiler.const_lines)
    for fn in compiler.functions:
        out.extend(["", "", fn])
    if compiler.branch_tables:
        out.append("")
        out.append("")
        out.append("# anyOf/oneOf branches whose types overlap: (types bit set, branch function).")
        out.extend(compiler.branch_tables)
    for entry, public in zip(entries, publics, strict=True):
        out.extend(
            [
                "",
                "",
                f"def {public}(document: object, strict: bool = False) -> list[Issue]:",
                f'    """All issues of `document` against the {_pystr(entry.name)[1:-1]} schema, in document order."""',
                f"    raw = _e{entry.index}(document, not strict, 0)",
                "    return [] if raw is None else _finish(document, raw)",
            ]
        )
    out.extend(
        [
            "",
            "",
            "def validate(document: object, strict: bool = False) -> list[Issue]:",
            f'    """All issues of `document` against the {_pystr(entries[0].name)[1:-1]} schema, in document order."""',
            f"    return {publics[0]}(document, strict)",
            "",
            "",
            "VALIDATORS: dict[str, Callable[[object, bool], list[Issue]]] = {",
        ]
    )
    out.extend(f"    {_pystr(e.name)}: {p}," for e, p in zip(entries, publics, strict=True))
    out.append("}")
    return "\n".join(out) + "\n"
