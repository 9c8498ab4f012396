"""What a client needs of an HTTP stack: the `Transport` protocol (blocking) and `AsyncTransport` (for the
event loop), and the `Response` both return.

The package's own transport is `HttpTransport` (_http.py, standard library only); the async client runs
it in worker threads (`ThreadedTransport`) rather than speaking HTTP a second time. Any other stack can
be plugged in with a small adapter (docs/client.md shows them for requests, httpx and httpx.AsyncClient):
a session with corporate proxies, client certificates or tracing. Copied verbatim into every generated
package.
"""

from __future__ import annotations

import _thread
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, Protocol, runtime_checkable

from ._errors import RequestValidationError, TransportError, shown

if TYPE_CHECKING:
    from concurrent.futures import ThreadPoolExecutor

__all__ = [
    "CONNECT_TIMEOUT_S", "MAX_RESPONSE_BYTES", "READ_TIMEOUT_S", "AsyncTransport", "Cancellation", "Headers",
    "Response", "ThreadedTransport", "Transport",
]

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


@runtime_checkable
class AsyncTransport(Protocol):
    """The HTTP stack an async client sends through: Transport's two methods as coroutines.

    `await request(method, url, headers, body, *, budget_s)` follows every rule of Transport.request.
    It may be cancelled at any await (the caller's task was cancelled, or the call's deadline came):
    it must then leave no connection half-used, closing the one it was on rather than pooling it.
    `await close()` releases the stack's connections.
    """

    async def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes, *,
                      budget_s: float) -> Response: ...

    async def close(self) -> None: ...


class Cancellation:
    """Stops one exchange from another thread. The transport `attach`es the socket it sends on;
    `cancel()` shuts that socket down, so a blocked send or receive returns at once, and `detach()` (once
    the exchange is over) tells whether that happened: the connection is then closed, never pooled."""

    __slots__ = ("_lock", "_sock", "cancelled")

    def __init__(self) -> None:
        self._lock = _thread.allocate_lock()
        self._sock: Any = None
        self.cancelled = False

    def cancel(self) -> None:
        with self._lock:  # held while shutting down: a socket detached meanwhile is never touched
            self.cancelled = True
            sock, self._sock = self._sock, None
            if sock is not None:
                import contextlib

                with contextlib.suppress(OSError):  # already closed
                    sock.shutdown(2)  # socket.SHUT_RDWR

    def attach(self, sock: Any) -> bool:
        """False when the exchange was cancelled already: do not send."""
        with self._lock:
            if self.cancelled:
                return False
            self._sock = sock
            return True

    def detach(self) -> bool:
        """True when the exchange was cancelled: its socket is unusable."""
        with self._lock:
            self._sock = None
            return self.cancelled


class ThreadedTransport:
    """An AsyncTransport that runs a blocking Transport's exchanges in a bounded pool of worker threads
    (the async client's default: HttpTransport's http.client exchange, so HTTP is written once).

    At most `max_workers` exchanges are in flight; more wait for a thread, their budgets running. A
    cancelled request stops at once; with HttpTransport the exchange in its thread is stopped too (its
    connection closed, never pooled half-read), with another Transport it runs on in its thread until it
    ends, bounded by its budget. `close()` closes the wrapped transport when `close_transport` is true.
    """

    def __init__(self, transport: Transport, *, max_workers: int = 16, close_transport: bool = True) -> None:
        if not isinstance(transport, Transport):
            raise RequestValidationError("transport", "must have request(method, url, headers, body, *, budget_s) "
                                                      f"and close() (the Transport protocol), not {shown(transport)}")
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise RequestValidationError("max_workers", f"must be a whole number of at least 1, not {shown(max_workers)}")
        self.transport = transport
        self.max_workers = max_workers
        self._close_transport = close_transport
        self._cancellable = bool(getattr(type(transport), "cancellable", False))
        self._pool: ThreadPoolExecutor | None = None  # made on the first request
        self._closed = False

    def __repr__(self) -> str:
        return f"ThreadedTransport({self.transport!r}, max_workers={self.max_workers})"

    async def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes, *,
                      budget_s: float = math.inf) -> Response:
        import asyncio

        if self._closed:
            raise TransportError("the transport is closed")
        deadline = time.monotonic() + budget_s  # the wait for a thread counts against the budget
        cancellation = Cancellation() if self._cancellable else None
        pending = asyncio.get_running_loop().run_in_executor(
            self._executor(), self._exchange, method, url, headers, body, deadline, cancellation)
        try:
            return await pending
        except asyncio.CancelledError:
            if cancellation is not None:
                cancellation.cancel()
            raise

    def _exchange(self, method: str, url: str, headers: Mapping[str, str], body: bytes, deadline: float,
                  cancellation: Cancellation | None) -> Response:
        budget = deadline - time.monotonic()
        if cancellation is None:
            return self.transport.request(method, url, headers, body, budget_s=budget)
        return self.transport.request(method, url, headers, body, budget_s=budget,  # type: ignore[call-arg]
                                      cancellation=cancellation)

    def _executor(self) -> ThreadPoolExecutor:
        pool = self._pool
        if pool is None:
            from concurrent.futures import ThreadPoolExecutor

            pool = self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="http-exchange")
        return pool

    async def close(self) -> None:
        """Refuse new requests, drop the queued ones; exchanges in flight end within their budgets."""
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        if self._close_transport:
            self.transport.close()
