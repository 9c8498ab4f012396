"""HTTP/1.1 for the generated clients: a keep-alive pool per (scheme, host, port), proxies from the
environment, verified TLS, gzip, and time budgets that bound every exchange.

http.client opens the connections (TLS with hostname checks, CONNECT tunnels through proxies). The
exchange on an open connection is written here: the request head leaves in one send, and a small
reader frames the response. http.client's own request path (a call per header, the email package
parsing every response head) was the largest single share of a call's CPU time.

Copied verbatim into every generated package (standard library only). Clients import it when the
first one is made, so importing a package to parse or validate does not pay for sockets and TLS.
"""

from __future__ import annotations

import base64
import http.client
import math
import re
import select
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Final, NamedTuple
from urllib.parse import unquote, urlsplit

from ._base import TransportError
from ._core import _DEFAULT_PORTS, RequestTimeoutError

__all__ = ["Headers", "HttpTransport", "Response"]

# Requests whose body is always framed, even when empty (http.client does the same).
_BODY_METHODS: Final = frozenset({"POST", "PUT", "PATCH"})
_MAX_HEAD: Final = 64 * 1024  # status line plus headers; also the longest chunk-size line accepted
_RECV: Final = 65536

# scheme://authority, the part of a URL that picks the connection
_ORIGIN: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")
_TOKEN: Final = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
# Header lines as sent: a token name, then a value with no control character but tab. Checked on the
# joined block in one pass (with a line count); a CR or LF in a value would start a header of its own.
_HEADER_BLOCK: Final = re.compile(r"(?:[!#$%&'*+\-.^_`|~0-9A-Za-z]+: [^\x00-\x08\x0a-\x1f\x7f]*\r\n)*")
_FIELD_VALUE: Final = re.compile(r"[^\x00-\x08\x0a-\x1f\x7f]*")
_TARGET: Final = re.compile(r"[^\x00-\x20\x7f]+")
_HEAD_END: Final = re.compile(rb"\r?\n\r?\n")
_HEX: Final = re.compile(r"[0-9A-Fa-f]{1,16}")


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
    """One HTTP response. `body` is already gunzipped when the server sent Content-Encoding: gzip."""

    __slots__ = ("body", "headers", "reason", "status")

    def __init__(self, status: int, headers: Headers, body: bytes, reason: str = "") -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.reason = reason

    def __repr__(self) -> str:
        return f"Response(status={self.status}, reason={self.reason!r}, body=<{len(self.body)} bytes>)"


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


class _StaleConnection(Exception):
    """A reused keep-alive connection was already closed by the server (internal)."""


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
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if not parts.hostname:
        raise TransportError(f"proxy URL {url!r} has no host")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise TransportError(f"proxy URL {url!r} has a bad port") from exc
    auth = None
    if parts.username is not None:
        user_pass = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
        auth = "Basic " + base64.b64encode(user_pass.encode("utf-8")).decode("ascii")
    return parts.hostname, port, auth


def _looks_dropped(sock: socket.socket | None) -> bool:
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


def _bad_head(method: str, target: str, headers: Mapping[str, str]) -> str:
    # The slow path behind the one-regex check: name exactly what HTTP cannot carry.
    if not _TOKEN.fullmatch(method):
        return f"method {method!r} is not an HTTP token"
    if not _TARGET.fullmatch(target):
        return f"request target {target!r} has a space or control character"
    for name, value in headers.items():
        text = str(value)
        if not _TOKEN.fullmatch(str(name)):
            return f"header name {name!r} is not an HTTP token"
        if not _FIELD_VALUE.fullmatch(text):
            return f"header {name}: its value {text[:60]!r} has a control character (CR, LF or another)"
        if not all(ord(char) < 256 for char in text):
            return f"header {name}: its value {text[:60]!r} has a character outside latin-1"
    return "the request head cannot be written"


