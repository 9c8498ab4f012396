"""`mock-server`: the emulator from the command line. Prints the URL it listens on, serves until
interrupted (SIGINT or SIGTERM), exits 0. Request log lines (JSON, one a request) go to stderr."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from types import FrameType

DESCRIPTION = """\
Start a local emulator of the spec's API: a real HTTP server on loopback speaking the RPC wire
protocol (POST or GET /, parameters in the query or a form body, V2 and V3 signatures verified,
STS tokens, JSON or XML per Format). Its behaviour comes from the spec and its x-emulator
extensions. The first line on stdout is the URL; one JSON log line a request goes to stderr."""

EPILOG = """\
data:
  synthetic (default)   any job id exists, made up from the item schema by --seed
  --data FILE.jsonl     a recording of exchanges (JSON Lines, docs/validating.md) replayed: each request gets
                        what was recorded for its job, other parameters and page, in the order recorded
  --data DIR            recorded bodies (*.json, 200 or error bodies), found by file name or job id, and
                        recordings (*.jsonl, *.ndjson) replayed; anything else gets the unknown-job error

scenarios (--scenario NAME or NAME:step=SECONDS): jobs move pending -> running -> done/aborted
  over time from their first request; the names are the spec's x-emulator scenarios.

faults (--faults, comma-separated, each NAME[:key=value...]):
  throttle[:retry-after=MS][:status=N]   unavailable[:status=N]   slow[:ms=N]
  drop   truncate   malformed            triggers: every=N | rate=P | first=N, and count=N
  total-shift[:after=N][:delta=N]        clamp (past-the-end pages answer the last page)

access keys (--access-key, repeatable): ID:SECRET, or ID:SECRET:TOKEN[:TTL_SECONDS] for STS.
  Without one, the made-up key mock-access-key-id / mock-access-key-secret is accepted.

examples:
  %(prog)s --port 8080
  %(prog)s --scenario NAME:step=0.5 --faults "throttle:every=4,slow:rate=0.1:ms=200"
  %(prog)s --data captures/ --access-key AK:SK --seed 7
  %(prog)s --data recording.jsonl
"""


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0 to 65535; 0 picks a free one)")
    return port


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=0, help="port (default 0: any free port)")
    p.add_argument("--data", metavar="PATH", help="serve what was recorded instead of synthetic jobs: a recording "
                   "(*.jsonl), a recorded body (*.json), or a folder of them")
    p.add_argument("--scenario", metavar="NAME", help="jobs walk this scenario of the spec (NAME[:step=S])")
    p.add_argument("--faults", metavar="SPEC", help="faults to inject (see below)")
    p.add_argument("--access-key", metavar="ID:SECRET", action="append", dest="access_keys",
                   help="an accepted key (repeatable); ID:SECRET:TOKEN[:TTL] for STS")
    p.add_argument("--seed", type=int, default=0, help="seed of everything made up or random (default 0)")
    p.add_argument("--spec", metavar="FILE", help="the OpenAPI spec (default, in the toolkit's checkout: the one "
                   "*.yaml in spec/)")
    p.add_argument("-q", "--quiet", action="store_true", help="no request log on stderr")


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from ..defaults import UsageError, spec_path
    from ..errors import SpecError
    from ..pipeline import NoDefaultError
    from .api import EmulatorConfigError
    from .faults import FaultSpecError
    from .server import Emulator

    try:
        server = Emulator(spec=spec_path(args.spec), host=args.host, port=args.port, data=args.data, scenario=args.scenario,
                          faults=args.faults, keys=args.access_keys, seed=args.seed)
        server.bind()
    except (EmulatorConfigError, FaultSpecError, SpecError, NoDefaultError, UsageError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"error: cannot listen on {args.host}:{args.port}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    log = logging.getLogger("generator.emulator")
    if not args.quiet:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    print(server.url, flush=True)
    keys = ", ".join(k for k in server.engine.keys)
    print(f"mock-server: {server.api.spec_path}, seed {args.seed}, scenario {args.scenario or 'none'}, "
          f"faults {server.faults.describe()}, access keys: {keys}; Ctrl-C stops", file=sys.stderr, flush=True)
    if server.engine.replays is not None:
        print(f"mock-server: replaying {server.engine.replays.summary}", file=sys.stderr, flush=True)
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        server.stop()
    print("mock-server: stopped", file=sys.stderr, flush=True)
    return 0
