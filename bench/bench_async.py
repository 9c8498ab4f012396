"""The async clients side by side: 200 concurrent calls on one event loop against the emulator.

The emulator runs in a process of its own, so this process's CPU time is the client's alone. One batch
is 200 `describe_pre_check_status` calls started at once (asyncio.gather) on one event loop; each client
runs one warm-up batch, then the two clients take turns for 10 measured batches each (so a busy machine
weighs on both alike), and each one's best wall time and best CPU time are shown.
Two answers: one item (the size of the API documentation's sample, as bench_client uses) and a page of
20 items (where decoding the items into models, the same code for both of our clients, weighs more).

Ours: AsyncDtsClient with its default transport (HttpTransport's http.client exchanges in a pool of 16
worker threads, 16 kept-alive connections). Theirs: the official SDK's `describe_pre_check_status_async`
(alibabacloud-dts20200101 on darabonba-core, which sends each call through aiohttp with a new session
and connection per call). Targets: wall time no worse than the official SDK's, client CPU at least 2x lower.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import multiprocessing as mp
import sys
import time
from collections.abc import Awaitable, Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for entry in (str(ROOT), str(ROOT / "generated")):
    if entry not in sys.path:
        sys.path.insert(0, entry)

CALLS = 200
RUNS = 10
ANSWERS = (1, 20)  # the items in each job's one page


def _serve(conn: Connection) -> None:
    from generator.emulator import Emulator

    server = Emulator(seed=1, record_limit=1000)
    for items in ANSWERS:
        server.add_job(f"bench-{items}", items=items)
    server.bind()
    conn.send((server.url, server.endpoint, server.access_key_id, server.access_key_secret))
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()


Batch = Callable[[], Awaitable[list[Any]]]


def _ours(url: str, key_id: str, secret: str, items: int) -> tuple[Batch, Callable[[Any], bool], Any]:
    from dts_precheck.client import AsyncDtsClient

    client = AsyncDtsClient(endpoint=url, access_key_id=key_id, access_key_secret=secret)

    async def batch() -> list[Any]:
        return await asyncio.gather(*(client.describe_pre_check_status(dts_job_id=f"bench-{items}", job_code="01")
                                      for _ in range(CALLS)), return_exceptions=True)

    return batch, lambda a: getattr(a, "total_record_count", None) == items, client.close


def _theirs(endpoint: str, key_id: str, secret: str, items: int) -> tuple[Batch, Callable[[Any], bool], Any] | str:
    try:
        from alibabacloud_dts20200101 import models
        from alibabacloud_dts20200101.client import Client
        from alibabacloud_tea_openapi import models as open_api_models
    except ImportError as exc:
        return f"official SDK not installed ({exc}; make bench installs the bench extra)"
    config = open_api_models.Config(access_key_id=key_id, access_key_secret=secret, endpoint=endpoint,
                                    protocol="http", region_id="cn-hangzhou")
    sdk = Client(config)
    request = models.DescribePreCheckStatusRequest(dts_job_id=f"bench-{items}", job_code="01")

    async def batch() -> list[Any]:
        return await asyncio.gather(*(sdk.describe_pre_check_status_async(request) for _ in range(CALLS)),
                                    return_exceptions=True)

    async def nothing_to_close() -> None:  # the SDK makes an aiohttp session per call and closes it
        pass

    return batch, lambda a: getattr(getattr(a, "body", None), "total_record_count", None) == items, nothing_to_close


async def _compare(contenders: list[tuple[Batch, Callable[[Any], bool], Any]]) -> list[tuple[float, float] | str]:
    """Best wall and best CPU seconds of one batch for each contender: a warm-up batch each (imports,
    connections, worker threads), then RUNS measured batches each, in turns."""
    best: list[tuple[float, float] | str] = [(math.inf, math.inf)] * len(contenders)
    for turn in range(RUNS + 1):
        for n, (batch, check, _) in enumerate(contenders):
            if isinstance(best[n], str):
                continue
            wall, cpu = time.perf_counter(), time.process_time()
            answers = await batch()
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            bad = [a for a in answers if not check(a)]
            if bad:
                best[n] = f"{len(bad)} of {len(answers)} calls failed, e.g. {bad[0]!r}"
            elif turn:  # the first turn warms up
                best_wall, best_cpu = best[n]  # type: ignore[misc]
                best[n] = (min(best_wall, wall), min(best_cpu, cpu))
    for _, _, close in contenders:
        await close()
    return best


def main() -> None:
    print(f"\n## async clients: {CALLS} concurrent calls on one event loop against the emulator "
          f"(best of {RUNS} batches each, in turns; the emulator in another process, client CPU is this process's)")
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        url, endpoint, key_id, secret = parent.recv()
        results = []
        for items in ANSWERS:
            theirs = _theirs(endpoint, key_id, secret, items)
            contenders = [_ours(url, key_id, secret, items)] + ([] if isinstance(theirs, str) else [theirs])
            measured = asyncio.run(_compare(contenders))
            results.append((items, measured[0], theirs if isinstance(theirs, str) else measured[1]))
    finally:
        server.kill()
        server.join()
    for items, ours, theirs in results:
        print(f"  {f'answers of {items} item' + ('s' if items != 1 else ''):44} {'wall':>8}   {'client CPU':>10}")
        if isinstance(ours, str):
            print(f"    AsyncDtsClient failed: {ours}")
            continue
        ours_wall, ours_cpu = ours
        print(f"    {'AsyncDtsClient.describe_pre_check_status':42} {ours_wall * 1000:5.0f} ms   "
              f"{ours_cpu * 1000:7.0f} ms   1.00x")
        if isinstance(theirs, str):
            print(f"    official SDK: {theirs}")
            continue
        theirs_wall, theirs_cpu = theirs
        print(f"    {'official SDK describe_pre_check_status_async':42} {theirs_wall * 1000:5.0f} ms   "
              f"{theirs_cpu * 1000:7.0f} ms   wall {theirs_wall / ours_wall:3.1f}x ours (target: at least 1x), "
              f"CPU {theirs_cpu / ours_cpu:3.1f}x ours (target: at least 2x)")


if __name__ == "__main__":
    main()
