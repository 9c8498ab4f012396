"""A bad spec gets every problem reported at once, each with its file, line and JSON path; never a traceback."""

from __future__ import annotations

import copy
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT
from other_api import OTHER_SPEC

from generator import SpecError, generate


def _spec(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    data = yaml.safe_load(OTHER_SPEC)
    change(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _op(data: dict[str, Any]) -> dict[str, Any]:
    return data["paths"]["/"]["get"]  # type: ignore[no-any-return]


def _problems(path: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        generate(path, path.parent / "out")
    return [f"{i.path} | {i.message}" for i in info.value.issues]


def test_broken_ref(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["Widget"]["properties"]["Color"]["anyOf"][0]["$ref"] = "#/components/schemas/Colour"

    problems = _problems(_spec(tmp_path, change))
    assert problems == [
        "/components/schemas/Widget/properties/Color/anyOf/0/$ref | $ref '#/components/schemas/Colour' does not resolve"
    ]


def test_pagination_naming_a_missing_field_and_parameter(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _op(d)["x-pagination"]["items_field"] = "Gadgets"
        _op(d)["x-pagination"]["size_param"] = "PerPage"

    problems = _problems(_spec(tmp_path, change))
    assert any(p.startswith("/paths/~1/get/x-pagination/items_field | names response field 'Gadgets'")
               for p in problems), problems
    assert any(p.startswith("/paths/~1/get/x-pagination/size_param | names request parameter 'PerPage'")
               for p in problems), problems
    assert len(problems) == 2  # reported together


def test_pagination_field_of_the_wrong_type(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _op(d)["x-pagination"]["total_field"] = "Phase"

    assert _problems(_spec(tmp_path, change)) == [
        "/paths/~1/get/x-pagination/total_field | field 'Phase' of WidgetPage has the wrong type for this rule: "
        "expected integer"
    ]


def test_two_operations_declaring_the_status_command(tmp_path: Path) -> None:
    """`x-cli.status` is the one `status` command: a second operation declaring it is reported there."""
    status = {"waiter": "built", "options": {"shelf": {"param": "Shelf"}},
              "columns": [{"field": "Name", "title": "name"}], "outcome": {"field": "Color", "failed": ["black"]}}

    def change(d: dict[str, Any]) -> None:
        _op(d)["x-cli"] = {"status": status}  # valid on its own: one operation may declare it
        second = copy.deepcopy(_op(d))
        second["operationId"] = "ListMoreWidgets"
        second["x-rpc"] = {"action": "ListMoreWidgets", "methods": ["POST"]}
        d["paths"]["/"]["post"] = second

    assert _problems(_spec(tmp_path, change)) == [
        "/paths/~1/post/x-cli/status | only one operation may declare x-cli.status "
        "(the status command shows one operation)"
    ]


def test_unsupported_keyword(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["Widget"]["patternProperties"] = {"^x": {"type": "string"}}

    problems = _problems(_spec(tmp_path, change))
    assert len(problems) == 1
    assert problems[0].startswith("/components/schemas/Widget/patternProperties | unsupported JSON Schema keyword")


def test_malformed_extension(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["x-service"]["retry"]["max_attempts"] = 0
        del _op(d)["x-waiters"]["built"]["success"]

    problems = _problems(_spec(tmp_path, change))
    assert "/x-service/retry/max_attempts | x-service: 0 is less than the minimum of 1" in problems
    assert "/paths/~1/get/x-waiters/built | x-waiters: 'success' is a required property" in problems


def test_openapi_violation(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        del d["info"]["title"]

    problems = _problems(_spec(tmp_path, change))
    assert any("OpenAPI 3.1" in p and "'title' is a required property" in p for p in problems), problems


def test_cli_prints_file_line_and_path_without_traceback(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        _op(d)["x-pagination"]["items_field"] = "Gadgets"

    path = _spec(tmp_path, change)
    run = subprocess.run([sys.executable, "-m", "generator", "generate", "--spec", str(path), "--out",
                          str(tmp_path / "o")], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert run.returncode == 2
    assert "Traceback" not in run.stderr
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if "items_field" in text)
    assert f"{path}:{line}: /paths/~1/get/x-pagination/items_field: names response field 'Gadgets'" in run.stderr
    assert "hint: fields available:" in run.stderr
    assert not (tmp_path / "o").exists(), "nothing is written when the spec is bad"


@pytest.mark.parametrize("content", [b"\xff\xfe", b"a: [", b"- just\n- a list\n"])
def test_unreadable_specs(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.yaml"
    path.write_bytes(content)
    with pytest.raises(SpecError) as info:
        generate(path, tmp_path / "out")
    assert str(path) in str(info.value)


def test_missing_spec_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read the spec"):
        generate(tmp_path / "nope.yaml", tmp_path / "out")


def test_keyword_the_validator_compiler_cannot_compile(tmp_path: Path) -> None:
    """The model layer accepts `uniqueItems`; the validator compiler does not, and says where."""

    def change(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["Widget"]["properties"]["Tags"]["uniqueItems"] = True

    problems = _problems(_spec(tmp_path, change))
    assert len(problems) == 1
    assert problems[0].startswith("/components/schemas/Widget/properties/Tags/uniqueItems | ")
    assert "uniqueItems" in problems[0]


ALIAS_BOMB = "\n".join(
    [f"a0: &a0 [{', '.join(['lol'] * 9)}]"]
    + [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 9)}]" for n in range(1, 10)]
) + "\n"


@pytest.mark.parametrize(("content", "message"), [
    (ALIAS_BOMB, "expands to more than 1,000,000 nodes"),
    ("a: &a [*a]\n", "an alias refers to a node that contains it"),
    ("x: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deep"),
])
def test_hostile_yaml_is_refused_in_bounded_time_and_memory(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(content, encoding="utf-8")
    code = ("import resource, sys\n"
            "resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))\n"  # a runaway would die, not pass
            "from generator.cli import main\n"
            "sys.exit(main(['generate', '--spec', sys.argv[1], '--out', sys.argv[2]]))\n")
    run = subprocess.run([sys.executable, "-c", code, str(path), str(tmp_path / "out")], capture_output=True,
                         text=True, timeout=60, cwd=ROOT)
    assert run.returncode == 2, run.stderr
    assert message in run.stderr and "Traceback" not in run.stderr


def test_ref_cycles_are_named_and_everything_else_is_reported_with_them(tmp_path: Path) -> None:
    def change(d: dict[str, Any]) -> None:
        d["components"]["schemas"]["A"] = {"$ref": "#/components/schemas/B"}
        d["components"]["schemas"]["B"] = {"$ref": "#/components/schemas/A"}
        d["components"]["parameters"] = {"P": {"$ref": "#/components/parameters/P"}}
        _op(d)["parameters"].append({"$ref": "#/components/parameters/P"})
        _op(d)["x-pagination"]["items_field"] = "Gadgets"  # an IR problem, reported in the same run

    problems = _problems(_spec(tmp_path, change))
    cycles = [p for p in problems if "$ref cycle" in p]
    assert any("#/components/schemas/A -> #/components/schemas/B" in p or
               "#/components/schemas/B -> #/components/schemas/A" in p for p in cycles), problems
    assert any("#/components/parameters/P -> #/components/parameters/P" in p for p in cycles), problems
    assert any("names response field 'Gadgets'" in p for p in problems), problems
