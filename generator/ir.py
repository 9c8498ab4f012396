"""Stage 3: the intermediate representation, built from a checked spec.

One class per kind of property (as openapi-python-client does); templates pick one macro per kind.
Building collects every problem it meets and raises them together as a SpecError.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any, ClassVar

from .errors import SpecError, SpecIssue
from .load import Document, Pointer

COMPONENTS: Pointer = ("components", "schemas")
# Keywords the model layer understands; anything else in a component is reported, never ignored.
MODEL_KEYWORDS = frozenset(
    {
        "type", "format", "enum", "const", "properties", "additionalProperties", "items", "anyOf", "$ref",
        "required", "description", "title", "examples", "example", "default", "deprecated", "readOnly",
        "writeOnly", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength", "maxLength",
        "pattern", "minItems", "maxItems", "uniqueItems", "$comment",
    }
)
SCALARS = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}


def snake(name: str) -> str:
    """PascalCase / camelCase wire name to a Python identifier."""
    s = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1_\2", name)
    s = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s)
    s = re.sub(r"\W+", "_", s).strip("_").lower() or "field"
    if s[0].isdigit():
        s = "field_" + s
    return s + "_" if keyword.iskeyword(s) else s


# ---------------------------------------------------------------- properties: one class per kind
@dataclass(frozen=True)
class Property:
    kind: ClassVar[str]
    nullable: bool

    @property
    def type_hint(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True)
class ScalarProperty(Property):
    kind: ClassVar[str] = "scalar"
    json_type: str  # string | integer | number | boolean
    format: str | None = None

    @property
    def type_hint(self) -> str:
        return SCALARS[self.json_type]


@dataclass(frozen=True)
class EnumProperty(Property):
    kind: ClassVar[str] = "enum"
    enum: str  # class name

    @property
    def type_hint(self) -> str:
        return self.enum


@dataclass(frozen=True)
class ModelProperty(Property):
    kind: ClassVar[str] = "model"
    model: str

    @property
    def type_hint(self) -> str:
        return self.model


@dataclass(frozen=True)
class ListProperty(Property):
    kind: ClassVar[str] = "list"
    item: Property

    @property
    def type_hint(self) -> str:
        return f"list[{self.item.type_hint}]"


@dataclass(frozen=True)
class AnyProperty(Property):
    kind: ClassVar[str] = "any"

    @property
    def type_hint(self) -> str:
        return "Any"


@dataclass(frozen=True)
class Field:
    wire: str
    attr: str
    prop: Property
    description: str
    required: bool


@dataclass(frozen=True)
class Model:
    name: str
    fields: tuple[Field, ...]
    description: str
    closed: bool  # additionalProperties: false


@dataclass(frozen=True)
class EnumMember:
    value: str
    description: str


@dataclass(frozen=True)
class Enum:
    name: str
    members: tuple[EnumMember, ...]
    open: bool
    description: str


@dataclass(frozen=True)
class Parameter:
    wire: str
    attr: str
    prop: Property
    required: bool
    description: str
    default: Any = None
    minimum: int | float | None = None
    maximum: int | float | None = None


@dataclass(frozen=True)
class Pagination:
    page_param: str
    size_param: str
    items_field: str
    item_model: str
    page_field: str | None
    size_field: str | None
    total_field: str | None
    first_page: int
    default_size: int | None
    max_size: int | None


@dataclass(frozen=True)
class Waiter:
    name: str
    field: str
    success: tuple[str, ...]
    failure: tuple[str, ...]
    fixed_params: dict[str, Any]
    failure_count_field: str | None
    failed_items_field: str | None
    failed_items_when: dict[str, tuple[str, ...]]
    failed_items_show: tuple[str, ...]
    error_class: str
    min_interval_s: float
    default_interval_s: float
    default_timeout_s: float


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


@dataclass(frozen=True)
class CliOption:
    """x-cli.status.options: `--flag VALUE` on the command line sets request parameter `param`."""

    flag: str
    param: Parameter
    default: Any
    help: str

    @property
    def required(self) -> bool:
        return self.param.required and self.default is None


@dataclass(frozen=True)
class CliColumn:
    field: str  # item field (wire name)
    title: str
    max_width: int | None


@dataclass(frozen=True)
class CliStatus:
    """x-cli.status on an operation: the toolkit's generic `status` command (see docs/design.md, "x-cli")."""

    help: str
    waiter: Waiter
    options: tuple[CliOption, ...]
    columns: tuple[CliColumn, ...]
    outcome_field: str  # item field that classifies a row
    failed: tuple[str, ...]  # listed first
    warning: tuple[str, ...]
    passed: tuple[str, ...]


