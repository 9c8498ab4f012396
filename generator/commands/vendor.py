"""`vendor`: copy the generated package into another project under a name of its choosing, and check copies.

Every import inside a generated package is relative, so the copy works under any name; this module
checks that before it writes. The copy carries a `VENDORED.md` stamp: the spec hash, the toolkit
version, the command that re-vendors, and the sha256 of every file, so `--check` can tell a copy that
is stale against the spec (or the toolkit) from one that was edited by hand.
Standard library only.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import json
import keyword
import os
import re
import shlex
import shutil
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from .. import __version__
from ..defaults import ROOT

STAMP = "VENDORED.md"
SKIP_DIRS = frozenset({"__pycache__"})
SKIP_SUFFIXES = (".pyc", ".pyo", ".tmp")

DESCRIPTION = ("Copy the generated package into another project as DIR/NAME, with a VENDORED.md stamp (spec "
               "hash, toolkit version, the command that re-vendors, a checksum per file). The copy needs only "
               "the standard library. --check tells whether a copy is stale against the spec or edited by hand.")

EPILOG = """\
exit codes: 0 written, or (--check) up to date; 1 (--check) stale or modified, or the source package is stale
against the spec; 2 usage: bad name, DIR/NAME holds something that is not a vendored copy

examples:
  %(prog)s --into src/myapp/_vendor --package dts_api      then: from myapp._vendor import dts_api
  %(prog)s --into src/myapp/_vendor --package dts_api --check     in CI: exit 1 when it needs re-vendoring
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--into", required=True, metavar="DIR", help="the folder the package goes into (as DIR/NAME)")
    p.add_argument("--package", metavar="NAME",
                   help="the name of the copy, a Python identifier (default: the generated package's own name)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when the copy is stale against the spec or modified locally")
    p.add_argument("--source", metavar="PKG", help="the generated package to copy (default: the one in "
                   "generated/, else the installed one)")
    p.add_argument("--force", action="store_true",
                   help="replace DIR/NAME even when it is not a vendored copy, or was modified locally")
    p.add_argument("--format", choices=("text", "json"), default="text", help="json: one object for CI")


# ---------------------------------------------------------------- the source package
@dataclass(frozen=True)
class Source:
    name: str
    folder: Path
    spec_sha256: str
    files: dict[str, bytes]  # relative POSIX path -> content

    def digests(self) -> dict[str, str]:
        return {path: _sha256(data) for path, data in self.files.items()}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _package_files(folder: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder)
        if not path.is_file() or SKIP_DIRS & set(rel.parts) or path.name.endswith(SKIP_SUFFIXES):
            continue
        if rel.as_posix() == STAMP:
            continue
        files[rel.as_posix()] = path.read_bytes()
    return files


def load_source(explicit: str | None) -> Source:
    """The generated package to copy: its files and the spec hash it was generated from."""
    from .package import find_package

    name = find_package(explicit, "--source")
    found = importlib.util.find_spec(name)
    if found is None or not found.submodule_search_locations:
        raise LookupError(f"{name!r} is not an importable package")
    folder = Path(next(iter(found.submodule_search_locations)))
    files = _package_files(folder)
    init = files.get("__init__.py", b"").decode("utf-8", "replace")
    m = re.search(r'^SPEC_SHA256 = "([0-9a-f]{64})"', init, re.MULTILINE)
    if "_spec.py" not in files or m is None:
        raise LookupError(f"{name!r} at {folder} is not a generated package (no _spec.py or SPEC_SHA256)")
    return Source(name, folder, m.group(1), files)


def absolute_imports(files: dict[str, bytes], name: str) -> list[str]:
    """Lines that import the package by its own name: they would break under another name."""
    pattern = re.compile(rf"^\s*(from\s+{re.escape(name)}(\.|\s)|import\s+{re.escape(name)}(\.|\s|$|,))",
                         re.MULTILINE)
    hits = []
    for path, data in files.items():
        if path.endswith(".py"):
            text = data.decode("utf-8", "replace")
            for m in pattern.finditer(text):
                hits.append(f"{path}:{text.count(chr(10), 0, m.start()) + 1}")
    return hits


def spec_drift(source: Source) -> str | None:
    """In a checkout (spec/ beside generated/): a message when the package is stale against the spec."""
    root = ROOT
    if source.folder.resolve().parent != (root / "generated").resolve():
        return None  # an installed package: its spec is not here to compare with
    try:
        from ..defaults import default_spec
        from ..errors import SpecError
        from ..load import load
    except ImportError:  # the toolkit installed without its generation dependencies
        return None
    try:
        digest = load(default_spec()).digest
    except (SpecError, LookupError):
        return None
    if digest == source.spec_sha256:
        return None
    return (f"{source.folder} was generated from spec {source.spec_sha256[:12]}, but the spec is now "
            f"{digest[:12]}: run `{toolkit_command()} generate` in {root} first")


