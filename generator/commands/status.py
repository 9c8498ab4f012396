"""`status`: one job's subtask as a table, or `--watch` it to its end through the generated waiter.

Generic: everything this module knows about the API comes from the generated package's
`_spec.CLI["status"]`, rendered from the spec's `x-cli.status` (docs/design.md): which client methods to
call, which command-line options set which request parameters, which item fields are the columns and
which item values count as failed. Standard library only, like `validate`, so it starts fast and runs
where the toolkit was installed without its generation dependencies.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, TextIO

from . import terminal

EXIT_OK, EXIT_API_ERROR, EXIT_USAGE, EXIT_FAILED, EXIT_TIMEOUT = 0, 1, 2, 3, 4

EPILOG = """\
credentials: {credentials}; never from the command line.

exit codes:
  0  passed, or still running (without --watch)
  1  the API answered with an error, or could not be reached
  2  usage: bad options, no region or endpoint, no credentials
  3  failed: the job failed, or finished with failed items
  4  timed out (--watch): no final state within --timeout seconds

examples:
  %(prog)s {args} --region REGION
      one look: every item of every page, failed items first
  %(prog)s {args} --endpoint http://127.0.0.1:8080 --watch
      poll the local emulator (the mock-server command) until the subtask ends
  %(prog)s {args} --region REGION --format json
      one JSON object (outcome, counts, items) for scripts
  %(prog)s {args} --region REGION --watch --record day.jsonl
      watch, and keep every exchange: `validate day.jsonl` checks it, `mock-server --data day.jsonl` replays it
"""

DESCRIPTION = ("Show one job's subtask: every item on every page as a table (state, item, target, error, "
               "repair method), failed items first. --watch polls through the client's waiter with a "
               "progress bar until the subtask ends. What the table shows comes from the spec's x-cli.")


# ---------------------------------------------------------------- the spec's x-cli.status, from the package
def cli_spec(package: str) -> dict[str, Any] | None:
    """The package's `_spec.CLI["status"]`, or None when its spec declares no status command."""
    spec = importlib.import_module(package + "._spec")
    found = getattr(spec, "CLI", {}).get("status")
    if not found:
        return None
    return {**found, "credentials_env": dict(getattr(spec, "CREDENTIALS_ENV", {}))}


def epilog(spec: dict[str, Any] | None) -> str:
    names = list((spec or {}).get("credentials_env", {}).values())
    where = ("from the environment: " + ", ".join(names[:2]) + (f" (and {names[2]} for temporary ones)"
                                                                  if len(names) > 2 else "")
             if names else "from the environment variables the spec's x-service.credentials_env names")
    required = [f"--{o['flag']} {o['param']}" for o in (spec or {}).get("options", []) if o["required"]]
    return EPILOG.replace("{credentials}", where).replace("{args}", " ".join(required) or "...")


def _prescan(argv: Sequence[str]) -> str | None:
    for i, arg in enumerate(argv):
        if arg == "--package" and i + 1 < len(argv):
            return argv[i + 1]
        if arg.startswith("--package="):
            return arg.split("=", 1)[1]
    return None


def _option_dest(attr: str) -> str:
    return "param_" + attr


_TYPES: dict[str, Callable[[str], Any]] = {"integer": int, "number": float, "string": str}


def _boolean(text: str) -> bool:
    if text.lower() in ("true", "1", "yes"):
        return True
    if text.lower() in ("false", "0", "no"):
        return False
    raise argparse.ArgumentTypeError(f"{text!r} is not true or false")


