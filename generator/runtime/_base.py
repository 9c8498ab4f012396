"""Runtime primitives the generated models share: absent values, open enums, parse notes, ParseError.

Copied verbatim into every generated package, so it may use the standard library only.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Self

# The client's errors live in _errors; these names are re-exported here for code written against the
# older layout (the toolkit's status command reads them from this module).
from ._errors import (
    ClientError,
    PaginationError,
    RequestValidationError,
    ResponseParseError,
    TransportError,
    WaiterTimeoutError,
)

__all__ = [
    "UNSET",
    "ClientError",
    "Lenient",
    "Note",
    "OpenStrEnum",
    "PaginationError",
    "ParseError",
    "RequestValidationError",
    "ResponseParseError",
    "TransportError",
    "UnsetType",
    "WaiterTimeoutError",
    "escape_pointer",
]


class UnsetType:
    """The type of UNSET: a field that was absent from the document (as opposed to null)."""

    __slots__ = ()
    _instance: UnsetType | None = None

    def __new__(cls) -> UnsetType:
        # One instance, so `is UNSET` is the test everywhere (copy and pickle keep it too).
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Final = UnsetType()


class OpenStrEnum(enum.StrEnum):
    """A string enum that also holds values it does not know.

    Unknown values become pseudo-members: instances of the enum class that keep their exact
    text, compare equal to it, and answer `is_known` with False. They are not cached, so a
    stream of junk values cannot grow the class.
    """

    @classmethod
    def _missing_(cls, value: object) -> Self | None:
        if isinstance(value, str):
            return cls._unknown(value)
        return None

    @classmethod
    def _unknown(cls, value: str) -> Self:
        member = str.__new__(cls, value)
        member._name_ = value
        member._value_ = value
        return member

    @property
    def is_known(self) -> bool:
        return type(self)._value2member_map_.get(self._value_) is self

    def __repr__(self) -> str:
        if self.is_known:
            return f"{type(self).__name__}.{self._name_}"
        return f"{type(self).__name__}({self._value_!r})"


@dataclass(frozen=True, slots=True)
class Note:
    """Something lenient parsing accepted that strict parsing rejects.

    kind is one of: coerced (type drift converted), unknown_enum, unknown_field, wrong_type.
    """

    path: str
    kind: str
    found: Any
    became: Any = None
    message: str = ""

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.message}"


class ParseError(ValueError):
    """A document that does not parse (strict mode, or not an object at all)."""

    def __init__(self, notes: list[Note] | tuple[Note, ...]) -> None:
        self.notes = tuple(notes)
        first = self.notes[0] if self.notes else None
        self.path = first.path if first else ""
        more = f" (and {len(self.notes) - 1} more)" if len(self.notes) > 1 else ""
        super().__init__(f"{first}{more}" if first else "invalid document")


def escape_pointer(token: str) -> str:
    """One JSON Pointer reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


# ---------------------------------------------------------------- the slow paths of generated decoders
# Generated code tests the expected type inline and calls these only when a value is off the happy path.
_INTEGER = re.compile(r"-?[0-9]+")


@dataclass(frozen=True)
class Lenient:
    """The type drift a spec allows in lenient mode (x-service.lenient)."""

    integer_from_string: bool = False
    boolean_from_string: Iterable[str] = ()
    null_from_string: Iterable[str] = ()
    booleans: Mapping[str, bool] = field(init=False)
    nulls: frozenset[str] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "booleans", {s: s.lower() == "true" for s in self.boolean_from_string})
        object.__setattr__(self, "nulls", frozenset(self.null_from_string))


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "integer", float: "number"}


def json_type(value: object) -> str:
    return "null" if value is None else _JSON_TYPES.get(type(value), type(value).__name__)


def wrong(value: Any, path: str, key: str, expected: str, co: list[Note]) -> Any:
    """Keep a value of the wrong type as it is (nothing is lost) and say so."""
    co.append(Note(path + "/" + key, "wrong_type", value, None,
                   f"expected {expected}, found {json_type(value)} {value!r:.60}"))
    return value


def _null_or_wrong(lenient: Lenient, value: Any, path: str, key: str, co: list[Note], nullable: bool,
                   expected: str) -> Any:
    if nullable and value.__class__ is str and value in lenient.nulls:
        co.append(Note(path + "/" + key, "coerced", value, None, f"read the string {value!r} as null"))
        return None
    return wrong(value, path, key, expected, co)


def string(lenient: Lenient, value: Any, path: str, key: str, co: list[Note], nullable: bool) -> Any:
    return wrong(value, path, key, "string", co)


def integer(lenient: Lenient, value: Any, path: str, key: str, co: list[Note], nullable: bool) -> Any:
    if value.__class__ is float and value.is_integer():
        return value  # JSON Schema counts 1.0 as an integer; keep the exact value
    if value.__class__ is str and lenient.integer_from_string and _INTEGER.fullmatch(value.strip()):
        co.append(Note(path + "/" + key, "coerced", value, int(value), f"read the string {value!r} as an integer"))
        return int(value)
    return _null_or_wrong(lenient, value, path, key, co, nullable, "integer")


def number(lenient: Lenient, value: Any, path: str, key: str, co: list[Note], nullable: bool) -> Any:
    if value.__class__ is int:
        return value
    if value.__class__ is str and lenient.integer_from_string and _INTEGER.fullmatch(value.strip()):
        co.append(Note(path + "/" + key, "coerced", value, int(value), f"read the string {value!r} as a number"))
        return int(value)
    return _null_or_wrong(lenient, value, path, key, co, nullable, "number")


def boolean(lenient: Lenient, value: Any, path: str, key: str, co: list[Note], nullable: bool) -> Any:
    if value.__class__ is str and value in lenient.booleans:
        became = lenient.booleans[value]
        co.append(Note(path + "/" + key, "coerced", value, became, f"read the string {value!r} as {became}"))
        return became
    return _null_or_wrong(lenient, value, path, key, co, nullable, "boolean")


def unknown(cls: type[OpenStrEnum], value: str, path: str, key: str, co: list[Note]) -> Any:
    member = cls._unknown(value)
    co.append(Note(path + "/" + key, "unknown_enum", value, member,
                   f"{value!r} is not a known {cls.__name__} ({', '.join(m.value for m in cls)})"))
    return member


def extras(data: dict[str, Any], known: frozenset[str], path: str, co: list[Note], closed: bool) -> dict[str, Any]:
    found = {k: v for k, v in data.items() if k not in known}
    if closed:
        for k in found:
            co.append(Note(path + "/" + escape_pointer(k), "unknown_field", found[k], None,
                           f"unknown field {k!r}"))
    return found


def enum_list(cls: type[OpenStrEnum], members: Mapping[str, Any], values: list[Any], path: str,
              co: list[Note], nullable: bool) -> list[Any]:
    out: list[Any] = []
    for i, v in enumerate(values):
        if v.__class__ is str:
            member = members.get(v)  # not `or`: a member whose value is "" is falsy
            out.append(member if member is not None else unknown(cls, v, path, str(i), co))
        elif v is None and nullable:
            out.append(v)
        else:
            out.append(wrong(v, path, str(i), "string", co))
    return out


def scalar_list(lenient: Lenient, check: Callable[..., Any], kind: type, values: list[Any], path: str,
                co: list[Note], nullable: bool) -> list[Any]:
    return [v if v.__class__ is kind or (v is None and nullable) else check(lenient, v, path, str(i), co, nullable)
            for i, v in enumerate(values)]
