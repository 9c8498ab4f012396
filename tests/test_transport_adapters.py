"""The Transport adapters docs/client.md shows for requests and httpx, and the AsyncTransport adapters for
httpx.AsyncClient and aiohttp.ClientSession, taken from the page as a reader copies them, driving the
generated clients against the scripted server (which checks every signature): signed calls in both
versions, gzip, no redirect followed, timeouts and refused connections as the package's errors, the body
bound; a blocking adapter also through the async client (in its worker threads), and a cancelled exchange
of each async adapter. requests, httpx and aiohttp come with the dev extra; the package needs none of them."""

from __future__ import annotations

import asyncio
import re
import socket
import time
from collections.abc import Iterator
from typing import Any

import flavours
import pytest
from conftest import doc_sample
from dts_precheck import client as client_module
from dts_precheck import errors
from dts_precheck.client import AsyncDtsClient, AsyncTransport, RetryPolicy, Transport
from scripted_server import Reply, scripted

from tools.docs_adapters import adapters

SAMPLE = doc_sample()
ADAPTERS = adapters()
ASYNC_ADAPTERS = ("HttpxAsyncTransport", "AiohttpTransport")
# (adapter, client): the blocking adapters through both clients (the async one runs them in worker
# threads), the async adapters through the async client.
STACKS = [("RequestsTransport", "sync"), ("HttpxTransport", "sync"), ("RequestsTransport", "async"),
          *((adapter, "async") for adapter in ASYNC_ADAPTERS)]


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
    assert is_async == isinstance(stack, tuple(ADAPTERS[name] for name in ASYNC_ADAPTERS))


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_signed_calls_go_through_the_adapter(stack: Any, version: str) -> None:
    with scripted(lambda r: Reply(200, SAMPLE, gzip=True)) as server, \
            client(server.url, stack, signature_version=version) as c:
        for _ in range(3):
            assert c.describe_pre_check_status(dts_job_id="job 1/*", job_code="01").to_dict() == SAMPLE
    assert [r.signature_error for r in server.requests] == [None] * 3
    assert server.requests[0].params["DtsJobId"] == "job 1/*" and server.connections == 1
    # and the query went out byte for byte as signed (left to itself, aiohttp would send "/" and "*" bare)
    assert all(re.search(r"[?&]DtsJobId=job%201%2F%2A(&|$)", r.target) for r in server.requests)


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


@pytest.mark.parametrize("adapter", ASYNC_ADAPTERS)
def test_a_cancelled_exchange_of_an_async_adapter_leaves_no_connection_half_used(adapter: str) -> None:
    delays = iter([0.0, 3.0])
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=next(delays, 0.0))) as server:
        async def scenario() -> float:
            stack = ADAPTERS[adapter]()
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


@pytest.mark.parametrize("adapter", ASYNC_ADAPTERS)
def test_an_async_adapter_cancelled_in_the_middle_of_a_body_closes_that_connection(adapter: str) -> None:
    def behave(r: Any) -> Reply:  # /stall: the head and 2 of the body's 1,000 bytes, then nothing
        return Reply(200, b"{" * 1000, cut_body_at=2) if r.path == "/stall" else Reply(200, b"{}")

    with scripted(behave, keys=None, idle_timeout_s=5) as server:
        url = server.url

        async def scenario() -> list[int]:
            stack = ADAPTERS[adapter]()
            statuses = [(await stack.request("GET", f"{url}/", {}, b"", budget_s=5)).status]
            stalled = asyncio.create_task(stack.request("GET", f"{url}/stall", {}, b"", budget_s=5))
            while not any(r.path == "/stall" for r in server.requests):
                await asyncio.sleep(0.01)
            await asyncio.sleep(0.1)  # the head read, the adapter waits for the rest of the body
            stalled.cancel()
            with pytest.raises(asyncio.CancelledError):
                await stalled
            statuses.append((await stack.request("GET", f"{url}/", {}, b"", budget_s=5)).status)
            await stack.close()
            return statuses

        assert asyncio.run(scenario()) == [200, 200]
        assert server.connections == 2  # the half-read connection was closed, not pooled for the last request


def test_the_aiohttp_adapter_closes_the_session_it_made_and_leaves_yours_open() -> None:
    import aiohttp

    with scripted(lambda r: Reply(200, b"{}"), keys=None) as server:
        async def on_a_loop(stack: Any) -> int:
            status = (await stack.request("GET", f"{server.url}/", {}, b"", budget_s=5)).status
            await stack.close()
            return int(status)

        made = ADAPTERS["AiohttpTransport"]()
        assert [asyncio.run(on_a_loop(made)) for _ in range(2)] == [200, 200]  # a new session on each loop
        assert made.session is None

        async def yours() -> tuple[int, bool]:
            async with aiohttp.ClientSession() as session:
                status = await on_a_loop(ADAPTERS["AiohttpTransport"](session))
                return status, session.closed

        assert asyncio.run(yours()) == (200, False)
    assert server.calls() == 3
