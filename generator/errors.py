"""Spec problems, collected and reported together, each with where it is."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


def pointer(parts: Iterable[str | int]) -> str:
    """JSON Pointer (RFC 6901) for a path of keys and indexes."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass(frozen=True)
class SpecIssue:
    file: str
    path: str  # JSON Pointer inside the spec
    message: str
    line: int | None = None
    hint: str = ""

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        text = f"{where}: {self.path or '/'}: {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


class SpecError(Exception):
    """One or more problems in a spec; str() lists them all."""

    def __init__(self, issues: list[SpecIssue]) -> None:
        self.issues = issues
        n = len(issues)
        head = f"{n} problem{'s' if n != 1 else ''} in the spec:"
        super().__init__("\n".join([head, *(f"  {i}" for i in issues)]))


class GeneratorBug(Exception):
    """The generator produced a package that does not compile or import: a bug here, not in the spec.

    Nothing is written when this is raised; `module` and `line` say where the generated code broke.
    """

    def __init__(self, module: str, line: int | None, message: str) -> None:
        self.module, self.line = module, line
        where = f"{module}:{line}" if line else module
        super().__init__(f"generator bug: the generated {where} does not work: {message} (nothing was written; "
                         "please report it with the spec)")
