"""A minimal signed caller for the emulator (tests, the benchmark, trying things by hand).

Signs with the same runtime the generated packages carry (V2 or V3), over one keep-alive
http.client connection, and hands back the raw answer: status, headers, body. It decides nothing
(no retries, no parsing beyond `json()`), so tests see exactly what the server sent.
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..runtime._credentials import Credentials
from ..runtime._signing import build_v2_query, canonical_query, new_nonce, sign_v3, utc_timestamp


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Caller:
    """Calls one action of the API at `url` with one access key. Not thread-safe: one per thread."""

    def __init__(self, url: str, action: str, version: str, key_id: str, secret: str, *,
                 token: str | None = None, signing: str = "v3", timeout_s: float = 10.0) -> None:
        parts = urlsplit(url)
        self.host = parts.hostname or "127.0.0.1"
        self.port = parts.port or 80
        self.netloc = parts.netloc
        self.action, self.version = action, version
        self.credentials = Credentials(key_id, secret, token)
        self.signing = signing
        self.timeout_s = timeout_s
        self._conn: http.client.HTTPConnection | None = None

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def __enter__(self) -> Caller:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(self, params: Mapping[str, Any], *, method: str = "POST", fmt: str | None = None,
                timestamp: str | None = None, nonce: str | None = None, form: bool = False,
                extra_headers: Mapping[str, str] | None = None) -> Answer:
        """Sign and send; `form` puts the parameters in a form body instead of the query (V2 only)."""
        texts = {k: _text(v) for k, v in params.items() if v is not None}
        stamp = timestamp or utc_timestamp()
        once = nonce or new_nonce()
        headers: dict[str, str] = {}
        body = b""
        if self.signing == "v2":
            query = build_v2_query(method, self.action, self.version, texts, self.credentials,
                                   timestamp=stamp, nonce=once, response_format=fmt or "JSON")
            encoded = canonical_query(query)
            if form:
                body = encoded.encode("ascii")
                headers["content-type"] = "application/x-www-form-urlencoded"
                target = "/"
            else:
                target = "/?" + encoded
        else:
            if fmt:
                texts["Format"] = fmt
            signed = sign_v3(method, "/", texts, {"host": self.netloc}, body, self.credentials,
                             timestamp=stamp, nonce=once, action=self.action, version=self.version)
            headers.update(signed)
            target = "/?" + canonical_query(texts) if texts else "/"
        headers.update(extra_headers or {})
        return self.send(method, target, headers, body)

    def send(self, method: str, target: str, headers: Mapping[str, str], body: bytes = b"") -> Answer:
        """Send as given (nothing signed), on the kept connection; a broken connection is not retried."""
        if self._conn is None:
            self._conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout_s)
        conn = self._conn
        try:
            conn.putrequest(method, target, skip_host="host" in {k.lower() for k in headers},
                            skip_accept_encoding=True)
            for name, value in headers.items():
                conn.putheader(name, value)
            if body or method == "POST":
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            response = conn.getresponse()
            data = response.read()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, data)
            if response.will_close:
                self.close()
            return answer
        except BaseException:
            self.close()
            raise


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
