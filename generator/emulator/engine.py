"""The emulator's brain, free of HTTP: one request in, one reply (and one log record) out.

The order of checks follows the RPC gateway: the request must be readable, name a known action and
version, carry a valid V2 or V3 signature from a configured access key (fresh timestamp, unused nonce,
live security token); then the faults get their chance; then the operation's parameters are validated
against the spec and the job's page is served, as JSON or XML per Format.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import logging
import math
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, urlsplit

from ..ir import EnumProperty, ScalarProperty, Scenario
from ..runtime._errors import XmlError
from ..runtime._signing import V3_ALGORITHM
from .api import Api, EmulatorConfigError, OperationApi
from .data import JobStore, find_data
from .faults import Fault, FaultPlan
from .replay import EmptyPage, Miss, NoAnswer, Recorded, index
from .signatures import SignatureError, verify_v2, verify_v3
from .xml_writer import dict_to_xml

LOG = logging.getLogger("generator.emulator")

DEFAULT_KEY_ID = "mock-access-key-id"
DEFAULT_KEY_SECRET = "mock-access-key-secret"  # a made-up test credential (see --help)

_SIGNATURE_ERRORS = {
    "missing": "signature_missing",
    "bad_format": "signature_malformed",
    "unknown_key": "unknown_key",
    "stale": "timestamp_expired",
    "mismatch": "signature_mismatch",
}
_SECRET_WORDS = ("secret", "token", "password", "authorization", "credential")
_INTEGER = re.compile(r"[+-]?[0-9]{1,40}\Z")
_TIMESTAMP = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\Z")
_LOG_VALUE_MAX = 120
_LOG_PARAMS_MAX = 40


@dataclass(frozen=True)
class AccessKey:
    """A key the emulator accepts. With `token` it is an STS key: requests must carry that token, and
    after `expires_at` (a time.time() value) they get the token-expired error."""

    key_id: str
    secret: str = field(repr=False)
    token: str | None = field(default=None, repr=False)
    expires_at: float | None = None


def parse_access_key(text: str, now: float | None = None) -> AccessKey:
    """`ID:SECRET`, or `ID:SECRET:TOKEN[:TTL_SECONDS]` for an STS key (TTL counted from now)."""
    parts = text.split(":")
    if len(parts) < 2 or not parts[0] or not parts[1] or len(parts) > 4:
        raise EmulatorConfigError("an access key is ID:SECRET or ID:SECRET:TOKEN[:TTL_SECONDS]")
    token = parts[2] if len(parts) > 2 and parts[2] else None
    expires = None
    if len(parts) == 4:
        try:
            ttl = float(parts[3])
        except ValueError:
            ttl = math.nan
        if not math.isfinite(ttl):
            raise EmulatorConfigError("the TTL of an STS key is a number of seconds")
        expires = (time.time() if now is None else now) + ttl
    return AccessKey(parts[0], parts[1], token, expires)


class Problem(NamedTuple):
    kind: str  # a kind of x-service.emulator errors
    reason: str
    status: int | None = None  # instead of the kind's own status (413 for a body too large)


@dataclass
class Request:
    method: str
    target: str
    headers: list[tuple[str, str]]
    body: bytes = b""
    client: str = ""
    problem: Problem | None = None  # found by the HTTP layer before the request could be read whole


@dataclass
class Reply:
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    delay_s: float = 0.0
    drop: bool = False
    truncate: bool = False
    close: bool = False


@dataclass
class _Wants:
    """What the request asked for, as far as it was read before a rejection (errors follow Format)."""

    xml: bool = False


class _Rejected(Exception):
    def __init__(self, kind: str, name: str = "", reason: str = "", code: str | None = None,
                 status: int | None = None) -> None:
        self.kind, self.name, self.reason, self.code, self.status = kind, name, reason, code, status
        super().__init__(kind)


class NonceCache:
    """Nonces seen within the clock-skew window (older ones cannot come back: their timestamp is stale)."""

    def __init__(self, ttl_s: float, limit: int = 1_000_000) -> None:
        self.ttl_s = ttl_s
        self.limit = limit
        self._seen: OrderedDict[tuple[str, str], float] = OrderedDict()
        self._lock = threading.Lock()

    def use(self, key_id: str, nonce: str, now: float) -> bool:
        """Record the nonce; False when it was seen before."""
        with self._lock:
            while self._seen:
                oldest, at = next(iter(self._seen.items()))
                if at > now - self.ttl_s and len(self._seen) < self.limit:
                    break
                del self._seen[oldest]
            if (key_id, nonce) in self._seen:
                return False
            self._seen[(key_id, nonce)] = now
            return True


def safe_params(params: Mapping[str, str]) -> dict[str, str]:
    """Parameters fit for a log line: nothing secret (signatures, tokens), long values cut."""
    out: dict[str, str] = {}
    for name, value in params.items():
        if name.lower() == "signature" or any(word in name.lower() for word in _SECRET_WORDS):
            continue
        if len(out) >= _LOG_PARAMS_MAX:
            out["..."] = f"{len(params) - len(out)} more"
            break
        out[name[:64]] = value if len(value) <= _LOG_VALUE_MAX else value[:_LOG_VALUE_MAX] + "..."
    return out


class Engine:
    def __init__(self, api: Api, *, seed: int = 0, keys: Iterable[AccessKey] = (), faults: FaultPlan | None = None,
                 data: str | None = None, scenario: str | None = None, now: Callable[[], float] = time.time,
                 clock: Callable[[], float] = time.monotonic, max_url_bytes: int = 32768,
                 record_limit: int = 10000) -> None:
        self.api = api
        self.seed = seed
        self.now = now
        self.keys: dict[str, AccessKey] = {}
        for key in keys:
            self.add_key(key)
        self.faults = faults or FaultPlan([], seed)
        self.max_url_bytes = max_url_bytes
        skew = api.gateway.max_clock_skew_s
        self.max_skew_s = skew
        self.nonces = NonceCache(skew)
        self._ids = itertools.count(1)
        self.records: deque[dict[str, Any]] = deque(maxlen=record_limit)
        self.stores: dict[str, JobStore] = {}
        chosen: tuple[Scenario, float] | None = None
        if scenario:
            from .scenarios import parse_scenario

            errors = []
            for op in api.operations.values():
                try:
                    chosen = parse_scenario(scenario, op)
                    break
                except EmulatorConfigError as exc:
                    errors.append(str(exc))
            if chosen is None:
                raise EmulatorConfigError(errors[0])
        files = find_data(data) if data is not None else None
        self.replays = index(api, files) if files is not None and files.recordings else None
        for action, op in api.operations.items():
            use = chosen if chosen and chosen[0].name in op.cfg.scenarios else None
            self.stores[action] = JobStore(
                api, op, seed=seed, scenario=use[0] if use else None, step_s=use[1] if use else None, data=files,
                replay=self.replays.by_action.get(action) if self.replays else None, clock=clock)
        if files is not None and not any(s.recordings or s.replay for s in self.stores.values()):
            found = f": {self.replays.summary}" if self.replays else ""
            raise EmulatorConfigError(f"--data {files.given}: nothing to serve{found}")
        service = api.ir.service
        self.retry_header = service.retry.get("retry_after_header")
        self.request_id_header = api.gateway.request_id_header
        self.error_order = [f.wire for f in api.ir.model(service.error_model).fields] if service.error_model else []

    # ------------------------------------------------------------------ configuration
    def add_key(self, key: AccessKey) -> None:
        self.keys[key.key_id] = key

    def store(self, action: str | None = None) -> JobStore:
        if action is None:
            return next(iter(self.stores.values()))
        return self.stores[action]

    # ------------------------------------------------------------------ helpers
    def request_id(self) -> str:
        digest = hashlib.sha256(f"{self.seed}:request:{next(self._ids)}".encode()).hexdigest().upper()
        return f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"

    def error_body(self, code: str, message: str, request_id: str, host: str) -> dict[str, Any]:
        service = self.api.ir.service
        gw = self.api.gateway
        values: dict[str, Any] = {service.error_code_field: code, service.error_message_field: message}
        if service.error_request_id_field:
            values[service.error_request_id_field] = request_id
        if gw.host_field:
            values[gw.host_field] = host
        if gw.recommend_field and gw.recommend_url:
            values[gw.recommend_field] = (gw.recommend_url.replace("{code}", code)
                                          .replace("{product}", self.api.product)
                                          .replace("{request_id}", request_id))
        order = {name: i for i, name in enumerate(self.error_order)}
        return dict(sorted(values.items(), key=lambda kv: order.get(kv[0], len(order))))

    def encode(self, doc: Mapping[str, Any], xml_root: str | None, shape: Mapping[str, Any]) -> tuple[str, bytes]:
        if xml_root is not None:
            try:
                return "text/xml;charset=utf-8", dict_to_xml(xml_root, doc, dict(shape))
            except XmlError:
                pass  # data XML cannot hold (control characters): JSON rather than nothing
        return "application/json;charset=utf-8", json.dumps(doc, ensure_ascii=False,
                                                            separators=(",", ":")).encode("utf-8")

    def error_reply(self, kind: str, request_id: str, host: str, *, name: str = "", reason: str = "",
                    xml: bool = False, code: str | None = None, status: int | None = None,
                    headers: Iterable[tuple[str, str]] = ()) -> tuple[Reply, str]:
        if code is not None:
            message = self.api.message_of(code) or f"The request was refused ({reason or code})."
            status = status or self.api.status_of(code)
        else:
            g = self.api.gateway_error(kind)
            code = g.code
            message = g.message.replace("{name}", name).replace("{reason}", reason)
            if ("{name}" in g.message and not name) or ("{reason}" in g.message and not reason):
                message = message.replace('""', "").replace(":.", ".").replace(" .", ".")
            status = status or g.status
        body = self.error_body(code, message, request_id, host)
        ctype, raw = self.encode(body, self.api.ir.service.error_xml_root if xml else None, self.api.error_shape)
        out = [("Content-Type", ctype), *headers]
        if self.request_id_header:
            out.append((self.request_id_header, request_id))
        return Reply(status, out, raw), code

    # ------------------------------------------------------------------ the request
    def handle(self, req: Request) -> tuple[Reply, dict[str, Any]]:
        request_id = self.request_id()
        host = next((v for k, v in req.headers if k.lower() == "host"), "") or "localhost"
        record: dict[str, Any] = {
            "ts": datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "request_id": request_id, "client": req.client, "method": req.method, "action": None,
            "version": None, "signature": None, "access_key_id": None, "params": {}, "verdict": "ok",
            "status": None, "faults": [],
        }
        wants = _Wants()
        try:
            if req.problem is not None:
                raise _Rejected(req.problem.kind, reason=req.problem.reason, status=req.problem.status)
            reply = self._handle(req, request_id, host, record, wants)
        except _Rejected as rej:
            reply, code = self.error_reply(rej.kind, request_id, host, name=rej.name, reason=rej.reason,
                                           xml=wants.xml, code=rej.code, status=rej.status)
            reply.close = req.problem is not None  # the connection's state is unknown: start afresh
            record["verdict"] = code
            if rej.reason:
                record["reason"] = rej.reason
        except Exception as exc:  # never a traceback to the client: log it, answer the temporary failure
            # One line, no traceback (that needs DEBUG): the console stays clean like the client's answer.
            LOG.error("emulator: internal error on request %s: %s: %s", request_id, type(exc).__name__, exc)
            LOG.debug("emulator: internal error on request %s", request_id, exc_info=True)
            reply, code = self.error_reply("unavailable", request_id, host)
            record["verdict"] = code
            record["internal_error"] = type(exc).__name__
        record["status"] = None if reply.drop else reply.status
        return reply, record

    def _handle(self, req: Request, request_id: str, host: str, record: dict[str, Any],
                wants: _Wants) -> Reply:
        if len(req.target) > self.max_url_bytes:
            raise _Rejected("too_large", reason=f"the URL has {len(req.target)} bytes, at most "
                            f"{self.max_url_bytes} are accepted")
        parts = urlsplit(req.target)
        try:
            query = dict(parse_qsl(parts.query, keep_blank_values=True, errors="strict", max_num_fields=1000))
            form: dict[str, str] = {}
            ctype = next((v for k, v in req.headers if k.lower() == "content-type"), "")
            if req.body and ctype.split(";")[0].strip().lower() == "application/x-www-form-urlencoded":
                text = req.body.decode("utf-8")
                form = dict(parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=1000))
        except UnicodeDecodeError:
            raise _Rejected("bad_request", reason="the parameters are not UTF-8") from None
        except ValueError as exc:
            raise _Rejected("bad_request", reason=str(exc).rstrip(".")) from None
        params = {**form, **query}
        record["params"] = safe_params(params)
        xml = wants.xml = params.get("Format", "").upper() == "XML"
        headers = {k.lower(): v for k, v in req.headers}
        if parts.path not in ("", "/") or req.method not in ("GET", "POST"):
            raise _Rejected("unknown_api")
        authorization = headers.get("authorization", "")
        if authorization.startswith(V3_ALGORITHM):
            scheme = "v3"
        elif "Signature" in params or "SignatureMethod" in params:
            scheme = "v2"
        else:
            scheme = None
        record["signature"] = scheme
        if scheme == "v3":
            action, version = headers.get("x-acs-action"), headers.get("x-acs-version")
        else:
            action, version = params.get("Action"), params.get("Version")
        action = action or params.get("Action") or headers.get("x-acs-action")
        version = version or params.get("Version") or headers.get("x-acs-version")
        record["action"], record["version"] = action, version
        if not action:
            raise _Rejected("missing_parameter", name="Action")
        op = self.api.operations.get(action)
        if op is None:
            raise _Rejected("unknown_action")
        if req.method not in op.op.http_methods:
            raise _Rejected("unknown_api")
        if not version:
            raise _Rejected("missing_parameter", name="Version")
        if version != self.api.version:
            raise _Rejected("invalid_version")
        record["access_key_id"] = self._authenticate(req, scheme, parts.path or "/", query, params, headers)

        struck = self.faults.strike() if self.faults else {}
        record["faults"] = sorted(struck)
        delay = struck["slow"].options.get("ms", 300) / 1000 if "slow" in struck else 0.0
        if "drop" in struck:
            return Reply(0, [], b"", delay_s=delay, drop=True)
        for name, kind in (("throttle", "throttled"), ("unavailable", "unavailable")):
            if name in struck:
                reply = self._fault_error(struck[name], kind, request_id, host, xml)
                reply.delay_s = delay
                record["verdict"] = self.api.gateway_error(kind).code
                return reply

        values = self._validate(op, params)
        store = self.stores[action]
        job_id = self._job_id(op, params)
        job = store.jobs.get(job_id)  # a job added by add_job() comes first
        why = None
        if job is None and store.replay is not None:
            answer = store.replay.answer(job_id, params, xml)
            if not isinstance(answer, Miss):
                return self._replayed(op, answer, request_id, record, struck, delay, xml)
            why = answer.reason if store.replay.knows(job_id) else None
        if job is None:
            job = store.get(job_id, params)
        if job is None:
            raise _Rejected("unknown_job", code=op.cfg.unknown_job or self.api.gateway_error("invalid_parameter").code,
                            reason=why or store.why_missing(job_id, params))
        if job.error is not None:
            status, body = job.error
            body = dict(body)
            rid_field = self.api.ir.service.error_request_id_field
            if rid_field and rid_field in body:
                body[rid_field] = request_id
            ctype, raw = self.encode(body, self.api.ir.service.error_xml_root if xml else None,
                                     self.api.error_shape)
            record["verdict"] = str(body.get(self.api.ir.service.error_code_field))
            return self._finish(Reply(status, [("Content-Type", ctype)], raw, delay_s=delay), request_id,
                                struck)
        page = store.page(job, values, params, request_id, clamp=self.faults.clamp, shift=self.faults.shift)
        if xml:
            ctype, raw = self.encode(page.to_dict(), op.op.xml_root, op.response_shape)
        else:
            ctype, raw = "application/json;charset=utf-8", page.to_json()
        record["items"] = len(page.refs)
        return self._finish(Reply(200, [("Content-Type", ctype)], raw, delay_s=delay), request_id, struck)

    def _replayed(self, op: OperationApi, answer: Recorded | NoAnswer | EmptyPage, request_id: str,
                  record: dict[str, Any], struck: Mapping[str, Fault], delay: float, xml: bool) -> Reply:
        """A recorded answer (replay.py) as it was recorded; an empty page past a list's end in the asked format."""
        if isinstance(answer, NoAnswer):
            record["replayed"] = answer.where
            return Reply(0, [], b"", delay_s=delay, drop=True)
        if isinstance(answer, EmptyPage):
            record["replayed"] = f"past the last page, {answer.where}"
            doc = answer.doc
            rid_field = self.api.ir.service.error_request_id_field
            if rid_field and rid_field in doc:
                doc[rid_field] = request_id
            ctype, raw = self.encode(doc, op.op.xml_root if xml else None, op.response_shape)
            record["items"] = 0
            return self._finish(Reply(200, [("Content-Type", ctype)], raw, delay_s=delay), request_id, struck)
        record["replayed"] = answer.where
        if answer.code is not None:
            record["verdict"] = answer.code
        return self._finish(Reply(answer.status, list(answer.headers), answer.body, delay_s=delay), request_id,
                            struck)

    @staticmethod
    def _job_id(op: OperationApi, params: Mapping[str, str]) -> str:
        """The job a request selects. An optional job parameter left out selects the job its spec default
        names; with no default it is missing like a required one (the spec's missing-parameter error)."""
        name = op.cfg.job_param
        text = params.get(name)
        if text:
            return text
        default = op.params[name].default if name in op.params else None
        if default is None:
            raise _Rejected("missing_parameter", name=name)
        return str(default)

    def _finish(self, reply: Reply, request_id: str, struck: Mapping[str, Fault]) -> Reply:
        if self.request_id_header:
            reply.headers.append((self.request_id_header, request_id))
        if "truncate" in struck:
            reply.truncate = True
        elif "malformed" in struck:
            reply.body = reply.body[: max(1, len(reply.body) // 2)]
        return reply

    def _fault_error(self, fault: Fault, kind: str, request_id: str, host: str, xml: bool) -> Reply:
        extra: list[tuple[str, str]] = []
        if kind == "throttled" and self.retry_header:
            extra.append((self.retry_header, str(int(fault.options.get("retry-after", 200)))))
        status = int(fault.options["status"]) if "status" in fault.options else None
        reply, _ = self.error_reply(kind, request_id, host, xml=xml, status=status, headers=extra)
        return reply

    # ------------------------------------------------------------------ signatures
    def _authenticate(self, req: Request, scheme: str | None, path: str, query: Mapping[str, str],
                      params: Mapping[str, str], headers: Mapping[str, str]) -> str:
        if scheme is None:
            raise _Rejected("signature_missing", reason="the request is not signed")

        def lookup(key_id: str) -> str | None:
            key = self.keys.get(key_id)
            return key.secret if key else None

        if scheme == "v3":
            stamp, nonce, token = headers.get("x-acs-date"), headers.get("x-acs-signature-nonce"), \
                headers.get("x-acs-security-token")
        else:
            stamp, nonce, token = params.get("Timestamp"), params.get("SignatureNonce"), params.get("SecurityToken")
        if stamp and not _TIMESTAMP.match(stamp.strip()):
            raise _Rejected("timestamp_malformed")
        try:
            if scheme == "v3":
                key_id = verify_v3(req.method, path, query, req.headers, req.body, lookup,
                                   max_skew_s=self.max_skew_s, now=self.now)
            else:
                key_id = verify_v2(req.method, params, lookup, max_skew_s=self.max_skew_s, now=self.now)
        except SignatureError as exc:
            reason = str(exc).partition(": ")[2] or exc.reason
            raise _Rejected(_SIGNATURE_ERRORS.get(exc.reason, "signature_malformed"), reason=reason) from None
        key = self.keys[key_id]
        if key.token is not None or token:
            if key.token is None or token is None or not hmac.compare_digest(key.token.encode(), token.encode()):
                raise _Rejected("token_invalid")
            if key.expires_at is not None and self.now() >= key.expires_at:
                raise _Rejected("token_expired")
        if not nonce or not self.nonces.use(key_id, nonce, self.now()):
            raise _Rejected("nonce_used")
        return key_id

    # ------------------------------------------------------------------ parameters
    def _validate(self, op: OperationApi, params: Mapping[str, str]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for p in op.op.parameters:
            text = params.get(p.wire)
            if text is None or text == "":
                if p.required:
                    raise _Rejected("missing_parameter", name=p.wire)
                continue
            prop = p.prop
            if isinstance(prop, ScalarProperty) and prop.json_type == "integer":
                if not _INTEGER.match(text.strip()):
                    raise _Rejected("invalid_parameter", name=p.wire, reason="not an integer")
                number = int(text)
                if p.minimum is not None and number < p.minimum:
                    raise _Rejected("invalid_parameter", name=p.wire, reason=f"below the minimum {p.minimum}")
                if p.maximum is not None and number > p.maximum:
                    raise _Rejected("invalid_parameter", name=p.wire, reason=f"above the maximum {p.maximum}")
                values[p.wire] = number
            elif isinstance(prop, ScalarProperty) and prop.json_type == "number":
                try:
                    values[p.wire] = float(text)
                except ValueError:
                    raise _Rejected("invalid_parameter", name=p.wire, reason="not a number") from None
            elif isinstance(prop, ScalarProperty) and prop.json_type == "boolean":
                if text not in op.boolean_texts:
                    raise _Rejected("invalid_parameter", name=p.wire, reason="not true or false")
                values[p.wire] = op.boolean_texts[text]
            elif isinstance(prop, EnumProperty) and p.wire in op.closed_values:
                if text not in op.closed_values[p.wire]:
                    raise _Rejected("invalid_parameter", name=p.wire, reason="not one of the allowed values")
                values[p.wire] = text
            else:
                values[p.wire] = text
        return values

    # ------------------------------------------------------------------ the log
    def log(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        if LOG.isEnabledFor(logging.INFO):
            LOG.info(json.dumps(record, ensure_ascii=False, separators=(",", ":")))
