"""The tests' one HTTP server on loopback: every answer is scripted by the test, every request recorded.

`scripted(behave)` runs a real http.server in a thread. Each request is recorded as a `Request` (method, target,
query, headers, body, which connection carried it and its number on that connection) and answered with the
`Reply` that the test's `behave(request)` returns. Options cover what the tests need from a server:

- signatures: with `keys`, each request is verified (V3 when it carries an Authorization header, else V2) by
  the emulator's verifier; a bad one is answered with the API's error unless `reject_bad_signatures=False`, in
  which case `behave` sees it with `signature_error` set. `keys=None` verifies nothing.
- `tls`: an SSL context wraps the listening socket.
- `idle_timeout_s`: an idle keep-alive connection is closed after this long.
- proxies: a CONNECT request is scripted too; `Reply(tunnel=True)` tunnels it to the named host.

`raw(*replies)` is the level below, for framings http.server will not write: it answers each request with the
next bytes given, as they are.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import selectors
import socket
import ssl
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from generator.emulator import signatures

KEYS = {"test-ak": "test-secret", "sts-ak": "sts-secret"}


@dataclass
class Request:
    method: str
    path: str  # without the query
    params: dict[str, str]  # the query, plus the V3 action header as "Action"
    headers: dict[str, str]  # names lower-cased
    connection: int  # which TCP connection carried it (1, 2, ...)
    on_connection: int = 1  # its number on that connection (1 for the first)
    target: str = ""  # the request target as sent: path and query, or the absolute URL a proxy gets
    body: bytes = b""
    key_id: str | None = None
    signature_error: str | None = None


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] = b"{}"
    headers: dict[str, str] = field(default_factory=dict)  # "Connection: close" closes after answering
    drop: bool = False  # close the connection without answering
    delay_s: float = 0.0
    gzip: bool = False
    tunnel: bool = False  # for a CONNECT: open the tunnel to the host it names
    cut_body_at: int | None = None  # send only this many bytes of the body (its Content-Length says all) and stall


def error(code: str, status: int, message: str = "scripted", **headers: str) -> Reply:
    return Reply(status, {"RequestId": "REQ-1", "HostId": "dts.test", "Code": code, "Message": message,
                          "Recommend": "https://example.test/help"}, dict(headers))


class _Quiet(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # clients that give up early make a handler fail writing: expected in these tests


class ScriptedServer:
    def __init__(self, behave: Callable[[Request], Reply], *, keys: Mapping[str, str] | None = KEYS,
                 reject_bad_signatures: bool = True, idle_timeout_s: float | None = None,
                 tls: ssl.SSLContext | None = None) -> None:
        self.behave = behave
        self.requests: list[Request] = []
        self.connections = 0
        self.tokens_valid: set[str] | None = None  # STS tokens accepted; None accepts any
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # the head and body go in two writes: no delayed-ACK stall between
            timeout = idle_timeout_s

            def setup(self) -> None:
                super().setup()
                self.served = 0
                with server._lock:
                    server.connections += 1
                    self.conn_no = server.connections

            def do_POST(self) -> None:
                self._serve()

            def do_GET(self) -> None:
                self._serve()

            def do_CONNECT(self) -> None:
                self._serve()

            def _serve(self) -> None:
                self.served += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                headers = {k.lower(): v for k, v in self.headers.items()}
                req = Request(self.command, url.path, params, headers, self.conn_no, self.served, self.path, body)
                if keys is not None and self.command != "CONNECT":
                    server._verify(req, keys)
                with server._lock:
                    server.requests.append(req)
                if req.signature_error == "expired" and reject_bad_signatures:
                    reply = error("InvalidSecurityToken.Expired", 403)
                elif req.signature_error and reject_bad_signatures:
                    reply = error("SignatureDoesNotMatch", 400, req.signature_error)
                else:
                    reply = server.behave(req)
                if reply.delay_s:
                    threading.Event().wait(reply.delay_s)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                elif reply.tunnel:
                    self._tunnel()
                else:
                    self._answer(reply)

            def _answer(self, reply: Reply) -> None:
                data = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
                if reply.gzip:
                    data = gzip.compress(data)
                self.send_response(reply.status)
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                if reply.gzip:
                    self.send_header("Content-Encoding", "gzip")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data if reply.cut_body_at is None else data[: reply.cut_body_at])
                if self.command == "CONNECT":
                    self.close_connection = True

            def _tunnel(self) -> None:
                self.close_connection = True
                host, _, port = self.path.rpartition(":")
                upstream = socket.create_connection((host, int(port)), timeout=5)
                self.send_response(200, "Connection established")
                self.end_headers()
                self.wfile.flush()
                with contextlib.closing(upstream), selectors.DefaultSelector() as sel:
                    sel.register(self.connection, selectors.EVENT_READ, upstream)
                    sel.register(upstream, selectors.EVENT_READ, self.connection)
                    while events := sel.select(timeout=5):
                        for key, _ in events:
                            data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                            if not data:
                                return
                            key.data.sendall(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = _Quiet(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = int(self.httpd.server_address[1])
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"

    def _verify(self, req: Request, keys: Mapping[str, str]) -> None:
        try:
            if "authorization" in req.headers:
                req.key_id = signatures.verify_v3(req.method, req.path, req.params, req.headers, req.body, keys.get)
                token = req.headers.get("x-acs-security-token")
                req.params = {**req.params, "Action": req.headers.get("x-acs-action", "")}
            else:
                req.key_id = signatures.verify_v2(req.method, req.params, keys.get)
                token = req.params.get("SecurityToken")
            if self.tokens_valid is not None and token is not None and token not in self.tokens_valid:
                raise signatures.SignatureError("expired", "token expired")
        except signatures.SignatureError as exc:
            req.signature_error = exc.reason

    def calls(self) -> int:
        return len(self.requests)


@contextmanager
def scripted(behave: Callable[[Request], Reply], **options: Any) -> Iterator[ScriptedServer]:
    """A running `ScriptedServer` (see its options), stopped and closed on exit."""
    server = ScriptedServer(behave, **options)
    # A short poll: shutdown() waits for the loop to look, and every test stops a server.
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
        thread.join(5)


@contextmanager
def raw(*replies: bytes, trickle_s: float = 0.0) -> Iterator[tuple[str, list[int]]]:
    """Answers each request on one connection with the next of `replies` (a byte at a time every `trickle_s`
    when set) and closes after a reply saying `Connection: close` or a transfer coding it cannot frame; yields
    (base URL, connections accepted so far)."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[int] = []
    queue = list(replies)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.1)
        while not stop.is_set() and queue:
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            accepted.append(1)
            with conn:
                conn.settimeout(5)
                while queue and not stop.is_set():
                    if not conn.recv(65536):
                        break
                    reply = queue.pop(0)
                    try:
                        if trickle_s:
                            for i in range(len(reply)):
                                if stop.wait(trickle_s):
                                    return
                                conn.sendall(reply[i : i + 1])
                        else:
                            conn.sendall(reply)
                    except OSError:
                        return
                    if b"Connection: close" in reply or b"Transfer-Encoding: gzip" in reply:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", accepted
    finally:
        stop.set()
        thread.join(5)
        listener.close()
