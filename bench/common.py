"""Shared helpers for the benchmarks: timing by best-of-N, documents of a chosen size, ratio tables."""

from __future__ import annotations

import copy
import json
import sys
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "generated")]
SAMPLE = ROOT / "spec" / "examples" / "doc-sample.json"
RESPONSE_SCHEMA = ROOT / "generated" / "dts_precheck" / "schemas" / "response.schema.json"


def best_in_turns(fns: dict[str, Callable[[], object]], repeat: int = 7) -> dict[str, float]:
    """Seconds per call of each function: the best of `repeat` runs of about 50 ms each (the least disturbed
    one), the functions taking turns run by run, so that a busy moment of the machine weighs on all alike."""
    timers = {}
    for label, fn in fns.items():
        timer = timeit.Timer(fn)
        number, _ = timer.autorange()  # enough calls for 0.2 s
        timers[label] = (timer, max(1, number // 4))
    found = dict.fromkeys(fns, float("inf"))
    for _ in range(repeat):
        for label, (timer, number) in timers.items():
            found[label] = min(found[label], timer.timeit(number) / number)
    return found


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def big_response(items: int = 200) -> dict[str, Any]:
    """The doc sample with `items` progress items, each a distinct copy of the sample's first one."""
    doc = sample()
    template = doc["JobProgress"][0]
    rows = []
    for i in range(items):
        row = copy.deepcopy(template)
        row["Id"] = str(5632 + i)
        row["OrderNum"] = i
        row["Item"] = f"CHECK_ITEM_{i}"
        row["Logs"] = [{"ErrData": "x" * 20, "ErrMsg": f"message {i}", "LogLevel": "INFO", "ErrType": "ForeignKey"}]
        rows.append(row)
    doc["JobProgress"] = rows
    doc["PageRecordCount"] = items
    return doc


def table(title: str, rows: list[tuple[str, float, float]], baseline: str) -> None:
    """rows: (label, seconds per call, ratio to the baseline)."""
    print(f"\n## {title}")
    width = max(len(r[0]) for r in rows)
    for label, seconds, ratio in rows:
        print(f"  {label:<{width}}  {seconds * 1e6:10.1f} µs   {ratio:6.2f}x {baseline}")
