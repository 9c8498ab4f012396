"""What a client needs of an HTTP stack: the `Transport` protocol (blocking) and `AsyncTransport` (for the
event loop), and the `Response` both return.

The package's own transport is `HttpTransport` (_http.py, standard library only); the async client runs
it in worker threads (`ThreadedTransport`) rather than speaking HTTP a second time. Any other stack can
be plugged in with a small adapter (docs/client.md shows them for requests, httpx, httpx.AsyncClient and aiohttp):
a session with corporate proxies, client certificates or tracing. Copied verbatim into every generated
package.
"""

from __future__ import annotations

import _thread
import contextlib
import inspect
import math
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, Final, Protocol, runtime_checkable

from ._errors import RequestValidationError, TransportError, shown

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

    At most `max_workers` exchanges are in flight; more wait for a thread, their budgets running. Threads
    start as the exchanges in flight need them, up to max_workers, and stay until close() (or until the
    transport is garbage collected). A cancelled request stops at once and, if it still waits for a
    thread, is never sent; with HttpTransport an exchange under way in its thread is stopped too (its
    connection closed, never pooled half-read), with another Transport it runs on in its thread until it
    ends, bounded by its budget. `close()` fails the exchanges still waiting for a thread, lets the ones in
    flight end, and closes the wrapped transport when `close_transport` is true.
    """

    def __init__(self, transport: Transport, *, max_workers: int = 16, close_transport: bool = True) -> None:
        if not isinstance(transport, Transport) or inspect.iscoroutinefunction(getattr(transport, "request", None)):
            raise RequestValidationError("transport", "must have request(method, url, headers, body, *, budget_s) "
                                                      f"and close() (the Transport protocol), not {shown(transport)}")
        if isinstance(max_workers, bool) or not isinstance(max_workers, int) or max_workers < 1:
            raise RequestValidationError("max_workers", f"must be a whole number of at least 1, not {shown(max_workers)}")
        self.transport = transport
        self.max_workers = max_workers
        self._close_transport = close_transport
        self._cancellable = bool(getattr(type(transport), "cancellable", False))
        self._lock = _thread.allocate_lock()
        self._workers: _Workers | None = None  # made with the first thread
        self._inbox: _Inbox | None = None
        self._in_flight = 0
        self._closed = False

    def __repr__(self) -> str:
        return f"ThreadedTransport({self.transport!r}, max_workers={self.max_workers})"

    async def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes, *,
                      budget_s: float = math.inf) -> Response:
        import asyncio

        loop = asyncio.get_running_loop()
        deadline = time.monotonic() + budget_s  # the wait for a thread counts against the budget
        cancellation = Cancellation()
        outcome: asyncio.Future[Response] = loop.create_future()
        inbox = self._inbox
        if inbox is None or inbox.loop is not loop:
            inbox = self._inbox = _Inbox(loop)
        with self._lock:
            if self._closed:
                raise TransportError("the transport is closed")
            self._in_flight += 1
            workers = self._workers
            if workers is None:
                workers = self._workers = _Workers(self)
            if self._in_flight > workers.started < self.max_workers:
                workers.start()
        workers.jobs.put((self, inbox, outcome, method, url, headers, body, deadline, cancellation))
        try:
            return await outcome
        except asyncio.CancelledError:
            cancellation.cancel()
            raise
        finally:
            with self._lock:
                self._in_flight -= 1

    def _exchange(self, method: str, url: str, headers: Mapping[str, str], body: bytes, deadline: float,
                  cancellation: Cancellation) -> Response:
        """In a worker thread."""
        if self._closed:
            raise TransportError("the transport is closed")
        if cancellation.cancelled:
            raise TransportError("cancelled before it was sent")
        budget = deadline - time.monotonic()
        if not self._cancellable:
            return self.transport.request(method, url, headers, body, budget_s=budget)
        return self.transport.request(method, url, headers, body, budget_s=budget,  # type: ignore[call-arg]
                                      cancellation=cancellation)

    async def close(self) -> None:
        """Refuse new requests; the ones waiting for a thread fail with TransportError, the ones in flight
        end within their budgets; then the threads stop."""
        with self._lock:
            self._closed = True
            workers = self._workers
        if workers is not None:
            workers.stop()
        if self._close_transport:
            self.transport.close()


class _Workers:
    """The worker threads of one ThreadedTransport and the queue they take jobs from. The threads hold
    no reference to the transport between jobs: when it is collected unclosed, they are told to stop."""

    def __init__(self, owner: ThreadedTransport) -> None:
        import queue
        import weakref

        self.jobs: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.started = 0
        self._count = [0]  # what stop() reads: the threads started
        self.stop = weakref.finalize(owner, _stop, self.jobs, self._count)

    def start(self) -> None:
        import threading

        self.started += 1
        self._count[0] = self.started
        # Daemon threads: a client never closed must not keep the interpreter from exiting.
        threading.Thread(target=_work, args=(self.jobs,), name=f"http-exchange-{self.started}", daemon=True).start()


def _stop(jobs: Any, count: list[int]) -> None:
    for _ in range(count[0]):
        jobs.put(None)  # behind every waiting job: each thread takes one, then stops


def _work(jobs: Any) -> None:
    """A worker thread: takes jobs until it is told to stop (None)."""
    while (job := jobs.get()) is not None:
        owner, inbox, outcome, *exchange = job
        try:
            result: Any = owner._exchange(*exchange)
            failed = False
        except BaseException as exc:
            result, failed = exc, True
        del job, owner
        inbox.post(outcome, result, failed)


class _Inbox:
    """Outcomes of the worker threads for one event loop: the loop is woken once for all that arrived
    since it last looked, not once each (fewer wake-ups when many exchanges end together)."""

    __slots__ = ("_lock", "_pending", "_scheduled", "loop")

    def __init__(self, loop: Any) -> None:
        import collections

        self.loop = loop
        self._lock = _thread.allocate_lock()
        self._pending: collections.deque[tuple[Any, Any, bool]] = collections.deque()
        self._scheduled = False

    def post(self, outcome: Any, result: Any, failed: bool) -> None:  # in a worker thread
        self._pending.append((outcome, result, failed))
        with self._lock:
            if self._scheduled:
                return
            self._scheduled = True
        with contextlib.suppress(RuntimeError):  # the event loop is closed: nobody awaits the outcome any more
            self.loop.call_soon_threadsafe(self._deliver)

    def _deliver(self) -> None:  # on the loop
        with self._lock:
            self._scheduled = False
        pending = self._pending
        while pending:
            outcome, result, failed = pending.popleft()
            if outcome.done():  # the awaiting task was cancelled
                continue
            if failed:
                outcome.set_exception(result)
            else:
                outcome.set_result(result)
