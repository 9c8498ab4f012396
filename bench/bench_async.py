"""The async clients side by side: 200 concurrent calls on one event loop against the emulator.

Every party runs in a process of its own: the emulator, and each client (a fresh interpreter holding that
client alone, so its CPU time is the client's and nothing else's, its garbage collector included). One
batch is 200 `describe_pre_check_status` calls started at once (asyncio.gather) on one event loop. Each
client runs one warm-up batch, then the clients take turns, 10 measured batches each (a busy machine
weighs on all alike), and each one's best wall time and best CPU time are shown. Two answers: one item
(the size of the API documentation's sample, as bench_client uses) and a page of 20 items (where decoding
the items into models, the same code whatever the transport, weighs more).

The baseline: the official SDK's `describe_pre_check_status_async` (alibabacloud-dts20200101 on
darabonba-core, which sends each call through aiohttp with a new session and connection per call). Ours,
AsyncDtsClient three ways: with its default transport (HttpTransport's http.client exchanges in a pool of
16 worker threads, 16 kept-alive connections); over docs/client.md's AiohttpTransport (one
aiohttp.ClientSession, no threads, up to 100 connections by aiohttp's default); over its
HttpxAsyncTransport (one httpx.AsyncClient, no threads, up to 100 connections by httpx's default). The
adapters are taken from the page as a reader copies them (tools/docs_adapters.py, as the adapter tests take
them), not copied here. Each of ours is shown against the SDK with the targets: wall time no worse than the SDK's,
client CPU at least 2x lower.
"""

from __future__ import annotations

import asyncio
import contextlib
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
SDK = "official SDK describe_pre_check_status_async"
# Our contenders, each AsyncDtsClient with a transport: its default, or an adapter class of docs/client.md.
OURS = {"default": "AsyncDtsClient (default transport)",
        "AiohttpTransport": "AsyncDtsClient over AiohttpTransport",
        "HttpxAsyncTransport": "AsyncDtsClient over HttpxAsyncTransport"}


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


def _ours(url: str, key_id: str, secret: str, items: int,
          transport_name: str) -> tuple[Batch, Callable[[Any], bool], Any]:
    from dts_precheck.client import AsyncDtsClient

    from tools.docs_adapters import adapters

    transport = None if transport_name == "default" else adapters()[transport_name]()
    client = AsyncDtsClient(endpoint=url, access_key_id=key_id, access_key_secret=secret, transport=transport)

    async def batch() -> list[Any]:
        return await asyncio.gather(*(client.describe_pre_check_status(dts_job_id=f"bench-{items}", job_code="01")
                                      for _ in range(CALLS)), return_exceptions=True)

    async def close() -> None:
        await client.close()
        if transport is not None:  # a transport passed in is the caller's to close
            await transport.close()

    return batch, lambda a: getattr(a, "total_record_count", None) == items, close


def _theirs(endpoint: str, key_id: str, secret: str, items: int) -> tuple[Batch, Callable[[Any], bool], Any]:
    from alibabacloud_dts20200101 import models
    from alibabacloud_dts20200101.client import Client
    from alibabacloud_tea_openapi import models as open_api_models

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


def _contender(conn: Connection, who: str, address: tuple[str, str, str, str], items: int) -> None:
    """A client in a process of its own: a batch (wall, CPU seconds) each time it is asked; a failure as text.
    `who` is SDK or a key of OURS."""
    url, endpoint, key_id, secret = address
    try:
        batch, check, close = _theirs(endpoint, key_id, secret, items) if who == SDK else \
            _ours(url, key_id, secret, items, who)
    except ImportError as exc:
        conn.send(f"not installed ({exc}; make bench installs the dev and bench extras)")
        return
    conn.send("ready")
    with asyncio.Runner() as runner:
        while conn.recv() == "batch":
            wall, cpu = time.perf_counter(), time.process_time()
            answers = runner.run(batch())
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            bad = [a for a in answers if not check(a)]
            conn.send(f"{len(bad)} of {len(answers)} calls failed, e.g. {bad[0]!r}" if bad else (wall, cpu))
        runner.run(close())


def _compare(address: tuple[str, str, str, str], items: int) -> dict[str, tuple[float, float] | str]:
    context = mp.get_context("spawn")
    pipes, procs = {}, []
    for who in (SDK, *OURS):
        parent, child = context.Pipe()
        proc = context.Process(target=_contender, args=(child, who, address, items), daemon=True)
        proc.start()
        pipes[who], procs = parent, [*procs, proc]
    best: dict[str, tuple[float, float] | str] = {}
    try:
        for who, pipe in pipes.items():
            answer = pipe.recv()
            if answer != "ready":
                best[who] = answer
        for turn in range(RUNS + 1):  # the first turn warms up: imports, connections, worker threads
            for who, pipe in pipes.items():
                if isinstance(best.get(who), str):
                    continue
                pipe.send("batch")
                answer = pipe.recv()
                if isinstance(answer, str):
                    best[who] = answer
                elif turn:
                    wall, cpu = best.get(who, (float("inf"), float("inf")))  # type: ignore[misc]
                    best[who] = (min(wall, answer[0]), min(cpu, answer[1]))
        for who, pipe in pipes.items():
            if not isinstance(best.get(who), str):
                pipe.send("stop")
    finally:
        for proc in procs:
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    return best


def main() -> None:
    print(f"\n## async clients: {CALLS} concurrent calls on one event loop against the emulator "
          f"(best of {RUNS} batches each, in turns; each client and the emulator in a process of its own)")
    parent, child = mp.Pipe()
    server = mp.get_context("spawn").Process(target=_serve, args=(child,), daemon=True)
    server.start()
    try:
        address = parent.recv()
        results = [(items, _compare(address, items)) for items in ANSWERS]
    finally:
        server.kill()
        server.join()
    width = max(len(label) for label in (SDK, *OURS.values()))
    for items, best in results:
        print(f"  {f'answers of {items} item' + ('s' if items != 1 else ''):{width + 2}} {'wall':>8}   "
              f"{'client CPU':>10}   the official SDK's over this one's")
        theirs = best[SDK]
        if isinstance(theirs, str):
            print(f"    {SDK}: {theirs}")
        else:
            print(f"    {SDK:{width}} {theirs[0] * 1000:6.0f} ms   {theirs[1] * 1000:7.0f} ms   1.00x")
        for key, label in OURS.items():
            ours = best[key]
            if isinstance(ours, str):
                print(f"    {label}: {ours}")
            elif isinstance(theirs, str):
                print(f"    {label:{width}} {ours[0] * 1000:6.0f} ms   {ours[1] * 1000:7.0f} ms")
            else:
                print(f"    {label:{width}} {ours[0] * 1000:6.0f} ms   {ours[1] * 1000:7.0f} ms   "
                      f"wall {theirs[0] / ours[0]:3.1f}x (target: at least 1x), "
                      f"CPU {theirs[1] / ours[1]:3.1f}x (target: at least 2x)")


if __name__ == "__main__":
    main()
