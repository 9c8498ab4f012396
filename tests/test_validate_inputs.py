"""`validate` on hostile and odd inputs: every one is a finding for that input, the run goes on to its
summary, and nothing checked is never a pass. In-process (generator.cli.main) where the process does not
matter; in a subprocess where it does (standard input, Ctrl-C)."""

from __future__ import annotations

import base64
import codecs
import gzip
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zlib
from pathlib import Path
from typing import Any

import pytest
from conftest import DOC_SAMPLE as SAMPLE
from conftest import ROOT, validate
from hypothesis import given
from hypothesis import strategies as st

from generator.cli import main
from generator.commands import validate as traffic
from generator.commands.validate import output

ACTION = "DescribePreCheckStatus"




def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def drifted() -> bytes:
    """A response with one error in lenient mode (an integer field holding a word)."""
    doc = sample()
    doc["ErrorItem"] = "many"
    return json.dumps(doc).encode()


# ---------------------------------------------------------------- HAR
def _entry(body: Any = None, request: Any = None, **response: Any) -> dict[str, Any]:
    if request is None:
        request = {"method": "POST", "url": f"https://dts.aliyuncs.com/?Action={ACTION}&DtsJobId=j&JobCode=01",
                   "headers": []}
    content = {"mimeType": "application/json", "text": body} if body is not None else None
    return {"request": request, "response": {"status": 200, "headers": [], "content": content, **response}}


def _har(path: Path, entries: list[Any]) -> Path:
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


MALFORMED = [
    ("a string", "the entry is a string, not an object"),
    (["a", "list"], "the entry is a list, not an object"),
    ({"request": ["a", "list"], "response": {}}, "its request is a list, not an object"),
    ({"request": "GET /", "response": {}}, "its request is a string, not an object"),
    (dict(_entry(), response="200 OK"), "its response is a string, not an object"),
    (dict(_entry(), response=None), "its response is null, not an object"),
    (_entry(content=[1, 2]), "its response.content is a list, not an object"),
    (_entry(content={"text": 5}), "its response.content.text is the number 5, not a string"),
    (_entry(content={"text": {"a": 1}}), "its response.content.text is an object, not a string"),
    (_entry(content={"text": "{}", "encoding": "rot13"}), "its response.content.encoding is 'rot13', not base64"),
    (_entry(content={"text": "not base64!", "encoding": "base64"}), "not valid base64"),
    (_entry(content={}), "no response body recorded"),
]


@pytest.mark.parametrize(("entry", "message"), MALFORMED, ids=[m for _, m in MALFORMED])
def test_a_malformed_har_entry_is_a_finding_for_its_index_and_the_next_entries_are_checked(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], entry: Any, message: str) -> None:
    path = _har(tmp_path / "capture.har", [_entry(SAMPLE.read_text()), entry, _entry(drifted().decode())])
    code, found, summary = validate(capsys, str(path))
    assert code == 1
    assert [(f["entry"], f["line"]) for f in found] == [(1, None), (2, None)]
    assert message in found[0]["message"] and found[0]["severity"] == "error"
    assert found[1]["path"] == "/ErrorItem"  # the entry after the malformed one was still validated
    assert summary["files"] == 1


def test_not_a_har_file_is_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for i, text in enumerate(["[1, 2]", '{"log": []}', '{"log": {"entries": {}}}', "{truncated"]):
        (tmp_path / f"{i}.har").write_text(text)
    code, found, summary = validate(capsys, str(tmp_path))
    assert code == 1 and summary["files"] == 4 and len(found) == 4
    assert [f["message"] for f in found[:3]] == ["not a HAR file: no log.entries list in it"] * 3
    assert found[3]["message"].startswith("not valid JSON") and found[3]["line"] == 1


def test_har_bodies_compressed_and_base64_encoded_are_read(tmp_path: Path,
                                                          capsys: pytest.CaptureFixture[str]) -> None:
    raw = drifted()
    deflated = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    bodies = [
        ({"text": base64.b64encode(gzip.compress(raw)).decode(), "encoding": "base64"}, []),  # told by its bytes
        ({"text": base64.b64encode(gzip.compress(raw)).decode(), "encoding": "base64"},
         [{"name": "Content-Encoding", "value": "gzip"}]),
        ({"text": base64.b64encode(zlib.compress(raw)).decode(), "encoding": "base64"},
         [{"name": "content-encoding", "value": "deflate"}]),
        ({"text": base64.b64encode(deflated.compress(raw) + deflated.flush()).decode(), "encoding": "base64"},
         [{"name": "Content-Encoding", "value": "deflate"}]),
        ({"text": base64.b64encode(codecs.BOM_UTF16_LE + raw.decode().encode("utf-16-le")).decode(),
          "encoding": "base64"}, []),
    ]
    path = _har(tmp_path / "c.har", [_entry(content=c, headers=h) for c, h in bodies])
    code, found, summary = validate(capsys, str(path))
    errors = [(f["entry"], f["path"]) for f in found if f["severity"] == "error"]
    assert errors == [(i, "/ErrorItem") for i in range(len(bodies))]  # each body read and validated
    assert [(f["entry"], f["keyword"]) for f in found if f["severity"] == "warning"] == [(4, "encoding")]
    assert summary["documents"] == len(bodies) and code == 1


