"""`vendor`: the generated package copied into another project under another name, used there with no
site-packages at all (`python -I -S`) against the emulator, and `--check` telling stale from modified."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from conftest import DOC_SAMPLE as SAMPLE
from conftest import ROOT
from emulator_process import KEY_ID, KEY_SECRET, mock_server

from generator.cli import main
from generator.commands import vendor
from generator.pipeline import generate

SPEC = ROOT / "spec" / "dts-precheck.yaml"


@pytest.fixture(scope="module")
def emulator() -> Iterator[str]:
    with mock_server() as url:
        yield url


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["vendor", *args])
    out, err = capsys.readouterr()
    return code, out, err


USE_IT = """
import json, sys
sys.path.insert(0, sys.argv[1])                 # the project root, as the project's own code would have it
assert not any("site-packages" in p for p in sys.path), sys.path
assert "site" not in sys.modules

from myapp._vendor import dts_api               # the copy, under its new name
from myapp._vendor.dts_api import validators
from myapp._vendor.dts_api.client import DtsClient

raw = open(sys.argv[2], "rb").read()
response = dts_api.parse_response(raw)          # parse
lenient = validators.validate(json.loads(raw))  # validate
broken = validators.validate({"State": "Finished", "JobProgress": "not a list"}, strict=True)
with DtsClient(endpoint=sys.argv[3], access_key_id=sys.argv[4], access_key_secret=sys.argv[5]) as client:
    live = client.describe_pre_check_status(dts_job_id="vendored-job", job_code="01")   # call the emulator
    items = list(client.paginate_describe_pre_check_status(dts_job_id="vendored-job", job_code="01",
                                                            page_size=5).items())
