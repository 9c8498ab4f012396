"""`record_to=PATH` (both clients) and `status --record PATH`: every exchange appended to a recording in the
documented format (docs/validating.md, "Recordings"), secrets redacted, safe from several threads, and a
failed write never fails a call (logged once). Real exchanges over loopback with the emulator."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT
from dts_precheck.client import AsyncDtsClient, DtsClient
from dts_precheck.errors import RequestValidationError
from emulator_process import CREDENTIALS, KEY_ID, KEY_SECRET, mock_server

from generator.emulator import Emulator

ENV = {"PATH": "/usr/bin:/bin", **CREDENTIALS, "PYTHONPATH": f"{ROOT}:{ROOT / 'generated'}"}


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def _no_secret(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert KEY_SECRET not in text and KEY_ID not in text
    for line in _lines(path):
        params, headers = line["request"]["params"], line["request"]["headers"]
        for name in ("Signature", "AccessKeyId", "SecurityToken"):
            assert params.get(name, "[redacted]") == "[redacted]"
        for name in ("authorization", "x-acs-security-token", "x-acs-accesskey-id"):
            assert headers.get(name, "[redacted]") == "[redacted]"


@pytest.mark.parametrize("signing", ["v3", "v2"])
def test_every_exchange_is_a_line_with_its_answer_and_no_secret(tmp_path: Path, signing: str) -> None:
    recording = tmp_path / "rec.jsonl"
    with Emulator(seed=3, faults="throttle:first=1") as live:
        url, secret = live.url, live.access_key_secret
        live.add_job("job-7", items=7, failures=1)
        with DtsClient(endpoint=live.url, access_key_id=live.access_key_id, access_key_secret=live.access_key_secret,
                       signature_version=signing, record_to=recording) as client:
            pages = list(client.paginate_describe_pre_check_status(dts_job_id="job-7", job_code="01", page_size=5))
    lines = _lines(recording)
    assert len(lines) == 1 + len(pages)  # the throttled try, then one line a page
    assert [line["response"]["status"] for line in lines] == [400, 200, 200]
    assert all(line["type"] == "exchange" and line["action"] == "DescribePreCheckStatus" for line in lines)
    assert [line["request"]["params"]["PageNo"] for line in lines] == ["1", "1", "2"]
    assert json.loads(lines[-1]["response"]["body"]) == pages[-1].to_dict()
    assert lines[1]["request"]["url"] == url + "/" and lines[1]["time"].endswith("Z")
    assert secret not in recording.read_text(encoding="utf-8")
    for line in lines:
        params, headers = line["request"]["params"], line["request"]["headers"]
        assert params.get("Signature", "[redacted]") == params.get("AccessKeyId", "[redacted]") == "[redacted]"
        assert headers.get("authorization", "[redacted]") == "[redacted]"


def test_calls_from_many_threads_write_whole_lines(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"
    with Emulator(seed=3) as live, DtsClient(endpoint=live.url, access_key_id=live.access_key_id,
                                             access_key_secret=live.access_key_secret, record_to=recording) as client:
        def calls(n: int) -> None:
            for i in range(10):
                client.describe_pre_check_status(dts_job_id=f"job-{n}-{i}", job_code="01")

        threads = [threading.Thread(target=calls, args=(n,)) for n in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    lines = _lines(recording)  # every line parses: none cut or interleaved
    assert len(lines) == 80
    assert len({line["request"]["params"]["DtsJobId"] for line in lines}) == 80


def test_a_write_that_fails_never_fails_the_call_and_is_logged_once(tmp_path: Path,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    where = tmp_path / "a-folder"
    where.mkdir()  # a folder cannot be appended to
    with caplog.at_level(logging.WARNING, logger="dts_precheck"), Emulator(seed=3) as live, \
            DtsClient(endpoint=live.url, access_key_id=live.access_key_id, access_key_secret=live.access_key_secret,
                      record_to=where) as client:
        for i in range(3):
            assert client.describe_pre_check_status(dts_job_id=f"job-{i}", job_code="01").job_id == f"job-{i}"
    warnings = [r for r in caplog.records if "record_to" in r.getMessage()]
    assert len(warnings) == 1 and str(where) in warnings[0].getMessage()


@pytest.mark.parametrize("value", [7, "", b"x"])
def test_record_to_must_be_a_path(value: object) -> None:
    with pytest.raises(RequestValidationError, match="record_to"):
        DtsClient(endpoint="http://127.0.0.1:9", access_key_id="a", access_key_secret="b",
                  record_to=value)  # type: ignore[arg-type]


def test_the_async_client_records_too(tmp_path: Path) -> None:
    recording = tmp_path / "rec.jsonl"

    async def run(url: str, key: str, secret: str) -> list[Any]:
        async with AsyncDtsClient(endpoint=url, access_key_id=key, access_key_secret=secret,
                                  record_to=recording) as client:
            return list(await asyncio.gather(*(client.describe_pre_check_status(dts_job_id=f"job-{i}", job_code="01")
                                               for i in range(20))))

    with Emulator(seed=3) as live:
        got = asyncio.run(run(live.url, live.access_key_id, live.access_key_secret))
    lines = _lines(recording)
    assert len(lines) == 20 and {json.loads(line["response"]["body"])["JobId"] for line in lines} == \
        {r.job_id for r in got}


def test_status_record_keeps_a_recording_that_validates_and_replays(tmp_path: Path) -> None:
    recording = tmp_path / "day.jsonl"
    with mock_server("--scenario", "precheck-fails:step=0.05") as url:
        run = subprocess.run([sys.executable, "-m", "generator", "status", "--job-id", "j-1", "--endpoint", url,
                              "--watch", "--interval", "3", "--timeout", "60", "--format", "json", "-q",
                              "--record", str(recording)], capture_output=True, text=True, env=ENV, cwd=ROOT,
                             timeout=120)
    assert run.returncode == 3, run.stderr  # the scenario's precheck fails
    _no_secret(recording)
    assert len(_lines(recording)) >= 2
    checked = subprocess.run([sys.executable, "-m", "generator", "validate", "-q", "--format", "json", str(recording)],
                             capture_output=True, text=True, env=ENV, cwd=ROOT, timeout=120)
    summary = json.loads(checked.stdout.splitlines()[-1])
    assert checked.returncode == 0 and summary["errors"] == 0, checked.stdout
    final = json.loads(run.stdout)
    with mock_server("--data", str(recording)) as url, DtsClient(endpoint=url, access_key_id=KEY_ID,
                                                                 access_key_secret=KEY_SECRET) as client:
        replayed = client.describe_pre_check_status(dts_job_id="j-1", job_code="01")
    assert replayed.state is not None and final["outcome"] == "failed"
