"""The transport's own HTTP/1.1 framing (generator/runtime/_http.py).

The response reader is held against http.client on the same bytes, cut into every TCP segmentation
Hypothesis finds; the request writer's refusals and the odd framings (chunked, interim 1xx, bodies
delimited by the connection's end, HEAD, 204) are then exercised over real sockets against a server
that answers with scripted raw bytes.
"""

from __future__ import annotations

import contextlib
import http.client
import io
import itertools
import math
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.runtime import _http
from generator.runtime._base import TransportError

# ---------------------------------------------------------------------------------------------------
# The reader against http.client
# ---------------------------------------------------------------------------------------------------


class Segments:
    """What the reader needs of a socket, handing out planned segments in order, then the end."""

    def __init__(self, segments: list[bytes]) -> None:
        self._segments = list(segments)
        self._timeout: float | None = None

    def recv(self, size: int) -> bytes:
        if not self._segments:
            return b""
        segment = self._segments.pop(0)
        if len(segment) > size:
            self._segments.insert(0, segment[size:])
            segment = segment[:size]
        return segment

    def gettimeout(self) -> float | None:
        return self._timeout

    def settimeout(self, value: float | None) -> None:
        self._timeout = value


def ours(wire: bytes, cuts: list[int], method: str) -> tuple[int, str, list[tuple[str, str]], bytes, bool]:
    bounds = sorted({0, len(wire), *(c % (len(wire) + 1) for c in cuts)})
    segments = [wire[a:b] for a, b in itertools.pairwise(bounds)]
    reader = _http._Reader(Segments(segments), 5.0, math.inf, 1 << 20)  # type: ignore[arg-type]
    response, will_close, _ = _http._read_response(reader, method)
    return response.status, response.reason, list(response.headers._pairs), response.body, will_close


def stdlib(wire: bytes, method: str) -> tuple[int, str, list[tuple[str, str]], bytes, bool]:
    class Sock:
        def makefile(self, mode: str) -> io.BytesIO:
            return io.BytesIO(wire)

    response = http.client.HTTPResponse(Sock(), method=method)  # type: ignore[arg-type]
    response.begin()
    body = response.read()
    return response.status, response.reason, response.getheaders(), body, bool(response.will_close)


TOKEN = st.text("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&'*+^`|~", min_size=1,
                max_size=12)
FRAMING_NAMES = {"content-length", "transfer-encoding", "connection"}
# Values as servers send them: visible latin-1 with inner spaces, no leading or trailing blank.
VALUE = st.text(st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="\x7f"), max_size=20).flatmap(
    lambda word: st.sampled_from([word, f"{word} {word}".strip()])
)


@st.composite
def responses(draw: st.DrawFn) -> tuple[bytes, str]:
    method = draw(st.sampled_from(["GET", "POST", "HEAD"]))
    status = draw(st.sampled_from([200, 201, 204, 304, 400, 403, 404, 429, 500, 503]))
    reason = draw(st.sampled_from(["", "OK", "Not Found", "Service Unavailable"]))
    version = draw(st.sampled_from(["HTTP/1.1", "HTTP/1.0"]))
    eol = draw(st.sampled_from(["\r\n", "\n"]))
    headers = draw(st.lists(st.tuples(TOKEN, VALUE), max_size=6).map(
        lambda pairs: [(n, v) for n, v in pairs if n.lower() not in FRAMING_NAMES]))
    connection = draw(st.sampled_from([None, "close", "keep-alive", "Keep-Alive, Upgrade"]))
    if connection is not None:
        headers.append(("Connection", connection))
    no_body = method == "HEAD" or status in (204, 304)
    body = b"" if status in (204, 304) else draw(st.binary(max_size=3000))
    # (http.client would try to read a chunked body after a 204 or 304; RFC 9110 says there is none.)
    framing = draw(st.sampled_from(["length", "close"] if status in (204, 304) else ["length", "chunked", "close"]))
    if framing == "length" or (no_body and framing == "close"):
        headers.append(("Content-Length", str(len(body))))
        payload = b"" if no_body else body
    elif framing == "chunked":
        headers.append(("Transfer-Encoding", "chunked"))
        cuts = sorted(set(draw(st.lists(st.integers(0, len(body)), max_size=5))) | {0, len(body)})
        chunks = [body[a:b] for a, b in itertools.pairwise(cuts) if b > a]
        ext = draw(st.sampled_from(["", ";name=value"]))
        payload = b"".join(f"{len(c):x}{ext}\r\n".encode() + c + b"\r\n" for c in chunks)
        payload += b"0\r\n" + draw(st.sampled_from([b"", b"Trailer-Field: x\r\n"])) + b"\r\n"
        payload = b"" if no_body else payload
    else:
        payload = body  # delimited by the end of the connection
    interim = draw(st.sampled_from(["", f"HTTP/1.1 100 Continue{eol}{eol}"]))
    head = f"{version} {status} {reason}".rstrip(" ") + eol + "".join(f"{n}: {v}{eol}" for n, v in headers) + eol
    return (interim + head).encode("latin-1") + payload, method


