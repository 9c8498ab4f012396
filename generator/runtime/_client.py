"""The generic RPC client the generated ones extend: check, sign, send, retry, and tell the API's answers
(models or the service's errors) from anything else.

`ClientCore` holds all of it and does no I/O: one call is a flow (a generator) that yields the effects
it needs (`Send` an HTTP request, `Pause`, `CREDENTIALS`, `REFRESH`) and is handed back their results.
`BaseClient` drives that flow with a blocking Transport and time.sleep; the async client (_aclient.py)
drives the same flow on an event loop. Signing, classifying answers, retrying and logging are written
once, here and in _retry.py.

Copied verbatim into every generated package (standard library only). The generated clients pass a
ServiceConfig built from the spec and add one typed method per operation.
"""

from __future__ import annotations

import math
import os
import sys
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeAlias, TypeVar

from ._base import OpenStrEnum
from ._credentials import CredentialSource, CredentialsProvider, credential_refusal
from ._endpoints import resolve_endpoint
from ._errors import (
    NonApiResponseError,
    RequestValidationError,
    ResponseParseError,
    ResponseTooLargeError,
    StaleConnectionError,
    TransportError,
    XmlError,
    seconds,
    shown,
)
from ._retry import Pause, RetryDecision, Retrying, RetryPolicy, _Refresh, retry_flow
from ._signing import build_v2_query, canonical_query, new_nonce, sign_v3, utc_timestamp
from ._transport import Response, Transport
from ._values import broken_rule

if TYPE_CHECKING:
    import logging
    import random

    from ._credentials import Credentials
    from ._xml import Shape

T = TypeVar("T")

# Media types of the API's answers. A body without a Content-Type is judged by its shape alone.
_JSON_TYPES: Final = frozenset({"application/json", "text/json"})
_XML_TYPES: Final = frozenset({"application/xml", "text/xml"})


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
    timeouts: Mapping[str, float]  # connect_s, read_s
    retry: Mapping[str, Any]  # max_attempts, base_delay_ms, max_delay_ms, deadline_s, retry_after_header
    success_field: str | None
    # code -> (retryable, refresh credentials then retry once, HTTP statuses)
    error_codes: Mapping[str, tuple[bool, bool, tuple[int, ...]]]
    error_from_body: Callable[[dict[str, Any], int], Exception]
    error_root: str
    error_shape: Shape
    # action -> http_methods, response_root, response_shape (and more): _spec.OPERATIONS
    operations: Mapping[str, Mapping[str, Any]]
    logger_name: str = "spec_client"


class _Operation(NamedTuple):
    method: str  # POST when the operation takes it (nothing in a URL's log), else its first method
    root: str | None  # the XML root element of its answer
    shape: Shape


def default_retry(config: ServiceConfig) -> RetryPolicy:
    """The spec's retry policy (x-service.retry)."""
    r = config.retry
    return RetryPolicy(
        max_attempts=int(r["max_attempts"]),
        base_delay_s=float(r["base_delay_ms"]) / 1000,
        max_delay_s=float(r["max_delay_ms"]) / 1000,
        deadline_s=float(r["deadline_s"]) if r["deadline_s"] else None,
        retry_after_header=r["retry_after_header"],
    )


def _timeouts(timeout: object) -> tuple[float, float]:
    """`timeout` as (connect, read): one number of seconds for both, or a pair."""
    if isinstance(timeout, tuple):
        if len(timeout) != 2:
            raise RequestValidationError("timeout", f"a pair is (connect, read), not {len(timeout)} values")
        return seconds("timeout", timeout[0]), seconds("timeout", timeout[1])
    return seconds("timeout", timeout), seconds("timeout", timeout)


