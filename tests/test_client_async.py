"""What only the async client has: cancellation, many calls on one event loop, the deadline held by the loop,
no thread held while it waits, its transports and arguments. Everything both clients share runs for both in
test_client.py and test_client_emulator.py; here the event loop is driven by the tests themselves.

Real HTTP over loopback throughout (the scripted server, the emulator); nothing is mocked.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections.abc import Mapping
from typing import Any

import pytest
from conftest import doc_sample
from dts_precheck import errors
from dts_precheck.client import (
    AsyncDtsClient,
    AsyncTransport,
    Credentials,
    DtsClient,
    HttpTransport,
    Response,
    RetryPolicy,
    ThreadedTransport,
)
from scripted_server import Reply, Request, scripted

from generator.emulator import Emulator

SAMPLE = doc_sample()
CHECKING = {"Success": True, "State": "Checking", "ErrorItem": 0, "JobProgress": [], "TotalRecordCount": 0}


def aclient(url: str, **kw: Any) -> AsyncDtsClient:
    kw.setdefault("access_key_id", "test-ak")
    kw.setdefault("access_key_secret", "test-secret")
    return AsyncDtsClient(endpoint=url, **kw)


async def call(c: AsyncDtsClient, job: str = "job-1") -> Any:
    return await c.describe_pre_check_status(dts_job_id=job, job_code="01")


def one_worker() -> ThreadedTransport:
    """The default transport's make-up, with one worker thread: anything holding it shows at once."""
    return ThreadedTransport(HttpTransport(), max_workers=1)


# ---------------------------------------------------------------- cancellation
def test_cancelling_a_call_stops_it_at_once_and_its_connection_is_never_reused() -> None:
    """The slow exchange's task is cancelled: the task ends at once, its worker thread is freed at once
    (the exchange's socket is shut down), and the next call goes on a fresh connection."""
    delays = iter([0.0, 3.0])

    def behave(req: Request) -> Reply:
        return Reply(200, SAMPLE, delay_s=next(delays, 0.0))

    async def scenario(url: str) -> tuple[float, float]:
        transport = one_worker()
        async with aclient(url, transport=transport, retry=1) as c:
            await call(c)  # connection 1, back in the pool
            slow = asyncio.create_task(call(c))
            await asyncio.sleep(0.2)  # the slow exchange is under way on connection 1
            started = time.monotonic()
            slow.cancel()
            with pytest.raises(asyncio.CancelledError):
                await slow
            cancelled_in = time.monotonic() - started
            started = time.monotonic()
            assert (await call(c)).state == "Finished"  # the one worker thread is free again
            next_call_in = time.monotonic() - started
        await transport.close()
        return cancelled_in, next_call_in

    with scripted(behave) as server:
        cancelled_in, next_call_in = asyncio.run(scenario(server.url))
        connections = [r.connection for r in server.requests]
    assert cancelled_in < 0.5 and next_call_in < 1.0, (cancelled_in, next_call_in)
    assert connections == [1, 1, 2]  # the cancelled exchange's connection was closed, not pooled half-read


def test_cancelling_a_waiter_stops_it_while_it_sleeps() -> None:
    with scripted(lambda r: Reply(200, CHECKING)) as server:
        async def scenario() -> float:
            async with aclient(server.url) as c:
                waiter = asyncio.create_task(c.wait_for_pre_check("job-1", poll_interval=30))
                while server.calls() < 1:
                    await asyncio.sleep(0.01)
                await asyncio.sleep(0.05)  # asleep until the next poll, 30 s away
                started = time.monotonic()
                waiter.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await waiter
                return time.monotonic() - started

        assert asyncio.run(scenario()) < 0.5
        assert server.calls() == 1


def test_a_waiter_holds_no_thread_while_it_waits() -> None:
    """With a single worker thread, calls go through while a waiter sleeps between polls."""
    polls: list[str] = []

    with scripted(lambda r: Reply(200, CHECKING if len(polls) < 2 else SAMPLE)) as server:
        async def scenario() -> None:
            asleep, wake = asyncio.Event(), asyncio.Event()

            async def sleep(seconds: float) -> None:
                asleep.set()
                await wake.wait()

            async with aclient(server.url, transport=one_worker(), sleep=sleep) as c:
                waiter = asyncio.create_task(c.wait_for_pre_check("job-1", on_progress=lambda r: polls.append(r.state)))
                await asyncio.wait_for(asleep.wait(), 5)
                for _ in range(3):  # the waiter is asleep: the one thread is free for these
                    assert (await asyncio.wait_for(call(c, "other"), 5)).state in ("Checking", "Finished")
                wake.set()
                assert (await asyncio.wait_for(waiter, 5)).state == "Finished"

        asyncio.run(scenario())
    assert polls[0] == "Checking" and polls[-1] == "Finished"


# ---------------------------------------------------------------- many calls on one loop
def test_200_concurrent_calls_on_one_event_loop_against_the_emulator() -> None:
    async def scenario(server: Emulator) -> tuple[list[Any], int]:
        async with AsyncDtsClient(endpoint=server.url, access_key_id=server.access_key_id,
                                  access_key_secret=server.access_key_secret, retry=1) as c:
            everything = asyncio.gather(*(call(c, f"job-{i % 7}") for i in range(200)), return_exceptions=True)
            results = await asyncio.wait_for(everything, 60)  # a call left waiting fails here, not by hanging
            opened = c._transport.transport.connections_opened
        return results, opened

    with Emulator(seed=1) as server:
        for i in range(7):
            server.add_job(f"job-{i}", items=3 + i)
        results, opened = asyncio.run(scenario(server))
        verdicts = [r["verdict"] for r in server.records]
    failures = [r for r in results if isinstance(r, BaseException)]
    assert not failures, failures[:3]
    assert [r.total_record_count for r in results] == [3 + i % 7 for i in range(200)]
    assert verdicts == ["ok"] * 200
    assert opened <= 16  # the bounded pool: never more connections than worker threads


# ---------------------------------------------------------------- the deadline on the loop
class OverrunningTransport:
    """An AsyncTransport on httpx.AsyncClient that ignores the budget it is given (it waits its own 10 s
    read timeout): the client's deadline must still hold, by the event loop."""

    def __init__(self) -> None:
        import httpx

        self.client = httpx.AsyncClient(timeout=10)

    async def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes, *,
                      budget_s: float) -> Response:
        r = await self.client.request(method, url, headers=dict(headers), content=body)
        return Response(r.status_code, r.headers.multi_items(), r.content, r.reason_phrase)

    async def close(self) -> None:
        await self.client.aclose()


def test_the_deadline_holds_on_the_loop_even_when_the_transport_overruns_its_budget() -> None:
    policy = RetryPolicy(max_attempts=5, base_delay_s=0.01, deadline_s=0.6)

    async def scenario(url: str) -> tuple[BaseException, float]:
        transport = OverrunningTransport()
        async with aclient(url, transport=transport, retry=policy) as c:
            started = time.monotonic()
            with pytest.raises((errors.DeadlineExceeded, errors.RequestTimeoutError)) as info:
                await call(c)
            elapsed = time.monotonic() - started
        await transport.close()
        return info.value, elapsed

    with scripted(lambda r: Reply(200, SAMPLE, delay_s=2.0)) as server:
        raised, elapsed = asyncio.run(scenario(server.url))
    assert elapsed < 1.5, elapsed  # the server answers after 2 s, the transport would wait 10
    assert "deadline" in str(raised)


def test_a_timeout_of_the_default_transport_holds_under_the_loop() -> None:
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=1.0)) as server:
        async def scenario() -> float:
            async with aclient(server.url, timeout=0.2, retry=1) as c:
                started = time.monotonic()
                with pytest.raises(errors.RequestTimeoutError):
                    await call(c)
                return time.monotonic() - started

        assert asyncio.run(scenario()) < 0.9


# ---------------------------------------------------------------- transports and arguments
def test_the_client_closes_its_own_transport_and_not_one_it_is_given() -> None:
    with scripted(lambda r: Reply(200, SAMPLE)) as server:
        async def scenario() -> None:
            async with aclient(server.url) as own:
                await call(own)
            with pytest.raises(errors.TransportError, match="the client is closed") as info:
                await call(own)
            assert info.value.attempts is None  # refused before any attempt, not retried
            given = HttpTransport()  # a blocking Transport: the client runs it in worker threads
            async with aclient(server.url, transport=given) as through:
                await call(through)
            assert given.request("POST", server.url + "/").status  # still open: it is the caller's
            given.close()

        asyncio.run(scenario())


def test_an_async_transport_is_one_and_a_threaded_one_too() -> None:
    assert isinstance(OverrunningTransport(), AsyncTransport)
    assert isinstance(ThreadedTransport(HttpTransport()), AsyncTransport)


@pytest.mark.parametrize(("kwargs", "parameter", "says"), [
    ({"sleep": time.sleep}, "sleep", "async function"),
    ({"transport": object()}, "transport", "AsyncTransport"),
    ({"timeout": 3, "transport": HttpTransport()}, "timeout", "transport you pass"),
    ({"retry": 0}, "retry", "at least 1"),
    ({"endpoint": "http://[::1"}, "endpoint", "not a URL"),
])
def test_arguments_are_checked_when_the_client_is_made(kwargs: dict[str, Any], parameter: str, says: str) -> None:
    kwargs = {"url": "http://127.0.0.1:9", **kwargs}
    if "endpoint" in kwargs:
        kwargs["url"] = kwargs.pop("endpoint")
    with pytest.raises(errors.RequestValidationError) as info:
        aclient(**kwargs)
    assert info.value.parameter == parameter and says in str(info.value)


def test_a_threaded_transport_checks_what_it_is_given() -> None:
    with pytest.raises(errors.RequestValidationError, match="max_workers"):
        ThreadedTransport(HttpTransport(), max_workers=0)
    with pytest.raises(errors.RequestValidationError, match="Transport protocol"):
        ThreadedTransport(object())  # type: ignore[arg-type]


def test_a_call_cancelled_while_it_waits_for_a_thread_is_never_sent() -> None:
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=0.5)) as server:
        async def scenario() -> None:
            async with aclient(server.url, transport=one_worker(), retry=1) as c:
                await call(c, "first")  # the credentials resolved: the next two queue in the order they start
                occupying = asyncio.create_task(call(c, "a"))
                waiting = asyncio.create_task(call(c, "b"))
                await asyncio.sleep(0.1)
                waiting.cancel()
                assert (await occupying).state == "Finished"
                with pytest.raises(asyncio.CancelledError):
                    await waiting
                assert (await call(c, "c")).state == "Finished"  # after the cancelled job, taken and dropped

        asyncio.run(scenario())
        assert [r.params["DtsJobId"] for r in server.requests] == ["first", "a", "c"]
        assert [r.connection for r in server.requests] == [1, 1, 1]  # not even a connection spent on it


def test_closing_fails_the_calls_still_waiting_for_a_thread() -> None:
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=0.3)) as server:
        async def scenario() -> None:
            transport = one_worker()
            async with aclient(server.url, transport=transport, retry=1) as c:
                await call(c, "first")
                occupying = asyncio.create_task(call(c, "a"))
                waiting = asyncio.create_task(call(c, "b"))
                await asyncio.sleep(0.1)
                await transport.close()
                with pytest.raises(errors.TransportError, match="the transport is closed"):
                    await waiting
                assert (await occupying).state == "Finished"  # the exchange in flight ends
                with pytest.raises(errors.TransportError, match="the transport is closed"):
                    await call(c, "c")

        asyncio.run(scenario())
        assert [r.params["DtsJobId"] for r in server.requests] == ["first", "a"]


def test_the_threads_of_a_transport_never_closed_stop_when_it_is_collected() -> None:
    import gc

    def exchange_threads() -> int:
        return sum(t.name.startswith("http-exchange-") for t in threading.enumerate())

    before = exchange_threads()
    with scripted(lambda r: Reply(200, SAMPLE)) as server:
        async def scenario() -> None:
            transport = ThreadedTransport(HttpTransport(), max_workers=3)
            await asyncio.gather(*(transport.request("POST", server.url + "/", {}, b"", budget_s=5) for _ in range(3)))
            assert exchange_threads() == before + 3

        asyncio.run(scenario())
    gc.collect()
    deadline = time.monotonic() + 5
    while exchange_threads() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert exchange_threads() == before


def test_a_credentials_provider_runs_off_the_event_loop() -> None:
    where: list[str] = []

    def provider() -> Credentials:
        where.append(threading.current_thread().name)
        return Credentials("test-ak", "test-secret")

    with scripted(lambda r: Reply(200, SAMPLE)) as server:
        async def scenario() -> None:
            async with AsyncDtsClient(endpoint=server.url, credentials_provider=provider) as c:
                await call(c)
                await call(c)

        asyncio.run(scenario())
    assert len(where) == 1 and where[0] != threading.current_thread().name  # once, and in a worker thread


def test_an_async_on_progress_is_awaited() -> None:
    seen: list[str] = []

    async def progress(response: Any) -> None:
        await asyncio.sleep(0)
        seen.append(response.state)

    async def no_wait(seconds: float) -> None:
        pass

    states = iter(["Checking", "Checking"])
    with scripted(lambda r: Reply(200, {**SAMPLE, "State": next(states, "Finished"), "ErrorItem": 0})) as server:
        async def scenario() -> Any:
            async with aclient(server.url, sleep=no_wait) as c:
                return await c.wait_for_pre_check("job-1", on_progress=progress)

        assert asyncio.run(scenario()).state == "Finished"
    assert seen == ["Checking", "Checking", "Finished"]


def test_the_async_client_is_the_blocking_ones_twin() -> None:
    """Same operations, same parameters, as coroutines; paginators and waiters alike."""
    import inspect

    for name, method in inspect.getmembers(DtsClient, inspect.isfunction):
        if name.startswith("_") or name == "close":
            continue
        twin = getattr(AsyncDtsClient, name)
        assert inspect.signature(twin).parameters.keys() == inspect.signature(method).parameters.keys(), name
        assert inspect.iscoroutinefunction(twin) != name.startswith("paginate_"), name
    assert inspect.iscoroutinefunction(AsyncDtsClient.close)
    assert math.isinf(RetryPolicy().deadline_s or math.inf)
