"""The generated package `validate` checks with: its validators, and what its `_spec` says of the operations."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any


class Package:
    """The generated package whose validators, schema shapes and request parameters are used."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.module: ModuleType = importlib.import_module(name)
        self.validators: ModuleType = importlib.import_module(name + ".validators")
        spec = importlib.import_module(name + "._spec")
        self.action: str = spec.ACTION  # what a document is taken for when nothing says otherwise
        self.operations: dict[str, dict[str, Any]] = dict(spec.OPERATIONS)
        self.action_of_root = {op["response_root"]: action for action, op in self.operations.items()}
        self.error_root: str = spec.ERROR_ROOT
        self.error_shape: Any = spec.ERROR_SHAPE
        self.error_only_keys: frozenset[str] = frozenset(spec.ERROR_ONLY_KEYS)
        self.error_keys: frozenset[str] = frozenset(spec.ERROR_KEYS)
        # A package generated before requests could be checked has no table: its requests are not checked.
        self.parameters: dict[str, list[dict[str, Any]]] | None = getattr(spec, "PARAMETERS", None)
        self.spec_sha256: str = getattr(self.module, "SPEC_SHA256", "")

    @property
    def core(self) -> ModuleType:
        # Only XML needs the runtime's XML reader; JSON validation stays light to start.
        return importlib.import_module(self.name + "._xml")

    def response_validator(self, action: str) -> Callable[..., list[Any]]:
        validate: Callable[..., list[Any]] = getattr(self.validators, self.operations[action]["validator"])
        return validate

    def is_error_body(self, doc: Any) -> bool:
        # An error body has only error keys and at least one that no response has.
        return isinstance(doc, dict) and bool(doc) and doc.keys() <= self.error_keys and bool(
            doc.keys() & self.error_only_keys)


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
    generated = Path(__file__).resolve().parent.parent.parent / "generated"
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
