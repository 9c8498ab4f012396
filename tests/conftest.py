"""Shared fixtures and the Hypothesis profiles: `ci` (deterministic, used by make test) and `deep` (make fuzz)."""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"
SPEC_DIR = ROOT / "spec"

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", deadline=None, max_examples=5000, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def import_fresh(out: Path, package: str) -> ModuleType:
    """Import a package generated into `out`, whatever was imported under that name before."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
    sys.path.insert(0, str(out))
    try:
        importlib.invalidate_caches()
        return importlib.import_module(package)
    finally:
        sys.path.remove(str(out))


@pytest.fixture(scope="session")
def main_spec() -> Path:
    from generator.pipeline import default_spec

    return default_spec()


@pytest.fixture(scope="session")
def other_spec(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from other_api import OTHER_SPEC

    path = tmp_path_factory.mktemp("other") / "widgets.yaml"
    path.write_text(OTHER_SPEC, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def other_pkg(other_spec: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    from generator import generate

    out = tmp_path_factory.mktemp("other-out")
    generate(other_spec, out)
    yield import_fresh(out, "widget_store")
