"""The emulator as a user starts it: `python -m generator mock-server --port 0`, in its own process.

The first line it prints on stdout is the URL it listens on. Used by the status, vendor and docs tests.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from conftest import ROOT

KEY_ID, KEY_SECRET = "mock-access-key-id", "mock-access-key-secret"  # what it accepts without --access-key
CREDENTIALS = {"ALIBABA_CLOUD_ACCESS_KEY_ID": KEY_ID, "ALIBABA_CLOUD_ACCESS_KEY_SECRET": KEY_SECRET}


@contextmanager
def mock_server(*options: str) -> Iterator[str]:
    """Start the emulator with these command-line options; yields its URL; stops it afterwards."""
    with tempfile.TemporaryFile("w+") as log:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "generated")])}
        proc = subprocess.Popen([sys.executable, "-m", "generator", "mock-server", "--port", "0", "-q", *options],
                                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log, text=True)
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            if not url.startswith("http://"):
                proc.wait(10)
                log.seek(0)
                raise RuntimeError(f"mock-server did not start (exit {proc.returncode}): {log.read()}")
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