# ---------------------------------------------------------------- the stamp
def toolkit_command() -> str:
    """How to run this toolkit: its console script when installed, else `python -m generator`."""
    from importlib.metadata import entry_points

    for ep in entry_points(group="console_scripts"):
        if ep.value == "generator.cli:main":
            return ep.name
    return "python -m generator"


def _display(path: Path) -> str:
    """DIR as the user would type it again: relative to the current folder when inside it."""
    try:
        rel = path.resolve().relative_to(Path.cwd().resolve())
        return rel.as_posix() or "."
    except ValueError:
        return path.resolve().as_posix()


def commands(into: Path, name: str, source: Source) -> tuple[str, str]:
    base = [*shlex.split(toolkit_command()), "vendor", "--into", _display(into), "--package", name]
    if source.name != _default_source():
        base += ["--source", source.name]
    return shlex.join(base), shlex.join([*base, "--check"])


def _default_source() -> str | None:
    from .package import find_package

    try:
        return find_package(None, "--source")
    except LookupError:
        return None


def stamp_text(source: Source, name: str, into: Path) -> str:
    revendor, check = commands(into, name, source)
    lines = [
        f"# Vendored: `{name}`",
        "",
        f"Generated code, copied from the `{source.name}` package by `{toolkit_command()} vendor`. Do not edit it:",
        "change the spec, regenerate, and re-vendor. It needs only the Python standard library (the optional",
        "`strategies` module needs Hypothesis, the optional `pydantic_models` module pydantic).",
        "",
        "| | |",
        "|---|---|",
        f"| source package | `{source.name}` |",
        f"| spec sha256 | `{source.spec_sha256}` |",
        f"| toolkit version | `{__version__}` |",
        "",
        "Re-vendor, from the folder this was vendored from (usually the project root):",
        "",
        f"    {revendor}",
        "",
        "Check in CI (exit 1 when the copy is stale against the spec or was modified here):",
        "",
        f"    {check}",
        "",
        "## Files",
        "",
        "| sha256 | file |",
        "|---|---|",
    ]
    lines += [f"| `{digest}` | `{path}` |" for path, digest in sorted(source.digests().items())]
    return "\n".join(lines) + "\n"


@dataclass
class Stamp:
    spec_sha256: str
    toolkit_version: str
    source_package: str
    files: dict[str, str]


def read_stamp(text: str) -> Stamp | None:
    def cell(label: str) -> str | None:
        m = re.search(rf"^\| {re.escape(label)} \| `([^`]*)` \|$", text, re.MULTILINE)
        return m.group(1) if m else None

    spec, version, source = cell("spec sha256"), cell("toolkit version"), cell("source package")
    if spec is None or version is None or source is None:
        return None
    files = {m.group(2): m.group(1) for m in re.finditer(r"^\| `([0-9a-f]{64})` \| `([^`]+)` \|$", text,
                                                         re.MULTILINE)}
    return Stamp(spec, version, source, files)


# ---------------------------------------------------------------- checking a copy
@dataclass
class Report:
    target: str
    vendored: bool
    spec_sha256: str | None = None  # what the copy was made from
    current_sha256: str | None = None  # what it would be made from now
    toolkit_version: str | None = None
    stale: list[str] = field(default_factory=list)  # reasons
    modified: list[str] = field(default_factory=list)  # files edited here
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return self.vendored and not (self.stale or self.modified or self.missing or self.extra)


def check(into: Path, name: str, source: Source) -> Report:
    target = into / name
    report = Report(str(target), vendored=False, current_sha256=source.spec_sha256)
    try:
        stamp = read_stamp((target / STAMP).read_text(encoding="utf-8"))
    except OSError:
        stamp = None
    if stamp is None:
        return report
    report.vendored = True
    report.spec_sha256, report.toolkit_version = stamp.spec_sha256, stamp.toolkit_version
    on_disk = {path: _sha256(data) for path, data in _package_files(target).items()}
    for path, digest in sorted(stamp.files.items()):
        if path not in on_disk:
            report.missing.append(path)
        elif on_disk[path] != digest:
            report.modified.append(path)
    report.extra = sorted(on_disk.keys() - stamp.files.keys())
    if stamp.spec_sha256 != source.spec_sha256:
        report.stale.append(f"vendored from spec {stamp.spec_sha256[:12]} (toolkit {stamp.toolkit_version}); "
                            f"the spec is now {source.spec_sha256[:12]}")
    elif source.digests() != stamp.files:
        changed = sorted(k for k in source.digests().keys() | stamp.files.keys()
                         if source.digests().get(k) != stamp.files.get(k))
        report.stale.append(f"same spec, but the toolkit ({__version__}; vendored with {stamp.toolkit_version}) "
                            f"now generates other files: {', '.join(changed)}")
    drift = spec_drift(source)
    if drift:
        report.stale.append(drift)
    return report


