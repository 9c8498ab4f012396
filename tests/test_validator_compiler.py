"""Tests of generator/render/validator_compiler/: compiled validators against hand-written schemas, strict vs
lenient severities, document order, unsupported keywords, and a differential property test against
jsonschema's Draft202012Validator (strict mode: same verdict, same set of error paths)."""

from __future__ import annotations

import copy
import importlib.util
import itertools
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings
from jsonschema import Draft202012Validator, FormatChecker

from generator.ir.schemas import LenientPolicy, read_lenient
from generator.pipeline import layout
from generator.render.validator_compiler import InvalidSchema, UnsupportedKeyword
from generator.render.validator_compiler import compile_validators as _compile
from generator.runtime._values import INT_FORMATS

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "generated" / "dts_precheck" / "schemas" / "response.schema.json"
VENV_BIN = Path(sys.executable).parent
POLICY = {
    "integer_from_string": True,
    "boolean_from_string": ["true", "false", "True", "False"],
    "null_from_string": ["None"],
}
HEADER = "# Generated for tests.\n# Do not edit.\n"
RUNTIME = "generator.runtime"  # the runtime modules the generated package copies


def policy_of(raw: dict[str, Any]) -> LenientPolicy:
    policy, problems = read_lenient(raw)
    assert not problems, problems
    return policy


def compile_validators(schemas: dict[str, Any], lenient: dict[str, Any], header: str) -> str:
    return _compile(schemas, policy_of(lenient), header, RUNTIME)


def _int_format(fmt: str) -> Any:
    lo, hi = INT_FORMATS[fmt]
    return lambda x: not isinstance(x, (int, float)) or isinstance(x, bool) or lo <= x <= hi


# jsonschema with the integer formats asserted, as the compiler (and the models) assert them.
FORMATS = FormatChecker(formats=())
for _fmt in INT_FORMATS:
    FORMATS.checks(_fmt)(_int_format(_fmt))

# ------------------------------------------------------------------------------------------- schemas


def _s() -> dict[str, Any]:
    return {"type": ["string", "null"]}


def _i32() -> dict[str, Any]:
    return {"type": ["integer", "null"], "format": "int32", "minimum": -2147483648, "maximum": 2147483647}


def _i64() -> dict[str, Any]:
    return {"type": ["integer", "null"], "format": "int64"}


def _b() -> dict[str, Any]:
    return {"type": ["boolean", "null"]}


def _nullable_ref(name: str) -> dict[str, Any]:
    return {"anyOf": [{"$ref": f"#/$defs/{name}"}, {"type": "null"}]}


def _array_of(name: str) -> dict[str, Any]:
    return {"type": ["array", "null"], "items": {"$ref": f"#/$defs/{name}"}}


def _closed(props: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": props, **more}


# The spec's conventions (design.md): closed objects, optional nullable fields, open value sets.
PAGE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$ref": "#/$defs/Page",
    "$defs": {
        "Phase": {
            "type": "string",
            "enum": ["Waiting", "Running", "Failed", "Done"],
            "x-open-enum": True,
            "description": "a value set",
        },
        "Flag": {"type": "string", "enum": ["N", "Y"], "x-open-enum": True},
        "Note": _closed({"Text": _s(), "Level": _s()}),
        "Entry": _closed(
            {
                "Skip": _b(),
                "Name": _s(),
                "Phase": _nullable_ref("Phase"),
                "Flag": _nullable_ref("Flag"),
                "Delay": _i32(),
                "Rows": _i64(),
                "Order": {"type": ["integer", "null"], "minimum": 0, "maximum": 1000},
                "Notes": _array_of("Note"),
                "Started": {"type": ["string", "null"], "format": "date-time"},
            }
        ),
        "Group": _closed(
            {"Name": _s(), "Phase": _nullable_ref("Phase"), "Count": _i32(), "Entries": _array_of("Entry")}
        ),
        "Page": _closed(
            {
                "Phase": _nullable_ref("Phase"),
                "Ok": _b(),
                "PageNumber": _i64(),
                "Total": _i32(),
                "RequestId": _s(),
                "Entries": _array_of("Entry"),
                "Groups": _array_of("Group"),
                "Summary": _nullable_ref("Note"),
            }
        ),
    },
}

# Every supported keyword, overlapping anyOf/oneOf branches, recursion, JSON equality corner cases.
KEYWORDS_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://example.com/keywords",
    "$comment": "annotations are ignored",
    "title": "keywords",
    "type": "object",
    "required": ["id", "kind"],
    "properties": {
        "id": {"type": "integer", "minimum": 1, "exclusiveMaximum": 1000},
        "kind": {"const": "thing"},
        "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1.5},
        "code": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[A-Z]"},
        "mixed": {"enum": [1, "a", None, True, [1, 2], {"k": 1}]},
        "obj_const": {"const": {"a": [1, True]}},
        "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1, "maxItems": 3},
        "either": {"anyOf": [{"type": "string", "maxLength": 3}, {"type": "string", "pattern": "^a"}]},
        "one": {"oneOf": [{"type": "integer"}, {"minimum": 10}]},
        "one_disjoint": {"oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "integer"}}]},
        "all": {"allOf": [{"type": "integer"}, {"minimum": 0}, {"$ref": "#/$defs/Small"}]},
        "tree": {"$ref": "#/$defs/Tree"},
        "extras": {
            "type": "object",
            "properties": {"known": {"type": "boolean"}},
            "additionalProperties": {"type": "integer", "maximum": 9},
        },
        "anything": True,
        "flag": {"type": "boolean", "default": False, "deprecated": True, "readOnly": True, "x-note": 1},
        "num_or_null": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        "int_or_str": {"anyOf": [{"type": "integer", "minimum": 0}, {"$ref": "#/$defs/Word"}]},
        "refsib": {"$ref": "#/$defs/Small", "minimum": 2, "description": "sibling keywords apply too"},
        "a/b~c": {"type": "integer"},
        "open": {"type": ["string", "integer"], "enum": ["x", "y", 3], "x-open-enum": True},
        "falsy": {"enum": [0, 2, [0]]},
        "overlap": {
            "anyOf": [
                {"type": "object", "properties": {"a": {"type": "integer"}}},
                {"type": ["string", "null"]},
                {"type": ["string", "integer"], "minLength": 2},
            ]
        },
    },
    "additionalProperties": False,
    "$defs": {
        "Small": {"maximum": 100},
        "Word": {"type": "string", "enum": ["alpha", "beta"], "examples": ["alpha"]},
        "Tree": {
            "type": "object",
            "required": ["value"],
            "additionalProperties": False,
            "properties": {
                "value": {"type": "integer"},
                "children": {"type": "array", "items": {"$ref": "#/$defs/Tree"}, "maxItems": 3},
            },
        },
    },
}

