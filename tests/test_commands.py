"""No traceback from any command on any input: each case found trying the commands as a new user would
ends with a one-line error and the documented exit code (2 usage, 1 findings), tested one by one, plus the
defaults that exist only inside the toolkit's checkout."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from conftest import DOC_SAMPLE as SAMPLE
from conftest import ROOT

from generator.cli import main

SPEC = ROOT / "spec" / "dts-precheck.yaml"


def cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit code, stdout and stderr of the command, run in this process (an exception fails the test)."""
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line_error(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error: " in lines[0] and "Traceback" not in err, err
    return lines[0]


def test_mock_server_port_out_of_range(capsys: pytest.CaptureFixture[str]) -> None:
    for port in ("70000", "-1", "http"):
        code, _, err = cli(capsys, "mock-server", "--port", port)
        line = one_line_error(err)
        assert code == 2 and "argument --port" in line and ("0 to 65535" in line or "not a port number" in line)


def test_the_emulator_object_refuses_a_port_out_of_range() -> None:
    from generator.emulator import Emulator, EmulatorConfigError

    with pytest.raises(EmulatorConfigError, match="not a port number"):
        Emulator(port=70000)


def test_generate_out_is_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = cli(capsys, "generate", "--spec", str(SPEC), "--out", str(tmp_path / "file"))
    assert code == 2 and one_line_error(err) == f"error: --out {tmp_path / 'file'}: not a folder"


def test_generate_spec_that_is_not_a_regular_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for spec, why in (("/dev/zero", "not a regular file"), (str(tmp_path), "not a regular file"),
                      (str(tmp_path / "none.yaml"), "No such file or directory")):
        code, _, err = cli(capsys, "generate", "--spec", spec, "--out", str(tmp_path / "out"))
        assert code == 2 and one_line_error(err) == f"error: --spec {spec}: {why}"


def test_generate_into_a_folder_that_cannot_be_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "dts_precheck").write_text("a file where the package folder goes")
    code, _, err = cli(capsys, "generate", "--spec", str(SPEC), "--out", str(tmp_path / "out"))
    assert code == 2 and one_line_error(err).startswith(f"error: cannot write {tmp_path / 'out' / 'dts_precheck'}")


def test_validate_package_that_does_not_exist(capsys: pytest.CaptureFixture[str]) -> None:
    for name, why in (("nope", "no package of that name can be imported"),
                      ("json", "not a generated package (it has no _spec module)"),
                      ("a..b", "not a Python package name")):
        code, out, err = cli(capsys, "validate", "--package", name, str(SAMPLE))
        assert code == 2 and out == "" and one_line_error(err) == f"error: --package {name}: {why}"


def test_status_package_that_does_not_exist_is_blamed_not_its_options(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "status", "--package", "nope", "--job-id", "x", "--region", "cn-hangzhou")
    line = one_line_error(err)
    assert code == 2 and "--package nope" in line and "--job-id" not in line
    code, _, err = cli(capsys, "status", "--job-id", "x", "--bogus")  # a real unknown option is still named
    assert code == 2 and "unrecognized arguments: --bogus" in one_line_error(err)


def test_status_with_neither_region_nor_endpoint(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = cli(capsys, "status", "--job-id", "x")
    assert code == 2 and "--region" in one_line_error(err) and "--endpoint" in err


def test_vendor_into_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = cli(capsys, "vendor", "--into", str(tmp_path / "file"), "--package", "api")
    assert code == 2 and one_line_error(err) == f"error: --into {tmp_path / 'file'}: not a folder"
    assert "Errno" not in err


@pytest.mark.parametrize(("name", "why"), [
    ("sys", "is a standard-library module"), ("json", "is a standard-library module"),
    ("__init__", "is not a valid Python package name"), ("__main__", "is not a valid Python package name"),
    ("class", "is not a valid Python package name"), ("my-api", "is not a valid Python package name"),
])
def test_vendor_names_that_cannot_name_a_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str,
                                              why: str) -> None:
    code, _, err = cli(capsys, "vendor", "--into", str(tmp_path), "--package", name)
    assert code == 2 and why in one_line_error(err) and not (tmp_path / name).exists()


def test_vendor_check_suggests_a_command_that_works(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert cli(capsys, "vendor", "--into", "lib", "--package", "api")[0] == 0
    with (tmp_path / "lib" / "api" / "models.py").open("a") as fh:
        fh.write("# a local fix\n")
    code, _, err = cli(capsys, "vendor", "--into", "lib", "--package", "api", "--check")
    assert code == 1
    suggested = err.split("re-vendor with: ", 1)[1].split("  (", 1)[0].strip()
    argv = shlex.split(suggested)
    assert "--force" in argv and "discards the local edits" in err
    code, _, err = cli(capsys, *argv[argv.index("vendor"):])  # the suggestion, as printed
    assert code == 0, err
    assert cli(capsys, "vendor", "--into", "lib", "--package", "api", "--check")[0] == 0


def test_generate_help_names_the_command_once(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = cli(capsys, "generate", "--help")
    assert code == 0 and re.search(r"\bgenerate generate\b", out) is None and "examples:" in out
    code, out, _ = cli(capsys, "--help")
    assert code == 0 and re.search(r"\bgenerate generate\b", out) is None


def test_generate_check_calls_a_deleted_file_missing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli(capsys, "generate", "--spec", str(SPEC), "--out", str(tmp_path))[0] == 0
    package = next(p for p in tmp_path.iterdir() if p.is_dir())
    (package / "models.py").unlink()
    (package / "errors.py").write_text("# edited\n")
    code, out, _ = cli(capsys, "generate", "--spec", str(SPEC), "--out", str(tmp_path), "--check")
    assert code == 1
    assert f"missing: {package / 'models.py'}" in out and f"stale: {package / 'errors.py'}" in out
    assert f"stale: {package / 'models.py'}" not in out


def test_usage_errors_are_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (["nope"], ["validate"], ["validate", "--format", "yaml", "x"], ["vendor"],
                 ["mock-server", "--seed", "x"]):
        code, _, err = cli(capsys, *args)
        assert code == 2 and "see " in one_line_error(err), args


# ---------------------------------------------------------------- defaults only inside the checkout
def test_outside_the_checkout_generate_names_the_missing_option(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    before = {p: p.stat().st_mtime_ns for p in (ROOT / "generated").rglob("*") if p.is_file()}
    monkeypatch.chdir(tmp_path)
    code, _, err = cli(capsys, "generate")
    assert code == 2 and "no --spec given" in one_line_error(err) and "pass --spec FILE" in err
    code, _, err = cli(capsys, "generate", "--spec", str(SPEC))
    assert code == 2 and "no --out given" in one_line_error(err) and "pass --out DIR" in err
    code, _, err = cli(capsys, "mock-server")
    assert code == 2 and "no --spec given" in one_line_error(err)
    assert {p: p.stat().st_mtime_ns for p in (ROOT / "generated").rglob("*") if p.is_file()} == before
    assert cli(capsys, "generate", "--spec", str(SPEC), "--out", "out")[0] == 0  # named, it works from here
    assert (tmp_path / "out" / "dts_precheck" / "client.py").is_file()


def test_inside_the_checkout_the_defaults_apply(capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT / "spec")  # anywhere inside it
    code, out, err = cli(capsys, "generate", "--check")
    assert code == 0, err
    assert f"{ROOT / 'generated'}: up to date" in out
