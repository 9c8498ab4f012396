"""`python -m generator mock-server`: prints its URL, serves, logs one JSON line a request, exits 0 on SIGINT."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import IO

import pytest
from conftest import ROOT

from generator.emulator import DEFAULT_KEY_ID, DEFAULT_KEY_SECRET
from generator.emulator.client import Caller


def _lines(stream: IO[str], out: queue.Queue[str]) -> None:
    for line in stream:
        out.put(line)


class Running:
    def __init__(self, *args: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen([sys.executable, "-m", "generator", "mock-server", *args], cwd=ROOT,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        self.stdout: queue.Queue[str] = queue.Queue()
        self.stderr: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None and self.proc.stderr is not None
        for stream, sink in ((self.proc.stdout, self.stdout), (self.proc.stderr, self.stderr)):
            threading.Thread(target=_lines, args=(stream, sink), daemon=True).start()

    def url(self) -> str:
        try:
            return self.stdout.get(timeout=30).strip()
        except queue.Empty:
            self.proc.kill()
            raise AssertionError("no URL printed; stderr: " + "".join(self.drain(self.stderr))) from None

    @staticmethod
    def drain(q: queue.Queue[str]) -> list[str]:
        out = []
        while not q.empty():
            out.append(q.get())
        return out

    def stop(self) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(timeout=15)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()


@pytest.fixture
def running() -> Iterator[list[Running]]:
    started: list[Running] = []
    yield started
    for r in started:
        if r.proc.poll() is None:
            r.proc.kill()
            r.proc.wait()


def test_cli_serves_logs_and_exits_zero_on_sigint(running: list[Running]) -> None:
    server = Running("--port", "0", "--seed", "3", "--access-key", "AK1:SK-cli-secret",
                     "--access-key", "STS.k:sts-secret:sts-token:600", "--faults", "throttle:every=3")
    running.append(server)
    url = server.url()
    assert url.startswith("http://127.0.0.1:")
    with Caller(url, "DescribePreCheckStatus", "2020-01-01", "AK1", "SK-cli-secret") as c:
        first = c.request({"DtsJobId": "cli-job", "JobCode": "01", "PageSize": 5})
        second = c.request({"DtsJobId": "cli-job", "JobCode": "01", "PageSize": 5})
        third = c.request({"DtsJobId": "cli-job", "JobCode": "01"})
    assert first.status == 200 and len(first.json()["JobProgress"]) == 5
    assert second.status == 200 and third.status == 400 and third.json()["Code"] == "Throttling.User"
    with Caller(url, "DescribePreCheckStatus", "2020-01-01", "STS.k", "sts-secret", token="sts-token",
                signing="v2") as c:
        assert c.request({"DtsJobId": "cli-job", "JobCode": "01"}).status == 200
    assert server.stop() == 0
    err = "".join(server.drain(server.stderr))
    records = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert [r["verdict"] for r in records] == ["ok", "ok", "Throttling.User", "ok"]
    assert all(r["action"] == "DescribePreCheckStatus" and "latency_ms" in r for r in records)
    for secret in ("SK-cli-secret", "sts-secret", "sts-token"):
        assert secret not in err
    assert "Traceback" not in err


def test_cli_default_key_and_sigterm(running: list[Running]) -> None:
    server = Running("--quiet")
    running.append(server)
    url = server.url()
    with Caller(url, "DescribePreCheckStatus", "2020-01-01", DEFAULT_KEY_ID, DEFAULT_KEY_SECRET) as c:
        assert c.request({"DtsJobId": "j", "JobCode": "01"}).status == 200
    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=15) == 0
    assert not any(line.startswith("{") for line in server.drain(server.stderr))


@pytest.mark.parametrize(("args", "message"), [
    (["--faults", "explode"], "unknown fault"),
    (["--host", "8.8.8.8"], "loopback"),
    (["--scenario", "nope"], "unknown scenario"),
    (["--access-key", "only-an-id"], "ID:SECRET"),
    (["--data", "/nonexistent/folder"], "not a folder"),
])
def test_cli_bad_options_exit_two_with_a_message(args: list[str], message: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "generator", "mock-server", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr and "Traceback" not in done.stderr
    assert done.stdout == ""
