"""The HTTP side: a standard-library ThreadingHTTPServer on loopback, HTTP/1.1 keep-alive, and the
Emulator object tests and the CLI use.

    with Emulator(seed=7, scenario="NAME", faults="throttle:every=3") as server:
        server.url              # http://127.0.0.1:PORT
        server.endpoint         # 127.0.0.1:PORT (what SDK configs call the endpoint)
        server.access_key_id, server.access_key_secret
        server.add_job("job-1", items=5000)
        server.records          # one dict a request: the structured log

Nothing a client sends can produce a traceback: every malformed request gets an error body, and
the connection is closed only when its state cannot be trusted any more.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from .api import Api, EmulatorConfigError, load_api
from .engine import (
    DEFAULT_KEY_ID,
    DEFAULT_KEY_SECRET,
    AccessKey,
    Engine,
    Problem,
    Reply,
    Request,
    parse_access_key,
)
from .faults import FaultPlan

LINE_CAP = 1 << 20  # a request line longer than this is not even read to its end
HEADER_LINE_CAP = 65536
MAX_HEADERS = 100


def _check_loopback(host: str) -> str:
    """The address to bind: loopback only (the emulator accepts made-up credentials)."""
    if host == "localhost":
        return "127.0.0.1"
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        raise EmulatorConfigError(f"--host {host!r}: give a loopback address (127.0.0.1, ::1)") from None
    if not address.is_loopback:
        raise EmulatorConfigError(f"--host {host}: the emulator listens on loopback only")
    return str(address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "mock-server"
    sys_version = ""
    disable_nagle_algorithm = True
    timeout = 60  # an idle keep-alive connection is closed after this
    server: _HTTPServer

    # -------------------------------------------------------------- stdlib hooks
    def log_message(self, format: str, *args: Any) -> None:
        """Silence the stdlib's access log: the engine writes the structured one."""

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """The stdlib's request-line and header errors, answered with the service's error body. A head too
        large keeps the stdlib's status (431 for header fields, 414 for the request line), not the
        spec's status for requests too large."""
        too_large = code in (413, 414, 431)
        reason = (message or explain or "malformed request").rstrip(".")
        self.close_connection = True
        problem = Problem("too_large", reason, code) if too_large else Problem("bad_request", reason)
        self._answer(Request(self.command or "", getattr(self, "path", "") or "", [], b"",
                             self._client(), problem), time.perf_counter())
        self._linger()  # the rest of the request is unread: drain it, so the answer is not lost to a reset

    def handle_one_request(self) -> None:
        started = time.perf_counter()
        try:
            line = self.rfile.readline(LINE_CAP + 1)
            if not line:
                self.close_connection = True
                return
            started = time.perf_counter()
            if len(line) > LINE_CAP:
                self.close_connection = True
                self._answer(Request("", "", [], b"", self._client(),
                                     Problem("too_large", f"the request line exceeds {LINE_CAP} bytes", 414)),
                             started)
                self._linger()
                return
            self.raw_requestline = line
            self.command = ""
            if not self.parse_request():
                return
            body, problem = self._read_body()
            request = Request(self.command, self.path, list(self.headers.items()), body, self._client(), problem)
            self._answer(request, started)
            if problem is not None:
                self._linger()
        except (TimeoutError, ConnectionError, OSError):
            self.close_connection = True
        except Exception as exc:  # a request the stdlib could not even take apart: answer, then start afresh
            self.close_connection = True
            with contextlib.suppress(Exception):
                self._answer(Request(self.command or "", "", [], b"", self._client(),
                                     Problem("bad_request", f"unreadable request ({type(exc).__name__})")), started)

    # -------------------------------------------------------------- reading
    def _client(self) -> str:
        host, port = self.client_address[:2]
        return f"{host}:{port}"

    def _read_body(self) -> tuple[bytes, Problem | None]:
        limit = self.server.max_body_bytes
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return self._read_chunked(limit)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b"", None
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            return b"", Problem("bad_request", f"Content-Length {length_text[:40]!r} is not a length")
        if length > limit:
            self.close_connection = True
            return b"", Problem("too_large", f"the body has {length} bytes, at most {limit} are accepted", 413)
        body = self.rfile.read(length)
        if len(body) < length:
            self.close_connection = True
            return b"", Problem("bad_request", "the body ended before Content-Length")
        return body, None

    def _read_chunked(self, limit: int) -> tuple[bytes, Problem | None]:
        parts: list[bytes] = []
        size_total = 0
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                self.close_connection = True
                return b"", Problem("bad_request", "a chunk size is not hexadecimal")
            if size == 0:
                while self.rfile.readline(HEADER_LINE_CAP) not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(parts), None
            size_total += size
            if size_total > limit:
                self.close_connection = True
                return b"", Problem("too_large", f"the body exceeds {limit} bytes", 413)
            chunk = self.rfile.read(size)
            self.rfile.readline(4)
            if len(chunk) < size:
                self.close_connection = True
                return b"", Problem("bad_request", "the body ended inside a chunk")
            parts.append(chunk)

    # -------------------------------------------------------------- writing
    def _answer(self, request: Request, started: float) -> None:
        engine = self.server.engine
        reply, record = engine.handle(request)
        if reply.delay_s:
            time.sleep(reply.delay_s)
        # Logged before the answer leaves: whoever reads the answer finds its log line already there.
        record["latency_ms"] = round((time.perf_counter() - started) * 1000, 3)
        record["bytes"] = 0 if reply.drop else len(reply.body) // (2 if reply.truncate else 1)
        engine.log(record)
        self._send(reply, request.method == "HEAD")

    def _send(self, reply: Reply, head_only: bool) -> None:
        if reply.drop:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)
            return
        if reply.close:
            self.close_connection = True
        phrase = self.responses.get(reply.status, ("",))[0]
        lines = [f"HTTP/1.1 {reply.status} {phrase}", f"Server: {self.server_version}",
                 f"Date: {self.date_time_string()}"]
        lines += [f"{name}: {value}" for name, value in reply.headers]
        lines.append(f"Content-Length: {len(reply.body)}")
        if self.close_connection:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1", "replace")
        body = reply.body[: len(reply.body) // 2] if reply.truncate else reply.body
        self.wfile.write(head if head_only else head + body)  # one write: headers and body together
        if reply.truncate:
            self.close_connection = True
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RDWR)

    def _linger(self) -> None:
        """Close without a reset: stop writing, then drain what the client still sends, briefly."""
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            drained = 0
            while drained < (16 << 20):
                chunk = self.connection.recv(65536)
                if not chunk:
                    break
                drained += len(chunk)
        except OSError:
            pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], engine: Engine, max_body_bytes: int) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.engine = engine
        self.max_body_bytes = max_body_bytes
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A handler that failed outside the engine's guard: nothing goes to the console."""

    def close_open_connections(self) -> None:
        with self._open_lock:
            conns = list(self._open)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)


