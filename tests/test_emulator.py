"""The emulator (mock-server): wire protocol, signatures, STS, data, pagination, filters, validation, bad
requests, the structured log, recordings, determinism, and the official SDK against it."""

from __future__ import annotations

import http.client
import json
import logging
import os
import random
import shutil
import socket
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import DOC_SAMPLE, ROOT, doc_sample
from hypothesis import given
from hypothesis import strategies as st

from generator.emulator import Emulator
from generator.emulator.api import load_api
from generator.emulator.client import Answer, Caller
from generator.runtime import _credentials, _signing, _xml

ACTION = "DescribePreCheckStatus"
VERSION = "2020-01-01"
BASE = {"DtsJobId": "job-1", "JobCode": "01"}


def caller(server: Emulator, signing: str = "v3", **kw: Any) -> Caller:
    key_id = kw.pop("key_id", server.access_key_id)
    secret = kw.pop("secret", server.access_key_secret)
    return Caller(server.url, kw.pop("action", ACTION), kw.pop("version", VERSION), key_id, secret,
                  signing=signing, **kw)


def call(server: Emulator, params: dict[str, Any] | None = None, signing: str = "v3", **kw: Any) -> Answer:
    request_kw = {k: kw.pop(k) for k in ("method", "fmt", "timestamp", "nonce", "form") if k in kw}
    with caller(server, signing, **kw) as c:
        return c.request({**BASE, **(params or {})}, **request_kw)


def error_of(answer: Answer) -> str:
    body = answer.json()
    assert set(body) >= {"RequestId", "HostId", "Code", "Message", "Recommend"}, body
    assert answer.headers["x-acs-request-id"] == body["RequestId"]
    return str(body["Code"])


