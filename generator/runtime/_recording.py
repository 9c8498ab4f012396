"""`record_to=PATH`: every exchange a client makes, appended to a recording (docs/validating.md, "Recordings").

One JSON object a line, written with one `write` on a file opened for appending, under a lock: safe for calls
from several threads, and lines from several processes do not interleave. Secrets never reach the file: the
signature, the access key id and the security token are redacted from the parameters, `authorization` and the
token headers from the headers. A failed write never fails the call: it is logged once, at WARNING.
Copied verbatim into every generated package (standard library only).
"""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, Any

from ._errors import RequestValidationError, shown

if TYPE_CHECKING:
    import logging
    from collections.abc import Callable

    from ._client import Exchange

__all__ = ["REDACTED", "Recorder"]

REDACTED = "[redacted]"
SECRET_PARAMS = frozenset({"AccessKeyId", "Signature", "SecurityToken"})
SECRET_HEADERS = frozenset({"authorization", "x-acs-security-token", "x-acs-accesskey-id"})


class Recorder:
    """Appends exchanges to `path` (created when the first one is written); call it with an Exchange."""

    def __init__(self, path: str | os.PathLike[str], log: Callable[[], logging.Logger]) -> None:
        if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
            raise RequestValidationError("record_to", f"must be the path of a file, not {shown(path)}")
        self.path = os.fspath(path)
        self._log = log
        self._lock = threading.Lock()
        self._failed = False

    def __call__(self, exchange: Exchange) -> None:
        try:
            line = _line(exchange)
            with self._lock, open(self.path, "ab") as out:
                out.write(line)
        except Exception as exc:  # a recording is a by-product: the call goes on
            if not self._failed:
                self._failed = True
                self._log().warning("record_to %s: cannot write the recording (%s); recording stops being "
                                    "reported, calls go on", self.path, exc)


def _line(exchange: Exchange) -> bytes:
    import base64
    import json
    import time
    from urllib.parse import parse_qsl, urlsplit

    request = exchange.request
    parts = urlsplit(request.url)
    params: dict[str, Any] = {}
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        value = REDACTED if name in SECRET_PARAMS else value
        before = params.get(name)
        params[name] = value if before is None else [*before, value] if isinstance(before, list) else [before, value]
    headers = {k.lower(): REDACTED if k.lower() in SECRET_HEADERS else v for k, v in request.headers.items()}
    now = time.time() - exchange.seconds
    record: dict[str, Any] = {
        "type": "exchange", "version": 1,
        "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z",
        "action": exchange.action,
        "request": {"method": request.method, "url": f"{parts.scheme}://{parts.netloc}{parts.path or '/'}",
                    "params": params, "headers": headers},
        "duration_ms": round(exchange.seconds * 1000, 1),
    }
    response = exchange.response
    if response is None:
        record["response"] = None
        record["error"] = f"{type(exchange.error).__name__}: {exchange.error}"
    else:
        answer: dict[str, Any] = {"status": response.status,
                                  "headers": {k.lower(): v for k, v in response.headers.items()}}
        try:
            answer["body"] = response.body.decode("utf-8")
        except UnicodeDecodeError:
            answer["body"] = base64.b64encode(response.body).decode("ascii")
            answer["body_encoding"] = "base64"
        record["response"] = answer
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
