"""The Transport adapters docs/client.md shows for requests and httpx, and the AsyncTransport adapter for
httpx.AsyncClient, taken from the page as a reader copies them, driving the generated clients against the
scripted server (which checks every signature): signed calls in both versions, gzip, no redirect followed,
timeouts and refused connections as the package's errors, the body bound; a blocking adapter also through
the async client (in its worker threads), and a cancelled exchange of the async adapter. requests and httpx
come with the dev extra; the package itself needs neither."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import flavours
import pytest
from conftest import ROOT, doc_sample
from dts_precheck import client as client_module
from dts_precheck import errors
from dts_precheck.client import AsyncDtsClient, AsyncTransport, RetryPolicy, Transport
from scripted_server import Reply, scripted

SAMPLE = doc_sample()


def adapters() -> dict[str, Any]:
    """The page's adapter blocks, each up to its example, run in one namespace as a reader runs the page."""
    page = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")
    found = re.findall(r"^```python\n(.*?)^```", page, re.M | re.S)
    namespace: dict[str, Any] = {"__name__": "client_md_adapters"}
    for marker, example in (("class RequestsTransport", "\nfor stack in"),
                            ("class HttpxAsyncTransport", "\nasync def through_httpx")):
        block = next(b for b in found if marker in b)
        exec(compile(block.partition(example)[0], "docs/client.md", "exec"), namespace)
    return namespace


ADAPTERS = adapters()
# (adapter, client): the blocking adapters through both clients (the async one runs them in worker
# threads), the async adapter through the async client.
STACKS = [("RequestsTransport", "sync"), ("HttpxTransport", "sync"), ("RequestsTransport", "async"),
          ("HttpxAsyncTransport", "async")]


@pytest.fixture(params=STACKS, ids=[f"{a}-{f}" for a, f in STACKS])
def stack(request: pytest.FixtureRequest) -> Iterator[Any]:
    adapter, flavour = request.param
    made = ADAPTERS[adapter](read_s=0.5)
    flavours.use(flavour)
    yield made
    flavours.use("sync")
    if not asyncio.iscoroutinefunction(made.close):
        made.close()  # an async one is bound to the client's loop: the client's test view closes it there


def client(url: str, stack: Any, **kw: Any) -> Any:
    kw.setdefault("retry", RetryPolicy(max_attempts=2, base_delay_s=0.01))
    return flavours.make(client_module, endpoint=url, access_key_id="test-ak", access_key_secret="test-secret",
                         transport=stack, **kw)


def test_the_adapters_are_transports(stack: Any) -> None:
    is_async = asyncio.iscoroutinefunction(stack.request)
    assert isinstance(stack, AsyncTransport if is_async else Transport)
    assert is_async == isinstance(stack, ADAPTERS["HttpxAsyncTransport"])


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_signed_calls_go_through_the_adapter(stack: Any, version: str) -> None:
    with scripted(lambda r: Reply(200, SAMPLE, gzip=True)) as server, \
            client(server.url, stack, signature_version=version) as c:
        for _ in range(3):
            assert c.describe_pre_check_status(dts_job_id="job 1/*", job_code="01").to_dict() == SAMPLE
    assert [r.signature_error for r in server.requests] == [None] * 3
    assert server.requests[0].params["DtsJobId"] == "job 1/*" and server.connections == 1


def test_a_redirect_is_not_followed(stack: Any) -> None:
    with scripted(lambda r: Reply(302, b"", {"Location": "http://elsewhere.test/"})) as server, \
            client(server.url, stack) as c, pytest.raises(errors.NonApiResponseError) as info:
        c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert info.value.location == "http://elsewhere.test/" and server.calls() == 1


def test_a_timeout_is_the_packages_and_is_retried(stack: Any) -> None:
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=1.0)) as server, client(server.url, stack) as c, \
            pytest.raises(errors.RequestTimeoutError) as info:
        c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert server.calls() == 2 and "gave up after 2 attempts" in str(info.value)


def test_a_refused_connection_is_a_transport_error(stack: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with client(f"http://127.0.0.1:{port}", stack) as c, pytest.raises(errors.TransportError):
        c.describe_pre_check_status(dts_job_id="j", job_code="01")


def test_the_body_is_bounded(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ADAPTERS, "MAX_BODY", 1000)
    with scripted(lambda r: Reply(200, {"Pad": "x" * 5000}, gzip=True)) as server, client(server.url, stack) as c, \
            pytest.raises(errors.ResponseTooLargeError):
        c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert server.calls() == 1


def test_a_cancelled_exchange_of_the_async_adapter_leaves_no_connection_half_used() -> None:
    delays = iter([0.0, 3.0])
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=next(delays, 0.0))) as server:
        async def scenario() -> float:
            stack = ADAPTERS["HttpxAsyncTransport"]()
            async with AsyncDtsClient(endpoint=server.url, access_key_id="test-ak", access_key_secret="test-secret",
                                      transport=stack, retry=1) as c:
                await c.describe_pre_check_status(dts_job_id="j", job_code="01")
                slow = asyncio.create_task(c.describe_pre_check_status(dts_job_id="j", job_code="01"))
                await asyncio.sleep(0.2)
                slow.cancel()
                started = time.monotonic()
                with pytest.raises(asyncio.CancelledError):
                    await slow
                elapsed = time.monotonic() - started
                assert (await c.describe_pre_check_status(dts_job_id="j", job_code="01")).state == "Finished"
            await stack.close()
            return elapsed

        assert asyncio.run(scenario()) < 0.5
        assert [r.connection for r in server.requests] == [1, 1, 2]
