"""What every part of the IR builder shares: the document, the problems found so far, where things are."""

from __future__ import annotations

from typing import Any

from ..errors import SpecIssue
from ..load import Document, Pointer

COMPONENTS: Pointer = ("components", "schemas")


class Context:
    """The document being built and every problem met so far; no part of the builder raises on a bad spec."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.issues: list[SpecIssue] = []

    def fail(self, at: Pointer, message: str, hint: str = "") -> None:
        self.issues.append(self.doc.issue(at, message, hint))

    @property
    def data(self) -> dict[str, Any]:
        return self.doc.data

    def mapping(self, value: Any, at: Pointer, what: str) -> dict[str, Any]:
        """`value` when it is a mapping; else a problem and an empty mapping, so building goes on."""
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(at, f"{what} must be a mapping")
            return {}
        return value


def as_dict(value: Any) -> dict[str, Any]:
    """`value` if it is a mapping, else an empty one (a malformed spec part is reported elsewhere)."""
    return value if isinstance(value, dict) else {}
