"""Every argument is checked before anything is sent: a wrong one is the package's RequestValidationError
(a ValueError) naming it and saying what is allowed; no raw ValueError, TypeError or UnicodeEncodeError
escapes, and the server never sees a request. Real HTTP over loopback against the scripted server."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from dts_precheck import errors
from dts_precheck.client import DtsClient, HttpTransport, RetryPolicy
from hypothesis import given
from hypothesis import strategies as st
from scripted_server import Reply, Request, ScriptedServer, scripted

SAMPLE = {"Success": True, "State": "Finished", "ErrorItem": 0, "JobProgress": [], "TotalRecordCount": 0}


def ok(req: Request) -> Reply:
    return Reply(200, SAMPLE)


@pytest.fixture(scope="module")
def server() -> Iterator[ScriptedServer]:
    with scripted(ok) as running:
        yield running


def make(url: str, **kw: Any) -> DtsClient:
    kw.setdefault("access_key_id", "test-ak")
    kw.setdefault("access_key_secret", "test-secret")
    kw.setdefault("endpoint", url)
    return DtsClient(**kw)


def refused(server: ScriptedServer, action: Callable[[], object], parameter: str, allowed: str) -> None:
    before = server.calls()
    with pytest.raises(errors.RequestValidationError) as info:
        action()
    assert isinstance(info.value, ValueError) and isinstance(info.value, errors.ClientError)
    assert parameter in info.value.parameter, info.value
    assert allowed in str(info.value), str(info.value)
    assert server.calls() == before


CLIENT_ARGUMENTS = [
    ({"endpoint": "http://[::1"}, "endpoint", "not a URL"),
    ({"endpoint": "http://[::zz]:80"}, "endpoint", "IPv6"),
    ({"endpoint": "http://exa mple.com"}, "endpoint", "are not allowed"),
    ({"endpoint": "http://example.com\n.evil"}, "endpoint", "are not allowed"),
    ({"endpoint": "http://bad_host!.com"}, "endpoint", "host name"),
    ({"endpoint": "http://\ud800.com"}, "endpoint", "lone surrogates"),
    ({"endpoint": "http://exa%mple.com"}, "endpoint", "host name"),
    ({"endpoint": 8080}, "endpoint", "must be a string"),
    ({"endpoint": None, "region_id": 5}, "region_id", "must be a string"),
    ({"endpoint": None, "region_id": "cn-hangzhou/x"}, "region_id", "valid region id"),
    ({"endpoint": None, "region_id": "cn-hangzhou", "network": ["vpc"]}, "network", "must be a string"),
    ({"signature_version": "v9"}, "signature_version", "'v3'"),
    ({"signature_version": 3}, "signature_version", "must be one of"),
    ({"response_format": "YAML"}, "response_format", "'json', 'xml'"),
    ({"response_format": "XML"}, "response_format", "V2 signatures only"),
    ({"timeout": 0}, "timeout", "> 0, finite"),
    ({"timeout": -1}, "timeout", "> 0, finite"),
    ({"timeout": math.nan}, "timeout", "> 0, finite"),
    ({"timeout": math.inf}, "timeout", "> 0, finite"),
    ({"timeout": True}, "timeout", "> 0, finite"),
    ({"timeout": "3"}, "timeout", "> 0, finite"),
    ({"timeout": (1.0,)}, "timeout", "(connect, read)"),
    ({"timeout": (1.0, 0)}, "timeout", "> 0, finite"),
    ({"timeout": 10**5000}, "timeout", "bits"),
    ({"retry": 0}, "retry", "at least 1"),
    ({"retry": True}, "retry", "RetryPolicy or a number"),
    ({"retry": "3"}, "retry", "RetryPolicy or a number"),
    ({"user_agent": "tool/1.0\r\nX-Injected: 1"}, "user_agent", "printable ASCII"),
    ({"user_agent": "werkzeug ü"}, "user_agent", "printable ASCII"),
    ({"user_agent": 5}, "user_agent", "printable ASCII"),
    ({"access_key_id": "two words"}, "access_key_id", "visible ASCII"),
    ({"access_key_id": 12345}, "access_key_id", "must be a string"),
    ({"access_key_secret": "s\ud800"}, "access_key_secret", "UTF-8"),
    ({"security_token": "tok\nen"}, "security_token", "visible ASCII"),
    ({"credentials_provider": "vault"}, "credentials_provider", "callable"),
    ({"clock": 0.0}, "clock", "callable"),
    ({"sleep": "zzz"}, "sleep", "callable"),
    ({"rng": 42}, "rng", "random.Random"),
    ({"transport": object()}, "transport", "Transport protocol"),
    ({"validate_requests": "yes"}, "validate_requests", "True or False"),
]


@pytest.mark.parametrize(("kwargs", "parameter", "allowed"), CLIENT_ARGUMENTS,
                         ids=[f"{i}-{parameter}" for i, (_, parameter, _) in enumerate(CLIENT_ARGUMENTS)])
def test_client_arguments(server: ScriptedServer, kwargs: dict[str, Any], parameter: str, allowed: str) -> None:
    refused(server, lambda: make(server.url, **kwargs), parameter, allowed)


def test_an_international_host_name_is_sent_in_its_ascii_form() -> None:
    client = make("", endpoint="https://b\u00fccher.example\u3002com:8443/api")
    assert client.endpoint.host_header == "xn--bcher-kva.example.com:8443"


def test_a_timeout_with_a_transport_of_ones_own_is_refused(server: ScriptedServer) -> None:
    with HttpTransport(proxies={}) as transport:
        refused(server, lambda: make(server.url, transport=transport, timeout=3), "timeout", "transport you pass")


@pytest.mark.parametrize(("kwargs", "parameter", "allowed"), [
    ({"max_attempts": 0}, "max_attempts", "at least 1"),
    ({"max_attempts": 2.5}, "max_attempts", "integer"),
    ({"base_delay_s": -1}, "base_delay_s", ">= 0"),
    ({"base_delay_s": True}, "base_delay_s", ">= 0"),
    ({"max_delay_s": math.nan}, "max_delay_s", ">= 0"),
    ({"deadline_s": 0}, "deadline_s", "> 0"),
    ({"deadline_s": 10**5000}, "deadline_s", "bits"),
    ({"retry_after_header": "retry: after"}, "retry_after_header", "header name"),
])
def test_retry_policy_fields(server: ScriptedServer, kwargs: dict[str, Any], parameter: str, allowed: str) -> None:
    refused(server, lambda: RetryPolicy(**kwargs), parameter, allowed)


@pytest.mark.parametrize(("kwargs", "parameter", "allowed"), [
    ({"connect_timeout_s": 0}, "connect_timeout_s", "> 0, finite"),
    ({"read_timeout_s": math.inf}, "read_timeout_s", "> 0, finite"),
    ({"max_idle_per_host": -1}, "max_idle_per_host", "at least 0"),
    ({"max_response_bytes": 0}, "max_response_bytes", "at least 1"),
    ({"ssl_context": "verify"}, "ssl_context", "ssl.SSLContext"),
])
def test_transport_arguments(server: ScriptedServer, kwargs: dict[str, Any], parameter: str, allowed: str) -> None:
    refused(server, lambda: HttpTransport(**kwargs), parameter, allowed)


CALLS: list[tuple[dict[str, Any], str, str]] = [
    ({"dts_job_id": "\ud800"}, "DtsJobId", "lone surrogate"),
    ({"dts_job_id": "job-\udfff-1"}, "DtsJobId", "lone surrogate"),
    ({"dts_job_id": ""}, "DtsJobId", "must not be empty"),
    ({"dts_job_id": None}, "DtsJobId", "is required"),
    ({"dts_job_id": 5}, "DtsJobId", "must be a string"),
    ({"job_code": "09"}, "JobCode", "'01'"),
    ({"job_code": 1}, "JobCode", "is not one of"),
    ({"page_size": 10**5000}, "PageSize", "bits"),
    ({"page_size": 2**31}, "PageSize", "must be from -2147483648 to 2147483647"),  # format: int32
    ({"page_size": 2.0}, "PageSize", "must be an integer"),
    ({"page_no": 0}, "PageNo", "at least 1"),
    ({"page_no": True}, "PageNo", "must be an integer"),
    ({"zero_etl_job": "true"}, "ZeroEtlJob", "True or False"),
    ({"struct_type": 7}, "StructType", "is not one of"),
    ({"name": "\ud83d"}, "Name", "lone surrogate"),
]


@pytest.mark.parametrize(("kwargs", "parameter", "allowed"), CALLS, ids=[f"{i}-{parameter}" for i, (_, parameter, _) in enumerate(CALLS)])
def test_request_parameters(server: ScriptedServer, kwargs: dict[str, Any], parameter: str, allowed: str) -> None:
    with make(server.url) as c:
        refused(server, lambda: c.describe_pre_check_status(**{"dts_job_id": "j", "job_code": "01", **kwargs}),
                parameter, allowed)


def test_unchecked_requests_skip_only_the_specs_value_sets_and_bounds(server: ScriptedServer) -> None:
    with make(server.url, validate_requests=False) as c:
        c.describe_pre_check_status(dts_job_id="j", job_code="09", page_no=0)  # what a newer service may take
        assert (server.requests[-1].params["JobCode"], server.requests[-1].params["PageNo"]) == ("09", "0")
        for kwargs, parameter, allowed in CALLS:
            if allowed not in ("'01'", "at least 1", "must be from -2147483648 to 2147483647"):
                refused(server, lambda kwargs=kwargs: c.describe_pre_check_status(
                    **{"dts_job_id": "j", "job_code": "01", **kwargs}), parameter, allowed)
        c.describe_pre_check_status(dts_job_id="j", job_code="01", page_size=2**31)  # past the spec's int32
        assert server.requests[-1].params["PageSize"] == str(2**31)
        # Whatever the spec says, the service reads at most a 64-bit integer.
        refused(server, lambda: c.describe_pre_check_status(dts_job_id="j", job_code="01", page_size=2**63),
                "PageSize", "64 bits")


@pytest.mark.parametrize(("kwargs", "parameter", "allowed"), [
    ({"page_size": 0}, "page_size", "at least 1"),
    ({"page_size": 10**5000}, "PageSize", "bits"),
    ({"page_size": "20"}, "PageSize", "must be an integer"),
    ({"max_pages": 0}, "max_pages", "at least 1 or None"),
    ({"max_pages": True}, "max_pages", "at least 1 or None"),
    ({"max_pages": 1.5}, "max_pages", "at least 1 or None"),
    ({"dts_job_id": "\ud800"}, "DtsJobId", "lone surrogate"),
    ({"job_code": "99"}, "JobCode", "is not one of"),
])
def test_paginator_arguments_are_checked_when_it_is_made(server: ScriptedServer, kwargs: dict[str, Any],
                                                         parameter: str, allowed: str) -> None:
    with make(server.url) as c:
        refused(server, lambda: c.paginate_describe_pre_check_status(
            **{"dts_job_id": "j", "job_code": "01", **kwargs}), parameter, allowed)


@pytest.mark.parametrize(("kwargs", "parameter", "allowed"), [
    ({"timeout": None}, "timeout", "a number of seconds"),
    ({"timeout": 0}, "timeout", "a number of seconds"),
    ({"timeout": -1}, "timeout", "a number of seconds"),
    ({"timeout": math.nan}, "timeout", "a number of seconds"),
    ({"timeout": "600"}, "timeout", "a number of seconds"),
    ({"poll_interval": 0}, "poll_interval", "finite"),
    ({"poll_interval": math.inf}, "poll_interval", "finite"),
    ({"on_progress": "print"}, "on_progress", "callable"),
])
def test_waiter_arguments(server: ScriptedServer, kwargs: dict[str, Any], parameter: str, allowed: str) -> None:
    with make(server.url) as c:
        refused(server, lambda: c.wait_for_pre_check("job-1", **kwargs), parameter, allowed)


def test_a_waiter_refuses_an_empty_job_id(server: ScriptedServer) -> None:
    with make(server.url) as c:
        refused(server, lambda: c.wait_for_pre_check(""), "DtsJobId", "must not be empty")


def test_a_waiter_without_a_time_limit_is_allowed(server: ScriptedServer) -> None:
    with make(server.url) as c:
        assert c.wait_for_pre_check("job-1", timeout=math.inf).state == "Finished"


@pytest.fixture(scope="module")
def shared(server: ScriptedServer) -> Iterator[DtsClient]:
    with make(server.url, rng=random.Random(0)) as c:
        yield c


@given(text=st.text(max_size=30))
def test_any_text_is_sent_exactly_or_refused_before_sending(server: ScriptedServer, shared: DtsClient,
                                                            text: str) -> None:
    """A property over every string, lone surrogates included: the server receives exactly the text,
    or the client refuses it (RequestValidationError) and sends nothing. Nothing else happens."""
    before = server.calls()
    try:
        shared.describe_pre_check_status(dts_job_id=text, job_code="01")
    except errors.RequestValidationError as exc:
        assert exc.parameter.startswith("DtsJobId") and server.calls() == before
        assert text == "" or any(0xD800 <= ord(ch) <= 0xDFFF for ch in text)
    else:
        assert server.calls() == before + 1 and server.requests[-1].params["DtsJobId"] == text
