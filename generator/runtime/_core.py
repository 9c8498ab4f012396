"""The hand-tuned core of every generated client: credentials, request signing (V2 and V3) and
its verification, endpoint resolution, the retry loop and safe XML (the transport is in _http).

Copied verbatim into every generated package, so it uses the standard library only and names no API:
product, version, action, endpoint tables and retry rules arrive as arguments from generated code.
"""

from __future__ import annotations

import _thread
import codecs
import enum
import math
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple, Protocol, TypeAlias, TypeVar
from urllib.parse import urlsplit

from ._base import ClientError, TransportError

if TYPE_CHECKING:
    # Imported where used instead (hashing and HMAC in the signing functions, XML, random): each
    # costs more to import than this module, and a program that only parses should not pay for them.
    import random
    import xml.etree.ElementTree as ET

__all__ = [
    "EMPTY_SHA256",
    "ENV_KEYS",
    "V2_SIGNATURE_METHOD",
    "V2_SIGNATURE_VERSION",
    "V3_ALGORITHM",
    "CredentialSource",
    "Credentials",
    "CredentialsError",
    "CredentialsProvider",
    "DeadlineExceeded",
    "Endpoint",
    "EndpointError",
    "FieldShape",
    "RequestTimeoutError",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "SecretLookup",
    "Shape",
    "SignatureError",
    "XmlError",
    "build_v2_query",
    "call_with_retries",
    "canonical_query",
    "canonical_request_v3",
    "dict_to_xml",
    "new_nonce",
    "percent_encode",
    "resolve_credentials",
    "resolve_endpoint",
    "sign_v2",
    "sign_v3",
    "string_to_sign_v2",
    "string_to_sign_v3",
    "utc_timestamp",
    "verify_v2",
    "verify_v3",
    "xml_to_dict",
]

T = TypeVar("T")


class _Pattern:
    """A regular expression compiled on first use, so importing this module stays cheap."""

    __slots__ = ("_compiled", "_flags", "_source")

    def __init__(self, source: Any, flags: int = 0) -> None:
        self._source, self._flags = source, flags
        self._compiled: re.Pattern[Any] | None = None

    def _get(self) -> re.Pattern[Any]:
        if self._compiled is None:
            self._compiled = re.compile(self._source, self._flags)
        return self._compiled

    def match(self, text: Any) -> re.Match[Any] | None:
        return self._get().match(text)

    def search(self, text: Any) -> re.Match[Any] | None:
        return self._get().search(text)


# ---------------------------------------------------------------------------------------------------
# Errors (all ClientError subclasses, so one `except ClientError` catches whatever a client raises)
# ---------------------------------------------------------------------------------------------------


class CredentialsError(ClientError):
    """No usable credentials: none given, half given, or the provider failed."""


