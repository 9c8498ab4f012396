"""The optional pydantic flavour (`<package>.pydantic_models`), on every spec of the test corpus.

It is an independent oracle for the dataclass models: datamodel-code-generator and pydantic read the same
bundled schemas without our IR, codecs or lenient policy. In strict mode both must accept the same
documents, reject them at the same places and produce the same data. On shapes the corpus lacks, the
`jsonschema` library is the oracle for the flavour itself.
"""

from __future__ import annotations

import ast
import copy
import importlib
import importlib.util
import json
import subprocess
import sys
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any

import pydantic
import pytest
from conftest import CORPUS, ROOT, corpus_package
from hypothesis import given, settings
from hypothesis import strategies as st

SPECS = sorted(CORPUS)
CASES = [(spec, action) for spec in SPECS for action in CORPUS[spec]]


@pytest.fixture(params=SPECS, scope="module")
def package(request: pytest.FixtureRequest) -> ModuleType:
    return corpus_package(request.param)


def submodule(package: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


def response_component(package: ModuleType, action: str) -> str:
    """The component `action`'s response is: the one its bundled schema refers to."""
    schema_file = submodule(package, "_spec").OPERATIONS[action]["schema"]
    bundle = json.loads((Path(package.__file__ or "").parent / "schemas" / schema_file).read_text(encoding="utf-8"))
    return str(bundle["$ref"]).split("/")[-1]


def pydantic_model(package: ModuleType, component: str) -> type[pydantic.BaseModel]:
    """The class of an object component: named after it, or titled with its name where the Python name differs
    (datamodel-code-generator renames a component such as `Any`)."""
    module = submodule(package, "pydantic_models")
    found = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, pydantic.BaseModel)
             and c.__module__ == module.__name__ and c.model_config.get("title", c.__name__) == component]
    assert len(found) == 1, (component, found)
    return found[0]


def pydantic_enum(package: ModuleType, values: list[str]) -> type[Enum]:
    """The class of a value set, known by its values."""
    module = submodule(package, "pydantic_models")
    found = [c for c in vars(module).values() if isinstance(c, type) and issubclass(c, Enum)
             and c.__module__ == module.__name__ and [m.value for m in c] == values]
    assert found, values
    return found[0]


def pydantic_response_model(package: ModuleType, action: str) -> type[pydantic.BaseModel]:
    return pydantic_model(package, response_component(package, action))


def bundled_schemas(package: ModuleType) -> list[dict[str, Any]]:
    folder = Path(package.__file__ or "").parent / "schemas"
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.schema.json"))]


# ---------------------------------------------------------------- comparing JSON values
def as_json(value: Any) -> Any:
    """The plain JSON value (enum members as their strings, tuples as lists)."""
    return json.loads(json.dumps(value))


def same_json(a: Any, b: Any) -> bool:
    """Equal as JSON values: 1 and 1.0 are the same number, True and 1 are not."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


def pointer(doc: Any, loc: tuple[int | str, ...]) -> str:
    """A pydantic error location as a JSON Pointer into `doc`.

    Parts that address nothing in the document are pydantic's labels of a union's branches; they are skipped.
    """
    parts: list[str] = []
    node = doc
    for part in loc:
        addressed = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node))
        if not addressed:
            continue
        node = node[part]
        parts.append(str(part).replace("~", "~0").replace("/", "~1"))
    return "".join("/" + p for p in parts)


def integers_past_int32(value: Any) -> Any:
    """`value` with every integer moved 2**31 away from zero: past any int32 range."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value + 2**31 if value >= 0 else value - 2**31
    if isinstance(value, list):
        return [integers_past_int32(v) for v in value]
    if isinstance(value, dict):
        return {k: integers_past_int32(v) for k, v in value.items()}
    return value


