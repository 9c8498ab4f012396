"""The optional pydantic v2 flavour of the models: one module, written by datamodel-code-generator.

Input: the bundled JSON Schemas the package ships (schemas/*.schema.json), their `$defs` merged into one
document. datamodel-code-generator (its Python API, with the templates in templates/pydantic/) writes the
classes: names, fields, wire names as aliases, constraints, docstrings from the descriptions. What it
cannot write is code the classes share: the few bases that make pydantic read JSON as JSON Schema does
(templates/pydantic/helpers.py.jinja). That block goes between the module's imports and its first class;
the place is found with `ast`, and the generated text is not otherwise touched.

What the templates need to know beyond JSON Schema travels as x- keys of the schemas they render:
x-open-enum (the spec's own), x-component (the component's name: a class datamodel-code-generator renames,
such as `Any`, keeps it as its JSON Schema title), x-closed (additionalProperties: false),
x-additional-values (the type alias of the values of keys a class does not name) and x-integer-properties
(the properties that hold JSON integers, read from integral floats as well). The names the spec chose
(x-python-name, x-enum-names) become datamodel-code-generator's own options and lists.
"""

from __future__ import annotations

import ast
import copy
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import jinja2

TEMPLATES = Path(__file__).parent / "templates" / "pydantic"
MODULE = "pydantic_models.py"
LINE_LENGTH = 110

# format -> (minimum, maximum): JSON Schema leaves these ranges to the format, pydantic needs them spelled out.
_INT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}
# Keywords whose value is one subschema, a list of them, or a name -> subschema map.
_ONE = ("items", "additionalProperties", "not", "contains", "propertyNames", "if", "then", "else",
        "unevaluatedItems", "unevaluatedProperties")
_LIST = ("anyOf", "oneOf", "allOf", "prefixItems")
_MAP = ("properties", "patternProperties", "$defs", "dependentSchemas")
_KEPT_EXTENSIONS = ("x-open-enum",)
_OPENAPI_ONLY = ("xml", "externalDocs", "example", "discriminator")
# Value -> member docstring / member name, as datamodel-code-generator's lists name them.
_ENUM_MAPS = {"x-enum-descriptions": "x-enum-descriptions", "x-enum-names": "x-enum-varnames"}
# The keywords that apply to instances of one JSON type only.
_TYPE_KEYWORDS = {
    "integer": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format"),
    "number": ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "format"),
    "string": ("minLength", "maxLength", "pattern", "format"),
    "array": ("items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains"),
    "object": ("properties", "additionalProperties", "required", "minProperties", "maxProperties",
               "patternProperties", "propertyNames"),
}
# What describes a property rather than constrains its value: stays on the property when its type is split.
_ANNOTATIONS = ("description", "title", "examples", "default", "deprecated", "readOnly", "writeOnly")
# Names the helper block uses, whatever the classes happen to import.
_IMPORTS = [
    "enum.StrEnum",
    "typing.Annotated",
    "typing.Any",
    "typing.Self",
    "pydantic.BaseModel",
    "pydantic.ConfigDict",
    "pydantic.Field",
    "pydantic.GetCoreSchemaHandler",
    "pydantic.field_validator",
    "pydantic_core.CoreSchema",
    "pydantic_core.PydanticCustomError",
    "pydantic_core.core_schema",
]


