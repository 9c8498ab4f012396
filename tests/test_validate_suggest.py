"""What the traffic teaches the spec: `validate --report` (findings by schema location) and
`validate --suggest-spec` (a unified diff against the spec, comments and layout kept, which loads, generates
and validates the same traffic with fewer findings). Run on the main spec and on a made-up one."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import DOC_SAMPLE as SAMPLE
from conftest import ROOT
from hypothesis import given
from hypothesis import strategies as st

from generator import generate
from generator.cli import main
from generator.commands.validate import aggregate, suggest

SPEC = ROOT / "spec" / "dts-precheck.yaml"
ACTION = "DescribePreCheckStatus"


def sample() -> dict[str, Any]:
    return json.loads(SAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def run(*args: str, cwd: Path = ROOT, path: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **({"PYTHONPATH": str(path)} if path else {})}
    return subprocess.run([sys.executable, "-m", "generator", "validate", "-q", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def findings(done: subprocess.CompletedProcess[str]) -> list[dict[str, Any]]:
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    assert lines and lines[-1]["type"] == "summary", done.stdout + done.stderr
    return lines[:-1]


# ---------------------------------------------------------------- --report
def test_report_counts_each_location_once_a_document_against_the_documents_checked(tmp_path: Path) -> None:
    docs = []
    for i in range(10):
        doc = sample()
        item = doc["JobProgress"][0]
        doc["JobProgress"] = [dict(item, Total=str(n) if i < 6 else n) for n in range(3)]  # 6 docs x 3 items
        if i % 5 == 4:
            doc["State"] = "Rebalancing"
        docs.append(doc)
    path = tmp_path / "day.jsonl"
    path.write_text("\n".join(json.dumps(d) for d in docs) + "\n")
    done = run("--report", "--format", "json", str(path))
    rows = {(r["location"], r["seen"]): r for r in findings(done)}
    total = rows[("/JobProgress/*/Total", "numeric string")]
    assert (total["documents"], total["of"], total["occurrences"]) == (6, 10, 18)
    assert (total["first"], total["severity"], total["document"]) == ({"file": str(path), "line": 1, "entry": None},
                                                                      "warning", "response")
    state = rows[("/State", 'unknown value "Rebalancing"')]
    assert (state["documents"], state["first"]["line"]) == (2, 5)
    assert len(rows) == 2 and done.returncode == 0
    text = run("--report", str(path)).stdout.splitlines()
    assert text[0] == (f"/JobProgress/*/Total (response): warning: numeric string in 6 of 10 documents, 18 times; "
                       f"first at {path}:1")
    assert text[1].startswith("    e.g. Expected integer or null, found string '0'")
    assert text[-1] == "1 files, 10 documents: 0 errors, 20 warnings"
    github = run("--report", "--format", "github", str(path)).stdout.splitlines()
    assert github[0].startswith(f"::warning file={path},line=1,title=type at /JobProgress/*/Total (response)::"
                                "numeric string in 6 of 10 documents, 18 times; first: Expected integer")
    assert github[-1] == "::notice title=validate::1 files, 10 documents: 0 errors, 20 warnings"


def test_report_keeps_memory_bounded_when_locations_are_endless(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aggregate, "MAX_LOCATIONS", 5)
    path = tmp_path / "keys.jsonl"
    path.write_text("\n".join(json.dumps({f"Field{i}": 1}) for i in range(12)) + "\n")
    assert main(["validate", "-q", "--report", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert len([x for x in out if x.startswith("/Field")]) == 5
    assert "and 7 more findings at other locations (only the first 5 locations are listed)" in out


# ---------------------------------------------------------------- --suggest-spec on the main spec
def traffic(folder: Path) -> Path:
    lines = []
    for i in range(12):
        doc = sample()
        if i % 3 == 0:
            doc["State"] = "Rebalancing"  # an unknown value of an open value set
        if i % 4 == 0:
            doc["Shard"] = i if i % 8 else f"s{i}"  # an undeclared field, seen as integer and as string
        if i % 5 == 0:
            doc["JobProgress"][0]["Skip"] = "TRUE"  # a boolean text the lenient policy does not list
        if i % 6 == 0:
            doc["ErrorItem"] = "null"  # a null text the lenient policy does not list
        if i == 7:
            doc["JobProgress"][0]["DiffRow"] = 1.5  # a number for an integer: no change can say it
        lines.append(json.dumps(doc))
    exchange = {"type": "exchange", "action": ACTION, "request": {"method": "POST", "url": "https://x/", "params": {
        "DtsJobId": "j", "Tenant": "t1"}}, "response": {"status": 200, "headers": {}, "body": SAMPLE.read_text()}}
    lines.append(json.dumps(exchange))  # JobCode left out, an undeclared parameter sent
    path = folder / "traffic.jsonl"
    path.write_text("\n".join(lines) + "\n")
    return path


def apply(patch: str, folder: Path) -> None:
    (folder / "change.patch").write_text(patch)
    done = subprocess.run(["patch", "-p1", "-i", "change.patch"], cwd=folder, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_suggested_change_loads_generates_and_validates_the_traffic_with_fewer_findings(tmp_path: Path) -> None:
    (tmp_path / "spec").mkdir()
    spec = tmp_path / "spec" / "dts-precheck.yaml"
    shutil.copyfile(SPEC, spec)
    before = spec.read_bytes()
    recording = traffic(tmp_path)
    done = run("--suggest-spec", "--spec", "spec/dts-precheck.yaml", str(recording), cwd=tmp_path)
    assert done.returncode == 1 and "Traceback" not in done.stderr  # the number for an integer is an error
    assert spec.read_bytes() == before  # nothing is changed unless the maintainer applies it
    diff = done.stdout
    assert diff.startswith("--- a/spec/dts-precheck.yaml\n+++ b/spec/dts-precheck.yaml\n")
    added = [x[1:].strip() for x in diff.splitlines() if x.startswith("+") and not x.startswith("+++")]
    removed = [x[1:].strip() for x in diff.splitlines() if x.startswith("-") and not x.startswith("---")]
    assert "Shard:" in added and "type: [integer, string]" in added and "- name: Tenant" in added
    assert any(x.startswith("enum: [") and x.endswith(", Rebalancing]") for x in added)
    assert any(x.startswith("Rebalancing: \"Not documented; seen in 4 of 13 recorded documents") for x in added)
    assert any("TRUE" in x for x in added) and any('"null"' in x or "null]" in x for x in added)
    assert len(removed) <= 5  # only the lines of changed nodes: enum, lenient lists, required
    assert "number where an integer is declared" in done.stderr and "changes proposed" in done.stderr

    apply(diff, tmp_path)
    patched = spec.read_text()
    assert patched.count("#") == before.decode().count("#")  # every comment kept
    generate(spec, tmp_path / "out")  # loads, checks, builds and renders
    old = findings(run("--format", "json", str(recording)))
    new = findings(run("--format", "json", "--package", "dts_precheck", str(recording), path=tmp_path / "out"))
    assert len(new) < len(old)
    assert {(f["location"], f["keyword"]) for f in new if f["severity"] == "error"} == {
        ("/JobProgress/*/DiffRow", "type")}  # what no change could say; the texts are lenient drift now:
    assert {f["location"] for f in new if f["severity"] == "warning"} == {"/JobProgress/*/Skip", "/ErrorItem"}
    again = run("--suggest-spec", "--spec", "spec/dts-precheck.yaml", "--package", "dts_precheck", str(recording),
                cwd=tmp_path, path=tmp_path / "out")
    assert again.stdout == "" and "nothing to propose" in again.stderr  # the traffic has nothing more to teach


# ---------------------------------------------------------------- another API's spec
GADGETS = """\
openapi: 3.1.0
info: {title: Gadgets, version: "1"}
x-service:
  product: Gadgets
  api_version: "2040-01-01"
  package: gadget_store
  client_class: GadgetClient
  style: rpc
  endpoints: {regions: {moon-1: gadgets.example.test}, fallback: "gadgets.{region_id}.example.test"}
  signing: {default: v2, supported: [v2]}
  credentials_env: {access_key_id: GADGET_KEY, access_key_secret: GADGET_SECRET}
  errors:
    schema: {$ref: "#/components/schemas/Failure"}
    base_class: GadgetError
    code_field: Code
    message_field: Message
    request_id_field: RequestId
    codes: []
