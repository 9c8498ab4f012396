"""Where a command's defaults come from: the toolkit's own checkout, and only when run inside it.

Light on purpose (pathlib only): every command reads it, and none should pay for the pipeline's imports.
"""

from __future__ import annotations

from pathlib import Path

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


SPEC_MAX_BYTES = 16 * 1024 * 1024  # a spec is text a person wrote; anything larger is a wrong path


class UsageError(ValueError):
    """An option that cannot be used as given; the message names it."""


def spec_path(option: str | None) -> Path:
    """The spec a command reads: --spec, checked to be a readable regular file of sane size (UsageError
    otherwise: a device, FIFO or folder is refused before anything reads it), else the checkout's
    (NoDefaultError outside it)."""
    import stat

    if option is None:
        return command_default("--spec")
    path = Path(option)
    try:
        info = path.stat()
    except OSError as exc:
        raise UsageError(f"--spec {option}: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"--spec {option}: not a regular file")
    if info.st_size > SPEC_MAX_BYTES:
        raise UsageError(f"--spec {option}: {info.st_size:,} bytes, more than a spec can be ({SPEC_MAX_BYTES:,})")
    return path
