"""The emulator (mock-server) under load: requests per second for N concurrent clients over loopback.

The server runs in a process of its own (as `dts-precheck mock-server` would), serving a 5,000-item job;
the clients are threads of this process, each on its own keep-alive connection, signing every request
(V3) and paginating the job with 100 items a page for a fixed time. Clients check the status and read
the whole body but do not parse it, so the figure is the server's, not json.loads's. Each client connects
(one uncounted request) before the clock starts.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

ITEMS = 5000
PAGE_SIZE = 100
SECONDS = 2.0
CLIENTS = (1, 16, 200)


def _serve(conn: Connection) -> None:
    from generator.emulator import Emulator

    server = Emulator(seed=1, record_limit=1000)
    server.add_job("bench", items=ITEMS)
    server.bind()
    conn.send((server.url, server.access_key_id, server.access_key_secret))
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


def _load(url: str, key_id: str, secret: str, clients: int,
          seconds: float) -> tuple[int, int, float, list[float]]:
    from generator.emulator.client import Caller

    counts = [0] * clients
    errors = [0] * clients
    latencies: list[list[float]] = [[] for _ in range(clients)]
    ready = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(n: int) -> None:
        pages = ITEMS // PAGE_SIZE
        with Caller(url, "DescribePreCheckStatus", "2020-01-01", key_id, secret, timeout_s=30) as c:
            page = n % pages
            c.request({"DtsJobId": "bench", "JobCode": "01", "PageNo": 1, "PageSize": PAGE_SIZE})  # connect
            ready.wait()
            while time.perf_counter() < stop_at[0]:
                started = time.perf_counter()
                try:
                    answer = c.request({"DtsJobId": "bench", "JobCode": "01", "PageNo": page + 1,
                                        "PageSize": PAGE_SIZE})
                    ok = answer.status == 200 and len(answer.body) > 1000
                except OSError:
                    ok = False
                latencies[n].append(time.perf_counter() - started)
                counts[n] += 1
                errors[n] += not ok
                page = (page + 1) % pages

    threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(clients)]
    for t in threads:
        t.start()
    began = time.perf_counter()
    stop_at[0] = began + seconds  # set before the barrier lets the clients go
    ready.wait()
    for t in threads:
        t.join()
    took = time.perf_counter() - began
    return sum(counts), sum(errors), took, sorted(x for per in latencies for x in per)


def main() -> None:
    print("\n## mock-server: requests per second, N concurrent clients over loopback "
          f"({ITEMS}-item job, {PAGE_SIZE} items a page, V3-signed, keep-alive)")
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    proc = ctx.Process(target=_serve, args=(child,), daemon=True)
    proc.start()
    try:
        url, key_id, secret = parent.recv()
        _load(url, key_id, secret, 4, 0.3)  # warm up: caches, connections
        for clients in CLIENTS:
            done, failed, took, lat = _load(url, key_id, secret, clients, SECONDS)
            rate = done / took
            p50 = lat[len(lat) // 2] * 1000 if lat else 0.0
            p99 = lat[int(len(lat) * 0.99)] * 1000 if lat else 0.0
            print(f"  {clients:4d} clients  {rate:8.0f} req/s  {rate * PAGE_SIZE:10.0f} items/s   "
                  f"p50 {p50:6.1f} ms  p99 {p99:7.1f} ms   errors {failed}")
    finally:
        proc.terminate()
        proc.join(timeout=5)


if __name__ == "__main__":
    main()
