"""The generic RPC client the generated one extends: sign, send, retry, turn bodies into models or errors.

Copied verbatim into every generated package (standard library only). The generated client passes a
ServiceConfig built from the spec and adds one typed method per operation.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from ._base import OpenStrEnum, RequestValidationError, ResponseParseError, TransportError
from ._core import (
    CredentialSource,
    CredentialsProvider,
    RetryDecision,
    RetryPolicy,
    Shape,
    XmlError,
    build_v2_query,
    call_with_retries,
    canonical_query,
    new_nonce,
    resolve_endpoint,
    sign_v3,
    utc_timestamp,
    xml_to_dict,
)

if TYPE_CHECKING:
    import logging
    import random

    from ._http import HttpTransport, Response

T = TypeVar("T")


@dataclass(frozen=True)
class ServiceConfig:
    """What the spec says about the service, as the generated client hands it over."""

    package: str
    version: str
    product: str
    api_version: str
    regions: Mapping[str, str]
    fallback: str
    network_fallback: str | None
    signing_default: str
    signing_supported: tuple[str, ...]
    credentials_env: Mapping[str, str]
    timeouts: Mapping[str, float]
    retry: Mapping[str, Any]
    success_field: str | None
    # code -> (retryable, refresh credentials then retry once, HTTP statuses)
    error_codes: Mapping[str, tuple[bool, bool, tuple[int, ...]]]
    error_from_body: Callable[[dict[str, Any], int], Exception]
    error_root: str
    error_shape: Shape
    logger_name: str = "spec_client"


def default_retry(config: ServiceConfig) -> RetryPolicy:
    r = config.retry
    return RetryPolicy(
        max_attempts=int(r.get("max_attempts", 1)),
        base_delay_s=float(r.get("base_delay_ms", 200)) / 1000,
        max_delay_s=float(r.get("max_delay_ms", 20000)) / 1000,
        deadline_s=float(r["deadline_s"]) if r.get("deadline_s") else None,
        retry_after_header=r.get("retry_after_header"),
    )


class BaseClient:
    """Connection reuse, signing (V3 by default, V2 on request), retries with full jitter and a deadline."""

    def __init__(
        self,
        config: ServiceConfig,
        *,
        region_id: str | None,
        endpoint: str | None,
        access_key_id: str | None,
        access_key_secret: str | None,
        security_token: str | None,
        credentials_provider: CredentialsProvider | None,
        signature_version: str | None,
        timeout: float | tuple[float, float] | None,
        retry: RetryPolicy | int | None,
        user_agent: str | None,
        network: str | None,
        response_format: str,
        transport: HttpTransport | None,
        validate_requests: bool,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._config = config
        self.region_id = region_id
        self.endpoint = resolve_endpoint(region_id, endpoint, config.regions, config.fallback,
                                         config.network_fallback, network)
        version = (signature_version or config.signing_default).lower()
        if version not in config.signing_supported:
            raise ValueError(f"signature_version must be one of {list(config.signing_supported)}, not {version!r}")
        self.signature_version = version
        fmt = response_format.upper()
        if fmt not in ("JSON", "XML"):
            raise ValueError("response_format must be JSON or XML")
        if fmt == "XML" and version != "v2":
            raise ValueError("Format=XML responses come with V2 signatures only: pass signature_version='v2'")
        self.response_format = fmt
        self._credentials = CredentialSource(access_key_id, access_key_secret, security_token,
                                             provider=credentials_provider, env_names=config.credentials_env)
        if timeout is None:
            connect, read = config.timeouts.get("connect_s", 5.0), config.timeouts.get("read_s", 10.0)
        elif isinstance(timeout, tuple):
            connect, read = timeout
        else:
            connect = read = float(timeout)
        self._owns_transport = transport is None
        if transport is None:
            from ._http import HttpTransport  # here: sockets and TLS are for clients, not for parsing

            transport = HttpTransport(connect_timeout_s=connect, read_timeout_s=read)
        self._transport = transport
        if retry is None:
            self.retry = default_retry(config)
        elif isinstance(retry, int):
            self.retry = RetryPolicy(**{**default_retry(config).__dict__, "max_attempts": retry})
        else:
            self.retry = retry
        self.user_agent = user_agent or (
            f"{config.package}/{config.version} Python/{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
        )
        self.validate_requests = validate_requests
        self._clock, self._sleep = clock, sleep
        if rng is None:
            import random

            rng = random.Random()
        self._rng = rng
        self._log: logging.Logger | None = None

    def __repr__(self) -> str:
        # Never the credentials: only where requests go and how they are signed.
        return (f"{type(self).__name__}(endpoint={self.endpoint.url('')!r}, region_id={self.region_id!r}, "
                f"signature_version={self.signature_version!r})")

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        if self._owns_transport:
            self._transport.close()

    # -- one call -----------------------------------------------------------------------------------
    def _invoke(self, action: str, params: dict[str, str], decode: Callable[[Any], T], xml_shape: Shape) -> T:
        log = self._log
        if log is None:
            import logging  # here, not at the top: importing the client stays cheap

            log = self._log = logging.getLogger(self._config.logger_name)

        def attempt(budget_s: float) -> T:
            started = time.perf_counter()
            response = self._send(action, params, budget_s)
            try:
                return self._read(response, decode, xml_shape)
            finally:
                log.debug("%s %s HTTP %d %.1f ms", self._config.product, action, response.status,
                          (time.perf_counter() - started) * 1000)

        return call_with_retries(attempt, self._classify, self.retry, refresh=self._credentials.refresh,
                                 clock=self._clock, sleep=self._sleep, rng=self._rng)

    def _send(self, action: str, params: dict[str, str], budget_s: float) -> Response:
        def signed() -> tuple[str, dict[str, str]]:
            # A fresh timestamp and nonce each time: also for the transport's resend on a stale connection.
            creds = self._credentials.get()
            cfg = self._config
            if self.signature_version == "v3":
                query = canonical_query(params)  # signed and sent as one string: what is signed is what is sent
                headers = {"host": self.endpoint.host_header, "user-agent": self.user_agent,
                           "accept": "application/json"}
                headers = sign_v3("POST", self.endpoint.base_path + "/", query, headers, b"", creds,
                                  timestamp=utc_timestamp(), nonce=new_nonce(), action=action,
                                  version=cfg.api_version)
            else:
                signed_query = build_v2_query("POST", action, cfg.api_version, params, creds,
                                              timestamp=utc_timestamp(), nonce=new_nonce(),
                                              response_format=self.response_format)
                query = canonical_query(signed_query)
                headers = {"user-agent": self.user_agent}
            return self.endpoint.url("/?" + query), headers

        url, headers = signed()
        return self._transport.request("POST", url, headers, b"", budget_s=budget_s, replay=signed)

    def _read(self, response: Response, decode: Callable[[Any], T], xml_shape: Shape) -> T:
        cfg = self._config
        raw = response.body
        head = raw.lstrip()[:1]
        try:
            if head == b"<":
                root = _xml_root(raw)
                body: Any = xml_to_dict(raw, cfg.error_shape if root == cfg.error_root else xml_shape)
            else:
                import json  # here: importing the package stays cheap (a repeat import is a dict lookup)

                body = json.loads(raw)
        except (ValueError, RecursionError, XmlError) as exc:
            err = ResponseParseError(f"unreadable response body: {exc}", http_status=response.status, body=raw)
            err.headers = response.headers  # type: ignore[attr-defined]
            raise err from None
        failed = isinstance(body, dict) and cfg.success_field is not None and body.get(cfg.success_field) in (
            False, "false", "False")
        if response.status >= 300 or failed:
            if not isinstance(body, dict):
                body = {}
            error = cfg.error_from_body(body, response.status)
            error.headers = response.headers  # type: ignore[attr-defined]
            raise error
        if not isinstance(body, dict):
            raise ResponseParseError("the response body is not a JSON object", http_status=response.status,
                                     body=raw)
        return decode(body)

    def _classify(self, exc: BaseException) -> RetryDecision:
        code = getattr(exc, "code", None)
        if isinstance(code, str) and code in self._config.error_codes:
            retryable, refresh, _ = self._config.error_codes[code]
            if refresh:
                return RetryDecision.refresh()
            if retryable:
                return RetryDecision.retry(self.retry.retry_after_s(getattr(exc, "headers", {}) or {}))
            return RetryDecision.give_up()
        if isinstance(exc, TransportError):
            return RetryDecision.retry()
        if isinstance(exc, ResponseParseError):
            # A truncated or garbled body of an idempotent read: worth another attempt.
            return RetryDecision.retry()
        return RetryDecision.give_up()


def _xml_root(raw: bytes) -> str:
    text = raw.decode("utf-8", "replace")
    pos = 0
    while True:
        start = text.find("<", pos)
        if start < 0 or start + 1 >= len(text):
            return ""
        if text[start + 1] in "?!":
            pos = start + 1
            continue
        end = start + 1
        while end < len(text) and (text[end].isalnum() or text[end] in "_.-:"):
            end += 1
        return text[start + 1:end].rpartition(":")[2]


# ---------------------------------------------------------------- request parameters
def _named(wire: str, attr: str) -> str:
    return f"{wire} ({attr})" if wire != attr else wire


def _absent(wire: str, attr: str, value: Any, required: bool) -> bool:
    """None means "not sent"; for a required parameter that is an error."""
    if value is None and required:
        raise RequestValidationError(_named(wire, attr), "is required")
    return value is None


def _check_bounds(wire: str, attr: str, value: float, minimum: float | None, maximum: float | None) -> None:
    if minimum is not None and value < minimum:
        raise RequestValidationError(_named(wire, attr), f"must be at least {minimum:g}, not {value}")
    if maximum is not None and value > maximum:
        raise RequestValidationError(_named(wire, attr), f"must be at most {maximum:g}, not {value}")


def put_string(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool) -> None:
    if _absent(wire, attr, value, required):
        return
    if check and not isinstance(value, str):
        raise RequestValidationError(_named(wire, attr), f"must be a string, not {type(value).__name__}")
    out[wire] = str(value)


def put_enum(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool,
             values: type[OpenStrEnum]) -> None:
    if _absent(wire, attr, value, required):
        return
    text = value._value_ if isinstance(value, OpenStrEnum) else value
    if check and (not isinstance(text, str) or text not in values._value2member_map_):
        known = ", ".join(repr(m.value) for m in values)
        raise RequestValidationError(_named(wire, attr), f"{text!r} is not one of {known}")
    out[wire] = str(text)


def put_integer(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool,
                minimum: float | None = None, maximum: float | None = None) -> None:
    if _absent(wire, attr, value, required):
        return
    if check:
        if isinstance(value, bool) or not isinstance(value, int):
            raise RequestValidationError(_named(wire, attr), f"must be an integer, not {type(value).__name__}")
        _check_bounds(wire, attr, value, minimum, maximum)
    out[wire] = str(value)


def put_number(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool,
               minimum: float | None = None, maximum: float | None = None) -> None:
    if _absent(wire, attr, value, required):
        return
    if check:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RequestValidationError(_named(wire, attr), f"must be a finite number, not {value!r}")
        _check_bounds(wire, attr, value, minimum, maximum)
    out[wire] = str(value)


def put_boolean(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool) -> None:
    if _absent(wire, attr, value, required):
        return
    if check and not isinstance(value, bool):
        raise RequestValidationError(_named(wire, attr), f"must be True or False, not {value!r}")
    out[wire] = "true" if value else "false"  # what the Java and Go SDKs send
