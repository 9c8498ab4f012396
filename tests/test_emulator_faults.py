"""Emulator faults: each one, their triggers, determinism by seed, and combinations."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

import pytest

from generator.emulator import Emulator, FaultSpecError, parse_faults
from generator.emulator.client import Caller

ACTION = "DescribePreCheckStatus"
VERSION = "2020-01-01"
BASE = {"DtsJobId": "job-1", "JobCode": "01"}


def caller(server: Emulator) -> Caller:
    return Caller(server.url, ACTION, VERSION, server.access_key_id, server.access_key_secret)


def statuses(server: Emulator, n: int, **params: Any) -> list[int]:
    with caller(server) as c:
        return [c.request({**BASE, **params}).status for _ in range(n)]


@pytest.mark.parametrize(("spec", "message"), [
    ("explode", "unknown fault 'explode'"),
    ("throttle:often", "unknown option 'often'"),
    ("throttle:every=0", "every must be at least 1"),
    ("throttle:every=x", "every must be an integer"),
    ("throttle:rate=1.5", "at most 1"),
    ("throttle:every=2:rate=0.5", "one of every, rate, first"),
    ("slow,slow", "given twice"),
    ("clamp:every=2", "unknown option 'every=2'"),
    ("unavailable:status=200", "at least 400"),
])
def test_bad_fault_specs_are_refused_with_the_reason(spec: str, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        parse_faults(spec)


def test_fault_specs_parse_and_describe() -> None:
    from generator.emulator import FaultPlan

    plan = FaultPlan.parse("throttle:every=3:retry-after=500, slow:rate=0.25:ms=20,total-shift:delta=-2,clamp")
    assert plan.describe() == "throttle:every=3:retry-after=500,slow:rate=0.25:ms=20,total-shift:delta=-2,clamp"
    assert plan.shift == (1, -2) and plan.clamp
    assert not FaultPlan.parse("")


@pytest.mark.mock_server(faults="throttle:every=3:retry-after=750")
def test_throttle_every_nth_request_with_retry_after(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        answers = [c.request(BASE) for _ in range(7)]
    assert [a.status for a in answers] == [200, 200, 400, 200, 200, 400, 200]
    throttled = answers[2]
    assert throttled.json()["Code"] == "Throttling.User"
    assert throttled.headers["x-acs-retry-after"] == "750"
    assert "x-acs-retry-after" not in answers[0].headers
    assert [r["faults"] for r in mock_server.records][:3] == [[], [], ["throttle"]]


@pytest.mark.mock_server(faults="throttle:first=2:status=429")
def test_throttle_first_requests_with_429(mock_server: Emulator) -> None:
    assert statuses(mock_server, 4) == [429, 429, 200, 200]


@pytest.mark.mock_server(faults="unavailable:every=1:count=2")
def test_unavailable_with_a_count(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        answers = [c.request(BASE) for _ in range(4)]
    assert [a.status for a in answers] == [500, 500, 200, 200]
    assert answers[0].json()["Code"] == "ServiceUnavailable"


def test_rate_faults_are_deterministic_by_seed() -> None:
    runs = []
    for seed in (3, 3, 4):
        with Emulator(seed=seed, faults="throttle:rate=0.5") as server:
            runs.append(statuses(server, 40))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    assert 8 < runs[0].count(400) < 32


@pytest.mark.mock_server(faults="slow:ms=150:every=2")
def test_slow_answers(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        took = []
        for _ in range(2):
            started = time.perf_counter()
            assert c.request(BASE).status == 200
            took.append(time.perf_counter() - started)
    assert took[1] >= 0.15
    fast, slow = (r["latency_ms"] for r in mock_server.records)
    assert slow >= 150 > fast and mock_server.records[1]["faults"] == ["slow"]


@pytest.mark.mock_server(faults="drop:every=2")
def test_dropped_connections(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        assert c.request(BASE).status == 200
        with pytest.raises((http.client.RemoteDisconnected, ConnectionError)):
            c.request(BASE)
        assert c.request(BASE).status == 200  # a new connection
    assert mock_server.records[1]["verdict"] == "ok" and mock_server.records[1]["status"] is None
    assert mock_server.records[1]["faults"] == ["drop"]


@pytest.mark.mock_server(faults="truncate:every=2")
def test_truncated_bodies(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        assert c.request(BASE).status == 200
        with pytest.raises(http.client.IncompleteRead):
            c.request(BASE)
        assert c.request(BASE).status == 200


@pytest.mark.mock_server(faults="malformed:every=2")
def test_malformed_json(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        good, bad = c.request(BASE), c.request(BASE)
    assert good.json()["JobProgress"]
    assert bad.status == 200 and bad.headers["content-length"] == str(len(bad.body))
    with pytest.raises(json.JSONDecodeError):
        bad.json()


@pytest.mark.mock_server(faults="total-shift:after=1:delta=5")
def test_total_grows_mid_pagination(mock_server: Emulator) -> None:
    mock_server.add_job("growing", items=10)
    with caller(mock_server) as c:
        first = c.request({**BASE, "DtsJobId": "growing", "PageSize": 4}).json()
        second = c.request({**BASE, "DtsJobId": "growing", "PageSize": 4, "PageNo": 2}).json()
        third = c.request({**BASE, "DtsJobId": "growing", "PageSize": 4, "PageNo": 4}).json()
    assert first["TotalRecordCount"] == 10 and second["TotalRecordCount"] == 15
    assert [i["Id"] for i in third["JobProgress"]] == ["13", "14", "15"]


@pytest.mark.mock_server(faults="total-shift:after=2:delta=-3")
def test_total_shrinks_mid_pagination(mock_server: Emulator) -> None:
    mock_server.add_job("shrinking", items=10)
    totals = []
    with caller(mock_server) as c:
        for page in (1, 2, 3):
            totals.append(c.request({**BASE, "DtsJobId": "shrinking", "PageSize": 4, "PageNo": page})
                          .json()["TotalRecordCount"])
    assert totals == [10, 10, 7]


@pytest.mark.mock_server(faults="clamp")
def test_clamped_past_the_end_pages(mock_server: Emulator) -> None:
    mock_server.add_job("clamped", items=10)
    with caller(mock_server) as c:
        past = c.request({**BASE, "DtsJobId": "clamped", "PageSize": 4, "PageNo": 9}).json()
        last = c.request({**BASE, "DtsJobId": "clamped", "PageSize": 4, "PageNo": 3}).json()
    assert past["PageNumber"] == 3 and past["JobProgress"] == last["JobProgress"]
    assert [i["Id"] for i in past["JobProgress"]] == ["9", "10"]


@pytest.mark.mock_server(faults="throttle:every=2,slow:ms=60:every=2,malformed:every=3")
def test_faults_combine(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        answers = []
        for _ in range(6):
            started = time.perf_counter()
            answers.append((c.request(BASE), time.perf_counter() - started))
    assert [a.status for a, _ in answers] == [200, 400, 200, 400, 200, 400]
    assert all(took >= 0.06 for _, took in answers[1::2])
    with pytest.raises(json.JSONDecodeError):
        answers[2][0].json()
    assert answers[5][0].json()["Code"] == "Throttling.User"  # an error body is never malformed
    assert mock_server.records[5]["faults"] == ["malformed", "slow", "throttle"]


@pytest.mark.mock_server(faults="throttle:every=1")
def test_faults_strike_only_authenticated_requests(mock_server: Emulator) -> None:
    wrong = Caller(mock_server.url, ACTION, VERSION, mock_server.access_key_id, "wrong")
    with wrong:
        answer = wrong.request(BASE)
    assert answer.json()["Code"] == "SignatureDoesNotMatch"
    assert mock_server.faults.faults["throttle"].struck == 0
    assert statuses(mock_server, 1) == [400]


@pytest.mark.mock_server(faults="throttle:every=2")
def test_faults_apply_to_xml_too(mock_server: Emulator) -> None:
    c = Caller(mock_server.url, ACTION, VERSION, mock_server.access_key_id, mock_server.access_key_secret,
               signing="v2")
    with c:
        c.request(BASE, fmt="XML")
        answer = c.request(BASE, fmt="XML")
    assert answer.status == 400 and answer.body.startswith(b"<?xml") and b"<Code>Throttling.User</Code>" in answer.body
