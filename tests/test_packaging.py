"""Packaging: the wheel builds from pyproject.toml alone, holds both packages with their data, installs into a
fresh virtual environment, and the installed `dts-precheck` works there: --help, generate, validate,
status, vendor. One version source: generator.__version__."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

import generator

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ("pyproject.toml", "README.md", "generator", "generated")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Build from a copy of the tree, so the build leaves no build/ or *.egg-info in the checkout.
    src = tmp_path_factory.mktemp("src")
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, src / name)
    dist = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    [built] = dist.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    env = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=60)
    python = env / "bin" / "python"
    # This environment's pip installs into the fresh one, dependencies from the same index.
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", str(wheel)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    yield env


def run(env: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(env / "bin" / "dts-precheck"), *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd or env.parent, env={"PATH": f"{env / 'bin'}:/usr/bin:/bin"})


def test_pyproject_is_pep621_with_one_version_source() -> None:
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = meta["project"]
    assert project["dynamic"] == ["version"] and "version" not in project
    assert meta["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "generator.__version__"}
    assert project["scripts"] == {"dts-precheck": "generator.cli:main"}
    assert {"dev", "bench"} <= project["optional-dependencies"].keys()
    assert project["entry-points"]["spec_toolkit.packages"] == {"dts_precheck": "dts_precheck"}
    import dts_precheck

    assert dts_precheck.__version__ == generator.__version__  # the generated package carries the same one


def test_the_wheel_holds_both_packages_and_their_data(wheel: Path) -> None:
    assert wheel.name == f"dts_precheck-{generator.__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    for must in ("dts_precheck/py.typed", "dts_precheck/schemas/response.schema.json",
                 "dts_precheck/schemas/error.schema.json", "dts_precheck/client.py", "dts_precheck/_spec.py",
                 "generator/py.typed", "generator/schemas/extensions.schema.json", "generator/runtime/_core.py",
                 "generator/cli.py", "generator/status.py", "generator/vendor.py"):
        assert must in names, must
    want = {p.relative_to(ROOT).as_posix() for folder in ("generator/templates", "generator/runtime",
                                                          "generator/schemas", "generator/emulator")
            for p in (ROOT / folder).rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    want |= {p.relative_to(ROOT / "generated").as_posix() for p in (ROOT / "generated").rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    assert want - names == set()
    entry_points = zipfile.ZipFile(wheel).read(f"dts_precheck-{generator.__version__}.dist-info/entry_points.txt")
    assert b"dts-precheck = generator.cli:main" in entry_points


def test_installed_help_is_quick_and_imports_nothing_heavy(venv: Path) -> None:
    done = run(venv, "--help")
    assert done.returncode == 0 and "usage: dts-precheck" in done.stdout
    for command in ("generate", "validate", "status", "vendor", "mock-server"):
        assert command in done.stdout
    assert run(venv, "--version").stdout.strip() == f"dts-precheck {generator.__version__}"
    probe = ("import sys, contextlib, io\nfrom generator.cli import parser\n"
             "with contextlib.suppress(SystemExit), contextlib.redirect_stdout(io.StringIO()):\n"
             "    parser(['status', '--help']).parse_args(['status', '--help'])\n"
             "print(sorted(m for m in ('yaml', 'jinja2', 'jsonschema', 'datamodel_code_generator') if m in sys.modules))")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "[]", done.stderr


def test_installed_toolkit_generates_exactly_the_committed_package(venv: Path, tmp_path: Path) -> None:
    done = run(venv, "generate", "--spec", str(ROOT / "spec" / "dts-precheck.yaml"), "--out", str(tmp_path))
    assert done.returncode == 0, done.stderr
    ours = {p.relative_to(ROOT / "generated").as_posix(): p.read_bytes()
            for p in (ROOT / "generated").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    theirs = {p.relative_to(tmp_path).as_posix(): p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert theirs == ours  # every template and runtime module made it into the wheel


def test_installed_validate_status_and_vendor_work(venv: Path, tmp_path: Path) -> None:
    sample = ROOT / "spec" / "examples" / "doc-sample.json"
    done = run(venv, "validate", "--format", "json", str(sample))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.splitlines()[-1])["errors"] == 0
    done = run(venv, "status", "--help")  # the options come from the installed package's spec
    assert done.returncode == 0 and "--job-id" in done.stdout and "--job-code" in done.stdout
    done = run(venv, "vendor", "--into", "lib", "--package", "api", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    stamp = (tmp_path / "lib" / "api" / "VENDORED.md").read_text()
    assert "dts-precheck vendor --into lib --package api" in stamp
    assert run(venv, "vendor", "--into", "lib", "--package", "api", "--check", cwd=tmp_path).returncode == 0