def test_har_bodies_that_cannot_be_undone_are_named(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic.reading, "MAX_BYTES", 10_000)
    bomb = gzip.compress(b" " * 1_000_000)  # a megabyte of spaces: 1 kB compressed
    entries = [
        _entry(content={"text": base64.b64encode(bomb).decode(), "encoding": "base64"}),
        _entry(content={"text": base64.b64encode(b"\x1f\x8b not gzip").decode(), "encoding": "base64"}),
        _entry(content={"text": base64.b64encode(b"\x0b\x01\x80").decode(), "encoding": "base64"},
               headers=[{"name": "Content-Encoding", "value": "br"}]),
    ]
    code, found, _ = validate(capsys, str(_har(tmp_path / "c.har", entries)))
    assert code == 1
    messages = [f["message"] for f in found]
    assert "decompresses to more than the 10,000-byte limit" in messages[0]
    assert "is not valid gzip data" in messages[1]
    assert "is 'br'-encoded, which this check cannot undo" in messages[2]


def test_a_json_error_inside_a_har_body_carries_the_entry_not_a_line(tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    path = _har(tmp_path / "c.har", [_entry(SAMPLE.read_text()), _entry('{\n  "State": ')])
    code, found, _ = validate(capsys, str(path))
    assert code == 1 and [(f["entry"], f["line"]) for f in found] == [(1, None)]
    assert found[0]["message"] == "not valid JSON: Expecting value at line 2, column 12 of the response body"
    main(["validate", "-q", str(path)])
    text = capsys.readouterr().out
    assert f"{path} entry 1: error: /: not valid JSON" in text and f"{path}:" not in text


# ---------------------------------------------------------------- what is not a regular file
def test_fifos_devices_and_sockets_are_findings_not_hangs(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    os.mkfifo(tmp_path / "pipe.json")  # nobody ever writes: reading it would block forever
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(tmp_path / "sock.json"))
    (tmp_path / "good.json").write_bytes(SAMPLE.read_bytes())
    try:
        started = time.monotonic()
        code, found, summary = validate(capsys, str(tmp_path), "/dev/zero", "/dev/null")
        assert time.monotonic() - started < 10
    finally:
        server.close()
    assert code == 1 and summary["documents"] == 1 and summary["files"] == 5
    assert {Path(f["file"]).name: f["message"] for f in found} == {
        "pipe.json": "a FIFO (named pipe), not a regular file: not read",
        "sock.json": "a socket, not a regular file: not read",
        "zero": "a character device, not a regular file: not read",
        "null": "a character device, not a regular file: not read",
    }


def test_files_and_standard_input_are_bounded_alike(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(traffic.reading, "MAX_BYTES", 1000)
    monkeypatch.setattr(traffic.reading, "_CHUNK", 64)
    (tmp_path / "big.json").write_bytes(b" " * 1001)

    class Endless(io.RawIOBase):
        """A pipe that never ends (what `validate - < /dev/zero` reads)."""

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            buffer[:] = b"0" * len(buffer)
            return len(buffer)

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(Endless())))
    code, found, _ = validate(capsys, str(tmp_path / "big.json"), "-")
    assert code == 1
    assert [f["message"] for f in found] == ["1,001 bytes, over the 1,000-byte limit: not checked",
                                             "more than the 1,000-byte limit: not checked"]


def test_ctrl_c_stops_a_run_waiting_on_standard_input() -> None:
    proc = subprocess.Popen([sys.executable, "-m", "generator", "validate", "-"], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert proc.stdin is not None
        proc.stdin.write(b"{" * 100)  # some input, never finished
        proc.stdin.flush()
        time.sleep(1.5)  # the command is up and blocked reading
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=10)
    finally:
        proc.kill()
    assert proc.returncode == 130 and b"Traceback" not in err


