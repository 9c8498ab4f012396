"""Replaying recordings (mock-server --data FILE.jsonl): record -> validate -> replay end to end over loopback,
then what answers a request (job, other parameters, page, order, format), what is sent (recorded bytes,
the emulator's request id, nothing of the recorded request), what is refused at start, and bounded memory."""

from __future__ import annotations

import base64
import gzip
import http.client
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DOC_SAMPLE as SAMPLE
from conftest import ROOT, validate
from dts_precheck.client import DtsClient
from dts_precheck.errors import InvalidJobIdError
from emulator_process import KEY_ID, KEY_SECRET, mock_server
from hypothesis import given
from hypothesis import strategies as st
from test_emulator_data import SMALL_SPEC, _small_spec

from generator.emulator import Emulator, EmulatorConfigError, load_api
from generator.emulator import replay as replay_module
from generator.emulator.client import Answer, Caller
from generator.emulator.data import find_data
from generator.runtime._xml import xml_to_dict

ACTION, VERSION = "DescribePreCheckStatus", "2020-01-01"
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "generated")])}


def client(url: str, **options: Any) -> DtsClient:
    return DtsClient(endpoint=url, access_key_id=KEY_ID, access_key_secret=KEY_SECRET, **options)


def call(server: Emulator, params: dict[str, Any], fmt: str | None = None, signing: str = "v3") -> Answer:
    with Caller(server.url, ACTION, VERSION, server.access_key_id, server.access_key_secret, signing=signing) as c:
        return c.request(params, fmt=fmt)


FORMATS = {"JSON": {}, "XML": {"signature_version": "v2", "response_format": "XML"}}


# ---------------------------------------------------------------- record -> validate -> replay
@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, dict[str, Any]]]:
    """For JSON and XML: a recording made by the generated client against the emulator (a throttled first
    try, three pages of a 45-item job, the documentation's sample job, an unknown job), and what the client
    got."""
    sample_id = json.loads(SAMPLE.read_text(encoding="utf-8"))["JobId"]
    out = {}
    for fmt, options in FORMATS.items():
        folder = tmp_path_factory.mktemp(f"recorded-{fmt}")
        (folder / "bodies").mkdir()
        shutil.copy(SAMPLE, folder / "bodies" / "sample.json")
        recording = folder / "recording.jsonl"
        with Emulator(data=folder / "bodies", faults="throttle:first=1", seed=5) as live:
            live.add_job("job-45", items=45, failures=2)
            with client(live.url, record_to=recording, **options) as c:
                got: dict[str, Any] = {
                    "pages": [p.to_dict() for p in c.paginate_describe_pre_check_status(dts_job_id="job-45",
                                                                                          job_code="01")],
                    "sample": c.describe_pre_check_status(dts_job_id=sample_id, job_code="01").to_dict(),
                }
                with pytest.raises(InvalidJobIdError) as gone:
                    c.describe_pre_check_status(dts_job_id="gone", job_code="01")
                got["gone"] = (gone.value.code, str(gone.value))
        # the throttled try, three pages, the sample, the unknown job: a line each, the secrets redacted
        lines = recording.read_text(encoding="utf-8").splitlines()
        assert len(lines) == 6 and not any(KEY_SECRET in line or KEY_ID in line for line in lines)
        for line in map(json.loads, lines):
            sent = line["request"]
            assert {sent["params"].get(k, "[redacted]") for k in ("Signature", "AccessKeyId")} == {"[redacted]"}
            assert sent["headers"].get("authorization", "[redacted]") == "[redacted]"
        out[fmt] = (recording, got)
    return out