def all_items(server: Emulator, job: str, size: int, **params: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    with caller(server) as c:
        page = 1
        while True:
            body = c.request({**BASE, "DtsJobId": job, "PageNo": page, "PageSize": size, **params}).json()
            out += body["JobProgress"]
            if not body["JobProgress"]:
                return out
            page += 1


# ------------------------------------------------------------------ wire protocol
@pytest.mark.parametrize("signing", ["v3", "v2"])
def test_signed_request_gets_a_page_that_parses_strictly(mock_server: Emulator, signing: str) -> None:
    import dts_precheck

    answer = call(mock_server, {"PageSize": 3, "PageNo": 2}, signing)
    assert answer.status == 200
    assert answer.headers["content-type"].startswith("application/json")
    body = answer.json()
    assert body["PageNumber"] == 2 and body["PageRecordCount"] == 3 and len(body["JobProgress"]) == 3
    assert body["JobId"] == "job-1" and body["Code"] == "01" and body["Success"] is True
    assert body["RequestId"] == answer.headers["x-acs-request-id"]
    parsed = dts_precheck.parse_response(answer.body, strict=True)  # generated from the schema: exact shape
    assert parsed.to_dict() == body


def test_synthetic_items_fill_every_scalar_field_fields_of_several_types_included(mock_server: Emulator) -> None:
    from dts_precheck import _spec

    item_shape = _spec.RESPONSE_SHAPE["JobProgress"][1][1]
    scalars = {wire for wire, shape in item_shape.items() if isinstance(shape, str)}
    item = call(mock_server, {"PageSize": 1}).json()["JobProgress"][0]
    assert scalars - set(item) == set()
    assert item["BootTime"] == "2022-03-16T08:01:31.000+00:00"  # string or integer: drawn from the spec's pool


def test_get_query_and_post_form_body_both_work(mock_server: Emulator) -> None:
    assert call(mock_server, signing="v2", method="GET").status == 200
    assert call(mock_server, signing="v2", method="POST", form=True).status == 200
    assert call(mock_server, signing="v3", method="GET").status == 200


def test_keep_alive_serves_many_requests_on_one_connection(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        for _ in range(20):
            assert c.request(BASE).status == 200
        assert c._conn is not None
    clients = {r["client"] for r in mock_server.records}
    assert len(clients) == 1


def test_xml_per_format_for_answers_and_errors(mock_server: Emulator) -> None:
    import dts_precheck._spec as spec

    as_json = call(mock_server, {"PageSize": 4}, "v2").json()
    answer = call(mock_server, {"PageSize": 4}, "v2", fmt="XML")
    assert answer.status == 200 and answer.headers["content-type"].startswith("text/xml")
    doc = _xml.xml_to_dict(answer.body, spec.RESPONSE_SHAPE, root=spec.RESPONSE_ROOT)
    as_json.pop("RequestId")
    doc.pop("RequestId")
    assert doc == as_json
    bad = call(mock_server, {"DtsJobId": None}, "v2", fmt="XML")
    assert bad.status == 400
    err = _xml.xml_to_dict(bad.body, spec.ERROR_SHAPE, root=spec.ERROR_ROOT)
    assert err["Code"] == "MissingParameter"


# ------------------------------------------------------------------ signatures and credentials
@pytest.mark.parametrize("signing", ["v3", "v2"])
def test_wrong_secret_is_signature_does_not_match(mock_server: Emulator, signing: str) -> None:
    answer = call(mock_server, signing=signing, secret="not-the-secret")
    assert answer.status == 400 and error_of(answer) == "SignatureDoesNotMatch"


@pytest.mark.parametrize("signing", ["v3", "v2"])
def test_stale_timestamp_is_expired(mock_server: Emulator, signing: str) -> None:
    stale = _signing.utc_timestamp(time.time() - 3600)
    answer = call(mock_server, signing=signing, timestamp=stale)
    assert answer.status == 400 and error_of(answer) == "InvalidTimeStamp.Expired"


@pytest.mark.parametrize("signing", ["v3", "v2"])
def test_reused_nonce_is_refused(mock_server: Emulator, signing: str) -> None:
    assert call(mock_server, signing=signing, nonce="once-only").status == 200
    again = call(mock_server, signing=signing, nonce="once-only")
    assert again.status == 400 and error_of(again) == "SignatureNonceUsed"


def test_missing_signature_unknown_key_and_bad_timestamp(mock_server: Emulator) -> None:
    with caller(mock_server) as c:
        unsigned = c.send("POST", f"/?Action={ACTION}&Version={VERSION}&DtsJobId=j&JobCode=01",
                          {"host": mock_server.endpoint})
    assert unsigned.status == 400 and error_of(unsigned) == "IncompleteSignature"
    unknown = call(mock_server, key_id="nobody")
    assert unknown.status == 404 and error_of(unknown) == "InvalidAccessKeyId.NotFound"
    odd = call(mock_server, signing="v2", timestamp="yesterday")
    assert odd.status == 400 and error_of(odd) == "InvalidTimeStamp.Format"
    # V3 with a header sent but left out of the signed set
    with caller(mock_server) as c:
        answer = c.request(BASE, extra_headers={"x-acs-extra": "unsigned"})
    assert answer.status == 400 and error_of(answer) == "IncompleteSignature"


def test_tampered_query_does_not_match(mock_server: Emulator) -> None:
    creds = _credentials.Credentials(mock_server.access_key_id, mock_server.access_key_secret)
    headers = _signing.sign_v3("POST", "/", BASE, {"host": mock_server.endpoint}, b"", creds,
                            timestamp=_signing.utc_timestamp(), nonce=_signing.new_nonce(), action=ACTION,
                            version=VERSION)
    with caller(mock_server) as c:
        answer = c.send("POST", "/?" + _signing.canonical_query({**BASE, "DtsJobId": "other"}), headers)
    assert answer.status == 400 and error_of(answer) == "SignatureDoesNotMatch"


@pytest.mark.parametrize("signing", ["v3", "v2"])
def test_sts_tokens_live_expire_and_must_match(mock_server: Emulator, signing: str) -> None:
    mock_server.add_access_key("STS.live", "tmp-secret", token="tok-live", expires_in_s=600)
    mock_server.add_access_key("STS.old", "tmp-secret", token="tok-old", expires_in_s=-1)
    ok = call(mock_server, signing=signing, key_id="STS.live", secret="tmp-secret", token="tok-live")
    assert ok.status == 200
    expired = call(mock_server, signing=signing, key_id="STS.old", secret="tmp-secret", token="tok-old")
    assert expired.status == 403 and error_of(expired) == "InvalidSecurityToken.Expired"
    wrong = call(mock_server, signing=signing, key_id="STS.live", secret="tmp-secret", token="tok-other")
    assert wrong.status == 403 and error_of(wrong) == "InvalidSecurityToken.MismatchWithAccessKey"
    missing = call(mock_server, signing=signing, key_id="STS.live", secret="tmp-secret")
    assert missing.status == 403


@pytest.mark.parametrize("algorithm", [None, "v2"])  # the SDK's default (V3) and its older RPC signing (V2)
def test_official_sdk_is_accepted_as_it_signs(algorithm: str | None) -> None:
    client_mod = pytest.importorskip("alibabacloud_dts20200101.client")
    models = pytest.importorskip("alibabacloud_dts20200101.models")
    openapi = pytest.importorskip("alibabacloud_tea_openapi.models")
    signing = {"signature_algorithm": algorithm} if algorithm else {}
    with Emulator(seed=4) as server:
        server.add_job("sdk-job", items=12)
        config = openapi.Config(access_key_id=server.access_key_id, access_key_secret=server.access_key_secret,
                                endpoint=server.endpoint, protocol="http", region_id="cn-hangzhou", **signing)
        client = client_mod.Client(config)
        response = client.describe_pre_check_status(models.DescribePreCheckStatusRequest(
            dts_job_id="sdk-job", job_code="01", page_no=2, page_size=5, zero_etl_job=True, name="a b*"))
        assert response.status_code == 200
        assert response.body.total_record_count == 0  # nothing matches the name filter
        response = client.describe_pre_check_status(models.DescribePreCheckStatusRequest(
            dts_job_id="sdk-job", job_code="01", page_no=3, page_size=5))
        assert response.status_code == 200
        assert response.body.total_record_count == 12 and len(response.body.job_progress) == 2
        server.add_access_key("STS.sdk", "sts-secret", token="sts-token", expires_in_s=60)
        sts = client_mod.Client(openapi.Config(access_key_id="STS.sdk", access_key_secret="sts-secret",
                                               security_token="sts-token", endpoint=server.endpoint,
                                               protocol="http", region_id="cn-hangzhou", **signing))
        assert sts.describe_pre_check_status(models.DescribePreCheckStatusRequest(
            dts_job_id="sdk-job", job_code="01")).status_code == 200
        assert [r["signature"] for r in server.records] == [algorithm or "v3"] * 3


# ------------------------------------------------------------------ data, pagination, filters
@pytest.mark.parametrize("size", [1, 7, 20, 45, 100])
def test_pages_of_any_size_cover_every_item_once(mock_server: Emulator, size: int) -> None:
    mock_server.add_job("forty-five", items=45)
    items = all_items(mock_server, "forty-five", size)
    assert [i["Id"] for i in items] == [str(n) for n in range(1, 46)]


def test_page_past_the_end_is_empty_with_the_total(mock_server: Emulator) -> None:
    mock_server.add_job("small", items=5)
    for page in (2, 3, 1000, 2**31 - 1):
        body = call(mock_server, {"DtsJobId": "small", "PageNo": page, "PageSize": 5}).json()
        assert body["JobProgress"] == [] and body["TotalRecordCount"] == 5 and body["PageNumber"] == page
    default = call(mock_server, {"DtsJobId": "small"}).json()
    assert default["PageNumber"] == 1 and default["PageRecordCount"] == 20 and len(default["JobProgress"]) == 5


@pytest.mark.parametrize(("params", "code"), [
    ({"PageNo": 0}, "InvalidParameter"),
    ({"PageNo": 2**31}, "InvalidParameter"),
    ({"PageNo": "two"}, "InvalidParameter"),
    ({"PageSize": 0}, "InvalidParameter"),
    ({"PageSize": "1.5"}, "InvalidParameter"),
    ({"ZeroEtlJob": "maybe"}, "InvalidParameter"),
    ({"DtsJobId": None}, "MissingParameter"),
    ({"JobCode": ""}, "MissingParameter"),
])
def test_parameter_validation_uses_the_gateway_codes(mock_server: Emulator, params: dict[str, Any],
                                                     code: str) -> None:
    answer = call(mock_server, params)
    assert answer.status == 400 and error_of(answer) == code
    name = next(iter(params))
    assert f'"{name}"' in answer.json()["Message"]


def test_boolean_texts_of_every_sdk_are_accepted(mock_server: Emulator) -> None:
    for text in ("true", "false", "True", "False"):
        assert call(mock_server, {"ZeroEtlJob": text}).status == 200


def test_filters_apply_before_paging(mock_server: Emulator) -> None:
    mock_server.add_job("filtered", items=300)
    everything = all_items(mock_server, "filtered", 100)
    by_name = all_items(mock_server, "filtered", 7, Name="ORDER")
    assert by_name and by_name == [i for i in everything if "order" in i["TargetNames"].lower()]
    body = call(mock_server, {"DtsJobId": "filtered", "Name": "order", "PageSize": 1}).json()
    assert body["TotalRecordCount"] == len(by_name)
    by_phase = all_items(mock_server, "filtered", 50, StructPhase="check_binlog")
    assert by_phase == [i for i in everything if i["Item"] == "CHECK_BINLOG"]
    both = all_items(mock_server, "filtered", 50, StructPhase="CHECK_BINLOG", Name="order")
    assert both == [i for i in by_phase if "order" in i["TargetNames"]]
    assert call(mock_server, {"DtsJobId": "filtered", "Name": "no-such-table"}).json()["TotalRecordCount"] == 0


def test_failed_items_are_counted(mock_server: Emulator) -> None:
    mock_server.add_job("broken", items=30, failures=4)
    items = all_items(mock_server, "broken", 30)
    failed = [i for i in items if i["State"] == "Failed"]
    assert len(failed) == 4 and all(i["ErrMsg"] for i in failed)
    assert all(i["ErrMsg"] == "" for i in items if i["State"] != "Failed")
    assert call(mock_server, {"DtsJobId": "broken"}).json()["ErrorItem"] == 4


def test_same_seed_same_answers_other_seed_other_data() -> None:
    bodies = []
    for seed in (11, 11, 12):
        with Emulator(seed=seed) as server:
            bodies.append([call(server, {"DtsJobId": f"job-{n}", "PageSize": 50}).body for n in range(3)])
    assert bodies[0] == bodies[1]
    assert bodies[0] != bodies[2]


def test_recorded_responses_are_served_paged(tmp_path: Path) -> None:
    shutil.copy(DOC_SAMPLE, tmp_path / "recorded-job.json")
    (tmp_path / "gone-job.json").write_text(json.dumps(
        {"RequestId": "x", "HostId": "h", "Code": "Forbidden.InstanceNotFound", "Message": "gone"}))
    sample = doc_sample()
    with Emulator(data=tmp_path) as server:
        body = call(server, {"DtsJobId": "recorded-job"}).json()
        assert body["JobProgress"] == sample["JobProgress"] and body["TotalRecordCount"] == 1
        assert body["JobName"] == sample["JobName"] and body["SubDistributedJobStatus"]
        by_id = call(server, {"DtsJobId": sample["JobId"]}).json()  # exactly as recorded
        assert by_id["JobProgress"] == sample["JobProgress"]
        unknown = call(server, {"DtsJobId": "never-recorded"})
        assert unknown.status == 400 and error_of(unknown) == "InvalidJobId"
        gone = call(server, {"DtsJobId": "gone-job"})
        assert gone.status == 400 and gone.json()["Code"] == "Forbidden.InstanceNotFound"


def test_unreadable_recordings_are_refused(tmp_path: Path) -> None:
    from generator.emulator import EmulatorConfigError

    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(EmulatorConfigError, match=r"bad\.json"):
        Emulator(data=tmp_path)
    with pytest.raises(EmulatorConfigError, match="not a folder"):
        Emulator(data=tmp_path / "missing")


# ------------------------------------------------------------------ bad requests, and the server keeps serving
def raw_exchange(server: Emulator, data: bytes, timeout: float = 5.0) -> tuple[int, dict[str, Any]]:
    """Send raw bytes, read one HTTP answer; (status, JSON body)."""
    with socket.create_connection((server.host, server.port), timeout=timeout) as sock:
        sock.sendall(data)
        response = http.client.HTTPResponse(sock)
        response.begin()
        body = response.read()
    return response.status, json.loads(body)


def test_bad_requests_get_error_bodies_and_the_server_keeps_serving(mock_server: Emulator,
                                                                    capfd: pytest.CaptureFixture[str]) -> None:
    rng = random.Random(5)
    garbage = bytes(rng.randrange(256) for _ in range(4096))
    with caller(mock_server) as c:
        answer = c.send("POST", "/", {"content-type": "application/x-www-form-urlencoded"}, garbage)
        assert answer.status == 400 and error_of(answer) == "InvalidParameter"
        answer = c.send("POST", "/", {"content-type": "application/octet-stream"}, garbage)
        assert answer.status == 400 and error_of(answer) == "MissingParameter"
        huge = c.send("GET", "/?Action=" + "A" * 100_000, {})
        assert huge.status == 414 and error_of(huge) == "InvalidParameter"
        unknown = call(mock_server, action="NoSuchAction")
        assert unknown.status == 404 and error_of(unknown) == "InvalidAction.NotFound"
        old = call(mock_server, version="2019-01-01")
        assert old.status == 400 and error_of(old) == "InvalidVersion"
        wrong_path = c.send("GET", "/v2/jobs?Action=" + ACTION, {})
        assert wrong_path.status == 404 and error_of(wrong_path) == "InvalidApi.NotFound"
        put = c.send("PUT", "/", {}, b"x")
        assert put.status == 404 and error_of(put) == "InvalidApi.NotFound"
        bad_query = c.send("GET", "/?Action=%FF%FE", {})
        assert bad_query.status == 400 and error_of(bad_query) == "InvalidParameter"
    status, body = raw_exchange(mock_server, b"GARBAGE\r\n\r\n")
    assert status == 400 and body["Code"] == "InvalidParameter"
    status, body = raw_exchange(mock_server, b"GET / HTTP/1.1\r\nX-Long: " + b"y" * 70_000 + b"\r\n\r\n")
    assert status == 431 and body["Code"] == "InvalidParameter"  # header fields too large: not the URI
    many = b"".join(b"X-%d: 1\r\n" % i for i in range(150))
    status, body = raw_exchange(mock_server, b"GET / HTTP/1.1\r\n" + many + b"\r\n")
    assert status == 431 and body["Code"] == "InvalidParameter"
    status, body = raw_exchange(mock_server, b"POST / HTTP/1.1\r\nContent-Length: -4\r\n\r\n")
    assert status == 400 and body["Code"] == "InvalidParameter"
    status, body = raw_exchange(mock_server, b"POST / HTTP/1.1\r\nContent-Length: 99999999\r\n\r\nabc")
    assert status == 413 and body["Code"] == "InvalidParameter"
    status, body = raw_exchange(mock_server, b"GET /" + b"q" * (1 << 20) + b" HTTP/1.1\r\n\r\n")
    assert status == 414
    status, body = raw_exchange(
        mock_server, b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n")
    assert status == 400 and body["Code"] == "MissingParameter"
    # still serving, and nothing reached the console
    assert call(mock_server).status == 200
    out, err = capfd.readouterr()
    assert "Traceback" not in out + err


def test_an_internal_error_is_an_error_body_not_a_traceback(mock_server: Emulator,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    store = mock_server.engine.store()

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("bug")

    monkeypatch.setattr(store, "page", boom)
    logging.getLogger("generator.emulator").disabled = True
    try:
        answer = call(mock_server)
    finally:
        logging.getLogger("generator.emulator").disabled = False
    assert answer.status == 500 and error_of(answer) == "ServiceUnavailable"
    assert b"bug" not in answer.body and b"Traceback" not in answer.body
    assert mock_server.records[-1]["internal_error"] == "RuntimeError"


# ------------------------------------------------------------------ the structured log
def test_one_log_line_a_request_and_never_a_secret(mock_server: Emulator,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    mock_server.add_access_key("STS.logged", "sts-very-secret", token="sts-token-value", expires_in_s=60)
    with caplog.at_level(logging.INFO, logger="generator.emulator"):
        call(mock_server, {"PageSize": 2}, "v2", key_id="STS.logged", secret="sts-very-secret",
             token="sts-token-value")
        call(mock_server, {"PageSize": 2}, "v3", key_id="STS.logged", secret="sts-very-secret",
             token="sts-token-value")
        call(mock_server, signing="v2", secret="wrong-secret")
    lines = [r.getMessage() for r in caplog.records if r.name == "generator.emulator"]
    assert len(lines) == 3
    records = [json.loads(line) for line in lines]
    assert records == mock_server.records
    first = records[0]
    assert first["action"] == ACTION and first["verdict"] == "ok" and first["status"] == 200
    assert first["params"]["DtsJobId"] == "job-1" and first["params"]["PageSize"] == "2"
    assert first["latency_ms"] >= 0 and first["access_key_id"] == "STS.logged" and first["signature"] == "v2"
    assert records[1]["signature"] == "v3"
    assert records[2]["verdict"] == "SignatureDoesNotMatch" and records[2]["status"] == 400
    text = "\n".join(lines)
    for secret in ("sts-very-secret", "sts-token-value", "wrong-secret", mock_server.access_key_secret):
        assert secret not in text
    assert "Signature\"" not in text and "SecurityToken" not in text


# ------------------------------------------------------------------ the plugin and the spec side
@pytest.mark.mock_server(seed=5, faults="throttle:first=1")
def test_marker_options_reach_the_fixture(mock_server: Emulator) -> None:
    assert mock_server.seed == 5
    assert call(mock_server).status == 400
    assert call(mock_server).status == 200


def test_factory_starts_independent_servers(mock_server_factory: Any) -> None:
    a = mock_server_factory(seed=1)
    b = mock_server_factory(keys={"AK2": "SK2"})
    assert a.port != b.port
    assert call(b, key_id="AK2", secret="SK2").status == 200
    from generator.emulator import DEFAULT_KEY_ID, DEFAULT_KEY_SECRET

    assert call(a, key_id=DEFAULT_KEY_ID, secret=DEFAULT_KEY_SECRET).status == 200
    assert call(b, key_id=DEFAULT_KEY_ID, secret=DEFAULT_KEY_SECRET).status == 404  # not accepted there


def test_non_loopback_hosts_are_refused() -> None:
    from generator.emulator import EmulatorConfigError

    for host in ("0.0.0.0", "8.8.8.8", "example.com"):
        with pytest.raises(EmulatorConfigError):
            Emulator(host=host)


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = Emulator().start()
    c = caller(server)
    assert c.request(BASE).status == 200
    server.stop()
    with pytest.raises((ConnectionError, http.client.HTTPException, OSError)):
        c.request(BASE)
    c.close()
    server.stop()  # twice is fine


def test_x_emulator_rules_are_checked_with_their_path(tmp_path: Path) -> None:
    from generator.errors import SpecError
    from generator.pipeline import compile_spec

    spec = ROOT / "spec" / "dts-precheck.yaml"
    data = yaml.safe_load(spec.read_text(encoding="utf-8"))
    emulator = data["paths"]["/"]["post"]["x-emulator"]
    emulator["filters"].append({"param": "NoSuchParam", "field": "NoSuchField"})
    emulator["scenarios"]["precheck-fails"]["failures"] = 99
    data["x-service"]["emulator"]["errors"]["throttled"]["code"] = "NotInTheTable"
    broken = tmp_path / "broken.yaml"
    broken.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(SpecError) as info:
        compile_spec(broken)
    text = str(info.value)
    assert "NoSuchParam" in text and "NoSuchField" in text and "more failures than items" in text
    assert "NotInTheTable" in text and "x-emulator" in text


def test_the_emulator_reads_its_names_from_the_spec() -> None:
    api = load_api()
    op = api.operations[ACTION]
    assert op.cfg.job_param == "DtsJobId" and op.pagination.items_field == "JobProgress"
    assert api.gateway_error("nonce_used").code == "SignatureNonceUsed"
    assert set(op.cfg.scenarios) == {"precheck-passes", "precheck-fails", "precheck-aborts"}


def test_environment_has_no_effect_on_signing(mock_server: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALIBABA_CLOUD_ACCESS_KEY_SECRET", "from-the-environment")
    assert call(mock_server).status == 200
    assert os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"] not in json.dumps(mock_server.records)


# ------------------------------------------------------------------ pagination, as a property
_STORES: dict[int, Any] = {}


def _store_with(total: int) -> tuple[Any, Any]:
    from generator.emulator.data import JobStore

    if total not in _STORES:
        api = load_api()
        store = JobStore(api, api.operations[ACTION], seed=0)
        _STORES[total] = (store, store.add("j", items=total))
    return _STORES[total]  # type: ignore[no-any-return]


@given(total=st.integers(0, 150), page=st.integers(1, 2**31 - 1) | st.integers(1, 40),
       size=st.integers(1, 400) | st.integers(1, 12), clamp=st.booleans())
def test_any_page_and_size_property(total: int, page: int, size: int, clamp: bool) -> None:
    store, job = _store_with(total)
    answer = store.page(job, {"PageNo": page, "PageSize": size}, {}, "rid", clamp=clamp)
    last = max(1, -(-total // size))
    shown = min(page, last) if clamp and total else page
    assert [i for i, _ in answer.refs] == list(range(total))[(shown - 1) * size: shown * size]
    assert answer.top["PageNumber"] == shown and answer.top["PageRecordCount"] == size
    assert answer.top["TotalRecordCount"] == total
    doc = json.loads(answer.to_json())
    assert [i["Id"] for i in doc["JobProgress"]] == [str(i + 1) for i, _ in answer.refs]
