"""`validate` checks recorded requests too (HAR entries, recordings' exchanges) against the operation's
parameters, reads recordings in the format docs/validating.md defines, and never echoes a secret."""

from __future__ import annotations

import base64
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from conftest import DOC_SAMPLE as SAMPLE
from conftest import ROOT, validate

from generator import generate

ACTION = "DescribePreCheckStatus"
VALID = {"DtsJobId": "dtsj2b", "JobCode": "01"}




def entry(params: dict[str, str] | list[tuple[str, str]], body: str | None = None, *, form: Any = None,
          headers: list[dict[str, str]] | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {"method": "POST", "url": "https://dts.aliyuncs.com/?" + urlencode(params),
                               "headers": headers or []}
    if form is not None:
        request["postData"] = form
    return {"request": request, "response": {"status": 200, "headers": [], "content": {
        "mimeType": "application/json", "text": body if body is not None else SAMPLE.read_text()}}}


def har(path: Path, entries: list[Any]) -> Path:
    path.write_text(json.dumps({"log": {"version": "1.2", "entries": entries}}))
    return path


CASES = [  # (parameters sent, path, keyword, lenient severity, words of the message)
    ({"Action": ACTION, "DtsJobId": "j"}, "/JobCode", "required", "error", "required, but not sent"),
    ({"Action": ACTION, "DtsJobId": "", "JobCode": "01"}, "/DtsJobId", "required", "error", "sent empty"),
    ({**VALID, "Action": ACTION, "PageSize": "lots"}, "/PageSize", "type", "error", "expected an integer, found 'lots'"),
    ({**VALID, "Action": ACTION, "PageNo": "0"}, "/PageNo", "minimum", "error", "expected at least 1, found '0'"),
    ({**VALID, "Action": ACTION, "PageNo": "4294967296"}, "/PageNo", "maximum", "error", "at most 2147483647"),
    ({**VALID, "Action": ACTION, "PageSize": "4294967296"}, "/PageSize", "format", "error",
     "expected from -2147483648 to 2147483647"),
    ({**VALID, "Action": ACTION, "ZeroEtlJob": "maybe"}, "/ZeroEtlJob", "type", "error", "expected true or false"),
    ({**VALID, "Action": ACTION, "ZeroEtlJob": "True"}, "/ZeroEtlJob", "type", "warning", "the server takes it"),
    ({**VALID, "Action": ACTION, "JobCode": "07"}, "/JobCode", "enum", "warning", "'07' is not one of the documented"),
    ({**VALID, "Action": ACTION, "PageNum": "2"}, "/PageNum", "additionalProperties", "warning",
     "not a parameter of the operation"),
    ([*VALID.items(), ("Action", ACTION), ("PageNo", "1"), ("PageNo", "2")], "/PageNo", "duplicate", "warning",
     "sent 2 times"),
]


@pytest.mark.parametrize(("params", "path", "keyword", "severity", "words"), CASES,
                         ids=[f"{c[2]}{c[1]}" for c in CASES])
def test_each_request_problem_is_a_finding_naming_the_parameter_and_the_entry(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], params: Any, path: str, keyword: str, severity: str,
        words: str) -> None:
    file = har(tmp_path / "c.har", [entry({**VALID, "Action": ACTION}), entry(params)])
    code, found, summary = validate(capsys, str(file))
    assert [(f["entry"], f["path"], f["keyword"], f["severity"], f["document"]) for f in found] == [
        (1, path, keyword, severity, "request")]
    assert words in found[0]["message"] and found[0]["message"].startswith(f"request parameter {path[1:]!r}: ")
    assert summary["requests"] == 2 and code == (severity == "error")
    _, strict, _ = validate(capsys, "--strict", str(file))
    assert [f["severity"] for f in strict] == ["error"]