# ---------------------------------------------------------------- nothing checked
def test_nothing_checked_is_not_a_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("not a recording")
    other = _har(tmp_path / "other.har", [_entry(SAMPLE.read_text(), request={"url": "https://x/?Action=Other"})])
    none = _har(tmp_path / "none.har", [])
    for path, why in [(tmp_path / "empty", "no *.json, *.jsonl, *.ndjson, *.xml, *.har file under it"),
                      (tmp_path / "notes", "no *.json, *.jsonl, *.ndjson, *.xml, *.har file under it"),
                      (other, f"its only entry does not call {ACTION}"),
                      (none, "the HAR file has no entries")]:
        code, found, summary = validate(capsys, str(path))
        assert code == 1, path
        assert [(f["file"], f["keyword"], f["severity"], f["message"]) for f in found] == [
            (str(path), "empty", "error", f"nothing checked: {why}")]
        assert summary["errors"] == 1 and summary["documents"] == 0
        code, found, summary = validate(capsys, "--allow-empty", str(path))
        assert code == 0 and found == [] and summary["errors"] == 0


def test_each_path_must_hold_something_to_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "captures").mkdir()
    (tmp_path / "captures" / "ok.json").write_bytes(SAMPLE.read_bytes())
    _har(tmp_path / "captures" / "other.har", [_entry("{}", request={"url": "https://x/?Action=Other"})])
    (tmp_path / "typo").mkdir()
    # A folder where one HAR file holds only other APIs' traffic is fine: something was checked there.
    code, found, _ = validate(capsys, str(tmp_path / "captures"))
    assert code == 0 and found == []
    # But a second PATH that holds nothing fails the run, even though the first had documents.
    code, found, summary = validate(capsys, str(tmp_path / "captures"), str(tmp_path / "typo"))
    assert code == 1 and [(f["file"], f["keyword"]) for f in found] == [(str(tmp_path / "typo"), "empty")]
    assert summary["files"] == 2  # the PATH's own finding is not counted as a file


def test_a_folder_of_unreadable_files_is_not_also_empty(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "bad.json").write_bytes(b"\xff\xfe\xfd")
    code, found, _ = validate(capsys, str(tmp_path))
    assert code == 1 and [f["keyword"] for f in found] == ["input"]  # the reason, not a second "empty"


# ---------------------------------------------------------------- XML
@pytest.mark.parametrize(("text", "root"), [
    ("<!DOCTYPE html>\n<html><head><title>Sign in</title></head><body>portal</body></html>", "<html>"),
    ('<?xml version="1.0"?>\n<!-- a comment <Error> -->\n<DescribeRegionsResponse/>', "<DescribeRegionsResponse>"),
    ("<?xml version='1.0'?>", "missing"),
])
def test_xml_whose_root_is_not_the_apis_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                    text: str, root: str) -> None:
    (tmp_path / "page.xml").write_text(text)
    code, found, _ = validate(capsys, str(tmp_path / "page.xml"))
    assert code == 1 and [(f["keyword"], f["severity"], f["document"]) for f in found] == [
        ("root", "error", "unknown")]
    assert found[0]["message"].startswith(f"the root element is {root}, none of <{ACTION}Response>, <Error>")


def test_xml_in_utf16_with_its_declaration_is_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from dts_precheck import _spec

    from generator.emulator.xml_writer import dict_to_xml

    doc = sample()
    doc["ErrorItem"] = "many"
    body = dict_to_xml(_spec.RESPONSE_ROOT, doc, _spec.RESPONSE_SHAPE).decode()
    text = '<?xml version="1.0" encoding="UTF-16"?>\n' + body.split("?>", 1)[-1].lstrip()
    (tmp_path / "wide.xml").write_bytes(codecs.BOM_UTF16_BE + text.encode("utf-16-be"))
    code, found, _ = validate(capsys, str(tmp_path / "wide.xml"))
    assert code == 1 and [(f["keyword"], f["path"]) for f in found] == [("encoding", ""), ("type", "/ErrorItem")]


