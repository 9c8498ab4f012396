"""The plan of the generated model codec: how each kind of property is tested, checked and converted.

The models template formats this plan (one macro per kind of property); the expressions here are the only
place where the IR's schema semantics turn into decoder code, so a rule cannot be spelt two ways.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import (
    IR,
    AnyProperty,
    Constraints,
    EnumProperty,
    LenientPolicy,
    ListProperty,
    MapProperty,
    Model,
    ModelProperty,
    Property,
    ScalarProperty,
    UnionProperty,
)
from . import pysource

_CLASSES = {"string": ("str",), "integer": ("int",), "number": ("float", "int"), "boolean": ("bool",)}


def classes(p: Property) -> tuple[str, ...]:
    """The Python classes a property takes as they are (null aside)."""
    if isinstance(p, ScalarProperty):
        return _CLASSES[p.json_type]
    if isinstance(p, UnionProperty):
        return tuple(dict.fromkeys(c for t in p.json_types for c in _CLASSES[t]))
    if isinstance(p, EnumProperty):
        return ("str",)
    if isinstance(p, (ModelProperty, MapProperty)):
        return ("dict",)
    if isinstance(p, ListProperty):
        return ("list",)
    return ()


def off_path(p: Property, var: str = "v") -> str:
    """True when `var` needs the slow path: not of a class the property takes, not absent, not an allowed null."""
    parts = [f"{var}.__class__ is not {c}" for c in classes(p)]
    parts.append(f"{var} is not UNSET")
    if p.nullable:
        parts.append(f"{var} is not None")
    return " and ".join(parts)


@dataclass(frozen=True)
class Check:
    """One constraint test on a value of the right class: `guard` (its class), `fails` (the test), `expected`."""

    guard: str
    fails: str
    expected: str


@dataclass
class Plan:
    """Module-level helpers the decoders need: regular expressions, list and map readers, encoders."""

    ir: IR
    patterns: dict[str, str] = field(default_factory=dict)  # pattern -> constant name
    readers: dict[Property, str] = field(default_factory=dict)  # list/map property -> helper name
    writers: dict[Property, str] = field(default_factory=dict)
    order: list[tuple[str, Property]] = field(default_factory=list)  # ("read"|"write", prop) in first-use order

    def pattern(self, regex: str) -> str:
        if regex not in self.patterns:
            self.patterns[regex] = f"_P{len(self.patterns)}"
        return self.patterns[regex]

    def checks(self, p: Property, var: str = "v") -> list[Check]:
        """The constraint tests of a scalar property, grouped by the class they apply to."""
        c: Constraints | None = getattr(p, "constraints", None)
        out: list[Check] = []
        # The tests are written here; the words of `expected` come from the IR, as the field docstrings' do.
        if isinstance(p, ListProperty) and p.bounded:
            fails = []
            if p.min_items is not None:
                fails.append(f"len({var}) < {p.min_items}")
            if p.max_items is not None:
                fails.append(f"len({var}) > {p.max_items}")
            out.append(Check(f"{var}.__class__ is list", " or ".join(fails), f"an array of {p.count_phrase}"))
        if c is None or not c.any:
            return out
        types = p.json_types if isinstance(p, (ScalarProperty, UnionProperty)) else ()
        if c.on_strings and "string" in types:
            fails = []
            if c.min_length is not None:
                fails.append(f"len({var}) < {c.min_length}")
            if c.max_length is not None:
                fails.append(f"len({var}) > {c.max_length}")
            if c.pattern is not None:
                fails.append(f"{self.pattern(c.pattern)}.search({var}) is None")
            words = ["a string", f"of {c.length_phrase}" if c.length_phrase else "", c.pattern_phrase]
            out.append(Check(f"{var}.__class__ is str", " or ".join(fails), " ".join(w for w in words if w)))
        numeric = [t for t in types if t in ("integer", "number")]
        if c.on_numbers and numeric:
            fails = []
            if c.int_range is not None:
                fails += [f"{var} < {c.int_range[0]}", f"{var} > {c.int_range[1]}"]
            for op, bound in (("<", c.minimum), (">", c.maximum), ("<=", c.exclusive_minimum),
                              (">=", c.exclusive_maximum)):
                if bound is not None:
                    fails.append(f"{var} {op} {pysource.literal(bound)}")
            if c.int_range is not None:
                guard = f"{var}.__class__ is int"
            else:
                guard = f"({var}.__class__ is int or {var}.__class__ is float)"
            noun = "an integer" if numeric == ["integer"] else "a number"
            out.append(Check(guard, " or ".join(fails), f"{noun} {', '.join(c.number_phrases)}"))
        if c.const:
            value = c.const[0]
            const_guard = {str: f"{var}.__class__ is str", bool: f"{var}.__class__ is bool"}.get(
                type(value), f"({var}.__class__ is int or {var}.__class__ is float)")
            differs = f"{var} is not {value!r}" if isinstance(value, bool) else f"{var} != {pysource.literal(value)}"
            out.append(Check(const_guard, differs, c.const_phrase))
        return out

    def reader(self, p: ListProperty | MapProperty) -> str:
        if p not in self.readers:
            self.readers[p] = f"_read{len(self.readers)}"
            self.order.append(("read", p))
        return self.readers[p]

    def writer(self, p: ListProperty | MapProperty) -> str:
        if p not in self.writers:
            self.writers[p] = f"_write{len(self.writers)}"
            self.order.append(("write", p))
        return self.writers[p]

    def prepare(self) -> Plan:
        """Register every helper the models need, in a stable order, before anything is rendered."""
        for m in self.ir.models:
            for f in m.fields:
                self._walk(f.prop)
            if m.additional is not None:
                self._walk(additional_map(m))
        return self

    def _walk(self, p: Property) -> None:
        if isinstance(p, ListProperty):
            if not isinstance(p.item, (ModelProperty, AnyProperty)):
                self.reader(p)
            if needs_writer(p):
                self.writer(p)
            self._walk(p.item)
        elif isinstance(p, MapProperty):
            if not isinstance(p.value, AnyProperty):
                self.reader(p)
            if needs_writer(p):
                self.writer(p)
            self._walk(p.value)
        else:
            for check in self.checks(p):  # registers the patterns
                del check


def additional_map(m: Model) -> MapProperty:
    """A model's typed unknown keys, read and written like a map."""
    assert m.additional is not None
    return MapProperty(nullable=False, value=m.additional)


