"""`status`: the table, every page, failed items first, --watch through the waiter, exit codes, JSON, colour.

Against the emulator started as a user would (`mock-server --port 0`, scenarios that move over time), a
scripted server for exact page layouts, a made-up second API to prove the command is generic, and the
spec checks of x-cli.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from dts_precheck import _spec
from emulator_process import CREDENTIALS, mock_server
from other_api import OTHER_SPEC
from scripted_server import KEYS, Reply, Request, error, scripted

from generator.cli import main
from generator.errors import SpecError
from generator.pipeline import compile_spec, generate

SPEC = ROOT / "spec" / "dts-precheck.yaml"
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@pytest.fixture(autouse=True)
def credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.fixture(scope="module")
def plain() -> Iterator[str]:
    with mock_server() as url:  # synthetic jobs, already finished, seeded (seed 0: job j1 has 50 items)
        yield url


@pytest.fixture(scope="module")
def moving() -> Iterator[str]:
    # Every job walks its scenario from its first request: pending, running, then done (~1.1 s in all).
    with mock_server("--scenario", "precheck-fails:step=0.2") as url:
        yield url


def status(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["status", *args])
    out, err = capsys.readouterr()
    return code, out, err


def table_rows(out: str, header: str = "state ") -> list[list[str]]:
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header))
    rows = []
    for line in lines[start + 1:]:
        if not line.strip():
            break
        rows.append(re.split(r"\s{2,}", line.strip()))
    return rows


# ---------------------------------------------------------------- against the emulator
def test_one_look_fetches_every_page_and_passes(plain: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = status(capsys, "--job-id", "j1", "--endpoint", plain, "--page-size", "7", "--format", "json")
    doc = json.loads(out)
    assert code == 0 and doc["outcome"] == "passed" and doc["exit_code"] == 0
    assert doc["total"] == len(doc["items"]) > 7  # more than one page, all of them fetched
    assert doc["pages"] == -(-doc["total"] // 7)
    assert doc["params"] == {"DtsJobId": "j1", "JobCode": "01"}
    code, out, _ = status(capsys, "--job-id", "j1", "--endpoint", plain, "--page-size", "7")
    assert code == 0 and len(table_rows(out)) == doc["total"]
    assert f"{doc['total']} items" in out and out.rstrip().endswith("passed: State Finished")


def test_name_narrows_the_items_to_matching_tables(plain: str, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = status(capsys, "--job-id", "j1", "--endpoint", plain, "--format", "json")
    every = json.loads(out)["items"]
    word = next(item["TargetNames"] for item in every if item.get("TargetNames"))[:3]
    code, out, _ = status(capsys, "--job-id", "j1", "--endpoint", plain, "--name", word, "--format", "json")
    narrowed = json.loads(out)["items"]
    assert code == 0 and 0 < len(narrowed) < len(every)
    assert narrowed == [item for item in every if word.lower() in (item.get("TargetNames") or "").lower()]


def test_a_running_job_without_watch_exits_0(moving: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = status(capsys, "--job-id", "fresh-look", "--endpoint", moving)
    assert code == 0
    assert "running: State NotStarted, 0 of 8 items done" in out


def test_watch_ends_failed_with_failed_items_first(moving: str, capsys: pytest.CaptureFixture[str]) -> None:
    started = time.monotonic()
    code, out, err = status(capsys, "--job-id", "watch-fails", "--endpoint", moving, "--watch", "--interval", "3",
                            "--format", "json")
    assert time.monotonic() - started < 15
    doc = json.loads(out)
    assert code == 3 and doc["outcome"] == "failed" and doc["state"] == "Finished"
    states = [i["State"] for i in doc["items"]]
    assert states == ["Failed", "Failed"] + ["Success"] * 6  # the scenario fails two of eight, listed first
    assert doc["failure_count"] == 2 == doc["counts"]["failed"]
    assert all(i["ErrMsg"] and i["RepairMethod"] for i in doc["items"][:2])
    # Not a terminal: one progress line a change, on stderr.
    assert "NotStarted: 0/8 items done" in err and "Finished: 8/8 items done" in err


@pytest.mark.parametrize(("scenario", "code", "state"), [("precheck-passes", 0, "Finished"),
                                                          ("precheck-aborts", 3, "Failed")])
def test_watch_exit_codes_per_scenario(scenario: str, code: int, state: str,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    with mock_server("--scenario", f"{scenario}:step=0.2") as url:
        got, out, _ = status(capsys, "--job-id", "w", "--endpoint", url, "--watch", "--interval", "3", "-q")
    assert got == code
    assert f"State: {state}" in out


def test_watch_times_out_with_exit_4(moving: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = status(capsys, "--job-id", "slow-one", "--endpoint", moving, "--watch", "--timeout", "1", "-q")
    assert code == 4
    assert "timed out: no final state within 1 s" in out


def test_api_errors_exit_1_and_say_what_happened(plain: str, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "not-a-key")
    code, out, err = status(capsys, "--job-id", "j", "--endpoint", plain, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["outcome"] == "error" and doc["error"]["code"] == "InvalidAccessKeyId.NotFound"
    assert "InvalidAccessKeyId.NotFound" in err
    code, _, _ = status(capsys, "--job-id", "j", "--endpoint", "http://127.0.0.1:9", "--format", "json")
    assert code == 1  # nothing listens there: a transport error after the retries


def test_usage_errors_exit_2(plain: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    code, _, err = status(capsys, "--job-id", "j")
    assert code == 2 and "no endpoint" in err
    with pytest.raises(SystemExit) as exc:
        main(["status", "--endpoint", plain])
    assert exc.value.code == 2 and "--job-id" in capsys.readouterr().err
    code, _, err = status(capsys, "--job-id", "j", "--endpoint", plain, "--job-code", "99")
    assert code == 2 and "JobCode" in err
    monkeypatch.delenv("ALIBABA_CLOUD_ACCESS_KEY_ID")
    code, _, err = status(capsys, "--job-id", "j", "--endpoint", plain)
    assert code == 2 and "ALIBABA_CLOUD_ACCESS_KEY_ID" in err


def _run_in_terminal(args: list[str], timeout: float = 30) -> tuple[int, str]:
    """The command in a pseudo-terminal (stdout and stderr), as a person at a terminal sees it."""
    master, slave = pty.openpty()
    env = {**os.environ, **CREDENTIALS, "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'generated'}", "COLUMNS": "160"}
    env.pop("NO_COLOR", None)
    proc = subprocess.Popen([sys.executable, "-m", "generator", "status", *args], cwd=ROOT, env=env,
                            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                data = os.read(master, 65536)
            except OSError:  # the terminal closed: the process is gone
                break
            if not data:
                break
            chunks.append(data)
        elif proc.poll() is not None:
            break
    os.close(master)
    return proc.wait(5), b"".join(chunks).decode("utf-8", "replace")


def test_on_a_terminal_colour_and_a_progress_bar(moving: str) -> None:
    code, screen = _run_in_terminal(["--job-id", "on-a-tty", "--endpoint", moving, "--watch", "--interval", "3"])
    assert code == 3
    assert re.search(r"\[#*\.+\] 0/8 items done · NotStarted", screen)  # the bar, drawn in place
    assert "\x1b[31mFailed " in screen and "\x1b[32mSuccess " in screen  # failed rows red, passed green
    plain = ANSI.sub("", screen)
    assert plain.index("Failed ") < plain.index("Success ")


# ---------------------------------------------------------------- exact layouts on a scripted server
@pytest.fixture
def scripted_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_ID", "test-ak")
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", KEYS["test-ak"])


def item(n: int, state: str, **extra: Any) -> dict[str, Any]:
    return {"Item": f"CHECK_{n}", "State": state, "TargetNames": f"db.t{n}", "Id": str(n), **extra}


def paged(items: list[dict[str, Any]], top: dict[str, Any]) -> Any:
    def behave(req: Request) -> Reply:
        page, size = int(req.params.get("PageNo", 1)), int(req.params.get("PageSize", 20))
        chunk = items[(page - 1) * size:page * size]
        return Reply(200, {**top, "PageNumber": page, "PageRecordCount": len(chunk),
                           "TotalRecordCount": len(items), "JobProgress": chunk, "Success": True})
    return behave


def test_failed_then_warnings_then_the_rest_in_service_order(scripted_keys: None, capsys: pytest.CaptureFixture[str]) -> None:
    items = [item(n, "Success") for n in range(1, 46)]
    items[40] = item(41, "Failed", ErrMsg="same object\texists", RepairMethod="rename it\t\n")
    items[3] = item(4, "Warning", ErrMsg="slow disk")
    items[30] = item(31, "Failed", ErrMsg="no binlog")
    items[10] = item(11, "Checking")
    with scripted(paged(items, {"State": "Finished", "ErrorItem": 2})) as server:
        code, out, _ = status(capsys, "--job-id", "j", "--endpoint", server.url, "--color", "never")
    assert code == 3
    assert [(r.params["PageNo"], r.params["PageSize"]) for r in server.requests] == [("1", "20"), ("2", "20"),
                                                                                    ("3", "20")]
    rows = table_rows(out)
    assert [r[1] for r in rows[:4]] == ["CHECK_31", "CHECK_41", "CHECK_4", "CHECK_1"]
    assert len(rows) == 45 and [r[1] for r in rows[3:]] == [f"CHECK_{n}" for n in range(1, 46)
                                                         if n not in (4, 31, 41)]
    assert rows[1] == ["Failed", "CHECK_41", "db.t41", "same object exists", "rename it"]  # whitespace tidied
    assert "\x1b[" not in out
    assert "45 items (failed 2, warning 1, passed 41, pending 1) · 3 pages" in out


def test_finished_with_a_failure_count_is_failed_even_without_failed_rows(scripted_keys: None, capsys: pytest.CaptureFixture[str]) -> None:
    with scripted(paged([item(1, "Success")], {"State": "Finished", "ErrorItem": 1})) as server:
        code, out, _ = status(capsys, "--job-id", "j", "--endpoint", server.url)
    assert code == 3 and "failed: State Finished with 1 failed item(s)" in out


def test_colour_always_marks_rows_by_outcome(scripted_keys: None, capsys: pytest.CaptureFixture[str]) -> None:
    items = [item(1, "Success"), item(2, "Failed"), item(3, "Warning")]
    with scripted(paged(items, {"State": "Failed"})) as server:
        code, out, _ = status(capsys, "--job-id", "j", "--endpoint", server.url, "--color", "always")
    assert code == 3
    lines = out.splitlines()
    assert lines[3].startswith("\x1b[1mstate")
    assert [line[:5] for line in lines[4:7]] == ["\x1b[31m", "\x1b[33m", "\x1b[32m"]


def test_watch_sees_every_page_for_its_progress(scripted_keys: None, capsys: pytest.CaptureFixture[str]) -> None:
    items = [item(n, "Success") for n in range(1, 26)]
    with scripted(paged(items, {"State": "Finished", "ErrorItem": 0})) as server:
        code, _, err = status(capsys, "--job-id", "j", "--endpoint", server.url, "--watch")
    assert code == 0
    assert "Finished: 25/25 items done" in err  # 25 items on two pages, all counted


def test_error_from_the_service_exits_1(scripted_keys: None, capsys: pytest.CaptureFixture[str]) -> None:
    with scripted(lambda r: error("InvalidJobId", 400, "The job does not exist.")) as server:
        code, out, err = status(capsys, "--job-id", "gone", "--endpoint", server.url)
    assert code == 1 and out == ""
    assert "InvalidJobId" in err and "The job does not exist." in err


# ---------------------------------------------------------------- the spec side: x-cli
def test_the_package_spec_carries_the_status_command() -> None:
    cli = _spec.CLI["status"]
    assert {o["flag"]: o["param"] for o in cli["options"]} == {"job-id": "DtsJobId", "job-code": "JobCode", "name": "Name"}
    assert [c["title"] for c in cli["columns"]] == ["state", "item", "target", "error", "repair method"]
    assert cli["outcome"]["failed"] == ("Failed",)
    assert cli["waiter"] == "wait_for_pre_check" and cli["paginate"] == "paginate_describe_pre_check_status"


def _with_cli(tmp_path: Path, change: Any) -> Path:
    data = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    change(data["paths"]["/"]["post"]["x-cli"]["status"])
    out = tmp_path / "spec.yaml"
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


@pytest.mark.parametrize(("change", "message"), [
    (lambda s: s.update(waiter="nope"), "names waiter 'nope'"),
    (lambda s: s["columns"].append({"field": "Nope", "title": "x"}), "names item field 'Nope'"),
    (lambda s: s["options"].update(watch={"param": "Name"}), "option --watch is one of the command's own"),
    (lambda s: s["options"].pop("job-id"), "required request parameter 'DtsJobId' has no option"),
    (lambda s: s["options"].update(page={"param": "PageNo"}), "is a paging parameter"),
    (lambda s: s["options"].update(Bad_Flag={"param": "Name"}), "does not match"),
    (lambda s: s["outcome"].pop("failed"), "'failed' is a required property"),
])
def test_bad_x_cli_is_reported_with_its_path(tmp_path: Path, change: Any, message: str) -> None:
    with pytest.raises(SpecError) as exc:
        compile_spec(_with_cli(tmp_path, change))
    text = str(exc.value)
    assert message in text and "x-cli" in text


STATUS_CLI = """      x-cli:
        status:
          waiter: built
          options:
            shelf: {param: Shelf, help: the shelf to look at}
          columns:
            - {field: Name, title: name}
            - {field: Color, title: colour}
          outcome: {field: Color, failed: [black], warning: [red], passed: [green]}