class SignatureError(ClientError):
    """A request's signature does not verify. `reason` is one of: missing, bad_format, unknown_key,
    stale, mismatch (stable strings, so a server can map them to its own error codes)."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}: {message}")


class EndpointError(ClientError, ValueError):
    """No endpoint can be derived (no region and no endpoint, a malformed endpoint or region)."""


class RequestTimeoutError(TransportError, TimeoutError):
    """Connecting, sending or waiting for the response took too long. `phase` is connect or read."""

    def __init__(self, message: str, phase: str) -> None:
        self.phase = phase
        super().__init__(message)


class DeadlineExceeded(ClientError, TimeoutError):
    """The overall deadline ran out before a retry could be made; `last_error` is the last failure."""

    def __init__(self, message: str, *, last_error: BaseException, attempts: int) -> None:
        self.last_error = last_error
        self.attempts = attempts
        super().__init__(message)


class XmlError(ClientError, ValueError):
    """An XML document that is refused (DOCTYPE/ENTITY, not UTF-8) or cannot be parsed or built."""


# ---------------------------------------------------------------------------------------------------
# Credentials
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True, repr=False)
class Credentials:
    """An access key pair, plus an STS token for temporary credentials."""

    access_key_id: str
    access_key_secret: str
    security_token: str | None = None

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.access_key_secret:
            raise CredentialsError("access_key_id and access_key_secret must both be non-empty")

    def __repr__(self) -> str:
        # Secrets must not leak into logs, tracebacks or the repr of objects that hold credentials.
        token = ", security_token=<hidden>" if self.security_token else ""
        return f"Credentials(access_key_id={self.access_key_id!r}, access_key_secret=<hidden>{token})"

    __str__ = __repr__


CredentialsProvider: TypeAlias = Callable[[], Credentials]
# The keys of `env_names` (the spec's credentials_env uses the same ones).
ENV_KEYS: Final = ("access_key_id", "access_key_secret", "security_token")


def resolve_credentials(
    access_key_id: str | None = None,
    access_key_secret: str | None = None,
    security_token: str | None = None,
    *,
    provider: CredentialsProvider | None = None,
    env_names: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Credentials:
    """Explicit arguments, else the provider, else the environment variables named by `env_names`
    (keys access_key_id, access_key_secret, security_token). Raises CredentialsError when none."""
    if access_key_id or access_key_secret:
        if not (access_key_id and access_key_secret):
            raise CredentialsError("pass both access_key_id and access_key_secret, not just one")
        return Credentials(access_key_id, access_key_secret, security_token or None)
    if security_token:
        raise CredentialsError("security_token was given without access_key_id and access_key_secret")
    if provider is not None:
        try:
            found = provider()
        except CredentialsError:
            raise
        except Exception as exc:
            raise CredentialsError(f"the credentials provider failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(found, Credentials):
            raise CredentialsError(
                f"the credentials provider returned {type(found).__name__}, not Credentials"
            )
        return found
    names = env_names or {}
    env = os.environ if environ is None else environ
    values = {key: env.get(names[key], "") if names.get(key) else "" for key in ENV_KEYS}
    if values["access_key_id"] and values["access_key_secret"]:
        return Credentials(
            values["access_key_id"], values["access_key_secret"], values["security_token"] or None
        )
    checked = ", ".join(names[k] for k in ENV_KEYS[:2] if names.get(k)) or "none configured"
    raise CredentialsError(
        "no credentials: pass access_key_id/access_key_secret, a credentials provider, "
        f"or set the environment variables ({checked})"
    )


class CredentialSource:
    """Where a client's credentials come from, resolved lazily and cached; thread-safe.

    `refresh()` resolves again: the provider is called anew (an STS provider returns a new token) and
    the environment is re-read. Explicit credentials come back unchanged.
    """

    def __init__(
        self,
        access_key_id: str | None = None,
        access_key_secret: str | None = None,
        security_token: str | None = None,
        *,
        provider: CredentialsProvider | None = None,
        env_names: Mapping[str, str] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self._args = (access_key_id, access_key_secret, security_token)
        self._provider = provider
        self._env_names = dict(env_names or {})
        self._environ = environ
        self._lock = _thread.allocate_lock()  # threading.Lock itself, without importing threading
        self._current: Credentials | None = None

    def _resolve(self) -> Credentials:
        return resolve_credentials(
            *self._args, provider=self._provider, env_names=self._env_names, environ=self._environ
        )

    def get(self) -> Credentials:
        current = self._current
        if current is not None:
            return current  # the common case needs no lock: one attribute read is atomic
        with self._lock:
            if self._current is None:
                self._current = self._resolve()
            return self._current

    def refresh(self) -> Credentials:
        with self._lock:
            self._current = self._resolve()
            return self._current


# ---------------------------------------------------------------------------------------------------
# Canonicalisation, shared by signing and verifying so the two can never drift apart
# ---------------------------------------------------------------------------------------------------

_UNRESERVED: Final = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_ENCODED_BYTE: Final = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))
_PLAIN: Final = _Pattern(r"[A-Za-z0-9\-_.~]*\Z")


def percent_encode(value: str) -> str:
    """RFC 3986 over UTF-8: only A-Za-z0-9-_.~ stay literal (space is %20, '*' is %2A, '~' stays).

    Not urllib's quote(): its safe set and '+' handling differ between callers; signing needs exactly this.
    """
    if _PLAIN.match(value):
        return value  # the common case (names, ids, dates) needs no work
    return "".join([_ENCODED_BYTE[b] for b in value.encode("utf-8")])


def canonical_query(params: Mapping[str, str]) -> str:
    """`k=v` pairs joined by `&`, sorted by name in byte order, names and values percent-encoded.

    Sorting the raw names: Python compares strings by code point, which is the UTF-8 byte order.
    The same string is the URL query, so what is signed is byte for byte what is sent.
    """
    return "&".join([f"{percent_encode(name)}={percent_encode(params[name])}" for name in sorted(params)])


def utc_timestamp(now: float | None = None) -> str:
    """The signing timestamp format of both versions: %Y-%m-%dT%H:%M:%SZ in UTC."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now))


def new_nonce() -> str:
    """A fresh signature nonce (the server refuses a nonce it has seen recently)."""
    return os.urandom(16).hex()