# Inline nested objects and arrays (no $defs), drift targets in nested positions.
NESTED_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "matrix": {
            "type": "array",
            "items": {"type": "array", "items": {"type": ["integer", "null"], "minimum": 0}},
        },
        "meta": {
            "type": ["object", "null"],
            "required": ["on"],
            "additionalProperties": False,
            "properties": {
                "on": {"type": "boolean"},
                "deep": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"n": {"type": ["number", "null"]}, "s": {"type": "string"}},
                },
            },
        },
        "list": {
            "type": "array",
            "items": {"anyOf": [{"type": "object", "required": ["x"]}, {"type": "integer"}]},
        },
    },
}

ERROR_SCHEMA: dict[str, Any] = {
    "$ref": "#/$defs/Error",
    "$defs": {"Error": _closed({"RequestId": _s(), "Code": _s(), "Message": _s()}, required=["Code"])},
}

SCHEMAS = {"page": PAGE_SCHEMA, "keywords": KEYWORDS_SCHEMA, "nested": NESTED_SCHEMA}

# --------------------------------------------------------------------------------------- compilation

_COUNTER = itertools.count()
_CACHE: dict[str, ModuleType] = {}


def load(source: str, directory: Path) -> ModuleType:
    name = f"compiled_validators_{next(_COUNTER)}"
    path = directory / f"{name}.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("validators")


def compiled(
    key: str, schema: dict[str, Any], directory: Path, lenient: dict[str, Any] | None = None
) -> ModuleType:
    if key not in _CACHE:
        source = compile_validators(
            {"response": schema, "error": ERROR_SCHEMA}, POLICY if lenient is None else lenient, HEADER
        )
        _CACHE[key] = load(source, directory)
    return _CACHE[key]


def paths(issues: list[Any], severity: str | None = "error") -> list[str]:
    return [i.path for i in issues if severity is None or i.severity == severity]


# ------------------------------------------------------------------------------ jsonschema reference


def _pointer(parts: Iterable[Any]) -> str:
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _collect(error: Any, out: set[str]) -> None:
    """The error paths our validators report for one jsonschema error (see the compiler's docstring):
    an anyOf/oneOf error whose context shows exactly one branch without a `type` error at the instance
    itself is replaced by that branch's errors; additionalProperties: false names each property's path."""
    if error.validator in ("anyOf", "oneOf") and error.context:
        by_branch: dict[Any, list[Any]] = defaultdict(list)
        for sub in error.context:
            by_branch[sub.relative_schema_path[0]].append(sub)
        fitting = [
            i
            for i in range(len(error.validator_value))
            if not any(sub.validator == "type" and not sub.relative_path for sub in by_branch[i])
        ]
        if len(fitting) == 1:
            for sub in by_branch[fitting[0]]:
                _collect(sub, out)
            return
    if error.validator == "additionalProperties" and error.validator_value is False:
        declared = error.schema.get("properties", {})
        for key in error.instance:
            if key not in declared:
                out.add(_pointer([*error.absolute_path, key]))
        return
    out.add(_pointer(error.absolute_path))


def reference_paths(validator: Draft202012Validator, document: Any) -> set[str]:
    out: set[str] = set()
    for error in validator.iter_errors(document):
        _collect(error, out)
    return out


# ------------------------------------------------------------------------- hand-written expectations


def test_valid_page_has_no_issue(workdir: Path) -> None:
    mod = compiled("page", PAGE_SCHEMA, workdir)
    doc = {
        "Phase": "Done",
        "Ok": True,
        "PageNumber": 1,
        "Total": 2,
        "RequestId": "r-1",
        "Entries": [
            {
                "Skip": False,
                "Name": "a",
                "Phase": "Running",
                "Flag": "N",
                "Delay": 0,
                "Rows": 2**62,
                "Notes": [],
            },
            {"Skip": None, "Phase": None, "Notes": None, "Started": "not a date: format is an annotation"},
        ],
        "Groups": [{"Name": "g", "Phase": "Failed", "Count": 1, "Entries": [{"Order": 1000}]}],
        "Summary": {"Text": "ok", "Level": None},
    }
    assert mod.validate(doc) == []
    assert mod.validate(doc, strict=True) == []
    assert mod.validate_response(doc, True) == []
    assert mod.VALIDATORS["response"] is mod.validate_response
    assert not list(Draft202012Validator(PAGE_SCHEMA, format_checker=FORMATS).iter_errors(doc))


