"""The layout of generator/ (docs/design.md): imports run downward only. Read from the source with ast, so a new
upward import fails here instead of in a reader's head."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from conftest import ROOT

GENERATOR = ROOT / "generator"
# Each part of generator/ and the parts it must never import (directly or lazily, inside a function).
FORBIDDEN = {
    "runtime": {"load", "check", "ir", "render", "pipeline", "commands", "emulator", "cli", "defaults", "errors"},
    "load": {"check", "ir", "render", "pipeline", "commands", "emulator", "cli"},
    "check": {"ir", "render", "pipeline", "commands", "emulator", "cli"},
    "ir": {"render", "pipeline", "commands", "emulator", "cli"},
    "render": {"pipeline", "commands", "emulator", "cli"},
    "pipeline": {"commands", "emulator", "cli"},
    "defaults": {"load", "check", "ir", "render", "pipeline", "commands", "emulator", "cli", "runtime"},
    "emulator": {"commands", "cli"},
    "commands": {"cli", "emulator"},
    "recordings": {"load", "check", "ir", "render", "pipeline", "commands", "emulator", "cli", "defaults",
                   "runtime"},
}


def _part(path: Path) -> str:
    rel = path.relative_to(GENERATOR)
    return rel.parts[0].removesuffix(".py")


def _imported_parts(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = path.relative_to(ROOT).with_suffix("").parts[:-1]  # the module's package, for relative imports
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = [*base, *(node.module.split(".") if node.module else [])]
                names = [target] if node.module else [[*base, alias.name] for alias in node.names]
            else:
                names = [node.module.split(".")] if node.module else []
            for name in names:
                if name[:1] == ["generator"] and len(name) > 1:
                    found.add(name[1])
        elif isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] == "generator" and len(parts) > 1:
                    found.add(parts[1])
    return found


@pytest.mark.parametrize("path", sorted(GENERATOR.rglob("*.py")), ids=lambda p: str(p.relative_to(GENERATOR)))
def test_imports_run_downward(path: Path) -> None:
    part = _part(path)
    wrong = _imported_parts(path) & FORBIDDEN.get(part, set())
    assert not wrong, f"{path.relative_to(ROOT)} ({part}) imports {sorted(wrong)}"


def test_the_runtime_imports_the_standard_library_only() -> None:
    import sys

    for path in sorted((GENERATOR / "runtime").glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            for top in tops:
                assert top in sys.stdlib_module_names or top == "__future__", f"{path.name} imports {top}"


def test_the_status_command_s_own_options_are_the_ones_the_ir_reserves() -> None:
    """The IR refuses x-cli options that take a flag of the status command; both must name the same flags."""
    from dts_precheck import _spec

    from generator.cli import parser
    from generator.ir.cli import STATUS_OWN_OPTIONS

    sub = next(a for a in parser([])._actions if a.dest == "command")
    status = sub.choices["status"]  # type: ignore[index]
    flags = {s[2:] for action in status._actions for s in action.option_strings if s.startswith("--")}
    from_spec = {o["flag"] for o in _spec.CLI["status"]["options"]}
    assert flags - from_spec == STATUS_OWN_OPTIONS
