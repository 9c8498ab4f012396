"""How JSON values are read: the one owner of the rules the models and the validators share.

The generated decoders (models) and the compiled validators both call this module for everything that is
not plain JSON Schema: which strings stand for which values in lenient mode, how deep a recursive schema
is followed, the ranges of the integer formats, how a value is described in a message. A rule written
here once cannot disagree with itself; the property suite holds both sides to the same verdicts.

Copied verbatim into every generated package, so it may use the standard library only.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Iterable, Mapping
from typing import Final

__all__ = [
    "ARRAY",
    "BOOLEAN",
    "BOUNDS",
    "INTEGER",
    "INT_FORMATS",
    "MAX_DEPTH",
    "NOT_DRIFT",
    "NULL",
    "NUMBER",
    "OBJECT",
    "RULES",
    "STRING",
    "Lenient",
    "bound_phrase",
    "broken_rule",
    "count_phrase",
    "describe",
    "integer_text",
    "pattern_phrase",
    "type_names",
]

# JSON types as bits; a set of accepted types is their OR. An int is a number and an integer.
NULL: Final = 1
BOOLEAN: Final = 2
OBJECT: Final = 4
ARRAY: Final = 8
NUMBER: Final = 16
STRING: Final = 32
INTEGER: Final = 64

# `format` on an integer is an assertion here (JSON Schema leaves it an annotation): these are the ranges.
INT_FORMATS: Final[dict[str, tuple[int, int]]] = {
    "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1),
}

# Where a schema refers back to itself, a value nested deeper than this many JSON Pointer segments is not
# followed: it is kept as found and reported at its path, so a hostile document cannot exhaust the stack.
MAX_DEPTH: Final = 100

# What lenient mode reads as an integer: optional minus and up to 19 digits, nothing around them (no
# spaces, signs, exponents or hexadecimal), and only within int64.
_INTEGER_TEXT = re.compile(r"-?[0-9]{1,19}")
_INT64 = INT_FORMATS["int64"]


class _NotDrift:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_DRIFT"


NOT_DRIFT: Final = _NotDrift()  # `Lenient.read` found no lenient reading of a string


def integer_text(text: str) -> int | None:
    """The integer a string spells, by the lenient rule above, or None."""
    if _INTEGER_TEXT.fullmatch(text) is None:
        return None
    value = int(text)
    return value if _INT64[0] <= value <= _INT64[1] else None


class Lenient:
    """The type drift a spec accepts in lenient mode (x-service.lenient), as the IR decided it.

    Only a string is ever read as something else, and only where the schema does not accept strings:
    first as an integer (integer_from_string), then as a boolean (the listed words), then as null (the
    listed words, where null is allowed).
    """

    __slots__ = ("booleans", "integer_from_string", "nulls")

    def __init__(self, integer_from_string: bool = False, booleans: Mapping[str, bool] | None = None,
                 nulls: Iterable[str] = ()) -> None:
        self.integer_from_string = integer_from_string
        self.booleans: Mapping[str, bool] = dict(booleans or {})
        self.nulls = frozenset(nulls)

    def read(self, text: str, accepts: int) -> object:
        """What `text` stands for where a value of the `accepts` types is expected, or NOT_DRIFT."""
        if accepts & STRING:
            return NOT_DRIFT
        if accepts & (NUMBER | INTEGER) and self.integer_from_string:
            number = integer_text(text)
            if number is not None:
                return number
        if accepts & BOOLEAN:
            flag = self.booleans.get(text)
            if flag is not None:
                return flag
        if accepts & NULL and text in self.nulls:
            return None
        return NOT_DRIFT

    def __repr__(self) -> str:
        return (f"Lenient(integer_from_string={self.integer_from_string!r}, booleans={dict(self.booleans)!r}, "
                f"nulls={sorted(self.nulls)!r})")


# The constraint keywords of one scalar, by the IR's names: a request parameter's `rules` (in the client and in
# `_spec.PARAMETERS`) hold those the spec sets. The words below are the one wording of each: the generated
# docstrings and every message about a broken constraint compose them.
RULES: Final = ("min_length", "max_length", "pattern", "minimum", "maximum", "exclusive_minimum",
                "exclusive_maximum", "int_range")
# The numeric bounds, in the order a value is checked: (rule, JSON Schema keyword, words, broken when).
BOUNDS: Final = (("minimum", "minimum", "at least", operator.lt), ("maximum", "maximum", "at most", operator.gt),
                 ("exclusive_minimum", "exclusiveMinimum", "above", operator.le),
                 ("exclusive_maximum", "exclusiveMaximum", "below", operator.ge))
_BOUND_WORDS: Final = {rule: words for rule, _, words, _ in BOUNDS}


def count_phrase(low: int | None, high: int | None, unit: str) -> str:
    """How many `unit`s a value holds, in words: `1 to 8 items`, `at least 1 items`, `at most 8 items`; "" when
    neither bound is set."""
    if low is not None and high is not None:
        return f"{low} to {high} {unit}"
    if low is not None:
        return f"at least {low} {unit}"
    if high is not None:
        return f"at most {high} {unit}"
    return ""


def bound_phrase(rule: str, bound: object) -> str:
    """`at least 0`, `below 1.5`, or `from -2147483648 to 2147483647` for a format's `int_range`."""
    if rule == "int_range" and isinstance(bound, tuple | list):
        return f"from {bound[0]} to {bound[1]}"
    return f"{_BOUND_WORDS[rule]} {bound!r}"