def test_issue_record_fields(workdir: Path) -> None:
    mod = compiled("page", PAGE_SCHEMA, workdir)
    [issue] = mod.validate({"Total": "many"}, strict=True)
    assert (issue.path, issue.keyword, issue.severity) == ("/Total", "type", "error")
    assert issue.expected == "integer or null"
    assert issue.found == "string 'many'"
    assert "integer or null" in issue.message and issue.message.endswith(".")
    with pytest.raises(AttributeError):
        issue.path = "/x"  # frozen


def test_lenient_integer_from_string(workdir: Path) -> None:
    mod = compiled("page", PAGE_SCHEMA, workdir)
    doc = {"Total": "42", "PageNumber": "-9223372036854775808", "Entries": [{"Order": "2000", "Rows": "1"}]}
    strict = mod.validate(doc, strict=True)
    assert [(i.path, i.keyword, i.severity) for i in strict] == [
        ("/Total", "type", "error"),
        ("/PageNumber", "type", "error"),
        ("/Entries/0/Order", "type", "error"),
        ("/Entries/0/Rows", "type", "error"),
    ]
    lenient = mod.validate(doc)
    by_path = {(i.path, i.keyword): i for i in lenient}
    assert by_path[("/Total", "type")].severity == "warning"
    assert "accepted as integer 42" in by_path[("/Total", "type")].message
    assert by_path[("/PageNumber", "type")].severity == "warning"
    # the coerced value is checked against the remaining keywords: 2000 > maximum 1000
    assert by_path[("/Entries/0/Order", "type")].severity == "warning"
    assert by_path[("/Entries/0/Order", "maximum")].severity == "error"
    assert paths(lenient) == ["/Entries/0/Order"]
    # outside int64, not an integer, or padded: still an error in lenient mode
    for text in ("9223372036854775808", "4.2", " 4", "0x10", "", "1e3"):
        [issue] = mod.validate({"PageNumber": text})
        assert (issue.path, issue.severity) == ("/PageNumber", "error"), text


def test_lenient_boolean_and_null_from_string(workdir: Path) -> None:
    mod = compiled("page", PAGE_SCHEMA, workdir)
    doc = {"Ok": "True", "Total": "None", "Summary": "None", "Entries": [{"Skip": "false", "Phase": "None"}]}
    strict = mod.validate(doc, strict=True)
    assert paths(strict) == ["/Ok", "/Total", "/Summary", "/Entries/0/Skip", "/Entries/0/Phase"]
    lenient = mod.validate(doc)
    assert paths(lenient) == []
    assert paths(lenient, "warning") == paths(strict)
    # "None" for a string-typed value set is a string: an unknown value of the open enum, not drift
    assert [i.keyword for i in lenient] == ["type", "type", "type", "type", "enum"]
    # listed strings only, and only where the schema allows the type
    assert paths(mod.validate({"Ok": "yes", "Total": "null", "RequestId": "None"})) == ["/Ok", "/Total"]
    [issue] = mod.validate({"Ok": "None"})  # boolean or null: "None" stands for null
    assert issue.severity == "warning"


def test_lenient_open_enum_and_unknown_property(workdir: Path) -> None:
    mod = compiled("page", PAGE_SCHEMA, workdir)
    doc = {"Phase": "Paused", "Fresh": 1, "Entries": [{"Flag": "Maybe", "New~/Field": {"a": 1}, "Phase": 3}]}
    strict = mod.validate(doc, strict=True)
    assert [(i.path, i.keyword, i.severity) for i in strict] == [
        ("/Phase", "enum", "error"),
        ("/Fresh", "additionalProperties", "error"),
        ("/Entries/0/Flag", "enum", "error"),
        ("/Entries/0/New~0~1Field", "additionalProperties", "error"),
        ("/Entries/0/Phase", "anyOf", "error"),  # a number is neither a Phase string nor null
    ]
    lenient = mod.validate(doc)
    assert [(i.path, i.severity) for i in lenient] == [
        ("/Phase", "warning"),
        ("/Fresh", "warning"),
        ("/Entries/0/Flag", "warning"),
        ("/Entries/0/New~0~1Field", "warning"),
        ("/Entries/0/Phase", "error"),
    ]
    assert "Paused" in lenient[0].message


def test_closed_enum_and_non_string_in_open_enum_stay_errors(workdir: Path) -> None:
    mod = compiled("keywords", KEYWORDS_SCHEMA, workdir)
    base = {"id": 1, "kind": "thing"}
    assert [(i.path, i.severity) for i in mod.validate({**base, "open": "z"})] == [("/open", "warning")]
    assert [(i.path, i.severity) for i in mod.validate({**base, "open": 4})] == [("/open", "error")]
    assert [(i.path, i.severity) for i in mod.validate({**base, "int_or_str": "gamma"})] == [
        ("/int_or_str", "error")
    ]


def test_no_lenient_policy_means_no_drift(workdir: Path) -> None:
    mod = compiled("page-nopolicy", PAGE_SCHEMA, workdir, lenient={})
    assert [(i.path, i.severity) for i in mod.validate({"Total": "42", "Ok": "true", "Summary": "None"})] == [
        ("/Total", "error"),
        ("/Ok", "error"),
        ("/Summary", "error"),
    ]
    assert paths(mod.validate({"Phase": "Paused", "X": 1}), "warning") == ["/Phase", "/X"]


