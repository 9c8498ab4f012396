"""Stage 3: the intermediate representation, built from a checked spec.

One class per kind of property (as openapi-python-client does); templates pick one macro per kind and only
format what the IR decided: every Python name, default and type is resolved here. The builder is split by
extension (schemas; service and errors; operations with pagination and waiters; emulator; CLI); building
collects every problem it meets and raises them together as a SpecError.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from ..errors import SpecError
from ..load import Document
from .base import COMPONENTS, Context, as_dict
from .cli import STATUS_OWN_OPTIONS, CliColumn, CliOption, CliStatus, cli_status
from .emulator import (
    EmulatorOperation,
    EmulatorService,
    GatewayError,
    ItemFilter,
    Lifecycle,
    Scenario,
    emulator_operation,
    emulator_service,
)
from .names import snake
from .operations import Operation, OperationBuilder, Pagination, Parameter, Waiter
from .schemas import (
    AnyProperty,
    Constraints,
    Enum,
    EnumMember,
    EnumProperty,
    Field,
    LenientPolicy,
    ListProperty,
    MapProperty,
    Model,
    ModelProperty,
    Property,
    ScalarProperty,
    SchemaBuilder,
    UnionProperty,
)
from .service import ErrorCode, ErrorField, Service, build_service, error_class_names

__all__ = [
    "COMPONENTS", "IR", "AnyProperty", "CliColumn", "CliOption", "CliStatus", "Constraints", "EmulatorOperation",
    "EmulatorService", "Enum", "EnumMember", "EnumProperty", "ErrorCode", "ErrorField", "Field", "GatewayError",
    "ItemFilter", "LenientPolicy", "Lifecycle", "ListProperty", "MapProperty", "Model", "ModelProperty",
    "Operation", "Pagination", "Parameter", "Property", "ScalarProperty", "Scenario", "Service", "UnionProperty",
    "Waiter", "build", "snake",
]


@dataclass(frozen=True)
class IR:
    service: Service
    operations: tuple[Operation, ...]
    models: tuple[Model, ...]
    enums: tuple[Enum, ...]
    spec_hash: str
    model_index: dict[str, Model] = field(default_factory=dict)

    def model(self, name: str) -> Model:
        return self.model_index[name]


def build(doc: Document) -> IR:
    """Checked document -> IR. Raises SpecError with every problem found."""
    ir, ctx = build_collecting(doc)
    if ctx.issues or ir is None:
        raise SpecError(ctx.issues)
    return ir


def build_collecting(doc: Document) -> tuple[IR | None, Context]:
    """Build as far as the document allows, collecting problems instead of stopping at the first."""
    ctx = Context(doc)
    schemas = SchemaBuilder(ctx)
    models, enums = schemas.build(error_class_names(doc.data))
    index = {m.name: m for m in models}
    service = build_service(ctx, index, schemas.class_names)
    service = replace(service, emulator=emulator_service(ctx, (doc.data.get("x-service") or {}).get("emulator"),
                                                         service.error_codes))
    builder = OperationBuilder(ctx, schemas, index)
    operations = builder.build()
    codes = {c.code for c in service.error_codes}
    seen: list[tuple[str | int, ...]] = []
    finished = []
    paths = as_dict(doc.data.get("paths"))
    raw_ops = [(("paths", p, v), op) for p, item in paths.items() if isinstance(item, dict)
               for v, op in item.items() if v in ("get", "post") and isinstance(op, dict)]
    for (at, raw), op in zip(raw_ops, operations, strict=False):
        emu = emulator_operation(ctx, builder.find, at, raw.get("x-emulator"), op, codes)
        cli_x = as_dict(raw.get("x-cli"))
        cli = cli_status(ctx, builder.find, at, cli_x.get("status"), op, STATUS_OWN_OPTIONS, seen)
        finished.append(replace(op, emulator=emu, cli=cli))
    ir = IR(service, tuple(finished), tuple(models), tuple(enums), doc.digest, index)
    return ir, ctx
