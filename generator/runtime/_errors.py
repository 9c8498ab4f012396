"""Every exception a generated client raises, in one hierarchy under ClientError.

Copied verbatim into every generated package (standard library only). The package's public `errors`
module re-exports these beside the service's own error classes; ParseError, the models' error, is a
ValueError of its own and lives with the models' runtime (_base).

    ClientError
      RequestValidationError (also ValueError)   an argument is wrong; nothing was sent
        EndpointError                            no usable region, endpoint or network
      CredentialsError                           no usable credentials
      TransportError                             no HTTP response (refused, reset, malformed framing)
        RequestTimeoutError (also TimeoutError)  connecting or reading took too long
        StaleConnectionError                     a kept-alive connection was found closed; sent again
        ResponseTooLargeError                    the body is over the transport's bound
      NonApiResponseError                        an answer, but not the API's (a proxy's page, a redirect)
      ResponseParseError                         the API's answer, but its body is unreadable
      XmlError (also ValueError)                 refused or malformed XML
      DeadlineExceeded (also TimeoutError)       the retry deadline ran out
      PaginationError                            the pages do not add up
      WaiterTimeoutError (also TimeoutError)     a waiter saw no final state in time
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Final

__all__ = [
    "ClientError",
    "CredentialsError",
    "DeadlineExceeded",
    "EndpointError",
    "NonApiResponseError",
    "PaginationError",
    "RequestTimeoutError",
    "RequestValidationError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "StaleConnectionError",
    "TransportError",
    "WaiterTimeoutError",
    "XmlError",
    "excerpt",
    "seconds",
    "shown",
]

_EXCERPT_BYTES: Final = 200


def excerpt(data: bytes | str, limit: int = _EXCERPT_BYTES) -> str:
    """The start of a server's text, safe to print: at most `limit` bytes (or characters), undecodable
    bytes and control characters escaped, quoted, with the length left out when it was cut."""
    cut = data[:limit]
    text = cut.decode("utf-8", "backslashreplace") if isinstance(cut, bytes) else cut
    shown = repr(text)  # escapes newlines, control and invisible format characters (bidi overrides)
    unit = "bytes" if isinstance(data, bytes) else "characters"
    return shown + (f" ... ({len(data)} {unit} in all)" if len(data) > limit else "")


def shown(value: object) -> str:
    """A value for an error message: its repr, one line and bounded (an integer of thousands of digits
    is described, not printed: Python refuses to print it)."""
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    text = repr(value)
    if not text.isprintable():
        text = repr(text)  # a custom repr with a newline or control character: escaped
    return text if len(text) <= 80 else text[:77] + "..."


def seconds(name: str, value: object, *, zero: bool = False, infinite: bool = False) -> float:
    """A duration argument as a float: a number of seconds, positive (or zero when `zero`), finite (or
    math.inf when `infinite`). Anything else is a RequestValidationError naming `name`."""
    if not isinstance(value, bool) and isinstance(value, int | float):
        number = float(value) if isinstance(value, float) or value.bit_length() < 1024 else math.inf
        if (number > 0 or (zero and number == 0)) and (number < math.inf or (infinite and value == math.inf)):
            return number
    allowed = "a number of seconds, " + (">= 0" if zero else "> 0") + (" (math.inf: no limit)" if infinite else
                                                                       ", finite")
    raise RequestValidationError(name, f"must be {allowed}, not {shown(value)}")


class ClientError(Exception):
    """Base of every error a generated client raises (the models' ParseError is a ValueError instead).

    `attempts` is how many attempts a call made before this error was final (None outside a call's retry
    loop), and the message says so; `retries_exhausted` tells a retryable failure that ran out of
    attempts from a final answer.
    """

    attempts: int | None = None
    retries_exhausted = False

    def __str__(self) -> str:
        text = super().__str__()
        if self.attempts is None:
            return text
        count = f"{self.attempts} attempt{'s' if self.attempts != 1 else ''}"
        return f"{text} ({'gave up ' if self.retries_exhausted else ''}after {count})"


class RequestValidationError(ClientError, ValueError):
    """An argument breaks the spec or the client's rules; nothing was sent. `parameter` names it."""

    def __init__(self, parameter: str, message: str) -> None:
        self.parameter = parameter
        super().__init__(f"{parameter}: {message}")


class EndpointError(RequestValidationError):
    """No endpoint can be derived: no region and no endpoint, or a malformed endpoint, region or network."""

    def __init__(self, message: str, parameter: str = "endpoint") -> None:
        super().__init__(parameter, message)


class CredentialsError(ClientError):
    """No usable credentials: none given, half given, malformed, or the provider failed."""


class TransportError(ClientError):
    """No HTTP response arrived (connection refused or reset, malformed framing); `__cause__` says why."""


class RequestTimeoutError(TransportError, TimeoutError):
    """Connecting or waiting for the response took too long. `phase` is connect or read."""

    def __init__(self, message: str, phase: str) -> None:
        self.phase = phase
        super().__init__(message)


class StaleConnectionError(TransportError):
    """A kept-alive connection turned out closed by the server before any answer came. The server may
    have read the request, so the client sends it once more at once, freshly signed (a nonce is accepted
    once); only when that fails too does the failure count as an attempt."""


class ResponseTooLargeError(TransportError):
    """The response body, or what it decompresses to, is larger than the transport accepts. Not retried:
    the server would send the same again."""


class NonApiResponseError(ClientError):
    """An HTTP answer that is not the API's: a proxy's or captive portal's page, a redirect, an empty or
    text body. Nothing of it is read as a model.

    `http_status`, `content_type` (None when absent), `location` (a 3xx's target: never followed, since
    the request is signed for this endpoint), `excerpt` (the body's start, escaped and bounded), `headers`.
    """

    def __init__(self, http_status: int, content_type: str | None, body: bytes, *,
                 headers: Mapping[str, str] | None = None, location: str | None = None) -> None:
        self.http_status = http_status
        self.content_type = content_type
        self.location = location
        self.headers: Mapping[str, str] = headers or {}
        self.excerpt = excerpt(body) if body else ""
        kind = f"content type {excerpt(content_type, 80)}" if content_type else "no content type"
        where = f", redirecting to {excerpt(location, 200)} (not followed)" if location else ""
        start = f"; the body starts {self.excerpt}" if body else "; the body is empty"
        super().__init__(f"HTTP {http_status} with {kind} is not an answer of the API{where}{start}")


class ResponseParseError(ClientError):
    """The API's answer arrived but its body could not be read (truncated, garbled); the raw bytes are kept."""

    def __init__(self, message: str, *, http_status: int, body: bytes,
                 headers: Mapping[str, str] | None = None) -> None:
        self.http_status = http_status
        self.body = body
        self.headers: Mapping[str, str] = headers or {}
        super().__init__(f"{message} (HTTP {http_status}, {len(body)} bytes)")


class XmlError(ClientError, ValueError):
    """An XML document that is refused (DOCTYPE/ENTITY, not UTF-8) or cannot be parsed or written."""


class DeadlineExceeded(ClientError, TimeoutError):
    """The overall deadline ran out before a retry could be made; `last_error` is the last failure."""

    def __init__(self, message: str, *, last_error: BaseException, attempts: int) -> None:
        self.last_error = last_error
        super().__init__(message)
        self.attempts = attempts

    def __str__(self) -> str:
        return Exception.__str__(self)  # the message names the attempts already


class PaginationError(ClientError):
    """The server's pages do not add up: a repeated page, a total that moved, a clamped page."""


class WaiterTimeoutError(ClientError, TimeoutError):
    """A waiter gave up; `last_response` is the last state it saw (None if every poll failed)."""

    def __init__(self, message: str, *, last_response: Any) -> None:
        self.last_response = last_response
        super().__init__(message)