class _Reader:
    """Frames one HTTP/1.1 response from a socket: a status line and headers (after any 1xx interim
    responses), then a body delimited by Content-Length, chunked coding or the end of the connection.

    Every receive waits at most the read timeout and never past the deadline (TimeoutError).
    """

    __slots__ = ("_buf", "_deadline", "_limit_s", "_max_body", "_pos", "_sock", "received")

    def __init__(self, sock: socket.socket, limit_s: float, deadline: float, max_body: int) -> None:
        self._sock = sock
        self._limit_s = limit_s
        self._deadline = deadline
        self._max_body = max_body
        self._buf = bytearray()
        self._pos = 0
        self.received = False  # did any byte of a response arrive (a reused connection's EOF is stale)

    def _fill(self) -> bool:
        """Receive more; False at the end of the stream."""
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the time budget ran out")
        wait = self._limit_s if self._limit_s < remaining else remaining
        sock = self._sock
        if sock.gettimeout() != wait:
            sock.settimeout(wait)
        chunk = sock.recv(_RECV)
        if not chunk:
            return False
        self.received = True
        self._buf += chunk
        return True

    def head(self) -> tuple[str, int, str, list[tuple[str, str]]]:
        """(version, status, reason, header pairs) of the next response head."""
        start = scan = self._pos
        while True:
            end = _HEAD_END.search(self._buf, scan)
            if end is not None:
                break
            if len(self._buf) - start > _MAX_HEAD:
                raise TransportError(f"the response head is longer than {_MAX_HEAD} bytes")
            scan = max(start, len(self._buf) - 3)
            if not self._fill():
                if not self.received:
                    raise ConnectionResetError("the server closed the connection without a response")
                raise TransportError("the connection closed in the middle of the response head")
        lines = self._buf[start : end.start()].decode("latin-1").split("\n")
        self._pos = end.end()
        status_line = lines[0].rstrip("\r")
        version, code, reason = [*status_line.split(None, 2), "", ""][:3]
        if not (version.startswith("HTTP/1.") and len(code) == 3 and code.isascii() and code.isdigit()):
            raise TransportError(f"not an HTTP/1.x response: {status_line[:120]!r}")
        pairs: list[tuple[str, str]] = []
        for raw in lines[1:]:
            line = raw[:-1] if raw.endswith("\r") else raw
            if line[:1] in (" ", "\t") and pairs:
                # obs-fold: a continuation of the previous header's value
                name, value = pairs[-1]
                pairs[-1] = (name, f"{value} {line.strip()}")
                continue
            name, sep, value = line.partition(":")
            if not sep or not name or name[-1] in " \t" or name[0] in " \t":
                raise TransportError(f"malformed header line in the response: {line[:120]!r}")
            pairs.append((name, value.strip(" \t")))
        return version, int(code), reason.strip(), pairs

    def exact(self, size: int) -> bytes:
        if size > self._max_body:
            raise TransportError(f"the response body of {size} bytes exceeds the limit of {self._max_body}")
        while len(self._buf) - self._pos < size:
            if not self._fill():
                got = len(self._buf) - self._pos
                raise TransportError(f"the connection closed after {got} of {size} body bytes")
        start = self._pos
        self._pos = start + size
        return bytes(self._buf[start : start + size])

    def to_close(self) -> bytes:
        while self._fill():
            if len(self._buf) - self._pos > self._max_body:
                raise TransportError(f"the response body exceeds the limit of {self._max_body} bytes")
        start = self._pos
        self._pos = len(self._buf)
        return bytes(self._buf[start:])

    def _line(self) -> str:
        while True:
            end = self._buf.find(b"\n", self._pos)
            if end >= 0:
                break
            if len(self._buf) - self._pos > _MAX_HEAD:
                raise TransportError("a line of the chunked body is too long")
            if not self._fill():
                raise TransportError("the connection closed in the middle of a chunked body")
        line = self._buf[self._pos : end].decode("latin-1")
        self._pos = end + 1
        return line[:-1] if line.endswith("\r") else line

    def chunked(self) -> bytes:
        parts: list[bytes] = []
        total = 0
        while True:
            size_text = self._line().partition(";")[0].strip(" \t")  # chunk extensions are ignored
            if not _HEX.fullmatch(size_text):
                raise TransportError(f"bad chunk size in the response: {size_text[:40]!r}")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            if total > self._max_body:
                raise TransportError(f"the response body exceeds the limit of {self._max_body} bytes")
            parts.append(self.exact(size))
            if self._line():
                raise TransportError("a chunk of the response is longer than its size says")
        for _ in range(1000):  # trailer fields, read and dropped
            if not self._line():
                return b"".join(parts)
        raise TransportError("the chunked response has too many trailer lines")

    @property
    def leftover(self) -> bool:
        return len(self._buf) > self._pos