def integral_floats(value: Any) -> Any:
    """`value` with every int written as a float (where the float is exact): the same JSON document."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and abs(value) <= 2**53:
        return float(value)
    if isinstance(value, list):
        return [integral_floats(v) for v in value]
    if isinstance(value, dict):
        return {k: integral_floats(v) for k, v in value.items()}
    return value


# ---------------------------------------------------------------- the two readings of one document
def dataclass_strict(package: ModuleType, action: str, doc: Any) -> tuple[Any, set[str]]:
    """(data of the parsed document, None when rejected; JSON Pointers of the rejection)."""
    try:
        parsed = package.parse_response(copy.deepcopy(doc), strict=True, action=action)
    except package.ParseError as exc:
        return None, {note.path for note in exc.notes}
    return as_json(parsed.to_dict()), set()


def pydantic_strict(package: ModuleType, action: str, doc: Any, json_input: bool) -> tuple[Any, set[str]]:
    """(dumped data, None when rejected; JSON Pointers of the errors that point into the document)."""
    model = pydantic_response_model(package, action)
    try:
        if json_input:
            parsed = model.model_validate_json(json.dumps(doc), strict=True)
        else:
            parsed = model.model_validate(copy.deepcopy(doc), strict=True)
    except pydantic.ValidationError as exc:
        # json_invalid: its JSON parser refused the text as a whole (nested past its limit), no place in it
        return None, {pointer(doc, e["loc"]) for e in exc.errors() if e["type"] != "json_invalid"}
    return parsed.model_dump(mode="json", by_alias=True, exclude_unset=True), set()


def documents(package: ModuleType, action: str) -> st.SearchStrategy[dict[str, Any]]:
    """Valid documents, with unlisted enum values and lenient drift, awkward ones (drift the policy refuses,
    deep nesting), integral floats and integers past int32 for integers, and documents with a planted error."""
    strategies = submodule(package, "strategies")
    valid = strategies.response_documents(action=action)
    return st.one_of(
        valid,
        strategies.response_documents(unknown_enums=True, drift=True, action=action),
        strategies.response_documents(awkward=True, action=action),
        valid.map(integral_floats),
        valid.map(integers_past_int32),
        strategies.invalid_response_documents(action=action).map(lambda case: case[0]),
    )


def assert_same_reading(package: ModuleType, action: str, doc: dict[str, Any]) -> None:
    """Same verdict, at places the models name too, same data; pydantic reading the document or its JSON text."""
    ours, our_paths = dataclass_strict(package, action, doc)
    # Where a schema refers back to itself the models stop reading past a depth limit of theirs (not the
    # schema's), with one note where they stopped; pydantic has no such limit. Below that place only the
    # models' reading counts.
    limit = submodule(package, "_values").MAX_DEPTH
    unread = [path for path in our_paths if path.count("/") > limit]
    for json_input in (False, True):
        theirs, their_paths = pydantic_strict(package, action, doc, json_input)
        verdicts = f"dataclasses: {our_paths or 'accepted'}; pydantic: {their_paths or 'accepted'}"
        if not unread:
            assert (ours is None) == (theirs is None), verdicts
            assert same_json(ours, theirs), f"\n{ours}\n!=\n{theirs}"
        # pydantic may stop early (a list past maxItems: its items are not read), never report elsewhere
        elsewhere = {p for p in their_paths - our_paths if not any(p.startswith(u + "/") for u in unread)}
        assert not elsewhere, verdicts


@pytest.mark.parametrize(("spec", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_strict_pydantic_and_strict_dataclasses_agree(spec: str, action: str) -> None:
    package = corpus_package(spec)

    @given(documents(package, action))
    def check(doc: dict[str, Any]) -> None:
        assert_same_reading(package, action, doc)

    check()


@pytest.mark.parametrize(("spec", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_they_agree_on_every_edge_value_of_every_field(spec: str, action: str) -> None:
    package = corpus_package(spec)
    edges = submodule(package, "strategies").edge_documents(action=action)
    assert edges
    for doc in edges:
        assert_same_reading(package, action, doc)


@pytest.mark.parametrize(("spec", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_lenient_pydantic_keeps_what_the_schema_leaves_open(spec: str, action: str) -> None:
    """Values open enums do not list, and keys the response object does not name, are kept and dumped back
    as they came, as the models keep them."""
    package = corpus_package(spec)
    model = pydantic_response_model(package, action)
    named = set(components(package)[response_component(package, action)]["properties"])
    values = st.none() | st.booleans() | st.integers() | st.text(max_size=5) | st.lists(st.integers(), max_size=2)

    @settings(max_examples=60)
    @given(submodule(package, "strategies").response_documents(unknown_enums=True, action=action),
           st.dictionaries(st.text(min_size=1, max_size=8).filter(lambda key: key not in named), values, max_size=2))
    def check(doc: dict[str, Any], unknown: dict[str, Any]) -> None:
        doc = {**doc, **unknown}
        dumped = model.model_validate(copy.deepcopy(doc)).model_dump(mode="json", exclude_unset=True)
        assert same_json(dumped, as_json(doc))
        assert same_json(dumped, as_json(package.parse_response(copy.deepcopy(doc), action=action).to_dict()))

    check()


def open_enums(package: ModuleType) -> list[type[Enum]]:
    module = submodule(package, "pydantic_models")
    return [v for v in vars(module).values() if isinstance(v, type) and issubclass(v, Enum)
            and v.__module__ == module.__name__ and not v.__name__.startswith("_") and hasattr(v, "is_listed")]


@given(data=st.data())
def test_an_open_enum_keeps_an_unlisted_value_only_outside_strict_mode(package: ModuleType,
                                                                       data: st.DataObject) -> None:
    enum = data.draw(st.sampled_from(open_enums(package)))
    listed = [m.value for m in enum]
    value = data.draw(st.sampled_from(listed) | st.text(max_size=8))
    adapter = pydantic.TypeAdapter(enum)
    kept = adapter.validate_python(value)
    assert isinstance(kept, enum) and kept == value and kept.is_listed == (value in listed)
    if value in listed:
        assert adapter.validate_python(value, strict=True) is enum(value)
    else:
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_python(value, strict=True)
        with pytest.raises(pydantic.ValidationError):
            adapter.validate_json(json.dumps(value), strict=True)


# ---------------------------------------------------------------- what datamodel-code-generator carried over
def components(package: ModuleType) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for bundle in bundled_schemas(package):
        found.update(bundle["$defs"])
    return found


def test_every_class_and_field_carries_the_spec_text_and_wire_name(package: ModuleType) -> None:
    schemas = components(package)
    objects = {name: s for name, s in schemas.items() if "properties" in s}
    assert objects
    for name, schema in objects.items():
        model = pydantic_model(package, name)
        exported = model.model_json_schema(by_alias=True)
        if "$ref" in exported:  # a recursive class
            exported = exported["$defs"][exported["$ref"].split("/")[-1]]
        assert exported["title"] == name
        assert exported.get("description") == schema.get("description")
        assert {f.alias or n: f.description for n, f in model.model_fields.items()} == {
            wire: prop.get("description") for wire, prop in schema["properties"].items()}
        assert {wire: p.get("description") for wire, p in exported["properties"].items()} == {
            wire: prop.get("description") for wire, prop in schema["properties"].items()}
    for schema in schemas.values():
        if "enum" in schema:
            enum = pydantic_enum(package, schema["enum"])
            assert (enum.__doc__ or "").strip() == schema.get("description", "")
            assert hasattr(enum, "is_listed") == bool(schema.get("x-open-enum"))


def test_only_pydantic_models_imports_pydantic(package: ModuleType) -> None:
    folder = Path(package.__file__ or "").parent
    imported: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
        imported[path.stem] = names
    assert {stem for stem, names in imported.items() if names & {"pydantic", "pydantic_core"}} == {"pydantic_models"}
    assert imported["pydantic_models"] - sys.stdlib_module_names <= {"typing_extensions", "pydantic", "pydantic_core"}


# ---------------------------------------------------------------- the renderer on shapes these specs lack
def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/$defs/{name}"}


ODD_TEXT = 'Ends in a quote: """triple""", \'\'\'single\'\'\', a \\ backslash, \\u0041, {{ x }}, 😀 and "'

# One bundle with the shapes the IR allows (issue 11, item 1) and names that collide with pydantic's and
# Python's: recursion, nested arrays, maps, several types, constraints, const, open and closed objects.
CORPUS: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$ref": "#/$defs/Node",
    "$defs": {
        "Node": {
            "type": "object", "additionalProperties": False, "required": ["Name"], "description": "A node.",
            "properties": {
                "Name": {"type": "string", "minLength": 1, "maxLength": 5, "pattern": "^[a-z]+$"},
                "Children": {"type": "array", "items": ref("Node"), "maxItems": 3},
                "Grid": {"type": ["array", "null"],
                         "items": {"type": "array", "items": {"type": "integer", "format": "int32", "minimum": 0}}},
                "Scores": {"type": "object", "additionalProperties": {"type": "integer"}},
                "Tags": {"type": "object", "additionalProperties": ref("Any")},
                "Either": {"type": ["string", "integer", "null"]},
                "Ratio": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1},
                "Kind": {"const": "node"},
                "Mode": ref("Mode"),
                "Note": ref("Note"),
                "Count": ref("Count"),
                "Open": ref("Field"),
                "class": {"type": "boolean", "description": ODD_TEXT},
                "model_dump": {"type": "string"},
                "a/b~c": {"type": "integer", "format": "int64"},
                "Height": {"type": ["integer", "string", "null"], "minimum": 0, "maxLength": 3},
                "Leaves": {"type": ["object", "null"], "additionalProperties": ref("Leaf")},
                "Named": {"type": "string", "x-python-name": "chosen_name"},
            },
        },
        "Leaf": {"type": "object", "properties": {"Color": {"type": "string"}},
                 "additionalProperties": {"type": "number", "maximum": 9}},
        "Any": {"type": "object", "additionalProperties": False, "properties": {"V": {"type": "string"}}},
        "Field": {"type": "object", "properties": {"X": {"type": "integer"}}, "x-python-name": "OpenThing"},
        "Mode": {"type": "string", "enum": ["on", "off", ""], "x-enum-names": {"": "BLANK"}},
        "Note": {"type": "string", "enum": ["A", "b c"], "x-open-enum": True},
        "Count": {"type": "integer", "format": "int64", "minimum": 1},
    },
}
CORPUS_DOCUMENTS: list[dict[str, Any]] = [
    {"Name": "a"},
    {"Name": "abc", "Children": [{"Name": "b", "Grid": [[0, 7], []]}], "Grid": None, "Scores": {"x": 1, "": -5},
     "Tags": {"t": {"V": "v"}, "u": {}}, "Either": 3, "Ratio": 0.5, "Kind": "node", "Mode": "", "Note": "b c",
     "Count": 9, "Open": {"X": 1, "extra": [1]}, "class": True, "model_dump": "m", "a/b~c": -(2**40),
     "Height": "abc", "Leaves": {"l": {"Color": "red", "size": 2.5, "n": 9}}},
    {"Name": "z", "Either": "text", "Children": [], "Mode": "off", "Open": {}, "Height": 7, "Leaves": None},
]


def _json_schema_oracle() -> Any:
    """jsonschema's Draft 2020-12 validator, with the int32 / int64 formats asserted as the IR does."""
    import jsonschema

    checker = jsonschema.FormatChecker()
    for fmt, (low, high) in {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}.items():
        checker.checks(fmt)(lambda v, low=low, high=high: not isinstance(v, int | float) or isinstance(v, bool)
                            or low <= v <= high)
    return jsonschema.Draft202012Validator(CORPUS, format_checker=checker)


