"""Which generated package a command works with: --package, else the one in the checkout's generated/, else the
installed one (the `spec_toolkit.packages` entry point). Shared by validate, status and vendor."""

from __future__ import annotations

import importlib
import sys

from ..defaults import ROOT


def find_package(explicit: str | None, option: str = "--package") -> str:
    """`explicit` (given as `option`), else the one package in generated/ beside this toolkit, else the
    installed one.

    LookupError, naming what is wrong, unless the name is an importable generated package (one with `_spec`).
    """
    name = explicit or _default_package(option)
    what = f"{option} {name}" if explicit else f"the generated package {name}"
    if not all(part.isidentifier() for part in name.split(".")):
        raise LookupError(f"{what}: not a Python package name")
    try:
        importlib.import_module(name + "._spec")
    except ModuleNotFoundError as exc:
        if exc.name == name + "._spec":
            raise LookupError(f"{what}: not a generated package (it has no _spec module)") from None
        if exc.name is not None and (name + ".").startswith(exc.name + "."):
            raise LookupError(f"{what}: no package of that name can be imported") from None
        raise LookupError(f"{what}: importing it failed: {exc}") from None
    except Exception as exc:  # a package of the user's that fails on import: its error, in one line
        raise LookupError(f"{what}: importing it failed: {type(exc).__name__}: {exc}") from None
    return name


def _default_package(option: str) -> str:
    generated = ROOT / "generated"
    found = sorted(p.parent.name for p in generated.glob("*/_spec.py")) if generated.is_dir() else []
    if len(found) == 1:
        if str(generated) not in sys.path:
            sys.path.insert(0, str(generated))
        return found[0]
    from importlib.metadata import entry_points

    names = sorted({ep.value for ep in entry_points(group="spec_toolkit.packages")})
    if len(names) == 1:
        return names[0]
    raise LookupError(f"cannot tell which generated package to use: pass {option} NAME")