def _read_response(reader: _Reader, method: str) -> tuple[Response, bool, str]:
    """(response with its raw body, whether the connection must close after it, content encoding)."""
    while True:
        version, status, reason, pairs = reader.head()
        if status >= 200:
            break
        if status == 101:
            raise TransportError("the server switched protocols (HTTP 101) although nobody asked")
        # 100 Continue, 103 Early Hints and the like: the real response follows.
    length: str | None = None
    coding: str | None = None
    encoding = ""
    close = keep_alive = False
    for name, value in pairs:
        key = name.lower()
        if key == "content-length":
            length = value if length is None else f"{length},{value}"
        elif key == "transfer-encoding":
            coding = value if coding is None else f"{coding},{value}"
        elif key == "content-encoding":
            encoding = value.strip().lower() if not encoding else f"{encoding},{value}"  # layered: not unpacked
        elif key == "connection":
            tokens = {token.strip().lower() for token in value.split(",")}
            close = close or "close" in tokens
            keep_alive = keep_alive or "keep-alive" in tokens
    will_close = close or (version == "HTTP/1.0" and not keep_alive)
    if method == "HEAD" or status in (204, 304):
        body = b""
    elif coding is not None:
        chunked = coding.rpartition(",")[2].strip().lower() == "chunked"
        body = reader.chunked() if chunked else reader.to_close()
        if not chunked or length is not None:
            will_close = True  # no framing but the end, or a Content-Length beside it (RFC 9112 6.3)
    elif length is not None:
        sizes = {size.strip() for size in length.split(",")}
        size_text = sizes.pop()
        if sizes or not (size_text.isascii() and size_text.isdigit()):
            raise TransportError(f"bad Content-Length in the response: {length[:60]!r}")
        body = reader.exact(int(size_text))
    else:
        body = reader.to_close()
        will_close = True
    if reader.leftover:
        will_close = True  # bytes nobody asked for: the connection is out of step
    return Response(status, Headers(pairs), body, reason), will_close, encoding