def add_arguments(p: argparse.ArgumentParser, argv: Sequence[str] | None = None) -> None:
    """The command's options: its own, plus one per x-cli option of the generated package's spec.

    The spec's options are added only when the command line asks for `status` (reading the package
    costs an import the other commands need not pay).
    """
    args = list(sys.argv[1:] if argv is None else argv)
    p.add_argument("--package", metavar="NAME", help="the generated package to use (default: the one in "
                   "generated/, else the installed one)")
    spec: dict[str, Any] | None = None
    if "status" in args:
        from .package import find_package

        try:
            spec = cli_spec(find_package(_prescan(args)))
        except (LookupError, ImportError) as exc:
            spec = None  # reported by run(), or by the CLI when this package's options are then unknown
            p.set_defaults(package_problem=str(exc))
    p.epilog = epilog(spec)
    if spec is not None:
        group = p.add_argument_group(f"{spec['action']} parameters")
        for o in spec["options"]:
            kind = _boolean if o["type"] == "boolean" else _TYPES.get(o["type"], str)
            helptext = o["help"] or o["param"]
            if o["values"]:
                helptext += f" (one of {', '.join(o['values'])})"
            if o["default"] is not None:
                helptext += f" [default: {o['default']}]"
            group.add_argument("--" + o["flag"], dest=_option_dest(o["attr"]), type=kind, default=o["default"],
                               required=o["required"], metavar=o["param"], help=helptext + f" -> {o['param']}")
    where = p.add_mutually_exclusive_group()
    where.add_argument("--region", metavar="R", help="region id, e.g. cn-hangzhou (its endpoint from the spec)")
    where.add_argument("--endpoint", metavar="URL",
                       help="an explicit endpoint: a host, or a URL such as http://127.0.0.1:8080 (the emulator)")
    p.add_argument("--watch", action="store_true", help="poll through the waiter until the subtask ends")
    interval = spec["default_interval_s"] if spec else None
    timeout = spec["default_timeout_s"] if spec else None
    p.add_argument("--interval", type=float, metavar="S", default=interval,
                   help="seconds between polls with --watch" + (f" [default: {interval:g}; never below "
                                                                f"{spec['min_interval_s']:g}]" if spec else ""))
    p.add_argument("--timeout", type=float, metavar="S", default=timeout,
                   help="give up --watch after this many seconds (exit 4)"
                   + (f" [default: {timeout:g}]" if timeout else ""))
    p.add_argument("--page-size", type=int, metavar="N", help="items per page fetched"
                   + (f" [default: {spec['page_size']}]" if spec and spec["page_size"] else ""))
    p.add_argument("--format", choices=("text", "json"), default="text",
                   help="text: a table for people; json: one object (items, counts, outcome) for scripts")
    p.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                   help="colour the table: auto means on a terminal unless NO_COLOR is set")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or progress lines with --watch")
    p.add_argument("--record", metavar="FILE", help="append every exchange to FILE, a recording (JSON Lines, "
                   "secrets redacted) that validate checks and mock-server --data replays")


# ---------------------------------------------------------------- rows
@dataclass
class Snapshot:
    """Everything one look at the subtask found: the first page's top-level fields and every item."""

    top: dict[str, Any]
    items: list[dict[str, Any]]
    pages: int


@dataclass
class Outcome:
    kind: str  # passed | running | failed | timeout | error
    exit_code: int
    message: str
    error: dict[str, Any] = field(default_factory=dict)


