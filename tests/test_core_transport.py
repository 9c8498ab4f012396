"""Endpoint resolution, the HTTP transport (against real local servers) and the retry loop (fake clock).

The servers are the tests' scripted loopback servers (tests/scripted_server.py); they count connections and
requests so keep-alive reuse and reconnects are visible from the server side.
"""

from __future__ import annotations

import contextlib
import gzip
import itertools
import json
import math
import random
import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
import scripted_server
from fakes import FakeClock
from hypothesis import given
from hypothesis import strategies as st
from scripted_server import Reply, Request, ScriptedServer, raw

from generator.runtime import _credentials, _endpoints, _errors, _http, _retry, _signing, _transport
from generator.runtime._errors import ClientError, StaleConnectionError, TransportError

# ---------------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------------

REGIONS = {"cn-hangzhou": "svc.example.com", "cn-beijing": "svc.example.com"}
FALLBACK = "svc.{region_id}.example.com"
NETWORK = "svc-{network}.{region_id}.example.com"


def resolve(region: str | None, endpoint: str | None = None, network: str | None = None) -> _endpoints.Endpoint:
    return _endpoints.resolve_endpoint(region, endpoint, REGIONS, FALLBACK, NETWORK, network)


@pytest.mark.parametrize(
    ("region", "endpoint", "network", "expected"),
    [
        ("cn-hangzhou", None, None, ("https", "svc.example.com", 443, "")),
        ("eu-west-9", None, None, ("https", "svc.eu-west-9.example.com", 443, "")),
        ("eu-west-9", None, "vpc", ("https", "svc-vpc.eu-west-9.example.com", 443, "")),
        ("cn-hangzhou", None, "vpc", ("https", "svc-vpc.cn-hangzhou.example.com", 443, "")),
        ("cn-hangzhou", None, "public", ("https", "svc.example.com", 443, "")),
        ("cn-hangzhou", "http://127.0.0.1:8080", None, ("http", "127.0.0.1", 8080, "")),
        (None, "http://127.0.0.1:8080/", None, ("http", "127.0.0.1", 8080, "")),
        (None, "custom.example.org", None, ("https", "custom.example.org", 443, "")),
        (None, "custom.example.org:8443", None, ("https", "custom.example.org", 8443, "")),
        (None, "HTTPS://Custom.Example.org/prefix/", None, ("https", "custom.example.org", 443, "/prefix")),
        (None, "http://[::1]:9000", None, ("http", "::1", 9000, "")),
        ("cn-hangzhou", "  ", None, ("https", "svc.example.com", 443, "")),
    ],
)
def test_resolve_endpoint(
    region: str | None, endpoint: str | None, network: str | None, expected: tuple[str, str, int, str]
) -> None:
    assert tuple(resolve(region, endpoint, network)) == expected


def test_no_region_and_no_endpoint_is_a_clear_error() -> None:
    with pytest.raises(_errors.EndpointError, match="region_id") as info:
        resolve(None)
    assert isinstance(info.value, ClientError) and isinstance(info.value, ValueError)
    with pytest.raises(_errors.EndpointError):
        resolve("", "")


@pytest.mark.parametrize(
    "endpoint",
    [
        "ftp://host",
        "http://",
        "http://host:99999",
        "http://host:abc",
        "http://u:p@host",
        "http://host/?a=1",
        "h#f",
    ],
)
def test_bad_explicit_endpoints(endpoint: str) -> None:
    with pytest.raises(_errors.EndpointError):
        resolve("cn-hangzhou", endpoint)


@pytest.mark.parametrize("region", ["cn-hangzhou.evil.com", "a/b", "-x", "x y", "cn_hangzhou"])
def test_region_ids_cannot_change_the_host(region: str) -> None:
    with pytest.raises(_errors.EndpointError, match="region"):
        resolve(region)


def test_network_without_a_network_template() -> None:
    with pytest.raises(_errors.EndpointError, match="network"):
        _endpoints.resolve_endpoint("cn-hangzhou", None, REGIONS, FALLBACK, None, "vpc")