def test_common_parameters_and_every_declared_one_pass(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    params = {**VALID, "Action": ACTION, "Version": "2020-01-01", "Format": "JSON", "Timestamp": "2024-05-01T08:00:00Z",
              "SignatureNonce": "n", "SignatureMethod": "HMAC-SHA1", "SignatureVersion": "1.0", "AccessKeyId": "k",
              "Signature": "s", "SecurityToken": "t", "StructType": "before", "PageNo": "2", "PageSize": "50",
              "RegionId": "cn-hangzhou", "StructPhase": "View", "Name": "t1", "ResourceGroupId": "rg",
              "ZeroEtlJob": "false"}
    code, found, summary = validate(capsys, str(har(tmp_path / "c.har", [entry(params)])))
    assert (code, found, summary["requests"]) == (0, [], 1)


def test_form_bodies_and_the_v3_action_header_are_read(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    as_params = {"mimeType": "application/x-www-form-urlencoded",
                 "params": [{"name": "DtsJobId", "value": "j"}, {"name": "PageSize", "value": "x"}]}
    as_text = {"mimeType": "application/x-www-form-urlencoded; charset=utf-8", "text": "DtsJobId=j&PageNo=-3"}
    v3 = entry({"JobCode": "01"}, form={"mimeType": "application/x-www-form-urlencoded", "text": "DtsJobId=j"},
               headers=[{"name": "x-acs-action", "value": ACTION}])
    entries = [entry({"Action": ACTION, "JobCode": "01"}, form=as_params),
               entry({"Action": ACTION, "JobCode": "01"}, form=as_text), v3]
    code, found, _ = validate(capsys, str(har(tmp_path / "c.har", entries)))
    assert code == 1 and [(f["entry"], f["path"], f["keyword"]) for f in found] == [
        (0, "/PageSize", "type"), (1, "/PageNo", "minimum")]


@pytest.mark.parametrize("in_query_string", [False, True])
def test_an_action_sent_twice_in_a_har_entry_is_read_as_the_last(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                 in_query_string: bool) -> None:
    def called(*actions: str) -> dict[str, Any]:
        made = entry([*(("Action", a) for a in actions), ("DtsJobId", "j"), ("JobCode", "01"), ("PageSize", "x")])
        if in_query_string:  # the URL without its query: the pairs only in HAR's queryString
            query = made["request"]["url"].partition("?")[2]
            made["request"]["url"] = made["request"]["url"].partition("?")[0]
            made["request"]["queryString"] = [{"name": n, "value": v} for n, v in parse_qsl(query)]
        return made

    code, found, summary = validate(capsys, str(har(tmp_path / "t.har", [called("Other", ACTION),
                                                                          called(ACTION, "Other")])))
    assert (code, [(f["entry"], f["path"]) for f in found], summary["requests"]) == (1, [(0, "/PageSize")], 1)


SECRETS = ["LTAI5tSECRETKEYID", "SIGNATURESECRET0", "STSTOKENSECRET1", "AUTHHEADERSECRET2", "XACSTOKENSECRET3",
           "PASSWORDSECRET4"]


def test_secrets_in_recorded_requests_are_never_echoed(tmp_path: Path) -> None:
    key, signature, token, auth, header_token, password = SECRETS
    noisy = {"Action": ACTION, "DtsJobId": "j", "JobCode": "07", "AccessKeyId": key, "Signature": signature,
             "SecurityToken": token, "DbPassword": password, "PageSize": "lots"}
    headers = [{"name": "Authorization", "value": f"ACS3-HMAC-SHA256 Credential={key},Signature={auth}"},
               {"name": "x-acs-security-token", "value": header_token}]
    entries = [entry(noisy, headers=headers),
               entry({"Action": ACTION, "DtsJobId": "j"},
                     form={"mimeType": "application/x-www-form-urlencoded", "text": urlencode(noisy)}),
               {"request": {"method": "GET", "url": "https://dts.aliyuncs.com/?" + urlencode(noisy),
                            "headers": headers}, "response": "not an object"}]
    file = har(tmp_path / "c.har", entries)
    exchange = {"type": "exchange", "action": ACTION, "request": {"method": "POST", "url": "https://x/",
                                                                   "params": noisy},
                "response": {"status": 200, "headers": {"authorization": auth}, "body": "{"}}
    recording = tmp_path / "r.jsonl"
    recording.write_text(json.dumps(exchange) + "\n")
    spec = tmp_path / "spec.yaml"
    spec.write_bytes((ROOT / "spec" / "dts-precheck.yaml").read_bytes())
    outputs = []
    for extra in (["--format", "text"], ["--format", "json"], ["--format", "github"], ["--report"],
                  ["--report", "--format", "json"], ["--suggest-spec", "--spec", str(spec)], ["--strict"]):
        done = subprocess.run([sys.executable, "-m", "generator", "validate", "-q", *extra, str(file), str(recording)],
                              cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        outputs.append(done.stdout + done.stderr)
    everything = "\n".join(outputs)
    assert "DbPassword" in everything and "PageSize" in everything  # the findings are there...
    for secret in SECRETS:
        assert secret not in everything  # ...and no secret in any of them


# ---------------------------------------------------------------- recordings
def exchange(params: dict[str, Any] | None = None, body: Any = None, **extra: Any) -> dict[str, Any]:
    response = {"status": 200, "headers": {"content-type": "application/json"},
                "body": SAMPLE.read_text() if body is None else body}
    return {"type": "exchange", "version": 1, "time": "2024-05-01T08:00:00Z", "action": ACTION,
            "request": {"method": "POST", "url": "https://dts.aliyuncs.com/",
                        "params": {**VALID, **(params or {})}},
            "response": response, **extra}


def test_a_recording_checks_requests_and_responses_line_by_line(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    drifted = json.dumps({"Total": "many"})
    gz = base64.b64encode(gzip.compress(drifted.encode())).decode()
    xml = (b"<?xml version='1.0'?><Error><RequestId>R</RequestId><Code>Throttling.User</Code>"
           b"<Message>slow down</Message></Error>").decode()
    lines = [
        exchange(),                                                            # 1 clean
        exchange({"PageSize": "lots"}),                                        # 2 request
        exchange(body=drifted),                                                # 3 response
        {**exchange(), "response": None, "error": "timed out"},                # 4 no answer: request only
        exchange(body=gz, **{}) | {"response": {"status": 200, "headers": {"Content-Encoding": "gzip"},
                                                "body": gz, "body_encoding": "base64"}},  # 5 gzip body
        exchange(body=xml),                                                    # 6 XML error body
        {**exchange(), "action": "DescribeRegions"},                           # 7 another API: passed over
        json.loads(drifted),                                                   # 8 a plain body line
        {**exchange(), "request": ["not", "an object"]},                       # 9 malformed
        exchange(body=json.dumps({"Code": "Throttling.User", "Message": 5, "RequestId": "R"})),  # 10 error body
    ]
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    code, found, summary = validate(capsys, str(path))
    assert [(f["line"], f["document"], f["path"], f["keyword"]) for f in found] == [
        (2, "request", "/PageSize", "type"), (3, "response", "/Total", "type"), (5, "response", "/Total", "type"),
        (8, "response", "/Total", "type"), (9, "unknown", "", "exchange"), (10, "error", "/Message", "type")]
    assert found[4]["message"] == "its request is a list, not an object"
    assert summary["requests"] == 7 and summary["documents"] == 7 and code == 1


@pytest.mark.parametrize(("bad", "message"), [
    ({"request": {"params": []}}, "its request.params is a list, not an object"),
    ({"request": {"params": {"DtsJobId": 5}}}, "its request.params['DtsJobId'] is the number 5"),
    ({"response": "200 OK"}, "its response is a string, not an object or null"),
    ({"response": {"status": 200, "body": 5}}, "its response.body is the number 5, not a string"),
    ({"response": {"status": 200, "body": "{}", "body_encoding": "hex"}}, "its response.body_encoding is 'hex'"),
])
def test_malformed_exchanges_are_findings_for_their_line(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                         bad: dict[str, Any], message: str) -> None:
    line = {**exchange(), **bad}
    if "request" in bad:
        line["request"] = {"method": "POST", "url": "https://x/", **bad["request"]}
    path = tmp_path / "rec.jsonl"
    path.write_text(json.dumps(exchange()) + "\n" + json.dumps(line) + "\n")
    code, found, _ = validate(capsys, str(path))
    shape = [f for f in found if f["keyword"] == "exchange"]
    assert code == 1 and [f["line"] for f in shape] == [2] and message in shape[0]["message"]
    assert all(f["line"] == 2 for f in found)  # the well-formed line before it is fine


def test_a_recording_of_another_api_only_is_nothing_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(json.dumps({**exchange(), "action": "Other"}) for _ in range(3)) + "\n")
    code, found, _ = validate(capsys, str(path))
    assert code == 1 and [f["message"] for f in found] == [
        f"nothing checked: none of its 3 exchanges calls {ACTION}"]
    assert validate(capsys, "--allow-empty", str(path))[0] == 0


# ---------------------------------------------------------------- another API: the table is the spec's
WIDGETS = """
openapi: 3.1.0
info: {title: Widgets, version: "1"}
x-service:
  product: Widgets
  api_version: "2031-07-01"
  package: widget_requests
  client_class: WidgetClient
  style: rpc
  endpoints: {regions: {moon-1: widgets.example.test}, fallback: "widgets.{region_id}.example.test"}
  signing: {default: v2, supported: [v2]}
  credentials_env: {access_key_id: WIDGET_KEY, access_key_secret: WIDGET_SECRET}
  errors:
    schema: {$ref: "#/components/schemas/Failure"}
    base_class: WidgetError
    code_field: Code
    message_field: Message
    request_id_field: RequestId
    codes: []
  lenient: {integer_from_string: true, boolean_from_string: ["TRUE", "FALSE"]}
paths:
  /:
    get:
      operationId: ListWidgets
      x-rpc: {action: ListWidgets, methods: [GET]}
      parameters:
        - {name: Shelf, in: query, required: true, schema: {type: string, pattern: "^[a-z]+$", maxLength: 8}}
        - {name: Size, in: query, schema: {$ref: "#/components/schemas/Size"}}
        - {name: Weight, in: query, schema: {type: number, exclusiveMinimum: 0}}
        - {name: Shiny, in: query, schema: {type: boolean}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Page"}}}
components:
  schemas:
    Size: {type: string, enum: [S, M, L]}
    Page:
      type: object
      additionalProperties: false
      properties:
        Count: {type: [integer, "null"]}
    Failure:
      type: object
      properties:
        Code: {type: string}
        Message: {type: string}
        RequestId: {type: string}
"""


def test_another_apis_parameters_come_from_its_own_spec(tmp_path: Path) -> None:
    spec = tmp_path / "widgets.yaml"
    spec.write_text(WIDGETS)
    generate(spec, tmp_path / "out")
    sent = [{"Shelf": "top"}, {"Shelf": "Top-1"}, {"Shelf": "abcdefghij"}, {"Shelf": "a", "Size": "XL"},
            {"Shelf": "a", "Weight": "0"}, {"Shelf": "a", "Weight": "1e400"}, {"Shelf": "a", "Shiny": "TRUE"},
            {"Size": "S"}]
    path = tmp_path / "rec.jsonl"
    path.write_text("\n".join(json.dumps({"type": "exchange", "action": "ListWidgets", "request": {
        "method": "GET", "url": "https://w/", "params": p}, "response": {"status": 200, "headers": {},
                                                                         "body": '{"Count": 1}'}}) for p in sent))
    done = subprocess.run([sys.executable, "-m", "generator", "validate", "-q", "--format", "json", "--package",
                           "widget_requests", str(path)], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(tmp_path / "out")})
    found = [json.loads(x) for x in done.stdout.splitlines()][:-1]
    assert [(f["line"], f["path"], f["keyword"], f["severity"]) for f in found] == [
        (2, "/Shelf", "pattern", "error"), (3, "/Shelf", "maxLength", "error"), (4, "/Size", "enum", "error"),
        (5, "/Weight", "exclusiveMinimum", "error"), (6, "/Weight", "type", "error"),
        (7, "/Shiny", "type", "warning"), (8, "/Shelf", "required", "error")], done.stderr