def datamodel_input(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The bundled schemas as one JSON Schema document of `$defs`, in the terms datamodel-code-generator reads.

    The bundles come from the same components, so a name means the same schema in each; the first
    bundle's order comes first. No root: every component is a class, none is "the" model.
    """
    defs: dict[str, Any] = {}
    for bundle in schemas.values():
        for name, schema in bundle.get("$defs", {}).items():
            defs.setdefault(name, schema)
    out = {name: {**_translate(schema, defs), "x-component": name} for name, schema in defs.items()}
    for name, schema in list(out.items()):
        extra = schema.get("additionalProperties")
        if "properties" in schema and isinstance(extra, dict):
            # A class whose unnamed keys hold values of one schema: datamodel-code-generator's own form of
            # that (a Dict annotation written for run time) is not lint-clean, so the values' schema becomes
            # a component of its own (a type alias) that the template names.
            alias = _free_name(f"{name}AdditionalValue" if name.isidentifier() else "AdditionalValue", out)
            out[alias] = extra
            del schema["additionalProperties"]
            schema["x-additional-values"] = alias
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$defs": out}


def _free_name(name: str, taken: Mapping[str, Any]) -> str:
    return next(n for n in (name if i == 0 else f"{name}{i}" for i in range(len(taken) + 1)) if n not in taken)


def _translate(schema: Any, defs: Mapping[str, Any], branch: bool = False) -> Any:
    """One subschema for datamodel-code-generator, walked keyword by keyword (property names are data).

    `branch`: the schema is one type's branch of a schema of several types (split no further).
    """
    if not isinstance(schema, dict):
        return copy.deepcopy(schema)
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _ONE:
            out[key] = _translate(value, defs)
        elif key in _LIST and isinstance(value, list):
            out[key] = [_translate(v, defs) for v in value]
        elif key in _MAP and isinstance(value, dict):
            out[key] = {name: _translate(v, defs) for name, v in value.items()}
        elif key in _ENUM_MAPS and isinstance(value, dict):
            # Ours map value -> text; datamodel-code-generator reads lists in `enum` order, None for its default.
            out[_ENUM_MAPS[key]] = [value.get(v) if isinstance(v, str) else None for v in schema.get("enum", [])]
        elif key == "format":
            continue  # an annotation in JSON Schema; datamodel-code-generator would pick types that validate it
        elif key in _OPENAPI_ONLY:
            continue  # about the XML form or other documents; datamodel-code-generator would copy it into Field()
        elif key.startswith("x-") and key not in _KEPT_EXTENSIONS:
            continue  # our vocabulary; meaningless to datamodel-code-generator, and some names clash with its own
        else:
            out[key] = copy.deepcopy(value)
    if schema.get("format") in _INT_RANGES and "integer" in _types(schema):
        low, high = _INT_RANGES[schema["format"]]
        if not isinstance(out.get("minimum"), int | float) or out["minimum"] < low:
            out["minimum"] = low
        if not isinstance(out.get("maximum"), int | float) or out["maximum"] > high:
            out["maximum"] = high
    types = _types(out)
    if "number" in types and "integer" not in types and not branch:
        # pydantic's float would turn an integer past 2**53 into an approximation; int | float keeps it exact.
        types = [t for n in types for t in (["integer", n] if n == "number" else [n])]
        out["type"] = types
    if len([t for t in types if t != "null"]) > 1 and any(k in out for keys in _TYPE_KEYWORDS.values() for k in keys):
        # datamodel-code-generator writes constrained members of a union as conint(...) | constr(...) (mypy
        # refuses those) or drops the constraints (typed extra keys); one branch per type, a type alias each,
        # says the same in JSON Schema: a keyword binds instances of its own type only.
        return {"anyOf": [_translate(_branch(schema, t), defs, branch=True) for t in types],
                **{k: copy.deepcopy(v) for k, v in schema.items() if k in _ANNOTATIONS}}
    if sorted(types) == ["null", "object"] and "properties" not in out:
        # datamodel-code-generator reads a map typed [object, null] as dict[str, Any]; the anyOf form keeps
        # the values' type.
        annotations = {k: out.pop(k) for k in _ANNOTATIONS if k in out}
        out = {"anyOf": [{**out, "type": "object"}, {"type": "null"}], **annotations}
    if isinstance(schema.get("properties"), dict):
        if out.get("additionalProperties") is False:
            del out["additionalProperties"]  # the class's base says it (kept in lax mode, an error in strict)
            out["x-closed"] = True
        integers = [name for name, prop in schema["properties"].items() if _holds_integers(prop, defs)]
        if integers:
            out["x-integer-properties"] = integers
    return out


def _branch(schema: Mapping[str, Any], type_: str) -> dict[str, Any]:
    """The part of a several-types schema that applies to instances of one of its types."""
    others = {k for keys in _TYPE_KEYWORDS.values() for k in keys} - set(_TYPE_KEYWORDS.get(type_, ()))
    return {k: v for k, v in schema.items() if k not in others and k not in _ANNOTATIONS and k != "type"} | {
        "type": type_}


def _types(schema: Mapping[str, Any]) -> list[Any]:
    types = schema.get("type")
    return types if isinstance(types, list) else [types]


def _holds_integers(schema: Any, defs: Mapping[str, Any], seen: frozenset[str] = frozenset()) -> bool:
    """Whether a property's value may hold a JSON integer that the property's own class validates.

    An object with properties is a class of its own (it looks after its own integers); a reference to a
    component that is not one (a scalar, an array, a map) is followed.
    """
    if not isinstance(schema, dict):
        return False
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        name = ref.removeprefix("#/$defs/")
        target = defs.get(name)
        if name in seen or not isinstance(target, dict) or "properties" in target:
            return False
        return _holds_integers(target, defs, seen | {name})
    if "properties" in schema:
        return False
    return "integer" in _types(schema) or any(_holds_integers(s, defs, seen) for s in _inner(schema))


def _inner(schema: Mapping[str, Any]) -> Iterator[Any]:
    """The subschemas that describe parts of the same value (items, map values, alternatives)."""
    for key in ("items", "additionalProperties"):
        if key in schema:
            yield schema[key]
    for key in _LIST:
        yield from schema.get(key) or ()


def _python_names(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The attribute names the spec chose (x-python-name on a property), as datamodel-code-generator's scoped
    aliases: "Class.wire name" -> Python name."""
    names: dict[str, str] = {}
    classes = _class_names(schemas)
    for bundle in schemas.values():
        for component, schema in bundle.get("$defs", {}).items():
            for wire, prop in (schema.get("properties") or {}).items():
                chosen = prop.get("x-python-name") if isinstance(prop, dict) else None
                owner = classes.get(component, component)
                if isinstance(chosen, str) and "." not in owner + wire:
                    names[f"{owner}.{wire}"] = chosen
    return names


def _class_names(schemas: Mapping[str, Mapping[str, Any]]) -> dict[str, str]:
    """The class names the spec chose (x-python-name on a component)."""
    return {component: schema["x-python-name"] for bundle in schemas.values()
            for component, schema in bundle.get("$defs", {}).items()
            if isinstance(schema, dict) and isinstance(schema.get("x-python-name"), str)}


def module_docstring(package: str) -> str:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), undefined=jinja2.StrictUndefined,
                             keep_trailing_newline=True, autoescape=False)
    return env.get_template("docstring.py.jinja").render(package=package)


