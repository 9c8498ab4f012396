"""x-emulator and x-service.emulator: how the local emulator (mock-server) plays the service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..load import Pointer
from .base import Context
from .operations import Operation, Resolver
from .service import ErrorCode

DEFAULT_MAX_CLOCK_SKEW_S = 900.0
DEFAULT_SYNTHETIC_ITEMS = {"min": 0, "max": 20}
DEFAULT_STEP_S = 1.0


@dataclass(frozen=True)
class ItemFilter:
    """x-emulator filters[]: request parameter `param` keeps the items whose `field` matches (case-insensitive)."""

    param: str
    field: str
    match: str  # equals | contains | prefix


@dataclass(frozen=True)
class Lifecycle:
    """x-emulator lifecycle: the state fields a job and its items walk through, and the values they take."""

    field: str
    item_field: str
    failure_count_field: str | None
    job_states: dict[str, str]  # pending, running, done, aborted
    item_states: dict[str, str]  # pending, running, passed, failed
    failed_item_fields: dict[str, Any]


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    items: int
    failures: int
    abort: bool
    step_s: float


@dataclass(frozen=True)
class EmulatorOperation:
    """x-emulator on an operation: how the local emulator serves it (see docs/design.md)."""

    job_param: str
    unknown_job: str | None  # error code for a job with no recording
    echo: dict[str, str]  # response field -> request parameter
    constants: dict[str, Any]  # response field -> value
    filters: tuple[ItemFilter, ...]
    lifecycle: Lifecycle | None
    synthetic_items: tuple[int, int]
    synthetic_values: dict[str, tuple[Any, ...]]
    scenarios: dict[str, Scenario]


@dataclass(frozen=True)
class GatewayError:
    code: str
    message: str  # may hold {name} and {reason}
    status: int


@dataclass(frozen=True)
class EmulatorService:
    """x-service.emulator: the gateway's answers to rejected requests, and error body fields."""

    errors: dict[str, GatewayError]  # kind of rejection -> answer
    host_field: str | None
    recommend_field: str | None
    recommend_url: str | None
    request_id_header: str | None
    max_clock_skew_s: float


def emulator_service(ctx: Context, x: Any, codes: tuple[ErrorCode, ...]) -> EmulatorService | None:
    if not isinstance(x, dict):
        return None
    at: Pointer = ("x-service", "emulator")
    table = {c.code: c for c in codes}
    errors: dict[str, GatewayError] = {}
    for kind, e in (x.get("errors") or {}).items():
        known = table.get(e.get("code"))
        if known is None:
            ctx.fail((*at, "errors", kind, "code"), f"error code {e.get('code')!r} is not in x-service.errors.codes",
                     "add it to the error table (class, retryable, http_status)")
            continue
        status = e.get("status") or (known.http_status[0] if known.http_status else 400)
        errors[kind] = GatewayError(known.code, e.get("message") or known.message, int(status))
    return EmulatorService(
        errors=errors, host_field=x.get("host_field"), recommend_field=x.get("recommend_field"),
        recommend_url=x.get("recommend_url"), request_id_header=x.get("request_id_header"),
        max_clock_skew_s=float(x.get("max_clock_skew_s", DEFAULT_MAX_CLOCK_SKEW_S)),
    )


def emulator_operation(ctx: Context, find: Resolver, at: Pointer, x: Any, op: Operation,
                       codes: set[str]) -> EmulatorOperation | None:
    if not isinstance(x, dict):
        return None
    at = (*at, "x-emulator")
    params = list(op.parameters)
    model = find.models.get(op.response_model)
    find.param(params, x.get("job_param"), (*at, "job_param"), None)
    if x.get("unknown_job") and x["unknown_job"] not in codes:
        ctx.fail((*at, "unknown_job"), f"error code {x['unknown_job']!r} is not in x-service.errors.codes")
    for name, param in (x.get("echo") or {}).items():
        find.field(model, name, (*at, "echo", name), "any")
        find.param(params, param, (*at, "echo", name), None)
    for name in x.get("constants") or {}:
        find.field(model, name, (*at, "constants", name), "any")
    item = find.models.get(op.pagination.item_model) if op.pagination else None

    def item_field(name: str, where: Pointer) -> None:
        if item is None:
            ctx.fail(where, "item rules need x-pagination on the operation (it names the items)")
        else:
            find.field(item, name, where, "any", "item field")

    filters = []
    for i, f in enumerate(x.get("filters") or []):
        find.param(params, f["param"], (*at, "filters", i, "param"), None)
        item_field(f["field"], (*at, "filters", i, "field"))
        filters.append(ItemFilter(f["param"], f["field"], f.get("match", "equals")))
    lifecycle = None
    lc = x.get("lifecycle")
    if isinstance(lc, dict):
        lat = (*at, "lifecycle")
        find.field(model, lc["field"], (*lat, "field"), "string")
        item_field(lc["item_field"], (*lat, "item_field"))
        if "failure_count_field" in lc:
            find.field(model, lc["failure_count_field"], (*lat, "failure_count_field"), "integer")
        for name in lc.get("failed_item_fields") or {}:
            item_field(name, (*lat, "failed_item_fields", name))
        lifecycle = Lifecycle(lc["field"], lc["item_field"], lc.get("failure_count_field"), dict(lc["job_states"]),
                              dict(lc["item_states"]), dict(lc.get("failed_item_fields") or {}))
    synthetic = x.get("synthetic") or {}
    bounds = synthetic.get("items") or DEFAULT_SYNTHETIC_ITEMS
    if bounds["min"] > bounds["max"]:
        ctx.fail((*at, "synthetic", "items"), "min is above max")
    for name in synthetic.get("values") or {}:
        item_field(name, (*at, "synthetic", "values", name))
    scenarios = {}
    for name, sc in (x.get("scenarios") or {}).items():
        if lifecycle is None:
            ctx.fail((*at, "scenarios", name), "scenarios need a lifecycle (the states they walk through)")
        if sc["failures"] > sc["items"]:
            ctx.fail((*at, "scenarios", name, "failures"), "more failures than items")
        if sc.get("abort") and not sc["failures"]:
            ctx.fail((*at, "scenarios", name, "abort"), "an aborting scenario needs at least one failure")
        scenarios[name] = Scenario(name, sc.get("description", ""), int(sc["items"]), int(sc["failures"]),
                                   bool(sc.get("abort", False)), float(sc.get("step_s", DEFAULT_STEP_S)))
    return EmulatorOperation(
        job_param=x["job_param"], unknown_job=x.get("unknown_job"), echo=dict(x.get("echo") or {}),
        constants=dict(x.get("constants") or {}), filters=tuple(filters), lifecycle=lifecycle,
        synthetic_items=(int(bounds["min"]), int(bounds["max"])),
        synthetic_values={k: tuple(v) for k, v in (synthetic.get("values") or {}).items()},
        scenarios=scenarios,
    )
