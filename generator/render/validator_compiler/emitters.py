"""The validator compiler, second job: a table from keyword to the method that emits its code (as
fastjsonschema does), over a small tree of statements; one function per `$defs` entry and entry point, the
rest inlined as straight-line code. The module is laid out afterwards by ruff's formatter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar
from urllib.parse import unquote

from ...ir.schemas import LenientPolicy, reaching_themselves
from ...runtime._values import ARRAY, BOOLEAN, INT_FORMATS, INTEGER, NULL, NUMBER, OBJECT, STRING
from ..pysource import literal, string
from .schema_check import ALL, NUMERIC, SCHEMA_LIST, TYPE_BITS, Entry, def_name, escape


def _short(value: object, limit: int = 40) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 3] + "..."




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
    """A list display of Python expressions (a path)."""

    items: tuple[str, ...]

    def __str__(self) -> str:
        return "[" + ", ".join(self.items) + "]"


@dataclass
class _Call:
    """`lhs = fn(args)` (or a bare call when lhs is empty)."""

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
    out.append(f"{pad}{word} {node.cond.text}:")
    _render(node.body, indent + 4, out)
    if node.orelse:
        if len(node.orelse) == 1 and isinstance(node.orelse[0], _If):
            _render_if(node.orelse[0], indent, out, "elif")
        else:
            out.append(pad + "else:")
            _render(node.orelse, indent + 4, out)


def _render_call(call: _Call, indent: int, out: list[str]) -> None:
    head = f"{call.lhs} = {call.fn}(" if call.lhs else f"{call.fn}("
    out.append(" " * indent + head + ", ".join(str(a) for a in call.args) + ")")


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
    if known & ~NUMERIC & ~mask:
        return False
    if known & NUMBER:
        return bool(mask & NUMBER)
    return not known & INTEGER or bool(mask & NUMERIC)


def _overlap(a: int, b: int) -> bool:
    """Whether some JSON value has a type in both masks (an int is both a number and an integer)."""
    if a & b & ~NUMERIC:
        return True
    return bool(a & NUMERIC and b & NUMERIC)


_NAME_ORDER = ("string", "integer", "number", "boolean", "object", "array", "null")


def _type_names(mask: int) -> str:
    names = [n for n in _NAME_ORDER if mask & TYPE_BITS[n]]
    if mask & NUMBER and mask & INTEGER:
        names.remove("integer")
    return " or ".join(names) if names else "nothing"




@dataclass(frozen=True)
class _Ctx:
    entry: Entry
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
_GROUP_MASK = {"number": NUMERIC, "string": STRING, "array": ARRAY, "object": OBJECT}


def _guard(group: str, var: str) -> _Cond:
    cond = _GROUP_GUARD[group]
    if cond.op:
        return _or(*(_atom(p.text.format(v=var), (p.neg or "").format(v=var)) for p in cond.parts))
    return _atom(cond.text.format(v=var), (cond.neg or "").format(v=var))


class Compiler:
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

    def __init__(self, entries: list[Entry], policy: LenientPolicy) -> None:
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
        return self.const("K", "{" + ", ".join(literal(v) for v in items) + "}")

    def value_const(self, value: object) -> str:
        definition = literal(value)
        return self.const("C", definition, [f"{{name}}: object = {definition}"])

    def regex(self, pattern: str) -> str:
        self.uses_re = True
        return self.const("R", f"re.compile({string(pattern)})")

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
                ptr = f"/$defs/{escape(name)}"
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
            cond = _atom(f"{v} != {literal(value)}")
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
            _If(_atom(f"{ctx.var} {op} {literal(limit)}"), [self.error(ctx, keyword, f"{shown} {limit!r}")])
        ]

    def _kw_format(self, ctx: _Ctx, fmt: Any, schema: dict[str, Any]) -> list[_Stmt]:
        bounds = INT_FORMATS.get(fmt)
        if bounds is None:
            return []
        lo, hi = bounds
        name = self.const("F", f"_v.INT_FORMATS[{string(fmt)}]")  # the range lives in the shared runtime
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
            out.append(_If(_atom(f"{literal(name)} not in {ctx.var}"), [self.record(ctx, "_miss", site)]))
        return out

    def _kw_properties(self, ctx: _Ctx, props: dict[str, Any], schema: dict[str, Any]) -> list[_Stmt]:
        out: list[_Stmt] = []
        d = ctx.depth + 1
        for name, sub in props.items():
            lit = literal(name)
            body = self.subschema(ctx.child(f"p{d}", lit, f"{ctx.ptr}/properties/{escape(name)}"), sub)
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
        name = def_name(ref, ctx.ptr + "/$ref", ctx.entry)
        target = ctx.entry.defs[name]
        if _is_leaf(target):
            return self.subschema(ctx.same(f"/$defs/{escape(name)}"), target)
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
        mask |= TYPE_BITS[str(n)]
    return mask


def _mask_of(schema: object, entry: Entry, seen: set[str]) -> int:
    """The JSON types a subschema can accept as far as `type` says (through `$ref` and `allOf`)."""
    if not isinstance(schema, dict):
        return ALL
    mask = _mask_of_type(schema["type"]) if "type" in schema else ALL
    if "$ref" in schema:
        name = def_name(schema["$ref"], "", entry)
        if name not in seen:
            mask &= _mask_of(entry.defs[name], entry, seen | {name})
    for sub in schema.get("allOf", ()):
        mask &= _mask_of(sub, entry, seen)
    return mask


def _summary(schema: object, entry: Entry) -> str:
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
        k in schema for k in ("properties", "additionalProperties", "items", "$ref", *SCHEMA_LIST)
    )


# ------------------------------------------------------------------------------------------- policy

def _coercible(policy: LenientPolicy, mask: int) -> bool:
    """Whether some string could stand for a value of one of these types (and strings are not allowed)."""
    if mask & STRING:
        return False
    return bool(
        (mask & NUMERIC and policy.integer_from_string)
        or (mask & BOOLEAN and policy.booleans)
        or (mask & NULL and policy.nulls)
    )


def _recursive_defs(entry: Entry) -> set[str]:
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
    return reaching_themselves(edges)


