"""`validate` on recorded traffic: every input kind, every kind of bad input, the output formats, exit codes."""

from __future__ import annotations

import base64
import io
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import DOC_SAMPLE as SAMPLE
from conftest import ROOT

ERROR = ROOT / "spec" / "examples" / "error-throttling.json"


def run(*args: str, stdin: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "generator", "validate", *args], cwd=ROOT, input=stdin.decode(
        "utf-8", "surrogateescape") if stdin is not None else None, capture_output=True, text=True,
        timeout=timeout)


def findings(result: subprocess.CompletedProcess[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines and lines[-1]["type"] == "summary", result.stdout + result.stderr
    return [x for x in lines if x["type"] == "finding"], lines[-1]


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_clean_sample_exits_zero() -> None:
    result = run(str(SAMPLE), str(ERROR), "--format", "json")
    found, summary = findings(result)
    assert result.returncode == 0 and found == []
    assert summary["files"] == 2 and summary["documents"] == 2


def test_lenient_warnings_and_strict_errors(tmp_path: Path) -> None:
    doc = sample()
    doc["State"] = "Rebalancing"
    doc["Extra"] = 1
    doc["ErrorItem"] = "3"
    doc["Total"] = "lots"
    path = tmp_path / "r.json"
    path.write_text(json.dumps(doc))
    lenient = run(str(path), "--format", "json")
    found, summary = findings(lenient)
    by_path = {f["path"]: f["severity"] for f in found}
    assert by_path == {"/State": "warning", "/Extra": "warning", "/ErrorItem": "warning", "/Total": "error"}
    assert lenient.returncode == 1 and summary["errors"] == 1 and summary["warnings"] == 3
    strict = run(str(path), "--format", "json", "--strict")
    found, summary = findings(strict)
    assert {f["severity"] for f in found} == {"error"} and summary["errors"] == 4


def test_jsonl_findings_carry_the_line(tmp_path: Path) -> None:
    good = json.dumps(sample())
    bad = json.dumps({"JobProgress": [{"Skip": "maybe"}]})
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join([good, bad, "", "{truncated", good]) + "\n")
    result = run(str(path), "--format", "json")
    found, summary = findings(result)
    assert [(f["line"], f["path"]) for f in found] == [(2, "/JobProgress/0/Skip"), (4, "")]
    assert summary["documents"] == 4 and result.returncode == 1


def _har(entries: list[dict[str, Any]]) -> str:
    return json.dumps({"log": {"version": "1.2", "entries": entries}})


def _entry(action: str, body: str, encoding: str | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"mimeType": "application/json", "text": body}
    if encoding:
        content["encoding"] = encoding
    return {"request": {"method": "POST", "url": f"https://dts.aliyuncs.com/?Action={action}&DtsJobId=x&JobCode=01",
                        "queryString": [{"name": "Action", "value": action}], "headers": []},
            "response": {"status": 200, "content": content}}


def test_har_validates_only_this_operation_and_carries_the_entry(tmp_path: Path) -> None:
    bad = json.dumps({"Success": "perhaps"})
    entries = [
        _entry("DescribeRegions", json.dumps({"Regions": 1})),
        _entry("DescribePreCheckStatus", SAMPLE.read_text()),
        _entry("DescribePreCheckStatus", base64.b64encode(bad.encode()).decode(), "base64"),
        _entry("DescribePreCheckStatus", ERROR.read_text()),
    ]
    path = tmp_path / "capture.har"
    path.write_text(_har(entries))
    found, summary = findings(run(str(path), "--format", "json"))
    assert [(f["entry"], f["path"]) for f in found] == [(2, "/Success")]
    assert summary["documents"] == 3


def test_error_bodies_are_recognised(tmp_path: Path) -> None:
    path = tmp_path / "e.json"
    path.write_text(json.dumps({"RequestId": "x", "Code": "Throttling.User", "Message": 5}))
    found, _ = findings(run(str(path), "--format", "json"))
    assert [(f["document"], f["path"], f["keyword"]) for f in found] == [("error", "/Message", "type")]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.json", b"", "the file is empty"),
        ("blank.json", b"  \n", "the file is empty"),
        ("latin1.json", b'{"JobName": "\xe9"}', "not UTF-8"),
        ("truncated.json", SAMPLE.read_bytes()[:200], "not valid JSON"),
        ("deep.json", b"[" * 10_000 + b"]" * 10_000, "nested too deep"),
        ("deepobj.json", b'{"a":' * 10_000 + b"1" + b"}" * 10_000, "nested too deep"),
    ],
)
def test_bad_input_is_a_finding_and_the_run_goes_on(tmp_path: Path, name: str, content: bytes,
                                                      message: str) -> None:
    (tmp_path / name).write_bytes(content)
    (tmp_path / "good.json").write_bytes(SAMPLE.read_bytes())
    result = run(str(tmp_path), "--format", "json")
    found, summary = findings(result)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert [f["file"] for f in found] == [str(tmp_path / name)]
    assert message in found[0]["message"]
    assert summary["files"] == 2


def test_bom_is_a_warning_and_the_document_is_still_checked(tmp_path: Path) -> None:
    path = tmp_path / "bom.json"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE.read_bytes())
    result = run(str(path), "--format", "json")
    found, _ = findings(result)
    assert [(f["severity"], f["keyword"]) for f in found] == [("warning", "encoding")]
    assert "UTF-8 with a byte order mark" in found[0]["message"]
    assert "could not be read" not in found[0]["hint"] and "read anyway" in found[0]["hint"]
    assert result.returncode == 0


