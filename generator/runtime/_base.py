"""Runtime primitives the generated models share: absent values, open enums, parse notes, ParseError.

Copied verbatim into every generated package, so it may use the standard library only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, Final, Self

from ._values import INTEGER, MAX_DEPTH, NOT_DRIFT, NULL, Lenient, describe, type_names

__all__ = [
    "UNSET",
    "Note",
    "OpenStrEnum",
    "ParseError",
    "UnsetType",
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
# Generated code tests the expected class inline and calls these only off the happy path. What counts as
# drift, how deep recursion goes and how values are described is decided in `_values`, for models and
# validators alike.


def off(policy: Lenient, value: Any, path: str, key: str, co: list[Note], accepts: int) -> Any:
    """A value whose class the field does not take as it is: an integral float where an integer is expected
    (JSON Schema's integer: read as int, no note), lenient drift (read, a `coerced` note), or a wrong type
    (kept as found, a `wrong_type` note)."""
    if value is None and accepts & NULL:
        return None  # an allowed null (the happy path tests for it where it can)
    if value.__class__ is float and accepts & INTEGER and value.is_integer():
        return int(value)
    if value.__class__ is str:
        became = policy.read(value, accepts)
        if became is not NOT_DRIFT:
            co.append(Note(path + "/" + key, "coerced", value, became,
                           f"read the string {value!r:.60} as {describe(became)}"))
            return became
    co.append(Note(path + "/" + key, "wrong_type", value, None,
                   f"expected {type_names(accepts)}, found {describe(value)}"))
    return value


def broken(value: Any, path: str, key: str, co: list[Note], expected: str) -> Any:
    """A value of the right type that breaks a constraint (length, pattern, range, a closed value set):
    kept as found, with a `wrong_type` note (strict mode rejects it, lenient mode keeps it)."""
    co.append(Note(path + "/" + key, "wrong_type", value, None, f"expected {expected}, found {describe(value)}"))
    return value


def missing(path: str, key: str, co: list[Note]) -> None:
    """A required property is absent: noted at the object, where JSON Schema reports it."""
    co.append(Note(path, "wrong_type", UNSET, None, f"required property {key!r} is missing"))


def too_deep(value: Any, path: str, co: list[Note]) -> Any:
    """An object nested past MAX_DEPTH where a schema refers back to itself: kept as found, not followed."""
    co.append(Note(path, "wrong_type", value, None, f"nested deeper than {MAX_DEPTH} levels; not read"))
    return value


def unknown(cls: type[OpenStrEnum], value: str, path: str, key: str, co: list[Note]) -> Any:
    """A string outside an open value set: a pseudo-member that keeps its text, and an `unknown_enum` note."""
    member = cls._unknown(value)
    co.append(Note(path + "/" + key, "unknown_enum", value, member,
                   f"{value!r:.60} is not a known {cls.__name__} ({', '.join(m.value for m in cls)})"))
    return member


def extras(data: dict[str, Any], known: frozenset[str], path: str, co: list[Note], closed: bool) -> dict[str, Any]:
    """The keys a model does not declare, kept so nothing is lost; noted when the schema forbids them."""
    found = {k: v for k, v in data.items() if k not in known}
    if closed:
        for k in found:
            co.append(Note(path + "/" + escape_pointer(k), "unknown_field", found[k], None,
                           f"unknown field {k!r:.60}"))
    return found
