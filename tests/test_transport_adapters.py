"""The Transport adapters docs/client.md shows for requests and httpx, taken from the page as a reader copies
them, driving the generated client against the scripted server (which checks every signature): signed
calls in both versions, gzip, no redirect followed, timeouts and refused connections as the package's
errors, the body bound. requests and httpx come with the dev extra; the package itself needs neither."""

from __future__ import annotations

import json
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dts_precheck import errors
from dts_precheck.client import DtsClient, RetryPolicy, Transport
from scripted_server import Reply, scripted

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = json.loads((ROOT / "spec" / "examples" / "doc-sample.json").read_text(encoding="utf-8"))


def adapters() -> dict[str, Any]:
    """The page's adapter block, up to its example loop, run as a module of its own."""
    page = (ROOT / "docs" / "client.md").read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"^```python\n(.*?)^```", page, re.M | re.S) if "class RequestsTransport" in b)
    namespace: dict[str, Any] = {"__name__": "client_md_adapters"}
    exec(compile(block.partition("\nfor stack in")[0], "docs/client.md", "exec"), namespace)
    return namespace


ADAPTERS = adapters()


@pytest.fixture(params=["RequestsTransport", "HttpxTransport"])
def stack(request: pytest.FixtureRequest) -> Iterator[Any]:
    made = ADAPTERS[request.param](read_s=0.5)
    yield made
    made.close()


def client(url: str, stack: Any, **kw: Any) -> DtsClient:
    kw.setdefault("retry", RetryPolicy(max_attempts=2, base_delay_s=0.01))
    return DtsClient(endpoint=url, access_key_id="test-ak", access_key_secret="test-secret", transport=stack, **kw)


def test_the_adapters_are_transports(stack: Any) -> None:
    assert isinstance(stack, Transport)


@pytest.mark.parametrize("version", ["v3", "v2"])
def test_signed_calls_go_through_the_adapter(stack: Any, version: str) -> None:
    with scripted(lambda r: Reply(200, SAMPLE, gzip=True)) as server, \
            client(server.url, stack, signature_version=version) as c:
        for _ in range(3):
            assert c.describe_pre_check_status(dts_job_id="job 1/*", job_code="01").to_dict() == SAMPLE
    assert [r.signature_error for r in server.requests] == [None] * 3
    assert server.requests[0].params["DtsJobId"] == "job 1/*" and server.connections == 1


def test_a_redirect_is_not_followed(stack: Any) -> None:
    with scripted(lambda r: Reply(302, b"", {"Location": "http://elsewhere.test/"})) as server, \
            client(server.url, stack) as c, pytest.raises(errors.NonApiResponseError) as info:
        c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert info.value.location == "http://elsewhere.test/" and server.calls() == 1


def test_a_timeout_is_the_packages_and_is_retried(stack: Any) -> None:
    with scripted(lambda r: Reply(200, SAMPLE, delay_s=1.0)) as server, client(server.url, stack) as c, \
            pytest.raises(errors.RequestTimeoutError) as info:
        c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert server.calls() == 2 and "gave up after 2 attempts" in str(info.value)


def test_a_refused_connection_is_a_transport_error(stack: Any) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens there once closed
    with client(f"http://127.0.0.1:{port}", stack) as c, pytest.raises(errors.TransportError):
        c.describe_pre_check_status(dts_job_id="j", job_code="01")


def test_the_body_is_bounded(stack: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(ADAPTERS, "MAX_BODY", 1000)
    with scripted(lambda r: Reply(200, {"Pad": "x" * 5000}, gzip=True)) as server, client(server.url, stack) as c, \
            pytest.raises(errors.ResponseTooLargeError):
        c.describe_pre_check_status(dts_job_id="j", job_code="01")
    assert server.calls() == 1
