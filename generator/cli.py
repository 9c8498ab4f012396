"""Command line: a thin shell over the library functions. Exit codes: 0 ok, 1 findings, 2 usage or spec error."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

from . import __version__
from .defaults import UsageError, spec_path

if TYPE_CHECKING:
    from .commands import validate as traffic_types

EPILOG = """\
examples:
  %(prog)s generate                       regenerate generated/ from the spec (inside the toolkit's checkout)
  %(prog)s generate --check               exit 1 and list files when generated/ is stale (CI)
  %(prog)s generate --spec my.yaml --out /tmp/out
"""

GENERATE_EPILOG = """\
defaults: --spec is the one *.yaml in spec/ and --out is generated/ of the toolkit's checkout, used only when
  run inside it; anywhere else (or installed) name both.

exit codes: 0 written, or (--check) up to date; 1 (--check) stale, missing or extra files; 2 usage, a spec
  error, or the output cannot be written

examples:
  %(prog)s
      regenerate generated/ from the spec (inside the toolkit's checkout)
  %(prog)s --check
      write nothing; exit 1 and list what is stale, missing or extra (CI)
  %(prog)s --spec my.yaml --out /tmp/out
"""


class _Parser(argparse.ArgumentParser):
    """Usage errors in one line (the usage itself is one --help away), exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def _error(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 2


def _generate(args: argparse.Namespace) -> int:
    from .defaults import NoDefaultError, command_default
    from .errors import GeneratorBug, SpecError
    from .pipeline import generate

    try:
        spec = spec_path(args.spec)
        out = Path(args.out) if args.out else command_default("--out")
    except (NoDefaultError, UsageError) as exc:
        return _error(str(exc))
    if out.exists() and not out.is_dir():
        return _error(f"--out {out}: not a folder")
    try:
        result = generate(spec, out, check_only=args.check)
    except SpecError as exc:
        if args.format == "json":
            print(json.dumps({"ok": False, "issues": [vars(i) for i in exc.issues]}))
        else:
            print(exc, file=sys.stderr)
        return 2
    except GeneratorBug as exc:
        if args.format == "json":
            print(json.dumps({"ok": False, "bug": str(exc), "module": exc.module, "line": exc.line}))
        else:
            print(exc, file=sys.stderr)
        return 1
    except OSError as exc:
        where = exc.filename or out
        return _error(f"cannot write {where}: {exc.strerror or exc}")
    # A file --check would write is either missing or stale (there, but different).
    missing = [name for name in result.stale if not (out / name).exists()] if args.check else []
    stale = [name for name in result.stale if name not in missing]
    if args.format == "json":
        print(json.dumps({"ok": result.clean or not args.check, "stale": stale, "missing": missing,
                          "extra": result.extra, "written": result.written, "files": len(result.files)}))
    elif args.check:
        for name in stale:
            print(f"stale: {out / name}")
        for name in missing:
            print(f"missing: {out / name}")
        for name in result.extra:
            print(f"extra: {out / name}")
        if result.clean:
            print(f"{out}: up to date ({len(result.files)} files)")
        else:
            print("run the same command without --check (`make generate` in the toolkit's checkout) and commit "
                  "the result", file=sys.stderr)
    else:
        changed = len(result.written) + len(result.extra)
        print(f"{out}: {len(result.files)} files, {changed} changed"
              + (f" ({', '.join(result.written + result.extra)})" if 0 < changed <= 12 else ""))
    return 1 if args.check and not result.clean else 0


VALIDATE_EPILOG = """\
inputs:
  FILE.json         one response or error body
  FILE.jsonl        one document a line, or a recording (one exchange a line: the request's parameters and
                    the response); findings carry the line. Any size: read a line at a time, a large file in
                    parts checked side by side (--jobs)
  FILE.xml          a Format=XML response or error body (any other root element is an error)
  FILE.har          the entries whose request is an operation of the spec, streamed one at a time (findings
                    carry the entry index); each entry's request parameters and response body are checked
  DIR               every file above under it, recursively
  -                 standard input (JSON, JSON Lines or XML; JSON Lines streamed)
  Inputs are UTF-8 (UTF-16/32 behind a byte order mark is read, with a warning); one document (a JSON or XML
  file, a line, a HAR entry, a body) holds at most 256 MiB. A FIFO, device or socket is a finding, never read.

requests (HAR entries, recordings): every parameter against the operation's (required, type, value set,
  bounds); a parameter the operation does not declare is a warning (an error with --strict). Values of
  secret parameters (AccessKeyId, Signature, SecurityToken, ...) are never shown.

modes:
  lenient (default) unknown enum values, unknown fields, known type drift and repeated keys are warnings
  --strict          exactly the spec: all of those are errors

what the traffic teaches the spec:
  --report          one line a schema location instead of one a finding: `/Items/*/Total (response):
                    warning: numeric string in 3,346 of 3,400 documents; first at day1.jsonl:17`
  --suggest-spec    a unified diff against the spec (--spec, default: the checkout's) adding what the
                    traffic shows it lacks: unknown values, undeclared fields and parameters with the types
                    seen, required fields left out, drift the lenient policy does not take yet. Comments and
                    layout are kept; nothing is written (apply it with `git apply` or `patch -p1`)

exit codes: 0 no errors (warnings allowed); 1 some document has an error, some input could not be read, or
  a PATH held nothing to check (an empty folder, a HAR file with no entry of the API; --allow-empty allows
  that); 2 usage error (bad option, no such package or action, no standard input, a --spec that does not load)

examples:
  %(prog)s captures/                          everything recorded under captures/
  %(prog)s --strict --format github traffic.jsonl   annotations in a GitHub workflow
  cat body.json | %(prog)s -                   one body from a pipe
  %(prog)s --report recordings/               where the traffic departs from the spec, by location
  %(prog)s --suggest-spec recordings/ > spec.patch && git apply spec.patch
"""


def _validate(args: argparse.Namespace) -> int:
    from .commands import validate as traffic
    from .defaults import NoDefaultError

    try:
        package = traffic.find_package(args.package)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.jobs is not None and args.jobs < 1:
        print("error: --jobs must be at least 1", file=sys.stderr)
        return 2
    if args.spec is not None and not args.suggest_spec:
        return _error("--spec is read by --suggest-spec only")
    spec = None
    if args.suggest_spec:
        try:
            spec = spec_path(args.spec)
        except (NoDefaultError, UsageError) as exc:
            return _error(str(exc))
    missing_stdin = "-" in args.paths and sys.stdin is None
    if missing_stdin:
        print("error: no standard input to read", file=sys.stderr)
        return 2
    colour = args.format == "text" and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    try:
        reports = traffic.run(args.paths, package=package, strict=args.strict, jobs=args.jobs,
                              progress=not args.quiet, action=args.action, allow_empty=args.allow_empty)
    except LookupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if spec is not None:
        return _suggest(reports, spec, traffic.Package(package).spec_sha256)
    summary = traffic.report(reports, args.format, sys.stdout, colour=colour, by_location=args.report)
    return 1 if summary["errors"] else 0


def _suggest(reports: Iterable[traffic_types.FileReport], spec: Path, package_hash: str) -> int:
    from .commands.validate.output import Summary, collect
    from .commands.validate.suggest import SuggestError, suggest

    counts, aggregate = collect(reports)
    try:
        found = suggest(aggregate, spec, package_hash)
    except SuggestError as exc:
        return _error(str(exc))
    sys.stdout.write(found.diff)
    for note in found.notes:
        print(f"note: {note}", file=sys.stderr)
    summary = Summary()
    summary.counts = counts
    changes = f"{len(found.changes)} changes proposed to {spec}" if found.changes else \
        f"nothing to propose for {spec}"
    print(f"{summary.line()}; {changes}", file=sys.stderr)
    return 1 if counts["errors"] else 0


def _mock_server(args: argparse.Namespace) -> int:
    from .emulator.cli import run

    return run(args)


def _status(args: argparse.Namespace) -> int:
    from .commands.status import run

    return run(args)


def _vendor(args: argparse.Namespace) -> int:
    from .commands.vendor import run

    return run(args)


def parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    # `python -m generator` would otherwise call itself __main__.py in usage lines.
    prog = "python -m generator" if os.path.basename(sys.argv[0]) == "__main__.py" else None
    p = _Parser(
        prog=prog,
        description="Spec-driven toolkit: generate a typed, standard-library-only client package from an "
        "OpenAPI 3.1 spec with x- extensions.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    g = sub.add_parser(
        "generate",
        help="generate the package from the spec",
        description="Load the spec, check it (OpenAPI 3.1 and every x- extension), build the IR and render "
        "the package. Problems in the spec are all listed, each with its file, line and JSON path.",
        epilog=GENERATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g.add_argument("--spec", metavar="FILE", help="the OpenAPI spec (default, in the toolkit's checkout: the "
                   "one *.yaml in spec/)")
    g.add_argument("--out", metavar="DIR", help="where the package folder goes (default, in the toolkit's "
                   "checkout: generated/)")
    g.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 listing stale, missing or extra files")
    g.add_argument("--format", choices=("text", "json"), default="text", help="json: one object for CI")
    g.set_defaults(func=_generate)

    v = sub.add_parser(
        "validate",
        help="check recorded responses against the spec",
        description="Validate recorded traffic against the validators compiled from the spec, and recorded "
        "requests against the operation's parameters. Reports every problem of every document (JSON Pointer, "
        "what was expected, what was found, a hint), keeps going past unreadable files, and sums up at the end; "
        "or, with --report and --suggest-spec, what the traffic teaches the spec.",
        epilog=VALIDATE_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    v.add_argument("paths", nargs="+", metavar="PATH", help="files, folders, or - for standard input")
    v.add_argument("--strict", action="store_true", help="exactly the spec (default: lenient, for recordings)")
    v.add_argument("--format", choices=("text", "json", "github"), default="text",
                   help="text for people, json: one object a finding then a summary, github: annotations")
    v.add_argument("--jobs", type=int, metavar="N", help="worker processes, across files and within a large JSON "
                   "Lines file (default: all cores)")
    v.add_argument("--package", metavar="NAME", help="the generated package to validate with "
                   "(default: the one in generated/)")
    v.add_argument("--action", metavar="NAME", help="the operation whose responses the files hold (default: "
                   "the spec's first); HAR entries, exchanges and XML root elements name their own")
    v.add_argument("--allow-empty", action="store_true",
                   help="a PATH with nothing to check is no error (default: it is, so a gate never passes "
                   "having checked nothing)")
    v.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    teach = v.add_mutually_exclusive_group()
    teach.add_argument("--report", action="store_true",
                       help="findings by schema location (how often, in how many documents, where first) "
                       "instead of one by one")
    teach.add_argument("--suggest-spec", action="store_true",
                       help="print a unified diff against the spec adding what the traffic shows it lacks "
                       "(nothing is written)")
    v.add_argument("--spec", metavar="FILE", help="the spec --suggest-spec proposes changes to (default, in the "
                   "toolkit's checkout: the one *.yaml in spec/)")
    v.set_defaults(func=_validate)

    from .emulator import cli as emulator_cli

    m = sub.add_parser(
        "mock-server",
        help="run a local emulator of the API (a real HTTP server)",
        description=emulator_cli.DESCRIPTION,
        epilog=emulator_cli.EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    emulator_cli.add_arguments(m)
    m.set_defaults(func=_mock_server)

    from .commands import status, vendor

    st = sub.add_parser("status", help="show a job's subtask as a table; --watch it to the end",
                        description=status.DESCRIPTION, epilog=status.EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    status.add_arguments(st, argv)
    st.set_defaults(func=_status)
    vd = sub.add_parser("vendor", help="copy the generated package into another project, or --check a copy",
                        description=vendor.DESCRIPTION, epilog=vendor.EPILOG,
                        formatter_class=argparse.RawDescriptionHelpFormatter)
    vendor.add_arguments(vd)
    vd.set_defaults(func=_vendor)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    p = parser(argv)
    args, unknown = p.parse_known_args(argv)
    if unknown:
        # `status` takes its options from the package's spec: when that package cannot be read, its
        # options are unknown here, and the package is what to blame.
        problem = getattr(args, "package_problem", None)
        if problem:
            return _error(problem)
        p.error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "func", None):
        p.print_help()
        return 2
    try:
        return int(args.func(args))
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
