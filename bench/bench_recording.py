"""`validate` on a large JSON Lines recording: wall time as a ratio to a bare `json.loads` loop over the same
lines in one process (the least any checker must do: for an exchange, the line and the body it carries), and the peak resident memory of the validate process
and its workers, at two file sizes (it must not grow with the file).

The recording is made here, in a temporary folder, from the spec's examples with variation: response bodies
with 1 to 40 progress items, drifted values now and then, error bodies; a second file holds the same bodies as
the exchanges of a recording (request parameters, status, headers, body), as `DtsClient(record_to=...)` writes.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from common import ROOT, sample

SIZE_MB = int(os.environ.get("BENCH_RECORDING_MB", "300"))
SMALL_MB = max(1, SIZE_MB // 10)
ERROR = ROOT / "spec" / "examples" / "error-throttling.json"
# Runs the validate command and prints its wall time and the peak RSS of it and its workers (the largest
# one process reached), from a process of its own so no other child's peak is counted.
PROBE = """
import resource, subprocess, sys, time
started = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, done.returncode,
      done.stderr.decode()[-300:].replace(chr(10), ' '))
"""


def bodies(rng: random.Random) -> Any:
    base = sample()
    item = base["JobProgress"][0]
    error = json.loads(ERROR.read_text(encoding="utf-8"))
    n = 0
    while True:
        n += 1
        if n % 50 == 0:
            yield dict(error, RequestId=f"E{n:08d}")
            continue
        doc = dict(base, RequestId=f"R{n:08d}", Total=rng.randrange(0, 5000))
        rows = []
        for i in range(rng.randrange(1, 41)):
            row = dict(item, Id=str(n * 100 + i), OrderNum=i, Item=f"CHECK_ITEM_{i}",
                       State=rng.choice(["NotStarted", "Checking", "Failed", "Success", "Finished"]))
            if rng.random() < 0.02:
                row["Total"] = str(row["Total"])  # the drift lenient mode accepts (a warning)
            rows.append(row)
        doc["JobProgress"] = rows
        doc["PageRecordCount"] = len(rows)
        yield doc


def exchange(doc: dict[str, Any], n: int) -> dict[str, Any]:
    return {"type": "exchange", "time": "2024-05-01T12:00:00.000Z", "action": "DescribePreCheckStatus",
            "request": {"method": "POST", "url": "https://dts.cn-hangzhou.aliyuncs.com/",
                        "params": {"DtsJobId": f"job{n % 97}", "JobCode": "01", "PageNo": str(1 + n % 5),
                                   "PageSize": "20", "AccessKeyId": "[redacted]"}},
            "response": {"status": 400 if "Code" in doc else 200,
                         "headers": {"content-type": "application/json;charset=utf-8"},
                         "body": json.dumps(doc, ensure_ascii=False)}}


def write(path: Path, megabytes: int, as_exchanges: bool) -> int:
    rng = random.Random(7)
    target = megabytes * 1_000_000
    written = lines = 0
    with path.open("w", encoding="utf-8") as fh:
        for doc in bodies(rng):
            record = exchange(doc, lines) if as_exchanges else doc
            line = json.dumps(record, ensure_ascii=False) + "\n"
            fh.write(line)
            written += len(line.encode())
            lines += 1
            if written >= target:
                return lines
    return lines


def bare_loads(path: Path, as_exchanges: bool) -> tuple[float, float]:
    """Wall and CPU seconds of the baseline: each line parsed and, in an exchange, the response body it carries
    as text (a checker cannot check a body it has not parsed)."""
    loads = json.loads
    started, cpu = time.perf_counter(), time.process_time()
    with path.open("rb") as fh:
        if as_exchanges:
            for line in fh:
                loads(loads(line)["response"]["body"])
        else:
            for line in fh:
                loads(line)
    return time.perf_counter() - started, time.process_time() - cpu


def validate(path: Path, *extra: str) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (the command and its workers) and the peak RSS of one of its processes."""
    command = [sys.executable, "-m", "generator", "validate", "-q", "--format", "json", *extra, str(path)]
    done = subprocess.run([sys.executable, "-c", PROBE, *command], cwd=ROOT, capture_output=True, text=True,
                          check=True)
    wall, cpu, peak, code, err = done.stdout.split(" ", 4)
    if int(code) not in (0, 1):
        raise RuntimeError(f"validate exited {code}: {err}")
    return float(wall), float(cpu), int(peak) * 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as folder:
        print(f"\n## validate a JSON Lines recording ({cores} cores; ratios to a bare json.loads loop over the "
              "same lines in one process)")
        print("  (wall time needs the cores free: the load average is shown; CPU time is all processes' and "
              "does not)")
        for name, as_exchanges in (("response bodies", False), ("exchanges (request + response)", True)):
            big, small = Path(folder) / "big.jsonl", Path(folder) / "small.jsonl"
            lines = write(big, SIZE_MB, as_exchanges)
            write(small, SMALL_MB, as_exchanges)
            size = big.stat().st_size
            bare_loads(big, as_exchanges)  # the file in the page cache for both
            load = os.getloadavg()[0]
            base, base_cpu = min(bare_loads(big, as_exchanges) for _ in range(2))
            wall, cpu, peak = min(validate(big) for _ in range(2))
            one, one_cpu, _ = validate(big, "--jobs", "1")
            _, _, small_peak = validate(small)
            print(f"  {name}: {size / 1e6:,.0f} MB, {lines:,} lines (load average {load:.1f} before)")
            label = "json.loads, line + body (baseline)" if as_exchanges else "json.loads loop (baseline)"
            print(f"    {label:<35} wall {base:6.2f} s  1.00x   CPU {base_cpu:6.2f} s  1.00x")
            print(f"    {f'validate --jobs {cores} (default)':<35} wall {wall:6.2f} s  {wall / base:4.2f}x   "
                  f"CPU {cpu:6.2f} s  {cpu / base_cpu:4.2f}x   (target: wall at most 1.5x)")
            print(f"    {'validate --jobs 1':<35} wall {one:6.2f} s  {one / base:4.2f}x   "
                  f"CPU {one_cpu:6.2f} s  {one_cpu / base_cpu:4.2f}x")
            print(f"    peak RSS of one process: {peak / 2**20:,.0f} MiB at {size / 1e6:,.0f} MB, "
                  f"{small_peak / 2**20:,.0f} MiB at {small.stat().st_size / 1e6:,.0f} MB")
            big.unlink()
            small.unlink()


if __name__ == "__main__":
    main()