def test_missing_file_is_a_finding(tmp_path: Path) -> None:
    result = run(str(tmp_path / "nope.json"), str(SAMPLE), "--format", "json")
    found, summary = findings(result)
    assert result.returncode == 1 and "cannot read" in found[0]["message"] and summary["files"] == 2


def test_stdin_and_text_output() -> None:
    doc = sample()
    doc["JobProgress"][0]["Skip"] = "maybe"
    result = run("-", stdin=json.dumps(doc).encode())
    assert result.returncode == 1
    assert "<stdin>" in result.stdout or "-:" in result.stdout
    assert "/JobProgress/0/Skip" in result.stdout and "hint:" in result.stdout
    assert "1 files, 1 documents: 1 errors, 0 warnings" in result.stdout


def test_github_annotations(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text(json.dumps({"Success": 1}) + "\n")
    result = run(str(path), "--format", "github")
    assert result.stdout.splitlines()[0].startswith(f"::error file={path},line=1,title=type at /Success::")


def test_usage_errors_exit_two() -> None:
    assert run().returncode == 2
    assert run(str(SAMPLE), "--format", "yaml").returncode == 2
    assert run(str(SAMPLE), "--jobs", "0").returncode == 2


def test_many_files_in_parallel_match_one_process(tmp_path: Path) -> None:
    for i in range(150):
        doc = sample()
        if i % 7 == 0:
            doc["ErrorItem"] = "many"
        (tmp_path / f"{i:03}.json").write_text(json.dumps(doc))
    parallel = run(str(tmp_path), "--format", "json", "--jobs", "2")
    serial = run(str(tmp_path), "--format", "json", "--jobs", "1")
    assert parallel.stdout == serial.stdout
    _, summary = findings(parallel)
    assert summary == {"type": "summary", "files": 150, "documents": 150, "requests": 0, "errors": 22,
                       "warnings": 0, "files_with_errors": 22}


def _xml(doc: dict[str, Any]) -> bytes:
    from dts_precheck import _spec

    from generator.emulator.xml_writer import dict_to_xml

    return dict_to_xml(_spec.RESPONSE_ROOT, doc, _spec.RESPONSE_SHAPE)


def test_xml_responses_and_xml_error_bodies(tmp_path: Path) -> None:
    (tmp_path / "ok.xml").write_bytes(_xml(sample()))
    bad = sample()
    bad["JobProgress"][0]["State"] = "Paused"
    (tmp_path / "bad.xml").write_bytes(_xml(bad))
    (tmp_path / "err.xml").write_bytes(b"<?xml version='1.0'?><Error><RequestId>R</RequestId>"
                                       b"<Code>Throttling.User</Code><Message>slow down</Message></Error>")
    found, summary = findings(run(str(tmp_path), "--format", "json", "--strict"))
    # a one-element array in XML is still an array: only the unknown value is reported
    assert [(Path(f["file"]).name, f["path"], f["keyword"]) for f in found] == [
        ("bad.xml", "/JobProgress/0/State", "enum")]
    assert summary["documents"] == 3


def test_billion_laughs_fails_fast_and_fetches_nothing(tmp_path: Path) -> None:
    from dts_precheck import _spec

    r = _spec.RESPONSE_ROOT  # the operation's own root: the document is read, and the DOCTYPE refused
    lol = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    (tmp_path / "lol.xml").write_text(f'<?xml version="1.0"?><!DOCTYPE {r} [{lol}]><{r}>&l9;</{r}>')
    (tmp_path / "ext.xml").write_text(f'<?xml version="1.0"?><!DOCTYPE {r} [<!ENTITY x SYSTEM '
                                      f'"http://127.0.0.1:9/secret">]><{r}>&x;</{r}>')
    started = time.monotonic()
    result = run(str(tmp_path), "--format", "json")
    found, _ = findings(result)
    assert time.monotonic() - started < 10 and result.returncode == 1
    assert sorted(Path(f["file"]).name for f in found) == ["ext.xml", "lol.xml"]
    assert all("DOCTYPE" in f["message"] or "ENTITY" in f["message"] for f in found), found


def test_a_100_mb_document(tmp_path: Path) -> None:
    doc = sample()
    item = doc["JobProgress"][0]
    doc["JobProgress"] = [dict(item, Id=str(i)) for i in range(120_000)]
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(doc))
    assert path.stat().st_size > 100_000_000
    result = run(str(path), "--format", "json", timeout=300)
    found, summary = findings(result)
    assert result.returncode == 0 and found == [] and summary["documents"] == 1


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_bar_counts_bytes_only_on_a_terminal_and_only_after_a_second() -> None:
    from generator.commands.validate import Progress

    now = [0.0]
    screen = _Terminal()
    bar = Progress(100_000_000, 4, screen, clock=lambda: now[0])
    for _ in range(10):
        now[0] += 0.05
        bar.step(1_000_000)
    assert screen.getvalue() == ""  # a quick run shows nothing
    for i in range(90):
        now[0] += 0.05
        bar.step(1_000_000, files=int(i % 30 == 29) + int(i == 89))
    bar.close()
    drawn = screen.getvalue()
    assert "100.0/100.0 MB, 4/4 files, 20.0 MB/s" in drawn and "[##############################]" in drawn
    assert "50.0/100.0 MB" in drawn  # drawn as the bytes go, not only at file ends
    assert drawn.endswith("\r\033[K")  # the bar is wiped at the end
    piped = io.StringIO()
    quiet = Progress(100, 1, piped, clock=lambda: now[0])
    for _ in range(100):
        now[0] += 0.05
        quiet.step(1)
    assert piped.getvalue() == ""