paths:
  /:
    get:
      operationId: ListGadgets
      x-rpc: {action: ListGadgets, methods: [GET]}
      parameters:
        - {name: Shelf, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}
components:
  schemas:
    # what a gadget looks like
    Kind:
      type: string
      enum: [lamp, fan]  # the documented kinds
      x-open-enum: true
      x-enum-descriptions:
        lamp: A lamp.
        fan: A fan.

    Gadget:
      type: object
      additionalProperties: false
      required: [Name, Kind]
      properties:
        Name: {type: string}
        Kind: {$ref: "#/components/schemas/Kind"}
        Watts: {type: [integer, "null"]}   # whole watts

    # one page of gadgets
    Page:
      type: object
      additionalProperties: false
      properties:
        Items: {type: array, items: {$ref: "#/components/schemas/Gadget"}}

    Failure:
      type: object
      properties:
        Code: {type: string}
        Message: {type: string}
        RequestId: {type: string}
"""


def test_another_apis_spec_is_taught_the_same_way(tmp_path: Path) -> None:
    spec = tmp_path / "gadgets.yaml"
    spec.write_text(GADGETS)
    generate(spec, tmp_path / "before")
    pages = [{"Items": [{"Name": "a", "Kind": "lamp", "Watts": 5}]},
             {"Items": [{"Kind": "heater", "Watts": "12", "Color": "red"}]},  # Name missing, value, field, drift
             {"Items": [{"Name": "c", "Kind": "heater", "Watts": 7.5, "Color": None}]}]
    recording = tmp_path / "pages.jsonl"
    recording.write_text("\n".join(json.dumps(p) for p in pages) + "\n")
    common = ["--package", "gadget_store", "--action", "ListGadgets"]
    old = findings(run("--format", "json", *common, str(recording), path=tmp_path / "before"))
    done = run("--suggest-spec", "--spec", str(spec), *common, str(recording), path=tmp_path / "before")
    assert "Traceback" not in done.stderr and done.stdout, done.stderr
    diff = done.stdout
    assert spec.read_text() == GADGETS
    assert "-      required: [Name, Kind]\n+      required: [Kind]\n" in diff
    assert "-      enum: [lamp, fan]  # the documented kinds\n+      enum: [lamp, fan, heater]" in diff
    assert "+        heater: \"Not documented; seen in 2 of 3 recorded documents (first: " in diff
    assert "+        Color:\n+          type: [string, \"null\"]\n" in diff
    assert "+      Watts: {type: [integer, string, \"null\"]}" not in diff  # a numeric string is not a new type...
    assert "number where an integer is declared" in done.stderr  # ...and a number for an integer is named
    patched = tmp_path / "patched.yaml"
    patched.write_text(GADGETS)
    (tmp_path / "change.patch").write_text(diff.replace(f"a/{os.path.relpath(spec)}", "a/patched.yaml").replace(
        f"b/{os.path.relpath(spec)}", "b/patched.yaml").replace(str(spec), "patched.yaml"))
    applied = subprocess.run(["patch", "-p0" if str(spec) in diff else "-p1", "-i", "change.patch"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    text = patched.read_text()
    assert "# what a gadget looks like\n" in text and "# one page of gadgets\n" in text
    assert "Watts: {type: [integer, \"null\"]}   # whole watts\n" in text  # untouched lines kept as written
    generate(patched, tmp_path / "after")
    new = findings(run("--format", "json", *common, str(recording), path=tmp_path / "after"))
    assert len(new) < len(old)
    assert {(f["location"], f["keyword"]) for f in new} == {("/Items/*/Watts", "type")}


def test_a_change_that_would_not_load_is_left_out_and_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec = tmp_path / "gadgets.yaml"
    spec.write_text(GADGETS)
    broken = suggest.Change("/components/schemas/Kind/type", "break the value set", "test",
                            lambda tree: tree["components"]["schemas"]["Kind"].__setitem__("type", "bogus"))
    real = suggest._Planner.changes
    monkeypatch.setattr(suggest._Planner, "changes", lambda self: [broken, *real(self)])
    rows = aggregate.Aggregate()
    from generator.commands.validate.findings import Finding

    rows.add_finding(Finding("t.jsonl", "warning", "enum", "/Items/0/Kind", "m", line=1, location="/Items/*/Kind",
                             seen='"heater"', action="ListGadgets"))
    found = suggest.suggest(rows, spec)
    assert [c.what for c in found.changes] == ["add the value 'heater'"]
    assert any(n.startswith("not suggested: break the value set at /components/schemas/Kind/type: the spec would "
                            "not load") for n in found.notes)
    assert "+  " in found.diff and "bogus" not in found.diff


def test_options_of_suggest_spec_are_usage_errors_when_misused(tmp_path: Path) -> None:
    path = tmp_path / "one.json"
    path.write_text(SAMPLE.read_text())
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.1.0\npaths: {}\n")
    for args, words in [(["--spec", str(SPEC)], "--spec is read by --suggest-spec only"),
                        (["--report", "--suggest-spec"], "not allowed with argument"),
                        (["--suggest-spec", "--spec", str(tmp_path / "nope.yaml")], "nope.yaml"),
                        (["--suggest-spec", "--spec", str(bad)], "the spec does not load")]:
        done = run(*args, str(path))
        assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
    clean = run("--suggest-spec", str(path))
    assert clean.returncode == 0 and clean.stdout == "" and "nothing to propose" in clean.stderr


# ---------------------------------------------------------------- the merge that keeps the layout
def _text(lines: list[str]) -> str:
    return "".join(line + "\n" for line in lines)


@given(st.lists(st.integers(min_value=0, max_value=10**6), min_size=3, max_size=30, unique=True), st.data())
def test_the_merge_keeps_the_writers_layout_where_the_edit_is_not(keys: list[int], data: st.DataObject) -> None:
    base = [f"k{k}: v" for k in keys]
    cut = data.draw(st.integers(min_value=1, max_value=len(base) - 1))
    ours_at = data.draw(st.integers(min_value=0, max_value=cut - 1))  # a layout change in the first part
    theirs_at = data.draw(st.integers(min_value=cut + 1, max_value=len(base)))  # an insertion in the second
    ours = [*base[:ours_at], base[ours_at] + "   # kept", *base[ours_at + 1:]]
    theirs = [*base[:theirs_at], "new: line", *base[theirs_at:]]
    both = [*ours[:theirs_at], "new: line", *ours[theirs_at:]]
    assert suggest._merge(_text(base), _text(ours), _text(theirs)) == _text(both)


@given(st.lists(st.sampled_from(["a: 1", "b: 2", "# note", "", "  c: 3"]), max_size=20),
       st.lists(st.sampled_from(["a: 1", "x: 9", "# other", ""]), max_size=20))
def test_the_merge_takes_either_side_whole_when_the_other_did_nothing(base: list[str], other: list[str]) -> None:
    assert suggest._merge(_text(base), _text(base), _text(other)) == _text(other)  # no layout change: the edit
    assert suggest._merge(_text(base), _text(other), _text(base)) == _text(other)  # no edit: the text as written
