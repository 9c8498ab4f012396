"""`dts-precheck validate` on a corpus of 2,000 response files against `check-jsonschema --schemafile` on the
same files with the bundled schema: wall time of each whole command, as a user runs it."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import RESPONSE_SCHEMA, ROOT, big_response, sample

FILES = 2000


def _corpus(folder: Path) -> list[Path]:
    rng = random.Random(7)
    docs = [sample(), big_response(5), big_response(20)]
    paths = []
    for i in range(FILES):
        doc = json.loads(json.dumps(docs[i % 3]))
        doc["RequestId"] = f"REQ-{i:05}"
        if rng.random() < 0.05:
            doc["ErrorItem"] = "oops"  # a few real errors, so both tools report something
        path = folder / f"r{i:05}.json"
        path.write_text(json.dumps(doc))
        paths.append(path)
    return paths


def _wall(cmd: list[str]) -> tuple[float, int]:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True)
    return time.perf_counter() - started, done.returncode


def main() -> None:
    checker = shutil.which("check-jsonschema", path=str(Path(sys.executable).parent))
    with tempfile.TemporaryDirectory() as tmp:
        paths = _corpus(Path(tmp))
        schema = Path(tmp) / "response.schema.json"
        schema.write_text(RESPONSE_SCHEMA.read_text(encoding="utf-8"))
        ours_cmd = [sys.executable, "-m", "generator", "validate", "--strict", "--format", "json", "-q", tmp]
        ours = min(_wall(ours_cmd)[0] for _ in range(3))
        print(f"\n## validate a corpus of {FILES:,} response files (whole command, wall time, best of 3)")
        print(f"  dts-precheck validate --strict          {ours:7.2f} s   1.00x")
        if checker is None:
            print("  (check-jsonschema not installed: `make bench` installs the bench extra)")
            return
        theirs_cmd = [checker, "--schemafile", str(schema), *map(str, paths)]
        theirs = min(_wall(theirs_cmd)[0] for _ in range(2))
        print(f"  check-jsonschema --schemafile           {theirs:7.2f} s   {theirs / ours:5.1f}x slower "
              "(target: at least 15x)")


if __name__ == "__main__":
    main()
