"""Shared fixtures and the Hypothesis profiles: `ci` (deterministic, used by make test) and `deep` (make fuzz)."""

from __future__ import annotations

import importlib
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
GENERATED = ROOT / "generated"
SPEC_DIR = ROOT / "spec"
DOC_SAMPLE = SPEC_DIR / "examples" / "doc-sample.json"  # the doc page's sample answer

settings.register_profile(
    "ci", derandomize=True, deadline=None, max_examples=150, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "deep", deadline=None, max_examples=5000, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def doc_sample() -> dict[str, Any]:
    """A fresh copy of the doc page's sample answer, parsed."""
    parsed: dict[str, Any] = json.loads(DOC_SAMPLE.read_text(encoding="utf-8"))
    return parsed


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], dict[str, Any]]:
    """Exit code, findings and summary of `validate --format json -q ARGS`, run in this process."""
    from generator.cli import main

    code = main(["validate", "--format", "json", "-q", *args])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and lines[-1]["type"] == "summary", out + err
    return code, lines[:-1], lines[-1]


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


# The spec corpus: the main spec, the made-up second API, and the specs under tests/specs/ (one per family:
# odd names, schema shapes, paging and waiters). Name -> spec file.
SPECS_DIR = ROOT / "tests" / "specs"
_CORPUS_FILES: dict[str, Path] = {"dts": SPEC_DIR / "dts-precheck.yaml", "shapes": SPECS_DIR / "shapes.yaml",
                                   "names": SPECS_DIR / "names.yaml", "paging": SPECS_DIR / "paging.yaml"}


def _actions(path: Path) -> list[str]:
    import yaml

    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [op.get("x-rpc", {}).get("action") or op["operationId"] for item in data["paths"].values()
            for verb, op in item.items() if verb in ("get", "post")]


def _widgets_spec() -> Path:
    import tempfile

    from other_api import OTHER_SPEC

    path = Path(tempfile.mkdtemp(prefix="widgets-")) / "widgets.yaml"
    path.write_text(OTHER_SPEC, encoding="utf-8")
    return path


CORPUS: dict[str, list[str]] = {name: _actions(path) for name, path in _CORPUS_FILES.items()}
CORPUS["widgets"] = ["ListWidgets"]
_PACKAGES: dict[str, tuple[ModuleType, Path]] = {}


def corpus_spec(name: str) -> Path:
    """The spec file of a corpus entry."""
    return _widgets_spec() if name == "widgets" else _CORPUS_FILES[name]


def corpus_package(name: str) -> ModuleType:
    """The package generated from a corpus spec (once per test process); the main spec's is the committed one."""
    return corpus_generated(name)[0]


def corpus_generated(name: str) -> tuple[ModuleType, Path]:
    """The package generated from a corpus spec and the folder it is in."""
    if name not in _PACKAGES:
        if name == "dts":
            import dts_precheck

            _PACKAGES[name] = (dts_precheck, GENERATED)
        else:
            import tempfile

            from generator import generate

            spec = corpus_spec(name)
            out = Path(tempfile.mkdtemp(prefix=f"corpus-{name}-"))
            result = generate(spec, out)
            package = sorted({f.split("/", 1)[0] for f in result.files})[0]
            _PACKAGES[name] = (import_fresh(out, package), out)
    return _PACKAGES[name]


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


@pytest.fixture
def transport() -> Iterator[Any]:
    """The package's standard-library transport with short timeouts and no proxies from whoever runs the tests."""
    from generator.runtime._http import HttpTransport

    with HttpTransport(connect_timeout_s=2, read_timeout_s=2, proxies={}) as t:
        yield t
