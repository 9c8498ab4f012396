"""The generated clients end to end over loopback: a real server that checks every signature.

Errors from the spec's table, retries with injected faults, the deadline, credentials refresh, secrets,
request validation, XML, gzip and keep-alive, pagination against honest and lying servers, the waiter.
Every test runs for both clients, the blocking one and the async one on an event loop (tests/flavours.py).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from typing import Any

import flavours
import pytest
from conftest import doc_sample
from dts_precheck import _spec, errors
from dts_precheck import client as client_module
from dts_precheck.client import Credentials, RetryPolicy
from dts_precheck.errors import DeadlineExceeded, EndpointError
from fakes import FakeClock
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from scripted_server import KEYS, Reply, Request, error, scripted

from generator.emulator.xml_writer import dict_to_xml

SAMPLE = doc_sample()


@pytest.fixture(autouse=True, params=flavours.FLAVOURS)
def flavour(request: pytest.FixtureRequest) -> Iterator[str]:
    flavours.use(request.param)
    yield request.param
    flavours.use("sync")


def make(**kw: Any) -> Any:
    """DtsClient or AsyncDtsClient (on its event loop), as the test's flavour says."""
    return flavours.make(client_module, **kw)


def client(url: str, **kw: Any) -> Any:
    kw.setdefault("access_key_id", "test-ak")
    kw.setdefault("access_key_secret", "test-secret")
    return flavours.make(client_module, endpoint=url, **kw)


def ok(req: Request) -> Reply:
    return Reply(200, SAMPLE)


def call(c: Any) -> Any:
    return c.describe_pre_check_status(dts_job_id="job-1", job_code="01")


# ---------------------------------------------------------------- the basic exchange
@pytest.mark.parametrize("version", ["v3", "v2"])
def test_signed_call_returns_the_typed_response(version: str) -> None:
    with scripted(ok) as server, client(server.url, signature_version=version) as c:
        response = call(c)
    assert response.to_dict() == SAMPLE
    req = server.requests[0]
    assert req.signature_error is None and req.key_id == "test-ak"
    assert req.params["DtsJobId"] == "job-1" and req.params["JobCode"] == "01"
    assert req.params.get("Action", req.headers.get("x-acs-action")) == _spec.ACTION


def test_keep_alive_reuses_one_connection_and_gzip_is_read() -> None:
    with scripted(lambda r: Reply(200, SAMPLE, gzip=True)) as server, client(server.url) as c:
        for _ in range(5):
            assert call(c).state == "Finished"
    assert server.connections == 1 and server.calls() == 5
    assert server.requests[0].headers["accept-encoding"] == "gzip"


def test_v2_xml_responses_parse_into_the_same_models() -> None:
    xml = dict_to_xml(_spec.RESPONSE_ROOT, SAMPLE, _spec.RESPONSE_SHAPE)
    with scripted(lambda r: Reply(200, xml, {"Content-Type": "text/xml"})) as server, \
            client(server.url, signature_version="v2", response_format="XML") as c:
        response = call(c)
    assert server.requests[0].params["Format"] == "XML"
    assert response.to_dict() == SAMPLE


# ---------------------------------------------------------------- errors from the spec's table
@pytest.mark.parametrize("code", sorted(_spec.ERROR_CODES))
def test_each_error_code_raises_its_class(code: str) -> None:
    _, refresh, statuses = _spec.ERROR_CODES[code]
    status = statuses[0] if statuses else 400
    with scripted(lambda r: error(code, status, "it failed")) as server, client(server.url, retry=1) as c:
        with pytest.raises(errors.DtsApiError) as info:
            call(c)
    exc = info.value
    assert type(exc) is errors.ERROR_CLASSES[code]
    assert (exc.code, exc.message, exc.http_status) == (code, "it failed", status)
    assert (exc.request_id, exc.host_id, exc.recommend) == ("REQ-1", "dts.test", "https://example.test/help")
    # one attempt, plus exactly one after a credentials refresh for the codes that ask for it
    assert server.calls() == (2 if refresh else 1)


