"""Only the API's answers become models: what the client makes of everything else a server may send.

A proxy's or captive portal's page, a redirect, an empty or text body, XML with a foreign root: each is a
NonApiResponseError carrying what a user needs to see what happened, retried only when the status says the
service may answer next time (5xx, 429). Retries, waits and giving up are logged. Real HTTP over loopback
against the scripted server, which checks every signature.
"""

from __future__ import annotations

import gzip
import json
import logging
from typing import Any

import pytest
from conftest import doc_sample
from dts_precheck import _spec, errors
from dts_precheck.client import DtsClient, HttpTransport, RetryPolicy
from fakes import FakeClock
from scripted_server import Reply, Request, error, scripted

from generator.emulator.xml_writer import dict_to_xml

SAMPLE = doc_sample()
THREE = RetryPolicy(max_attempts=3, base_delay_s=0.01, max_delay_s=0.02)
PORTAL = b"<!DOCTYPE html><html><head><title>Sign in to the hotel Wi-Fi</title></head><body>...</body></html>"


def client(url: str, **kw: Any) -> DtsClient:
    kw.setdefault("retry", THREE)
    return DtsClient(endpoint=url, access_key_id="test-ak", access_key_secret="test-secret", **kw)


def call(c: DtsClient) -> Any:
    return c.describe_pre_check_status(dts_job_id="job-1", job_code="01")


def refused(reply: Reply, **kw: Any) -> tuple[errors.NonApiResponseError, int]:
    """The error the client raises for `reply`, and how many requests the server saw."""
    with scripted(lambda r: reply) as server, client(server.url, **kw) as c:
        with pytest.raises(errors.NonApiResponseError) as info:
            call(c)
    return info.value, server.calls()


@pytest.mark.parametrize(("status", "content_type", "body", "attempts"), [
    (200, "text/html; charset=utf-8", PORTAL, 1),  # a captive portal: never an empty success
    (401, "text/html", PORTAL, 1),
    (403, "text/plain", b"Forbidden", 1),
    (403, None, b"", 1),
    (404, "application/json", b"", 1),
    (200, "application/json", b"[1, 2]", 1),  # JSON, but not an object
    (200, "text/xml", PORTAL, 1),  # HTML served as XML
    (200, "application/xml", b"<?xml version='1.0'?><Feed><Entry/></Feed>", 1),  # another API's root
    (200, "application/json", b"<html>oops</html>", 1),
    (500, "text/plain", b"Internal Server Error", 3),
    (502, "text/html", b"<html><body><h1>502 Bad Gateway</h1></body></html>", 3),
    (503, None, b"", 3),
])
def test_what_is_not_an_api_answer_is_a_non_api_error(status: int, content_type: str | None, body: bytes,
                                                      attempts: int) -> None:
    headers = {"Content-Type": content_type} if content_type else {}
    exc, calls = refused(Reply(status, body, headers))
    assert (exc.http_status, exc.content_type, exc.location) == (status, content_type, None)
    assert isinstance(exc, errors.ClientError) and not isinstance(exc, errors.DtsApiError)
    assert calls == attempts  # non-API 4xx (and 2xx) are final; 5xx may be the gateway's bad moment
    text = str(exc)
    assert f"HTTP {status}" in text and (content_type or "no content type") in text
    assert f"after {attempts} attempt" in text and ("gave up" in text) == (attempts > 1)
    assert exc.excerpt == (repr(body.decode()) if body else "")


def test_a_redirect_is_never_followed_and_says_where_it_pointed() -> None:
    portal = "https://login.example.net/portal?from=dts"
    exc, calls = refused(Reply(302, PORTAL, {"Location": portal, "Content-Type": "text/html"}))
    assert calls == 1 and exc.http_status == 302 and exc.location == portal
    assert portal in str(exc) and "not followed" in str(exc)


def test_even_a_json_redirect_is_not_read_as_an_answer() -> None:
    exc, _ = refused(Reply(301, SAMPLE, {"Location": "http://elsewhere.test/", "Content-Type": "application/json"}))
    assert exc.location == "http://elsewhere.test/"


def test_the_body_excerpt_is_escaped_and_bounded() -> None:
    body = b"\x1b[31mred\r\nInjected: header\x00" + "\u202e".encode() + b"\xff\xfe" + b"x" * 10_000
    exc, _ = refused(Reply(403, body, {"Content-Type": "text/plain"}))
    text = str(exc)
    assert len(text) < 600 and f"({len(body)} bytes in all)" in text
    assert not any(ch in text for ch in "\x1b\r\n\x00\u202e")  # nothing that moves a terminal or a log line
    assert "\\x1b[31mred\\r\\nInjected" in exc.excerpt and "\\xff" in exc.excerpt


def test_a_hostile_content_type_and_location_are_escaped() -> None:
    # Header bytes arrive as latin-1: \x9b is the one-byte form of a terminal's control sequence introducer.
    exc, _ = refused(Reply(307, b"", {"Content-Type": "text/html\x7f;\x9b", "Location": "http://x.test/\x1b[2J"}))
    assert exc.location == "http://x.test/\x1b[2J"  # the attribute keeps the value, the message escapes it
    assert not any(ch in str(exc) for ch in "\x1b\x7f\x9b")


