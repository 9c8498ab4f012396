"""The typed IR of schemas: one class per kind of property, models, value sets and the lenient policy.

Every output that reads a schema (models, validators, strategies, the pydantic flavour, the emulator) is
rendered from these objects, so they all follow one reading of the spec. What this module does not
understand is a spec error with its file, line, JSON path and a hint; nothing is ignored silently.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

from ..load import Pointer
from ..runtime import _values as V
from .base import COMPONENTS, Context
from .names import (
    RESERVED_MODEL_ATTRS,
    RESERVED_MODULE,
    RESERVED_STRATEGIES,
    Scope,
    class_name,
    member,
    snake,
)

# Keywords a schema may use. Anything else (and any x- extension not listed in docs/design.md) is reported.
ANNOTATIONS = frozenset({"description", "title", "examples", "example", "default", "deprecated", "readOnly",
                         "writeOnly", "$comment", "xml", "externalDocs"})
CONSTRAINTS = {
    "string": ("minLength", "maxLength", "pattern"),
    "integer": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"),
    "array": ("minItems", "maxItems"),
}
ALL_CONSTRAINTS = frozenset(k for ks in CONSTRAINTS.values() for k in ks)
STRUCTURE = frozenset({"type", "format", "enum", "const", "properties", "additionalProperties", "items", "anyOf",
                       "$ref", "required"})
EXTENSIONS = frozenset({"x-open-enum", "x-enum-descriptions", "x-enum-names", "x-python-name"})
SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
TYPE_BITS = {"null": V.NULL, "boolean": V.BOOLEAN, "object": V.OBJECT, "array": V.ARRAY, "number": V.NUMBER,
             "string": V.STRING, "integer": V.INTEGER}
# Formats that are assertions (their ranges live in the runtime, read here and by the validator compiler);
# every other format is an annotation, as in JSON Schema.
INT_FORMATS = V.INT_FORMATS


# ---------------------------------------------------------------- constraints
@dataclass(frozen=True)
class Constraints:
    """The constraint keywords of one scalar schema, typed. `int_range` comes from `format: int32|int64`."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    exclusive_minimum: int | float | None = None
    exclusive_maximum: int | float | None = None
    int_range: tuple[int, int] | None = None
    const: tuple[Any, ...] = ()  # (value,) when the schema has `const`

    @property
    def on_strings(self) -> bool:
        return self.min_length is not None or self.max_length is not None or self.pattern is not None

    @property
    def on_numbers(self) -> bool:
        return any(x is not None for x in (self.minimum, self.maximum, self.exclusive_minimum,
                                            self.exclusive_maximum, self.int_range))

    @property
    def any(self) -> bool:
        return self.on_strings or self.on_numbers or bool(self.const)

    @property
    def rules(self) -> dict[str, Any]:
        """The constraints a value of a request parameter is checked against (`_values.broken_rule`), by name."""
        return {name: getattr(self, name) for name in V.RULES if getattr(self, name) is not None}

    # The words come from the runtime (`_values`), which says them in messages too: field docstrings, the model
    # codec's messages, the client's and `validate`'s request checks all compose the same phrases.
    @property
    def length_phrase(self) -> str:
        """`1 to 8 characters`, `at least 1 characters`, `at most 8 characters`; "" without a length bound."""
        return V.count_phrase(self.min_length, self.max_length, "characters")

    @property
    def pattern_phrase(self) -> str:
        """`matching '^[a-z]+$'`; "" without a pattern."""
        return "" if self.pattern is None else V.pattern_phrase(self.pattern)

    @property
    def number_phrases(self) -> list[str]:
        """The numeric bounds, one phrase each, in a fixed order: `from -2147483648 to 2147483647` (the format's
        range), `at least 0`, `at most 9`, `above 0`, `below 1.5`."""
        parts = [] if self.int_range is None else [V.bound_phrase("int_range", self.int_range)]
        return parts + [V.bound_phrase(rule, getattr(self, rule)) for rule, *_ in V.BOUNDS
                        if getattr(self, rule) is not None]

    @property
    def const_phrase(self) -> str:
        """`the value 'x'`; "" without `const`."""
        return f"the value {self.const[0]!r}" if self.const else ""

    def describe(self) -> str:
        """What a value must be, in words, for docstrings: `at most 8 characters, matching '^[a-z]+$'`."""
        parts = [self.const_phrase, self.length_phrase, self.pattern_phrase, *self.number_phrases]
        return ", ".join(p for p in parts if p)


