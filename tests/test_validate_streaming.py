"""`validate` on recordings of any size: JSON Lines read a line at a time and checked in parts side by side,
HAR entries streamed, standard input streamed, memory bounded by a document and not by the file. The files
here are small: the size limits are lowered to make them large (the benchmark measures a 300 MB file)."""

from __future__ import annotations

import codecs
import io
import json
import multiprocessing
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any, TextIO, cast

import pytest
from conftest import DOC_SAMPLE as SAMPLE
from conftest import validate
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.commands import validate as traffic
from generator.commands.validate import har, reading, runner
from generator.commands.validate.output import report

ACTION = "DescribePreCheckStatus"


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]




# Lines of every kind a recording may hold: documents with and without findings, blank lines, lines that
# are not JSON or not UTF-8, and (with MAX_BYTES lowered to LIMIT) a line too long to hold.
LIMIT = 4000
GOOD = json.dumps({"State": "Finished", "Total": 1})
KINDS = {
    "good": GOOD.encode(),
    "drifted": json.dumps({"State": "Paused", "Total": "3"}).encode(),
    "wrong": json.dumps({"Total": "many", "JobProgress": [{"Skip": "maybe"}]}).encode(),
    "error body": json.dumps({"Code": "Throttling.User", "Message": 5, "RequestId": "R"}).encode(),
    "blank": b"",
    "spaces": b"   \t",
    "not json": b"{truncated",
    "not utf-8": b'{"JobName": "\xff"}',
    "too long": json.dumps({"JobName": "x" * LIMIT}).encode(),
    "crlf": GOOD.encode() + b"\r",
}


def _findings(path: Path, jobs: int = 1) -> tuple[list[tuple[Any, ...]], dict[str, int]]:
    out = io.StringIO()
    summary = report(traffic.run([str(path)], package="dts_precheck", jobs=jobs, progress=False), "json", out)
    found = [json.loads(line) for line in out.getvalue().splitlines()[:-1]]
    return [(f["line"], f["keyword"], f["path"], f["severity"], f["message"]) for f in found], summary


@settings(max_examples=40, deadline=None)
@given(kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=1, max_size=40),
       part=st.integers(min_value=1, max_value=400), newline_at_end=st.booleans())