# ---------------------------------------------------------------- JSON
def test_repeated_keys_are_warnings_and_strict_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = SAMPLE.read_text().replace('"State" : "Finished",', '"State" : "Failed", "State" : "Finished",', 1)
    text = text.replace('"Skip" : false,', '"Skip" : true, "a/b~c": 1, "a/b~c": 2, "Skip" : false,', 1)
    (tmp_path / "dup.json").write_text(text)
    (tmp_path / "dup.jsonl").write_text(json.dumps(sample()) + "\n" + '{"Code": "01", "Code": "02"}\n')
    code, found, _ = validate(capsys, str(tmp_path))
    dup = [(Path(f["file"]).suffix, f["line"], f["path"], f["severity"]) for f in found if f["keyword"] == "duplicate"]
    assert dup == [(".json", None, "/State", "warning"), (".json", None, "/JobProgress/0/Skip", "warning"),
                   (".json", None, "/JobProgress/0/a~1b~0c", "warning"), (".jsonl", 2, "/Code", "warning")]
    assert "the key 'a/b~c' appears more than once" in found[2]["message"]
    assert code == 0  # lenient: warnings only
    code, found, _ = validate(capsys, "--strict", str(tmp_path / "dup.jsonl"))
    assert code == 1 and [(f["path"], f["severity"]) for f in found] == [("/Code", "error")]


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_behind_a_byte_order_mark_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           codec: str) -> None:
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE, "utf-32-le": codecs.BOM_UTF32_LE,
           "utf-32-be": codecs.BOM_UTF32_BE}[codec]
    (tmp_path / "wide.json").write_bytes(bom + drifted().decode().encode(codec))
    (tmp_path / "bare.json").write_bytes(drifted().decode().encode(codec))
    code, found, _ = validate(capsys, str(tmp_path / "wide.json"), str(tmp_path / "bare.json"))
    name = codec.upper().replace("-LE", " (little-endian)").replace("-BE", " (big-endian)")
    assert code == 1
    assert [(Path(f["file"]).name, f["severity"], f["keyword"], f["path"]) for f in found] == [
        ("wide.json", "warning", "encoding", ""), ("wide.json", "error", "type", "/ErrorItem"),
        ("bare.json", "error", "input", "")]
    assert found[0]["message"] == f"the file is {name} with a byte order mark, not UTF-8; read as {name}"
    assert found[2]["message"] == f"the file looks like {name} without a byte order mark, not UTF-8: not read"


def run_stdin(data: bytes, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "generator", "validate", "--format", "json", *args, "-"], cwd=ROOT,
                          input=data, capture_output=True, timeout=60)


def test_truncated_json_on_standard_input_is_one_error_and_json_lines_still_read() -> None:
    pretty = json.dumps(sample(), indent=2).encode()
    done = run_stdin(pretty[: len(pretty) // 2])
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert done.returncode == 1 and len(lines) == 2 and lines[-1]["errors"] == 1
    assert lines[0]["message"].startswith("not valid JSON") and lines[0]["line"] > 1
    jsonl = json.dumps(sample()).encode() + b"\n" + drifted() + b"\n"
    done = run_stdin(jsonl)
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert [(x["line"], x["path"]) for x in lines[:-1]] == [(2, "/ErrorItem")] and lines[-1]["documents"] == 2


# ---------------------------------------------------------------- GitHub annotations
def test_github_annotations_escape_file_names_and_titles(tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    name = "day 1, 10:00 100%.jsonl"
    (tmp_path / name).write_text(json.dumps({"Success": 1}) + "\n")
    har = _har(tmp_path / "x.har", [_entry(json.dumps({"Success": 1}))])
    assert main(["validate", "--format", "github", str(tmp_path / name), str(har)]) == 1
    lines = capsys.readouterr().out.splitlines()
    escaped = str(tmp_path / name).replace("%", "%25").replace(":", "%3A").replace(",", "%2C")
    assert lines[0] == f"::error file={escaped},line=1,title=type at /Success::Expected boolean or null, found integer 1."
    assert lines[1].startswith(f"::error file={har},title=type at /Success (entry 0)::")
    assert lines[-1].startswith("::notice title=validate::")


def _unescape_property(text: str) -> str:
    for escaped, raw in (("%2C", ","), ("%3A", ":"), ("%0A", "\n"), ("%0D", "\r"), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


@given(st.text())
def test_github_escaping_keeps_every_character_and_ends_nothing(text: str) -> None:
    prop = output.gh_property(text)
    data = output.gh_data(text)
    assert not set(prop) & set(",:\r\n") and not set(data) & set("\r\n")
    assert _unescape_property(prop) == text
    assert data.replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%") == text


# ---------------------------------------------------------------- messages
def test_messages_read_well(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.json").write_text('{"State": "Fini')
    (tmp_path / "b.jsonl").write_text('{"State": "Finished"}\n{"State": \n')
    main(["validate", "-q", str(tmp_path)])
    text = capsys.readouterr().out
    assert " at at " not in text
    assert "a.json:1: error: /: not valid JSON: Unterminated string starting at line 1, column 11" in text
    assert "b.jsonl:2: error: /: not valid JSON: Expecting value at column 11" in text
