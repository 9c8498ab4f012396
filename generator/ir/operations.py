"""Operations: request parameters, the response, x-rpc, x-pagination and x-waiters, with names resolved."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..load import Pointer
from .base import Context, as_dict
from .names import RESERVED_CLIENT_ATTRS, RESERVED_PARAMS, Scope, snake
from .schemas import (
    AnyProperty,
    EnumProperty,
    Field,
    ListProperty,
    Model,
    ModelProperty,
    Property,
    ScalarProperty,
    SchemaBuilder,
    UnionProperty,
)

DEFAULT_PAGE_SIZE = 10  # when the size parameter declares neither a maximum nor a default
DEFAULT_WAITER = {"min_interval_s": 1.0, "default_timeout_s": 600.0, "error_class": "WaiterFailedError"}


@dataclass(frozen=True)
class Parameter:
    wire: str
    attr: str
    prop: Property
    required: bool
    description: str
    default: Any = None
    rules: dict[str, Any] = field(default_factory=dict)  # the constraints the spec sets (`_values.RULES`)

    @property
    def wire_types(self) -> list[str]:
        """The JSON types the parameter's text stands for on the wire (empty: anything)."""
        prop = self.prop
        if isinstance(prop, ScalarProperty):
            return [prop.json_type]
        if isinstance(prop, UnionProperty):
            return list(prop.json_types)
        if isinstance(prop, EnumProperty):
            return ["string"]
        if isinstance(prop, ListProperty):
            return ["array"]
        return [] if isinstance(prop, AnyProperty) else ["object"]

    @property
    def wire_values(self) -> list[str]:
        """The texts allowed: a value set's, or a boolean's; empty when any text of the type goes."""
        if isinstance(self.prop, EnumProperty):
            return list(self.prop.values)
        return ["true", "false"] if "boolean" in self.wire_types else []

    @property
    def open_values(self) -> bool:
        """Other texts than `wire_values` are only warned about in lenient mode (an open value set)."""
        return isinstance(self.prop, EnumProperty) and self.prop.open

    @property
    def minimum(self) -> int | float | None:
        return self.rules.get("minimum")

    @property
    def maximum(self) -> int | float | None:
        return self.rules.get("maximum")

    @property
    def annotation(self) -> str:
        """The Python type a caller passes (an open value set also takes any string)."""
        if isinstance(self.prop, EnumProperty):
            return f"{self.prop.class_name} | str"
        if isinstance(self.prop, ScalarProperty):
            return self.prop.type_hint
        return "Any"


@dataclass(frozen=True)
class Pagination:
    method: str  # the client's paginate_... method
    page_param: str
    page_attr: str
    size_param: str
    size_attr: str
    size_minimum: int | float | None
    items_field: str
    items_attr: str
    item_model: str
    page_field: str | None
    page_attr_out: str | None  # the response attribute holding the page number
    size_field: str | None
    total_field: str | None
    total_attr: str | None
    first_page: int
    default_size: int | None
    max_size: int | None

    @property
    def page_size(self) -> int:
        """What the paginator asks for unless told: the largest page the spec allows, else its default."""
        return int(self.max_size or self.default_size or DEFAULT_PAGE_SIZE)

    @property
    def params(self) -> tuple[str, str]:
        return (self.page_param, self.size_param)


@dataclass(frozen=True)
class Waiter:
    name: str
    method: str  # the client's wait_for_... method
    field: str  # the polled field: top level, or of each item when `items_field` is set
    state_attr: str
    success: tuple[str, ...]
    failure: tuple[str, ...]
    fixed_params: dict[str, Any]  # wire name -> default of the wait method
    failure_count_field: str | None
    failure_count_attr: str | None
    failed_items_field: str | None
    failed_items_attr: str | None
    failed_items_paginated: bool  # the failed items are the paginated list: fetched across every page
    failed_items_when: dict[str, tuple[str, ...]]  # item attribute -> states that mark a failed item
    failed_items_show: tuple[str, ...]  # item attributes shown in the error message
    error_class: str
    min_interval_s: float
    default_interval_s: float
    default_timeout_s: float
    # An item waiter (botocore's pathAll / pathAny): `field` is read on each item of `items_field`.
    items_field: str | None = None
    items_attr: str | None = None
    success_when: str = "all"  # all | any: which items must be in a success state
    failure_when: str = "any"  # all | any: which items in a failure state end the wait in failure


