"""Recordings written as docs/validating.md ("Recordings") describes, from real exchanges: a Transport that sends
through the client's own HttpTransport and appends each exchange to a JSON Lines file. It stands in for the
client's `record_to` until that lands; the replay tests build on the documented format, not on this helper.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from dts_precheck.client import HttpTransport
from dts_precheck.errors import TransportError

REDACTED = "[redacted]"
SECRET_PARAMS = frozenset({"AccessKeyId", "Signature", "SecurityToken"})
SECRET_HEADERS = frozenset({"authorization", "x-acs-security-token", "x-acs-accesskey-id"})


def _params(url: str, headers: Mapping[str, str], body: bytes) -> dict[str, str | list[str]]:
    pairs = parse_qsl(urlsplit(url).query, keep_blank_values=True)
    ctype = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if body and ctype.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
        pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True)
    out: dict[str, str | list[str]] = {}
    for name, value in pairs:
        value = REDACTED if name in SECRET_PARAMS else value
        if name in out:
            before = out[name]
            out[name] = [*before, value] if isinstance(before, list) else [before, value]
        else:
            out[name] = value
    return out


class RecordingTransport:
    """Sends through HttpTransport and appends every exchange (answered or not) as one line of `path`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.inner = HttpTransport()
        self.lock = threading.Lock()
        self.lines = 0

    def request(self, method: str, url: str, headers: Mapping[str, str], body: bytes, *, budget_s: float) -> Any:
        sent = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
        started = time.perf_counter()
        params = _params(url, headers, body)
        lower = {k.lower(): (REDACTED if k.lower() in SECRET_HEADERS else v) for k, v in headers.items()}
        action = lower.get("x-acs-action") or params.get("Action")
        parts = urlsplit(url)
        exchange: dict[str, Any] = {
            "type": "exchange", "version": 1, "time": sent, "action": action,
            "request": {"method": method, "url": f"{parts.scheme}://{parts.netloc}{parts.path or '/'}",
                        "params": params, "headers": lower},
        }
        try:
            response = self.inner.request(method, url, headers, body, budget_s=budget_s)
        except TransportError as exc:
            self._write({**exchange, "response": None, "error": str(exc),
                         "duration_ms": round((time.perf_counter() - started) * 1000, 3)})
            raise
        answer: dict[str, Any] = {"status": response.status,
                                  "headers": {k.lower(): response.headers[k] for k in response.headers}}
        try:
            answer["body"] = response.body.decode("utf-8")
        except UnicodeDecodeError:
            answer["body"], answer["body_encoding"] = base64.b64encode(response.body).decode("ascii"), "base64"
        self._write({**exchange, "response": answer, "duration_ms": round((time.perf_counter() - started) * 1000, 3)})
        return response

    def _write(self, exchange: dict[str, Any]) -> None:
        line = json.dumps(exchange, ensure_ascii=False, separators=(",", ":")) + "\n"
        with self.lock, self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            self.lines += 1

    def close(self) -> None:
        self.inner.close()