def test_all_issues_in_document_order(workdir: Path) -> None:
    mod = compiled("keywords", KEYWORDS_SCHEMA, workdir)
    doc = {
        "zz": 1,
        "tags": ["a", 2, "c", 4],
        "id": 0,
        "tree": {"children": [{"value": 1.5}, {"value": 1, "children": [{"x": 1}]}], "value": "v"},
        "code": "abcdefg",
        "kind": "other",
        "a/b~c": "n",
    }
    issues = mod.validate(doc, strict=True)
    got = [(i.path, i.keyword) for i in issues]
    assert got == [
        ("/zz", "additionalProperties"),
        ("/tags", "maxItems"),
        ("/tags/1", "type"),
        ("/tags/3", "type"),
        ("/id", "minimum"),
        ("/tree/children/0/value", "type"),
        ("/tree/children/1/children/0", "required"),
        ("/tree/children/1/children/0/x", "additionalProperties"),
        ("/tree/value", "type"),
        ("/code", "maxLength"),
        ("/code", "pattern"),
        ("/kind", "const"),
        ("/a~1b~0c", "type"),
    ]
    # the same set of paths as jsonschema
    assert {p for p, _ in got} == reference_paths(Draft202012Validator(KEYWORDS_SCHEMA, format_checker=FORMATS), doc)


def test_type_semantics_follow_json_schema(workdir: Path) -> None:
    mod = compiled("keywords", KEYWORDS_SCHEMA, workdir)
    base = {"id": 1, "kind": "thing"}
    assert mod.validate({"id": 5.0, "kind": "thing"}, strict=True) == []  # 5.0 is an integer
    assert paths(mod.validate({"id": True, "kind": "thing"}, strict=True)) == ["/id"]  # a boolean is not
    assert paths(mod.validate({"id": 5.5, "kind": "thing"}, strict=True)) == ["/id"]
    assert paths(mod.validate({**base, "ratio": False}, strict=True)) == ["/ratio"]
    assert paths(mod.validate({**base, "ratio": 0}, strict=True)) == ["/ratio"]  # exclusiveMinimum
    assert mod.validate({**base, "ratio": 1.5, "flag": True, "anything": [{}]}, strict=True) == []
    assert paths(mod.validate([], strict=True)) == [""]
    # enum and const use JSON equality: 1.0 == 1 but true != 1, deep values compare structurally
    for value, ok in [
        (1.0, True),
        (True, True),
        (False, False),
        ([1, 2.0], True),
        ([1, True], False),
        ({"k": 1.0}, True),
    ]:
        assert (mod.validate({**base, "mixed": value}, strict=True) == []) is ok, value
    for value, ok in [
        (0, True),
        (0.0, True),
        (False, False),
        ([0.0], True),
        ([False], False),
        (2, True),
        (True, False),
    ]:
        assert (mod.validate({**base, "falsy": value}, strict=True) == []) is ok, value
    assert mod.validate({**base, "obj_const": {"a": [1.0, True]}}, strict=True) == []
    assert paths(mod.validate({**base, "obj_const": {"a": [1, 1]}}, strict=True)) == ["/obj_const"]


def test_false_subschema_is_reported_at_the_value(workdir: Path) -> None:
    schema = {"properties": {"nothing": False, "list": {"items": False}}}
    mod = compiled("false", schema, workdir)
    doc = {"nothing": None, "list": [1, 2]}
    assert [(i.path, i.keyword) for i in mod.validate(doc, strict=True)] == [
        ("/nothing", "false"),
        ("/list", "items"),
    ]
    assert mod.validate({"list": []}, strict=True) == []
    # jsonschema 4.26 reports `items: false` at the array too, but loses the path of a false subschema
    # under `properties`: descend() yields its error before adding the path. So false subschemas under
    # properties stay out of the differential schemas.
    assert [list(e.absolute_path) for e in Draft202012Validator(schema, format_checker=FORMATS).iter_errors(doc)] == [[], ["list"]]


def test_anyof_reports_at_the_location_or_descends(workdir: Path) -> None:
    mod = compiled("page", PAGE_SCHEMA, workdir)
    # one branch takes objects: its issues, with their own paths
    issues = mod.validate({"Summary": {"Text": 1, "Other": True}}, strict=True)
    assert [(i.path, i.keyword) for i in issues] == [
        ("/Summary/Text", "type"),
        ("/Summary/Other", "additionalProperties"),
    ]
    # no branch takes arrays: one issue at the anyOf
    [issue] = mod.validate({"Summary": []}, strict=True)
    assert (issue.path, issue.keyword) == ("/Summary", "anyOf")
    assert "Note" in issue.expected and "null" in issue.expected
    kw = compiled("keywords", KEYWORDS_SCHEMA, workdir)
    # two branches take strings and both fail: one issue at the anyOf
    [issue] = kw.validate({"id": 1, "kind": "thing", "either": "bcdef"}, strict=True)
    assert (issue.path, issue.keyword) == ("/either", "anyOf")
    # oneOf: valid under both branches is an error; under exactly one is fine
    [issue] = kw.validate({"id": 1, "kind": "thing", "one": 12}, strict=True)
    assert (issue.path, issue.keyword) == ("/one", "oneOf")
    assert kw.validate({"id": 1, "kind": "thing", "one": 3}, strict=True) == []
    assert kw.validate({"id": 1, "kind": "thing", "one": 12.5}, strict=True) == []
    assert paths(kw.validate({"id": 1, "kind": "thing", "one_disjoint": [1, "x"]}, strict=True)) == [
        "/one_disjoint/1"
    ]
    # overlapping branches, but only one takes objects: its issues (the general, table-driven path)
    assert paths(kw.validate({"id": 1, "kind": "thing", "overlap": {"a": "x"}}, strict=True)) == [
        "/overlap/a"
    ]
    assert kw.validate({"id": 1, "kind": "thing", "overlap": 5}, strict=True) == []  # minLength: strings only
    assert paths(kw.validate({"id": 1, "kind": "thing", "overlap": True}, strict=True)) == ["/overlap"]
    assert kw.validate({"id": 1, "kind": "thing", "overlap": "ab"}, strict=True) == []
    [issue] = kw.validate({"id": 1, "kind": "thing", "overlap": [1]}, strict=True)
    assert (issue.path, issue.keyword) == ("/overlap", "anyOf")