class HttpTransport:
    """HTTP/1.1 with a keep-alive pool per (scheme, host, port); thread-safe.

    TLS is verified (ssl.create_default_context() unless a context is given). Proxies come from the
    environment like urllib (HTTPS_PROXY/HTTP_PROXY/NO_PROXY) unless `proxies` is given
    ({"http": url, "https": url, "no": "host,suffix"}); HTTPS goes through a CONNECT tunnel.
    Asks for gzip and unpacks it. Connect and read timeouts are separate, and every request is also
    bounded by the `budget_s` its caller has left.
    """

    def __init__(
        self,
        *,
        connect_timeout_s: float = 5.0,
        read_timeout_s: float = 10.0,
        proxies: Mapping[str, str] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        max_idle_per_host: int = 4,
        max_response_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        if connect_timeout_s <= 0 or read_timeout_s <= 0:
            raise ValueError("timeouts must be positive")
        self.connect_timeout_s = connect_timeout_s
        self.read_timeout_s = read_timeout_s
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
        replay: Callable[[], tuple[str, Mapping[str, str]]] | None = None,
    ) -> Response:
        """One HTTP exchange. Raises TransportError when no response arrives (RequestTimeoutError on
        timeouts); any HTTP status is a Response. Host, Accept-Encoding: gzip and Content-Length are
        added unless `headers` has them; a header that HTTP cannot carry is a ValueError.

        A kept-alive connection found closed before any answer gets the request once more on a fresh
        connection. `replay`, when given, makes the (url, headers) of that second send: the server may
        have read the first one, so a signed request must not go again with the same nonce."""
        if self._closed:
            raise TransportError("the transport is closed")
        deadline = time.monotonic() + budget_s
        route, wire = self._wire(method, url, headers, body)
        conn, reused = self._checkout(route)
        try:
            return self._exchange(conn, reused, route, method, wire, deadline)
        except _StaleConnection:
            # Never retried after a fresh connection fails: that failure is real.
            if replay is not None:
                route, wire = self._wire(method, *replay(), body)
            return self._exchange(self._new_connection(route), False, route, method, wire, deadline)

    # -- internals --------------------------------------------------------------------------------

    def _wire(
        self, method: str, url: str, headers: Mapping[str, str] | None, body: bytes
    ) -> tuple[_Route, bytes]:
        """Where the request goes, and its bytes: the head checked in one pass, then the body."""
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
        if (body or method in _BODY_METHODS) and "content-length" not in present:
            send["Content-Length"] = str(len(body))
        block = "".join([f"{name}: {value}\r\n" for name, value in send.items()])
        try:
            # One line per header: a value holding CR LF plus a well-formed line would pass the pattern.
            well_formed = _HEADER_BLOCK.fullmatch(block) and block.count("\n") == len(send)
            if not (well_formed and _TOKEN.fullmatch(method) and _TARGET.fullmatch(target)):
                raise ValueError(_bad_head(method, target, send))
            return route, f"{method} {target} HTTP/1.1\r\n{block}\r\n".encode("latin-1") + body
        except UnicodeEncodeError:
            raise ValueError(_bad_head(method, target, send)) from None

    def _origin(self, origin: str, url: str) -> _Origin:
        parts = urlsplit(origin)
        scheme = parts.scheme.lower()
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"not an http(s) URL (bad port): {url!r}") from None
        host = parts.hostname
        if scheme not in _DEFAULT_PORTS or not host:
            raise ValueError(f"not an http(s) URL: {url!r}")
        port = port or _DEFAULT_PORTS[scheme]
        route = self._route(scheme, host, port)
        bracketed = f"[{host}]" if ":" in host else host
        # What http.client would send: IDNA for non-ASCII names, the port only when not the default.
        if not bracketed.isascii():
            bracketed = bracketed.encode("idna").decode("ascii")
        host_header = bracketed if port == _DEFAULT_PORTS[scheme] else f"{bracketed}:{port}"
        prefix = f"http://{host_header}" if route.proxy_host is not None and scheme == "http" else ""
        found = _Origin(route, host_header, prefix)
        if len(self._origins) >= 256:
            self._origins.clear()  # a bound, for callers that visit many hosts
        self._origins[origin] = found
        return found

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

    @staticmethod
    def _left(limit: float, deadline: float, phase: str) -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise RequestTimeoutError(f"the time budget ran out before the {phase} phase", phase)
        return min(limit, remaining)

    def _exchange(
        self,
        conn: http.client.HTTPConnection,
        reused: bool,
        route: _Route,
        method: str,
        wire: bytes,
        deadline: float,
    ) -> Response:
        try:
            if conn.sock is None:
                conn.timeout = self._left(self.connect_timeout_s, deadline, "connect")
                try:
                    conn.connect()
                except TimeoutError as exc:
                    raise RequestTimeoutError(f"connecting to {route.where} timed out", "connect") from exc
                except OSError as exc:
                    raise TransportError(f"cannot connect to {route.where}: {exc}") from exc
                with self._lock:
                    self.connections_opened += 1
            sock: socket.socket = conn.sock
            reader = _Reader(sock, self.read_timeout_s, deadline, self._max_body)
            try:
                sock.settimeout(self._left(self.read_timeout_s, deadline, "read"))
                sock.sendall(wire)
                response, will_close, encoding = _read_response(reader, method)
            except TimeoutError as exc:
                what = "reading the response from {} timed out" if reader.received else "no response from {} in time"
                raise RequestTimeoutError(what.format(route.where), "read") from exc
            except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError) as exc:
                if reused and not reader.received:
                    raise _StaleConnection() from exc
                raise TransportError(f"connection to {route.where} failed: {exc!r}") from exc
            except OSError as exc:
                raise TransportError(f"request to {route.where} failed: {exc!r}") from exc
            except TransportError as exc:
                exc.add_note(f"(from {route.where})")
                raise
        except BaseException:
            conn.close()
            raise
        if will_close:
            conn.close()
        else:
            self._checkin(route, conn)
        if encoding in ("gzip", "x-gzip") and response.body:
            response.body = self._gunzip(response.body, route.where)
        return response

    def _gunzip(self, raw: bytes, where: str) -> bytes:
        import zlib

        # Bounded: a small gzip bomb must not become gigabytes in memory.
        decoder = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            data = decoder.decompress(raw, self._max_body + 1)
        except zlib.error as exc:
            raise TransportError(f"response from {where} is not valid gzip: {exc}") from exc
        if len(data) > self._max_body:
            raise TransportError(f"decompressed response from {where} exceeds {self._max_body} bytes")
        if not decoder.eof:
            raise TransportError(f"gzip response from {where} is truncated")
        return data
