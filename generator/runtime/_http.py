"""HttpTransport: the package's own Transport, on the standard library's http.client.

http.client writes each request and parses each response (status line, headers, Content-Length,
chunked and close-delimited bodies, interim 1xx answers); this module adds what a client wants around
it: a keep-alive pool per (scheme, host, port), proxies from the environment, verified TLS, a bounded
gunzip, and time limits that bound every exchange (the read timeout per wait, and the caller's budget
over the whole exchange: a server that trickles bytes cannot stretch a call past its deadline).

Copied verbatim into every generated package (standard library only). Clients import it when the first
one is made, so importing a package to parse or validate does not pay for sockets and TLS.
"""

from __future__ import annotations

import base64
import http.client
import io
import math
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Mapping
from typing import Any, Final, NamedTuple
from urllib.parse import unquote, urlsplit

from ._endpoints import DEFAULT_PORTS
from ._errors import (
    RequestTimeoutError,
    RequestValidationError,
    ResponseTooLargeError,
    StaleConnectionError,
    TransportError,
    seconds,
    shown,
)
from ._transport import CONNECT_TIMEOUT_S, MAX_RESPONSE_BYTES, READ_TIMEOUT_S, Cancellation, Headers, Response

__all__ = ["HttpTransport"]

# scheme://authority, the part of a URL that picks the connection
_ORIGIN: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
_READ_SIZE: Final = 65536
# What HTTP/1.1 can carry, checked before connecting (http.client checks less, and only while writing).
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_TOKENS: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?::[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*")  # joined by ':'
_FIELD_VALUE: Final = re.compile(r"[\t\x20-\x7e\x80-\xff]*")  # latin-1 without control characters
_TARGET: Final = re.compile(r"[\x21-\x7e]+")
# A connection error before any answer, on a connection that had carried a request before: the server
# closed it while it sat idle.
_DROPPED: Final = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError)


class _Route(NamedTuple):
    scheme: str
    host: str
    port: int
    proxy_host: str | None = None
    proxy_port: int = 0
    proxy_auth: str | None = None

    @property
    def where(self) -> str:  # for error messages
        via = f" via proxy {self.proxy_host}:{self.proxy_port}" if self.proxy_host is not None else ""
        return f"{self.scheme}://{self.host}:{self.port}{via}"


class _Origin(NamedTuple):
    """What a URL's scheme://authority decides, worked out once per origin."""

    route: _Route
    host_header: str
    target_prefix: str  # "http://host:port" for plain HTTP through a proxy (absolute-form), else ""


class _Budget:
    """How long the next wait on a connection may take: the read timeout, never past the deadline."""

    __slots__ = ("deadline", "limit_s")

    def __init__(self) -> None:
        self.deadline = math.inf
        self.limit_s = READ_TIMEOUT_S

    def wait_s(self) -> float:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the time budget ran out")
        return self.limit_s if self.limit_s < remaining else remaining


class _BudgetedReader(io.RawIOBase):
    """The socket's bytes for http.client's response parser, each receive bounded by the budget."""

    def __init__(self, sock: socket.socket, budget: _Budget) -> None:
        self._sock = sock
        self._budget = budget
        # A SocketIO holds a reference on the socket, so http.client closing the connection while the
        # body is still being read (a close-delimited response) keeps the socket open until we are done.
        self._raw = sock.makefile("rb", buffering=0)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        self._sock.settimeout(self._budget.wait_s())
        return self._raw.readinto(buffer)

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
        super().close()