def needs_writer(p: Property) -> bool:
    """Whether writing a property back to JSON converts anything (models and enum members do)."""
    if isinstance(p, (ModelProperty, EnumProperty)):
        return True
    if isinstance(p, ListProperty):
        return needs_writer(p.item)
    if isinstance(p, MapProperty):
        return needs_writer(p.value)
    return False


def is_any(p: Property) -> bool:
    return isinstance(p, AnyProperty)


def lenient_source(policy: LenientPolicy) -> str:
    """The runtime policy object (`_values.Lenient`) for the IR's lenient policy: the one rendering the models
    and the compiled validators both use, written as ruff formats it."""
    booleans = pysource.literal(dict(policy.booleans))
    nulls = pysource.literal(policy.nulls)
    return (f"_LAX = _v.Lenient(\n    integer_from_string={policy.integer_from_string!r},\n    booleans={booleans},\n"
            f"    nulls={nulls},\n)")


def property_table(p: Property) -> dict[str, object]:
    """A property as plain data, for the generated strategies (and anything else that walks schemas at run time)."""
    out: dict[str, object] = {"kind": p.kind, "nullable": p.nullable}
    if isinstance(p, (ScalarProperty, UnionProperty)):
        c = p.constraints
        out["types"] = list(p.json_types)
        for key in ("min_length", "max_length", "pattern", "minimum", "maximum", "exclusive_minimum",
                    "exclusive_maximum"):
            value = getattr(c, key)
            if value is not None:
                out[key] = value
        if c.int_range is not None:
            out["int_range"] = list(c.int_range)
        if c.const:
            out["const"] = c.const[0]
    elif isinstance(p, EnumProperty):
        out.update(name=p.enum, open=p.open)
    elif isinstance(p, ModelProperty):
        out["name"] = p.model
    elif isinstance(p, ListProperty):
        out["item"] = property_table(p.item)
        if p.min_items is not None:
            out["min_items"] = p.min_items
        if p.max_items is not None:
            out["max_items"] = p.max_items
    elif isinstance(p, MapProperty):
        out["value"] = property_table(p.value)
    return out