@pytest.fixture(scope="module")
def corpus_module(tmp_path_factory: pytest.TempPathFactory) -> ModuleType:
    from generator.render.pydantic import render_pydantic

    folder = tmp_path_factory.mktemp("corpus")
    (folder / "pydantic_models.py").write_text(render_pydantic({"response": CORPUS}, "corpus", "# corpus\n"))
    spec = importlib.util.spec_from_file_location("corpus_models", folder / "pydantic_models.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # where pydantic looks up the names of classes defined further down
    spec.loader.exec_module(module)
    return module


def mutated(doc: Any, draw: st.DrawFn) -> Any:
    """`doc` with one place changed: a value replaced, a key added or removed, an item appended."""
    containers = [doc]
    stack = [doc]
    while stack:
        node = stack.pop()
        children = list(node.values()) if isinstance(node, dict) else node if isinstance(node, list) else []
        for child in children:
            if isinstance(child, dict | list):
                containers.append(child)
                stack.append(child)
    target = draw(st.sampled_from(containers))
    awkward = st.sampled_from([None, True, 0, -1, 1.0, 1.5, 10, 2**31, 2**63, 2**63 - 1, 1e300, "", "A", "node",
                               "on", "1", "abcd", "ab1", "a\n", [], {}, [1.0], {"V": 1}, {"Color": 1}])
    value = draw(awkward | st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=4),
                                        lambda inner: st.lists(inner, max_size=2), max_leaves=3))
    if isinstance(target, dict):
        key = draw(st.sampled_from([*sorted(target), "Name", "Grid", "Zz", "a/b~c", "name"]))
        if key in target and draw(st.booleans()):
            del target[key]
        else:
            target[key] = value
    elif target and draw(st.booleans()):
        target[draw(st.integers(0, len(target) - 1))] = value
    else:
        target.append(value)
    return doc