def test_unknown_properties_of_closed_objects_and_additional_schema(workdir: Path) -> None:
    mod = compiled("keywords", KEYWORDS_SCHEMA, workdir)
    doc = {"id": 1, "kind": "thing", "extras": {"a": 1, "known": 1, "b": 10, "c": "x"}}
    assert paths(mod.validate(doc, strict=True)) == ["/extras/known", "/extras/b", "/extras/c"]
    assert paths(mod.validate(doc)) == ["/extras/known", "/extras/b", "/extras/c"]  # a schema, not false


def test_nested_inline_schemas(workdir: Path) -> None:
    mod = compiled("nested", NESTED_SCHEMA, workdir)
    doc = {
        "matrix": [[1, None, -1], "row", [2.0, "3"]],
        "meta": {"deep": {"n": "None", "s": 1, "t": 0}},
        "list": [{"x": 1}, 3, {"y": 1}, "s"],
    }
    strict = [(i.path, i.keyword) for i in mod.validate(doc, strict=True)]
    assert strict == [
        ("/matrix/0/2", "minimum"),
        ("/matrix/1", "type"),
        ("/matrix/2/1", "type"),
        ("/meta", "required"),
        ("/meta/deep/n", "type"),
        ("/meta/deep/s", "type"),
        ("/meta/deep/t", "additionalProperties"),
        ("/list/2", "required"),
        ("/list/3", "anyOf"),
    ]
    lenient = [(i.path, i.severity) for i in mod.validate(doc)]
    assert ("/matrix/2/1", "warning") in lenient and ("/meta/deep/n", "warning") in lenient
    assert ("/meta/deep/t", "warning") in lenient and ("/meta/deep/s", "error") in lenient


def test_second_entry_point(workdir: Path) -> None:
    mod = compiled("page", PAGE_SCHEMA, workdir)
    assert mod.validate_error({"Code": "Throttling", "Message": None}) == []
    assert [(i.path, i.keyword) for i in mod.validate_error({"Message": 1}, strict=True)] == [
        ("", "required"),
        ("/Message", "type"),
    ]
    assert mod.VALIDATORS["error"] is mod.validate_error


# ----------------------------------------------------------------------------- unsupported / invalid


@pytest.mark.parametrize(
    ("schema", "pointer", "keyword"),
    [
        ({"not": {"type": "string"}}, "/not", "not"),
        ({"type": "object", "nullable": True}, "/nullable", "nullable"),
        (
            {"properties": {"a/b": {"type": "array", "uniqueItems": True}}},
            "/properties/a~1b/uniqueItems",
            "uniqueItems",
        ),
        (
            {"$defs": {"A": {"patternProperties": {"^x": {}}}}, "$ref": "#/$defs/A"},
            "/$defs/A/patternProperties",
            "patternProperties",
        ),
        ({"items": {"anyOf": [{"type": "null"}, {"if": {}}]}}, "/items/anyOf/1/if", "if"),
        ({"properties": {"a": {"$id": "other"}}}, "/properties/a/$id", "$id"),
        ({"properties": {"a": {"$defs": {}}}}, "/properties/a/$defs", "$defs"),
        ({"$ref": "other.json#/$defs/A"}, "/$ref", "$ref"),
        ({"$defs": {"A": {"properties": {"b": {}}}}, "$ref": "#/$defs/A/properties/b"}, "/$ref", "$ref"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "/$schema", "$schema"),
        ({"items": [{"type": "string"}]}, "/items", "items"),
        ({"discriminator": {"propertyName": "k"}}, "/discriminator", "discriminator"),
        ({"multipleOf": 2}, "/multipleOf", "multipleOf"),
    ],
)
def test_unsupported_keyword_raises_with_pointer(schema: dict[str, Any], pointer: str, keyword: str) -> None:
    with pytest.raises(UnsupportedKeyword) as info:
        compile_validators({"response": schema}, POLICY, HEADER)
    assert info.value.pointer == pointer
    assert info.value.keyword == keyword
    assert pointer in str(info.value)


def test_unsupported_keyword_in_second_entry_point_names_it() -> None:
    with pytest.raises(UnsupportedKeyword) as info:
        compile_validators({"response": {}, "error": {"properties": {"x": {"contains": {}}}}}, POLICY, HEADER)
    assert (info.value.pointer, info.value.schema_name) == ("/properties/x/contains", "error")


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "text"},
        {"type": []},
        {"minimum": "1"},
        {"minLength": -1},
        {"maxItems": 1.5},
        {"required": "a"},
        {"pattern": "("},
        {"anyOf": []},
        {"$ref": "#/$defs/Missing"},
        {"properties": {"a": 3}},
        {"x-open-enum": "yes"},
    ],
)
def test_invalid_schema_values_raise(schema: dict[str, Any]) -> None:
    with pytest.raises(InvalidSchema):
        compile_validators({"response": schema}, POLICY, HEADER)