@given(responses(), st.lists(st.integers(0, 10_000), max_size=8))
def test_the_reader_frames_like_http_client_whatever_the_segmentation(
    case: tuple[bytes, str], cuts: list[int]
) -> None:
    wire, method = case
    status, reason, headers, body, will_close = ours(wire, cuts, method)
    expected = stdlib(wire, method)
    assert (status, reason, headers, body) == expected[:4]
    assert will_close == expected[4]


@given(st.binary(max_size=400), st.lists(st.integers(0, 1000), max_size=6))
def test_the_reader_never_fails_outside_its_error_types(wire: bytes, cuts: list[int]) -> None:
    # Any bytes at all: a response, or TransportError / ConnectionError; never another exception.
    with contextlib.suppress(TransportError, ConnectionError):
        ours(b"HTTP/1.1 200 OK\r\n" + wire, cuts, "GET")


def test_folded_header_lines_continue_the_value() -> None:
    wire = b"HTTP/1.1 200 OK\r\nX-Long: one\r\n  two\r\n\tthree\r\nContent-Length: 0\r\n\r\n"
    _, _, headers, _, _ = ours(wire, [], "GET")
    assert headers[0] == ("X-Long", "one two three")


@pytest.mark.parametrize(
    ("wire", "message"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.x response"),
        (b"HTTP/1.1 2000 OK\r\n\r\n", "not an HTTP/1.x response"),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nName : value\r\n\r\n", "malformed header line"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\nabcd", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", "bad Content-Length"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", "closed after 3 of 10 body bytes"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "bad chunk size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcdef\r\n0\r\n\r\n", "longer than its size"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nab", "closed after"),
        (b"HTTP/1.1 200 OK\r\nX: y", "in the middle of the response head"),
        (b"HTTP/1.1 101 Switching Protocols\r\n\r\n", "switched protocols"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n", "exceeds the limit"),
    ],
)
def test_broken_responses_are_transport_errors_that_say_what_is_wrong(wire: bytes, message: str) -> None:
    with pytest.raises(TransportError, match=message):
        ours(wire, [], "GET")


def test_a_connection_closed_before_any_byte_is_a_connection_error() -> None:
    # The transport turns this into a transparent retry on a reused connection, an error on a new one.
    with pytest.raises(ConnectionResetError):
        ours(b"", [], "GET")


def test_an_endless_head_is_refused() -> None:
    with pytest.raises(TransportError, match="longer than"):
        ours(b"HTTP/1.1 200 OK\r\n" + b"X: " + b"a" * 70_000, [1000 * i for i in range(80)], "GET")


# ---------------------------------------------------------------------------------------------------
# Over real sockets: a server that answers each request with the next scripted reply
# ---------------------------------------------------------------------------------------------------


@dataclass
class RawServer:
    replies: list[bytes]
    close_after: set[int] = field(default_factory=set)  # reply indexes after which the server hangs up
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0

    def __post_init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _serve(self) -> None:
        while self.replies:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            with conn:
                self._answer(conn)

    def _answer(self, conn: socket.socket) -> None:
        buffer = b""
        while self.replies:
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            while len(buffer) < length:
                buffer += conn.recv(65536)
            buffer = buffer[length:]
            self.requests.append(head)
            index = len(self.requests) - 1
            conn.sendall(self.replies.pop(0))
            if index in self.close_after:
                return

    def close(self) -> None:
        self.replies.clear()
        self.sock.close()


@contextlib.contextmanager
def raw_server(*replies: bytes, close_after: set[int] | None = None) -> Iterator[RawServer]:
    server = RawServer(list(replies), close_after or set())
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def transport() -> Iterator[_http.HttpTransport]:
    with _http.HttpTransport(connect_timeout_s=2, read_timeout_s=2, proxies={}) as t:
        yield t


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_chunked_bodies_keep_the_connection(transport: _http.HttpTransport) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    with raw_server(chunked, OK) as server:
        assert transport.request("GET", server.base + "/a").body == b"hello world"
        assert transport.request("GET", server.base + "/b").body == b"ok"
        assert server.connections == 1


def test_interim_responses_are_skipped(transport: _http.HttpTransport) -> None:
    wire = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n" + OK
    with raw_server(wire) as server:
        response = transport.request("POST", server.base + "/", body=b"{}")
        assert (response.status, response.body) == (200, b"ok")
        assert "Link" not in response.headers


def test_a_body_delimited_by_the_close_is_read_whole_and_the_connection_dropped(
    transport: _http.HttpTransport,
) -> None:
    with raw_server(b"HTTP/1.1 200 OK\r\n\r\nuntil the end", OK, close_after={0}) as server:
        assert transport.request("GET", server.base + "/").body == b"until the end"
        assert transport.request("GET", server.base + "/").body == b"ok"
        assert server.connections == 2 and transport.connections_opened == 2


def test_head_and_204_have_no_body_and_keep_the_connection(transport: _http.HttpTransport) -> None:
    head_reply = b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n"
    with raw_server(head_reply, b"HTTP/1.1 204 No Content\r\n\r\n", OK) as server:
        assert transport.request("HEAD", server.base + "/").body == b""
        assert transport.request("DELETE", server.base + "/").status == 204
        assert transport.request("GET", server.base + "/").body == b"ok"
        assert server.connections == 1


def test_stray_bytes_after_a_response_retire_the_connection(transport: _http.HttpTransport) -> None:
    with raw_server(OK + b"HTTP/1.1 200 OK\r\n", OK, close_after={0}) as server:
        assert transport.request("GET", server.base + "/").body == b"ok"
        assert transport.request("GET", server.base + "/").body == b"ok"
        assert server.connections == 2


def test_http_1_0_closes_unless_kept_alive(transport: _http.HttpTransport) -> None:
    keep = b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok"
    plain = b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok"
    with raw_server(keep, plain, OK, close_after={1}) as server:
        for _ in range(3):
            assert transport.request("GET", server.base + "/").body == b"ok"
        assert server.connections == 2


def test_the_request_head_is_one_well_formed_block(transport: _http.HttpTransport) -> None:
    with raw_server(OK) as server:
        transport.request("POST", server.base + "/p?q=1#frag", {"X-One": "1"}, b"")
        lines = server.requests[0].decode("latin-1").split("\r\n")
    assert lines[0] == "POST /p?q=1 HTTP/1.1"  # the fragment never leaves the client
    assert sorted(lines[1:]) == sorted(
        ["X-One: 1", f"Host: 127.0.0.1:{server.port}", "Accept-Encoding: gzip", "Content-Length: 0"]
    )


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({"X-Evil": "a\r\nX-Injected: 1"}, "X-Evil"),
        ({"X-Evil": "a\nb"}, "X-Evil"),
        ({"X-Nul": "a\x00b"}, "X-Nul"),
        ({"Bad Name": "v"}, "not an HTTP token"),
        ({"X-Wide": "snowman \u2603"}, "latin-1"),
    ],
)
def test_headers_http_cannot_carry_are_refused_before_anything_is_sent(
    transport: _http.HttpTransport, headers: dict[str, str], message: str
) -> None:
    with raw_server(OK) as server:
        with pytest.raises(ValueError, match=message):
            transport.request("GET", server.base + "/", headers)
        assert transport.connections_opened == 0 and server.requests == []


def test_a_target_with_spaces_is_refused(transport: _http.HttpTransport) -> None:
    with pytest.raises(ValueError, match="request target"):
        transport.request("GET", "http://127.0.0.1:9/a b")
