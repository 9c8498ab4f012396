"""`make bench`: every benchmark, each side by side with its alternatives, printed as ratios from one run."""

from __future__ import annotations

import importlib
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

# Each module has main(); the order is the order of the report.
SECTIONS = ["bench_generate", "bench_parse", "bench_validators", "bench_corpus", "bench_recording", "bench_client",
            "bench_async", "bench_server"]


def main() -> int:
    started = time.perf_counter()
    print("# benchmarks (best of 5 runs each; ratios are measured in this run, on this machine)")
    broken = []
    for name in SECTIONS:
        if not (Path(__file__).parent / f"{name}.py").exists():
            continue
        try:
            importlib.import_module(name).main()
        except Exception as exc:  # one broken section must not hide the others' figures
            broken.append(name)
            print(f"\n## {name} FAILED: {type(exc).__name__}: {exc}", flush=True)
            traceback.print_exc()
    print(f"\n(total {time.perf_counter() - started:.1f} s)")
    if broken:
        print(f"failed: {', '.join(broken)}")
    return 1 if broken else 0


if __name__ == "__main__":
    raise SystemExit(main())