def test_a_policy_word_of_unclear_meaning_is_a_problem() -> None:
    _, problems = read_lenient({"boolean_from_string": ["true", "maybe"], "integer_from_string": "yes"})
    assert [where for where, _, _ in problems] == [("integer_from_string",), ("boolean_from_string", 1)]
    policy, problems = read_lenient({"boolean_from_string": ["1", "off"], "null_from_string": ["None"]})
    assert problems == [] and policy.booleans == (("1", True), ("off", False)) and policy.nulls == ("None",)


def test_generated_source_shape() -> None:
    source = compile_validators({"response": PAGE_SCHEMA, "error": ERROR_SCHEMA}, POLICY, HEADER)
    assert source.startswith(HEADER)
    for name in ("Page", "Entry", "Phase"):  # the compiler is generic: names only in comments
        assert f"def {name}" not in source
    assert "import jsonschema" not in source
    imports = {line.split()[1] for line in source.splitlines() if line.startswith(("import ", "from "))}
    assert imports <= {"re", "collections.abc", "generator.runtime", "generator.runtime._validation"}
    # in a package, the shared runtime modules are its siblings
    assert "from . import _values as _v\n" in _compile({"response": PAGE_SCHEMA}, policy_of(POLICY), HEADER)
    assert "from ._validation import Issue\n" in _compile({"response": PAGE_SCHEMA}, policy_of(POLICY), HEADER)


def _tool(name: str) -> str:
    found = VENV_BIN / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        pytest.skip(f"{name} is not installed")
    return which


def test_generated_module_passes_ruff_and_mypy(tmp_path: Path) -> None:
    sources = {
        "page.py": compile_validators({"response": PAGE_SCHEMA, "error": ERROR_SCHEMA}, POLICY, HEADER),
        "keywords.py": compile_validators({"response": KEYWORDS_SCHEMA}, POLICY, HEADER),
        "nested.py": compile_validators({"response": NESTED_SCHEMA}, {}, HEADER),
        "long.py": compile_validators({"response": _long_names_schema()}, POLICY, HEADER),
    }
    for name, source in sources.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    config = str(ROOT / "pyproject.toml")
    files = sorted(sources)
    # laid out as the pipeline lays out every generated module, then linted
    assert layout(tmp_path, files) is None
    check = subprocess.run(
        [_tool("ruff"), "check", "--config", config, *files], cwd=tmp_path, capture_output=True, text=True
    )
    assert check.returncode == 0, check.stdout + check.stderr
    mypy = subprocess.run(
        [_tool("mypy"), "--strict", "--no-incremental", "--python-version", "3.11", *files],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={**os.environ, "MYPYPATH": str(ROOT)},  # the shared runtime: generator/runtime/_values.py
    )
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def _long_names_schema() -> dict[str, Any]:
    """Long names and deep inline nesting: the generated module must still lint clean once laid out."""
    long = "A" * 70
    leaf = {"type": ["integer", "null"], "minimum": -9223372036854775808, "maximum": 9223372036854775807}
    inner = {"type": "object", "additionalProperties": False, "properties": {long + "Leaf": leaf}}
    mid = {"type": "object", "properties": {long + "Mid": {"type": "array", "items": inner}}}
    return {
        "$defs": {
            long + "Def": {"type": "object", "properties": {long + "Top": mid}, "required": [long + "Top"]},
            "E": {
                "type": "string",
                "enum": [f"{long}{i}" for i in range(20)],
                "pattern": "^" + "[A-Z0-9]" * 30,
            },
        },
        "properties": {
            long: {"anyOf": [{"$ref": f"#/$defs/{long}Def"}, {"type": "null"}]},
            "e": {"anyOf": [{"$ref": "#/$defs/E"}, {"type": "null"}]},
            "c": {"const": {"key": [long, long, {"deep": [1, 2, 3, long]}]}},
            "q": {"type": "string", "pattern": 'it\'s "quoted" \\d'},
        },
    }


# ------------------------------------------------------------------------- differential property test

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.sampled_from(
        [0, 1, -1, 1.0, 2.0, 0.5, True, False, "", "42", "None", "True", "a", "zz-unknown", 2**63]
    ),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "b", "k", "x", "value"]), inner, max_size=3),
    ),
    max_leaves=6,
)