def test_unknown_error_code_raises_the_base_class() -> None:
    with scripted(lambda r: error("Mystery.Code", 400)) as server, client(server.url) as c:
        with pytest.raises(errors.DtsApiError) as info:
            call(c)
    assert type(info.value) is errors.DtsApiError and server.calls() == 1


def test_success_false_is_an_error_even_with_http_200() -> None:
    body = {"Success": False, "Code": "InvalidJobId", "Message": "job gone", "RequestId": "R"}
    with scripted(lambda r: Reply(200, body)) as server, client(server.url) as c:
        with pytest.raises(errors.InvalidJobIdError) as info:
            call(c)
    assert info.value.http_status == 200


# ---------------------------------------------------------------- retries
def _sequence(*replies: Reply) -> Any:
    queue = list(replies)

    def behave(req: Request) -> Reply:
        return queue.pop(0) if queue else Reply(200, SAMPLE)

    return behave


def test_throttling_is_retried_honouring_retry_after() -> None:
    clock = FakeClock()
    throttle = error("Throttling.User", 400, **{"x-acs-retry-after": "1500"})
    with scripted(_sequence(throttle, throttle)) as server, \
            client(server.url, clock=clock, sleep=clock.sleep) as c:
        assert call(c).state == "Finished"
    assert server.calls() == 3 and clock.sleeps == [1.5, 1.5]


def test_backoff_is_exponential_with_full_jitter() -> None:
    clock = FakeClock()
    down = error("ServiceUnavailable", 500)
    policy = RetryPolicy(max_attempts=5, base_delay_s=0.2, max_delay_s=20, deadline_s=300)
    with scripted(_sequence(down, down, down, down)) as server, \
            client(server.url, retry=policy, clock=clock, sleep=clock.sleep) as c:
        assert call(c).state == "Finished"
    assert server.calls() == 5
    assert [0 <= s <= 0.2 * 2**i for i, s in enumerate(clock.sleeps)] == [True] * 4


def test_attempts_are_bounded() -> None:
    clock = FakeClock()
    with scripted(lambda r: error("ServiceUnavailable", 500)) as server, \
            client(server.url, retry=3, clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(errors.ServiceUnavailableError):
            call(c)
    assert server.calls() == 3


def test_dropped_connections_are_retried() -> None:
    with scripted(_sequence(Reply(drop=True), Reply(drop=True))) as server, \
            client(server.url, retry=RetryPolicy(max_attempts=3, base_delay_s=0.01)) as c:
        assert call(c).state == "Finished"
    assert server.calls() == 3


def test_a_request_the_server_read_on_a_dropped_keep_alive_connection_goes_again_freshly_signed() -> None:
    # The server may have seen the first nonce: resending the same signature could be refused.
    with scripted(_sequence(Reply(200, SAMPLE), Reply(drop=True))) as server, client(server.url, retry=1) as c:
        assert call(c).state == "Finished"
        assert call(c).state == "Finished"  # one attempt: the resend is the transport's, not a retry
    first, dropped, resent = server.requests
    assert dropped.connection == first.connection != resent.connection
    assert dropped.signature_error is None and resent.signature_error is None
    assert dropped.headers["x-acs-signature-nonce"] != resent.headers["x-acs-signature-nonce"]


def test_every_exchange_reaches_the_exchange_hook() -> None:
    """The call core hands each HTTP exchange to its hook (where recording plugs in): the stale send and
    its fresh resend, a failed attempt and its retry, each as sent and as answered."""
    seen: list[Any] = []
    replies = _sequence(Reply(200, SAMPLE), Reply(drop=True), error("ServiceUnavailable", 500))
    with scripted(replies) as server, client(server.url, retry=RetryPolicy(max_attempts=2, base_delay_s=0.01)) as c:
        getattr(c, "client", c)._on_exchange = seen.append  # the async client behind its test view
        call(c)
        call(c)
    outcomes = [x.response.status if x.response is not None else type(x.error).__name__ for x in seen]
    assert outcomes == [200, "StaleConnectionError", 500, 200]
    assert {x.action for x in seen} == {_spec.ACTION} and all(x.seconds >= 0 for x in seen)
    nonces = [x.request.headers["x-acs-signature-nonce"] for x in seen]
    assert len(set(nonces)) == 4 and nonces == [r.headers["x-acs-signature-nonce"] for r in server.requests]


def test_a_closed_client_refuses_calls_at_once() -> None:
    with scripted(ok) as server:
        c = client(server.url)
        call(c)
        c.close()
        with pytest.raises(errors.TransportError, match="the client is closed") as info:
            call(c)
    assert info.value.attempts is None and server.calls() == 1


def test_unparsable_body_raises_its_own_type_with_the_raw_body() -> None:
    raw = json.dumps(SAMPLE).encode()[:123]
    with scripted(lambda r: Reply(200, raw)) as server, \
            client(server.url, retry=RetryPolicy(max_attempts=2, base_delay_s=0.01)) as c:
        with pytest.raises(errors.ResponseParseError) as info:
            call(c)
    assert info.value.body == raw and info.value.http_status == 200 and server.calls() == 2


def test_read_timeout_is_a_transport_error() -> None:
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=1.0)) as server, \
            client(server.url, timeout=0.2, retry=1) as c:
        started = time.monotonic()
        with pytest.raises(errors.TransportError):
            call(c)
    assert time.monotonic() - started < 0.9