@given(data=st.data())
def test_strict_pydantic_is_the_json_schema_on_any_shape(corpus_module: ModuleType, data: st.DataObject) -> None:
    """Strict validation accepts what JSON Schema accepts (jsonschema is the oracle) and dumps it back."""
    doc = copy.deepcopy(data.draw(st.sampled_from(CORPUS_DOCUMENTS)))
    for _ in range(data.draw(st.integers(0, 3))):
        doc = mutated(doc, data.draw)
    oracle = _json_schema_oracle()
    problems = [error.message for error in oracle.iter_errors(doc)]
    for parse in (lambda: corpus_module.Node.model_validate(copy.deepcopy(doc), strict=True),
                  lambda: corpus_module.Node.model_validate_json(json.dumps(doc), strict=True)):
        try:
            dumped = parse().model_dump(mode="json", exclude_unset=True)
        except pydantic.ValidationError as exc:
            assert problems, f"valid by JSON Schema, rejected: {exc}"
        else:
            assert not problems, f"invalid by JSON Schema ({problems}), accepted"
            assert same_json(dumped, doc)


def test_spec_text_and_odd_names_come_through(corpus_module: ModuleType) -> None:
    fields = {field.alias or name: field for name, field in corpus_module.Node.model_fields.items()}
    assert set(fields) == set(CORPUS["$defs"]["Node"]["properties"])
    assert fields["class"].description == ODD_TEXT
    assert corpus_module.Node.model_fields["chosen_name"].alias == "Named"  # the names the spec chose
    assert corpus_module.Mode.BLANK.value == ""
    assert corpus_module.OpenThing.model_json_schema()["title"] == "Field"  # renamed, titled as in the spec
    assert corpus_module.Any1.model_json_schema()["title"] == "Any"  # renamed by datamodel-code-generator


def test_the_corpus_module_passes_ruff_and_mypy(corpus_module: ModuleType) -> None:
    tools = Path(sys.executable).parent
    path = corpus_module.__file__ or ""
    ruff = subprocess.run([str(tools / "ruff"), "check", "--config", str(ROOT / "pyproject.toml"), path],
                          capture_output=True, text=True, timeout=120)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run([str(tools / "mypy"), "--strict", "--no-incremental", "--python-version", "3.11", path],
                          capture_output=True, text=True, timeout=300, cwd=Path(path).parent)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr
