"""The generated clients driven through the emulator: every fault, signatures, STS expiry, the deadline,
pagination against honest and lying servers, XML, and the waiter through a precheck that moves.

One suite for both clients: each test runs with the blocking DtsClient and with AsyncDtsClient on an event
loop (tests/flavours.py). The emulator is a real server on loopback (generator.emulator); nothing here is
mocked.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import flavours
import pytest
from dts_precheck import client as client_module
from dts_precheck import errors
from dts_precheck.client import Credentials, RetryPolicy
from dts_precheck.errors import DeadlineExceeded
from fakes import FakeClock

from generator.emulator import Emulator

FAST = RetryPolicy(max_attempts=8, base_delay_s=0.01, max_delay_s=0.05, deadline_s=20,
                   retry_after_header="x-acs-retry-after")


@pytest.fixture(autouse=True, params=flavours.FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> Iterator[str]:
    flavours.use(request.param)
    yield request.param
    flavours.use("sync")


def client(server: Emulator, **kw: Any) -> Any:
    kw.setdefault("retry", FAST)
    kw.setdefault("access_key_id", server.access_key_id)
    kw.setdefault("access_key_secret", server.access_key_secret)
    return flavours.make(client_module, endpoint=server.url, **kw)


def items(c: Any, job: str, size: int) -> list[str]:
    return [i.id for i in c.paginate_describe_pre_check_status(dts_job_id=job, job_code="01",
                                                              page_size=size).items()]


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_every_item_of_a_large_job_exactly_once(version: str) -> None:
    with Emulator(seed=3) as server, client(server, signature_version=version) as c:
        server.add_job("big", items=537)
        got = items(c, "big", 50)
    assert len(got) == 537 and len(set(got)) == 537


def test_xml_over_v2_gives_the_same_models() -> None:
    with Emulator(seed=5) as server:
        server.add_job("j", items=7)
        with client(server) as j, client(server, signature_version="v2", response_format="XML") as x:
            as_json = j.describe_pre_check_status(dts_job_id="j", job_code="01")
            as_xml = x.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert as_xml.job_progress == as_json.job_progress and as_xml.total_record_count == 7


@pytest.mark.parametrize("faults", ["throttle:every=2:retry-after=20", "unavailable:every=2", "drop:every=2",
                                    "truncate:every=2", "malformed:every=2", "slow:ms=30:every=2",
                                    "throttle:rate=0.3,unavailable:rate=0.2,drop:rate=0.1"])
def test_retries_carry_the_client_through_each_fault(faults: str) -> None:
    with Emulator(seed=11, faults=faults) as server, client(server) as c:
        server.add_job("f", items=60)
        got = items(c, "f", 10)
        faulted = [r for r in server.records if r.get("faults")]
    assert got == sorted(got, key=int) and len(got) == 60
    assert faulted, "the fault struck at least once"


def test_throttling_honours_the_servers_retry_after() -> None:
    sleeps: list[float] = []
    with Emulator(faults="throttle:first=2:retry-after=1234") as server, \
            client(server, sleep=sleeps.append) as c:
        c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert sleeps == [1.234, 1.234]


def test_a_total_that_moves_mid_pagination_is_a_clear_error() -> None:
    with Emulator(faults="total-shift:after=1:delta=5") as server, client(server) as c:
        server.add_job("moving", items=30)
        with pytest.raises(errors.PaginationError, match="total changed"):
            items(c, "moving", 10)


def test_a_clamping_server_never_gets_a_past_the_end_request() -> None:
    """The paginator stops at the total, so a server that clamps (which the emulator's `clamp` fault does)
    never gets the chance to repeat a page; a lying total is covered by test_client's scripted servers."""
    with Emulator(faults="clamp") as server, client(server) as c:
        server.add_job("clamped", items=30)
        assert items(c, "clamped", 10) == [str(i) for i in range(1, 31)]
        pages = [int(r["params"]["PageNo"]) for r in server.records if "PageNo" in r.get("params", {})]
    assert pages == [1, 2, 3]


def test_the_deadline_bounds_a_slow_server() -> None:
    policy = RetryPolicy(max_attempts=50, base_delay_s=0.01, deadline_s=0.8)
    with Emulator(faults="slow:ms=300,unavailable") as server, client(server, retry=policy) as c:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded):
            c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert time.monotonic() - started < 1.3


def test_wrong_secret_is_rejected_with_the_gateway_error() -> None:
    with Emulator() as server, client(server, access_key_secret="wrong") as c:
        with pytest.raises(errors.DtsApiError) as info:
            c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert info.value.code == "SignatureDoesNotMatch" and info.value.http_status == 400


def test_expired_sts_token_is_refreshed_through_the_provider() -> None:
    with Emulator(keys=["sts-old:s1:tok-old:0", "sts-new:s2:tok-new:3600"]) as server:
        issued = iter([Credentials("sts-old", "s1", "tok-old"), Credentials("sts-new", "s2", "tok-new")])
        with client(server, access_key_id=None, access_key_secret=None, credentials_provider=lambda: next(issued),
                    retry=1) as c:
            assert c.describe_pre_check_status(dts_job_id="j", job_code="01").success is True
        verdicts = [r["verdict"] for r in server.records]
    assert verdicts[0] == "InvalidSecurityToken.Expired" and verdicts[-1] == "ok"


def test_unknown_job_raises_its_error_class() -> None:
    with Emulator() as server, client(server) as c:
        server.add_job("known", items=1)
        assert c.describe_pre_check_status(dts_job_id="known", job_code="01").total_record_count == 1


# ------------------------------------------------------------------ the waiter through a precheck that moves
def test_the_waiter_returns_when_the_precheck_passes() -> None:
    clock = FakeClock()  # the emulator's scenario and the client's waiter share it: no real waiting
    with Emulator(scenario="precheck-passes", clock=clock) as server, \
            client(server, clock=clock, sleep=clock.sleep) as c:
        seen: list[str] = []
        final = c.wait_for_pre_check("w-pass", on_progress=lambda r: seen.append(r.state))
    assert final.state == "Finished" and final.error_item == 0
    assert seen[0] == "NotStarted" and "Checking" in seen and seen[-1] == "Finished"
    assert min(clock.sleeps) >= 3  # never faster than the spec's minimum interval


def test_the_waiter_raises_with_the_failed_items_riding_out_throttling() -> None:
    clock = FakeClock()
    with Emulator(scenario="precheck-fails", clock=clock, faults="throttle:every=3") as server, \
            client(server, clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(errors.PreCheckFailedError) as info:
            c.wait_for_pre_check("w-fail")
        throttled = any(r["verdict"] == "Throttling.User" for r in server.records)
    assert len(info.value.failed_items) == 2 and all(i.state == "Failed" for i in info.value.failed_items)
    assert throttled


def test_the_waiter_ends_failed_when_the_precheck_aborts() -> None:
    clock = FakeClock()
    with Emulator(scenario="precheck-aborts", clock=clock) as server, \
            client(server, clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(errors.PreCheckFailedError) as info:
            c.wait_for_pre_check("w-abort")
    assert info.value.response.state == "Failed" and len(info.value.failed_items) == 1


def test_the_waiter_times_out_on_a_precheck_that_never_ends() -> None:
    clock = FakeClock()
    with Emulator(scenario="precheck-passes:step=1000", clock=clock) as server, \
            client(server, clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(errors.WaiterTimeoutError) as info:
            c.wait_for_pre_check("w-slow", timeout=30, poll_interval=10)
    assert info.value.last_response.state in ("NotStarted", "Checking") and sum(clock.sleeps) <= 30