class _BudgetedSocket:
    """A connected socket as http.client uses it (sendall, makefile, close), with every send and
    receive bounded by the exchange's budget."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.budget = _Budget()

    def sendall(self, data: Any) -> None:
        self.sock.settimeout(self.budget.wait_s())
        self.sock.sendall(data)

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        return io.BufferedReader(_BudgetedReader(self.sock, self.budget), _READ_SIZE)

    def fileno(self) -> int:
        return self.sock.fileno()

    def close(self) -> None:
        self.sock.close()


def _no_proxy_match(host: str, port: int, no_proxy: str) -> bool:
    # The semantics of urllib.request.proxy_bypass_environment: '*', or a DNS suffix match on the
    # host or host:port, leading dots ignored.
    if no_proxy.strip() == "*":
        return True
    host = host.lower()
    hostport = f"{host}:{port}"
    for raw in no_proxy.split(","):
        name = raw.strip().lstrip(".").lower()
        if name and (
            host == name or hostport == name or host.endswith("." + name) or hostport.endswith("." + name)
        ):
            return True
    return False


def _parse_proxy(url: str) -> tuple[str, int, str | None]:
    # Like urllib, we speak plain HTTP to the proxy whatever its URL's scheme (CONNECT for https targets).
    try:
        parts = urlsplit(url if "://" in url else f"http://{url}")
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TransportError(f"proxy URL {url!r} is malformed: {exc}") from exc
    if not parts.hostname:
        raise TransportError(f"proxy URL {url!r} has no host")
    auth = None
    if parts.username is not None:
        user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(user_pass.encode("utf-8")).decode("ascii")
    return parts.hostname, port, auth


def _looks_dropped(sock: Any) -> bool:
    # An idle keep-alive socket that is readable has hit EOF (the server closed it) or holds stray
    # bytes: either way it cannot carry the next request.
    if sock is None:
        return True
    try:
        if hasattr(select, "poll"):
            poller = select.poll()
            poller.register(sock, select.POLLIN)
            return bool(poller.poll(0))
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _header(head: list[tuple[str, str]], name: str) -> str | None:
    """Header `name` (lower case) as http.client's getheader gives it: every value, joined by ', '."""
    values = [value for key, value in head if key.lower() == name]
    return ", ".join(values) if values else None


def _check_head(method: str, target: str, headers: Mapping[str, str]) -> None:
    # The common case in a few matches: the names joined by ':' (which no token holds: a name with one
    # changes the count) and the values joined by a tab (which a value may hold). Else one by one.
    names, values = ":".join(headers), "\t".join(headers.values())
    if _TOKEN.fullmatch(method) and _TARGET.fullmatch(target) and _TOKENS.fullmatch(names) \
            and names.count(":") == len(headers) - 1 and _FIELD_VALUE.fullmatch(values):
        return
    if not _TOKEN.fullmatch(method):
        raise ValueError(f"the request cannot be written: the method {shown(method)} is not an HTTP token")
    if not _TARGET.fullmatch(target):
        raise ValueError(f"the request cannot be written: the target {shown(target)} has a space, a control "
                         "or a non-ASCII character")
    for name, value in headers.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"the request cannot be written: the header name {shown(name)} is not an HTTP token")
        if not _FIELD_VALUE.fullmatch(value):
            raise ValueError(f"the request cannot be written: header {name}: the value {shown(value)} has a "
                             "control character (CR, LF, ...) or a character outside latin-1")