def pattern_phrase(pattern: str) -> str:
    return f"matching {pattern!r}"


def broken_rule(value: int | float | str, rules: Mapping[str, object]) -> tuple[str, str] | None:
    """The first of `rules` that `value` breaks, as (JSON Schema keyword, what is expected in words), or None.

    A string is held to the length and pattern rules, a number to the bounds and then its format's range
    (`format` is the keyword). Lengths count code points, and a pattern may match anywhere, as in JSON Schema."""
    if isinstance(value, str):
        low, high, pattern = rules.get("min_length"), rules.get("max_length"), rules.get("pattern")
        if isinstance(low, int) and len(value) < low:
            return "minLength", count_phrase(low, None, "characters")
        if isinstance(high, int) and len(value) > high:
            return "maxLength", count_phrase(None, high, "characters")
        if isinstance(pattern, str) and re.search(pattern, value) is None:
            return "pattern", pattern_phrase(pattern)
        return None
    for rule, keyword, _, breaks in BOUNDS:
        bound = rules.get(rule)
        if isinstance(bound, int | float) and breaks(value, bound):
            return keyword, bound_phrase(rule, bound)
    span = rules.get("int_range")
    if isinstance(span, tuple | list) and not span[0] <= value <= span[1]:
        return "format", bound_phrase("int_range", span)
    return None


_NAME_ORDER = (("string", STRING), ("integer", INTEGER), ("number", NUMBER), ("boolean", BOOLEAN),
               ("object", OBJECT), ("array", ARRAY), ("null", NULL))


def type_names(accepts: int) -> str:
    """`string or null` for a set of JSON types (a number covers the integers)."""
    names = [n for n, bit in _NAME_ORDER if accepts & bit and not (bit == INTEGER and accepts & NUMBER)]
    return " or ".join(names) if names else "nothing"


def describe(value: object) -> str:
    """A short, bounded description of a value for messages: `string 'abc'`, `integer 7`, `array of 3 items`."""
    if value is None:
        return "null"
    kind = value.__class__
    if kind is bool:
        return f"boolean {str(value).lower()}"
    if kind is int or kind is float:
        text = repr(value)
        return f"{'integer' if kind is int else 'number'} {text if len(text) <= 40 else text[:37] + '...'}"
    if kind is str:
        text = repr(value)
        return f"string {text if len(text) <= 60 else text[:56] + '...' + text[0]}"
    if kind is list:
        n = len(value)  # type: ignore[arg-type]
        return f"array of {n} item{'' if n == 1 else 's'}"
    if kind is dict:
        n = len(value)  # type: ignore[arg-type]
        return f"object with {n} propert{'y' if n == 1 else 'ies'}"
    return f"non-JSON value of type {kind.__name__}"