@pytest.mark.parametrize("fmt", list(FORMATS))
def test_recorded_traffic_validates_and_replays_as_the_same_documents(
        recorded: dict[str, tuple[Path, dict[str, Any]]], fmt: str) -> None:
    recording, got = recorded[fmt]
    assert len(got["pages"]) == 3 and sum(len(p["JobProgress"]) for p in got["pages"]) == 45
    lines = [json.loads(line) for line in recording.read_text(encoding="utf-8").splitlines()]
    assert [x["response"]["status"] for x in lines] == [400, 200, 200, 200, 200, 400]
    assert all(x["response"]["headers"]["content-type"].startswith("text/xml" if fmt == "XML" else "application/json")
               for x in lines)

    done = subprocess.run([sys.executable, "-m", "generator", "validate", "-q", str(recording)], cwd=ROOT, env=ENV,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6 documents, 6 requests: 0 errors" in done.stdout + done.stderr

    sample_id = json.loads(SAMPLE.read_text(encoding="utf-8"))["JobId"]
    with mock_server("--data", str(recording)) as url, client(url, **FORMATS[fmt]) as c:
        pages = [p.to_dict() for p in c.paginate_describe_pre_check_status(dts_job_id="job-45", job_code="01")]
        assert pages == got["pages"]
        assert c.describe_pre_check_status(dts_job_id=sample_id, job_code="01").to_dict() == got["sample"]
        with pytest.raises(InvalidJobIdError) as gone:  # the recorded error
            c.describe_pre_check_status(dts_job_id="gone", job_code="01")
        assert (gone.value.code, str(gone.value)) == got["gone"]
        with pytest.raises(InvalidJobIdError):  # never recorded: the spec's unknown-job error
            c.describe_pre_check_status(dts_job_id="never-recorded", job_code="01")
        with pytest.raises(InvalidJobIdError):  # recorded for another subtask only
            c.describe_pre_check_status(dts_job_id="job-45", job_code="02")


def test_the_recorded_throttle_comes_first_then_what_followed_it(
        recorded: dict[str, tuple[Path, dict[str, Any]]]) -> None:
    recording, got = recorded["JSON"]
    with Emulator(data=recording) as server, client(server.url) as c:
        first = [p.to_dict() for p in c.paginate_describe_pre_check_status(dts_job_id="job-45", job_code="01")]
        again = [p.to_dict() for p in c.paginate_describe_pre_check_status(dts_job_id="job-45", job_code="01")]
        assert first == again == got["pages"]
        name = str(recording)
        assert [(r["verdict"], r["status"], r["replayed"]) for r in server.records] == [
            ("Throttling.User", 400, f"{name}:1"), ("ok", 200, f"{name}:2"), ("ok", 200, f"{name}:3"),
            ("ok", 200, f"{name}:4"),
            # the second time, page 1 gets the last answer recorded for it: the throttle is not repeated
            ("ok", 200, f"{name}:2"), ("ok", 200, f"{name}:3"), ("ok", 200, f"{name}:4")]


def test_a_client_gets_the_format_it_asks_for_when_both_were_recorded(
        recorded: dict[str, tuple[Path, dict[str, Any]]], tmp_path: Path) -> None:
    both = tmp_path / "both"
    both.mkdir()
    for fmt in FORMATS:
        shutil.copy(recorded[fmt][0], both / f"{fmt}.jsonl")
    bodies = {fmt: json.loads(recorded[fmt][0].read_text(encoding="utf-8").splitlines()[2])["response"]["body"]
              for fmt in FORMATS}  # page 2 of each
    params = {"DtsJobId": "job-45", "JobCode": "01", "PageNo": 2, "PageSize": 20}
    with Emulator(data=both) as server:
        as_json = call(server, params)
        as_xml = call(server, params, fmt="XML", signing="v2")
    assert as_json.body == bodies["JSON"].encode() and as_json.headers["content-type"].startswith("application/json")
    assert as_xml.body == bodies["XML"].encode() and as_xml.headers["content-type"].startswith("text/xml")
    # with only the XML recording, a JSON client gets the recorded XML (clients read either by its type)
    with Emulator(data=recorded["XML"][0]) as server, client(server.url) as c:
        pages = [p.to_dict() for p in c.paginate_describe_pre_check_status(dts_job_id="job-45", job_code="01")]
    assert pages == recorded["XML"][1]["pages"]


# ---------------------------------------------------------------- hand-written recordings
def body(job: str = "job-7", *, page: int = 1, items: int = 1, total: int | None = None, size: int = 20,
         **top: Any) -> dict[str, Any]:
    doc: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    item = doc["JobProgress"][0]
    doc.update(JobId=job, PageNumber=page, PageRecordCount=size, TotalRecordCount=items if total is None else total,
               JobProgress=[dict(item, Id=str((page - 1) * size + n + 1)) for n in range(items)], **top)
    return doc


def exchange(params: dict[str, Any] | None = None, doc: Any = None, *, status: int = 200,
             headers: dict[str, str] | None = None, **extra: Any) -> dict[str, Any]:
    text = doc if isinstance(doc, str) else json.dumps(body() if doc is None else doc)
    return {"type": "exchange", "version": 1, "time": "2024-05-01T08:00:00.123Z", "action": ACTION,
            "request": {"method": "POST", "url": "https://dts.cn-hangzhou.aliyuncs.com/",
                        "params": {"DtsJobId": "job-7", "JobCode": "01", "PageNo": "1", "PageSize": "20",
                                   "AccessKeyId": "[redacted]", "Signature": "[redacted]", **(params or {})},
                        "headers": {"authorization": "[redacted]"}},
            "response": {"status": status, "headers": headers or {"content-type": "application/json;charset=utf-8"},
                         "body": text},
            "attempt": 1, "duration_ms": 12.5, **extra}


def write(path: Path, *lines: Any) -> Path:
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


def test_answers_recorded_for_one_request_are_served_in_order_then_the_last_again(tmp_path: Path) -> None:
    states = ["NotStarted", "Checking", "Finished"]
    rec = write(tmp_path / "polls.jsonl", *[exchange(doc=body(State=s)) for s in states])
    with Emulator(data=rec) as server:
        seen = [call(server, {"DtsJobId": "job-7", "JobCode": "01"}).json()["State"] for _ in range(5)]
        assert seen == [*states, "Finished", "Finished"]
        assert [r["replayed"] for r in server.records] == [f"{rec}:{n}" for n in (1, 2, 3, 3, 3)]


@given(recorded=st.integers(1, 6), asked=st.integers(1, 12))
def test_the_nth_request_gets_the_nth_recorded_answer_or_the_last_property(recorded: int, asked: int) -> None:
    folder = tempfile.mkdtemp()
    try:
        rec = write(Path(folder) / "r.jsonl", *[exchange(doc=json.dumps({"ErrorItem": n})) for n in range(recorded)])
        replay = replay_module.index(load_api(), find_data(rec)).by_action[ACTION]
        served = []
        for _ in range(asked):
            answer = replay.answer("job-7", {"JobCode": "01"}, xml=False)
            assert isinstance(answer, replay_module.Recorded)
            served.append(json.loads(answer.body)["ErrorItem"])
    finally:
        shutil.rmtree(folder)
    assert served == [min(i, recorded - 1) for i in range(asked)]


@given(total=st.integers(0, 90), size=st.integers(1, 30), recorded=st.integers(1, 8), past=st.integers(1, 3),
       has_total=st.booleans())
def test_a_page_past_the_recorded_ones_is_empty_only_when_they_reach_the_end_property(
        total: int, size: int, recorded: int, past: int, has_total: bool) -> None:
    def page(n: int) -> dict[str, Any]:
        count = max(0, min(size, total - (n - 1) * size))
        doc = {"JobId": "job-7", "PageNumber": n, "PageRecordCount": size,
               "JobProgress": [{"Id": str((n - 1) * size + i + 1)} for i in range(count)]}
        return doc | ({"TotalRecordCount": total} if has_total else {})

    folder = tempfile.mkdtemp()
    try:
        rec = write(Path(folder) / "r.jsonl", *[exchange({"PageNo": str(n), "PageSize": str(size)}, page(n))
                                                  for n in range(1, recorded + 1)])
        replay = replay_module.index(load_api(), find_data(rec)).by_action[ACTION]
        asked = recorded + past
        answer = replay.answer("job-7", {"JobCode": "01", "PageNo": str(asked), "PageSize": str(size)}, xml=False)
    finally:
        shutil.rmtree(folder)
    # the recorded pages reach the end: they hold every item, and (with no total) the last one shows it is short
    last_count = max(0, min(size, total - (recorded - 1) * size))
    reaches_end = recorded * size >= total and (has_total or last_count < size)
    if reaches_end:
        assert isinstance(answer, replay_module.EmptyPage)
        assert answer.doc["JobProgress"] == [] and answer.doc["PageNumber"] == asked
        assert answer.doc.get("TotalRecordCount") == (total if has_total else None)
    else:
        assert isinstance(answer, replay_module.Miss) and "do not reach the end of the list" in answer.reason


def test_concurrent_requests_get_each_recorded_answer_once_before_the_last_repeats(tmp_path: Path) -> None:
    rec = write(tmp_path / "polls.jsonl", *[exchange(doc=body(ErrorItem=n)) for n in range(6)])
    seen: list[int] = []
    lock = threading.Lock()

    def poll() -> None:
        with Caller(server.url, ACTION, VERSION, server.access_key_id, server.access_key_secret) as c:
            for _ in range(3):
                answer = c.request({"DtsJobId": "job-7", "JobCode": "01"}).json()["ErrorItem"]
                with lock:
                    seen.append(answer)

    with Emulator(data=rec) as server:
        threads = [threading.Thread(target=poll) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(seen) == [0, 1, 2, 3, 4] + [5] * 19


def test_a_request_is_matched_by_its_job_exactly_and_the_operations_other_parameters(tmp_path: Path) -> None:
    rec = write(tmp_path / "r.jsonl", exchange({"DtsJobId": " job-7", "ZeroEtlJob": "True"}, body(" job-7")))
    with Emulator(data=rec) as server:
        # PageNo and PageSize left out are their defaults (1, 20); booleans compare by value; "01" stays "01"
        ok = call(server, {"DtsJobId": " job-7", "JobCode": "01", "ZeroEtlJob": "true"})
        assert ok.status == 200 and ok.json()["JobId"] == " job-7"
        assert call(server, {"DtsJobId": " job-7", "JobCode": "01", "ZeroEtlJob": "True", "PageNo": "01"}).status == 200
        misses = [
            ({"DtsJobId": "job-7", "ZeroEtlJob": "true"}, "no job 'job-7'"),
            ({"DtsJobId": " job-7", "JobCode": "02", "ZeroEtlJob": "true"},
             "job ' job-7' is recorded only for JobCode '01'"),
            ({"DtsJobId": " job-7", "ZeroEtlJob": "true", "PageSize": 50},
             "job ' job-7' is recorded only for PageSize '20'"),
            ({"DtsJobId": " job-7", "ZeroEtlJob": "true", "Name": "orders"},
             "job ' job-7' is recorded only for no Name"),
            ({"DtsJobId": " job-7"}, "job ' job-7' is recorded only for ZeroEtlJob 'true'"),
        ]
        for params, reason in misses:
            answer = call(server, {"JobCode": "01", **params})
            assert answer.status == 400 and answer.json()["Code"] == "InvalidJobId", params
            assert server.records[-1]["reason"] == reason


def test_pages_that_were_not_recorded(tmp_path: Path) -> None:
    complete = [exchange({"PageNo": "1"}, body(page=1, items=20, total=50)),
                exchange({"PageNo": "3"}, body(page=3, items=10, total=50))]
    partial = [exchange({"DtsJobId": "job-8", "PageNo": "1"}, body("job-8", page=1, items=20, total=50))]
    rec = write(tmp_path / "pages.jsonl", *complete, *partial)
    with Emulator(data=rec) as server:
        gap = call(server, {"DtsJobId": "job-7", "JobCode": "01", "PageNo": 2})
        assert gap.status == 400 and gap.json()["Code"] == "InvalidJobId"
        assert server.records[-1]["reason"] == "page 2 of job 'job-7' was not recorded (recorded: pages 1, 3)"
        # past the end of a list recorded to its end (20 + 20 + 10 of 50): an empty page, as the service answers
        past = call(server, {"DtsJobId": "job-7", "JobCode": "01", "PageNo": 4})
        doc = past.json()
        assert past.status == 200 and doc["JobProgress"] == [] and doc["PageNumber"] == 4
        assert doc["TotalRecordCount"] == 50 and doc["RequestId"] == past.headers["x-acs-request-id"]
        assert server.records[-1]["replayed"] == f"past the last page, {rec}:2"
        as_xml = call(server, {"DtsJobId": "job-7", "JobCode": "01", "PageNo": 9}, fmt="XML", signing="v2")
        assert as_xml.headers["content-type"].startswith("text/xml")
        read = xml_to_dict(as_xml.body, server.engine.store().op.response_shape)
        assert read["PageNumber"] == 9 and read["TotalRecordCount"] == 50 and not read.get("JobProgress")
        # past a list not recorded to its end: what the service answered there is not known
        beyond = call(server, {"DtsJobId": "job-8", "JobCode": "01", "PageNo": 2})
        assert beyond.status == 400 and server.records[-1]["reason"] == (
            "page 2 of job 'job-8' was not recorded (recorded: page 1, and they do not reach the end of the list)")


def test_a_paginator_ends_on_a_list_recorded_with_one_short_page(tmp_path: Path) -> None:
    rec = write(tmp_path / "short.jsonl", exchange(doc=body(items=3, total=None) | {"TotalRecordCount": None}))
    with Emulator(data=rec) as server, client(server.url) as c:
        items = list(c.paginate_describe_pre_check_status(dts_job_id="job-7", job_code="01").items())
    assert [i.id for i in items] == ["1", "2", "3"]


def test_a_call_that_got_no_answer_is_replayed_as_a_closed_connection(tmp_path: Path) -> None:
    rec = write(tmp_path / "r.jsonl", {**exchange(), "response": None, "error": "timed out after 10 s"}, exchange())
    with Emulator(data=rec) as server:
        with Caller(server.url, ACTION, VERSION, server.access_key_id, server.access_key_secret) as c:
            with pytest.raises((http.client.HTTPException, ConnectionError)):
                c.request({"DtsJobId": "job-7", "JobCode": "01"})
            assert c.request({"DtsJobId": "job-7", "JobCode": "01"}).status == 200
        assert [r["status"] for r in server.records] == [None, 200]
    with Emulator(data=rec) as server, client(server.url) as dts:  # the client's retry rides it out
        assert dts.describe_pre_check_status(dts_job_id="job-7", job_code="01").job_id == "job-7"


def test_what_is_sent_is_the_recorded_answer_and_nothing_of_the_recorded_request(tmp_path: Path) -> None:
    throttled = ('{"RequestId":"RECORDED-REQUEST-ID",  "HostId":"dts.aliyuncs.com","Code":"Throttling.User",'
                 '"Message":"Request was denied due to user flow control. 流控"}')
    lines = [
        exchange(doc=throttled, status=429, headers={
            "content-type": "application/json;charset=UTF-8", "x-acs-request-id": "RECORDED-REQUEST-ID",
            "x-acs-retry-after": "150", "set-cookie": "RECORDED-COOKIE"}),
        exchange(doc=json.dumps(body()), headers={"content-type": "text/plain\r\nX-Injected: yes"}),
    ]
    lines[0]["request"]["headers"] = {"x-recorded-header": "RECORDED-REQUEST-HEADER", "authorization": "[redacted]"}
    rec = write(tmp_path / "r.jsonl", *lines)
    with Emulator(data=rec) as server:
        first = call(server, {"DtsJobId": "job-7", "JobCode": "01"})
        second = call(server, {"DtsJobId": "job-7", "JobCode": "01"})
        ids = [r["request_id"] for r in server.records]
        assert server.records[0]["verdict"] == "Throttling.User"
    assert first.status == 429 and first.body == throttled.encode("utf-8")  # byte for byte
    assert first.headers["content-type"] == "application/json;charset=UTF-8"
    assert first.headers["x-acs-retry-after"] == "150"  # the retry-after header the spec names
    assert first.headers["x-acs-request-id"] == ids[0]  # the emulator's own, not the recorded one
    shown = json.dumps([first.headers, second.headers]) + (first.body + second.body).decode("utf-8")
    for recorded_only in ("RECORDED-COOKIE", "RECORDED-REQUEST-HEADER", "X-Injected", "redacted"):
        assert recorded_only not in shown
    assert second.status == 200 and second.headers["content-type"] == "application/json;charset=utf-8"
    assert "x-injected" not in second.headers


def test_a_body_recorded_in_base64_is_served_as_it_was_before_compression(tmp_path: Path) -> None:
    raw = json.dumps(body(ErrorItem=3)).encode("utf-8")
    line = exchange()
    line["response"] = {"status": 200, "headers": {"content-type": "application/json", "content-encoding": "gzip"},
                        "body": base64.b64encode(gzip.compress(raw)).decode("ascii"), "body_encoding": "base64"}
    with Emulator(data=write(tmp_path / "r.jsonl", line)) as server:
        answer = call(server, {"DtsJobId": "job-7", "JobCode": "01"})
    assert answer.body == raw and "content-encoding" not in answer.headers


def test_a_folder_serves_bodies_and_recordings_and_added_jobs_come_first(tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "sample.json")
    (tmp_path / "day").mkdir()
    write(tmp_path / "day" / "r.jsonl", exchange())
    with Emulator(data=tmp_path) as server:
        assert call(server, {"DtsJobId": "sample", "JobCode": "01"}).json()["JobId"] == " b4my3zg929a****"
        assert call(server, {"DtsJobId": "job-7", "JobCode": "01"}).json()["JobProgress"][0]["Id"] == "1"
        server.add_job("job-7", items=3)
        assert len(call(server, {"DtsJobId": "job-7", "JobCode": "01"}).json()["JobProgress"]) == 3
        assert call(server, {"DtsJobId": "other", "JobCode": "01"}).json()["Code"] == "InvalidJobId"


def test_replay_is_generic_another_apis_recording(tmp_path: Path) -> None:
    spec = tmp_path / "shelves.yaml"
    spec.write_text(SMALL_SPEC, encoding="utf-8")
    assert yaml.safe_load(SMALL_SPEC)["paths"]["/"]["get"]["x-emulator"]["job_param"] == "Shelf"

    def shelf(page: int, titles: list[str]) -> dict[str, Any]:
        return {"type": "exchange", "time": "2040-01-01T00:00:00Z", "action": "GetShelf",
                "request": {"method": "GET", "url": "https://shelves.example.test/",
                            "params": {"Action": "GetShelf", "Shelf": "s1", "Page": str(page), "Size": "2"}},
                "response": {"status": 200, "headers": {},
                             "body": json.dumps({"Shelf": "s1", "Count": 3, "Books": [{"Title": t} for t in titles]})}}

    rec = write(tmp_path / "shelves.jsonl", shelf(1, ["a", "b"]), shelf(2, ["c"]))
    with Emulator(spec=spec, data=rec) as server:
        with Caller(server.url, "GetShelf", "2040-01-01", server.access_key_id, server.access_key_secret) as c:
            pages = [c.request({"Shelf": "s1", "Page": n, "Size": 2}) for n in (1, 2, 3)]
            assert pages[1].body == json.dumps({"Shelf": "s1", "Count": 3, "Books": [{"Title": "c"}]}).encode()
            assert pages[1].headers["content-type"] == "application/json;charset=utf-8"  # none recorded: told by the body
            assert pages[2].json()["Books"] == [] and pages[2].json()["Count"] == 3
            assert c.request({"Shelf": "s2"}).json()["Code"] == "Invalid"  # no unknown_job code: invalid parameter
    with Emulator(spec=_small_spec(tmp_path, "s1"), data=rec) as server:  # an optional job parameter's default
        with Caller(server.url, "GetShelf", "2040-01-01", server.access_key_id, server.access_key_secret) as c:
            assert c.request({"Size": 2}).json()["Books"] == [{"Title": "a"}, {"Title": "b"}]


@pytest.mark.parametrize("sent", [["Other", ACTION], [ACTION, "Other"]])
def test_validate_and_replay_read_the_same_action_of_an_exchange(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                  sent: list[str]) -> None:
    """An exchange with no `action` whose Action parameter was sent twice: both readers take the last one."""
    line = exchange({"Action": sent})
    del line["action"]
    rec = write(tmp_path / "twice.jsonl", line)
    code, _, summary = validate(capsys, "--allow-empty", str(rec))
    checked = sent[-1] == ACTION
    assert code == 0 and summary["requests"] == int(checked)
    if checked:
        with Emulator(data=rec) as server:
            assert call(server, {"DtsJobId": "job-7", "JobCode": "01"}).json()["JobProgress"][0]["Id"] == "1"
    else:
        with pytest.raises(EmulatorConfigError, match="passed over: 1 exchange of another operation"):
            Emulator(data=rec)


# ---------------------------------------------------------------- what is refused, what is passed over
def test_lines_that_are_not_the_recording_format_refuse_the_start_with_file_and_line(tmp_path: Path) -> None:
    good = exchange()
    bad_lines = [
        "{not json",
        {**good, "request": ["not", "an object"]},
        {**good, "request": {"params": {"DtsJobId": 7}}},
        {**good, "response": {**good["response"], "status": "200"}},
        {**good, "response": {**good["response"], "status": 304}},
        {**good, "response": {**good["response"], "body_encoding": "hex"}},
        {**good, "response": {**good["response"], "body": "%%%", "body_encoding": "base64"}},
        {**good, "response": {**good["response"], "body": None}},
        '{"type": "exchange", "action": "DescribePreCheckStatus", "request": {"params": {}}, '
        '"response": {"status": 200, "headers": {}, "body": "\\ud800"}}',
    ]
    rec = write(tmp_path / "bad.jsonl", good, *bad_lines, good)
    with pytest.raises(EmulatorConfigError) as info:
        Emulator(data=rec)
    message = str(info.value)
    assert [line.split(": ", 1)[0] for line in message.splitlines()[1:]] == [
        f"  {rec}:{n}" for n in range(2, 2 + len(bad_lines))]
    for expected in ("not JSON", "its request is a list, not an object", "request.params['DtsJobId'] is the number 7",
                     "its response.status is a string", "its response.status is the number 304",
                     "body_encoding is 'hex'", "not valid base64", "its response.body is null",
                     "lone surrogate"):
        assert expected in message
    done = subprocess.run([sys.executable, "-m", "generator", "mock-server", "--port", "0", "--data", str(rec)],
                          cwd=ROOT, env=ENV, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr and f"{rec}:2: not JSON" in done.stderr


def test_problems_past_the_first_twenty_are_counted(tmp_path: Path) -> None:
    rec = write(tmp_path / "bad.jsonl", *["{not json"] * 25)
    with pytest.raises(EmulatorConfigError, match=r"\n  \.\.\. and 5 more$") as info:
        Emulator(data=rec)
    assert str(info.value).count("not JSON") == replay_module.MAX_PROBLEMS


def test_what_a_recording_holds_besides_exchanges_is_passed_over_and_told(tmp_path: Path) -> None:
    rec = tmp_path / "r.jsonl"
    write(rec, exchange(), json.dumps(body()), {**exchange(), "action": "DescribeRegions"},
          exchange({"DtsJobId": ""}), exchange({"PageNo": "two"}), exchange({"PageNo": "2"}), "")
    with rec.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(exchange())[:40])  # a recorder stopped in the middle of its last line
    with Emulator(data=rec) as server:
        assert str(server.engine.replays.summary) == (
            "2 exchanges of 1 job from 1 recording (passed over: 1 plain document, 1 exchange of another "
            "operation, 2 exchanges no request can match (no job, or no page number), 1 unfinished last line)")
    (tmp_path / "nothing").mkdir()
    write(tmp_path / "nothing" / "r.jsonl", json.dumps(body()))
    with pytest.raises(EmulatorConfigError, match=r"nothing to serve: 0 exchanges of 0 jobs from 1 recording "
                                                  r"\(passed over: 1 plain document\)"):
        Emulator(data=tmp_path / "nothing")


def test_a_line_over_the_limit_is_refused_without_being_held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(replay_module, "MAX_LINE_BYTES", 16384)
    big = exchange(doc=body(items=40))
    assert len(json.dumps(exchange())) < 16384 < len(json.dumps(big)) // 2
    rec = write(tmp_path / "r.jsonl", exchange(), big, exchange({"PageNo": "2"}))
    with pytest.raises(EmulatorConfigError) as info:
        Emulator(data=rec)
    assert str(info.value).splitlines()[1:] == [f"  {rec}:2: the line is longer than 16,384 bytes: not read"]


def test_a_har_file_or_a_missing_path_is_named(tmp_path: Path) -> None:
    (tmp_path / "capture.har").write_text("{}")
    for path, message in ((tmp_path / "capture.har", "not a folder, a recording (*.jsonl, *.ndjson) or a recorded "
                                                     "body (*.json)"),
                          (tmp_path / "gone.jsonl", "not a folder or a file: it does not exist")):
        with pytest.raises(EmulatorConfigError, match=re.escape(f"--data {path}: {message}")):
            Emulator(data=path)


def test_a_recording_changed_after_the_start_is_an_error_answer_not_another_exchange(tmp_path: Path) -> None:
    rec = write(tmp_path / "r.jsonl", exchange(), exchange({"PageNo": "2"}))
    with Emulator(data=rec) as server:
        assert call(server, {"DtsJobId": "job-7", "JobCode": "01"}).status == 200
        replacement = write(tmp_path / "new.jsonl", exchange({"DtsJobId": "other"}))
        os.replace(replacement, rec)
        answer = call(server, {"DtsJobId": "job-7", "JobCode": "01", "PageNo": 2})
        assert answer.status == 500 and answer.json()["Code"] == "ServiceUnavailable"  # the spec's status for it
        assert server.records[-1]["internal_error"] == "RecordingChanged"


def test_the_command_line_tells_what_it_replays(tmp_path: Path) -> None:
    rec = write(tmp_path / "r.jsonl", exchange(), exchange({"PageNo": "2"}), json.dumps(body()))
    proc = subprocess.Popen([sys.executable, "-m", "generator", "mock-server", "--port", "0", "-q", "--data", str(rec)],
                            cwd=ROOT, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().startswith("http://127.0.0.1:")
        assert proc.stderr is not None
        banner = [proc.stderr.readline() for _ in range(2)]  # the settings, then what is replayed
    finally:
        proc.terminate()
        proc.communicate(timeout=10)
    assert banner[1] == ("mock-server: replaying 2 exchanges of 1 job from 1 recording (passed over: 1 plain "
                         "document)\n")


# ---------------------------------------------------------------- bounded memory
def test_a_large_recording_is_indexed_in_memory_bounded_by_a_line_not_the_file(tmp_path: Path) -> None:
    rec = tmp_path / "large.jsonl"
    padding = "x" * 200_000
    with rec.open("w", encoding="utf-8") as fh:
        for n in range(200):
            doc = body(f"job-{n}", items=2) | {"JobName": padding}
            fh.write(json.dumps(exchange({"DtsJobId": f"job-{n}"}, doc)) + "\n")
    assert rec.stat().st_size > 40_000_000
    api = Emulator().api
    tracemalloc.start()
    try:
        replays = replay_module.index(api, find_data(rec))
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert replays.summary.exchanges == 200
    assert peak < 4_000_000, f"indexing a {rec.stat().st_size:,}-byte recording peaked at {peak:,} bytes"
    assert held < 200 * 1000, f"the index of 200 exchanges holds {held:,} bytes"  # offsets, not bodies
    with Emulator(data=rec) as server:  # and the offsets find each exchange again
        assert call(server, {"DtsJobId": "job-137", "JobCode": "01"}).json()["JobId"] == "job-137"



@given(st.sets(st.integers(1, 60), min_size=1))
def test_recorded_pages_are_told_as_ranges_property(pages: set[int]) -> None:
    told = replay_module._pages(dict.fromkeys(pages))
    head, _, more = told.partition(", and ")
    runs = head.split(" ", 1)[1].split(", ")
    named: set[int] = set()
    for run in runs:
        first, _, last = run.partition("-")
        named.update(range(int(first), int(last or first) + 1))
    assert min(pages) in named <= pages and all(n - 1 not in pages or n - 1 in named for n in named)  # whole runs
    hidden = int(more.split()[0].replace(",", "")) if more else 0
    assert len(runs) == min(10, len(runs) + hidden) and (named == pages) == (hidden == 0)
