"""Spec-driven code generator: OpenAPI 3.1 spec -> checked document -> IR -> Python package.

Library use: `from generator import generate; generate("spec/api.yaml", "generated")`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["SpecError", "__version__", "generate"]

if TYPE_CHECKING:
    from .errors import SpecError
    from .pipeline import generate


def __getattr__(name: str) -> Any:
    # Lazy, so `python -m generator --help` and the version lookup stay instant.
    if name == "generate":
        from .pipeline import generate

        return generate
    if name == "SpecError":
        from .errors import SpecError

        return SpecError
    raise AttributeError(name)
