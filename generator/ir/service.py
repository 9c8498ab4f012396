"""x-service: the service's identity, endpoints, signing, retries, error table and lenient policy."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..load import Pointer
from .base import Context, as_dict
from .names import RESERVED_ERROR_ATTRS, RESERVED_MODULE, Scope, is_identifier
from .schemas import LenientPolicy, Model, lenient_policy

# Defaults of what the spec may leave out, declared once.
DEFAULT_TIMEOUTS = {"connect_s": 5.0, "read_s": 10.0}
DEFAULT_RETRY: dict[str, Any] = {"max_attempts": 3, "base_delay_ms": 200, "max_delay_ms": 20000, "deadline_s": 60,
                                 "retry_after_header": None}
DEFAULT_ERROR_ROOT = "Error"
ASYNC_PREFIX = "Async"  # the async client's class is the client's name after it (AsyncShopClient)


@dataclass(frozen=True)
class ErrorCode:
    code: str
    class_name: str
    http_status: tuple[int, ...]
    message: str
    retryable: bool
    refresh_credentials: bool
    source: str = ""  # where the code is known from (doc, observed, gateway), when the spec says


@dataclass(frozen=True)
class ErrorField:
    """A field of the error body that becomes an attribute of the errors (beyond code and message)."""

    wire: str
    attr: str


@dataclass(frozen=True)
class Service:
    title: str
    product: str
    api_version: str
    package: str
    client_class: str
    async_client_class: str  # ASYNC_PREFIX + client_class unless that name is taken
    regions: dict[str, str]
    fallback: str
    network_fallback: str | None
    signing_default: str
    signing_supported: tuple[str, ...]
    credentials_env: dict[str, str]
    timeouts: dict[str, float]
    retry: dict[str, Any]
    error_model: str
    error_code_field: str
    error_message_field: str
    error_request_id_field: str | None
    error_request_id_attr: str | None
    error_fields: tuple[ErrorField, ...]  # the error body's other fields, as error attributes
    error_xml_root: str
    error_base: str
    success_field: str | None
    error_codes: tuple[ErrorCode, ...]
    lenient: LenientPolicy
    emulator: Any = None  # EmulatorService | None (see emulator.py)

    @property
    def error_classes(self) -> tuple[str, ...]:
        """The error table's classes, each once, in a stable order."""
        return tuple(sorted({c.class_name for c in self.error_codes}))

    def codes_of(self, class_name: str) -> tuple[ErrorCode, ...]:
        return tuple(c for c in self.error_codes if c.class_name == class_name)


def error_class_names(data: dict[str, Any]) -> set[str]:
    """The class names the spec chooses itself (errors, waiter errors, the clients): component classes yield."""
    x = as_dict(data.get("x-service"))
    errors = as_dict(x.get("errors"))
    names = {str(c.get("class")) for c in errors.get("codes") or [] if isinstance(c, dict) and c.get("class")}
    if errors.get("base_class"):
        names.add(str(errors["base_class"]))
    if x.get("client_class"):
        names.add(str(x["client_class"]))
        names.add(ASYNC_PREFIX + str(x["client_class"]))
    for item in (data.get("paths") or {}).values():
        for op in (item or {}).values() if isinstance(item, dict) else ():
            waiters = op.get("x-waiters") if isinstance(op, dict) else None
            for w in (waiters or {}).values() if isinstance(waiters, dict) else ():
                if isinstance(w, dict):
                    names.add(str(w.get("error_class", "WaiterFailedError")))
    return names