class Generator:
    """Mostly valid documents for a schema (generic, from the schema's keywords)."""

    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.validator = Draft202012Validator(root, format_checker=FORMATS)
        self.edges = sorted(set(map(json.dumps, _edge_values(root))))

    def edge(self) -> st.SearchStrategy[Any]:
        """Values at the schema's own boundaries: bounds +-1 and +-0.5, enum and const members, lengths."""
        return st.sampled_from(self.edges).map(json.loads)

    def strategy(self, schema: Any = None, depth: int = 0) -> st.SearchStrategy[Any]:
        schema = self.root if schema is None else schema
        if schema is True:
            return JSON_VALUES
        if schema is False:
            return st.nothing()
        if "$ref" in schema:
            target = self.root["$defs"][schema["$ref"].rsplit("/", 1)[1]]
            rest = {k: v for k, v in schema.items() if k != "$ref"}
            base = self.strategy(target, depth + 1)
            return base if not _asserts(rest) else base.filter(self._valid(rest))
        if "const" in schema:
            return st.just(copy.deepcopy(schema["const"]))
        if "enum" in schema:
            return st.sampled_from(schema["enum"]).map(copy.deepcopy)
        for key in ("anyOf", "oneOf"):
            if key in schema:
                branches = st.one_of([self.strategy(b, depth + 1) for b in schema[key]])
                return branches.filter(self._valid(schema))
        if "allOf" in schema:
            return self.strategy(schema["allOf"][0], depth + 1).filter(self._valid(schema))
        types = schema.get("type", ["null", "boolean", "integer", "number", "string", "array", "object"])
        types = types if isinstance(types, list) else [types]
        return st.one_of([self._typed(t, schema, depth) for t in types])

    def _valid(self, schema: dict[str, Any]) -> Callable[[Any], bool]:
        sub = self.validator.evolve(schema=schema)
        return sub.is_valid

    def _typed(self, kind: str, schema: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
        if kind == "null":
            return st.none()
        if kind == "boolean":
            return st.booleans()
        if kind in ("integer", "number"):
            lo = schema.get("minimum", schema.get("exclusiveMinimum"))
            hi = schema.get("maximum", schema.get("exclusiveMaximum"))
            if schema.get("format") in INT_FORMATS:  # an asserted format bounds the integers too
                f_lo, f_hi = INT_FORMATS[schema["format"]]
                lo, hi = (f_lo if lo is None else max(lo, f_lo)), (f_hi if hi is None else min(hi, f_hi))
            ints = st.integers(
                min_value=None if lo is None else int(lo) + ("exclusiveMinimum" in schema),
                max_value=None if hi is None else int(hi) - ("exclusiveMaximum" in schema),
            )
            edges = [int(b) + d for b in (lo, hi) if b is not None for d in (-1, 0, 1)]
            ints = st.one_of(st.sampled_from(edges), ints).filter(self._valid(schema)) if edges else ints
            if kind == "integer":
                return ints
            floats = st.floats(
                min_value=lo,
                max_value=hi,
                exclude_min="exclusiveMinimum" in schema,
                exclude_max="exclusiveMaximum" in schema,
                allow_nan=False,
                allow_infinity=False,
            )
            return st.one_of(ints, floats)
        if kind == "string":
            shortest, longest = int(schema.get("minLength", 0)), int(schema.get("maxLength", 8))
            if "pattern" in schema:
                strings: st.SearchStrategy[str] = st.from_regex(str(schema["pattern"]))

                def fits(text: str) -> bool:
                    return shortest <= len(text) <= longest

                return strings.filter(fits)
            return st.text(min_size=shortest, max_size=max(shortest, longest))
        if kind == "array":
            lo = schema.get("minItems", 0)
            hi = lo if depth > 6 else min(schema.get("maxItems", 3), lo + 3)
            return st.lists(self.strategy(schema.get("items", True), depth + 1), min_size=lo, max_size=hi)
        props = schema.get("properties", {})
        required = {
            k: self.strategy(v, depth + 1) for k, v in props.items() if k in schema.get("required", [])
        }
        optional = (
            {}
            if depth > 6
            else {k: self.strategy(v, depth + 1) for k, v in props.items() if k not in required}
        )
        fixed = st.fixed_dictionaries(required, optional=optional)
        extra = schema.get("additionalProperties", True)
        if extra is False or depth > 6:
            return fixed
        extras = st.dictionaries(
            st.text(max_size=3).filter(lambda k: k not in props), self.strategy(extra, depth + 1), max_size=2
        )
        return st.tuples(fixed, extras).map(lambda pair: {**pair[1], **pair[0]})


def _edge_values(schema: Any) -> Iterator[Any]:
    yield from (None, True, False, 0, 1.0, -1, 10**30, "zz-unknown", "", "None", "42", [], {})
    if isinstance(schema, list):
        for sub in schema:
            yield from _edge_values(sub)
    if not isinstance(schema, dict):
        return
    for key, value in schema.items():
        if key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
            yield from (value, value + 1, value - 1, value + 0.5, value - 0.5, float(value), str(value))
        elif key in ("minLength", "maxLength"):
            yield from ("a" * value, "A" * (value + 1), "A" * max(0, value - 1))
        elif key in ("minItems", "maxItems"):
            yield from ([1] * value, ["a"] * (value + 1))
        elif key == "enum":
            yield from value
        elif key == "const":
            yield value
        elif key in ("properties", "$defs"):
            yield from _edge_values(list(value.values()))
            if key == "properties":
                yield from ({name: junk} for name in value for junk in ("x", None, 1.5, -1, [1], {"k": 1}))
        elif key in ("items", "additionalProperties", "anyOf", "oneOf", "allOf"):
            yield from _edge_values(value)


def _asserts(schema: dict[str, Any]) -> bool:
    return any(not (k.startswith("x-") or k in ("description", "title", "format")) for k in schema)


def _locations(value: Any, here: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield here
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _locations(v, (*here, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _locations(v, (*here, i))


def _replace(document: Any, location: tuple[Any, ...], new: Any) -> Any:
    if not location:
        return new
    parent = document
    for part in location[:-1]:
        parent = parent[part]
    parent[location[-1]] = new
    return document


def _tweaks(value: Any) -> list[Any]:
    """Values near a given one: off by one, edited strings, longer or emptied containers."""
    if isinstance(value, bool):
        return [not value, int(value), str(value)]
    if isinstance(value, (int, float)):
        return [
            value + 1,
            value - 1,
            -value,
            value * 1000 + 7,
            value + 0.5,
            float(value),
            str(int(value)),
            bool(value),
        ]
    if isinstance(value, str):
        return [value + "x", "", value[1:], value.lower(), value * 3, value.upper() + "!", "zz-unknown"]
    if isinstance(value, list):
        return [value + value, [], value[:1] * 4, value[::-1]]
    if isinstance(value, dict):
        return [{}, {**value, "zz_unknown": 1}, dict(list(value.items())[:1])]
    return [None, 0, "", "None"]


@st.composite
def mutated(draw: st.DrawFn, generator: Generator) -> Any:
    """A document from the generator with 1-3 mutations: wrong types, missing or unknown keys, bad values."""
    document = draw(generator.strategy())
    for _ in range(draw(st.integers(1, 3))):
        location = draw(st.sampled_from(list(_locations(document))))
        target = document
        for part in location:
            target = target[part]
        kind = draw(st.sampled_from(["replace", "tweak", "tweak", "drop", "add", "edge"]))
        if kind == "drop" and isinstance(target, dict) and target:
            del target[draw(st.sampled_from(sorted(target)))]
        elif kind == "drop" and isinstance(target, list) and target:
            target.pop(draw(st.integers(0, len(target) - 1)))
        elif kind == "add" and isinstance(target, dict):
            target[draw(st.sampled_from(["zz_unknown", "a/b~c", "Name", "value"]))] = draw(JSON_VALUES)
        elif kind == "add" and isinstance(target, list):
            target.append(draw(JSON_VALUES))
        elif kind == "tweak":
            document = _replace(document, location, draw(st.sampled_from(_tweaks(target))))
        elif kind == "edge":
            document = _replace(document, location, draw(generator.edge()))
        else:
            document = _replace(document, location, draw(JSON_VALUES))
    return document


def _differential_cases() -> list[Any]:
    cases: list[Any] = [pytest.param(name, schema, id=name) for name, schema in SCHEMAS.items()]
    cases.append(pytest.param("error", ERROR_SCHEMA, id="error"))
    if BUNDLED.exists():
        cases.append(
            pytest.param("bundled", json.loads(BUNDLED.read_text(encoding="utf-8")), id="bundled-response")
        )
    else:
        cases.append(
            pytest.param(
                "bundled",
                None,
                id="bundled-response",
                marks=pytest.mark.skip(
                    reason=f"{BUNDLED.relative_to(ROOT)} does not exist yet (run the generator)"
                ),
            )
        )
    return cases


def _compare(mod: ModuleType, validator: Draft202012Validator, document: Any) -> None:
    strict = mod.validate(document, strict=True)
    assert all(i.severity == "error" for i in strict)
    expected = reference_paths(validator, document)
    assert (not strict) == validator.is_valid(document), (document, strict)
    assert set(paths(strict)) == expected, (document, [(i.path, i.keyword) for i in strict])
    # lenient mode reports at the same places, with a subset of the errors
    lenient = mod.validate(document)
    assert set(paths(lenient, None)) == set(paths(strict)), document
    assert set(paths(lenient)) <= set(paths(strict)), document
    # document order: issue paths never go backwards in a walk of the document
    order = {_pointer(loc): n for n, loc in enumerate(_locations(document))}
    positions = [order[i.path] for i in lenient]
    assert positions == sorted(positions), [i.path for i in lenient]


DIFF_SETTINGS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)


@pytest.mark.parametrize(("name", "schema"), _differential_cases())
def test_differential_valid_documents(name: str, schema: dict[str, Any], workdir: Path) -> None:
    mod = compiled(name, schema, workdir)
    generator = Generator(schema)
    validator = Draft202012Validator(schema, format_checker=FORMATS)

    @DIFF_SETTINGS
    @given(generator.strategy())
    def check(document: Any) -> None:
        assert validator.is_valid(document), "the generator should make valid documents"
        assert mod.validate(document, strict=True) == []
        assert mod.validate(document) == []
        _compare(mod, validator, document)

    check()


@pytest.mark.parametrize(("name", "schema"), _differential_cases())
def test_differential_mutated_documents(name: str, schema: dict[str, Any], workdir: Path) -> None:
    mod = compiled(name, schema, workdir)
    generator = Generator(schema)
    validator = Draft202012Validator(schema, format_checker=FORMATS)

    @DIFF_SETTINGS
    @given(mutated(generator))
    def check(document: Any) -> None:
        _compare(mod, validator, document)

    check()


def _property_cases() -> list[Any]:
    cases = []
    for name, root in (("keywords", KEYWORDS_SCHEMA), ("nested", NESTED_SCHEMA)):
        for prop, sub in root["properties"].items():
            schema = {"$defs": root.get("$defs", {}), **sub} if isinstance(sub, dict) else sub
            cases.append(pytest.param(f"{name}.{prop}", schema, id=f"{name}.{prop}"))
    return cases


@pytest.mark.parametrize(("name", "schema"), _property_cases())
def test_differential_per_property(name: str, schema: Any, workdir: Path) -> None:
    """The same comparison, one property schema at a time, so mutations land on every keyword."""
    if isinstance(schema, bool):
        schema = {"allOf": [schema]}
    mod = compiled(name, schema, workdir)
    generator = Generator(schema)
    validator = Draft202012Validator(schema, format_checker=FORMATS)

    for edge in generator.edges:  # every boundary value, deterministically
        _compare(mod, validator, json.loads(edge))
    documents = st.one_of(generator.edge(), JSON_VALUES)
    if schema != {"allOf": [False]}:
        documents = st.one_of(generator.strategy(), mutated(generator), documents)

    @settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
    @given(documents)
    def check(document: Any) -> None:
        _compare(mod, validator, document)

    check()