def render_pydantic(schemas: Mapping[str, Mapping[str, Any]], package: str, head: str) -> str:
    """The module's text. Pure: the same schemas give the same bytes (no timestamp, no version line)."""
    from datamodel_code_generator import generate
    from datamodel_code_generator.enums import DataModelType, InputFileType
    from datamodel_code_generator.format import Formatter, PythonVersion

    document = datamodel_input(schemas)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # its notes on experimental options, not problems of the spec
        text = generate(
            document,
            aliases=_python_names(schemas),
            model_name_map=_class_names(schemas),
            input_file_type=InputFileType.JsonSchema,
            output_model_type=DataModelType.PydanticV2BaseModel,
            custom_template_dir=TEMPLATES,
            custom_file_header=head + module_docstring(package),
            additional_imports=_IMPORTS,
            target_python_version=PythonVersion.PY_311,
            disable_timestamp=True,
            skip_root_model=True,  # no class for the merged document itself
            keep_model_order=True,
            snake_case_field=True,
            capitalise_enum_members=True,
            use_annotated=True,
            field_constraints=True,
            use_union_operator=True,
            use_standard_collections=True,
            use_type_alias=True,  # a constrained scalar is an alias of its Python type, not a RootModel wrapper
            use_missing_sentinel=True,  # an absent field is MISSING, a null is None: as the schema tells them apart
            import_overrides={"MISSING": "pydantic"},  # no longer experimental since pydantic 2.14
            use_schema_description=True,
            use_field_description=True,
            use_double_quotes=True,
            formatters=[Formatter.BUILTIN],  # its own formatter: no black or ruff version in the output
            builtin_format_line_length=LINE_LENGTH,
        )
    if not isinstance(text, str):
        raise RuntimeError("datamodel-code-generator returned several modules; one was asked for")
    return _with_helpers(text)


def _with_helpers(module: str) -> str:
    """The helper block placed right after the module's imports (the last top-level import statement)."""
    tree = ast.parse(module)
    imports = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    before = tree.body[: tree.body.index(imports[-1])] if imports else []
    if not imports or not all(isinstance(node, ast.Import | ast.ImportFrom | ast.Expr) for node in before):
        raise RuntimeError("datamodel-code-generator wrote code before its imports; the helper block has no place")
    end = imports[-1].end_lineno or imports[-1].lineno
    lines = module.splitlines(keepends=True)
    helpers = (TEMPLATES / "helpers.py.jinja").read_text(encoding="utf-8")
    rest = "".join(lines[end:]).strip("\n")
    return "".join(lines[:end]) + "\n" + helpers + "\n\n" + rest + "\n"
