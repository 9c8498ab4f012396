"""generate(): the one function behind the CLI and the library API."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from .check import check
from .errors import SpecError
from .ir import IR, build
from .load import Document, load
from .render import render

ROOT = Path(__file__).resolve().parent.parent  # the toolkit's checkout, when it runs from one


class NoDefaultError(LookupError):
    """An option was left out whose default exists only in the toolkit's checkout; the message names it."""


def checkout() -> Path | None:
    """The toolkit's own checkout (spec/ and pyproject.toml beside generator/), or None when it is installed."""
    if (ROOT / "spec").is_dir() and (ROOT / "pyproject.toml").is_file():
        return ROOT
    return None


def default_spec() -> Path:
    """The one *.yaml in the checkout's spec/: the default when no spec is named."""
    root = checkout()
    if root is None:
        raise NoDefaultError("no spec named, and the toolkit is installed, not run from its checkout: "
                             "pass --spec FILE (spec= from Python)")
    found = sorted(p for p in (root / "spec").glob("*.yaml") if p.is_file())
    if len(found) != 1:
        raise NoDefaultError(f"no spec named, and {root / 'spec'} holds {len(found)} *.yaml files, not one: "
                             "pass --spec FILE (spec= from Python)")
    return found[0]


def default_out() -> Path:
    """The checkout's generated/: the default when no output folder is named."""
    root = checkout()
    if root is None:
        raise NoDefaultError("no output folder named, and the toolkit is installed, not run from its checkout: "
                             "pass --out DIR (out= from Python)")
    return root / "generated"


def command_default(option: str, cwd: Path | None = None) -> Path:
    """What a command uses when `option` (--spec or --out) is left out: the checkout's, and only when the
    current folder is inside the checkout, so a command run elsewhere never reads or writes the toolkit's
    own files by accident."""
    root = checkout()
    value = f"{option} {'FILE' if option == '--spec' else 'DIR'}"
    if root is None:
        raise NoDefaultError(f"no {option} given, and the toolkit is installed, not run from its checkout: "
                             f"pass {value}")
    if not (cwd or Path.cwd()).resolve().is_relative_to(root):
        what = "spec" if option == "--spec" else "output folder"
        raise NoDefaultError(f"no {option} given: the default {what} is the toolkit checkout's ({root}), used "
                             f"only when run inside it; pass {value}")
    return default_spec() if option == "--spec" else default_out()


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
    """Load, check and build the IR; raises SpecError listing every problem."""
    doc = load(spec)
    issues = check(doc)
    if issues:
        raise SpecError(issues)
    return doc, build(doc)


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
