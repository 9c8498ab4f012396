"""The generated client driven through the emulator: every fault, signatures, STS expiry, pagination, XML.

The emulator is a real server on loopback (generator.emulator); nothing here is mocked.
"""

from __future__ import annotations

import time

import pytest
from dts_precheck import errors
from dts_precheck.client import Credentials, DtsClient, RetryPolicy
from dts_precheck.errors import DeadlineExceeded

from generator.emulator import Emulator

FAST = RetryPolicy(max_attempts=8, base_delay_s=0.01, max_delay_s=0.05, deadline_s=20,
                   retry_after_header="x-acs-retry-after")


def client(server: Emulator, **kw: object) -> DtsClient:
    kw.setdefault("retry", FAST)
    return DtsClient(endpoint=server.url, access_key_id=server.access_key_id,
                     access_key_secret=server.access_key_secret, **kw)  # type: ignore[arg-type]


def items(c: DtsClient, job: str, size: int) -> list[str]:
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
    with Emulator() as server, DtsClient(endpoint=server.url, access_key_id=server.access_key_id,
                                         access_key_secret="wrong") as c:
        with pytest.raises(errors.DtsApiError) as info:
            c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert info.value.code == "SignatureDoesNotMatch" and info.value.http_status == 400


def test_expired_sts_token_is_refreshed_through_the_provider() -> None:
    with Emulator(keys=["sts-old:s1:tok-old:0", "sts-new:s2:tok-new:3600"]) as server:
        issued = iter([Credentials("sts-old", "s1", "tok-old"), Credentials("sts-new", "s2", "tok-new")])
        with DtsClient(endpoint=server.url, credentials_provider=lambda: next(issued), retry=1) as c:
            assert c.describe_pre_check_status(dts_job_id="j", job_code="01").success is True
        verdicts = [r["verdict"] for r in server.records]
    assert verdicts[0] == "InvalidSecurityToken.Expired" and verdicts[-1] == "ok"


def test_unknown_job_raises_its_error_class() -> None:
    with Emulator() as server, client(server) as c:
        server.add_job("known", items=1)
        assert c.describe_pre_check_status(dts_job_id="known", job_code="01").total_record_count == 1
