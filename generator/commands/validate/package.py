"""The generated package `validate` checks with: its validators, and what its `_spec` says of the operations."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from types import ModuleType
from typing import Any

from ..package import find_package

__all__ = ["Package", "find_package"]


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