def test_connection_refused_is_a_transport_error() -> None:
    with scripted(ok) as server:
        url = server.url
    with client(url, retry=RetryPolicy(max_attempts=2, base_delay_s=0.01)) as c, \
            pytest.raises(errors.TransportError):
        call(c)


def test_deadline_bounds_the_whole_call_retries_included() -> None:
    slow_failure = Reply(500, {"Code": "ServiceUnavailable", "Message": "x"}, delay_s=0.25)
    policy = RetryPolicy(max_attempts=100, base_delay_s=0.05, max_delay_s=0.1, deadline_s=1.0)
    with scripted(lambda r: slow_failure) as server, client(server.url, retry=policy) as c:
        started = time.monotonic()
        with pytest.raises(DeadlineExceeded) as info:
            call(c)
        elapsed = time.monotonic() - started
    assert elapsed < 1.4, elapsed
    assert 2 <= server.calls() <= 5
    # the last attempt either failed on its own or was cut short by the budget the deadline left it
    assert isinstance(info.value.last_error, (errors.ServiceUnavailableError, errors.TransportError))


def test_expired_sts_token_refreshes_credentials_once() -> None:
    tokens = iter(["token-1", "token-2", "token-3"])
    issued: list[str] = []

    def provider() -> Credentials:
        issued.append(next(tokens))
        return Credentials("sts-ak", "sts-secret", issued[-1])

    with scripted(ok) as server:
        server.tokens_valid = {"token-2"}
        with client(server.url, access_key_id=None, access_key_secret=None, credentials_provider=provider,
                    retry=1) as c:
            assert call(c).state == "Finished"
    assert issued == ["token-1", "token-2"] and server.calls() == 2


def test_credentials_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    env = _spec.CREDENTIALS_ENV
    monkeypatch.setenv(env["access_key_id"], "test-ak")
    monkeypatch.setenv(env["access_key_secret"], "test-secret")
    with scripted(ok) as server, make(endpoint=server.url) as c:
        call(c)
    assert server.requests[0].key_id == "test-ak"


def test_secrets_never_appear(caplog: pytest.LogCaptureFixture) -> None:
    secret, token = KEYS["sts-ak"], "very-secret-token"
    caplog.set_level(logging.DEBUG)
    with scripted(lambda r: error("ServiceUnavailable", 500)) as server, \
            client(server.url, access_key_id="sts-ak", access_key_secret=secret, security_token=token,
                   retry=RetryPolicy(max_attempts=2, base_delay_s=0.01)) as c:
        with pytest.raises(errors.DtsApiError) as info:
            call(c)
        seen = [repr(c), str(c), str(info.value), repr(info.value), caplog.text,
                repr(c._credentials.get()), str(c._credentials.get())]
    assert caplog.records, "the client logs each attempt"
    for text in seen:
        assert secret not in text and token not in text