def test_a_file_checked_in_parts_says_exactly_what_it_says_whole(kinds: list[str], part: int,
                                                                 newline_at_end: bool) -> None:
    text = b"\n".join(KINDS[k] for k in kinds) + (b"\n" if newline_at_end else b"")
    with tempfile.TemporaryDirectory() as folder, pytest.MonkeyPatch.context() as mp:
        path = Path(folder) / "r.jsonl"
        path.write_bytes(text)
        mp.setattr(reading, "MAX_BYTES", LIMIT)
        whole = _findings(path)
        mp.setattr(reading, "PART_BYTES", part)
        assert len(runner.plan([str(path)])) == max(1, -(-len(text) // part))  # really in parts
        assert _findings(path) == whole
    lines = [no for no, k in enumerate(kinds, 1) if k not in ("good", "blank", "spaces", "crlf")]
    assert sorted({f[0] for f in whole[0] if f[0] is not None}) == lines  # each on its own line, from 1
    if all(k in ("blank", "spaces") for k in kinds):  # then the file as a whole is the finding
        assert [f[4] for f in whole[0]] == ["the file is empty: no document in it"]


def test_parts_checked_by_worker_processes_match_one_process(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    rows = [KINDS[k] for k in sorted(KINDS) if k != "too long"] * 150
    path = tmp_path / "day.jsonl"
    path.write_bytes(b"\n".join(rows) + b"\n")
    one = validate(capsys, "--jobs", "1", str(path))
    monkeypatch.setattr(reading, "PART_BYTES", 2048)  # workers are forked: they see the same bounds
    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)
    pools: list[int] = []
    real = multiprocessing.get_context

    def spy(method: str | None = None) -> Any:
        context = real(method)
        pools.append(1)
        return context

    monkeypatch.setattr(multiprocessing, "get_context", spy)
    assert len(runner.plan([str(path)])) > 10
    assert validate(capsys, "--jobs", "2", str(path)) == one
    assert pools  # the parts did go to worker processes
    code, found, summary = one
    assert summary["documents"] == len(rows) - 300 and code == 1  # blank and spaces lines are no documents
    assert max(f["line"] for f in found) > len(rows) - 10  # numbered from the file's first line


def test_memory_stays_bounded_by_a_part_not_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = sample()
    doc["ErrorItem"] = "7"  # a warning on every line: findings are written and let go part by part
    line = json.dumps(doc) + "\n"
    path = tmp_path / "big.jsonl"
    path.write_text(line * (12_000_000 // len(line)))
    size = path.stat().st_size
    monkeypatch.setattr(reading, "PART_BYTES", 1 << 20)

    class Discard(io.TextIOBase):
        def write(self, text: str) -> int:
            return len(text)

    reports = traffic.run([str(path)], package="dts_precheck", jobs=1, progress=False)
    tracemalloc.start()
    try:
        summary = report(reports, "json", cast(TextIO, Discard()))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert summary["documents"] == summary["warnings"] > 2000
    assert peak < min(3_000_000, size / 4), f"peak {peak:,} bytes for a {size:,}-byte file"


def test_a_line_over_the_limit_is_a_finding_and_the_file_is_not(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    path = tmp_path / "r.jsonl"
    lines = [GOOD] * 30 + [json.dumps({"JobName": "x" * 5000}), json.dumps({"Total": "many"})]
    path.write_text("\n".join(lines) + "\n")
    assert path.stat().st_size > 5 * reading.MAX_BYTES  # the file itself is far over the document limit
    code, found, summary = validate(capsys, str(path))
    assert [(f["line"], f["keyword"]) for f in found] == [(31, "input"), (32, "type")]
    assert found[0]["message"] == "the line is 5,016 bytes, over the 1,000-byte limit: not checked"
    assert summary["documents"] == 32 and code == 1


def test_json_lines_behind_a_byte_order_mark_or_in_utf16(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    body = "\n".join([GOOD, json.dumps({"Total": "many"})]) + "\n"
    (tmp_path / "bom.jsonl").write_bytes(codecs.BOM_UTF8 + body.encode())
    (tmp_path / "wide.jsonl").write_bytes(codecs.BOM_UTF16_LE + body.encode("utf-16-le"))
    code, found, _ = validate(capsys, str(tmp_path))
    assert code == 1 and [(Path(f["file"]).name, f["line"], f["keyword"]) for f in found] == [
        ("bom.jsonl", None, "encoding"), ("bom.jsonl", 2, "type"), ("wide.jsonl", None, "encoding"),
        ("wide.jsonl", 2, "type")]


def test_an_empty_json_lines_file_is_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "blank.jsonl").write_text("\n  \n\n")
    code, found, _ = validate(capsys, str(tmp_path / "blank.jsonl"))
    assert code == 1 and [f["message"] for f in found] == ["the file is empty: no document in it"]


# ---------------------------------------------------------------- HAR
def _har(entries: list[Any]) -> bytes:
    return json.dumps({"log": {"version": "1.2", "creator": {"name": "test", "version": "1"},
                               "entries": entries}}).encode()


def _entry(body: str) -> dict[str, Any]:
    return {"request": {"method": "POST", "url": f"https://dts.aliyuncs.com/?Action={ACTION}&DtsJobId=j&JobCode=01",
                        "headers": []},
            "response": {"status": 200, "headers": [], "content": {"mimeType": "application/json", "text": body}}}


def test_har_entries_are_read_one_at_a_time() -> None:
    data = _har([_entry(json.dumps(dict(sample(), RequestId=str(i)))) for i in range(400)])
    assert len(data) > 1_500_000

    class Counting(io.BytesIO):
        most = 0

        def read(self, size: int | None = -1) -> bytes:
            chunk = super().read(size)
            Counting.most = max(Counting.most, self.tell())
            return chunk

    entries = har.entries(Counting(data))
    first = next(entries)
    assert first["response"]["content"]["text"].startswith("{")
    assert Counting.most < 300_000  # the first entry came after a few pieces, not the whole file
    assert sum(1 for _ in entries) == 399


def test_a_har_file_larger_than_a_document_is_checked_whole(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 20_000)
    entries = [_entry(json.dumps(dict(sample(), RequestId=str(i)))) for i in range(30)]
    entries[29] = _entry(json.dumps({"Total": "many"}))
    path = tmp_path / "day.har"
    path.write_bytes(_har(entries))
    assert path.stat().st_size > 5 * reading.MAX_BYTES
    code, found, summary = validate(capsys, str(path))
    assert code == 1 and [(f["entry"], f["path"]) for f in found] == [(29, "/Total")]
    assert summary["documents"] == 30


def test_a_har_entry_over_the_limit_ends_its_file_with_a_finding(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 300_000)
    entries = [_entry(json.dumps({"Total": "many"})), _entry(json.dumps({"JobName": "x" * 2_000_000})),
               _entry(SAMPLE.read_text())]
    path = tmp_path / "big.har"
    path.write_bytes(_har(entries))
    code, found, _ = validate(capsys, str(path))
    assert code == 1 and [(f["entry"], f["keyword"]) for f in found] == [(0, "type"), (1, "input")]
    assert "an entry holds more than the 300,000-byte limit" in found[1]["message"]


def test_a_large_har_file_cut_short_names_the_parser_error(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 20_000)
    data = _har([_entry(json.dumps({"Total": "many"}))] + [_entry(SAMPLE.read_text())] * 20)
    (tmp_path / "cut.har").write_bytes(data[: len(data) // 2])
    code, found, _ = validate(capsys, str(tmp_path / "cut.har"))
    assert code == 1 and [f["keyword"] for f in found] == ["type", "parse"]
    assert found[1]["message"].startswith("not valid JSON: ") and "\n" not in found[1]["message"]


# ---------------------------------------------------------------- standard input
def test_json_lines_on_standard_input_are_streamed(capsys: pytest.CaptureFixture[str],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reading, "MAX_BYTES", 1000)
    text = ("\n".join([GOOD] * 200 + [json.dumps({"Total": "many"})]) + "\n").encode()
    assert len(text) > 5 * reading.MAX_BYTES
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text)))
    code, found, summary = validate(capsys, "-")
    assert code == 1 and [(f["line"], f["path"]) for f in found] == [(201, "/Total")]
    assert summary["documents"] == 201


def test_one_document_on_standard_input_with_blank_lines_after_it(capsys: pytest.CaptureFixture[str],
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    one = json.dumps({"Total": "many"}).encode() + b"\n\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(one)))
    code, found, summary = validate(capsys, "-")
    assert code == 1 and [(f["line"], f["path"]) for f in found] == [(None, "/Total")]
    assert summary["documents"] == 1
