"""A real HTTP server on loopback whose answers a test scripts, and which checks every signature.

It is the small test server of the client tests: each request is verified (V2 or V3) with the runtime
core's verifier, recorded, and answered by the test's `behave(request)` function.
"""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Callable, Iterator
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
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    connection: int  # which TCP connection carried it
    key_id: str | None = None
    signature_error: str | None = None


@dataclass
class Reply:
    status: int = 200
    body: bytes | dict[str, Any] = b"{}"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False  # close the connection without answering
    delay_s: float = 0.0
    gzip: bool = False


def error(code: str, status: int, message: str = "scripted", **headers: str) -> Reply:
    return Reply(status, {"RequestId": "REQ-1", "HostId": "dts.test", "Code": code, "Message": message,
                          "Recommend": "https://example.test/help"}, dict(headers))


class ScriptedServer:
    def __init__(self, behave: Callable[[Request], Reply]) -> None:
        self.behave = behave
        self.requests: list[Request] = []
        self.connections = 0
        self.tokens_valid: set[str] | None = None  # STS tokens accepted; None accepts any
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # the head and body go in two writes: no delayed-ACK stall between

            def setup(self) -> None:
                super().setup()
                with server._lock:
                    server.connections += 1
                    self.conn_no = server.connections

            def do_POST(self) -> None:
                self._serve()

            def do_GET(self) -> None:
                self._serve()

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                url = urlsplit(self.path)
                params = dict(parse_qsl(url.query, keep_blank_values=True))
                headers = {k.lower(): v for k, v in self.headers.items()}
                req = Request(self.command, url.path, params, headers, self.conn_no)
                try:
                    if "authorization" in headers:
                        req.key_id = signatures.verify_v3(self.command, url.path, params, headers, body, KEYS.get)
                        token = headers.get("x-acs-security-token")
                        req.params = {**params, "Action": headers.get("x-acs-action", "")}
                    else:
                        req.key_id = signatures.verify_v2(self.command, params, KEYS.get)
                        token = params.get("SecurityToken")
                    if server.tokens_valid is not None and token is not None and token not in server.tokens_valid:
                        raise signatures.SignatureError("expired", "token expired")
                except signatures.SignatureError as exc:
                    req.signature_error = exc.reason
                with server._lock:
                    server.requests.append(req)
                if req.signature_error == "expired":
                    reply = error("InvalidSecurityToken.Expired", 403)
                elif req.signature_error:
                    reply = error("SignatureDoesNotMatch", 400, req.signature_error)
                else:
                    reply = server.behave(req)
                if reply.delay_s:
                    threading.Event().wait(reply.delay_s)
                if reply.drop:
                    self.close_connection = True
                    self.connection.close()
                    return
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
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def calls(self) -> int:
        return len(self.requests)


@contextmanager
def scripted(behave: Callable[[Request], Reply]) -> Iterator[ScriptedServer]:
    server = ScriptedServer(behave)
    # A short poll: shutdown() waits for the loop to look, and every test stops a server.
    thread = threading.Thread(target=server.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.httpd.shutdown()
        server.httpd.server_close()