@dataclass(frozen=True)
class Operation:
    action: str
    method: str  # the client's method
    xml_root: str  # root element of an XML response
    http_methods: tuple[str, ...]
    summary: str
    description: str
    parameters: tuple[Parameter, ...]
    response_model: str
    response_class: str
    pagination: Pagination | None
    waiters: tuple[Waiter, ...]
    emulator: Any = None  # EmulatorOperation | None (see emulator.py)
    cli: Any = None  # CliStatus | None (see cli.py)

    @property
    def http_method(self) -> str:
        """What the client sends: POST when the operation takes it (parameters stay in the query), else the first."""
        return "POST" if "POST" in self.http_methods else self.http_methods[0]

    def parameter(self, wire: str) -> Parameter | None:
        return next((p for p in self.parameters if p.wire == wire), None)


class Resolver:
    """Finds the fields and parameters an extension names, checking their kind; one place for every extension."""

    def __init__(self, ctx: Context, models: dict[str, Model]) -> None:
        self.ctx = ctx
        self.models = models

    def field(self, model: Model | None, name: Any, at: Pointer, want: str, what: str = "response field") -> Field | None:
        """A field of `model` that must exist and be of kind `want` (integer | list | string | any)."""
        if model is None:
            return None
        found = model.field(name) if isinstance(name, str) else None
        if found is None:
            self.ctx.fail(at, f"names {what} {name!r}, which {model.name} does not have",
                          "fields available: " + ", ".join(f.wire for f in model.fields))
            return None
        p = found.prop
        ok = (want == "any" or (want == "integer" and isinstance(p, ScalarProperty) and p.json_type == "integer")
              or (want == "list" and isinstance(p, ListProperty) and isinstance(p.item, ModelProperty))
              or (want == "string" and (isinstance(p, EnumProperty)
                                        or (isinstance(p, ScalarProperty) and p.json_type == "string"))))
        if not ok:
            self.ctx.fail(at, f"field {name!r} of {model.name} has the wrong type for this rule: expected {want}"
                          + (" of objects" if want == "list" else ""))
            return None
        return found

    def item_model(self, list_field: Field | None) -> Model | None:
        if list_field is None or not isinstance(list_field.prop, ListProperty):
            return None
        item = list_field.prop.item
        return self.models.get(item.model) if isinstance(item, ModelProperty) else None

    def param(self, params: list[Parameter], name: Any, at: Pointer, want: str | None) -> Parameter | None:
        found = next((p for p in params if p.wire == name), None)
        if found is None:
            self.ctx.fail(at, f"names request parameter {name!r}, which the operation does not declare",
                          "parameters declared: " + ", ".join(p.wire for p in params))
            return None
        if want and not (isinstance(found.prop, ScalarProperty) and found.prop.json_type == want):
            self.ctx.fail(at, f"parameter {name!r} must be of type {want}")
            return None
        return found


