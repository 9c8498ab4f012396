"""Verifying V2 and V3 request signatures: what the service's gateway does, and so the emulator.

Built on the canonical forms of the runtime's signer (generator/runtime/_signing.py), so signing and
verifying can never drift apart. Generated clients sign and never verify, so this stays out of them.
"""

from __future__ import annotations

import hmac
import re
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any, Final, Protocol, TypeAlias

from ..runtime._signing import (
    V2_SIGNATURE_METHOD,
    V2_SIGNATURE_VERSION,
    V3_ALGORITHM,
    canonical_request_v3,
    sha256_hex,
    sign_v2,
    v3_signature,
)

__all__ = ["SecretLookup", "SignatureError", "verify_v2", "verify_v3"]

# Maps an access key id to its secret, or None for a key that is not known.
SecretLookup: TypeAlias = Callable[[str], "str | None"]
# Headers the verifier insists on seeing signed (besides every x-acs-* header that is present).
_V3_REQUIRED: Final = ("host", "x-acs-date", "x-acs-signature-nonce", "x-acs-content-sha256")
_HEX64: Final = re.compile(r"[0-9a-f]{64}\Z")


class SignatureError(Exception):
    """A request's signature does not verify. `reason` is one of: missing, bad_format, unknown_key,
    stale, mismatch (stable strings, so a server can map them to its own error codes)."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(f"{reason}: {message}")


def _check_timestamp(value: str, max_skew_s: float | None, now: Callable[[], float]) -> None:
    """Refuse a timestamp more than max_skew_s away from now, whichever side: a stale one could be a
    replay, and one from the future would stay valid (and its nonce remembered) for too long."""
    try:
        moment = datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise SignatureError("bad_format", f"timestamp {value!r} is not %Y-%m-%dT%H:%M:%SZ") from None
    if max_skew_s is None:
        return
    ahead = moment.timestamp() - now()
    if ahead > max_skew_s:
        raise SignatureError("stale", f"timestamp {value} is more than {max_skew_s:g}s in the future")
    if -ahead > max_skew_s:
        raise SignatureError("stale", f"timestamp {value} is more than {max_skew_s:g}s in the past")


def _same(expected: str, given: str) -> bool:
    # Constant-time comparison; bytes because compare_digest refuses non-ASCII str.
    return hmac.compare_digest(
        expected.encode("utf-8", "surrogatepass"), given.encode("utf-8", "surrogatepass")
    )


def verify_v2(
    method: str,
    params: Mapping[str, str],
    secret_lookup: SecretLookup,
    *,
    max_skew_s: float | None = None,
    now: Callable[[], float] = time.time,
) -> str:
    """Check an incoming V2 request (query and form parameters merged, already decoded).

    Returns the access key id; raises SignatureError(reason) otherwise.
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
    payload_hash = sha256_hex(body)
    if not _same(payload_hash, received["x-acs-content-sha256"].strip()):
        raise SignatureError("mismatch", "the body does not match x-acs-content-sha256")
    _check_timestamp(received["x-acs-date"].strip(), max_skew_s, now)
    secret = secret_lookup(key_id)
    if secret is None:
        raise SignatureError("unknown_key", f"access key {key_id!r} is not known")
    canonical, _ = canonical_request_v3(method, path, query, {n: received[n] for n in names}, payload_hash)
    if not _same(v3_signature(secret, canonical), signature):
        raise SignatureError("mismatch", "the signature does not match the request")
    return key_id