def _check_timestamp(value: str, max_skew_s: float | None, now: Callable[[], float]) -> None:
    from datetime import UTC, datetime  # verifying is for servers: clients never import it

    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError("bad_format", f"timestamp {value!r} is not %Y-%m-%dT%H:%M:%SZ") from None
    if max_skew_s is not None and abs(now() - moment.timestamp()) > max_skew_s:
        raise SignatureError("stale", f"timestamp {value} is more than {max_skew_s:g}s away from now")


def _same(expected: str, given: str) -> bool:
    import hmac

    # Constant-time comparison; bytes because compare_digest refuses non-ASCII str.
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


SecretLookup: TypeAlias = Callable[[str], "str | None"]

# ---------------------------------------------------------------------------------------------------
# Signature V2: HMAC-SHA1 over the sorted query (RPC style)
# ---------------------------------------------------------------------------------------------------

V2_SIGNATURE_METHOD: Final = "HMAC-SHA1"
V2_SIGNATURE_VERSION: Final = "1.0"


def string_to_sign_v2(method: str, params: Mapping[str, str]) -> str:
    """METHOD&%2F&percent_encode(canonical query); a `Signature` parameter is never part of it."""
    query = canonical_query({name: value for name, value in params.items() if name != "Signature"})
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(query)}"