def build_service(ctx: Context, models: dict[str, Model], component_classes: dict[str, str]) -> Service:
    x = ctx.mapping(ctx.data.get("x-service"), ("x-service",), "x-service")
    at: Pointer = ("x-service",)
    errors = ctx.mapping(x.get("errors"), (*at, "errors"), "x-service.errors")
    ref = (errors.get("schema") or {}).get("$ref", "") if isinstance(errors.get("schema"), dict) else ""
    prefix = "#/components/schemas/"
    error_model = ref[len(prefix):] if isinstance(ref, str) and ref.startswith(prefix) else ""
    if error_model not in models:
        ctx.fail((*at, "errors", "schema"), f"the error schema {ref!r} must $ref an object component")
        error_model = ""
    base = str(errors.get("base_class", ""))
    taken = set(component_classes.values()) | RESERVED_MODULE
    for name in {base, *(str(c.get("class", "")) for c in errors.get("codes") or [] if isinstance(c, dict))}:
        if name in taken:
            ctx.fail((*at, "errors"), f"error class {name!r} clashes with a name the package already defines",
                     "choose another class name")
    codes = []
    for i, c in enumerate(errors.get("codes") or []):
        if not isinstance(c, dict):
            continue
        codes.append(ErrorCode(str(c.get("code", "")), str(c.get("class", "")), tuple(c.get("http_status", ())),
                               str(c.get("message", "")), bool(c.get("retryable")),
                               bool(c.get("refresh_credentials", False)), str(c.get("source", ""))))
        if c.get("class") == base:
            ctx.fail((*at, "errors", "codes", i, "class"), "an error code cannot use the base class name")
    for name in {c.class_name for c in codes}:
        if len({c.retryable for c in codes if c.class_name == name}) > 1:
            ctx.fail((*at, "errors", "codes"), f"the codes of {name} disagree on `retryable`",
                     "a class has one `retryable`: give the codes that differ a class of their own")
    fields: list[ErrorField] = []
    rid_attr = None
    if error_model:
        wires = {f.wire: f for f in models[error_model].fields}
        for key in ("code_field", "message_field", "request_id_field"):
            if key in errors and errors[key] not in wires:
                ctx.fail((*at, "errors", key), f"names error field {errors[key]!r}, which {error_model} "
                         "does not have", "fields available: " + ", ".join(sorted(wires)))
        # The error's attributes share the exception's namespace: its own attributes come first.
        scope = Scope(RESERVED_ERROR_ATTRS)
        for f in models[error_model].fields:
            if f.wire in (errors.get("code_field"), errors.get("message_field")):
                continue
            attr = scope.take(f.attr, f.wire)
            fields.append(ErrorField(f.wire, attr))
            if f.wire == errors.get("request_id_field"):
                rid_attr = attr
    endpoints = ctx.mapping(x.get("endpoints"), (*at, "endpoints"), "endpoints")
    signing = ctx.mapping(x.get("signing"), (*at, "signing"), "signing")
    if signing.get("default") not in signing.get("supported", []):
        ctx.fail((*at, "signing", "default"), "the default signing version must be listed in 'supported'")
    for key in ("package", "client_class"):
        if key in x and not is_identifier(str(x[key])):
            ctx.fail((*at, key), f"{key} {x[key]!r} is not a Python identifier")
    client_class = str(x.get("client_class", ""))
    # The async client is named after the client; should that name be one the spec chose for another class,
    # the collision rule applies (components yielded to it already).
    others = error_class_names(ctx.data) - {ASYNC_PREFIX + client_class}
    classes = Scope(set(component_classes.values()) | RESERVED_MODULE | others)
    info = as_dict(ctx.data.get("info"))
    return Service(
        title=str(info.get("title", "")),
        product=str(x.get("product", "")),
        api_version=str(x.get("api_version", "")),
        package=str(x.get("package", "")),
        client_class=client_class,
        async_client_class=classes.take(ASYNC_PREFIX + client_class, client_class) if client_class else "",
        regions=dict(sorted((endpoints.get("regions") or {}).items())),
        fallback=str(endpoints.get("fallback", "")),
        network_fallback=endpoints.get("network_fallback"),
        signing_default=str(signing.get("default", "v3")),
        signing_supported=tuple(signing.get("supported", ())),
        credentials_env=dict(x.get("credentials_env") or {}),
        timeouts={**DEFAULT_TIMEOUTS, **{k: float(v) for k, v in (x.get("timeouts") or {}).items()}},
        retry={**DEFAULT_RETRY, **(x.get("retry") or {})},
        error_model=error_model,
        error_xml_root=str(errors.get("xml_root", DEFAULT_ERROR_ROOT)),
        error_code_field=str(errors.get("code_field", "")),
        error_message_field=str(errors.get("message_field", "")),
        error_request_id_field=errors.get("request_id_field"),
        error_request_id_attr=rid_attr,
        error_fields=tuple(fields),
        error_base=base,
        success_field=errors.get("success_field"),
        error_codes=tuple(codes),
        lenient=lenient_policy(ctx, x.get("lenient"), (*at, "lenient")),
    )