def _choice(name: str, value: object, allowed: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value.lower() not in allowed:
        raise RequestValidationError(name, f"must be one of {', '.join(map(repr, allowed))}, not {shown(value)}")
    return value.lower()


class Send(NamedTuple):
    """An effect: make this HTTP exchange within `budget_s` seconds, and hand back its Response (or throw
    in what the transport raised)."""

    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    budget_s: float


class _Credentials:
    __slots__ = ()

    def __repr__(self) -> str:
        return "CREDENTIALS"


CREDENTIALS: Final = _Credentials()  # an effect: resolve the credentials (a provider may do I/O)
Effect: TypeAlias = Send | Pause | _Credentials | _Refresh  # what a call's flow yields


class Exchange(NamedTuple):
    """One HTTP exchange as the call core saw it, handed to the core's `_on_exchange` hook (where
    recording plugs in): the request as sent (its headers and query carry the signature: redact before
    storing), the Response or what the transport raised, and how long it took."""

    action: str
    request: Send
    response: Response | None
    error: BaseException | None
    seconds: float


class ClientCore:
    """Everything a client does but I/O: its checked arguments, signing, the retry loop, reading answers.

    Every argument is checked here, before anything is sent: a wrong one is a RequestValidationError
    naming it (EndpointError for the endpoint, region and network). A call is `_call(...)`, a flow its
    driver (BaseClient, AsyncBaseClient) carries out.
    """

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
        retry: RetryPolicy | int | None,
        user_agent: str | None,
        network: str | None,
        response_format: str,
        validate_requests: bool,
        clock: Callable[[], float],
        rng: random.Random | None,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        self._config = config
        self.endpoint = resolve_endpoint(region_id, endpoint, config.regions, config.fallback,
                                         config.network_fallback, network)
        self.region_id = region_id
        self.signature_version = _choice("signature_version", signature_version or config.signing_default,
                                         config.signing_supported)
        self.response_format = _choice("response_format", response_format, ("json", "xml")).upper()
        if self.response_format == "XML" and self.signature_version != "v2":
            raise RequestValidationError("response_format", "XML answers come with V2 signatures only: "
                                                            "pass signature_version='v2'")
        for name, value, token_like in (("access_key_id", access_key_id, True),
                                        ("access_key_secret", access_key_secret, False),
                                        ("security_token", security_token, True)):
            if value is not None and (not isinstance(value, str) or value):
                problem = credential_refusal(value, token_like=token_like)
                if problem:
                    raise RequestValidationError(name, problem)
        for name, function in (("credentials_provider", credentials_provider), ("clock", clock)):
            if function is not None and not callable(function):
                raise RequestValidationError(name, f"must be callable, not {shown(function)}")
        if rng is not None and not callable(getattr(rng, "uniform", None)):
            raise RequestValidationError("rng", f"must be a random.Random, not {shown(rng)}")
        if not isinstance(validate_requests, bool):
            raise RequestValidationError("validate_requests", f"must be True or False, not {shown(validate_requests)}")
        self._credentials = CredentialSource(access_key_id, access_key_secret, security_token,
                                             provider=credentials_provider, env_names=config.credentials_env)
        if retry is None:
            self.retry = default_retry(config)
        elif isinstance(retry, RetryPolicy):
            self.retry = retry
        elif isinstance(retry, int) and not isinstance(retry, bool):
            if retry < 1:
                raise RequestValidationError("retry", f"a number of attempts is at least 1, not {shown(retry)}")
            self.retry = replace(default_retry(config), max_attempts=retry)
        else:
            raise RequestValidationError("retry", f"must be a RetryPolicy or a number of attempts, not {shown(retry)}")
        if user_agent is not None and not (isinstance(user_agent, str) and user_agent.isascii()
                                           and user_agent.isprintable()):
            raise RequestValidationError("user_agent", f"must be printable ASCII text, not {shown(user_agent)}")
        self.user_agent = user_agent or (
            f"{config.package}/{config.version} Python/{sys.version_info[0]}.{sys.version_info[1]}.{sys.version_info[2]}"
        )
        self.validate_requests = validate_requests
        self._clock = clock
        if rng is None:
            import random

            rng = random.Random()
        self._rng = rng
        self._operations: dict[str, _Operation] = {
            action: _Operation("POST" if "POST" in op["http_methods"] else op["http_methods"][0],
                               op.get("response_root"), op["response_shape"])
            for action, op in config.operations.items()
        }
        self._log: logging.Logger | None = None
        self._on_exchange: Callable[[Exchange], object] | None = None
        if record_to is not None:
            from ._recording import Recorder  # here: a client that records nothing does not import it

            self._on_exchange = Recorder(record_to, self._logger)
        self._closed = False

    def __repr__(self) -> str:
        # Never the credentials: only where requests go and how they are signed.
        return (f"{type(self).__name__}(endpoint={self.endpoint.url('')!r}, region_id={self.region_id!r}, "
                f"signature_version={self.signature_version!r})")

    def _own_timeouts(self, timeout: object, transport: object) -> tuple[float, float] | None:
        """(connect, read) for the transport the client makes itself; None when one is passed."""
        if transport is None:
            return (self._config.timeouts["connect_s"], self._config.timeouts["read_s"]) if timeout is None \
                else _timeouts(timeout)
        if timeout is not None:
            raise RequestValidationError("timeout", "applies to the client's own transport: set the timeouts "
                                                    "of the transport you pass instead")
        return None

    # -- one call, as a flow of effects -------------------------------------------------------------
    def _logger(self) -> logging.Logger:
        log = self._log
        if log is None:
            import logging  # here, not at the top: importing the client stays cheap

            log = self._log = logging.getLogger(self._config.logger_name)
        return log

    def _call(self, action: str, params: dict[str, str], decode: Callable[[Any], T]) -> Generator[Effect, Any, T]:
        """One call: signed sends, retries, the answer read; its driver carries out the effects."""
        if self._closed:
            raise TransportError("the client is closed")
        op = self._operations[action]
        log = self._logger()
        what = f"{self._config.product} {action}"
        plan = Retrying(self.retry, clock=self._clock, rng=self._rng, log=log, what=what, can_refresh=True)
        return (yield from retry_flow(lambda budget_s: self._attempt(op, action, params, decode, budget_s, log, what),
                                      self._classify, plan))

    def _attempt(self, op: _Operation, action: str, params: dict[str, str], decode: Callable[[Any], T],
                 budget_s: float, log: logging.Logger, what: str) -> Generator[Effect, Any, T]:
        started = time.perf_counter()
        begun = time.monotonic()
        request = yield from self._request(op, action, params, budget_s)
        try:
            response = yield from self._exchange(action, request)
        except StaleConnectionError as exc:
            # The server may have read the first send: the second gets its own nonce and timestamp.
            log.debug("%s: %s; sending again, freshly signed", what, exc)
            request = yield from self._request(op, action, params, budget_s - (time.monotonic() - begun))
            response = yield from self._exchange(action, request)
        try:
            return self._read(response, decode, op)
        finally:
            log.debug("%s: HTTP %d, %.1f ms", what, response.status, (time.perf_counter() - started) * 1000)

    def _request(self, op: _Operation, action: str, params: dict[str, str],
                 budget_s: float) -> Generator[Effect, Any, Send]:
        """The request of one send, signed with a fresh timestamp and nonce."""
        creds = self._credentials.cached or (yield CREDENTIALS)
        url, headers = self._signed(op.method, action, params, creds)
        return Send(op.method, url, headers, b"", budget_s)

    def _exchange(self, action: str, request: Send) -> Generator[Effect, Any, Response]:
        hook = self._on_exchange
        if hook is None:
            response: Response = yield request
            return response
        started = time.monotonic()
        try:
            response = yield request
        except Exception as exc:
            hook(Exchange(action, request, None, exc, time.monotonic() - started))
            raise
        hook(Exchange(action, request, response, None, time.monotonic() - started))
        return response

    def _signed(self, method: str, action: str, params: dict[str, str],
                creds: Credentials) -> tuple[str, dict[str, str]]:
        """The URL and headers of one send: a fresh timestamp and nonce each time."""
        cfg = self._config
        if self.signature_version == "v3":
            query = canonical_query(params)  # signed and sent as one string: what is signed is what is sent
            headers = {"host": self.endpoint.host_header, "user-agent": self.user_agent,
                       "accept": "application/json"}
            headers = sign_v3(method, self.endpoint.base_path + "/", query, headers, b"", creds,
                              timestamp=utc_timestamp(), nonce=new_nonce(), action=action, version=cfg.api_version)
        else:
            signed_query = build_v2_query(method, action, cfg.api_version, params, creds, timestamp=utc_timestamp(),
                                          nonce=new_nonce(), response_format=self.response_format)
            query = canonical_query(signed_query)
            headers = {"user-agent": self.user_agent}
        return self.endpoint.url("/?" + query), headers

    def _read(self, response: Response, decode: Callable[[Any], T], op: _Operation) -> T:
        """The operation's answer as a model, the service's error as its exception, anything else (an
        answer whose content type or shape is not the API's, any redirect) as NonApiResponseError."""
        cfg = self._config
        status, raw, headers = response.status, response.body, response.headers
        content_type = headers.get("content-type")
        media = content_type.partition(";")[0].strip().lower() if content_type is not None else ""
        head = raw.removeprefix(b"\xef\xbb\xbf").lstrip()[:1]  # a UTF-8 byte order mark is allowed before either
        json_typed = media in _JSON_TYPES or media.endswith("+json")
        xml_typed = media in _XML_TYPES or media.endswith("+xml")
        body: Any = None
        if 300 <= status < 400:
            pass  # never followed (the request is signed for this endpoint), never an answer
        elif (json_typed or not media) and head == b"{":
            import json  # here: importing the package stays cheap (a repeat import is a dict lookup)

            try:
                body = json.loads(raw)
            except (ValueError, RecursionError) as exc:
                raise ResponseParseError(f"unreadable JSON answer: {exc}", http_status=status, body=raw,
                                         headers=headers) from None
        elif (xml_typed or not media) and head == b"<":
            from ._xml import root_name, xml_to_dict

            root = root_name(raw)
            shape = op.shape if root == op.root else cfg.error_shape if root == cfg.error_root else None
            if shape is not None:
                try:
                    body = xml_to_dict(raw, shape)
                except XmlError as exc:
                    raise ResponseParseError(f"unreadable XML answer: {exc}", http_status=status, body=raw,
                                             headers=headers) from None
        if not isinstance(body, dict):
            location = headers.get("location") if 300 <= status < 400 else None
            raise NonApiResponseError(status, content_type, raw, headers=headers, location=location)
        failed = cfg.success_field is not None and body.get(cfg.success_field) in (False, "false", "False")
        if status >= 300 or failed:
            error = cfg.error_from_body(body, status)
            error.headers = headers  # type: ignore[attr-defined]
            raise error
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
        if isinstance(exc, ResponseTooLargeError):
            return RetryDecision.give_up()  # the same body would come again
        if isinstance(exc, TransportError):
            return RetryDecision.retry()
        if isinstance(exc, ResponseParseError):
            # A truncated or garbled answer to an idempotent read: worth another attempt.
            return RetryDecision.retry()
        if isinstance(exc, NonApiResponseError) and (exc.http_status >= 500 or exc.http_status == 429):
            # A gateway's or proxy's failure page, or its throttling: the service may answer next time.
            return RetryDecision.retry(self.retry.retry_after_s(exc.headers))
        return RetryDecision.give_up()




class BaseClient(ClientCore):
    """The blocking client: a Transport for the sends (HttpTransport unless one is given) and `sleep`
    (time.sleep) for the pauses. Safe to share between threads."""

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
        transport: Transport | None,
        validate_requests: bool,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        rng: random.Random | None = None,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(config, region_id=region_id, endpoint=endpoint, access_key_id=access_key_id,
                         access_key_secret=access_key_secret, security_token=security_token,
                         credentials_provider=credentials_provider, signature_version=signature_version,
                         retry=retry, user_agent=user_agent, network=network, response_format=response_format,
                         validate_requests=validate_requests, clock=clock, rng=rng, record_to=record_to)
        if not callable(sleep):
            raise RequestValidationError("sleep", f"must be callable, not {shown(sleep)}")
        self._sleep = sleep
        if transport is not None and not isinstance(transport, Transport):
            raise RequestValidationError("transport", "must have request(method, url, headers, body, *, budget_s) "
                                                      f"and close() (the Transport protocol), not {shown(transport)}")
        own = self._own_timeouts(timeout, transport)
        # Made last: every argument is checked before anything is opened.
        self._owns_transport = transport is None
        if transport is None:
            from ._http import HttpTransport  # here: sockets and TLS are for clients, not for parsing

            assert own is not None
            transport = HttpTransport(connect_timeout_s=own[0], read_timeout_s=own[1])
        self._transport: Transport = transport

    def __enter__(self) -> BaseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the client's connections; calls are refused afterwards. A transport you passed is yours."""
        self._closed = True
        if self._owns_transport:
            self._transport.close()

    def _invoke(self, action: str, params: dict[str, str], decode: Callable[[Any], T]) -> T:
        """Carry out one call's flow: sends through the transport, pauses with `sleep`."""
        flow = self._call(action, params, decode)
        transport = self._transport
        try:
            effect = next(flow)
            while True:
                try:
                    if type(effect) is Send:
                        result: Any = transport.request(effect.method, effect.url, effect.headers, effect.body,
                                                        budget_s=effect.budget_s)
                    elif type(effect) is Pause:
                        result = self._sleep(effect.seconds)
                    elif effect is CREDENTIALS:
                        result = self._credentials.get()
                    else:
                        result = self._credentials.refresh()
                except Exception as exc:
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            flow.close()


# ---------------------------------------------------------------- request parameters
# Always checked: the type, text that has a UTF-8 form, numbers that can be written, required values
# present and not empty. Checked only with validate_requests (`check`): the spec's value sets and its rules
# (bounds, lengths, patterns, a format's range), by `_values.broken_rule` as `validate` checks recordings.
_INT64_MAX: Final = 2**63 - 1
_NO_RULES: Final[Mapping[str, object]] = {}


def _named(wire: str, attr: str) -> str:
    return f"{wire} ({attr})" if wire != attr else wire


def _absent(wire: str, attr: str, value: Any, required: bool) -> bool:
    """None means "not sent"; for a required parameter that is an error."""
    if value is None and required:
        raise RequestValidationError(_named(wire, attr), "is required")
    return value is None


def _sendable(wire: str, attr: str, text: str, required: bool) -> str:
    if not text and required:
        raise RequestValidationError(_named(wire, attr), "is required and must not be empty")
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RequestValidationError(_named(wire, attr), f"holds a lone surrogate ({text[exc.start]!r} at "
                                                             f"position {exc.start}); only text can be sent") from None
    return text


def _check_rules(wire: str, attr: str, value: int | float | str, rules: Mapping[str, object]) -> None:
    broken = broken_rule(value, rules)
    if broken is not None:
        found = f"{len(str(value))} characters" if broken[0] in ("minLength", "maxLength") else shown(value)
        raise RequestValidationError(_named(wire, attr), f"must be {broken[1]}, not {found}")


def put_string(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool,
               rules: Mapping[str, object] = _NO_RULES) -> None:
    if _absent(wire, attr, value, required):
        return
    if not isinstance(value, str):
        raise RequestValidationError(_named(wire, attr), f"must be a string, not {type(value).__name__}")
    text = _sendable(wire, attr, value, required)
    if check and rules:
        _check_rules(wire, attr, text, rules)
    out[wire] = text


def put_enum(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool,
             values: type[OpenStrEnum]) -> None:
    if _absent(wire, attr, value, required):
        return
    text = value._value_ if isinstance(value, OpenStrEnum) else value
    known = values._value2member_map_
    if not isinstance(text, str) or (check and text not in known):
        allowed = ", ".join(repr(m.value) for m in values)
        raise RequestValidationError(_named(wire, attr), f"{shown(text)} is not one of {allowed}")
    out[wire] = _sendable(wire, attr, text, required)


def put_integer(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool,
                rules: Mapping[str, object] = _NO_RULES) -> None:
    if _absent(wire, attr, value, required):
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise RequestValidationError(_named(wire, attr), f"must be an integer, not {type(value).__name__}")
    if check and rules:
        _check_rules(wire, attr, value, rules)
    if not -_INT64_MAX - 1 <= value <= _INT64_MAX:
        # Whatever the spec says, the service reads at most a 64-bit integer.
        raise RequestValidationError(_named(wire, attr), f"must fit in 64 bits, not {shown(value)}")
    out[wire] = str(value)


def put_number(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool,
               rules: Mapping[str, object] = _NO_RULES) -> None:
    if _absent(wire, attr, value, required):
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RequestValidationError(_named(wire, attr), f"must be a number, not {type(value).__name__}")
    if not (math.isfinite(value) if isinstance(value, float) else abs(value) <= sys.float_info.max):
        raise RequestValidationError(_named(wire, attr), f"must be a finite number, not {shown(value)}")
    if check and rules:
        _check_rules(wire, attr, value, rules)
    out[wire] = str(value)


def put_boolean(out: dict[str, str], wire: str, attr: str, value: Any, required: bool, check: bool) -> None:
    if _absent(wire, attr, value, required):
        return
    if not isinstance(value, bool):
        raise RequestValidationError(_named(wire, attr), f"must be True or False, not {shown(value)}")
    out[wire] = "true" if value else "false"  # what the Java and Go SDKs send