def sign_v2(method: str, params: Mapping[str, str], secret: str) -> str:
    """base64(HMAC-SHA1(secret + "&", StringToSign))."""
    import base64
    import hashlib
    import hmac

    message = string_to_sign_v2(method, params).encode("utf-8")
    digest = hmac.new((secret + "&").encode("utf-8"), message, hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def build_v2_query(
    method: str,
    action: str,
    version: str,
    params: Mapping[str, str],
    credentials: Credentials,
    *,
    timestamp: str,
    nonce: str,
    response_format: str = "JSON",
) -> dict[str, str]:
    """The complete signed V2 query: the API parameters plus the common ones and `Signature`.

    Timestamp and nonce are explicit so the function is pure (utc_timestamp() and new_nonce() make them).
    """
    common = {
        "Action": action,
        "Version": version,
        "Format": response_format,
        "Timestamp": timestamp,
        "SignatureNonce": nonce,
        "SignatureMethod": V2_SIGNATURE_METHOD,
        "SignatureVersion": V2_SIGNATURE_VERSION,
        "AccessKeyId": credentials.access_key_id,
    }
    if credentials.security_token:
        common["SecurityToken"] = credentials.security_token
    clash = sorted((set(common) | {"Signature"}) & set(params))
    if clash:
        # A caller overriding a signing field would produce a request the server rejects confusingly.
        raise ValueError(f"API parameters may not set the common parameters {clash}")
    query = {**params, **common}
    query["Signature"] = sign_v2(method, query, credentials.access_key_secret)
    return query


def verify_v2(
    method: str,
    params: Mapping[str, str],
    secret_lookup: SecretLookup,
    *,
    max_skew_s: float | None = None,
    now: Callable[[], float] = time.time,
) -> str:
    """Check an incoming V2 request (query and form parameters merged, already decoded).

    Returns the access key id; raises SignatureError(reason) otherwise. `secret_lookup` maps an
    access key id to its secret, or None for an unknown key.
    """
    for name in (
        "Signature",
        "AccessKeyId",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
    ):
        if not params.get(name):
            raise SignatureError("missing", f"the {name} parameter is missing")
    if params["SignatureMethod"] != V2_SIGNATURE_METHOD:
        raise SignatureError("bad_format", f"SignatureMethod must be {V2_SIGNATURE_METHOD}")
    if params["SignatureVersion"] != V2_SIGNATURE_VERSION:
        raise SignatureError("bad_format", f"SignatureVersion must be {V2_SIGNATURE_VERSION}")
    _check_timestamp(params["Timestamp"], max_skew_s, now)
    key_id = params["AccessKeyId"]
    secret = secret_lookup(key_id)
    if secret is None:
        raise SignatureError("unknown_key", f"access key {key_id!r} is not known")
    if not _same(sign_v2(method, params, secret), params["Signature"]):
        raise SignatureError("mismatch", "the signature does not match the request")
    return key_id


# ---------------------------------------------------------------------------------------------------
# Signature V3: ACS3-HMAC-SHA256 over a canonical request (method, path, query, headers, payload hash)
# ---------------------------------------------------------------------------------------------------

V3_ALGORITHM: Final = "ACS3-HMAC-SHA256"
EMPTY_SHA256: Final = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256(b"")
# Headers the verifier insists on seeing signed (besides every x-acs-* header that is present).
_V3_REQUIRED: Final = ("host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")


def canonical_request_v3(
    method: str, path: str, query: Mapping[str, str] | str, headers: Mapping[str, str], payload_hash: str
) -> tuple[str, str]:
    """(canonical request, signed header names joined by ';'). Every header given is signed.

    `path` is the request path as sent on the wire (already encoded); RPC uses "/". `query` is the
    parameters, or a string that is already their canonical_query() (a client sends that same string).
    """
    lowered = {name.strip().lower(): value.strip() for name, value in headers.items()}
    names = sorted(lowered)
    canonical_headers = "".join([f"{name}:{lowered[name]}\n" for name in names])
    signed = ";".join(names)
    canonical = query if isinstance(query, str) else canonical_query(query)
    lines = [method.upper(), path or "/", canonical, canonical_headers, signed, payload_hash]
    return "\n".join(lines), signed


def _sha256_hex(body: bytes) -> str:
    if not body:
        return EMPTY_SHA256  # every RPC call: no body
    import hashlib

    return hashlib.sha256(body).hexdigest()


def string_to_sign_v3(canonical_request: str) -> str:
    import hashlib

    return f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"


def _v3_signature(secret: str, canonical_request: str) -> str:
    import hashlib
    import hmac

    message = string_to_sign_v3(canonical_request).encode("utf-8")
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign_v3(
    method: str,
    path: str,
    query: Mapping[str, str] | str,
    headers: Mapping[str, str],
    body: bytes,
    credentials: Credentials,
    *,
    timestamp: str,
    nonce: str,
    action: str | None = None,
    version: str | None = None,
) -> dict[str, str]:
    """The headers to send (lower-case names): those given, the x-acs-* ones and `authorization`.

    `headers` must hold `host` (exactly the Host the transport sends); everything in it is signed, so
    pass only headers nothing between client and server rewrites. `action`/`version` become
    x-acs-action/x-acs-version when given; `query` is as canonical_request_v3 takes it.
    """
    out = {name.strip().lower(): value for name, value in headers.items()}
    if "host" not in out:
        raise ValueError("sign_v3 needs the host header")
    if "authorization" in out:
        raise ValueError("sign_v3 sets the authorization header itself")
    if action is not None:
        out["x-acs-action"] = action
    if version is not None:
        out["x-acs-version"] = version
    out["x-acs-date"] = timestamp
    out["x-acs-signature-nonce"] = nonce
    payload_hash = _sha256_hex(body)
    out["x-acs-content-sha256"] = payload_hash
    if credentials.security_token:
        out["x-acs-security-token"] = credentials.security_token
    canonical, signed = canonical_request_v3(method, path, query, out, payload_hash)
    signature = _v3_signature(credentials.access_key_secret, canonical)
    out["authorization"] = (
        f"{V3_ALGORITHM} Credential={credentials.access_key_id},SignedHeaders={signed},Signature={signature}"
    )
    return out


_HEX64: Final = _Pattern(r"[0-9a-f]{64}\Z")


def _parse_v3_authorization(value: str) -> tuple[str, list[str], str]:
    algorithm, _, rest = value.strip().partition(" ")
    if algorithm != V3_ALGORITHM:
        raise SignatureError("bad_format", f"the authorization scheme must be {V3_ALGORITHM}")
    fields: dict[str, str] = {}
    for part in rest.split(","):
        key, sep, item = part.strip().partition("=")
        if not sep or key in fields:
            raise SignatureError(
                "bad_format", "authorization is not Credential=..,SignedHeaders=..,Signature=.."
            )
        fields[key] = item.strip()
    if set(fields) != {"Credential", "SignedHeaders", "Signature"} or not fields["Credential"]:
        raise SignatureError("bad_format", "authorization is not Credential=..,SignedHeaders=..,Signature=..")
    if not _HEX64.match(fields["Signature"]):
        raise SignatureError("bad_format", "the signature is not 64 lower-case hex digits")
    names = fields["SignedHeaders"].split(";")
    if "" in names or names != sorted(set(names)) or any(name != name.lower() for name in names):
        raise SignatureError("bad_format", "SignedHeaders must be lower-case, sorted and unique")
    return fields["Credential"], names, fields["Signature"]


class _HeaderItems(Protocol):
    # A dict, or http.server's HTTPMessage (whose items() lists repeated headers separately).
    def items(self) -> Iterable[tuple[str, Any]]: ...


def verify_v3(
    method: str,
    path: str,
    query: Mapping[str, str],
    headers: _HeaderItems | Iterable[tuple[str, str]],
    body: bytes,
    secret_lookup: SecretLookup,
    *,
    max_skew_s: float | None = None,
    now: Callable[[], float] = time.time,
) -> str:
    """Check an incoming V3 request; returns the access key id or raises SignatureError(reason).

    `path` is the raw request path, `query` the decoded query parameters; `headers` is anything with
    `.items()` (a dict, http.server's `self.headers`) or the (name, value) pairs as received. A repeated
    header is refused: which copy a signature covered would be ambiguous.
    """
    pairs = list(headers.items()) if hasattr(headers, "items") else list(headers)
    received: dict[str, str] = {}
    for name, value in pairs:
        key = str(name).strip().lower()
        if key in received:
            raise SignatureError("bad_format", f"header {key} appears more than once")
        received[key] = str(value)
    authorization = received.get("authorization")
    if not authorization:
        raise SignatureError("missing", "the authorization header is missing")
    key_id, names, signature = _parse_v3_authorization(authorization)
    for name in _V3_REQUIRED:
        if name not in received:
            raise SignatureError("missing", f"the {name} header is missing")
    unsigned = sorted(n for n in received if (n in _V3_REQUIRED or n.startswith("x-acs-")) and n not in names)
    if unsigned:
        raise SignatureError("bad_format", f"headers present but not signed: {', '.join(unsigned)}")
    absent = [name for name in names if name not in received]
    if absent:
        raise SignatureError("missing", f"signed headers missing from the request: {', '.join(absent)}")
    payload_hash = _sha256_hex(body)
    if not _same(payload_hash, received["x-acs-content-sha256"].strip()):
        raise SignatureError("mismatch", "the body does not match x-acs-content-sha256")
    _check_timestamp(received["x-acs-date"].strip(), max_skew_s, now)
    secret = secret_lookup(key_id)
    if secret is None:
        raise SignatureError("unknown_key", f"access key {key_id!r} is not known")
    canonical, _ = canonical_request_v3(method, path, query, {n: received[n] for n in names}, payload_hash)
    if not _same(_v3_signature(secret, canonical), signature):
        raise SignatureError("mismatch", "the signature does not match the request")
    return key_id


# ---------------------------------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------------------------------

_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_LABEL: Final = _Pattern(r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\Z")


class Endpoint(NamedTuple):
    scheme: str
    host: str
    port: int
    base_path: str  # "" or a path without a trailing slash, prefixed to every request path

    @property
    def host_header(self) -> str:
        """The Host header value (and what V3 signs): the port only when it is not the default."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if _DEFAULT_PORTS.get(self.scheme) == self.port else f"{host}:{self.port}"

    def url(self, path_and_query: str = "/") -> str:
        return f"{self.scheme}://{self.host_header}{self.base_path}{path_and_query}"


def _parse_endpoint(endpoint: str) -> Endpoint:
    text = endpoint.strip()
    if not text:
        raise EndpointError("the endpoint is empty")
    # A bare host (optionally host:port) means HTTPS, as every official SDK assumes.
    parts = urlsplit(text if "://" in text else f"https://{text}")
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise EndpointError(f"endpoint {endpoint!r}: only http and https are supported")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise EndpointError(f"endpoint {endpoint!r}: no query, fragment or user info allowed")
    try:
        port = parts.port
    except ValueError as exc:
        raise EndpointError(f"endpoint {endpoint!r}: bad port ({exc})") from None
    host = parts.hostname
    if not host:
        raise EndpointError(f"endpoint {endpoint!r} has no host")
    return Endpoint(scheme, host, port or _DEFAULT_PORTS[scheme], parts.path.rstrip("/"))


def resolve_endpoint(
    region_id: str | None,
    endpoint: str | None,
    regions: Mapping[str, str],
    fallback: str,
    network_fallback: str | None = None,
    network: str | None = None,
) -> Endpoint:
    """Where requests go.

    1. An explicit `endpoint` always wins: a full URL (http://127.0.0.1:8080) or a bare host (HTTPS).
    2. A `network` other than "public" uses `network_fallback` (the region table only lists public
       hosts, and a caller asking for a VPC endpoint must not silently get the public one).
    3. A region in `regions` uses its host; any other region uses `fallback`.
    Templates use {region_id} and {network}. No region and no endpoint is an EndpointError.
    """
    if endpoint is not None and endpoint.strip():
        return _parse_endpoint(endpoint)
    if not region_id:
        raise EndpointError("no endpoint: pass region_id (e.g. 'cn-hangzhou') or an explicit endpoint")
    if not _LABEL.match(region_id):
        # The region ends up in a host name: refuse anything that could change which host that is.
        raise EndpointError(f"region_id {region_id!r} is not a valid region id")
    values = {"region_id": region_id, "network": network or ""}
    if network and network.lower() != "public":
        if not _LABEL.match(network):
            raise EndpointError(f"network {network!r} is not a valid network name")
        if network_fallback is None:
            raise EndpointError(
                f"network {network!r} was requested but this service has no network endpoints"
            )
        host = network_fallback.format_map(values)
    elif region_id in regions:
        host = regions[region_id]
    else:
        host = fallback.format_map(values)
    return _parse_endpoint(host)


# ---------------------------------------------------------------------------------------------------
# Retries
# ---------------------------------------------------------------------------------------------------


class RetryAction(enum.Enum):
    GIVE_UP = "give_up"
    RETRY = "retry"
    REFRESH = "refresh"  # refresh the credentials, then exactly one new attempt


@dataclass(frozen=True)
class RetryDecision:
    action: RetryAction
    delay_s: float | None = None  # the server's own delay (e.g. from a retry-after header)

    @classmethod
    def give_up(cls) -> RetryDecision:
        return cls(RetryAction.GIVE_UP)

    @classmethod
    def retry(cls, delay_s: float | None = None) -> RetryDecision:
        return cls(RetryAction.RETRY, delay_s)

    @classmethod
    def refresh(cls) -> RetryDecision:
        return cls(RetryAction.REFRESH)


@dataclass(frozen=True)
class RetryPolicy:
    """max_attempts counts every attempt (1 = no retries, the official SDKs' default); deadline_s,
    when set, bounds the whole call including sleeps; retry_after_header is in milliseconds."""

    max_attempts: int = 1
    base_delay_s: float = 0.2
    max_delay_s: float = 20.0
    deadline_s: float | None = None
    retry_after_header: str | None = None

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError("delays must not be negative")
        if self.deadline_s is not None and not self.deadline_s > 0:
            raise ValueError("deadline_s must be positive")

    def backoff_s(self, retry_index: int, rng: random.Random) -> float:
        """Full jitter: uniform(0, min(max, base * 2**n)); spreads clients that failed together."""
        cap = min(self.max_delay_s, self.base_delay_s * 2.0 ** min(retry_index, 60))
        return rng.uniform(0.0, cap)

    def retry_after_s(self, headers: Mapping[str, str]) -> float | None:
        """The server's retry-after delay in seconds, or None when absent or unreadable."""
        if not self.retry_after_header:
            return None
        wanted = self.retry_after_header.lower()
        raw = next((value for name, value in headers.items() if name.lower() == wanted), None)
        if raw is None:
            return None
        try:
            millis = float(raw.strip())
        except ValueError:
            return None
        return millis / 1000.0 if math.isfinite(millis) and millis >= 0 else None


def call_with_retries(
    attempt: Callable[[float], T],
    classify: Callable[[BaseException], RetryDecision],
    policy: RetryPolicy,
    *,
    refresh: Callable[[], object] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
    rng: random.Random | None = None,
) -> T:
    """Call `attempt(remaining_budget_s)` until it returns, `classify` says give up, attempts run out
    or the deadline would pass.

    The budget (math.inf without a deadline) lets the attempt cap its socket timeouts, so no single
    attempt overruns the deadline. A REFRESH decision calls `refresh` once per call and retries at once;
    that extra attempt does not count against max_attempts (with the default of 1 it must still work).
    Giving up re-raises the last error with a note of the attempts made; a sleep that would pass the
    deadline raises DeadlineExceeded (from the last error) instead.
    """
    if rng is None:
        import random

        rng = random.Random()
    deadline = clock() + policy.deadline_s if policy.deadline_s is not None else math.inf
    attempts = 0
    retries = 0
    refreshed = False
    while True:
        attempts += 1
        try:
            return attempt(deadline - clock())
        except Exception as exc:
            decision = classify(exc)
            if decision.action is RetryAction.REFRESH and not refreshed and refresh is not None:
                # New credentials, then one immediate attempt outside the max_attempts count.
                refreshed = True
                refresh()
                if clock() >= deadline:
                    raise _deadline_exceeded(policy, exc, attempts) from exc
                continue
            if decision.action is not RetryAction.RETRY or retries + 1 >= policy.max_attempts:
                exc.add_note(f"(gave up after {attempts} attempt{'s' if attempts > 1 else ''})")
                raise
            delay = decision.delay_s if decision.delay_s is not None else policy.backoff_s(retries, rng)
            if clock() + delay >= deadline:
                # Sleeping would end past the deadline: stop now rather than wake up with no budget.
                raise _deadline_exceeded(policy, exc, attempts) from exc
            retries += 1
            sleep(delay)


def _deadline_exceeded(policy: RetryPolicy, exc: Exception, attempts: int) -> DeadlineExceeded:
    return DeadlineExceeded(
        f"deadline of {policy.deadline_s:g}s reached after {attempts} attempt{'s' if attempts > 1 else ''}; "
        f"last error: {type(exc).__name__}: {exc}",
        last_error=exc,
        attempts=attempts,
    )


# ---------------------------------------------------------------------------------------------------
# Safe XML
# ---------------------------------------------------------------------------------------------------

# {field: "string" | "integer" | "number" | "boolean" | ("object", Shape) | ("array", FieldShape)}
# The tuple's second member is Any on purpose: nested dict literals in generated code then type-check
# without casts (mypy cannot push a recursive union context into them).
FieldShape: TypeAlias = str | tuple[str, Any]
Shape: TypeAlias = Mapping[str, FieldShape]

_MAX_DEPTH: Final = 100
_FORBIDDEN_DECL: Final = _Pattern(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING: Final = _Pattern(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_UTF8_NAMES: Final = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_INT_TEXT: Final = _Pattern(r"-?[0-9]+\Z")
_NUMBER_TEXT: Final = _Pattern(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")
_XML_NAME: Final = _Pattern(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_XML_BAD_CHAR: Final = _Pattern("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _refuse_unsafe(data: bytes) -> bytes:
    """Refuse before parsing: no DOCTYPE or ENTITY declaration ever reaches the parser, so nothing is
    expanded (billion laughs) or fetched (external entities). UTF-8 only: another encoding could
    hide a declaration from this byte scan."""
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlError(f"XML must be UTF-8: {exc}") from None
    declared = _XML_DECL_ENCODING.match(body)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _UTF8_NAMES:
        raise XmlError(f"XML declares encoding {declared.group(1)!r}; only UTF-8 is accepted")
    if _FORBIDDEN_DECL.search(body):
        raise XmlError("XML with a DOCTYPE or ENTITY declaration is refused (entity expansion is unsafe)")
    return body


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # tolerate namespaces: match on the local name


def _scalar(text: str, kind: str) -> Any:
    # Typed when the text parses, else the text unchanged so validators can report it.
    if kind == "string":
        return text
    token = text.strip()
    try:
        if kind == "integer":
            return int(token) if _INT_TEXT.match(token) else text
        if kind == "number":
            if _INT_TEXT.match(token):
                return int(token)
            number = float(token) if _NUMBER_TEXT.match(token) else math.nan
            return number if math.isfinite(number) else text  # "1e999" would become inf
    except ValueError:  # e.g. more digits than int() accepts
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(token, text)
    raise XmlError(f"unknown scalar type {kind!r} in the shape")


def _generic(elem: ET.Element, depth: int) -> Any:
    # An element the shape does not describe: text if it has no children, else a dict of them.
    if depth > _MAX_DEPTH:
        raise XmlError(f"XML nested deeper than {_MAX_DEPTH} levels")
    if len(elem) == 0:
        return elem.text or ""
    groups: dict[str, list[ET.Element]] = {}
    for child in elem:
        groups.setdefault(_local(child.tag), []).append(child)
    out: dict[str, Any] = {}
    for name, elems in groups.items():
        values = [_generic(e, depth + 1) for e in elems]
        out[name] = values[0] if len(values) == 1 else values
    return out


def _parse_value(elem: ET.Element, shape: FieldShape, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        raise XmlError(f"XML nested deeper than {_MAX_DEPTH} levels")
    if isinstance(shape, str):
        if len(elem):
            return _generic(elem, depth)  # children where a scalar belongs: kept for validators
        return _scalar(elem.text or "", shape)
    kind, inner = shape
    if kind == "object" and isinstance(inner, Mapping):
        if len(elem) == 0 and (elem.text or "").strip():
            return elem.text  # text where an object belongs: kept for validators
        return _parse_object(elem, inner, depth + 1)
    if kind == "array" and not isinstance(inner, Mapping):
        return _array_items(elem, inner, depth + 1)
    raise XmlError(f"bad shape {shape!r}")


def _is_wrapper(elem: ET.Element, item: FieldShape) -> bool:
    # <F><X>..</X><X>..</X></F>: one element whose children all share one tag, and that tag is
    # not one of the item's own fields (an item holding only its repeated Logs is still an item).
    children = list(elem)
    if not children:
        return False
    tag = _local(children[0].tag)
    if any(_local(child.tag) != tag for child in children):
        return False
    if isinstance(item, str):
        return all(len(child) == 0 for child in children)
    kind, inner = item
    if kind == "object" and isinstance(inner, Mapping):
        return tag not in inner and all(len(child) > 0 for child in children)
    return False


def _array_items(elem: ET.Element, item: FieldShape, depth: int) -> list[Any]:
    """The items one element under an array field contributes: itself, or its children if it wraps."""
    if depth > _MAX_DEPTH:
        raise XmlError(f"XML nested deeper than {_MAX_DEPTH} levels")
    if isinstance(item, tuple) and item[0] == "array":
        return [_parse_value(elem, item, depth)]  # an array of arrays: each element holds one inner array
    if _is_wrapper(elem, item):
        return [_parse_value(child, item, depth + 1) for child in elem]
    return [_parse_value(elem, item, depth)]


def _parse_object(elem: ET.Element, shape: Shape, depth: int) -> dict[str, Any]:
    groups: dict[str, list[ET.Element]] = {}
    for child in elem:
        groups.setdefault(_local(child.tag), []).append(child)
    out: dict[str, Any] = {}
    for name, elems in groups.items():
        field = shape.get(name)
        if isinstance(field, tuple) and field[0] == "array" and not isinstance(field[1], Mapping):
            item = field[1]
            # Repeated siblings are the items; a one-element array is still a list.
            out[name] = [value for e in elems for value in _array_items(e, item, depth + 1)]
            continue
        values = [
            _generic(e, depth + 1) if field is None else _parse_value(e, field, depth + 1) for e in elems
        ]
        out[name] = values[0] if len(values) == 1 else values  # repeated where one belongs: a list
    return out


def xml_to_dict(data: bytes, shape: Shape, *, root: str | None = None) -> dict[str, Any]:
    """Parse an XML response into the dict the equivalent JSON would give, guided by `shape`
    (the fields of the root element). Refuses DOCTYPE/ENTITY before parsing. `root`, when given,
    must be the root element's name."""
    import xml.etree.ElementTree as ET
    body = _refuse_unsafe(data)
    try:
        element = ET.fromstring(body)
    except ET.ParseError as exc:
        raise XmlError(f"malformed XML: {exc}") from None
    if root is not None and _local(element.tag) != root:
        raise XmlError(f"expected root element <{root}>, got <{_local(element.tag)}>")
    return _parse_object(element, shape, 0)


def _text(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise XmlError(f"{value!r} has no XML form")
        text = repr(value)
    elif isinstance(value, str):
        text = value
    else:
        raise XmlError(f"cannot write a {type(value).__name__} as XML text")
    bad = _XML_BAD_CHAR.search(text)
    if bad:
        raise XmlError(f"character {bad.group()!r} cannot appear in XML")
    # \r as a reference: a literal one would come back as \n after XML line-end normalisation.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _emit(parts: list[str], name: str, value: Any, shape: FieldShape | None, depth: int) -> None:
    if depth > _MAX_DEPTH:
        raise XmlError(f"data nested deeper than {_MAX_DEPTH} levels")
    if not _XML_NAME.match(name):
        raise XmlError(f"{name!r} is not a usable XML element name")
    if value is None:
        return  # XML has no null: the element is absent
    if isinstance(value, list | tuple):
        item = shape[1] if isinstance(shape, tuple) and shape[0] == "array" else None
        for entry in value:
            if isinstance(entry, list | tuple):
                raise XmlError(f"{name}: an array directly inside an array has no XML form")
            _emit(parts, name, entry, item if not isinstance(item, Mapping) else None, depth + 1)
        return
    if isinstance(value, Mapping):
        fields = shape[1] if isinstance(shape, tuple) and shape[0] == "object" else None
        sub: Mapping[str, FieldShape] = fields if isinstance(fields, Mapping) else {}
        parts.append(f"<{name}>")
        for key, entry in value.items():
            _emit(parts, str(key), entry, sub.get(str(key)), depth + 1)
        parts.append(f"</{name}>")
        return
    parts.append(f"<{name}>{_text(value)}</{name}>")


def dict_to_xml(root_name: str, data: Mapping[str, Any], shape: Shape) -> bytes:
    """The service's XML for `data`: arrays as repeated elements without wrappers, booleans as
    true/false, None and empty arrays as absent elements. Raises XmlError for what XML cannot hold."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    _emit(parts, root_name, data, ("object", shape), 0)
    return "".join(parts).encode("utf-8")
