"""What `validate` and the emulator's replay share about recorded traffic (docs/validating.md, "Recordings"): how
an exchange's request is read, how a value is shown in a message, and a recorded body as it was before its
Content-Encoding. Imports nothing else of the generator."""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class ContentCodingError(ValueError):
    """A recorded body that cannot be undone; the message is a phrase about it (`is not valid gzip data: ...`)."""


class ExchangeError(ValueError):
    """An exchange whose shape cannot be read; the message is a phrase about it (`its request is a list, ...`)."""


def a(value: Any) -> str:
    """What a JSON value is, for a message: 'null', 'a string', 'the number 7' (a whole number is named: it is
    most often a status or a parameter that should have been its text)."""
    if value is None:
        return "null"
    if value.__class__ is int:
        text = str(value)
        return f"the number {text}" if len(text) <= 20 else "a number"
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", float: "a number"}
    return names.get(type(value), type(value).__name__)


def clip(value: Any, width: int = 60) -> str:
    """A value's repr for a message, cut to `width` characters."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 1] + "…"


def last(values: list[str]) -> str | None:
    """The value of a parameter sent more than once that the API reads: the last, as the emulator does (validate
    reports the repetition itself)."""
    return values[-1] if values else None


@dataclass(frozen=True)
class RecordedRequest:
    """The request of one exchange of a recording."""

    action: str | None
    """The exchange's `action`, else its request's `Action` parameter (the last one sent)."""
    params: dict[str, list[str]]
    """Each parameter with the values it was sent with, in order."""
    problems: list[str] = field(default_factory=list)
    """A phrase for each parameter that is neither a text nor a list of texts; those are left out of `params`."""


def read_request(exchange: Mapping[str, Any]) -> RecordedRequest:
    """The request of a recorded exchange (`{"request": {"params": {...}}, "action": ...}`); ExchangeError when the
    request or its params is not an object."""
    request = exchange.get("request")
    if not isinstance(request, dict):
        raise ExchangeError(f"its request is {a(request)}, not an object")
    given = request.get("params", {})
    if not isinstance(given, dict):
        raise ExchangeError(f"its request.params is {a(given)}, not an object")
    params: dict[str, list[str]] = {}
    problems: list[str] = []
    for name, value in given.items():
        values = value if isinstance(value, list) else [value]
        if all(isinstance(v, str) for v in values):
            params[name] = values
        else:
            problems.append(f"its request.params[{clip(name)}] is {a(value)}, not a text (or a list of texts)")
    action = exchange.get("action")
    if not isinstance(action, str):
        action = last(params.get("Action", []))
    return RecordedRequest(action, params, problems)


def read_response(exchange: Mapping[str, Any]) -> dict[str, Any] | None:
    """The recorded answer of an exchange, None when the call failed before one arrived; ExchangeError when it is
    neither an object nor null."""
    response = exchange.get("response")
    if response is not None and not isinstance(response, dict):
        raise ExchangeError(f"its response is {a(response)}, not an object or null")
    return response


def undo_content_coding(data: bytes, coding: str, limit: int, *, reader: str) -> bytes:
    """`data` as it was before its Content-Encoding `coding` (lower case), `limit` bytes at most: gzip (told by its
    magic bytes too: tools record it either way) and deflate (zlib-wrapped or raw) are undone, identity is the data
    itself; any other coding is refused, naming `reader` as what cannot undo it."""
    if data[:2] == b"\x1f\x8b" or coding in ("gzip", "x-gzip"):
        wbits, name = 16 + zlib.MAX_WBITS, "gzip"
    elif coding == "deflate":
        wbits, name = (zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS), "deflate"
    elif coding in ("", "identity"):
        return data
    else:
        raise ContentCodingError(f"is {coding[:40]!r}-encoded, which {reader} cannot undo")
    inflater = zlib.decompressobj(wbits)
    try:
        out = inflater.decompress(data, limit + 1)  # bounded: a small bomb must not become gigabytes
    except zlib.error as exc:
        raise ContentCodingError(f"is not valid {name} data: {exc}") from None
    if len(out) > limit:
        raise ContentCodingError(f"decompresses to more than the {limit:,}-byte limit")
    return out