class HttpTransport:
    """HTTP/1.1 on http.client with a keep-alive pool per (scheme, host, port); thread-safe.

    TLS is verified (ssl.create_default_context() unless a context is given). Proxies come from the
    environment like urllib (HTTPS_PROXY/HTTP_PROXY/NO_PROXY) unless `proxies` is given
    ({"http": url, "https": url, "no": "host,suffix"}); HTTPS goes through a CONNECT tunnel.
    Asks for gzip and unpacks it, bounded by max_response_bytes like the body itself. Connect and read
    timeouts are separate, and every exchange is also bounded by the `budget_s` its caller has left.
    An exchange given a `cancellation` stops when another thread cancels it (ThreadedTransport does so
    when the task awaiting it is cancelled): its connection is closed, never pooled half-read.
    """

    cancellable = True  # request() takes cancellation=

    def __init__(
        self,
        *,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        read_timeout_s: float = READ_TIMEOUT_S,
        proxies: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_idle_per_host: int = 4,
        max_response_bytes: int = MAX_RESPONSE_BYTES,
    ) -> None:
        self.connect_timeout_s = seconds("connect_timeout_s", connect_timeout_s)
        self.read_timeout_s = seconds("read_timeout_s", read_timeout_s)
        if ssl_context is not None and not isinstance(ssl_context, ssl.SSLContext):
            raise RequestValidationError("ssl_context", f"must be an ssl.SSLContext, not {shown(ssl_context)}")
        for name, number, least in (("max_idle_per_host", max_idle_per_host, 0),
                                    ("max_response_bytes", max_response_bytes, 1)):
            if isinstance(number, bool) or not isinstance(number, int) or number < least:
                raise RequestValidationError(name, f"must be a whole number of at least {least}, not {shown(number)}")
        self._system_proxies = proxies is None
        from urllib.request import getproxies

        self._proxies = {k.lower(): v for k, v in (getproxies() if proxies is None else proxies).items() if v}
        self._ssl = ssl_context  # the default one is made on the first HTTPS connection: loading CAs is slow
        self._max_idle = max_idle_per_host
        self._max_body = max_response_bytes
        self._lock = threading.Lock()
        self._idle: dict[_Route, list[http.client.HTTPConnection]] = {}
        self._origins: dict[str, _Origin] = {}
        self._closed = False
        self.connections_opened = 0  # observability: how many TCP connections were made

    def __enter__(self) -> HttpTransport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close every idle connection; the transport refuses requests afterwards."""
        with self._lock:
            self._closed = True
            idle = [conn for conns in self._idle.values() for conn in conns]
            self._idle.clear()
        for conn in idle:
            conn.close()

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        *,
        budget_s: float = math.inf,
        cancellation: Cancellation | None = None,
    ) -> Response:
        """One HTTP exchange. Raises TransportError when no response arrives (RequestTimeoutError on
        timeouts, StaleConnectionError when a kept-alive connection was found closed before any answer:
        the idle connections to that host are dropped, so a resend goes on a new one); any HTTP status is
        a Response. Host and Accept-Encoding: gzip are added unless `headers` has them. A method, URL or
        header that HTTP cannot carry is a ValueError, before anything is sent. `cancellation.cancel()`
        from another thread ends the exchange with TransportError (a connect under way ends within the
        connect timeout)."""
        if self._closed:
            raise TransportError("the transport is closed")
        deadline = time.monotonic() + budget_s
        found = _ORIGIN.match(url)
        if found is None:
            raise ValueError(f"not an http(s) URL: {url!r}")
        origin = self._origins.get(found.group()) or self._origin(found.group(), url)
        rest = url[found.end() :].partition("#")[0]
        target = origin.target_prefix + (rest if rest[:1] == "/" else "/" + rest)
        send = dict(headers) if headers else {}
        present = {name.lower() for name in send}
        if "host" not in present:
            send["Host"] = origin.host_header
        if "accept-encoding" not in present:
            send["Accept-Encoding"] = "gzip"
        route = origin.route
        if route.proxy_auth and origin.target_prefix and "proxy-authorization" not in present:
            send["Proxy-Authorization"] = route.proxy_auth  # plain HTTP via a proxy: credentials per request
        _check_head(method, target, send)
        conn, reused = self._checkout(route)
        return self._exchange(conn, reused, route, method, target, send, body, deadline, cancellation)

    # -- internals --------------------------------------------------------------------------------

    def _origin(self, origin: str, url: str) -> _Origin:
        try:
            parts = urlsplit(origin)
            port = parts.port
        except ValueError:
            raise ValueError(f"not an http(s) URL: {url!r}") from None
        scheme = parts.scheme.lower()
        host = parts.hostname
        if scheme not in DEFAULT_PORTS or not host:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = port or DEFAULT_PORTS[scheme]
        route = self._route(scheme, host, port)
        bracketed = f"[{host}]" if ":" in host else host
        # What http.client would send: IDNA for non-ASCII names, the port only when not the default.
        if not bracketed.isascii():
            bracketed = bracketed.encode("idna").decode("ascii")
        host_header = bracketed if port == DEFAULT_PORTS[scheme] else f"{bracketed}:{port}"
        prefix = f"http://{host_header}" if route.proxy_host is not None and scheme == "http" else ""
        made = _Origin(route, host_header, prefix)
        if len(self._origins) >= 256:
            self._origins.clear()  # a bound, for callers that visit many hosts
        self._origins[origin] = made
        return made

    def _route(self, scheme: str, host: str, port: int) -> _Route:
        proxy = self._proxies.get(scheme)
        if proxy is None or self._bypass(host, port):
            return _Route(scheme, host, port)
        proxy_host, proxy_port, auth = _parse_proxy(proxy)
        return _Route(scheme, host, port, proxy_host, proxy_port, auth)

    def _bypass(self, host: str, port: int) -> bool:
        no_proxy = self._proxies.get("no")
        if no_proxy is not None:
            return _no_proxy_match(host, port, no_proxy)
        # No NO_PROXY: fall back on the platform's rules (registry / macOS settings) like urllib.
        from urllib.request import proxy_bypass

        return self._system_proxies and bool(proxy_bypass(host))

    def _tls(self) -> ssl.SSLContext:
        if self._ssl is None:
            self._ssl = ssl.create_default_context()
        return self._ssl

    def _new_connection(self, route: _Route) -> http.client.HTTPConnection:
        timeout = self.connect_timeout_s
        if route.proxy_host is None:
            if route.scheme == "https":
                return http.client.HTTPSConnection(route.host, route.port, timeout=timeout, context=self._tls())
            return http.client.HTTPConnection(route.host, route.port, timeout=timeout)
        if route.scheme == "https":
            conn = http.client.HTTPSConnection(
                route.proxy_host, route.proxy_port, timeout=timeout, context=self._tls()
            )
            # CONNECT tunnel; TLS (and its hostname check) is then against the target host.
            tunnel_headers = {"Proxy-Authorization": route.proxy_auth} if route.proxy_auth else None
            conn.set_tunnel(route.host, route.port, headers=tunnel_headers)
            return conn
        return http.client.HTTPConnection(route.proxy_host, route.proxy_port, timeout=timeout)

    def _checkout(self, route: _Route) -> tuple[http.client.HTTPConnection, bool]:
        while True:
            with self._lock:
                idle = self._idle.get(route)
                conn = idle.pop() if idle else None
            if conn is None:
                return self._new_connection(route), False
            if _looks_dropped(conn.sock):
                conn.close()
                continue
            return conn, True

    def _checkin(self, route: _Route, conn: http.client.HTTPConnection) -> None:
        with self._lock:
            idle = self._idle.setdefault(route, [])
            if not self._closed and len(idle) < self._max_idle:
                idle.append(conn)
                return
        conn.close()

    def _drop_idle(self, route: _Route) -> None:
        # One idle connection was closed under us: its peers idled as long, so they go too.
        with self._lock:
            stale = self._idle.pop(route, [])
        for conn in stale:
            conn.close()

    def _connect(self, conn: http.client.HTTPConnection, route: _Route, deadline: float) -> _BudgetedSocket:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeoutError("the time budget ran out before connecting", "connect")
        conn.timeout = min(self.connect_timeout_s, remaining)
        try:
            conn.connect()
        except TimeoutError as exc:
            raise RequestTimeoutError(f"connecting to {route.where} timed out", "connect") from exc
        except OSError as exc:
            raise TransportError(f"cannot connect to {route.where}: {exc}") from exc
        with self._lock:
            self.connections_opened += 1
        budgeted = _BudgetedSocket(conn.sock)
        conn.sock = budgeted  # http.client uses sendall, makefile and close of it: all budgeted
        return budgeted

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        reused: bool,
        route: _Route,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        deadline: float,
        cancellation: Cancellation | None,
    ) -> Response:
        try:
            return self._exchange_on(conn, reused, route, method, target, headers, body, deadline, cancellation)
        except Exception as exc:
            if cancellation is not None and cancellation.detach():
                raise TransportError(f"the exchange with {route.where} was cancelled") from exc
            raise

    def _exchange_on(
        self,
        conn: http.client.HTTPConnection,
        reused: bool,
        route: _Route,
        method: str,
        target: str,
        headers: dict[str, str],
        body: bytes,
        deadline: float,
        cancellation: Cancellation | None,
    ) -> Response:
        answered = False
        try:
            sock: Any = conn.sock
            if sock is None:
                sock = self._connect(conn, route, deadline)
            if cancellation is not None and not cancellation.attach(sock.sock):
                raise TransportError("cancelled before it was sent")
            sock.budget.deadline, sock.budget.limit_s = deadline, self.read_timeout_s
            conn.request(method, target, body=body or None, headers=headers)
            response = conn.getresponse()
            answered = True
            head = response.getheaders()  # once: each lookup in http.client's message scans every header
            raw = self._read_body(response, route, _header(head, "transfer-encoding"))
        except TransportError:
            conn.close()
            raise
        except TimeoutError as exc:
            conn.close()
            what = "reading the response from {} timed out" if answered else "no response from {} in time"
            raise RequestTimeoutError(what.format(route.where), "read") from exc
        except _DROPPED as exc:
            conn.close()
            if reused and not answered and not (cancellation is not None and cancellation.cancelled):
                self._drop_idle(route)
                raise StaleConnectionError(f"the kept-alive connection to {route.where} was closed by the "
                                           "server before any answer") from exc
            raise TransportError(f"connection to {route.where} failed: {exc!r}") from exc
        except http.client.HTTPException as exc:
            conn.close()
            raise TransportError(f"malformed response from {route.where}: {exc!r}") from exc
        except OSError as exc:
            conn.close()
            raise TransportError(f"request to {route.where} failed: {exc!r}") from exc
        except BaseException:
            conn.close()
            raise
        cancelled = cancellation is not None and cancellation.detach()
        if response.will_close or cancelled:
            conn.close()  # a cancel that came while the answer was read left the socket shut down
        else:
            self._checkin(route, conn)
        encoding = (_header(head, "content-encoding") or "").strip().lower()
        if encoding in ("gzip", "x-gzip") and raw:
            raw = self._gunzip(raw, route.where)
        return Response(response.status, Headers(head), raw, response.reason)

    def _read_body(self, response: http.client.HTTPResponse, route: _Route, coding: str | None) -> bytes:
        if coding is not None and coding.strip().lower() != "chunked":
            # http.client frames only chunked; another coding (never asked for) would come back still
            # encoded with its chunk lines inside.
            raise TransportError(f"response from {route.where} uses the transfer coding {shown(coding)}, "
                                 "which was not asked for")
        if response.length is not None and response.length > self._max_body:
            raise ResponseTooLargeError(f"the response from {route.where} announces {response.length} bytes, "
                                        f"more than the limit of {self._max_body}")
        parts: list[bytes] = []
        total = 0
        while chunk := response.read1(_READ_SIZE):
            total += len(chunk)
            if total > self._max_body:
                raise ResponseTooLargeError(f"the response from {route.where} exceeds {self._max_body} bytes")
            parts.append(chunk)
        response.close()  # all read: http.client may now send the next request on this connection
        return b"".join(parts)

    def _gunzip(self, raw: bytes, where: str) -> bytes:
        import zlib

        # Bounded: a small gzip bomb must not become gigabytes in memory.
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = decoder.decompress(raw, self._max_body + 1)
        except zlib.error as exc:
            raise TransportError(f"response from {where} is not valid gzip: {exc}") from exc
        if len(data) > self._max_body:
            raise ResponseTooLargeError(f"the decompressed response from {where} exceeds {self._max_body} bytes")
        if not decoder.eof:
            raise TransportError(f"gzip response from {where} is truncated")
        return data
