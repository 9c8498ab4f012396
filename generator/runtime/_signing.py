"""Request signing, V2 (HMAC-SHA1 over the sorted query) and V3 (ACS3-HMAC-SHA256 over a canonical
request), and the canonical forms both share.

Copied verbatim into every generated package (standard library only). Verifying signatures is the
emulator's business (generator/emulator/signatures.py builds on the canonical forms here), so a client
carries no verifier.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from typing import Final

from ._credentials import Credentials

__all__ = [
    "EMPTY_SHA256",
    "V2_SIGNATURE_METHOD",
    "V2_SIGNATURE_VERSION",
    "V3_ALGORITHM",
    "build_v2_query",
    "canonical_query",
    "canonical_request_v3",
    "new_nonce",
    "percent_encode",
    "sha256_hex",
    "sign_v2",
    "sign_v3",
    "string_to_sign_v2",
    "string_to_sign_v3",
    "utc_timestamp",
    "v3_signature",
]

# Hashing, HMAC and base64 are imported where used: each costs more to import than this module, and a
# program that imports the package only to parse should not pay for them.

_UNRESERVED_TEXT: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~"
_UNRESERVED: Final = frozenset(_UNRESERVED_TEXT.encode("ascii"))
_ENCODED_BYTE: Final = tuple(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in range(256))


def percent_encode(value: str) -> str:
    """RFC 3986 over UTF-8: only A-Za-z0-9-_.~ stay literal (space is %20, '*' is %2A, '~' stays).

    Not urllib's quote(): its safe set and '+' handling differ between callers; signing needs exactly this.
    """
    if not value.strip(_UNRESERVED_TEXT):
        return value  # every character unreserved (names, ids, dates): nothing to do
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


# ---------------------------------------------------------------------------------------------------
# Signature V3: ACS3-HMAC-SHA256 over a canonical request (method, path, query, headers, payload hash)
# ---------------------------------------------------------------------------------------------------

V3_ALGORITHM: Final = "ACS3-HMAC-SHA256"
EMPTY_SHA256: Final = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"  # sha256(b"")


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


def sha256_hex(body: bytes) -> str:
    """The payload hash V3 signs (x-acs-content-sha256)."""
    if not body:
        return EMPTY_SHA256  # every RPC call: no body
    import hashlib

    return hashlib.sha256(body).hexdigest()


def string_to_sign_v3(canonical_request: str) -> str:
    import hashlib

    return f"{V3_ALGORITHM}\n{hashlib.sha256(canonical_request.encode('utf-8')).hexdigest()}"


def v3_signature(secret: str, canonical_request: str) -> str:
    """hex(HMAC-SHA256(secret, StringToSign)): what the authorization header carries."""
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
    payload_hash = sha256_hex(body)
    out["x-acs-content-sha256"] = payload_hash
    if credentials.security_token:
        out["x-acs-security-token"] = credentials.security_token
    canonical, signed = canonical_request_v3(method, path, query, out, payload_hash)
    signature = v3_signature(credentials.access_key_secret, canonical)
    out["authorization"] = (
        f"{V3_ALGORITHM} Credential={credentials.access_key_id},SignedHeaders={signed},Signature={signature}"
    )
    return out