class Rows:
    """Items classified by the spec's x-cli outcome rule, failed first."""

    def __init__(self, spec: dict[str, Any]) -> None:
        rule = spec["outcome"]
        self.field = rule["field"]
        self.classes = {**{v: "passed" for v in rule["passed"]}, **{v: "warning" for v in rule["warning"]},
                        **{v: "failed" for v in rule["failed"]}}

    def kind(self, item: dict[str, Any]) -> str:
        value = item.get(self.field)
        return self.classes.get(value, "pending") if isinstance(value, str) else "pending"

    def order(self, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        rank = {"failed": 0, "warning": 1}
        return sorted(items, key=lambda i: rank.get(self.kind(i), 2))  # stable: the service's order otherwise

    def counts(self, items: list[dict[str, Any]]) -> dict[str, int]:
        out = {"failed": 0, "warning": 0, "passed": 0, "pending": 0}
        for item in items:
            out[self.kind(item)] += 1
        return out


def _text(value: Any) -> str:
    if value is None or type(value).__name__ == "UnsetType":
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return " ".join(str(value).split())  # trailing "\t\n", embedded newlines: one line a cell


TONES = {"failed": "red", "warning": "yellow", "passed": "green", "pending": ""}


def table(spec: dict[str, Any], items: list[dict[str, Any]], *, colour: bool, clip: bool) -> list[str]:
    rows = Rows(spec)
    columns = spec["columns"]
    ordered = rows.order(items)
    return terminal.table([c["title"] for c in columns],
                          [[_text(item.get(c["field"])) for c in columns] for item in ordered],
                          tones=[TONES[rows.kind(item)] for item in ordered],
                          max_widths=[c["max_width"] if clip else None for c in columns], colour=colour)


# ---------------------------------------------------------------- progress while watching
class Progress:
    """The commands' bar on a terminal (stderr), a line per change elsewhere; nothing with --quiet."""

    def __init__(self, stream: TextIO, enabled: bool) -> None:
        self.stream = stream
        self.enabled = enabled
        self.bar = terminal.Bar(stream, delay_s=0.0)
        self.tty = enabled and self.bar.enabled
        self.last = ""

    def update(self, state: Any, done: int, total: int | None) -> None:
        if not self.enabled:
            return
        count = f"{done}/{total} items done" if total else f"{done} items done"
        if self.tty:
            self.bar.draw(done / total if total else None, f"{count} · {_text(state) or '?'} · "
                          f"{self.bar.elapsed:.0f}s", force=True)
            return
        text = f"{_text(state) or '?'}: {count}"
        if text != self.last:
            self.last = text
            self.stream.write(f"[{self.bar.elapsed:5.0f}s] {text}\n")
            self.stream.flush()

    def close(self) -> None:
        self.bar.close()


# ---------------------------------------------------------------- running
class _Api:
    """The generated package, reached through the names its _spec gives."""

    def __init__(self, package: str, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.client_module: ModuleType = importlib.import_module(package + ".client")
        self.errors: ModuleType = importlib.import_module(package + ".errors")
        self.runtime_errors: ModuleType = importlib.import_module(package + "._errors")
        self.client_class: Any = getattr(self.client_module, spec["client_class"])
        self.failed_error: type[BaseException] = getattr(self.errors, spec["error_class"])

    @property
    def usage_errors(self) -> tuple[type[BaseException], ...]:
        # Problems with what the user gave us, not with the service.
        e = self.runtime_errors
        return (e.CredentialsError, e.EndpointError, e.RequestValidationError)


def _snapshot(client: Any, spec: dict[str, Any], params: dict[str, Any], page_size: int | None) -> Snapshot:
    kwargs = dict(params)
    if page_size is not None:
        kwargs["page_size"] = page_size
    pager = getattr(client, spec["paginate"])(**kwargs)
    top: dict[str, Any] = {}
    items: list[dict[str, Any]] = []
    for n, response in enumerate(pager):
        body = response.to_dict()
        if n == 0:
            top = {k: v for k, v in body.items() if k != spec["items_field"]}
        page = body.get(spec["items_field"])
        items.extend(i for i in (page if isinstance(page, list) else []) if isinstance(i, dict))
    return Snapshot(top, items, pager.pages_fetched)


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def judge(spec: dict[str, Any], snap: Snapshot) -> Outcome:
    """Passed, failed or still running, from one look (the same rule as the waiter's)."""
    state = snap.top.get(spec["state_field"])
    counts = Rows(spec).counts(snap.items)
    failures = _count(snap.top.get(spec["failure_count_field"])) if spec["failure_count_field"] else None
    label = f"{spec['state_field']} {_text(state) or '(none)'}"
    if state in spec["failure"]:
        return Outcome("failed", EXIT_FAILED, f"failed: {label}, {counts['failed']} failed item(s)")
    if state in spec["success"]:
        failed = max(failures or 0, counts["failed"])
        if failed:
            return Outcome("failed", EXIT_FAILED, f"failed: {label} with {failed} failed item(s)")
        return Outcome("passed", EXIT_OK, f"passed: {label}")
    done = counts["failed"] + counts["warning"] + counts["passed"]
    return Outcome("running", EXIT_OK, f"running: {label}, {done} of {len(snap.items)} items done")


def _error_fields(exc: BaseException) -> dict[str, Any]:
    out: dict[str, Any] = {"type": type(exc).__name__, "message": str(exc)}
    for name in ("code", "request_id", "http_status"):
        value = getattr(exc, name, None)
        if value is not None:
            out[name] = value
    return out


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    from .package import find_package

    try:
        package = find_package(args.package)
        spec = cli_spec(package)
    except (LookupError, ImportError) as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    if spec is None:
        print(f"error: the spec of {package} declares no status command (x-cli.status on an operation)", file=err)
        return EXIT_USAGE
    missing = [o for o in spec["options"] if not hasattr(args, _option_dest(o["attr"]))]
    if missing:  # the parser was built without this package's options (an unusual --package spelling)
        print(f"error: cannot read the options of {package}: pass --package NAME before other options", file=err)
        return EXIT_USAGE
    if args.page_size is not None and args.page_size < 1:
        print("error: --page-size must be at least 1", file=err)
        return EXIT_USAGE
    if args.watch and (args.timeout is None or args.timeout <= 0 or args.interval is None or args.interval <= 0):
        print("error: --timeout and --interval must be positive", file=err)
        return EXIT_USAGE
    if not args.region and not args.endpoint:
        print("error: no endpoint: pass --region R (its endpoint comes from the spec) or --endpoint URL", file=err)
        return EXIT_USAGE
    params = {o["attr"]: getattr(args, _option_dest(o["attr"])) for o in spec["options"]}
    params = {k: v for k, v in params.items() if v is not None}
    shown = {o["param"]: params[o["attr"]] for o in spec["options"] if o["attr"] in params}
    colour = args.format == "text" and (args.color == "always" or (
        args.color == "auto" and out.isatty() and "NO_COLOR" not in os.environ))
    api = _Api(package, spec)
    bad_setup: tuple[type[BaseException], ...] = (ValueError, *api.usage_errors)
    try:
        client = api.client_class(region_id=args.region, endpoint=args.endpoint, record_to=args.record)
    except bad_setup as exc:
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    with client:
        try:
            snap, outcome = _look(client, api, args, params, err)
        except api.usage_errors as exc:
            return _fail(args, out, err, shown, Outcome("error", EXIT_USAGE, f"error: {exc}", _error_fields(exc)))
        except api.runtime_errors.ClientError as exc:
            return _fail(args, out, err, shown, Outcome("error", EXIT_API_ERROR, f"error: {_describe(exc)}",
                                                        _error_fields(exc)))
    _report(spec, args, out, shown, snap, outcome, colour=colour, clip=out.isatty())
    return outcome.exit_code


def _look(client: Any, api: _Api, args: argparse.Namespace, params: dict[str, Any],
          err: TextIO) -> tuple[Snapshot, Outcome]:
    spec = api.spec
    if not args.watch:
        snap = _snapshot(client, spec, params, args.page_size)
        return snap, judge(spec, snap)
    rows = Rows(spec)
    bar = Progress(err, enabled=not args.quiet)

    def on_progress(response: Any) -> None:
        body = response.to_dict()
        page = body.get(spec["items_field"])
        items = [i for i in (page if isinstance(page, list) else []) if isinstance(i, dict)]
        total = _count(body.get(spec["total_field"])) if spec["total_field"] else None
        if total is not None and total > len(items):
            # Every page, so the bar counts every item; on an error the bar shows the first page.
            with contextlib.suppress(api.runtime_errors.ClientError):
                items = _snapshot(client, spec, params, args.page_size).items
        counts = rows.counts(items)
        bar.update(body.get(spec["state_field"]), counts["failed"] + counts["warning"] + counts["passed"],
                   total if total is not None else len(items))

    waiter = getattr(client, spec["waiter"])
    timed_out: BaseException | None = None
    try:
        waiter(**params, timeout=args.timeout, poll_interval=args.interval, on_progress=on_progress)
    except api.failed_error:
        pass  # judged below from every page, like a plain look
    except api.runtime_errors.WaiterTimeoutError as exc:
        timed_out = exc
    finally:
        bar.close()
    snap = _snapshot(client, spec, params, args.page_size)
    if timed_out is not None:
        state = _text(snap.top.get(spec["state_field"])) or "(none)"
        return snap, Outcome("timeout", EXIT_TIMEOUT,
                             f"timed out: no final state within {args.timeout:g} s "
                             f"(last {spec['state_field']} {state})")
    outcome = judge(spec, snap)
    if outcome.kind == "running":  # the waiter saw an end; the listing moved on since (a restarted job)
        return snap, Outcome("running", EXIT_OK, outcome.message)
    return snap, outcome


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    request = getattr(exc, "request_id", None)
    text = f"{code}: {exc}" if code and str(code) not in str(exc) else str(exc)
    return text + (f" (request id {request})" if request and str(request) not in text else "")


def _fail(args: argparse.Namespace, out: TextIO, err: TextIO, shown: dict[str, Any], outcome: Outcome) -> int:
    if args.format == "json":
        out.write(json.dumps({"outcome": outcome.kind, "exit_code": outcome.exit_code, "params": shown,
                              "error": outcome.error}, ensure_ascii=False) + "\n")
    print(outcome.message, file=err)
    return outcome.exit_code


def _report(spec: dict[str, Any], args: argparse.Namespace, out: TextIO, shown: dict[str, Any], snap: Snapshot,
            outcome: Outcome, *, colour: bool, clip: bool) -> None:
    rows = Rows(spec)
    counts = rows.counts(snap.items)
    state = snap.top.get(spec["state_field"])
    failures = snap.top.get(spec["failure_count_field"]) if spec["failure_count_field"] else None
    total = snap.top.get(spec["total_field"]) if spec["total_field"] else None
    if args.format == "json":
        doc = {
            "outcome": outcome.kind, "exit_code": outcome.exit_code, "message": outcome.message, "params": shown,
            "state": state, "failure_count": failures, "total": total, "pages": snap.pages, "counts": counts,
            "columns": [{"field": c["field"], "title": c["title"]} for c in spec["columns"]],
            "items": rows.order(snap.items),
        }
        out.write(json.dumps(doc, ensure_ascii=False) + "\n")
        return
    where = " ".join(f"{k}={_text(v)}" for k, v in shown.items())
    parts = [f"{kind} {n}" for kind, n in counts.items() if n]
    out.write(f"{spec['action']} {where}\n")
    out.write(f"{spec['state_field']}: {_text(state) or '(none)'} · {len(snap.items)} items"
              + (f" ({', '.join(parts)})" if parts else "") + f" · {snap.pages} page{'s' * (snap.pages != 1)}\n\n")
    if snap.items:
        for line in table(spec, snap.items, colour=colour, clip=clip):
            out.write(line + "\n")
        out.write("\n")
    tone = terminal.COLOURS[{"failed": "red", "timeout": "yellow", "passed": "green"}.get(outcome.kind, "")] \
        if colour else ""
    out.write(f"{tone}{outcome.message}{terminal.RESET if tone else ''}\n")