class OperationBuilder:
    def __init__(self, ctx: Context, schemas: SchemaBuilder, models: dict[str, Model]) -> None:
        self.ctx = ctx
        self.schemas = schemas
        self.models = models
        self.find = Resolver(ctx, models)
        self.methods = Scope(RESERVED_CLIENT_ATTRS)

    def build(self) -> list[Operation]:
        ops: list[Operation] = []
        paths = self.ctx.mapping(self.ctx.data.get("paths"), ("paths",), "paths")
        for path, item in paths.items():
            for verb, op in (item or {}).items() if isinstance(item, dict) else ():
                if verb in ("get", "post") and isinstance(op, dict):
                    ops.append(self.operation(("paths", path, verb), op))
        if not ops:
            self.ctx.fail(("paths",), "the spec defines no operation", "add a `post` or `get` under paths")
        actions = [o.action for o in ops]
        for o in ops:
            if actions.count(o.action) > 1:
                self.ctx.fail(("paths",), f"two operations have the action {o.action!r}")
                break
        return ops

    def parameters(self, at: Pointer, raw: Any) -> list[Parameter]:
        scope = Scope(RESERVED_PARAMS, builtins_too=True)
        params: list[Parameter] = []
        for i, p in enumerate(raw if isinstance(raw, list) else []):
            pat: Pointer = (*at, "parameters", i)
            if isinstance(p, dict) and "$ref" in p:
                try:
                    pat, p = self.ctx.doc.resolve(p["$ref"])
                except (KeyError, TypeError):
                    self.ctx.fail((*pat, "$ref"), f"$ref {p['$ref']!r} names nothing")
                    continue
            if not isinstance(p, dict) or not isinstance(p.get("name"), str):
                self.ctx.fail(pat, "a parameter needs a name")
                continue
            schema = as_dict(p.get("schema"))
            prop = self.schemas.prop(schema, (*pat, "schema"))
            chosen = p.get("x-python-name")
            attr = scope.claim(str(chosen), p["name"]) if chosen is not None else None
            if chosen is not None and attr is None:
                self.ctx.fail((*pat, "x-python-name"), f"x-python-name {chosen!r} is not a free parameter name",
                              "it must be an identifier that is no keyword, builtin or other parameter")
            if attr is None:
                attr = scope.take(snake(p["name"]), p["name"])
            c = getattr(prop, "constraints", None)
            params.append(Parameter(
                wire=p["name"], attr=attr, prop=prop, required=bool(p.get("required", False)),
                description=str(p.get("description", "")), default=schema.get("default"),
                rules=c.rules if c else {},
            ))
        return params

    def operation(self, at: Pointer, op: dict[str, Any]) -> Operation:
        rpc = self.ctx.mapping(op.get("x-rpc"), (*at, "x-rpc"), "x-rpc")
        action = str(rpc.get("action") or op.get("operationId", ""))
        params = self.parameters(at, op.get("parameters"))
        response_model = ""
        ok = self.ctx.mapping((op.get("responses") or {}).get("200"), (*at, "responses", "200"), "a response")
        content = as_dict(ok.get("content"))
        for media in ("application/json", *sorted(content)):
            schema = content.get(media, {}).get("schema") if isinstance(content.get(media), dict) else None
            ref = schema.get("$ref") if isinstance(schema, dict) else None
            if ref:
                response_model = self.schemas.component_name(ref, (*at, "responses", "200", "content", media)) or ""
                break
        model = self.models.get(response_model)
        if model is None:
            self.ctx.fail((*at, "responses", "200"), "the 200 response must $ref an object component")
        chosen = op.get("x-python-name")
        method = self.methods.claim(str(chosen), action) if chosen is not None else None
        if chosen is not None and method is None:
            self.ctx.fail((*at, "x-python-name"), f"x-python-name {chosen!r} is not a free method name")
        if method is None:
            method = self.methods.take(snake(action), action)
        pagination = self.pagination(at, op.get("x-pagination"), params, model, method)
        waiters = self.waiters(at, op.get("x-waiters"), params, model, pagination)
        methods = tuple(rpc.get("methods") or (["POST"] if at[-1] == "post" else ["GET"]))
        return Operation(
            action=action, method=method, xml_root=str(rpc.get("xml_root", action + "Response")),
            http_methods=methods, summary=str(op.get("summary", "")), description=str(op.get("description", "")),
            parameters=tuple(params), response_model=response_model,
            response_class=model.class_name if model else "", pagination=pagination, waiters=waiters,
        )

    def pagination(self, at: Pointer, x: Any, params: list[Parameter], model: Model | None,
                   method: str) -> Pagination | None:
        if not isinstance(x, dict):
            return None
        at = (*at, "x-pagination")
        page = self.find.param(params, x.get("page_param"), (*at, "page_param"), "integer")
        size = self.find.param(params, x.get("size_param"), (*at, "size_param"), "integer")
        items = self.find.field(model, x.get("items_field"), (*at, "items_field"), "list")
        out: dict[str, str | None] = {}
        for key in ("page_field", "size_field", "total_field"):
            found = self.find.field(model, x[key], (*at, key), "integer") if key in x else None
            out[key] = found.attr if found else None
        if not (page and size and items):
            return None
        assert isinstance(items.prop, ListProperty) and isinstance(items.prop.item, ModelProperty)
        if page.default is not None:
            first = int(page.default)
        elif page.minimum is not None:
            first = int(page.minimum)  # zero-based paging declares minimum 0
        else:
            first = 1
        return Pagination(
            method=self.methods.take("paginate_" + method, method), page_param=page.wire, page_attr=page.attr,
            size_param=size.wire, size_attr=size.attr, size_minimum=size.minimum, items_field=items.wire,
            items_attr=items.attr, item_model=items.prop.item.model,
            page_field=x.get("page_field"), page_attr_out=out["page_field"],
            size_field=x.get("size_field"), total_field=x.get("total_field"),
            total_attr=out["total_field"], first_page=first,
            default_size=size.default, max_size=int(size.maximum) if size.maximum is not None else None,
        )

    def waiters(self, at: Pointer, raw: Any, params: list[Parameter], model: Model | None,
                pagination: Pagination | None) -> tuple[Waiter, ...]:
        out: list[Waiter] = []
        for name, w in (raw or {}).items() if isinstance(raw, dict) else ():
            if not isinstance(w, dict):
                continue
            wat = (*at, "x-waiters", name)
            items_attr = None
            if w.get("items_field"):
                lst = self.find.field(model, w["items_field"], (*wat, "items_field"), "list")
                owner = self.find.item_model(lst)
                items_attr = lst.attr if lst else None
                state = self.find.field(owner, w.get("field"), (*wat, "field"), "string", "item field")
            else:
                state = self.find.field(model, w.get("field"), (*wat, "field"), "string")
                for key in ("success_when", "failure_when"):
                    if key in w:
                        self.ctx.fail((*wat, key), f"{key} applies to item waiters (with items_field) only")
            count = None
            if "failure_count_field" in w:
                count = self.find.field(model, w["failure_count_field"], (*wat, "failure_count_field"), "integer")
            for pname in w.get("fixed_params") or {}:
                self.find.param(params, pname, (*wat, "fixed_params", pname), None)
            fi = w.get("failed_items") or {}
            failed = None
            when: dict[str, tuple[str, ...]] = {}
            show: list[str] = []
            if fi:
                failed = self.find.field(model, fi.get("field"), (*wat, "failed_items", "field"), "list")
                item_model = self.find.item_model(failed)
                for k, values in (fi.get("when") or {}).items():
                    f = self.find.field(item_model, k, (*wat, "failed_items", "when", k), "any", "item field")
                    if f:
                        when[f.attr] = tuple(values)
                for i, k in enumerate(fi.get("show") or []):
                    f = self.find.field(item_model, k, (*wat, "failed_items", "show", i), "any", "item field")
                    if f:
                        show.append(f.attr)
            interval_min = float(w.get("min_interval_s", DEFAULT_WAITER["min_interval_s"]))
            interval = float(w.get("default_interval_s", interval_min))
            if interval < interval_min:
                self.ctx.fail((*wat, "default_interval_s"), "the default interval is below the minimum interval")
            out.append(Waiter(
                name=name, method=self.methods.take("wait_for_" + name, name), field=str(w.get("field", "")),
                state_attr=state.attr if state else "", success=tuple(w.get("success", ())),
                failure=tuple(w.get("failure", ())), fixed_params=dict(w.get("fixed_params") or {}),
                failure_count_field=w.get("failure_count_field"), failure_count_attr=count.attr if count else None,
                failed_items_field=fi.get("field"), failed_items_attr=failed.attr if failed else None,
                failed_items_paginated=bool(pagination and failed and pagination.items_field == failed.wire),
                failed_items_when=when, failed_items_show=tuple(show),
                error_class=str(w.get("error_class", DEFAULT_WAITER["error_class"])),
                min_interval_s=interval_min, default_interval_s=interval,
                default_timeout_s=float(w.get("default_timeout_s", DEFAULT_WAITER["default_timeout_s"])),
                items_field=w.get("items_field"), items_attr=items_attr,
                success_when=str(w.get("success_when", "all")), failure_when=str(w.get("failure_when", "any")),
            ))
        return tuple(out)