# ---------------------------------------------------------------- requests are checked before sending
@pytest.mark.parametrize(
    ("kwargs", "named"),
    [
        ({"job_code": "01"}, "DtsJobId"),
        ({"dts_job_id": "j", "job_code": "09"}, "JobCode"),
        ({"dts_job_id": "j", "job_code": "01", "page_no": 0}, "PageNo"),
        ({"dts_job_id": "j", "job_code": "01", "page_size": "20"}, "PageSize"),
        ({"dts_job_id": "j", "job_code": "01", "struct_type": "during"}, "StructType"),
        ({"dts_job_id": "j", "job_code": "01", "zero_etl_job": "yes"}, "ZeroEtlJob"),
    ],
)
def test_invalid_requests_are_refused_before_sending(kwargs: dict[str, Any], named: str) -> None:
    kwargs = {"dts_job_id": None, **kwargs}
    with scripted(ok) as server, client(server.url) as c:
        with pytest.raises(errors.RequestValidationError) as info:
            c.describe_pre_check_status(**kwargs)
    assert info.value.parameter.startswith(named) and server.calls() == 0


def test_booleans_and_integers_are_sent_as_text() -> None:
    with scripted(ok) as server, client(server.url) as c:
        c.describe_pre_check_status(dts_job_id="j", job_code="02", struct_type="before", page_no=3,
                                    page_size=50, zero_etl_job=True)
    p = server.requests[0].params
    assert (p["PageNo"], p["PageSize"], p["ZeroEtlJob"], p["StructType"]) == ("3", "50", "true", "before")


def test_endpoint_resolution() -> None:
    mapped = next(iter(_spec.REGIONS))
    with make(region_id=mapped, access_key_id="a", access_key_secret="b") as c:
        assert c.endpoint.host == _spec.REGIONS[mapped] and c.endpoint.scheme == "https"
    with make(region_id="xx-nowhere-9", access_key_id="a", access_key_secret="b") as other:
        assert other.endpoint.host == _spec.ENDPOINT_FALLBACK.format(region_id="xx-nowhere-9")
    with pytest.raises(EndpointError):
        make(access_key_id="a", access_key_secret="b")