class Emulator:
    """A running emulator of the spec's API on loopback. A context manager; also start()/stop().

    keys: access keys accepted, as AccessKey objects, `ID:SECRET[:TOKEN[:TTL]]` strings or an
    {id: secret} mapping (default: one key, DEFAULT_KEY_ID / DEFAULT_KEY_SECRET).
    scenario: `NAME` or `NAME:step=SECONDS`, one of the spec's x-emulator scenarios.
    faults: a --faults string (see faults.py) or a FaultPlan.
    data: a recording of exchanges (*.jsonl, replayed), a recorded body (*.json), or a folder of them (then
    only recorded jobs exist; see data.py and replay.py).
    """

    def __init__(self, *, spec: str | Path | None = None, api: Api | None = None, host: str = "127.0.0.1",
                 port: int = 0, data: str | Path | None = None, scenario: str | None = None,
                 faults: str | FaultPlan | None = None,
                 keys: Iterable[AccessKey | str] | Mapping[str, str] | None = None, seed: int = 0,
                 now: Callable[[], float] = time.time, clock: Callable[[], float] = time.monotonic,
                 max_url_bytes: int = 32768, max_body_bytes: int = 1 << 20, record_limit: int = 10000) -> None:
        self.api = api or load_api(spec)
        self.bind_host = _check_loopback(host)
        if not 0 <= port <= 65535:
            raise EmulatorConfigError(f"port {port}: not a port number (0 to 65535; 0 picks a free one)")
        self.bind_port = port
        plan = faults if isinstance(faults, FaultPlan) else FaultPlan.parse(faults, seed)
        accepted: list[AccessKey] = []
        if keys is None:
            accepted.append(AccessKey(DEFAULT_KEY_ID, DEFAULT_KEY_SECRET))
        elif isinstance(keys, Mapping):
            accepted += [AccessKey(k, v) for k, v in keys.items()]
        else:
            accepted += [k if isinstance(k, AccessKey) else parse_access_key(k, now()) for k in keys]
        self.seed = seed
        self.now = now
        self.engine = Engine(self.api, seed=seed, keys=accepted, faults=plan,
                             data=str(data) if data is not None else None, scenario=scenario, now=now,
                             clock=clock, max_url_bytes=max_url_bytes, record_limit=record_limit)
        self.max_body_bytes = max_body_bytes
        self._server: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -------------------------------------------------------------- lifecycle
    def bind(self) -> Emulator:
        """Open the listening socket (so `port` and `url` are known); serving starts with start() or
        serve_forever()."""
        if self._server is None:
            self._server = _HTTPServer((self.bind_host, self.bind_port), self.engine, self.max_body_bytes)
        return self

    def start(self) -> Emulator:
        """Serve in a background thread."""
        if self._thread is not None:
            return self
        server = self.bind()._server
        assert server is not None
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="mock-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until KeyboardInterrupt (or stop() from another thread)."""
        server = self.bind()._server
        assert server is not None
        server.serve_forever(poll_interval=0.05)

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        thread, self._thread = self._thread, None
        if thread is not None:
            server.shutdown()
            thread.join(timeout=5)
        server.close_open_connections()
        server.server_close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -------------------------------------------------------------- where
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return int(self._server.server_address[1])

    @property
    def host(self) -> str:
        return self.bind_host

    @property
    def endpoint(self) -> str:
        """host:port, the form SDK configurations take."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.endpoint}"

    # -------------------------------------------------------------- credentials and data
    @property
    def access_key_id(self) -> str:
        return next(iter(self.engine.keys.values())).key_id

    @property
    def access_key_secret(self) -> str:
        return next(iter(self.engine.keys.values())).secret

    def add_access_key(self, key_id: str, secret: str, token: str | None = None,
                       expires_in_s: float | None = None) -> AccessKey:
        """Accept another key; with `token`, an STS key that expires `expires_in_s` from now."""
        key = AccessKey(key_id, secret, token, None if expires_in_s is None else self.now() + expires_in_s)
        self.engine.add_key(key)
        return key

    def add_job(self, job_id: str, items: int | None = None, failures: int = 0, scenario: str | None = None,
                action: str | None = None) -> None:
        """A synthetic job: `items` items (default: by seed), `failures` of them failed, optionally walking
        a scenario (`NAME` or `NAME:step=SECONDS`)."""
        from .scenarios import parse_scenario

        store = self.engine.store(action)
        chosen = parse_scenario(scenario, store.op) if scenario else None
        store.add(job_id, items, failures, chosen[0] if chosen else None, chosen[1] if chosen else None)

    @property
    def records(self) -> list[dict[str, Any]]:
        """The structured log so far, one dict a request (the most recent `record_limit`)."""
        return list(self.engine.records)

    @property
    def faults(self) -> FaultPlan:
        return self.engine.faults