@dataclass(frozen=True)
class Operation:
    action: str
    method: str  # python method name
    xml_root: str  # root element of an XML response
    http_methods: tuple[str, ...]
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    response_model: str
    pagination: Pagination | None
    waiters: tuple[Waiter, ...]
    emulator: EmulatorOperation | None = None
    cli: CliStatus | None = None


@dataclass(frozen=True)
class ErrorCode:
    code: str
    class_name: str
    http_status: tuple[int, ...]
    message: str
    retryable: bool
    refresh_credentials: bool


@dataclass(frozen=True)
class Service:
    title: str
    product: str
    api_version: str
    package: str
    client_class: str
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
    error_xml_root: str
    error_base: str
    success_field: str | None
    error_codes: tuple[ErrorCode, ...]
    lenient: dict[str, Any]
    emulator: EmulatorService | None = None


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


# ---------------------------------------------------------------- building
class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.issues: list[SpecIssue] = []
        self.components: dict[str, Any] = doc.data.get("components", {}).get("schemas", {}) or {}
        self.cli_seen = False

    def fail(self, at: Pointer, message: str, hint: str = "") -> None:
        self.issues.append(self.doc.issue(at, message, hint))

    def component_name(self, ref: str, at: Pointer) -> str | None:
        prefix = "#/components/schemas/"
        name = ref[len(prefix):] if ref.startswith(prefix) else None
        if name is None or name not in self.components:
            self.fail(at, f"$ref {ref!r} does not name a schema under components/schemas",
                      "point it at '#/components/schemas/<Name>' and define that component")
            return None
        return name

    def is_enum(self, name: str) -> bool:
        return "enum" in self.components.get(name, {})

    def check_keywords(self, schema: dict[str, Any], at: Pointer) -> None:
        for key in schema:
            if key not in MODEL_KEYWORDS and not key.startswith("x-"):
                self.fail((*at, key), f"unsupported JSON Schema keyword {key!r}",
                          "the generator supports: " + ", ".join(sorted(MODEL_KEYWORDS)))

    def prop(self, schema: Any, at: Pointer) -> Property:
        if not isinstance(schema, dict):
            self.fail(at, "a schema must be a mapping")
            return AnyProperty(nullable=True)
        self.check_keywords(schema, at)
        if "$ref" in schema:
            name = self.component_name(schema["$ref"], (*at, "$ref"))
            if name is None:
                return AnyProperty(nullable=True)
            if self.is_enum(name):
                return EnumProperty(nullable=False, enum=name)
            return ModelProperty(nullable=False, model=name)
        if "anyOf" in schema:
            branches = schema["anyOf"]
            nulls = [b for b in branches if isinstance(b, dict) and b.get("type") == "null"]
            rest = [(i, b) for i, b in enumerate(branches) if not (isinstance(b, dict) and b.get("type") == "null")]
            if len(rest) != 1:
                self.fail((*at, "anyOf"), "anyOf is supported only as [schema, {type: null}] (a nullable value)",
                          "model alternatives as separate fields, or use one schema")
                return AnyProperty(nullable=True)
            inner = self.prop(rest[0][1], (*at, "anyOf", rest[0][0]))
            return _with_nullable(inner, bool(nulls) or inner.nullable)
        raw_type = schema.get("type")
        types = [raw_type] if isinstance(raw_type, str) else list(raw_type or [])
        nullable = "null" in types
        types = [t for t in types if t != "null"]
        if len(types) != 1:
            if not types:
                return AnyProperty(nullable=True)
            self.fail((*at, "type"), f"a field must have one type besides null, found {types}")
            return AnyProperty(nullable=True)
        kind = types[0]
        if kind == "array":
            if "items" not in schema:
                self.fail(at, "an array needs 'items'")
                return ListProperty(nullable=nullable, item=AnyProperty(nullable=True))
            return ListProperty(nullable=nullable, item=self.prop(schema["items"], (*at, "items")))
        if kind == "object":
            self.fail(at, "inline object schemas are not supported here",
                      "give the object a name under components/schemas and $ref it")
            return AnyProperty(nullable=True)
        if "enum" in schema:
            self.fail(at, "inline value sets are not supported",
                      "give the value set a name under components/schemas and $ref it, so it becomes one enum")
        if kind not in SCALARS:
            self.fail((*at, "type"), f"unknown type {kind!r}")
            return AnyProperty(nullable=True)
        return ScalarProperty(nullable=nullable, json_type=kind, format=schema.get("format"))

    def enum(self, name: str, schema: dict[str, Any]) -> Enum:
        at = (*COMPONENTS, name)
        self.check_keywords(schema, at)
        values = schema.get("enum") or []
        if schema.get("type") != "string" or not all(isinstance(v, str) for v in values):
            self.fail(at, "a value set must be `type: string` with string values")
        descriptions = schema.get("x-enum-descriptions") or {}
        # Member names are datamodel-code-generator's, in the model layer; the IR keeps values and meanings.
        members = [EnumMember(str(v), str(descriptions.get(v, ""))) for v in values]
        return Enum(name, tuple(members), bool(schema.get("x-open-enum", False)), schema.get("description", ""))

    def model(self, name: str, schema: dict[str, Any]) -> Model:
        at = (*COMPONENTS, name)
        self.check_keywords(schema, at)
        if schema.get("type") not in ("object", ["object"]):
            self.fail((*at, "type"), "a component must be an object or a string value set")
        required = set(schema.get("required", []))
        fields: list[Field] = []
        attrs: dict[str, str] = {}
        for wire, sub in (schema.get("properties") or {}).items():
            attr = snake(wire)
            if attr in attrs or attr in RESERVED_ATTRS:
                self.fail((*at, "properties", wire),
                          f"property {wire!r} maps to attribute {attr!r}, which is already taken"
                          + (f" by {attrs[attr]!r}" if attr in attrs else " by the model itself"))
            attrs[attr] = wire
            prop = self.prop(sub, (*at, "properties", wire))
            desc = sub.get("description", "") if isinstance(sub, dict) else ""
            fields.append(Field(wire, attr, prop, desc, wire in required))
        closed = schema.get("additionalProperties", True) is False
        return Model(name, tuple(fields), schema.get("description", ""), closed)

    def build(self) -> IR:
        doc = self.doc
        enums: list[Enum] = []
        models: list[Model] = []
        for name, schema in self.components.items():
            if not isinstance(schema, dict):
                self.fail((*COMPONENTS, name), "a component must be a mapping")
            elif "enum" in schema:
                enums.append(self.enum(name, schema))
            else:
                models.append(self.model(name, schema))
        index = {m.name: m for m in models}
        service = self.service(index)
        operations = self.operations(index)
        if self.issues:
            raise SpecError(self.issues)
        return IR(service, tuple(operations), tuple(models), tuple(enums), doc.digest, index)

    def service(self, models: dict[str, Model]) -> Service:
        x = self.doc.data.get("x-service") or {}
        at: Pointer = ("x-service",)
        errors = x.get("errors") or {}
        error_model = self.component_name(errors.get("schema", {}).get("$ref", ""), (*at, "errors", "schema"))
        codes = []
        for i, c in enumerate(errors.get("codes") or []):
            codes.append(ErrorCode(c["code"], c["class"], tuple(c.get("http_status", ())), c.get("message", ""),
                                   bool(c["retryable"]), bool(c.get("refresh_credentials", False))))
            if c["class"] == errors.get("base_class"):
                self.fail((*at, "errors", "codes", i, "class"), "an error code cannot use the base class name")
        success = errors.get("success_field")
        if error_model in models:
            wires = {f.wire for f in models[error_model].fields}
            for key in ("code_field", "message_field", "request_id_field"):
                if key in errors and errors[key] not in wires:
                    self.fail((*at, "errors", key), f"names error field {errors[key]!r}, which {error_model} "
                              "does not have", "fields available: " + ", ".join(sorted(wires)))
        endpoints = x.get("endpoints") or {}
        signing = x.get("signing") or {}
        if signing.get("default") not in signing.get("supported", []):
            self.fail((*at, "signing", "default"), "the default signing version must be listed in 'supported'")
        return Service(
            title=str(self.doc.data.get("info", {}).get("title", "")),
            product=x.get("product", ""),
            api_version=x.get("api_version", ""),
            package=x.get("package", ""),
            client_class=x.get("client_class", ""),
            regions=dict(sorted((endpoints.get("regions") or {}).items())),
            fallback=endpoints.get("fallback", ""),
            network_fallback=endpoints.get("network_fallback"),
            signing_default=signing.get("default", "v3"),
            signing_supported=tuple(signing.get("supported", ())),
            credentials_env=dict(x.get("credentials_env") or {}),
            timeouts={"connect_s": 5.0, "read_s": 10.0, **(x.get("timeouts") or {})},
            retry={"max_attempts": 3, "base_delay_ms": 200, "max_delay_ms": 20000, "deadline_s": 60,
                   "retry_after_header": None, **(x.get("retry") or {})},
            error_model=error_model or "",
            error_xml_root=errors.get("xml_root", "Error"),
            error_code_field=errors.get("code_field", ""),
            error_message_field=errors.get("message_field", ""),
            error_request_id_field=errors.get("request_id_field"),
            error_base=errors.get("base_class", ""),
            success_field=success,
            error_codes=tuple(codes),
            lenient=dict(x.get("lenient") or {}),
            emulator=self.emulator_service((*at, "emulator"), x.get("emulator"), codes),
        )

    def operations(self, models: dict[str, Model]) -> list[Operation]:
        ops: list[Operation] = []
        for path, item in (self.doc.data.get("paths") or {}).items():
            for verb, op in (item or {}).items():
                if verb not in ("get", "post") or not isinstance(op, dict):
                    continue
                ops.append(self.operation(("paths", path, verb), op, models))
        if not ops:
            self.fail(("paths",), "the spec defines no operation")
        return ops

    def operation(self, at: Pointer, op: dict[str, Any], models: dict[str, Model]) -> Operation:
        rpc = op.get("x-rpc") or {}
        action = rpc.get("action") or op.get("operationId", "")
        params: list[Parameter] = []
        for i, p in enumerate(op.get("parameters") or []):
            pat = (*at, "parameters", i)
            if "$ref" in p:
                try:
                    pat, p = self.doc.resolve(p["$ref"])
                except KeyError:
                    self.fail((*pat, "$ref"), f"$ref {p['$ref']!r} names nothing")
                    continue
            schema = p.get("schema") or {}
            prop = self.prop(schema, (*pat, "schema"))
            params.append(Parameter(
                wire=p["name"], attr=snake(p["name"]), prop=prop, required=bool(p.get("required", False)),
                description=p.get("description", ""), default=schema.get("default"),
                minimum=schema.get("minimum"), maximum=schema.get("maximum"),
            ))
        response_model = ""
        ok = (op.get("responses") or {}).get("200") or {}
        for media in ("application/json", *sorted((ok.get("content") or {}).keys())):
            ref = ((ok.get("content") or {}).get(media) or {}).get("schema", {}).get("$ref")
            if ref:
                response_model = self.component_name(ref, (*at, "responses", "200", "content", media)) or ""
                break
        if response_model not in models:
            self.fail((*at, "responses", "200"), "the 200 response must $ref an object component")
        pagination = self.pagination(at, op.get("x-pagination"), params, models.get(response_model), models)
        waiters = self.waiters(at, op.get("x-waiters") or {}, params, models.get(response_model), models)
        return Operation(
            action=action, method=snake(action), xml_root=rpc.get("xml_root", action + "Response"),
            http_methods=tuple(rpc.get("methods", ["POST"])),
            summary=op.get("summary", ""), description=op.get("description", ""), parameters=tuple(params),
            response_model=response_model, pagination=pagination, waiters=waiters,
            emulator=self.emulator(at, op.get("x-emulator"), params, models.get(response_model), pagination,
                                   models),
            cli=self.cli(at, (op.get("x-cli") or {}).get("status"), params, pagination, waiters, models),
        )

    def _field(self, model: Model | None, name: str, at: Pointer, want: str) -> Field | None:
        """A top-level response field that must exist and be of kind `want` (integer | list | any)."""
        if model is None:
            return None
        found = next((f for f in model.fields if f.wire == name), None)
        if found is None:
            self.fail(at, f"names response field {name!r}, which {model.name} does not have",
                      "fields available: " + ", ".join(f.wire for f in model.fields))
            return None
        p = found.prop
        ok = (want == "any" or (want == "integer" and isinstance(p, ScalarProperty) and p.json_type == "integer")
              or (want == "list" and isinstance(p, ListProperty) and isinstance(p.item, ModelProperty))
              or (want == "string" and (isinstance(p, EnumProperty)
                                        or (isinstance(p, ScalarProperty) and p.json_type == "string"))))
        if not ok:
            self.fail(at, f"field {name!r} of {model.name} has the wrong type for this rule: expected {want}"
                      + (" of objects" if want == "list" else ""))
            return None
        return found

    def _param(self, params: list[Parameter], name: str, at: Pointer, want: str | None) -> Parameter | None:
        found = next((p for p in params if p.wire == name), None)
        if found is None:
            self.fail(at, f"names request parameter {name!r}, which the operation does not declare",
                      "parameters declared: " + ", ".join(p.wire for p in params))
            return None
        if want and not (isinstance(found.prop, ScalarProperty) and found.prop.json_type == want):
            self.fail(at, f"parameter {name!r} must be of type {want}")
            return None
        return found

    def pagination(self, at: Pointer, x: Any, params: list[Parameter], model: Model | None,
                   models: dict[str, Model]) -> Pagination | None:
        if not x:
            return None
        at = (*at, "x-pagination")
        page = self._param(params, x["page_param"], (*at, "page_param"), "integer")
        size = self._param(params, x["size_param"], (*at, "size_param"), "integer")
        items = self._field(model, x["items_field"], (*at, "items_field"), "list")
        for key in ("page_field", "size_field", "total_field"):
            if key in x:
                self._field(model, x[key], (*at, key), "integer")
        if not (page and size and items):
            return None
        assert isinstance(items.prop, ListProperty) and isinstance(items.prop.item, ModelProperty)
        return Pagination(
            page_param=page.wire, size_param=size.wire, items_field=items.wire, item_model=items.prop.item.model,
            page_field=x.get("page_field"), size_field=x.get("size_field"), total_field=x.get("total_field"),
            first_page=int(page.default if page.default is not None else page.minimum or 1),
            default_size=size.default,
            max_size=int(size.maximum) if size.maximum is not None else None,
        )

    def waiters(self, at: Pointer, x: dict[str, Any], params: list[Parameter], model: Model | None,
                models: dict[str, Model]) -> tuple[Waiter, ...]:
        out: list[Waiter] = []
        for name, w in x.items():
            wat = (*at, "x-waiters", name)
            self._field(model, w["field"], (*wat, "field"), "string")
            if "failure_count_field" in w:
                self._field(model, w["failure_count_field"], (*wat, "failure_count_field"), "integer")
            for pname in w.get("fixed_params", {}):
                self._param(params, pname, (*wat, "fixed_params", pname), None)
            fi = w.get("failed_items") or {}
            if fi:
                items = self._field(model, fi["field"], (*wat, "failed_items", "field"), "list")
                if items is not None and isinstance(items.prop, ListProperty) and isinstance(items.prop.item,
                                                                                               ModelProperty):
                    item_model = models[items.prop.item.model]
                    names = {f.wire for f in item_model.fields}
                    for k in [*fi.get("when", {}), *fi.get("show", [])]:
                        if k not in names:
                            self.fail((*wat, "failed_items"), f"names item field {k!r}, which "
                                      f"{item_model.name} does not have")
            interval_min = float(w.get("min_interval_s", 1))
            interval = float(w.get("default_interval_s", interval_min))
            if interval < interval_min:
                self.fail((*wat, "default_interval_s"), "the default interval is below the minimum interval")
            out.append(Waiter(
                name=name, field=w["field"], success=tuple(w["success"]), failure=tuple(w["failure"]),
                fixed_params=dict(w.get("fixed_params", {})), failure_count_field=w.get("failure_count_field"),
                failed_items_field=fi.get("field"),
                failed_items_when={k: tuple(v) for k, v in fi.get("when", {}).items()},
                failed_items_show=tuple(fi.get("show", ())),
                error_class=w.get("error_class", "WaiterFailedError"),
                min_interval_s=interval_min, default_interval_s=interval,
                default_timeout_s=float(w.get("default_timeout_s", 600)),
            ))
        return tuple(out)


    def emulator_service(self, at: Pointer, x: Any, codes: list[ErrorCode]) -> EmulatorService | None:
        if not x:
            return None
        table = {c.code: c for c in codes}
        errors: dict[str, GatewayError] = {}
        for kind, e in x["errors"].items():
            known = table.get(e["code"])
            if known is None:
                self.fail((*at, "errors", kind, "code"), f"error code {e['code']!r} is not in x-service.errors.codes",
                          "add it to the error table (class, retryable, http_status)")
                continue
            status = e.get("status") or (known.http_status[0] if known.http_status else 400)
            errors[kind] = GatewayError(e["code"], e.get("message") or known.message, int(status))
        return EmulatorService(
            errors=errors, host_field=x.get("host_field"), recommend_field=x.get("recommend_field"),
            recommend_url=x.get("recommend_url"), request_id_header=x.get("request_id_header"),
            max_clock_skew_s=float(x.get("max_clock_skew_s", 900)),
        )

    def emulator(self, at: Pointer, x: Any, params: list[Parameter], model: Model | None,
                 pagination: Pagination | None, models: dict[str, Model]) -> EmulatorOperation | None:
        if not x:
            return None
        at = (*at, "x-emulator")
        codes = {c["code"] for c in (self.doc.data.get("x-service") or {}).get("errors", {}).get("codes") or []}
        self._param(params, x["job_param"], (*at, "job_param"), None)
        if x.get("unknown_job") and x["unknown_job"] not in codes:
            self.fail((*at, "unknown_job"), f"error code {x['unknown_job']!r} is not in x-service.errors.codes")
        for name, param in (x.get("echo") or {}).items():
            self._field(model, name, (*at, "echo", name), "any")
            self._param(params, param, (*at, "echo", name), None)
        for name in x.get("constants") or {}:
            self._field(model, name, (*at, "constants", name), "any")
        item = models.get(pagination.item_model) if pagination else None
        item_fields = {f.wire for f in item.fields} if item else set()

        def item_field(name: str, where: Pointer) -> None:
            if item is None:
                self.fail(where, "item rules need x-pagination on the operation (it names the items)")
            elif name not in item_fields:
                self.fail(where, f"names item field {name!r}, which {item.name} does not have",
                          "fields available: " + ", ".join(sorted(item_fields)))

        filters = []
        for i, f in enumerate(x.get("filters") or []):
            self._param(params, f["param"], (*at, "filters", i, "param"), None)
            item_field(f["field"], (*at, "filters", i, "field"))
            filters.append(ItemFilter(f["param"], f["field"], f.get("match", "equals")))
        lifecycle = None
        lc = x.get("lifecycle")
        if lc:
            lat = (*at, "lifecycle")
            self._field(model, lc["field"], (*lat, "field"), "string")
            item_field(lc["item_field"], (*lat, "item_field"))
            if "failure_count_field" in lc:
                self._field(model, lc["failure_count_field"], (*lat, "failure_count_field"), "integer")
            for name in lc.get("failed_item_fields") or {}:
                item_field(name, (*lat, "failed_item_fields", name))
            lifecycle = Lifecycle(lc["field"], lc["item_field"], lc.get("failure_count_field"),
                                  dict(lc["job_states"]), dict(lc["item_states"]),
                                  dict(lc.get("failed_item_fields") or {}))
        synthetic = x.get("synthetic") or {}
        bounds = synthetic.get("items") or {"min": 0, "max": 20}
        if bounds["min"] > bounds["max"]:
            self.fail((*at, "synthetic", "items"), "min is above max")
        for name in synthetic.get("values") or {}:
            item_field(name, (*at, "synthetic", "values", name))
        scenarios = {}
        for name, sc in (x.get("scenarios") or {}).items():
            if lifecycle is None:
                self.fail((*at, "scenarios", name), "scenarios need a lifecycle (the states they walk through)")
            if sc["failures"] > sc["items"]:
                self.fail((*at, "scenarios", name, "failures"), "more failures than items")
            if sc.get("abort") and not sc["failures"]:
                self.fail((*at, "scenarios", name, "abort"), "an aborting scenario needs at least one failure")
            scenarios[name] = Scenario(name, sc.get("description", ""), int(sc["items"]), int(sc["failures"]),
                                       bool(sc.get("abort", False)), float(sc.get("step_s", 1.0)))
        return EmulatorOperation(
            job_param=x["job_param"], unknown_job=x.get("unknown_job"), echo=dict(x.get("echo") or {}),
            constants=dict(x.get("constants") or {}), filters=tuple(filters), lifecycle=lifecycle,
            synthetic_items=(int(bounds["min"]), int(bounds["max"])),
            synthetic_values={k: tuple(v) for k, v in (synthetic.get("values") or {}).items()},
            scenarios=scenarios,
        )


    def cli(self, at: Pointer, x: Any, params: list[Parameter], pagination: Pagination | None,
            waiters: tuple[Waiter, ...], models: dict[str, Model]) -> CliStatus | None:
        if not x:
            return None
        from .status import OWN_OPTIONS  # the command's own options; an x-cli option must not take one

        at = (*at, "x-cli", "status")
        if self.cli_seen:
            self.fail(at, "only one operation may declare x-cli.status (the status command shows one operation)")
        self.cli_seen = True
        waiter = next((w for w in waiters if w.name == x["waiter"]), None)
        if waiter is None:
            self.fail((*at, "waiter"), f"names waiter {x['waiter']!r}, which x-waiters of this operation does not "
                      "declare", "waiters declared: " + (", ".join(w.name for w in waiters) or "none"))
        if pagination is None:
            self.fail(at, "the status command needs x-pagination on the operation (it names the items)")
        paging = {pagination.page_param, pagination.size_param} if pagination else set()
        options: list[CliOption] = []
        for flag, o in x["options"].items():
            oat = (*at, "options", flag)
            if flag in OWN_OPTIONS:
                self.fail(oat, f"option --{flag} is one of the command's own",
                          "taken: " + ", ".join(sorted(OWN_OPTIONS)))
            if o["param"] in paging:
                self.fail((*oat, "param"), f"{o['param']!r} is a paging parameter: the command fetches every page")
                continue
            param = self._param(params, o["param"], (*oat, "param"), None)
            if param is not None:
                options.append(CliOption(flag, param, o.get("default"), o.get("help", "") or param.description))
        mapped = {o.param.wire for o in options}
        for p in params:
            if p.required and p.wire not in mapped and p.wire not in paging:
                self.fail((*at, "options"), f"required request parameter {p.wire!r} has no option",
                          "map it: `some-flag: {param: " + p.wire + "}`")
        item = models.get(pagination.item_model) if pagination else None
        names = {f.wire for f in item.fields} if item else set()

        def item_field(name: str, where: Pointer) -> None:
            if item is not None and name not in names:
                self.fail(where, f"names item field {name!r}, which {item.name} does not have",
                          "fields available: " + ", ".join(sorted(names)))

        columns = []
        for i, c in enumerate(x["columns"]):
            item_field(c["field"], (*at, "columns", i, "field"))
            columns.append(CliColumn(c["field"], c["title"], c.get("max_width")))
        outcome = x["outcome"]
        item_field(outcome["field"], (*at, "outcome", "field"))
        if waiter is None or pagination is None:
            return None
        return CliStatus(
            help=x.get("help", "") or self.doc.data.get("info", {}).get("summary", ""), waiter=waiter,
            options=tuple(options), columns=tuple(columns), outcome_field=outcome["field"],
            failed=tuple(outcome["failed"]), warning=tuple(outcome.get("warning", ())),
            passed=tuple(outcome.get("passed", ())),
        )


RESERVED_ATTRS = frozenset({"extra_fields", "notes", "from_dict", "to_dict", "coercions"})


def _with_nullable(p: Property, nullable: bool) -> Property:
    from dataclasses import replace

    return replace(p, nullable=nullable)


def build(doc: Document) -> IR:
    """Checked document -> IR. Raises SpecError with every problem found."""
    return _Builder(doc).build()
