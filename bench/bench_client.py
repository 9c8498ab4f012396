"""Client costs side by side with Alibaba's official Python SDK (alibabacloud-dts20200101):
import time (`python -X importtime`, a fresh process each) and client CPU per call against a loopback server.

Targets: importing the client at least 10x faster, and at least 2x less client CPU per call, with the
requests written and the responses parsed by the standard library's http.client."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from common import ROOT, SAMPLE

CALLS = 300
OURS = "import dts_precheck.client"
THEIRS = "from alibabacloud_dts20200101.client import Client"


def _top_level(statement: str) -> dict[str, int] | None:
    """Top-level modules the statement imported -> cumulative microseconds, in a fresh interpreter."""
    done = subprocess.run([sys.executable, "-X", "importtime", "-c", statement], capture_output=True,
                          text=True, cwd=ROOT, env={"PYTHONPATH": f"{ROOT}/generated"})
    if done.returncode != 0:
        return None
    found = {}
    for line in done.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m and len(m.group(2)) == 1:  # top-level imports: their cumulative times add up
            found[m.group(3)] = int(m.group(1))
    return found


def _import_us(statement: str) -> float | None:
    """Import time of the statement alone, interpreter start-up (site, encodings) left out; best of 5."""
    startup = set(_top_level("pass") or {})
    best = None
    for _ in range(5):
        found = _top_level(statement)
        if found is None:
            return None
        total = sum(us for name, us in found.items() if name not in startup)
        best = total if best is None else min(best, total)
    return best


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    body = SAMPLE.read_bytes()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        # One write per response: split writes meet delayed ACKs and stall the client for 40 ms.
        head = (f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(self.body)}\r\n"
                "\r\n").encode()
        self.wfile.write(head + self.body)

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


def _cpu_per_call(calls: dict[str, Any]) -> dict[str, float]:
    """Process CPU seconds per call of each client: the best of 5 runs of CALLS calls (the least disturbed
    one), the clients taking turns run by run, so that a busy moment of the machine weighs on both alike."""
    for call in calls.values():
        call()  # warm up: connection, caches
    best = dict.fromkeys(calls, float("inf"))
    for _ in range(5):
        for who, call in calls.items():
            started = time.process_time()
            for _ in range(CALLS):
                call()
            best[who] = min(best[who], (time.process_time() - started) / CALLS)
    return best


def main() -> None:
    sys.path.insert(0, str(ROOT / "generated"))
    print("\n## client import time (python -X importtime, fresh process, best of 5)")
    ours = _import_us(OURS)
    theirs = _import_us(THEIRS)
    print(f"  dts_precheck.client                {ours / 1000 if ours else float('nan'):8.1f} ms   1.00x")
    if theirs:
        print(f"  official SDK client                {theirs / 1000:8.1f} ms   {theirs / ours:5.1f}x slower "
              "(target: at least 10x)" if ours else "")
    else:
        print("  official SDK not installed (make bench installs the bench extra)")

    # The server runs in its own process, so process CPU time is the client's alone.
    proc = subprocess.Popen([sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdout is not None
    port = int(proc.stdout.readline())
    from dts_precheck.client import DtsClient

    ours_client = DtsClient(endpoint=f"http://127.0.0.1:{port}", access_key_id="ak", access_key_secret="sk")
    calls = {"ours": lambda: ours_client.describe_pre_check_status(dts_job_id="j", job_code="01")}
    try:
        from alibabacloud_dts20200101 import models
        from alibabacloud_dts20200101.client import Client
        from alibabacloud_tea_openapi import models as open_api_models
    except ImportError:
        pass
    else:
        config = open_api_models.Config(access_key_id="ak", access_key_secret="sk", endpoint=f"127.0.0.1:{port}",
                                        protocol="http", region_id="cn-hangzhou")
        sdk = Client(config)
        request = models.DescribePreCheckStatusRequest(dts_job_id="j", job_code="01")
        calls["theirs"] = lambda: sdk.describe_pre_check_status(request)
    cpu = _cpu_per_call(calls)
    ours_client.close()
    proc.kill()
    proc.wait()
    print(f"\n## client CPU per call against a loopback server (client process CPU time, best of 5 runs of "
          f"{CALLS} calls, the clients in turns, the server in another process)")
    print(f"  DtsClient.describe_pre_check_status {cpu['ours'] * 1e6:8.0f} µs   1.00x")
    if "theirs" not in cpu:
        print("  official SDK not installed")
        return
    print(f"  official SDK describe_pre_check_status {cpu['theirs'] * 1e6:5.0f} µs   {cpu['theirs'] / cpu['ours']:5.1f}x "
          "more (target: at least 2x)")


def serve() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    serve() if sys.argv[1:] == ["--serve"] else main()