# ---------------------------------------------------------------- pagination
class PagedJob:
    """Serves `items` page by page; `lie` makes it misbehave in one named way."""

    def __init__(self, items: int, lie: str = "honest") -> None:
        self.items = [{"Id": str(i), "Item": f"ITEM_{i}", "State": "Success"} for i in range(items)]
        self.lie = lie  # one misbehaviour, or several joined by "+"
        self.served = 0

    def __call__(self, req: Request) -> Reply:
        page, size = int(req.params.get("PageNo", "1")), int(req.params.get("PageSize", "20"))
        self.served += 1
        total = len(self.items)
        last = max(1, -(-total // size))
        if "clamp" in self.lie.split("+") and page > last:
            page = last
        if "clamp-silent" in self.lie.split("+") and page > last:
            page, answered = last, int(req.params["PageNo"])
        else:
            answered = page
        rows = self.items[(page - 1) * size: page * size]
        if "total-moves" in self.lie.split("+") and self.served > 1:
            total += 1
        if "repeat" in self.lie.split("+") and page > 1:
            rows = self.items[:size]
        if "empty-early" in self.lie.split("+") and page > 1:
            rows = []
        body = {"Success": True, "PageNumber": answered, "PageRecordCount": len(rows), "TotalRecordCount": total,
                "JobProgress": rows}
        if "no-total" in self.lie.split("+"):
            del body["TotalRecordCount"]
        return Reply(200, body)


@pytest.mark.parametrize(("items", "size"), [(0, 20), (1, 20), (20, 20), (21, 20), (95, 7), (100, 100)])
def test_paginator_yields_every_item_exactly_once(items: int, size: int) -> None:
    job = PagedJob(items)
    with scripted(job) as server, client(server.url) as c:
        got = [i.id for i in c.paginate_describe_pre_check_status(dts_job_id="j", job_code="01",
                                                                  page_size=size).items()]
    assert got == [str(i) for i in range(items)]
    assert server.calls() == max(1, -(-items // size))  # never a wasted request past the total


@pytest.mark.parametrize("lie", ["total-moves", "repeat", "empty-early", "clamp+no-total",
                                 "clamp-silent+no-total"])
def test_paginator_raises_a_clear_error_on_a_lying_server(lie: str) -> None:
    job = PagedJob(40, lie)
    with scripted(job) as server, client(server.url) as c:
        with pytest.raises(errors.PaginationError):
            list(c.paginate_describe_pre_check_status(dts_job_id="j", job_code="01", page_size=10).items())
    assert server.calls() <= 6


@pytest.mark.parametrize(("items", "size", "pages"), [(45, 10, 5), (40, 10, 5), (0, 10, 1), (3, 10, 1)])
def test_without_a_total_the_paginator_ends_at_a_short_or_empty_page(items: int, size: int, pages: int) -> None:
    job = PagedJob(items, "no-total")
    with scripted(job) as server, client(server.url) as c:
        # max_pages only bounds a broken paginator here; a correct one stops long before
        pager = c.paginate_describe_pre_check_status(dts_job_id="j", job_code="01", page_size=size, max_pages=50)
        got = [i.id for i in pager.items()]
    assert got == [str(i) for i in range(items)]
    assert server.calls() == pages


def test_paginator_max_pages_and_default_page_size() -> None:
    job = PagedJob(100, "no-total")
    with scripted(job) as server, client(server.url) as c:
        pages = list(c.paginate_describe_pre_check_status(dts_job_id="j", job_code="01", max_pages=2))
    assert len(pages) == 2 and server.calls() == 2
    assert server.requests[0].params["PageSize"] == "20"  # the spec's default: it declares no maximum


class PaginationMachine(RuleBasedStateMachine):
    """Server behaviours change between paginations; every run yields each item exactly once or raises
    PaginationError, and never fetches more pages than items allow (no hang)."""

    def __init__(self) -> None:
        super().__init__()
        self.job = PagedJob(0)
        self.ctx = scripted(self.job)
        self.server = self.ctx.__enter__()
        self.client = client(self.server.url, retry=1)

    @initialize(items=st.integers(0, 60))
    def start(self, items: int) -> None:
        self.job.items = [{"Id": str(i), "State": "Success"} for i in range(items)]

    @rule(items=st.integers(0, 60))
    def resize(self, items: int) -> None:
        self.job.items = [{"Id": str(i), "State": "Success"} for i in range(items)]

    @rule(lie=st.sampled_from(["honest", "clamp", "clamp-silent", "total-moves", "repeat", "empty-early",
                               "no-total", "clamp+no-total", "clamp-silent+no-total", "repeat+no-total"]))
    def misbehave(self, lie: str) -> None:
        self.job.lie = lie

    @rule(size=st.integers(1, 25))
    def paginate(self, size: int) -> None:
        before = self.server.calls()
        pager = self.client.paginate_describe_pre_check_status(dts_job_id="j", job_code="01", page_size=size)
        expected = [row["Id"] for row in self.job.items]
        try:
            got = [i.id for i in pager.items()]
        except errors.PaginationError:
            assert self.job.lie != "honest"
        else:
            assert got == expected, (self.job.lie, size)
        assert self.server.calls() - before <= len(expected) // size + 2

    def teardown(self) -> None:
        self.client.close()
        self.ctx.__exit__(None, None, None)


def test_pagination_against_a_server_that_changes_its_ways() -> None:
    run_state_machine_as_test(PaginationMachine,
                              settings=settings(max_examples=25, stateful_step_count=8, deadline=None))


# ---------------------------------------------------------------- the waiter
def _states(*steps: tuple[str, list[dict[str, Any]]], error_item: int = 0) -> Any:
    seq = list(steps)

    def behave(req: Request) -> Reply:
        state, rows = seq.pop(0) if len(seq) > 1 else seq[0]
        page, size = int(req.params.get("PageNo", "1")), int(req.params.get("PageSize", "20"))
        chunk = rows[(page - 1) * size: page * size]
        return Reply(200, {"Success": True, "State": state, "ErrorItem": error_item, "PageNumber": page,
                           "TotalRecordCount": len(rows), "JobProgress": chunk})

    return behave


def test_waiter_polls_until_finished_never_faster_than_the_minimum() -> None:
    clock = FakeClock()
    seen: list[str] = []
    steps = [("NotStarted", []), ("Checking", [{"Item": "A", "State": "Checking"}]),
             ("Checking", [{"Item": "A", "State": "Success"}]), ("Finished", [{"Item": "A", "State": "Success"}])]
    with scripted(_states(*steps)) as server, client(server.url, clock=clock, sleep=clock.sleep) as c:
        final = c.wait_for_pre_check("job-1", poll_interval=0.01, on_progress=lambda r: seen.append(r.state))
    assert final.state == "Finished" and seen == ["NotStarted", "Checking", "Checking", "Finished"]
    assert server.calls() == 4 and clock.sleeps == [3.0, 3.0, 3.0]
    assert {r.params["JobCode"] for r in server.requests} == {"01"}


def test_waiter_raises_with_every_failed_item_across_pages() -> None:
    clock = FakeClock()
    rows = [{"Item": f"CHECK_{i}", "State": "Failed" if i % 10 == 3 else "Success", "ErrMsg": f"bad {i}",
             "RepairMethod": f"fix {i}"} for i in range(45)]
    with scripted(_states(("Checking", []), ("Failed", rows), error_item=5)) as server, \
            client(server.url, clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(errors.PreCheckFailedError) as info:
            c.wait_for_pre_check("job-1")
    failed = info.value.failed_items
    assert [i.item for i in failed] == ["CHECK_3", "CHECK_13", "CHECK_23", "CHECK_33", "CHECK_43"]
    assert "CHECK_13 | bad 13 | fix 13" in str(info.value)
    assert info.value.response.state == "Failed"


def test_waiter_treats_finished_with_failures_as_failed() -> None:
    clock = FakeClock()
    rows = [{"Item": "X", "State": "Failed", "ErrMsg": "m", "RepairMethod": "r"}]
    with scripted(_states(("Finished", rows), error_item=1)) as server, \
            client(server.url, clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(errors.PreCheckFailedError):
            c.wait_for_pre_check("job-1")


def test_waiter_times_out_with_the_last_response() -> None:
    clock = FakeClock()
    with scripted(_states(("Checking", []))) as server, client(server.url, clock=clock, sleep=clock.sleep) as c:
        with pytest.raises(errors.WaiterTimeoutError) as info:
            c.wait_for_pre_check("job-1", timeout=20, poll_interval=5)
    assert info.value.last_response.state == "Checking"
    # polls at 0, 5, 10, 15 and 20 s (one fewer if a transport hiccup's retry pause used up time)
    assert sum(clock.sleeps) <= 20 and server.calls() in (4, 5)


def test_waiter_backs_off_while_throttled() -> None:
    clock = FakeClock()
    throttled = iter([True, True, True, False])

    def behave(req: Request) -> Reply:
        if next(throttled, False):
            return error("Throttling.User", 400)
        return Reply(200, {"State": "Finished", "ErrorItem": 0, "JobProgress": []})

    with scripted(behave) as server, client(server.url, retry=1, clock=clock, sleep=clock.sleep) as c:
        assert c.wait_for_pre_check("job-1", poll_interval=5).state == "Finished"
    assert clock.sleeps == [10.0, 20.0, 40.0] and server.calls() == 4