def test_endpoint_host_header_and_url() -> None:
    assert resolve("cn-hangzhou").host_header == "svc.example.com"
    assert resolve(None, "http://127.0.0.1:8080").host_header == "127.0.0.1:8080"
    assert resolve(None, "http://[::1]:9000").host_header == "[::1]:9000"
    assert resolve(None, "http://h:80/p").url("/?a=b") == "http://h/p/?a=b"
    assert resolve(None, "https://h:443").url() == "https://h/"


# ---------------------------------------------------------------------------------------------------
# Local servers
# ---------------------------------------------------------------------------------------------------

GZIP_PAYLOAD = b"hello, keep-alive world " * 500
LOCAL_KEYS = {"AK-local": "local-secret"}


def behaviour() -> Callable[[Request], Reply]:
    """The transport tests' server: the path names what it does; anything else echoes the request."""
    flaky = itertools.count(1)

    def behave(req: Request) -> Reply:
        if req.path == "/drop" or (req.path == "/drop-second" and req.on_connection > 1):
            return Reply(drop=True)  # the request was read; hang up without a response
        if req.path == "/signed":  # what a local emulator does
            if req.signature_error:
                return Reply(403, req.signature_error.encode())
            query = dict(parse_qsl(urlsplit(req.target).query, keep_blank_values=True))
            return Reply(body={"key": req.key_id, "query": query})
        delay = {"/slow": 0.6, "/pause": 0.1}.get(req.path, 0.0)
        if req.path == "/gzip":
            return Reply(body=GZIP_PAYLOAD, gzip=True, delay_s=delay)
        if req.path == "/badgzip":
            return Reply(body=b"this is not gzip", headers={"Content-Encoding": "gzip"})
        if req.path == "/bomb":
            return Reply(body=b"\0" * 100_000, gzip=True)
        if req.path == "/close":
            return Reply(body=b"bye", headers={"Connection": "close"})
        if req.path == "/flaky" and next(flaky) <= 2:
            return Reply(503, b'{"Code":"ServiceUnavailable"}', {"x-acs-retry-after": "20"})
        echo = {"method": req.method, "path": req.target, "headers": req.headers, "body": req.body.decode("latin-1"),
                "on_connection": req.on_connection}
        return Reply(body=echo, headers={"Content-Type": "application/json"}, delay_s=delay)

    return behave


def proxy_behaviour(tunnels: bool = True) -> Callable[[Request], Reply]:
    """A forward proxy: answers absolute-form requests itself; tunnels CONNECT to the named host unless refusing."""
    def behave(req: Request) -> Reply:
        if req.method == "CONNECT":
            return Reply(tunnel=True) if tunnels else Reply(403, b"no tunnels here")
        return Reply(body=b"via-proxy")

    return behave


def running(**options: Any) -> contextlib.AbstractContextManager[ScriptedServer]:
    return scripted_server.scripted(behaviour(), keys=LOCAL_KEYS, reject_bad_signatures=False, **options)


def proxying(tunnels: bool = True) -> contextlib.AbstractContextManager[ScriptedServer]:
    return scripted_server.scripted(proxy_behaviour(tunnels), keys=None)


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with running() as srv:
        yield srv


# ---------------------------------------------------------------------------------------------------
# Transport
# ---------------------------------------------------------------------------------------------------