print(json.dumps({
    "state": str(response.state), "first_item": response.job_progress[0].item,
    "lenient_errors": [i.path for i in lenient if i.severity == "error"],
    "broken": [(i.path, i.keyword) for i in broken],
    "live_state": str(live.state), "live_total": live.total_record_count, "items": len(items),
    "foreign": sorted(m for m in sys.modules if m.split(".")[0] not in ("myapp", "__main__")
                      and m not in sys.stdlib_module_names and m.split(".")[0] not in sys.stdlib_module_names),
    "module": dts_api.__name__,
}))
"""


def test_vendored_copy_runs_on_the_standard_library_alone(tmp_path: Path, emulator: str,
                                                          capsys: pytest.CaptureFixture[str],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    project = tmp_path / "project"
    (project / "myapp").mkdir(parents=True)
    (project / "myapp" / "__init__.py").write_text("")
    monkeypatch.chdir(project)
    code, out, _ = run(capsys, "--into", "myapp/_vendor", "--package", "dts_api")
    assert code == 0 and re.match(r"myapp/_vendor/dts_api: \d+ files from dts_precheck \(spec [0-9a-f]{12}\)", out)
    stamp = (project / "myapp" / "_vendor" / "dts_api" / "VENDORED.md").read_text()
    assert vendor.read_stamp(stamp) is not None
    import dts_precheck

    assert f"| spec sha256 | `{dts_precheck.SPEC_SHA256}` |" in stamp
    assert "vendor --into myapp/_vendor --package dts_api" in stamp  # the command that re-vendors
    script = tmp_path / "use_it.py"
    script.write_text(USE_IT)
    done = subprocess.run([sys.executable, "-I", "-S", str(script), str(project), str(SAMPLE), emulator, KEY_ID,
                           KEY_SECRET], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["module"] == "myapp._vendor.dts_api" and got["foreign"] == []
    assert (got["state"], got["first_item"]) == ("Finished", "CHECK_CONN_DEST")
    assert got["lenient_errors"] == [] and got["broken"] == [["/JobProgress", "type"]]
    assert got["live_total"] == got["items"] > 0 and got["live_state"]


def test_check_tells_up_to_date_modified_and_stale(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    into = tmp_path / "vendor"
    assert run(capsys, "--into", str(into), "--package", "api")[0] == 0
    code, out, _ = run(capsys, "--into", str(into), "--package", "api", "--check")
    assert code == 0 and "up to date" in out

    models = into / "api" / "models.py"
    models.write_text(models.read_text() + "# a local fix\n")
    (into / "api" / "local.py").write_text("")
    code, out, err = run(capsys, "--into", str(into), "--package", "api", "--check")
    assert code == 1
    assert "modified: models.py" in out and "extra: local.py" in out and "re-vendor with:" in err
    code, _, err = run(capsys, "--into", str(into), "--package", "api")
    assert code == 1 and "--force" in err  # re-vendoring would lose the local edit
    assert run(capsys, "--into", str(into), "--package", "api", "--force")[0] == 0
    assert not (into / "api" / "local.py").exists()

    # An older spec (one field fewer) generated as another package, vendored under the same name: stale.
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    data["x-service"]["package"] = "dts_precheck_older"
    del data["components"]["schemas"]["ProgressInfo"]["properties"]["DiffRow"]
    older = tmp_path / "older.yaml"
    older.write_text(yaml.safe_dump(data, sort_keys=False))
    generate(older, tmp_path / "older")
    monkeypatch.syspath_prepend(str(tmp_path / "older"))
    assert run(capsys, "--into", str(into), "--package", "api", "--source", "dts_precheck_older", "--force")[0] == 0
    code, out, _ = run(capsys, "--into", str(into), "--package", "api", "--check", "--format", "json")
    report = json.loads(out)
    assert code == 1 and not report["ok"] and report["modified"] == []
    assert "the spec is now" in report["stale"][0] and report["fix"].endswith("vendor --into "
                                                                              f"{into} --package api")


def test_refuses_what_it_must_not_overwrite_or_name(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "code.py").write_text("x = 1\n")
    code, _, err = run(capsys, "--into", str(tmp_path), "--package", "mine")
    assert code == 2 and "not a vendored copy" in err and (tmp_path / "mine" / "code.py").exists()
    code, _, err = run(capsys, "--into", str(tmp_path), "--package", "not-valid")
    assert code == 2 and "not a valid Python package name" in err
    code, _, err = run(capsys, "--into", str(tmp_path), "--package", "nothing", "--check")
    assert code == 2 and "not a vendored copy" in err


def test_a_package_that_imports_itself_by_name_is_refused() -> None:
    files = {"a.py": b"from . import b\n", "b.py": b"import os\nfrom pkg.c import x\n", "c.py": b"import pkg\n",
             "d.py": b"import pkgs\nfrom pkg_other import y\n"}
    assert vendor.absolute_imports(files, "pkg") == ["b.py:2", "c.py:1"]
    import dts_precheck

    source = vendor.load_source(dts_precheck.__name__)
    assert vendor.absolute_imports(source.files, source.name) == []


def test_a_package_stale_against_the_checkout_spec_is_not_vendored(tmp_path: Path,
                                                                   capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    changed = tmp_path / "changed.yaml"
    changed.write_text(SPEC.read_text(encoding="utf-8").replace("Queries the information about a DTS subtask.",
                                                                "Queries a DTS subtask."))
    import generator.defaults

    monkeypatch.setattr(generator.defaults, "default_spec", lambda: changed)
    code, _, err = run(capsys, "--into", str(tmp_path / "v"), "--package", "api")
    assert code == 1 and f"generate` in {ROOT} first" in err and not (tmp_path / "v" / "api").exists()


def test_vendored_stamp_reads_back(tmp_path: Path) -> None:
    source = vendor.load_source(None)
    text = vendor.stamp_text(source, "api", tmp_path)
    stamp = vendor.read_stamp(text)
    assert stamp is not None and stamp.files == source.digests() and stamp.spec_sha256 == source.spec_sha256
    assert textwrap.dedent(text).startswith("# Vendored: `api`")