# ---------------------------------------------------------------- writing a copy
def write(into: Path, name: str, source: Source, *, force: bool = False) -> Path:
    """Write DIR/NAME in one step: a fresh folder beside it, then swapped in."""
    target = into / name
    if target.exists() and not force:
        if not target.is_dir():
            raise FileExistsError(f"{target} exists and is not a folder (--force replaces it)")
        stamp_file = target / STAMP
        if any(target.iterdir()) and not stamp_file.is_file():
            raise FileExistsError(f"{target} exists and is not a vendored copy (no {STAMP}); "
                                  "pick another --package or --into, or --force to replace it")
    into.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=into))
    try:
        for path, data in source.files.items():
            dest = staging / path
            dest.parent.mkdir(parents=True, exist_ok=True)
            dest.write_bytes(data)
        (staging / STAMP).write_text(stamp_text(source, name, into), encoding="utf-8")
        old: Path | None = None
        if target.exists() or target.is_symlink():
            old = into / f".{name}-old-{os.getpid()}"
            target.rename(old)
        staging.rename(target)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() and not old.is_symlink() else old.unlink()
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def name_problem(name: str) -> str | None:
    """Why `name` cannot name the copy, or None. A copy named like a standard-library module would shadow
    it for every import wherever DIR is on the import path; `__init__` and other dunder names are not
    package names at all."""
    if not name.isidentifier() or keyword.iskeyword(name) or (name.startswith("__") and name.endswith("__")):
        return "is not a valid Python package name (letters, digits, _; not a keyword or __dunder__)"
    if name in sys.stdlib_module_names:
        return "is a standard-library module: a copy by that name would shadow it; pick another name"
    return None


# ---------------------------------------------------------------- the command
def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        source = load_source(args.source)
    except (LookupError, ImportError) as exc:
        print(f"error: {exc}", file=err)
        return 2
    name = args.package or source.name
    problem = name_problem(name)
    if problem:
        print(f"error: --package {name!r} {problem}", file=err)
        return 2
    into = Path(args.into)
    if into.exists() and not into.is_dir():
        print(f"error: --into {into}: not a folder", file=err)
        return 2
    if args.check:
        return _report(check(into, name, source), name, into, source, args.format, out, err)
    hits = absolute_imports(source.files, source.name)
    if hits:
        print(f"error: {source.name} imports itself by name, so a renamed copy would break: {', '.join(hits)}",
              file=err)
        return 1
    drift = spec_drift(source)
    if drift:
        print(f"error: {drift}", file=err)
        return 1
    if not args.force and (into / name / STAMP).is_file():
        before = check(into, name, source)
        if before.modified or before.missing or before.extra:
            edited = before.modified + before.missing + before.extra
            print(f"error: {into / name} was modified here ({', '.join(edited)}); re-vendoring would lose "
                  "that: --force to overwrite", file=err)
            return 1
    try:
        target = write(into, name, source, force=args.force)
    except FileExistsError as exc:
        print(f"error: {exc}", file=err)
        return 2
    except OSError as exc:
        print(f"error: cannot write {exc.filename or into / name}: {exc.strerror or exc}", file=err)
        return 2
    if args.format == "json":
        out.write(json.dumps({"ok": True, "target": str(target), "package": name, "source": source.name,
                              "spec_sha256": source.spec_sha256, "files": len(source.files)}) + "\n")
    else:
        out.write(f"{target}: {len(source.files)} files from {source.name} (spec {source.spec_sha256[:12]}), "
                  f"stamped in {STAMP}\n")
    return 0


def fix(report: Report, name: str, into: Path, source: Source) -> str:
    """The command that makes the copy up to date, as it must be run: with --force when it would throw
    away local edits (vendoring refuses that otherwise), after regenerating when the source is stale."""
    revendor, _ = commands(into, name, source)
    if report.modified or report.missing or report.extra:
        revendor += " --force"
    drift = spec_drift(source)
    if drift:
        revendor = f"{toolkit_command()} generate (in {ROOT}), then {revendor}"
    return revendor


def _report(report: Report, name: str, into: Path, source: Source, fmt: str, out: TextIO, err: TextIO) -> int:
    revendor = fix(report, name, into, source)
    if fmt == "json":
        doc: dict[str, Any] = {"ok": report.clean, **report.__dict__}
        if not report.clean:
            doc["fix"] = revendor
        out.write(json.dumps(doc) + "\n")
        return 0 if report.clean else (1 if report.vendored else 2)
    if not report.vendored:
        print(f"error: {report.target} is not a vendored copy (no readable {STAMP})", file=err)
        return 2
    if report.clean:
        out.write(f"{report.target}: up to date (spec {(report.spec_sha256 or '')[:12]}, toolkit "
                  f"{report.toolkit_version})\n")
        return 0
    for reason in report.stale:
        out.write(f"{report.target}: stale: {reason}\n")
    for kind in ("modified", "missing", "extra"):
        for path in getattr(report, kind):
            out.write(f"{report.target}: {kind}: {path}\n")
    edited = report.modified or report.missing or report.extra
    print(f"re-vendor with: {revendor}" + ("  (--force discards the local edits: move them into the spec first)"
                                           if edited else ""), file=err)
    return 1
