"""Bounded load test: 200 concurrent clients paginate a 5,000-item job over loopback, each gets every item
exactly once, and nothing fails."""

from __future__ import annotations

import threading
import time

from generator.emulator import Emulator
from generator.emulator.client import Caller

CLIENTS = 200
ITEMS = 5000
PAGE_SIZE = 200
BUDGET_S = 20.0


def test_two_hundred_clients_paginate_five_thousand_items() -> None:
    with Emulator(seed=1, record_limit=CLIENTS * (ITEMS // PAGE_SIZE + 1)) as server:
        server.add_job("big", items=ITEMS)
        results: list[list[str]] = []
        errors: list[str] = []
        start = threading.Barrier(CLIENTS + 1)

        def client(n: int) -> None:
            ids: list[str] = []
            signing = "v3" if n % 2 else "v2"
            with Caller(server.url, "DescribePreCheckStatus", "2020-01-01", server.access_key_id,
                        server.access_key_secret, signing=signing, timeout_s=30) as c:
                try:
                    start.wait(timeout=30)
                    page = 1
                    while True:
                        answer = c.request({"DtsJobId": "big", "JobCode": "01", "PageNo": page,
                                            "PageSize": PAGE_SIZE})
                        if answer.status != 200:
                            errors.append(f"client {n} page {page}: HTTP {answer.status} {answer.body[:200]!r}")
                            return
                        body = answer.json()
                        assert body["TotalRecordCount"] == ITEMS and body["PageNumber"] == page
                        if not body["JobProgress"]:
                            break
                        ids += [item["Id"] for item in body["JobProgress"]]
                        page += 1
                except Exception as exc:  # collected: the assertion below shows them all
                    errors.append(f"client {n}: {exc!r}")
                    return
            results.append(ids)

        threads = [threading.Thread(target=client, args=(n,), daemon=True) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        start.wait(timeout=30)
        began = time.perf_counter()
        for t in threads:
            t.join(timeout=BUDGET_S + 10)
        took = time.perf_counter() - began
        assert errors == []
        expected = [str(n) for n in range(1, ITEMS + 1)]
        assert len(results) == CLIENTS
        assert all(ids == expected for ids in results)  # every item, exactly once, in order
        requests = len(server.records)
        assert requests == CLIENTS * (ITEMS // PAGE_SIZE + 1)
        assert {r["verdict"] for r in server.records} == {"ok"}
        assert took < BUDGET_S, f"{requests} requests took {took:.1f}s ({requests / took:.0f}/s)"
