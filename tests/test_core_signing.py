"""Credentials, percent-encoding and request signing (V2 HMAC-SHA1, V3 ACS3-HMAC-SHA256) of the runtime,
and the emulator's verification of them.

The published vectors pin the algorithms to the service; the property tests compare the signer against an
independent canonicalisation written here with urllib.parse.quote, and check that sign -> verify
round-trips while any single change to a signed input breaks verification.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import random
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import generator.runtime
from generator.emulator import signatures
from generator.render import RUNTIME_MODULES
from generator.runtime import _credentials, _errors, _signing

# ---------------------------------------------------------------------------------------------------
# An independent reference implementation (urllib's quote, not the core's byte table)
# ---------------------------------------------------------------------------------------------------


def ref_encode(value: str) -> str:
    return quote(value, safe="~", encoding="utf-8")


def ref_canonical_query(params: dict[str, str]) -> str:
    items = sorted(params.items(), key=lambda kv: kv[0].encode("utf-8"))
    return "&".join(f"{ref_encode(k)}={ref_encode(v)}" for k, v in items)


def ref_sign_v2(method: str, params: dict[str, str], secret: str) -> str:
    query = ref_canonical_query({k: v for k, v in params.items() if k != "Signature"})
    to_sign = f"{method}&%2F&{ref_encode(query)}"
    digest = hmac.new(f"{secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def ref_canonical_request_v3(
    method: str, path: str, query: dict[str, str], headers: dict[str, str], payload_hash: str
) -> str:
    lowered = {k.lower(): v.strip() for k, v in headers.items()}
    names = sorted(lowered)
    lines = [
        method,
        path,
        ref_canonical_query(query),
        "".join(f"{n}:{lowered[n]}\n" for n in names),
        ";".join(names),
        payload_hash,
    ]
    return "\n".join(lines)


# Any Unicode text (Hypothesis leaves out lone surrogates, which have no UTF-8 form).
texts = st.text(max_size=20)
reserved = st.text(alphabet=" !*'();:@&=+$,/?#[]%~-_.\"<>\\^`{|}", max_size=10)
values = st.one_of(texts, reserved, st.just(""))
params_st = st.dictionaries(st.one_of(texts, reserved).filter(bool), values, max_size=8)
METHOD = st.sampled_from(["GET", "POST"])


# ---------------------------------------------------------------------------------------------------
# Published vectors
# ---------------------------------------------------------------------------------------------------

V2_EXAMPLE = {
    "AccessKeyId": "testid",
    "Action": "DescribeRegions",
    "Format": "XML",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
    "SignatureVersion": "1.0",
    "Timestamp": "2016-02-23T12:46:24Z",
    "Version": "2014-05-26",
}

V2_UTF8_EXAMPLE = {
    "AccessKeyId": "testId",
    "Action": "SendSms",
    "Version": "2017-05-25",
    "Format": "XML",
    "OutId": "123",
    "PhoneNumbers": "15300000001",
    "RegionId": "cn-hangzhou",
    "SignName": "阿里云短信测试专用",
    "SignatureMethod": "HMAC-SHA1",
    "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
    "SignatureVersion": "1.0",
    "TemplateCode": "SMS_71390007",
    "TemplateParam": '{"customer":"test"}',
    "Timestamp": "2017-07-12T02:42:19Z",
}

V3_QUERY = {"ImageId": "win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "RegionId": "cn-shanghai"}
V3_CREDS = _credentials.Credentials("YourAccessKeyId", "YourAccessKeySecret")
V3_SIGNED = "host;x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version"


def v3_example_headers() -> dict[str, str]:
    return _signing.sign_v3(
        "POST",
        "/",
        V3_QUERY,
        {"host": "ecs.cn-shanghai.aliyuncs.com"},
        b"",
        V3_CREDS,
        timestamp="2023-10-26T10:22:32Z",
        nonce="3156853299f313e23d1673dc12e1703d",
        action="RunInstances",
        version="2014-05-26",
    )


def test_v2_published_example() -> None:
    assert _signing.sign_v2("GET", V2_EXAMPLE, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v2_published_utf8_example() -> None:
    assert _signing.sign_v2("GET", V2_UTF8_EXAMPLE, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


def test_v2_build_query_reproduces_the_published_example() -> None:
    query = _signing.build_v2_query(
        "GET",
        "DescribeRegions",
        "2014-05-26",
        {},
        _credentials.Credentials("testid", "testsecret"),
        timestamp="2016-02-23T12:46:24Z",
        nonce="3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf",
        response_format="XML",
    )
    assert query == {**V2_EXAMPLE, "Signature": "OLeaidS1JvxuMvnyHOwuJ+uX5qY="}


def test_v2_signature_is_ignored_when_signing() -> None:
    signed = {**V2_EXAMPLE, "Signature": "anything"}
    assert _signing.sign_v2("GET", signed, "testsecret") == "OLeaidS1JvxuMvnyHOwuJ+uX5qY="


def test_v3_published_example() -> None:
    headers = v3_example_headers()
    assert headers["authorization"] == (
        "ACS3-HMAC-SHA256 Credential=YourAccessKeyId,"
        f"SignedHeaders={V3_SIGNED},"
        "Signature=06563a9e1b43f5dfe96b81484da74bceab24a1d853912eee15083a6f0f3283c0"
    )
    assert headers["x-acs-content-sha256"] == _signing.EMPTY_SHA256
    assert _signing.EMPTY_SHA256.startswith("e3b0c442") and _signing.EMPTY_SHA256.endswith("b855")
    unsigned = {k: v for k, v in headers.items() if k != "authorization"}
    canonical, signed = _signing.canonical_request_v3("POST", "/", V3_QUERY, unsigned, _signing.EMPTY_SHA256)
    assert signed == V3_SIGNED
    assert (
        hashlib.sha256(canonical.encode()).hexdigest()
        == "7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )
    assert _signing.string_to_sign_v3(canonical) == (
        "ACS3-HMAC-SHA256\n7ea06492da5221eba5297e897ce16e55f964061054b7695beedaac1145b1e259"
    )


def test_v3_published_example_verifies() -> None:
    lookup = {"YourAccessKeyId": "YourAccessKeySecret"}.get
    assert signatures.verify_v3("POST", "/", V3_QUERY, v3_example_headers(), b"", lookup) == "YourAccessKeyId"


# ---------------------------------------------------------------------------------------------------
# Percent-encoding and canonicalisation against the reference
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "encoded"),
    [
        ("a b", "a%20b"),
        ("*", "%2A"),
        ("~", "~"),
        ("+", "%2B"),
        ("/", "%2F"),
        ("=&", "%3D%26"),
        ("-_.", "-_."),
        ("é", "%C3%A9"),
        ("😀", "%F0%9F%98%80"),
        ("", ""),
    ],
)
def test_percent_encode_cases(raw: str, encoded: str) -> None:
    assert _signing.percent_encode(raw) == encoded


@given(st.one_of(texts, reserved))
def test_percent_encode_matches_reference(value: str) -> None:
    assert _signing.percent_encode(value) == ref_encode(value)


@given(params_st)
def test_canonical_query_matches_reference(params: dict[str, str]) -> None:
    assert _signing.canonical_query(params) == ref_canonical_query(params)


@given(METHOD, params_st, texts, st.randoms(use_true_random=False))
def test_sign_v2_matches_reference_in_any_order(
    method: str, params: dict[str, str], secret: str, rnd: random.Random
) -> None:
    items = list(params.items())
    rnd.shuffle(items)
    shuffled = dict(items)
    assert _signing.sign_v2(method, shuffled, secret) == ref_sign_v2(method, params, secret)


@given(
    METHOD, params_st, st.dictionaries(st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,10}", fullmatch=True), texts)
)
def test_canonical_request_v3_matches_reference(
    method: str, query: dict[str, str], headers: dict[str, str]
) -> None:
    assume(len({k.lower() for k in headers}) == len(headers))
    assume(all("\n" not in v and "\r" not in v for v in headers.values()))
    canonical, signed = _signing.canonical_request_v3(method, "/", query, headers, _signing.EMPTY_SHA256)
    assert canonical == ref_canonical_request_v3(method, "/", query, headers, _signing.EMPTY_SHA256)
    assert signed == ";".join(sorted(k.lower() for k in headers))


@given(METHOD, params_st, st.binary(max_size=40))
def test_v3_signs_a_canonical_query_string_as_its_parameters(method: str, query: dict[str, str], body: bytes) -> None:
    # Clients pass the query string they send: the signature must be the one of the parameters.
    kw = {"timestamp": "2024-01-01T00:00:00Z", "nonce": "n-1", "action": "A", "version": "v"}
    as_params = _signing.sign_v3(method, "/", query, {"host": "h"}, body, CREDS, **kw)
    as_string = _signing.sign_v3(method, "/", _signing.canonical_query(query), {"host": "h"}, body, CREDS, **kw)
    assert as_string == as_params


# ---------------------------------------------------------------------------------------------------
# V2 round trips and tampering
# ---------------------------------------------------------------------------------------------------

SECRET = "s3cr3t-key"
CREDS = _credentials.Credentials("AK-id", SECRET)
LOOKUP = {"AK-id": SECRET, "AK-sts": "sts-secret"}.get
NOBODY: dict[str, str] = {}
NOBODY_LOOKUP = NOBODY.get
api_params = st.dictionaries(
    st.one_of(texts, reserved).filter(
        lambda k: (
            bool(k)
            and k
            not in {
                "Signature",
                "Action",
                "Version",
                "Format",
                "Timestamp",
                "SignatureNonce",
                "SignatureMethod",
                "SignatureVersion",
                "AccessKeyId",
                "SecurityToken",
            }
        )
    ),
    values,
    max_size=6,
)


def v2_query(
    params: dict[str, str], creds: _credentials.Credentials = CREDS, method: str = "POST"
) -> dict[str, str]:
    return _signing.build_v2_query(
        method, "SomeAction", "2020-01-01", params, creds, timestamp="2024-01-02T03:04:05Z", nonce="n-1"
    )


@given(METHOD, api_params)
def test_v2_sign_then_verify(method: str, params: dict[str, str]) -> None:
    query = v2_query(params, method=method)
    assert signatures.verify_v2(method, query, LOOKUP) == "AK-id"
    assert _signing.sign_v2(method, query, SECRET) == ref_sign_v2(method, query, SECRET)


@given(api_params, st.data())
def test_v2_any_changed_value_breaks_verification(params: dict[str, str], data: st.DataObject) -> None:
    query = v2_query(params)
    name = data.draw(st.sampled_from(sorted(k for k in query if k not in {"Signature", "AccessKeyId"})))
    new = data.draw(values.filter(lambda v: v != query[name]))
    tampered = {**query, name: new}
    with pytest.raises(signatures.SignatureError) as info:
        signatures.verify_v2("POST", tampered, LOOKUP)
    # Changing a checked field may fail its own check first; a changed value never verifies.
    assert info.value.reason in {"mismatch", "missing", "bad_format"}


@given(api_params, st.one_of(texts, reserved).filter(bool), values)
def test_v2_added_parameter_breaks_verification(params: dict[str, str], name: str, value: str) -> None:
    query = v2_query(params)
    assume(name not in query)
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v2("POST", {**query, name: value}, LOOKUP)


@given(api_params.filter(bool))
def test_v2_removed_parameter_breaks_verification(params: dict[str, str]) -> None:
    query = v2_query(params)
    del query[sorted(params)[0]]
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v2("POST", query, LOOKUP)


def test_v2_wrong_secret_method_and_unknown_key() -> None:
    query = v2_query({"DtsJobId": "j-1"})
    with pytest.raises(signatures.SignatureError) as info:
        signatures.verify_v2("POST", query, {"AK-id": "other"}.get)
    assert info.value.reason == "mismatch"
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v2("GET", query, LOOKUP)  # signed for POST
    with pytest.raises(signatures.SignatureError) as info:
        signatures.verify_v2("POST", query, NOBODY_LOOKUP)
    assert info.value.reason == "unknown_key"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"Signature": None}, "missing"),
        ({"AccessKeyId": None}, "missing"),
        ({"Timestamp": None}, "missing"),
        ({"SignatureNonce": None}, "missing"),
        ({"SignatureMethod": "HMAC-SHA256"}, "bad_format"),
        ({"SignatureVersion": "2.0"}, "bad_format"),
        ({"Timestamp": "yesterday"}, "bad_format"),
    ],
)
def test_v2_verify_reasons(change: dict[str, str | None], reason: str) -> None:
    query: dict[str, str] = v2_query({"A": "1"})
    for name, value in change.items():
        if value is None:
            del query[name]
        else:
            query[name] = value
    with pytest.raises(signatures.SignatureError) as info:
        signatures.verify_v2("POST", query, LOOKUP)
    assert info.value.reason == reason


@pytest.mark.parametrize("offset", [-3600, -901, 901, 3600])
def test_a_timestamp_too_far_from_now_either_way_is_stale(offset: int) -> None:
    # 2024-01-02T03:04:05Z = 1704164645; `offset` is how far the signer's clock was from the server's.
    query = v2_query({"A": "1"})
    headers = v3_sign({"A": "1"})
    assert headers["x-acs-date"] == "2024-01-02T03:04:05Z"
    now = lambda: 1704164645 - offset  # noqa: E731
    with pytest.raises(signatures.SignatureError, match="in the past" if offset < 0 else "in the future") as v2:
        signatures.verify_v2("POST", query, LOOKUP, max_skew_s=900, now=now)
    with pytest.raises(signatures.SignatureError) as v3:
        signatures.verify_v3("POST", "/", {"A": "1"}, headers, b"", LOOKUP, max_skew_s=900, now=now)
    assert v2.value.reason == v3.value.reason == "stale"


@pytest.mark.parametrize("offset", [-900, -60, 0, 60, 900])
def test_a_timestamp_within_the_skew_either_way_verifies(offset: int) -> None:
    query = v2_query({"A": "1"})
    headers = v3_sign({"A": "1"})
    now = lambda: 1704164645 - offset  # noqa: E731
    assert signatures.verify_v2("POST", query, LOOKUP, max_skew_s=900, now=now) == "AK-id"
    assert signatures.verify_v3("POST", "/", {"A": "1"}, headers, b"", LOOKUP, max_skew_s=900, now=now) == "AK-id"
    assert signatures.verify_v2("POST", query, LOOKUP, now=lambda: 0) == "AK-id"  # no skew asked: not checked


def test_v2_security_token_is_sent_and_signed() -> None:
    sts = _credentials.Credentials("AK-sts", "sts-secret", "token-123")
    query = v2_query({"A": "1"}, sts)
    assert query["SecurityToken"] == "token-123"
    assert signatures.verify_v2("POST", query, LOOKUP) == "AK-sts"
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v2("POST", {**query, "SecurityToken": "token-456"}, LOOKUP)


def test_v2_api_parameters_cannot_override_common_ones() -> None:
    with pytest.raises(ValueError, match="Timestamp"):
        v2_query({"Timestamp": "2000-01-01T00:00:00Z"})
    with pytest.raises(ValueError, match="Signature"):
        v2_query({"Signature": "x"})


# ---------------------------------------------------------------------------------------------------
# V3 round trips and tampering
# ---------------------------------------------------------------------------------------------------

header_values = st.text(
    alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1, max_size=12
)


def v3_sign(
    query: dict[str, str],
    body: bytes = b"",
    creds: _credentials.Credentials = CREDS,
    extra: dict[str, str] | None = None,
    method: str = "POST",
) -> dict[str, str]:
    return _signing.sign_v3(
        method,
        "/",
        query,
        {"host": "svc.example.com", "x-acs-extra": "1", **(extra or {})},
        body,
        creds,
        timestamp="2024-01-02T03:04:05Z",
        nonce="nonce-1",
        action="SomeAction",
        version="2020-01-01",
    )


@given(METHOD, params_st, st.binary(max_size=64))
def test_v3_sign_then_verify(method: str, query: dict[str, str], body: bytes) -> None:
    headers = v3_sign(query, body, method=method)
    assert signatures.verify_v3(method, "/", query, headers, body, LOOKUP) == "AK-id"
    # The transport sends headers in any case; verification does not care.
    upper = {k.title(): v for k, v in headers.items()}
    assert signatures.verify_v3(method, "/", query, upper, body, LOOKUP) == "AK-id"


@given(params_st.filter(bool), st.data())
def test_v3_any_changed_query_value_breaks_verification(query: dict[str, str], data: st.DataObject) -> None:
    headers = v3_sign(query)
    name = data.draw(st.sampled_from(sorted(query)))
    new = data.draw(values.filter(lambda v: v != query[name]))
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("POST", "/", {**query, name: new}, headers, b"", LOOKUP)


@given(
    st.sampled_from(
        ["host", "x-acs-action", "x-acs-version", "x-acs-signature-nonce", "x-acs-extra", "user-agent"]
    ),
    header_values,
)
def test_v3_any_changed_signed_header_breaks_verification(name: str, value: str) -> None:
    headers = v3_sign({"A": "1"}, extra={"user-agent": "core-test/1"})
    assume(headers[name] != value)
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("POST", "/", {"A": "1"}, {**headers, name: value}, b"", LOOKUP)


@given(st.binary(max_size=32), st.binary(max_size=32))
def test_v3_changed_body_breaks_verification(body: bytes, other: bytes) -> None:
    assume(body != other)
    headers = v3_sign({}, body)
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("POST", "/", {}, headers, other, LOOKUP)


def test_v3_wrong_secret_method_path_and_date() -> None:
    headers = v3_sign({"A": "1"})
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("POST", "/", {"A": "1"}, headers, b"", {"AK-id": "other"}.get)
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("GET", "/", {"A": "1"}, headers, b"", LOOKUP)
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("POST", "/x", {"A": "1"}, headers, b"", LOOKUP)
    changed = {**headers, "x-acs-date": "2024-01-02T03:04:06Z"}
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("POST", "/", {"A": "1"}, changed, b"", LOOKUP)
    with pytest.raises(signatures.SignatureError) as info:
        signatures.verify_v3("POST", "/", {"A": "1"}, headers, b"", NOBODY_LOOKUP)
    assert info.value.reason == "unknown_key"


def test_v3_security_token_is_signed() -> None:
    sts = _credentials.Credentials("AK-sts", "sts-secret", "token-123")
    headers = v3_sign({}, creds=sts)
    assert headers["x-acs-security-token"] == "token-123"
    assert "x-acs-security-token" in headers["authorization"]
    assert signatures.verify_v3("POST", "/", {}, headers, b"", LOOKUP) == "AK-sts"
    with pytest.raises(signatures.SignatureError, match="mismatch"):
        signatures.verify_v3("POST", "/", {}, {**headers, "x-acs-security-token": "t2"}, b"", LOOKUP)


def _replace_auth(headers: dict[str, str], value: str) -> dict[str, str]:
    return {**headers, "authorization": value}


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda h: {k: v for k, v in h.items() if k != "authorization"}, "missing"),
        (lambda h: {k: v for k, v in h.items() if k != "x-acs-date"}, "missing"),
        (lambda h: {k: v for k, v in h.items() if k != "x-acs-action"}, "missing"),
        (
            lambda h: _replace_auth(h, h["authorization"].replace("ACS3-HMAC-SHA256", "HMAC-SHA1")),
            "bad_format",
        ),
        (lambda h: _replace_auth(h, "ACS3-HMAC-SHA256 garbage"), "bad_format"),
        (lambda h: _replace_auth(h, h["authorization"].replace("Signature=", "Signature=zz")), "bad_format"),
        (lambda h: _replace_auth(h, h["authorization"].replace("host;", "")), "bad_format"),
        (lambda h: _replace_auth(h, h["authorization"].replace("host;", "Host;")), "bad_format"),
        (lambda h: {**h, "x-acs-unsigned": "1"}, "bad_format"),
        (lambda h: {**h, "x-acs-content-sha256": "0" * 64}, "mismatch"),
        (lambda h: {**h, "x-acs-date": "not a date"}, "bad_format"),
    ],
)
def test_v3_verify_reasons(mutate: object, reason: str) -> None:
    headers = mutate(v3_sign({"A": "1"}))  # type: ignore[operator]
    with pytest.raises(signatures.SignatureError) as info:
        signatures.verify_v3("POST", "/", {"A": "1"}, headers, b"", LOOKUP)
    assert info.value.reason == reason


def test_v3_repeated_header_is_refused() -> None:
    headers = v3_sign({"A": "1"})
    pairs = [*headers.items(), ("Host", "evil.example.com")]
    with pytest.raises(signatures.SignatureError) as info:
        signatures.verify_v3("POST", "/", {"A": "1"}, pairs, b"", LOOKUP)
    assert info.value.reason == "bad_format"
    assert signatures.verify_v3("POST", "/", {"A": "1"}, list(headers.items()), b"", LOOKUP) == "AK-id"


def test_v3_needs_host_and_sets_authorization_itself() -> None:
    with pytest.raises(ValueError, match="host"):
        _signing.sign_v3("POST", "/", {}, {}, b"", CREDS, timestamp="t", nonce="n")
    with pytest.raises(ValueError, match="authorization"):
        _signing.sign_v3(
            "POST", "/", {}, {"host": "h", "Authorization": "x"}, b"", CREDS, timestamp="t", nonce="n"
        )


def test_timestamp_and_nonce_helpers() -> None:
    assert _signing.utc_timestamp(0) == "1970-01-01T00:00:00Z"
    assert _signing.utc_timestamp(1704164645.9) == "2024-01-02T03:04:05Z"
    assert len(_signing.utc_timestamp()) == 20
    assert _signing.new_nonce() != _signing.new_nonce()


# ---------------------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------------------

ENV = {
    "access_key_id": "TEST_AK_ID",
    "access_key_secret": "TEST_AK_SECRET",
    "security_token": "TEST_AK_TOKEN",
}


def test_credentials_never_show_secret_or_token() -> None:
    creds = _credentials.Credentials("AKID123", "very-secret-value", "sts-token-value")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds]), repr({"c": creds})):
        assert "AKID123" in text
        assert "very-secret-value" not in text
        assert "sts-token-value" not in text


def test_credentials_must_be_complete() -> None:
    with pytest.raises(_errors.CredentialsError):
        _credentials.Credentials("", "secret")
    with pytest.raises(_errors.CredentialsError):
        _credentials.Credentials("id", "")


def test_resolve_explicit_wins() -> None:
    env = {"TEST_AK_ID": "env-id", "TEST_AK_SECRET": "env-secret"}
    creds = _credentials.resolve_credentials(
        "id", "secret", "tok", provider=lambda: CREDS, env_names=ENV, environ=env
    )
    assert creds == _credentials.Credentials("id", "secret", "tok")


def test_resolve_half_explicit_is_an_error() -> None:
    with pytest.raises(_errors.CredentialsError, match="both"):
        _credentials.resolve_credentials("id", None, env_names=ENV, environ={})
    with pytest.raises(_errors.CredentialsError):
        _credentials.resolve_credentials(None, None, "token-only", env_names=ENV, environ={})


def test_resolve_provider_before_environment() -> None:
    env = {"TEST_AK_ID": "env-id", "TEST_AK_SECRET": "env-secret"}
    assert _credentials.resolve_credentials(provider=lambda: CREDS, env_names=ENV, environ=env) is CREDS


def test_resolve_environment() -> None:
    env = {"TEST_AK_ID": "env-id", "TEST_AK_SECRET": "env-secret", "TEST_AK_TOKEN": "env-token"}
    assert _credentials.resolve_credentials(env_names=ENV, environ=env) == _credentials.Credentials(
        "env-id", "env-secret", "env-token"
    )
    no_token = {"TEST_AK_ID": "env-id", "TEST_AK_SECRET": "env-secret", "TEST_AK_TOKEN": ""}
    assert _credentials.resolve_credentials(env_names=ENV, environ=no_token).security_token is None


def test_resolve_real_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TEST_AK_ID", "real-id")
    monkeypatch.setenv("TEST_AK_SECRET", "real-secret")
    monkeypatch.delenv("TEST_AK_TOKEN", raising=False)
    assert _credentials.resolve_credentials(env_names=ENV) == _credentials.Credentials("real-id", "real-secret")


def test_resolve_nothing_names_the_variables_not_the_values() -> None:
    with pytest.raises(_errors.CredentialsError) as info:
        _credentials.resolve_credentials(env_names=ENV, environ={"TEST_AK_ID": "only-id-here"})
    assert "TEST_AK_ID" in str(info.value) and "TEST_AK_SECRET" in str(info.value)
    assert "only-id-here" not in str(info.value)


def test_provider_failures_become_credentials_errors() -> None:
    def broken() -> _credentials.Credentials:
        raise OSError("metadata service down")

    with pytest.raises(_errors.CredentialsError, match="metadata service down") as info:
        _credentials.resolve_credentials(provider=broken)
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(_errors.CredentialsError, match="not Credentials"):
        _credentials.resolve_credentials(provider=lambda: ("id", "secret"))  # type: ignore[arg-type,return-value]


def test_credential_source_calls_the_provider_again_on_refresh() -> None:
    calls = []

    def provider() -> _credentials.Credentials:
        calls.append(1)
        return _credentials.Credentials("id", "secret", f"token-{len(calls)}")

    source = _credentials.CredentialSource(provider=provider)
    assert calls == []  # lazy
    assert source.get().security_token == "token-1"
    assert source.get().security_token == "token-1"  # cached
    assert source.refresh().security_token == "token-2"
    assert source.get().security_token == "token-2"
    assert len(calls) == 2


def test_credential_source_rereads_the_environment() -> None:
    env = {"TEST_AK_ID": "id", "TEST_AK_SECRET": "s1"}
    source = _credentials.CredentialSource(env_names=ENV, environ=env)
    assert source.get().access_key_secret == "s1"
    env["TEST_AK_SECRET"] = "s2"
    assert source.get().access_key_secret == "s1"
    assert source.refresh().access_key_secret == "s2"
    with pytest.raises(_errors.CredentialsError):
        _credentials.CredentialSource(env_names=ENV, environ={}).get()


@pytest.mark.parametrize("module", sorted(RUNTIME_MODULES))
def test_runtime_is_generic_and_stdlib_only(module: str) -> None:
    # Copied into every generated package: no API names, nothing outside the stdlib.
    import ast
    import sys

    source = (Path(generator.runtime.__file__).parent / module).read_text(encoding="utf-8")
    for word in (
        "Dts",
        "DTS",
        "DescribePreCheckStatus",
        "PreCheck",
        "JobProgress",
        "ProgressInfo",
        "DtsJobId",
    ):
        assert word not in source, word
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots = {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots = {(node.module or "").split(".")[0]}
        else:
            continue
        assert roots <= sys.stdlib_module_names | {"__future__"}, roots
