"""What the emulator knows about the API it plays: everything read from the spec's IR, nothing hand-copied.

The operation's `x-emulator` and the service's `x-service.emulator` (see docs/design.md) say what the
spec alone cannot: which parameter selects a job, which parameters filter which item fields, which
states a job walks through, which error the gateway answers for each kind of rejected request.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from ..ir import (
    IR,
    EmulatorOperation,
    EmulatorService,
    EnumProperty,
    ErrorCode,
    GatewayError,
    Model,
    Operation,
    Pagination,
    Parameter,
    ScalarProperty,
    UnionProperty,
)


class EmulatorConfigError(ValueError):
    """The spec (or an option) cannot drive the emulator; the message says what is missing."""


@dataclass(frozen=True)
class OperationApi:
    op: Operation
    cfg: EmulatorOperation
    pagination: Pagination
    params: dict[str, Parameter]
    item_model: Model
    response_shape: dict[str, Any]
    # item field -> (json type, enum values or None) for every scalar or enum field of the item model
    item_fields: dict[str, tuple[str, tuple[str, ...] | None]]
    # parameter -> the values a closed value set allows (open value sets take any string)
    closed_values: dict[str, frozenset[str]]
    boolean_texts: dict[str, bool]

    @property
    def action(self) -> str:
        return self.op.action


@dataclass(frozen=True)
class Api:
    ir: IR
    gateway: EmulatorService
    operations: dict[str, OperationApi]
    error_table: dict[str, ErrorCode]
    error_shape: dict[str, Any]
    spec_path: str

    @property
    def version(self) -> str:
        return self.ir.service.api_version

    @property
    def product(self) -> str:
        return self.ir.service.product

    def gateway_error(self, kind: str) -> GatewayError:
        return self.gateway.errors[kind]

    def status_of(self, code: str, default: int = 400) -> int:
        known = self.error_table.get(code)
        return known.http_status[0] if known and known.http_status else default

    def message_of(self, code: str) -> str:
        known = self.error_table.get(code)
        return known.message if known else ""


def _operation(ir: IR, op: Operation) -> OperationApi | None:
    from ..ir.xml import xml_shape

    if op.emulator is None:
        return None
    if op.pagination is None:
        raise EmulatorConfigError(f"operation {op.action}: x-emulator needs x-pagination (it names the items)")
    item_model = ir.model(op.pagination.item_model)
    enums = {e.name: tuple(m.value for m in e.members) for e in ir.enums}
    open_enums = {e.name for e in ir.enums if e.open}
    fields: dict[str, tuple[str, tuple[str, ...] | None]] = {}
    for f in item_model.fields:
        if isinstance(f.prop, ScalarProperty):
            fields[f.wire] = (f.prop.json_type, None)
        elif isinstance(f.prop, UnionProperty):  # several scalar types: made up as the first one listed
            fields[f.wire] = (f.prop.json_types[0], None)
        elif isinstance(f.prop, EnumProperty):
            fields[f.wire] = ("string", enums.get(f.prop.enum, ()))
    closed = {
        p.wire: frozenset(enums.get(p.prop.enum, ()))
        for p in op.parameters
        if isinstance(p.prop, EnumProperty) and p.prop.enum not in open_enums
    }
    texts = {"true": True, "false": False, **dict(ir.service.lenient.booleans)}
    return OperationApi(
        op=op, cfg=op.emulator, pagination=op.pagination, params={p.wire: p for p in op.parameters},
        item_model=item_model, response_shape=xml_shape(ir.model_index, op.response_model), item_fields=fields,
        closed_values=closed, boolean_texts=texts,
    )


def from_ir(ir: IR, spec_path: str = "") -> Api:
    from ..ir.xml import xml_shape

    gateway = ir.service.emulator
    if gateway is None:
        raise EmulatorConfigError("the spec has no x-service.emulator block (the gateway's error answers); "
                                  "see docs/design.md, x-emulator")
    operations = {}
    for op in ir.operations:
        built = _operation(ir, op)
        if built is not None:
            operations[op.action] = built
    if not operations:
        raise EmulatorConfigError("no operation of the spec has an x-emulator block")
    return Api(
        ir=ir, gateway=gateway, operations=operations,
        error_table={c.code: c for c in ir.service.error_codes},
        error_shape=xml_shape(ir.model_index, ir.service.error_model) if ir.service.error_model else {},
        spec_path=spec_path,
    )


@cache
def _load(path: str, mtime: float) -> Api:
    from ..pipeline import compile_spec

    _, ir = compile_spec(path)
    return from_ir(ir, path)


def load_api(spec: str | Path | None = None) -> Api:
    """The emulator's view of a spec (default: the one in spec/). Cached per file and modification time."""
    from ..pipeline import default_spec

    path = Path(spec) if spec is not None else default_spec()
    try:
        mtime = path.stat().st_mtime
    except OSError as exc:
        raise EmulatorConfigError(f"cannot read the spec {path}: {exc.strerror}") from None
    return _load(str(path.resolve()), mtime)
