"""generate(): the one function behind the CLI and the library API."""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .check import check
from .defaults import ROOT, NoDefaultError, checkout, command_default, default_out, default_spec
from .errors import GeneratorBug, SpecError
from .ir import IR, build, build_collecting
from .load import Document, load
from .render import OPTIONAL_MODULES, RUNTIME_MODULES, render

__all__ = ["ROOT", "NoDefaultError", "Result", "checkout", "command_default", "compile_spec", "default_out",
           "default_spec", "finish", "generate", "layout"]


@dataclass
class Result:
    out: Path
    files: dict[str, str]
    written: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)  # differ from a fresh generation, or missing
    extra: list[str] = field(default_factory=list)  # on disk, not produced

    @property
    def clean(self) -> bool:
        return not self.stale and not self.extra


def compile_spec(spec: str | Path) -> tuple[Document, IR]:
    """Load, check and build the IR; raises SpecError listing every problem every stage that could run found."""
    doc = load(spec)
    issues = check(doc)
    if not issues:
        return doc, build(doc)
    try:  # the IR builder reports what the structural checks cannot see; on a broken document it may not finish
        _, ctx = build_collecting(doc)
        known = {i.path for i in issues}  # where a check already spoke, its message is the clearer one
        issues += [i for i in ctx.issues if i.path not in known]
    except Exception:  # what the checks found is reported either way
        pass
    raise SpecError(sorted(issues, key=lambda i: (i.line or 0, i.path)))


# The generated modules are laid out by ruff (imports sorted, then its formatter), pinned in pyproject.toml so
# output is byte-identical run to run; the copied runtime modules stay exactly as written.
FORMAT_OPTIONS = ("--isolated", "--line-length", "110", "--target-version", "py311", "--no-cache")


def layout(folder: Path, names: list[str]) -> str | None:
    """Sort the imports of these modules and format them, in place; the error ruff gave, or None."""
    import subprocess

    from ruff.__main__ import find_ruff_bin  # type: ignore[import-untyped]

    ruff = find_ruff_bin()
    for command in (["check", "--select", "I", "--fix", "--quiet"], ["format", "--quiet"]):
        run = subprocess.run([ruff, *command, *FORMAT_OPTIONS, *names], cwd=folder, capture_output=True, text=True,
                             timeout=60)
        if run.returncode != 0:
            return "ruff " + command[0] + ": " + (run.stderr.strip() or run.stdout.strip() or "failed").splitlines()[-1]
    return None


def finish(files: dict[str, str]) -> dict[str, str]:
    """Format the rendered modules, compile every module and import the package with the standard library only
    (`python -I -S`), before anything is written; raises GeneratorBug naming the module and line that broke."""
    import subprocess
    import sys
    import tempfile

    for name, text in files.items():
        if name.endswith(".py"):
            try:
                compile(text, name, "exec", dont_inherit=True)
            except SyntaxError as exc:
                raise GeneratorBug(name, exc.lineno, exc.msg) from None
    packages = sorted({name.split("/", 1)[0] for name in files})
    modules = [name[:-3].replace("/", ".") for name in files if name.endswith(".py") and "/" in name
               and name.rsplit("/", 1)[1][:-3] not in OPTIONAL_MODULES]
    rendered = [name for name in files if name.endswith(".py") and name.rsplit("/", 1)[-1] not in RUNTIME_MODULES]
    out = dict(files)
    with tempfile.TemporaryDirectory(prefix="generate-") as tmp:
        for name, text in files.items():
            target = Path(tmp) / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        problem = layout(Path(tmp), rendered)
        if problem is not None:
            raise GeneratorBug(packages[0], None, problem)
        for name in rendered:
            out[name] = (Path(tmp) / name).read_text(encoding="utf-8")
        code = "import sys; sys.path.insert(0, sys.argv[1])\nfor m in sys.argv[2:]: __import__(m)"
        try:
            run = subprocess.run([sys.executable, "-I", "-S", "-c", code, tmp, *packages, *modules],
                                 capture_output=True, text=True, timeout=60)
        except subprocess.TimeoutExpired:
            raise GeneratorBug(packages[0], None, "importing it did not finish within 60 s") from None
    if run.returncode != 0:
        module, line = packages[0], None
        for frame in re.finditer(r'File "([^"]+)", line (\d+)', run.stderr):
            path = frame.group(1)
            if path.startswith(tmp):
                module, line = Path(path).relative_to(tmp).as_posix(), int(frame.group(2))
        last = (run.stderr.strip().splitlines() or ["it exited with " + str(run.returncode)])[-1]
        raise GeneratorBug(module, line, last)
    return out


def _existing(out: Path, packages: set[str]) -> set[str]:
    found = set()
    for pkg in packages:
        base = out / pkg
        if base.is_dir():
            for p in base.rglob("*"):
                if p.is_file() and "__pycache__" not in p.parts:
                    found.add(p.relative_to(out).as_posix())
    return found


def generate(spec: str | Path | None = None, out: str | Path | None = None, check_only: bool = False) -> Result:
    """Generate the package for `spec` into `out` (defaults: the checkout's spec/ and generated/; when
    the toolkit is installed both must be named, else NoDefaultError).

    With check_only nothing is written: the result lists stale and extra files instead.
    """
    doc, ir = compile_spec(spec if spec is not None else default_spec())
    files = render(doc, ir)
    files = finish(files)
    out_dir = Path(out) if out is not None else default_out()
    result = Result(out_dir, files)
    packages = {name.split("/", 1)[0] for name in files}
    on_disk = _existing(out_dir, packages)
    for name, text in files.items():
        target = out_dir / name
        try:
            same = target.read_bytes() == text.encode("utf-8")
        except OSError:
            same = False
        if same:
            continue
        result.stale.append(name)
        if not check_only:
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_name(target.name + ".tmp")
            tmp.write_bytes(text.encode("utf-8"))
            tmp.replace(target)  # atomic: a crash never leaves half a file
            result.written.append(name)
    for name in sorted(on_disk - files.keys()):
        result.extra.append(name)
        if not check_only:
            (out_dir / name).unlink()
    if not check_only:
        for pkg in packages:  # drop folders emptied by removed files
            for d in sorted((out_dir / pkg).rglob("*"), reverse=True):
                if d.is_dir() and d.name != "__pycache__" and not any(d.iterdir()):
                    shutil.rmtree(d)
    return result
