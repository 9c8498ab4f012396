"""`make generate` from a ready .venv: wall time of the whole command, as a user runs it."""

from __future__ import annotations

import subprocess
import sys
import time

from common import ROOT


def main() -> None:
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "generator", "generate", "--check"], cwd=ROOT, check=True,
                       capture_output=True)
        times.append(time.perf_counter() - t)
    print("\n## generate (python -m generator generate --check, whole process)")
    print(f"  best of 3: {min(times):.2f} s wall (target: under 2 s)")
