"""What a client needs of an HTTP stack: the `Transport` protocol, and the `Response` it returns.

The package's own transport is `HttpTransport` (_http.py, standard library only). Any other stack can
be plugged in with a small adapter (docs/client.md shows them for requests and httpx): a session with
corporate proxies, client certificates or tracing. Copied verbatim into every generated package.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Final, Protocol, runtime_checkable

__all__ = ["CONNECT_TIMEOUT_S", "MAX_RESPONSE_BYTES", "READ_TIMEOUT_S", "Headers", "Response", "Transport"]

# The defaults of HttpTransport, declared once. A generated client's own come from its spec
# (x-service.timeouts); an adapter for another stack should bound bodies the same way.
CONNECT_TIMEOUT_S: Final = 5.0
READ_TIMEOUT_S: Final = 10.0
MAX_RESPONSE_BYTES: Final = 64 * 1024 * 1024  # after decompression, too


class Headers(Mapping[str, str]):
    """Response headers: case-insensitive lookup; a repeated header reads as its values joined by ', '."""

    __slots__ = ("_map", "_pairs")

    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._pairs = list(pairs)
        self._map: dict[str, tuple[str, str]] | None = None  # built on first lookup: most responses get none

    def _merged(self) -> dict[str, tuple[str, str]]:
        merged = self._map
        if merged is None:
            merged = {}
            for name, value in self._pairs:
                key = name.lower()
                merged[key] = (merged[key][0], f"{merged[key][1]}, {value}") if key in merged else (name, value)
            self._map = merged
        return merged

    def __getitem__(self, name: str) -> str:
        return self._merged()[name.lower()][1]

    def __iter__(self) -> Iterator[str]:
        return (original for original, _ in self._merged().values())

    def __len__(self) -> int:
        return len(self._merged())

    def get_all(self, name: str) -> list[str]:
        key = name.lower()
        return [value for item, value in self._pairs if item.lower() == key]

    def __repr__(self) -> str:
        return f"Headers({self._pairs!r})"


class Response:
    """One HTTP response: `status`, `headers` (case-insensitive), and `body` with any Content-Encoding the
    transport asked for already undone (the client decodes nothing itself)."""

    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, headers: Mapping[str, str] | Iterable[tuple[str, str]], body: bytes,
                 reason: str = "") -> None:
        self.status = status
        self.headers = headers if isinstance(headers, Headers) else Headers(
            headers.items() if isinstance(headers, Mapping) else headers)
        self.body = body
        self.reason = reason

    def __repr__(self) -> str:
        return f"Response(status={self.status}, reason={self.reason!r}, body=<{len(self.body)} bytes>)"


@runtime_checkable
class Transport(Protocol):
    """The HTTP stack a client sends through (`transport=`). Two methods:

    `request(method, url, headers, body, *, budget_s)` makes one exchange and returns a Response for
    any HTTP status. `url` is absolute and its query is signed: send it byte for byte. `headers` are
    sent as given (the signed Host among them); the stack may add its own (Accept-Encoding, Content-
    Length) but must undo any Content-Encoding before returning, and bound the body (HttpTransport
    refuses more than 64 MiB, after decompression too, with ResponseTooLargeError). `budget_s` is what
    is left of the call's deadline (math.inf without one): stop by then. When no response arrives,
    raise TransportError (RequestTimeoutError for timeouts, StaleConnectionError for a kept-alive
    connection found closed before any answer; the client then sends once more, freshly signed).
    Anything else raised is not retried.

    `close()` releases the stack's connections; a client calls it only for a transport it made itself.
    """

    def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes, *,
                budget_s: float) -> Response: ...

    def close(self) -> None: ...