def test_throttling_by_a_gateway_page_is_retried_honouring_retry_after() -> None:
    clock = FakeClock()
    policy = RetryPolicy(max_attempts=3, retry_after_header="x-acs-retry-after")
    queue = [Reply(429, b"Too Many Requests", {"Content-Type": "text/plain", "x-acs-retry-after": "700"})]

    def behave(req: Request) -> Reply:
        return queue.pop() if queue else Reply(200, SAMPLE)

    with scripted(behave) as server, client(server.url, retry=policy, clock=clock, sleep=clock.sleep) as c:
        assert call(c).state == "Finished"
    assert server.calls() == 2 and clock.sleeps == [0.7]


def test_api_errors_and_answers_in_xml_are_still_read() -> None:
    failure = {"RequestId": "R", "Code": "InvalidJobId", "Message": "gone"}
    error_xml = dict_to_xml(_spec.ERROR_ROOT, failure, _spec.ERROR_SHAPE)
    with scripted(lambda r: Reply(404, error_xml, {"Content-Type": "text/xml"})) as server, \
            client(server.url, signature_version="v2", response_format="XML") as c:
        with pytest.raises(errors.InvalidJobIdError):
            call(c)
    answer = dict_to_xml(_spec.RESPONSE_ROOT, SAMPLE, _spec.RESPONSE_SHAPE)
    with scripted(lambda r: Reply(200, answer, {"Content-Type": "application/xml;charset=utf-8"})) as server, \
            client(server.url, signature_version="v2", response_format="XML") as c:
        assert call(c).to_dict() == SAMPLE


def test_a_byte_order_mark_before_an_answer_is_allowed() -> None:
    body = b"\xef\xbb\xbf" + json.dumps(SAMPLE).encode()
    with scripted(lambda r: Reply(200, body, {"Content-Type": "application/json"})) as server, client(server.url) as c:
        assert call(c).to_dict() == SAMPLE
    answer = b"\xef\xbb\xbf" + dict_to_xml(_spec.RESPONSE_ROOT, SAMPLE, _spec.RESPONSE_SHAPE)
    with scripted(lambda r: Reply(200, answer, {"Content-Type": "text/xml"})) as server, \
            client(server.url, signature_version="v2", response_format="XML") as c:
        assert call(c).to_dict() == SAMPLE


def test_a_truncated_api_answer_is_a_parse_error_and_retried() -> None:
    raw = json.dumps(SAMPLE).encode()[:200]
    with scripted(lambda r: Reply(200, raw, {"Content-Type": "application/json"})) as server, \
            client(server.url) as c:
        with pytest.raises(errors.ResponseParseError) as info:
            call(c)
    assert server.calls() == 3 and info.value.body == raw and "gave up after 3 attempts" in str(info.value)


def test_a_gzip_bomb_is_refused_once_and_not_fetched_again() -> None:
    bomb = gzip.compress(b"{" + b" " * (4 << 20) + b"}")  # 4 MiB of JSON in 4 KiB
    with scripted(lambda r: Reply(200, bomb, {"Content-Type": "application/json", "Content-Encoding": "gzip"})) \
            as server, HttpTransport(max_response_bytes=1 << 20, proxies={}) as transport, \
            client(server.url, transport=transport) as c:
        with pytest.raises(errors.ResponseTooLargeError, match="exceeds") as info:
            call(c)
    assert server.calls() == 1 and isinstance(info.value, errors.TransportError)


def test_retries_waits_and_giving_up_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="dts_precheck")
    with scripted(lambda r: error("ServiceUnavailable", 503)) as server, client(server.url) as c:
        with pytest.raises(errors.ServiceUnavailableError) as info:
            call(c)
    assert server.calls() == 3 and "gave up after 3 attempts" in str(info.value)
    records = [r for r in caplog.records if r.name == "dts_precheck"]
    retries = [r for r in records if "retrying in" in r.getMessage()]
    assert len(retries) == 2 and all(r.levelno == logging.DEBUG for r in retries)
    assert all("attempt" in r.getMessage() and "ServiceUnavailable" in r.getMessage() for r in retries)
    final = [r for r in records if "giving up" in r.getMessage()]
    assert len(final) == 1 and final[0].levelno == logging.WARNING and "3 attempts" in final[0].getMessage()


def test_transport_failures_are_logged_as_attempts(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="dts_precheck")
    queue = [Reply(drop=True)]
    with scripted(lambda r: queue.pop() if queue else Reply(200, SAMPLE)) as server, client(server.url) as c:
        assert call(c).state == "Finished"
    assert server.calls() == 2
    failed = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert len(failed) == 1 and "TransportError" in failed[0]


def test_a_final_answer_is_logged_at_info_without_retrying(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="dts_precheck")
    with scripted(lambda r: error("InvalidJobId", 404)) as server, client(server.url) as c:
        with pytest.raises(errors.InvalidJobIdError) as info:
            call(c)
    assert server.calls() == 1 and str(info.value).endswith("(after 1 attempt)")  # a final answer: not given up
    final = [r for r in caplog.records if "giving up" in r.getMessage()]
    assert [r.levelno for r in final] == [logging.INFO]