def test_round_trip_headers_and_body(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    response = transport.request(
        "POST", server.url + "/echo?a=1&b=%20", {"Host": "signed.example:1", "X-Acs-Thing": "v"}, b"payload"
    )
    assert response.status == 200
    assert response.headers["content-type"] == response.headers["CONTENT-TYPE"] == "application/json"
    assert "Content-Type" in response.headers and "content-length" in response.headers
    seen = json.loads(response.body)
    assert seen["method"] == "POST" and seen["path"] == "/echo?a=1&b=%20" and seen["body"] == "payload"
    assert seen["headers"]["host"] == "signed.example:1"  # the signed Host goes out untouched
    assert seen["headers"]["x-acs-thing"] == "v"
    assert seen["headers"]["accept-encoding"] == "gzip"


def test_keep_alive_reuses_one_connection(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    for i in range(5):
        response = transport.request("GET", f"{server.url}/echo?i={i}")
        assert json.loads(response.body)["on_connection"] == i + 1
    assert server.connections == 1
    assert transport.connections_opened == 1


def test_connection_close_is_respected(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    assert transport.request("GET", server.url + "/close").body == b"bye"
    assert transport.request("GET", server.url + "/echo").status == 200
    assert server.connections == 2


def test_gzip_is_requested_and_unpacked(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    response = transport.request("GET", server.url + "/gzip")
    assert response.body == GZIP_PAYLOAD
    assert response.headers["content-encoding"] == "gzip"
    assert int(response.headers["content-length"]) < len(GZIP_PAYLOAD)


def test_bad_gzip_and_gzip_bombs_fail_cleanly(server: ScriptedServer) -> None:
    with _http.HttpTransport(proxies={}, max_response_bytes=10_000) as small:
        with pytest.raises(TransportError, match="gzip"):
            small.request("GET", server.url + "/badgzip")
        with pytest.raises(TransportError, match="exceeds"):
            small.request("GET", server.url + "/bomb")


def test_idle_connection_closed_by_server_is_replaced() -> None:
    with running(idle_timeout_s=0.2) as srv, _http.HttpTransport(proxies={}) as transport:
        assert transport.request("GET", srv.url + "/echo").status == 200
        time.sleep(0.5)  # the server closes the idle keep-alive connection
        assert transport.request("GET", srv.url + "/echo").status == 200
        assert srv.connections == 2
        assert len(srv.requests) == 2


def test_a_kept_alive_connection_found_closed_is_stale_and_the_next_request_goes_on_a_new_one(
    server: ScriptedServer, transport: _http.HttpTransport
) -> None:
    # The server reads the second request on the same connection, then hangs up without answering.
    assert transport.request("GET", server.url + "/drop-second").status == 200
    with pytest.raises(StaleConnectionError) as info:
        transport.request("GET", server.url + "/drop-second")
    assert isinstance(info.value.__cause__, ConnectionError)
    response = transport.request("GET", server.url + "/drop-second")  # what the client's resend does
    assert response.status == 200 and json.loads(response.body)["on_connection"] == 1
    assert server.connections == 2
    assert [r.on_connection for r in server.requests] == [1, 2, 1]


def test_idle_peers_of_a_stale_connection_are_dropped(server: ScriptedServer) -> None:
    with _http.HttpTransport(proxies={}) as transport:
        barrier = threading.Barrier(3)

        def first_request() -> None:
            barrier.wait()
            assert transport.request("GET", server.url + "/pause").status == 200

        # Three connections at once, all back in the pool afterwards.
        threads = [threading.Thread(target=first_request) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert transport.connections_opened == 3
        opened = transport.connections_opened
        with pytest.raises(StaleConnectionError):
            transport.request("GET", server.url + "/drop-second")
        assert transport.request("GET", server.url + "/echo").status == 200
        assert transport.connections_opened == opened + 1  # a new one, not a peer of the stale one


def test_fresh_connection_dropped_is_a_transport_error_not_stale(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    with pytest.raises(TransportError) as info:
        transport.request("GET", server.url + "/drop")
    assert not isinstance(info.value, TimeoutError | StaleConnectionError)
    assert isinstance(info.value.__cause__, ConnectionError)
    assert len(server.requests) == 1


def test_connection_refused_is_a_transport_error(transport: _http.HttpTransport) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    with pytest.raises(TransportError, match="cannot connect") as info:
        transport.request("GET", f"http://127.0.0.1:{port}/")
    assert not isinstance(info.value, TimeoutError)
    assert isinstance(info.value.__cause__, ConnectionRefusedError)


def test_read_timeout(server: ScriptedServer) -> None:
    with _http.HttpTransport(connect_timeout_s=1, read_timeout_s=0.2, proxies={}) as transport:
        start = time.monotonic()
        with pytest.raises(_errors.RequestTimeoutError) as info:
            transport.request("GET", server.url + "/slow")
        assert time.monotonic() - start < 0.5
    assert info.value.phase == "read"
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, TransportError)


def test_the_budget_caps_the_read_timeout(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    start = time.monotonic()
    with pytest.raises(_errors.RequestTimeoutError):
        transport.request("GET", server.url + "/slow", budget_s=0.2)
    assert time.monotonic() - start < 0.5


def test_no_budget_left_times_out_before_connecting(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    with pytest.raises(_errors.RequestTimeoutError) as info:
        transport.request("GET", server.url + "/echo", budget_s=0.0)
    assert info.value.phase == "connect"
    assert server.requests == []


def test_threads_share_the_pool_safely(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    results: list[int] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                body = json.loads(transport.request("GET", f"{server.url}/echo?n={n}&i={i}").body)
                assert body["path"] == f"/echo?n={n}&i={i}"
                results.append(1)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert errors == [] and len(results) == 40
    assert server.connections == transport.connections_opened <= 40


def test_closed_transport_refuses(server: ScriptedServer) -> None:
    transport = _http.HttpTransport(proxies={})
    assert transport.request("GET", server.url + "/echo").status == 200
    transport.close()
    transport.close()  # idempotent
    with pytest.raises(TransportError, match="closed"):
        transport.request("GET", server.url + "/echo")


def test_http_proxy_gets_absolute_url_and_credentials(server: ScriptedServer) -> None:
    with proxying() as proxy:
        proxies = {"http": f"http://us%40er:p%3Aw@127.0.0.1:{proxy.port}"}
        with _http.HttpTransport(proxies=proxies) as transport:
            assert transport.request("GET", server.url + "/echo?x=1").body == b"via-proxy"
        seen = proxy.requests[0]
        assert seen.target == f"{server.url}/echo?x=1"
        assert seen.headers["proxy-authorization"] == "Basic dXNAZXI6cDp3"  # base64("us@er:p:w")
        assert server.requests == []


def test_no_proxy_bypasses_the_proxy(server: ScriptedServer) -> None:
    with proxying() as proxy:
        proxies = {"http": f"http://127.0.0.1:{proxy.port}", "no": "localhost, 127.0.0.1"}
        with _http.HttpTransport(proxies=proxies) as transport:
            assert transport.request("GET", server.url + "/echo").status == 200
        assert proxy.requests == [] and len(server.requests) == 1


def _clear_proxy_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "no_proxy", "all_proxy", "REQUEST_METHOD"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


def test_proxy_environment_variables_are_honoured(server: ScriptedServer, monkeypatch: pytest.MonkeyPatch) -> None:
    _clear_proxy_env(monkeypatch)
    with proxying() as proxy:
        monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{proxy.port}")
        with _http.HttpTransport() as transport:
            assert transport.request("GET", server.url + "/echo").body == b"via-proxy"
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        with _http.HttpTransport() as transport:
            assert transport.request("GET", server.url + "/echo").status == 200
        assert len(proxy.requests) == 1 and len(server.requests) == 1


def test_https_goes_through_a_connect_tunnel() -> None:
    with proxying(tunnels=False) as proxy:
        transport = _http.HttpTransport(proxies={"https": f"127.0.0.1:{proxy.port}"})
        with transport, pytest.raises(TransportError, match="403"):
            transport.request("GET", "https://svc.example.invalid/")
        assert proxy.requests[0].method == "CONNECT"
        assert proxy.requests[0].target == "svc.example.invalid:443"


@pytest.fixture(scope="module")
def tls_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a throwaway certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


@pytest.fixture
def tls_server(tls_files: tuple[Path, Path]) -> Iterator[ScriptedServer]:
    cert, key = tls_files
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    with running(tls=context) as srv:
        yield srv


def test_tls_is_verified_by_default(tls_server: ScriptedServer) -> None:
    with _http.HttpTransport(proxies={}) as transport, pytest.raises(TransportError) as info:
        transport.request("GET", f"https://127.0.0.1:{tls_server.port}/echo")
    assert isinstance(info.value.__cause__, ssl.SSLCertVerificationError)


def test_tls_with_a_trusted_ca_and_keep_alive(tls_server: ScriptedServer, tls_files: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(cafile=str(tls_files[0]))
    with _http.HttpTransport(proxies={}, ssl_context=context) as transport:
        for _ in range(3):
            assert transport.request("GET", f"https://127.0.0.1:{tls_server.port}/echo").status == 200
    assert tls_server.connections == 1


def test_tls_through_a_connect_tunnel(tls_server: ScriptedServer, tls_files: tuple[Path, Path]) -> None:
    context = ssl.create_default_context(cafile=str(tls_files[0]))
    with proxying() as proxy:
        proxies = {"https": f"http://127.0.0.1:{proxy.port}"}
        with _http.HttpTransport(proxies=proxies, ssl_context=context) as transport:
            response = transport.request("GET", f"https://127.0.0.1:{tls_server.port}/echo?t=1")
            assert json.loads(response.body)["path"] == "/echo?t=1"
        assert (proxy.requests[0].method, proxy.requests[0].target) == ("CONNECT", f"127.0.0.1:{tls_server.port}")


SIGNED_PARAMS = {"JobId": " b4my 3zg*", "Name": "预检查 + 100%", "Empty": "", "Tilde~": "a/b?c=d&e"}
LOCAL = _credentials.Credentials("AK-local", "local-secret")


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_v3_signed_request_verifies_on_the_server(
    server: ScriptedServer, transport: _http.HttpTransport, method: str
) -> None:
    endpoint = _endpoints.resolve_endpoint(None, server.url, {}, "unused")
    body = b'{"x": 1}' if method == "POST" else b""
    headers = _signing.sign_v3(
        method,
        endpoint.base_path + "/signed",
        SIGNED_PARAMS,
        {"host": endpoint.host_header, "content-type": "application/json"},
        body,
        LOCAL,
        timestamp=_signing.utc_timestamp(),
        nonce=_signing.new_nonce(),
        action="SomeAction",
        version="2020-01-01",
    )
    url = endpoint.url("/signed?" + _signing.canonical_query(SIGNED_PARAMS))
    response = transport.request(method, url, headers, body)
    assert response.status == 200, response.body
    assert json.loads(response.body) == {"key": "AK-local", "query": SIGNED_PARAMS}
    tampered = url.replace("JobId=", "JobId=x")
    assert transport.request(method, tampered, headers, body).body == b"mismatch"


def test_v2_signed_request_verifies_on_the_server(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    query = _signing.build_v2_query(
        "POST",
        "SomeAction",
        "2020-01-01",
        SIGNED_PARAMS,
        LOCAL,
        timestamp=_signing.utc_timestamp(),
        nonce=_signing.new_nonce(),
    )
    response = transport.request("POST", f"{server.url}/signed?{_signing.canonical_query(query)}")
    assert response.status == 200, response.body
    assert json.loads(response.body)["query"] == query
    wrong = {**query, "AccessKeyId": "AK-unknown"}
    response = transport.request("POST", f"{server.url}/signed?{_signing.canonical_query(wrong)}")
    assert (response.status, response.body) == (403, b"unknown_key")


# ---------------------------------------------------------------------------------------------------
# Retry loop
# ---------------------------------------------------------------------------------------------------


class Retryable(Exception):
    def __init__(self, delay_s: float | None = None) -> None:
        super().__init__("try again")
        self.delay_s = delay_s


class Expired(Exception):
    pass


def classify(exc: BaseException) -> _retry.RetryDecision:
    if isinstance(exc, Retryable):
        return _retry.RetryDecision.retry(exc.delay_s)
    if isinstance(exc, Expired):
        return _retry.RetryDecision.refresh()
    return _retry.RetryDecision.give_up()


def scripted(
    outcomes: list[BaseException | str], clock: FakeClock, cost_s: float = 0.0
) -> tuple[Callable[[float], str], list[float]]:
    budgets: list[float] = []

    def attempt(budget: float) -> str:
        budgets.append(budget)
        clock.now += cost_s
        outcome = outcomes.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return attempt, budgets


def run(attempt: Callable[[float], str], policy: _retry.RetryPolicy, clock: FakeClock, **kwargs: Any) -> str:
    return _retry.call_with_retries(
        attempt, classify, policy, clock=clock, sleep=clock.sleep, rng=random.Random(7), **kwargs
    )


def test_success_after_retries() -> None:
    clock = FakeClock()
    attempt, budgets = scripted([Retryable(), Retryable(), "ok"], clock)
    assert run(attempt, _retry.RetryPolicy(max_attempts=5), clock) == "ok"
    assert len(budgets) == 3 and len(clock.sleeps) == 2
    assert budgets == [math.inf] * 3  # no deadline: an unbounded budget


def test_attempts_run_out_and_the_last_error_says_so() -> None:
    clock = FakeClock()
    last = Retryable()
    attempt, budgets = scripted([Retryable(), Retryable(), Retryable(), last, "never"], clock)
    with pytest.raises(Retryable) as info:
        run(attempt, _retry.RetryPolicy(max_attempts=4), clock)
    assert info.value is last
    assert len(budgets) == 4 and len(clock.sleeps) == 3
    assert "after 4 attempts" in "".join(info.value.__notes__)


def test_default_policy_makes_one_attempt() -> None:
    clock = FakeClock()
    attempt, budgets = scripted([Retryable(), "never"], clock)
    with pytest.raises(Retryable):
        run(attempt, _retry.RetryPolicy(), clock)
    assert len(budgets) == 1 and clock.sleeps == []


def test_give_up_is_immediate() -> None:
    clock = FakeClock()
    attempt, budgets = scripted([KeyError("nope"), "never"], clock)
    with pytest.raises(KeyError):
        run(attempt, _retry.RetryPolicy(max_attempts=5), clock)
    assert len(budgets) == 1 and clock.sleeps == []


class RecordingRandom(random.Random):
    def __init__(self, seed: int) -> None:
        super().__init__(seed)
        self.bounds: list[tuple[float, float]] = []

    def uniform(self, a: float, b: float) -> float:
        self.bounds.append((a, b))
        return super().uniform(a, b)


@given(
    st.integers(0, 2**32),
    st.floats(0.01, 2.0),
    st.floats(0.5, 30.0),
    st.integers(2, 12),
)
def test_full_jitter_bounds(seed: int, base: float, cap: float, attempts: int) -> None:
    clock = FakeClock()
    rng = RecordingRandom(seed)
    attempt, _ = scripted([Retryable() for _ in range(attempts)], clock)
    policy = _retry.RetryPolicy(max_attempts=attempts, base_delay_s=base, max_delay_s=cap)
    with pytest.raises(Retryable):
        _retry.call_with_retries(attempt, classify, policy, clock=clock, sleep=clock.sleep, rng=rng)
    expected = [(0.0, min(cap, base * 2**n)) for n in range(attempts - 1)]
    assert [a for a, _ in rng.bounds] == [0.0] * (attempts - 1)
    assert [b for _, b in rng.bounds] == pytest.approx([b for _, b in expected])
    assert len(clock.sleeps) == attempts - 1
    for slept, (_, upper) in zip(clock.sleeps, expected, strict=True):
        assert 0.0 <= slept <= upper


def test_jitter_actually_varies() -> None:
    policy = _retry.RetryPolicy(max_attempts=3, base_delay_s=1.0, max_delay_s=1.0)
    rng = random.Random(1)
    delays = {policy.backoff_s(3, rng) for _ in range(20)}
    assert len(delays) == 20 and all(0.0 <= d <= 1.0 for d in delays)


def test_server_delay_is_used_as_is() -> None:
    clock = FakeClock()
    attempt, _ = scripted([Retryable(delay_s=45.0), Retryable(delay_s=0.25), "ok"], clock)
    policy = _retry.RetryPolicy(max_attempts=3, base_delay_s=0.1, max_delay_s=1.0, deadline_s=300)
    assert run(attempt, policy, clock) == "ok"
    assert clock.sleeps == [45.0, 0.25]  # not capped by max_delay_s, only by the deadline


def test_server_delay_past_the_deadline_stops_without_sleeping() -> None:
    clock = FakeClock()
    first = Retryable(delay_s=120.0)
    attempt, _ = scripted([first, "never"], clock)
    with pytest.raises(_errors.DeadlineExceeded) as info:
        run(attempt, _retry.RetryPolicy(max_attempts=5, deadline_s=60), clock)
    assert clock.sleeps == []
    assert info.value.last_error is first and info.value.__cause__ is first
    assert info.value.attempts == 1
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, ClientError)


def test_retry_after_header_in_milliseconds() -> None:
    policy = _retry.RetryPolicy(retry_after_header="x-acs-retry-after")
    assert policy.retry_after_s(_transport.Headers([("X-Acs-Retry-After", "1500")])) == 1.5
    assert policy.retry_after_s({"x-acs-retry-after": " 250 "}) == 0.25
    assert policy.retry_after_s({"X-ACS-RETRY-AFTER": "0"}) == 0.0
    for bad in ("soon", "-5", "nan", "inf", ""):
        assert policy.retry_after_s({"x-acs-retry-after": bad}) is None
    assert policy.retry_after_s({}) is None
    assert _retry.RetryPolicy().retry_after_s({"x-acs-retry-after": "100"}) is None


@given(st.floats(1.0, 100.0), st.floats(0.0, 20.0), st.integers(0, 2**16))
def test_deadline_bounds_the_whole_call(deadline: float, cost: float, seed: int) -> None:
    clock = FakeClock()
    start = clock.now
    attempt, budgets = scripted([Retryable() for _ in range(1000)], clock, cost_s=cost)
    policy = _retry.RetryPolicy(max_attempts=1000, base_delay_s=0.5, max_delay_s=8.0, deadline_s=deadline)
    with pytest.raises((_errors.DeadlineExceeded, Retryable)) as info:
        _retry.call_with_retries(
            attempt, classify, policy, clock=clock, sleep=clock.sleep, rng=random.Random(seed)
        )
    # Time spent sleeping never passes the deadline; each attempt got exactly what was left.
    assert start + sum(clock.sleeps) < start + deadline
    for i, budget in enumerate(budgets):
        elapsed = i * cost + sum(clock.sleeps[:i])
        assert budget == pytest.approx(deadline - elapsed)
        assert budget > 0
    if isinstance(info.value, _errors.DeadlineExceeded):
        assert info.value.attempts == len(budgets)
        assert "deadline" in str(info.value)


def test_attempt_budget_shrinks_with_time_spent() -> None:
    clock = FakeClock()
    attempt, budgets = scripted([Retryable(delay_s=1.0), Retryable(delay_s=1.0), "ok"], clock, cost_s=2.0)
    assert run(attempt, _retry.RetryPolicy(max_attempts=3, deadline_s=10), clock) == "ok"
    assert budgets == [10.0, 7.0, 4.0]


def test_refresh_then_exactly_one_more_attempt() -> None:
    clock = FakeClock()
    refreshed: list[int] = []
    attempt, budgets = scripted([Expired(), "ok"], clock)
    # max_attempts=1 (no retries) still allows the one attempt after a refresh.
    assert run(attempt, _retry.RetryPolicy(max_attempts=1), clock, refresh=lambda: refreshed.append(1)) == "ok"
    assert refreshed == [1] and len(budgets) == 2 and clock.sleeps == []


def test_refresh_happens_once_per_call() -> None:
    clock = FakeClock()
    refreshed: list[int] = []
    second = Expired()
    attempt, budgets = scripted([Expired(), second, "never"], clock)
    with pytest.raises(Expired) as info:
        run(attempt, _retry.RetryPolicy(max_attempts=5), clock, refresh=lambda: refreshed.append(1))
    assert info.value is second and refreshed == [1] and len(budgets) == 2


def test_a_slow_refresh_still_respects_the_deadline() -> None:
    clock = FakeClock()
    first = Expired()
    attempt, budgets = scripted([first, "never"], clock)

    def slow_refresh() -> None:
        clock.now += 61

    with pytest.raises(_errors.DeadlineExceeded) as info:
        run(attempt, _retry.RetryPolicy(max_attempts=5, deadline_s=60), clock, refresh=slow_refresh)
    assert info.value.last_error is first and len(budgets) == 1


def test_refresh_without_a_refresher_gives_up() -> None:
    clock = FakeClock()
    attempt, budgets = scripted([Expired(), "never"], clock)
    with pytest.raises(Expired):
        run(attempt, _retry.RetryPolicy(max_attempts=5), clock)
    assert len(budgets) == 1


def test_refresh_mixes_with_ordinary_retries() -> None:
    clock = FakeClock()
    refreshed: list[int] = []
    attempt, budgets = scripted([Retryable(), Expired(), Retryable(), "ok"], clock)
    policy = _retry.RetryPolicy(max_attempts=3)
    assert run(attempt, policy, clock, refresh=lambda: refreshed.append(1)) == "ok"
    assert len(budgets) == 4 and len(clock.sleeps) == 2 and refreshed == [1]


def test_policy_validation() -> None:
    with pytest.raises(ValueError):
        _retry.RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError):
        _retry.RetryPolicy(deadline_s=0)
    with pytest.raises(ValueError):
        _retry.RetryPolicy(base_delay_s=-1)


def test_retries_over_the_real_transport(server: ScriptedServer, transport: _http.HttpTransport) -> None:
    policy = _retry.RetryPolicy(
        max_attempts=4, base_delay_s=0.01, deadline_s=10, retry_after_header="x-acs-retry-after"
    )

    class Unavailable(Exception):
        def __init__(self, response: _transport.Response) -> None:
            super().__init__(response.status)
            self.response = response

    def attempt(budget: float) -> _transport.Response:
        response = transport.request("GET", server.url + "/flaky", budget_s=budget)
        if response.status >= 500:
            raise Unavailable(response)
        return response

    def decide(exc: BaseException) -> _retry.RetryDecision:
        if isinstance(exc, Unavailable):
            return _retry.RetryDecision.retry(policy.retry_after_s(exc.response.headers))
        if isinstance(exc, TransportError):
            return _retry.RetryDecision.retry()
        return _retry.RetryDecision.give_up()

    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    response = _retry.call_with_retries(attempt, decide, policy, sleep=sleep)
    assert response.status == 200 and sleeps == [0.02, 0.02]
    assert server.connections == 1  # the 503s kept the connection alive


# ---------------------------------------------------------------------------------------------------
# Framings http.client reads for us, and what we add around it (raw bytes from a scripted socket)
# ---------------------------------------------------------------------------------------------------


OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


def test_chunked_bodies_are_read_and_keep_the_connection(transport: _http.HttpTransport) -> None:
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    with raw(chunked, OK) as (base, accepted):
        assert transport.request("GET", base + "/a").body == b"hello world"
        assert transport.request("GET", base + "/b").body == b"ok"
    assert len(accepted) == 1


def test_a_transfer_coding_other_than_chunked_is_refused(transport: _http.HttpTransport) -> None:
    # http.client frames only chunked: anything else would come back still encoded, chunk lines and all.
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n" + b"a\r\n" + gzip.compress(b"{}")[:10]
    with raw(wire) as (base, _), pytest.raises(TransportError, match="transfer coding"):
        transport.request("GET", base + "/")


def test_a_second_transfer_coding_line_is_refused_too(transport: _http.HttpTransport) -> None:
    # http.client frames by the first line's "chunked"; the codings are read as one list, as a proxy would.
    wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
    with raw(wire) as (base, _), pytest.raises(TransportError, match="'chunked, gzip'"):
        transport.request("GET", base + "/")


def test_a_body_delimited_by_the_close_is_read_whole(transport: _http.HttpTransport) -> None:
    with raw(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end", OK) as (base, accepted):
        assert transport.request("GET", base + "/").body == b"until the end"
        assert transport.request("GET", base + "/").body == b"ok"
    assert len(accepted) == 2


def test_a_body_over_the_limit_is_refused_before_it_is_read() -> None:
    with raw(b"HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n") as (base, _), \
            _http.HttpTransport(proxies={}, max_response_bytes=1000) as small:
        with pytest.raises(_errors.ResponseTooLargeError, match="announces 999999999 bytes"):
            small.request("GET", base + "/")


def test_a_server_that_trickles_cannot_stretch_the_exchange_past_its_budget() -> None:
    # Every byte arrives well within the read timeout; only the budget over the whole exchange stops it.
    with raw(OK + b" " * 100, trickle_s=0.05) as (base, _), \
            _http.HttpTransport(proxies={}, read_timeout_s=2) as transport:
        started = time.monotonic()
        with pytest.raises(_errors.RequestTimeoutError) as info:
            transport.request("GET", base + "/", budget_s=0.5)
        assert time.monotonic() - started < 1.0
    assert info.value.phase == "read"


@pytest.mark.parametrize(("headers", "url"), [
    ({"X-Evil": "a\r\nX-Injected: 1"}, "/"),
    ({"Bad Name": "v"}, "/"),
    ({"X-Ok": "1", "X-Two:Parts": "v"}, "/"),
    ({"X-Wide": "snowman \u2603"}, "/"),
    ({}, "/a b"),
])
def test_what_http_cannot_carry_is_refused_before_anything_is_sent(
    transport: _http.HttpTransport, headers: dict[str, str], url: str
) -> None:
    with raw(OK) as (base, accepted):
        with pytest.raises(ValueError, match="cannot be written"):
            transport.request("GET", base + url, headers)
        assert accepted == []