# ---------------------------------------------------------------- properties: one class per kind
@dataclass(frozen=True)
class Property:
    kind: ClassVar[str]
    nullable: bool

    @property
    def type_hint(self) -> str:
        """The Python type of a read value (None and UNSET aside)."""
        raise NotImplementedError

    @property
    def accepts(self) -> int:
        """The JSON types taken as they are, as runtime `_values` bits (null included when nullable)."""
        raise NotImplementedError

    def _null(self) -> int:
        return V.NULL if self.nullable else 0


@dataclass(frozen=True)
class ScalarProperty(Property):
    kind: ClassVar[str] = "scalar"
    json_type: str  # string | integer | number | boolean
    format: str | None = None
    constraints: Constraints = field(default_factory=Constraints)

    @property
    def type_hint(self) -> str:
        return SCALARS[self.json_type]

    @property
    def accepts(self) -> int:
        bits = TYPE_BITS[self.json_type]
        return bits | (V.INTEGER if bits == V.NUMBER else 0) | self._null()

    @property
    def json_types(self) -> tuple[str, ...]:
        return (self.json_type,)


@dataclass(frozen=True)
class UnionProperty(Property):
    """Several scalar types (`type: [string, integer]`)."""

    kind: ClassVar[str] = "union"
    json_types: tuple[str, ...]
    format: str | None = None
    constraints: Constraints = field(default_factory=Constraints)

    @property
    def type_hint(self) -> str:
        return " | ".join(dict.fromkeys(SCALARS[t] for t in self.json_types))

    @property
    def accepts(self) -> int:
        bits = 0
        for t in self.json_types:
            bits |= TYPE_BITS[t] | (V.INTEGER if t == "number" else 0)
        return bits | self._null()


@dataclass(frozen=True)
class EnumProperty(Property):
    kind: ClassVar[str] = "enum"
    enum: str  # the component
    class_name: str
    open: bool
    values: tuple[str, ...] = ()

    @property
    def type_hint(self) -> str:
        return self.class_name

    @property
    def accepts(self) -> int:
        return V.STRING | self._null()


@dataclass(frozen=True)
class ModelProperty(Property):
    kind: ClassVar[str] = "model"
    model: str  # the component
    class_name: str
    recursive: bool = False  # the model can contain itself: its depth is bounded at run time

    @property
    def type_hint(self) -> str:
        return self.class_name

    @property
    def accepts(self) -> int:
        return V.OBJECT | self._null()


@dataclass(frozen=True)
class ListProperty(Property):
    kind: ClassVar[str] = "list"
    item: Property
    min_items: int | None = None
    max_items: int | None = None

    @property
    def type_hint(self) -> str:
        inner = self.item.type_hint + (" | None" if self.item.nullable else "")
        return f"list[{inner}]"

    @property
    def accepts(self) -> int:
        return V.ARRAY | self._null()

    @property
    def bounded(self) -> bool:
        return self.min_items is not None or self.max_items is not None

    @property
    def count_phrase(self) -> str:
        """`1 to 8 items`, `at least 1 items`, `at most 8 items`; "" when not bounded."""
        return V.count_phrase(self.min_items, self.max_items, "items")


@dataclass(frozen=True)
class MapProperty(Property):
    """An object used as a map (`additionalProperties: <schema>`, no properties): string keys, typed values."""

    kind: ClassVar[str] = "map"
    value: Property

    @property
    def type_hint(self) -> str:
        inner = self.value.type_hint + (" | None" if self.value.nullable else "")
        return f"dict[str, {inner}]"

    @property
    def accepts(self) -> int:
        return V.OBJECT | self._null()


@dataclass(frozen=True)
class AnyProperty(Property):
    kind: ClassVar[str] = "any"

    @property
    def type_hint(self) -> str:
        return "Any"

    @property
    def accepts(self) -> int:
        return 127


# ---------------------------------------------------------------- models and value sets
@dataclass(frozen=True)
class Field:
    wire: str
    attr: str
    prop: Property
    description: str
    required: bool
    examples: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Model:
    name: str  # the component
    class_name: str
    fields: tuple[Field, ...]
    description: str
    closed: bool  # additionalProperties: false
    additional: Property | None = None  # additionalProperties: <schema>: what unknown keys must hold
    recursive: bool = False
    documents: str = ""  # its strategy in the generated strategies module: `<model>_documents`

    def field(self, wire: str) -> Field | None:
        return next((f for f in self.fields if f.wire == wire), None)