"""


def test_the_command_is_generic_over_another_api(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    text = OTHER_SPEC.replace("package: widget_store", "package: widget_status")
    text = text.replace("          default_timeout_s: 30\n", "          default_timeout_s: 30\n" + STATUS_CLI)
    spec = tmp_path / "widgets.yaml"
    spec.write_text(text, encoding="utf-8")
    generate(spec, tmp_path / "out")
    monkeypatch.syspath_prepend(str(tmp_path / "out"))
    monkeypatch.setenv("WIDGET_KEY", "test-ak")
    monkeypatch.setenv("WIDGET_SECRET", KEYS["test-ak"])
    widgets = [{"Name": f"w{n}", "Color": "black" if n == 5 else "green"} for n in range(10)]

    def behave(req: Request) -> Reply:
        assert req.params["Shelf"] == "top"
        page, size = int(req.params["Page"]), int(req.params["Limit"])
        return Reply(200, {"Ok": True, "Phase": "Built", "Page": page, "Count": len(widgets),
                           "Widgets": widgets[page * size:(page + 1) * size]})

    with scripted(behave) as server:
        code, out, _ = status(capsys, "--package", "widget_status", "--shelf", "top", "--endpoint", server.url)
    assert code == 3  # built, but a widget is black: the outcome rule says failed
    rows = table_rows(out, "name ")
    assert rows[0] == ["w5", "black"] and len(rows) == 10
    assert "ListWidgets Shelf=top" in out and "2 pages" in out  # pages 0 and 1 of the maximum size, 7
    assert [(r.params["Page"], r.params["Limit"]) for r in server.requests] == [("0", "7"), ("1", "7")]


def test_a_spec_without_x_cli_has_no_status_command(other_pkg: Any, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = status(capsys, "--package", other_pkg.__name__, "--endpoint", "http://127.0.0.1:9")
    assert code == 2 and "declares no status command" in err
