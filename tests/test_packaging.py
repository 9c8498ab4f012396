"""Packaging: the wheel builds from pyproject.toml alone, holds both packages with their data, installs into a
fresh virtual environment, and the installed `dts-precheck` works there from any folder: --help, generate,
validate, mock-server, status, vendor; outside the checkout, the options whose defaults live in it must be
named. One version source: generator.__version__. The wheel is built once a run (shared by the xdist
workers) and installed without its dependencies, which come from this environment: no network."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import tomllib
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DOC_SAMPLE, ROOT
from emulator_process import CREDENTIALS

import generator

SHIPPED = ("pyproject.toml", "README.md", "generator", "generated")


def _shared(tmp_path_factory: pytest.TempPathFactory, name: str) -> Path:
    """A folder all pytest-xdist workers of this run share (each has its own base temp below it)."""
    base = tmp_path_factory.getbasetemp()
    return (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / name


def _once(folder: Path, make: Callable[[Path], None], timeout: float = 600) -> Path:
    """`make(folder)` by the first worker to get here; the others wait for it. One build a run, not one a
    worker."""
    done, failed = folder / ".done", folder / ".failed"
    try:
        folder.mkdir()
    except FileExistsError:
        deadline = time.monotonic() + timeout
        while not done.exists():
            assert time.monotonic() < deadline, f"{folder} was not made within {timeout} s"
            time.sleep(0.1)
        assert not failed.exists(), failed.read_text()
        return folder
    try:
        make(folder)
    except BaseException as exc:
        failed.write_text(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        done.touch()
    return folder


def _build_wheel(dist: Path) -> None:
    # Build from a copy of the tree, so the build leaves no build/ or *.egg-info in the checkout.
    src = dist / "src"
    for name in SHIPPED:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            src.mkdir(exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(src)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    shutil.rmtree(src)


@pytest.fixture(scope="session")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    [built] = _once(_shared(tmp_path_factory, "wheel"), _build_wheel).glob("*.whl")
    return built


def _make_venv(wheel: Path) -> Callable[[Path], None]:
    def make(folder: Path) -> None:
        env = folder / "venv"
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env)], check=True, timeout=60)
        python = env / "bin" / "python"
        site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                              capture_output=True, text=True, check=True, timeout=60).stdout.strip()
        # The dependencies come from this environment's site-packages (no network), appended to the path
        # after the fresh one's own; the toolkit itself only from the wheel (the checkout's editable
        # install hooks are .pth files there, which a path added this way does not run).
        (Path(site) / "_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
        done = subprocess.run([sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps",
                               str(wheel)], capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
    return make


@pytest.fixture(scope="session")
def venv(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _once(_shared(tmp_path_factory, "installed"), _make_venv(wheel)) / "venv"


def run(env: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(env / "bin" / "dts-precheck"), *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd or env.parent, env={"PATH": f"{env / 'bin'}:/usr/bin:/bin", **CREDENTIALS})


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
                 "generator/py.typed", "generator/schemas/extensions.schema.json", "generator/runtime/_values.py",
                 "generator/cli.py", "generator/commands/status.py", "generator/commands/vendor.py",
                 "generator/commands/validate/checker.py", "generator/render/validator_compiler/emitters.py"):
        assert must in names, must
    want = {p.relative_to(ROOT).as_posix() for folder in ("generator/render/templates", "generator/runtime",
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
    sample = DOC_SAMPLE
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


def test_the_installed_toolkit_is_the_wheel_not_the_checkout(venv: Path) -> None:
    probe = "import generator, dts_precheck; print(generator.__file__); print(dts_precheck.__file__)"
    done = subprocess.run([str(venv / "bin" / "python"), "-c", probe], capture_output=True, text=True, timeout=60,
                          cwd=venv.parent)
    assert done.returncode == 0, done.stderr
    assert all(line.startswith(str(venv)) for line in done.stdout.splitlines()), done.stdout


def test_installed_defaults_name_the_missing_option(venv: Path, tmp_path: Path) -> None:
    for args, option in ((["generate"], "--spec"), (["generate", "--spec", str(ROOT / "spec" / "dts-precheck.yaml")],
                                                    "--out"), (["mock-server"], "--spec")):
        done = run(venv, *args, cwd=tmp_path)
        assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("error: no ") and f"pass {option}" in done.stderr
        assert "expected one *.yaml" not in done.stderr  # not framed as a problem of some spec
    assert list(tmp_path.iterdir()) == []


def test_installed_mock_server_and_status_work_from_any_folder(venv: Path, tmp_path: Path) -> None:
    spec = tmp_path / "api.yaml"
    shutil.copy(ROOT / "spec" / "dts-precheck.yaml", spec)
    server = subprocess.Popen([str(venv / "bin" / "dts-precheck"), "mock-server", "--spec", "api.yaml", "--port", "0",
                               "-q"], cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={"PATH": f"{venv / 'bin'}:/usr/bin:/bin"})
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), server.stderr.read() if server.stderr else ""
        done = run(venv, "status", "--job-id", "job-1", "--endpoint", url, "--format", "json", cwd=tmp_path)
    finally:
        server.terminate()
        server.communicate(timeout=10)
    assert done.returncode == 0, done.stderr  # a synthetic job: finished, nothing failed
    report = json.loads(done.stdout)
    assert report["outcome"] == "passed" and report["params"] == {"DtsJobId": "job-1", "JobCode": "01"}
    assert report["items"] and report["pages"] >= 1