@dataclass(frozen=True)
class EnumMember:
    value: str
    name: str  # the Python member name
    description: str


@dataclass(frozen=True)
class Enum:
    name: str  # the component
    class_name: str
    members: tuple[EnumMember, ...]
    open: bool
    description: str

    @property
    def values(self) -> tuple[str, ...]:
        return tuple(m.value for m in self.members)


@dataclass(frozen=True)
class LenientPolicy:
    """x-service.lenient, decided: which strings stand for integers, booleans and null in lenient mode."""

    integer_from_string: bool = False
    booleans: tuple[tuple[str, bool], ...] = ()
    nulls: tuple[str, ...] = ()

    @property
    def any(self) -> bool:
        return self.integer_from_string or bool(self.booleans) or bool(self.nulls)

    @property
    def other_boolean_words(self) -> list[str]:
        """The listed boolean words other than `true` and `false` (lenient mode takes them, with a warning)."""
        return [word for word, _ in self.booleans if word not in ("true", "false")]


# Words read as booleans: a listed word must be one of these (any case), so its meaning is never a guess.
TRUE_WORDS = frozenset({"true", "1", "yes", "y", "on", "t"})
FALSE_WORDS = frozenset({"false", "0", "no", "n", "off", "f"})


# ---------------------------------------------------------------- building
class SchemaBuilder:
    """components/schemas -> models and value sets, with Python names resolved and every problem reported."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        raw = ctx.data.get("components")
        comps = raw.get("schemas") if isinstance(raw, dict) else None
        self.components: dict[str, Any] = comps if isinstance(comps, dict) else {}
        self.class_names: dict[str, str] = {}
        self.enum_open: dict[str, bool] = {}

    def fail(self, at: Pointer, message: str, hint: str = "") -> None:
        self.ctx.fail(at, message, hint)

    # -- names of the classes, before anything refers to them
    def name_classes(self, taken: set[str]) -> None:
        scope = Scope(RESERVED_MODULE | taken, builtins_too=True)
        for name, schema in self.components.items():
            at = (*COMPONENTS, name)
            chosen = schema.get("x-python-name") if isinstance(schema, dict) else None
            if chosen is not None:
                got = scope.claim(str(chosen), name)
                if got is None:
                    self.fail((*at, "x-python-name"), f"x-python-name {chosen!r} is not free for a class",
                              "choose an identifier no other class, error or package name uses")
                    got = scope.take(class_name(name), name)
            else:
                got = scope.take(class_name(name), name)
            self.class_names[name] = got
            if isinstance(schema, dict) and "enum" in schema:
                self.enum_open[name] = schema.get("x-open-enum") is True

    # -- keywords
    def check_keywords(self, schema: dict[str, Any], at: Pointer, allowed: frozenset[str]) -> None:
        for key in schema:
            if key in allowed or key in ANNOTATIONS:
                continue
            if key == "nullable":
                self.fail((*at, key), "`nullable` is OpenAPI 3.0; this is 3.1",
                          "write `type: [<type>, 'null']`, or `anyOf: [{$ref: ...}, {type: 'null'}]`")
            elif isinstance(key, str) and key.startswith("x-"):
                if key not in EXTENSIONS:
                    self.fail((*at, key), f"unknown extension {key!r} in a schema",
                              "known: " + ", ".join(sorted(EXTENSIONS)) + " (see docs/design.md)")
            else:
                self.fail((*at, key), f"unsupported JSON Schema keyword {key!r}",
                          "the generator supports: " + ", ".join(sorted(STRUCTURE | ALL_CONSTRAINTS)))

    def component_name(self, ref: Any, at: Pointer) -> str | None:
        prefix = "#/components/schemas/"
        name = ref[len(prefix):].replace("~1", "/").replace("~0", "~") if isinstance(ref, str) and \
            ref.startswith(prefix) else None
        if name is None or name not in self.components:
            self.fail(at, f"$ref {ref!r} does not name a schema under components/schemas",
                      "point it at '#/components/schemas/<Name>' and define that component")
            return None
        return name

    # -- one property schema
    def prop(self, schema: Any, at: Pointer) -> Property:
        if schema is True or schema == {}:
            return AnyProperty(nullable=True)
        if not isinstance(schema, dict):
            self.fail(at, "a schema must be a mapping")
            return AnyProperty(nullable=True)
        if "$ref" in schema:
            self.check_keywords(schema, at, frozenset({"$ref"}))
            name = self.component_name(schema["$ref"], (*at, "$ref"))
            if name is None:
                return AnyProperty(nullable=True)
            return self.ref(name)
        if "anyOf" in schema:
            return self.any_of(schema, at)
        raw_type = schema.get("type")
        if raw_type is None:
            self.check_keywords(schema, at, frozenset())
            return AnyProperty(nullable=True)
        types = [raw_type] if isinstance(raw_type, str) else raw_type
        if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types) \
                or len(set(types)) != len(types):
            self.fail((*at, "type"), "type must be a type name or a list of distinct type names")
            return AnyProperty(nullable=True)
        unknown = [t for t in types if t not in TYPE_BITS]
        if unknown:
            self.fail((*at, "type"), f"unknown type {unknown[0]!r}", "JSON Schema types: " + ", ".join(TYPE_BITS))
            return AnyProperty(nullable=True)
        nullable = "null" in types
        rest = [t for t in types if t != "null"]
        if not rest:
            self.check_keywords(schema, at, frozenset({"type"}))
            self.fail((*at, "type"), "a field that can only be null says nothing",
                      "give it a type besides null, or drop it")
            return AnyProperty(nullable=True)
        if len(rest) > 1:
            if not all(t in SCALARS for t in rest):
                self.fail((*at, "type"), f"several types are supported among scalars only, found {rest}",
                          "split the field, or use one type")
                return AnyProperty(nullable=True)
            if "integer" in rest and "number" in rest:
                self.fail((*at, "type"), "integer and number together: number already takes integers")
            return self.scalar(schema, at, tuple(rest), nullable)
        kind = rest[0]
        if kind == "array":
            self.check_keywords(schema, at, frozenset({"type", "items", *CONSTRAINTS["array"]}))
            if "items" not in schema:
                self.fail(at, "an array needs `items`", "say what its items are, e.g. `items: {type: string}`")
                item: Property = AnyProperty(nullable=True)
            else:
                item = self.prop(schema["items"], (*at, "items"))
            lo, hi = self.count(schema, at, "minItems"), self.count(schema, at, "maxItems")
            if lo is not None and hi is not None and lo > hi:
                self.fail(at, f"minItems {lo} is above maxItems {hi}: no array fits")
            return ListProperty(nullable=nullable, item=item, min_items=lo, max_items=hi)
        if kind == "object":
            self.check_keywords(schema, at, frozenset({"type", "additionalProperties", "properties", "required"}))
            if schema.get("properties") or schema.get("required"):
                self.fail(at, "inline object schemas with properties are not supported here",
                          "give the object a name under components/schemas and $ref it")
                return AnyProperty(nullable=True)
            extra = schema.get("additionalProperties", True)
            if extra is False:
                self.fail((*at, "additionalProperties"), "an object that may hold nothing says nothing",
                          "use a component with properties, or allow values")
                return AnyProperty(nullable=True)
            value = self.prop(extra, (*at, "additionalProperties"))
            return MapProperty(nullable=nullable, value=value)
        return self.scalar(schema, at, (kind,), nullable)

    def ref(self, name: str) -> Property:
        if name in self.enum_open:
            values = self.components[name].get("enum")
            return EnumProperty(nullable=False, enum=name, class_name=self.class_names[name],
                                open=self.enum_open[name],
                                values=tuple(v for v in values if isinstance(v, str)) if isinstance(values, list) else ())
        return ModelProperty(nullable=False, model=name, class_name=self.class_names[name])

    def any_of(self, schema: dict[str, Any], at: Pointer) -> Property:
        self.check_keywords(schema, at, frozenset({"anyOf"}))
        branches = schema["anyOf"]
        if not isinstance(branches, list) or not branches:
            self.fail((*at, "anyOf"), "anyOf must be a non-empty list of schemas")
            return AnyProperty(nullable=True)
        nulls = [b for b in branches if isinstance(b, dict) and b.get("type") == "null" and len(b) == 1]
        rest = [(i, b) for i, b in enumerate(branches) if not (isinstance(b, dict) and b.get("type") == "null"
                                                               and len(b) == 1)]
        if len(rest) != 1:
            self.fail((*at, "anyOf"), "anyOf is supported only as [schema, {type: 'null'}] (a nullable value)",
                      "for several scalar types write `type: [string, integer]`; model alternatives as fields")
            return AnyProperty(nullable=True)
        inner = self.prop(rest[0][1], (*at, "anyOf", rest[0][0]))
        return replace(inner, nullable=bool(nulls) or inner.nullable)

    def count(self, schema: dict[str, Any], at: Pointer, key: str) -> int | None:
        value = schema.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0 or value != int(value):
            self.fail((*at, key), f"{key} must be a non-negative integer")
            return None
        return int(value)

    def number(self, schema: dict[str, Any], at: Pointer, key: str) -> int | float | None:
        value = schema.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail((*at, key), f"{key} must be a finite number")
            return None
        return value

    def scalar(self, schema: dict[str, Any], at: Pointer, types: tuple[str, ...], nullable: bool) -> Property:
        allowed = {"type", "format", "const"}
        for t in types:
            allowed.update(CONSTRAINTS.get(t, ()))
        if "enum" in schema:
            self.fail((*at, "enum"), "inline value sets are not supported",
                      "give the value set a name under components/schemas and $ref it, so it becomes one enum")
            allowed.add("enum")
        misplaced = sorted(k for k in schema if k in ALL_CONSTRAINTS and k not in allowed)
        for key in misplaced:
            self.fail((*at, key), f"{key} does not apply to {' or '.join(types)}",
                      "JSON Schema applies it to other types only: it would check nothing here")
        self.check_keywords(schema, at, frozenset(allowed | set(misplaced)))
        fmt = schema.get("format")
        if fmt is not None and not isinstance(fmt, str):
            self.fail((*at, "format"), "format must be a string")
            fmt = None
        int_range = None
        if fmt in INT_FORMATS:
            if "integer" not in types:
                self.fail((*at, "format"), f"format {fmt} applies to integers", "use type: integer")
            else:
                int_range = INT_FORMATS[fmt]
        pattern = schema.get("pattern")
        if pattern is not None:
            try:
                re.compile(pattern)
            except (re.error, TypeError) as exc:
                self.fail((*at, "pattern"), f"pattern does not compile as a Python regular expression: {exc}")
                pattern = None
        const: tuple[Any, ...] = ()
        if "const" in schema:
            value = schema["const"]
            if not any(_fits(value, t) for t in types) and not (value is None and nullable):
                self.fail((*at, "const"), f"const {value!r} is not of the type {' or '.join(types)}")
            else:
                const = (value,)
        c = Constraints(
            min_length=self.count(schema, at, "minLength"), max_length=self.count(schema, at, "maxLength"),
            pattern=pattern, minimum=self.number(schema, at, "minimum"), maximum=self.number(schema, at, "maximum"),
            exclusive_minimum=self.number(schema, at, "exclusiveMinimum"),
            exclusive_maximum=self.number(schema, at, "exclusiveMaximum"), int_range=int_range, const=const,
        )
        if c.min_length is not None and c.max_length is not None and c.min_length > c.max_length:
            self.fail(at, f"minLength {c.min_length} is above maxLength {c.max_length}: no string fits")
        if c.minimum is not None and c.maximum is not None and c.minimum > c.maximum:
            self.fail(at, f"minimum {c.minimum} is above maximum {c.maximum}: no number fits")
        if len(types) == 1:
            return ScalarProperty(nullable=nullable, json_type=types[0], format=fmt, constraints=c)
        return UnionProperty(nullable=nullable, json_types=types, format=fmt, constraints=c)

    # -- components
    def enum(self, name: str, schema: dict[str, Any]) -> Enum:
        at = (*COMPONENTS, name)
        self.check_keywords(schema, at, frozenset({"type", "enum"}) | EXTENSIONS)
        values = schema.get("enum")
        if schema.get("type") != "string" or not isinstance(values, list) or not values \
                or not all(isinstance(v, str) for v in values):
            self.fail(at, "a value set must be `type: string` with a non-empty list of string values")
            values = [v for v in values or [] if isinstance(v, str)] if isinstance(values, list) else []
        if len(set(values)) != len(values):
            self.fail((*at, "enum"), "a value set lists a value twice")
            values = list(dict.fromkeys(values))
        if "x-open-enum" in schema and not isinstance(schema["x-open-enum"], bool):
            self.fail((*at, "x-open-enum"), "x-open-enum must be true or false")
        descriptions = self.ctx.mapping(schema.get("x-enum-descriptions"), (*at, "x-enum-descriptions"),
                                        "x-enum-descriptions")
        chosen = self.ctx.mapping(schema.get("x-enum-names"), (*at, "x-enum-names"), "x-enum-names")
        for key in [*descriptions, *chosen]:
            if key not in values:
                self.fail((*at, "x-enum-names" if key in chosen else "x-enum-descriptions", key),
                          f"{key!r} is not a value of this value set")
        # Members live in the enum class beside its own attributes; upper case keeps them apart.
        scope = Scope({"name", "value", "is_known"})
        members = []
        for v in values:
            pick = chosen.get(v)
            if pick is not None:
                got = scope.claim(str(pick), v) if str(pick).isupper() else None
                if got is None:
                    self.fail((*at, "x-enum-names", v), f"member name {pick!r} is not a free UPPER_CASE identifier")
                    got = scope.take(member(v), v)
            else:
                got = scope.take(member(v), v)
            members.append(EnumMember(v, got, str(descriptions.get(v, ""))))
        return Enum(name, self.class_names[name], tuple(members), self.enum_open.get(name, False),
                    str(schema.get("description", "")))

    def model(self, name: str, schema: dict[str, Any]) -> Model:
        at = (*COMPONENTS, name)
        self.check_keywords(schema, at, frozenset({"type", "properties", "additionalProperties", "required"})
                            | EXTENSIONS - {"x-open-enum", "x-enum-descriptions", "x-enum-names"})
        if schema.get("type") not in ("object", ["object"]):
            self.fail((*at, "type"), "a component must be an object (`type: object`) or a string value set",
                      "a scalar or array used in several places is written out where it is used")
        props = self.ctx.mapping(schema.get("properties"), (*at, "properties"), "properties")
        required = schema.get("required", [])
        if not isinstance(required, list) or not all(isinstance(r, str) for r in required):
            self.fail((*at, "required"), "required must be a list of property names")
            required = []
        for r in required:
            if r not in props:
                self.fail((*at, "required"), f"required names {r!r}, which is not a property",
                          "declare it under properties, or drop it from required")
        scope = Scope(RESERVED_MODEL_ATTRS)
        fields: list[Field] = []
        for wire, sub in props.items():
            fat = (*at, "properties", wire)
            chosen = sub.get("x-python-name") if isinstance(sub, dict) else None
            if chosen is not None:
                attr = scope.claim(str(chosen), wire)
                if attr is None:
                    self.fail((*fat, "x-python-name"), f"x-python-name {chosen!r} is not a free attribute name",
                              "taken: " + ", ".join(sorted(scope.given)) + " and " + ", ".join(sorted(scope.reserved)))
                    attr = scope.take(snake(wire), wire)
            else:
                attr = scope.take(snake(wire), wire)
            sub_schema = {k: v for k, v in sub.items() if k != "x-python-name"} if isinstance(sub, dict) else sub
            prop = self.prop(sub_schema, fat)
            desc = str(sub.get("description", "")) if isinstance(sub, dict) else ""
            examples = tuple(sub.get("examples") or ()) if isinstance(sub, dict) and isinstance(
                sub.get("examples"), list) else ()
            fields.append(Field(wire, attr, prop, desc, wire in required, examples))
        extra = schema.get("additionalProperties", True)
        additional = None
        if extra is not True and extra is not False:
            additional = self.prop(extra, (*at, "additionalProperties"))
            if isinstance(additional, AnyProperty):
                additional = None
        return Model(name, self.class_names[name], tuple(fields), str(schema.get("description", "")),
                     extra is False, additional)

    def build(self, taken: set[str]) -> tuple[list[Model], list[Enum]]:
        self.name_classes(taken)
        models: list[Model] = []
        enums: list[Enum] = []
        for name, schema in self.components.items():
            if not isinstance(schema, dict):
                self.fail((*COMPONENTS, name), "a component must be a mapping")
            elif "$ref" in schema:
                self.fail((*COMPONENTS, name, "$ref"), "a component cannot just be another one (an alias)",
                          "$ref the component it names directly where this one is used")
            elif "enum" in schema:
                enums.append(self.enum(name, schema))
            else:
                models.append(self.model(name, schema))
        strategies = Scope(RESERVED_STRATEGIES | RESERVED_MODULE)
        models = [replace(m, documents=strategies.take(snake(m.class_name) + "_documents", m.name)) for m in models]
        return _mark_recursive(models), enums


def _fits(value: Any, json_type: str) -> bool:
    if json_type == "string":
        return isinstance(value, str)
    if json_type == "boolean":
        return isinstance(value, bool)
    if json_type == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
    if json_type == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return False


def _children(p: Property) -> list[Property]:
    if isinstance(p, ListProperty):
        return [p.item]
    if isinstance(p, MapProperty):
        return [p.value]
    return []


def _refs(p: Property) -> set[str]:
    found = {p.model} if isinstance(p, ModelProperty) else set()
    for child in _children(p):
        found |= _refs(child)
    return found


def _mark(p: Property, recursive: set[str]) -> Property:
    if isinstance(p, ModelProperty):
        return replace(p, recursive=p.model in recursive)
    if isinstance(p, ListProperty):
        return replace(p, item=_mark(p.item, recursive))
    if isinstance(p, MapProperty):
        return replace(p, value=_mark(p.value, recursive))
    return p


def reaching_themselves(edges: Mapping[str, Iterable[str]]) -> set[str]:
    """The nodes of a directed graph that can reach themselves through one edge or more (a cycle, a self-loop
    included). `edges` maps a node to the nodes it points at; a target that is not a key has no edges out.
    The models use it for components that contain themselves, the validator compiler for `$defs` that `$ref`
    themselves: both bound their depth at run time."""
    graph = {node: tuple(targets) for node, targets in edges.items()}
    found: set[str] = set()
    for start, targets in graph.items():
        seen: set[str] = set()
        todo = list(targets)
        while todo:
            node = todo.pop()
            if node == start:
                found.add(start)
                break
            if node not in seen and node in graph:
                seen.add(node)
                todo.extend(graph[node])
    return found


def _mark_recursive(models: list[Model]) -> list[Model]:
    """Mark the models that can contain themselves (through any chain of fields), and every reference to them."""
    edges = {m.name: set().union(*(_refs(f.prop) for f in m.fields), _refs(m.additional) if m.additional else set())
             for m in models}
    recursive = reaching_themselves(edges)
    out = []
    for m in models:
        fields = tuple(replace(f, prop=_mark(f.prop, recursive)) for f in m.fields)
        additional = _mark(m.additional, recursive) if m.additional else None
        out.append(replace(m, fields=fields, additional=additional, recursive=m.name in recursive))
    return out


def lenient_policy(ctx: Context, raw: Any, at: Pointer) -> LenientPolicy:
    """x-service.lenient -> a LenientPolicy; a word whose meaning is unclear is a spec error."""
    policy, problems = read_lenient(ctx.mapping(raw, at, "x-service.lenient"))
    for where, message, hint in problems:
        ctx.fail((*at, *where), message, hint)
    return policy


def read_lenient(x: dict[str, Any]) -> tuple[LenientPolicy, list[tuple[Pointer, str, str]]]:
    """The lenient policy a mapping states, and its problems as (where, message, hint)."""
    problems: list[tuple[Pointer, str, str]] = []
    ints = x.get("integer_from_string", False)
    if not isinstance(ints, bool):
        problems.append((("integer_from_string",), "integer_from_string must be true or false", ""))
        ints = False
    booleans: list[tuple[str, bool]] = []
    for i, word in enumerate(x.get("boolean_from_string") or []):
        if not isinstance(word, str):
            problems.append((("boolean_from_string", i), "boolean_from_string lists strings", ""))
        elif word.lower() in TRUE_WORDS:
            booleans.append((word, True))
        elif word.lower() in FALSE_WORDS:
            booleans.append((word, False))
        else:
            problems.append((("boolean_from_string", i), f"cannot tell whether {word!r} means true or false",
                             "list words such as true/false, True/False, 1/0, yes/no, on/off"))
    nulls = []
    for i, word in enumerate(x.get("null_from_string") or []):
        if not isinstance(word, str):
            problems.append((("null_from_string", i), "null_from_string lists strings", ""))
        else:
            nulls.append(word)
    clash = {w for w, _ in booleans} & set(nulls)
    if clash:
        problems.append((("null_from_string",), f"{sorted(clash)} listed as a boolean and as null", ""))
    return LenientPolicy(ints, tuple(booleans), tuple(nulls)), problems
