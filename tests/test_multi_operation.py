"""A spec with two operations: each client method, parse_response, the validators, bundled schemas and
the `validate` command (with --action, HAR entries, XML roots) use their own operation's response, not
the first one's."""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import import_fresh
from hypothesis import given
from hypothesis import strategies as st
from other_api import OTHER_SPEC
from scripted_server import KEYS, Reply, Request, scripted

from generator.cli import main
from generator.emulator.xml_writer import dict_to_xml

SECOND_OPERATION = """
    post:
      operationId: CountWidgets
      summary: Counts widgets.
      x-rpc: {action: CountWidgets, methods: [POST]}
      parameters:
        - {name: Shelf, in: query, required: true, schema: {type: string}}
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: "#/components/schemas/WidgetCount"}
"""
COUNT_MODEL = """
    WidgetCount:
      type: object
      additionalProperties: false
      properties:
        Ok: {type: [boolean, "null"]}
        Total: {type: [integer, "null"]}
        Sizes: {type: [array, "null"], items: {type: integer}}
"""


@pytest.fixture(scope="module")
def two_ops(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    from generator import generate

    text = OTHER_SPEC.replace("package: widget_store", "package: widget_pair")
    text = text.replace("\ncomponents:", SECOND_OPERATION.rstrip("\n") + "\ncomponents:", 1)
    text = text.replace("  schemas:\n", "  schemas:\n" + COUNT_MODEL.lstrip("\n"), 1)
    spec = tmp_path_factory.mktemp("pair") / "pair.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("pair-out")
    generate(spec, out)
    yield import_fresh(out, "widget_pair")


def test_parse_response_takes_the_action(two_ops: ModuleType) -> None:
    models = two_ops.models
    assert isinstance(models.parse_response(b'{"Page": 1}'), models.WidgetPage)  # the first operation's
    count = models.parse_response(b'{"Total": 3, "Sizes": [1, 2]}', action="CountWidgets")
    assert isinstance(count, models.WidgetCount) and count.total == 3 and count.sizes == [1, 2]
    with pytest.raises(ValueError, match="unknown action 'Nope': one of ListWidgets, CountWidgets"):
        models.parse_response(b"{}", action="Nope")


def test_each_method_reads_xml_with_its_own_operation_shape(two_ops: ModuleType) -> None:
    spec = importlib.import_module("widget_pair._spec")
    client_module = importlib.import_module("widget_pair.client")
    assert set(spec.OPERATIONS) == {"ListWidgets", "CountWidgets"} and spec.ACTION == "ListWidgets"
    shape = spec.OPERATIONS["CountWidgets"]["response_shape"]
    count_xml = dict_to_xml("CountWidgetsResponse", {"Ok": True, "Total": 3, "Sizes": [4]}, shape)

    def behave(request: Request) -> Reply:
        return Reply(200, count_xml, {"Content-Type": "text/xml"})

    with scripted(behave) as server, client_module.WidgetClient(
        endpoint=server.url, access_key_id="test-ak", access_key_secret=KEYS["test-ak"], response_format="XML"
    ) as client:
        count = client.count_widgets(shelf="top")
    # Typed by CountWidgets' shape: with ListWidgets' shape, Total and Sizes would stay text.
    assert (count.ok, count.total, count.sizes) == (True, 3, [4])
    assert not count.notes
    assert server.requests[0].params["Action"] == "CountWidgets"


def validate(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[dict[str, Any]], str]:
    code = main(["validate", "--package", "widget_pair", "--format", "json", "-q", *args])
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    return code, [r for r in rows if r["type"] == "finding"], err


def test_validators_and_schemas_exist_per_operation(two_ops: ModuleType) -> None:
    validators = importlib.import_module("widget_pair.validators")
    spec = importlib.import_module("widget_pair._spec")
    count = spec.OPERATIONS["CountWidgets"]
    check = getattr(validators, count["validator"])
    assert check({"Total": 3, "Sizes": [1]}, strict=True) == []
    assert [i.path for i in check({"Total": 3, "Sizes": ["x"]}, strict=True)] == ["/Sizes/0"]
    assert validators.validate_response({"Sizes": [1]}, strict=True)  # not a field of ListWidgets' response
    bundled = json.loads((Path(two_ops.__file__).parent / "schemas" / count["schema"]).read_text())
    assert bundled["$ref"] == "#/$defs/WidgetCount" and "WidgetPage" not in bundled["$defs"]


def test_validate_takes_the_action(two_ops: ModuleType, tmp_path: Path,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    body = tmp_path / "count.json"
    body.write_text(json.dumps({"Ok": True, "Total": 2, "Sizes": [1, 2]}))
    code, rows, _ = validate(capsys, "--strict", str(body))  # taken for ListWidgets: Total, Sizes unknown
    assert code == 1 and {r["path"] for r in rows} == {"/Total", "/Sizes"}
    code, rows, _ = validate(capsys, "--strict", "--action", "CountWidgets", str(body))
    assert (code, rows) == (0, [])
    code, _, err = validate(capsys, "--action", "Nope", str(body))
    assert code == 2 and "unknown action 'Nope': widget_pair has ListWidgets, CountWidgets" in err


def test_har_entries_and_xml_roots_name_their_operation(two_ops: ModuleType, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    def entry(action: str, body: dict[str, Any]) -> dict[str, Any]:
        return {"request": {"method": "GET", "url": f"https://widgets.example.test/?Action={action}&Shelf=a"},
                "response": {"status": 200, "content": {"mimeType": "application/json", "text": json.dumps(body)}}}

    har = tmp_path / "mixed.har"
    har.write_text(json.dumps({"log": {"entries": [
        entry("ListWidgets", {"Page": 1, "Widgets": []}),
        entry("CountWidgets", {"Total": 2, "Sizes": ["big"]}),
        entry("SomethingElse", {"Anything": 1}),
    ]}}))
    code, rows, _ = validate(capsys, "--strict", str(har))
    assert code == 1 and [(r["entry"], r["path"]) for r in rows] == [(1, "/Sizes/0")]
    code, rows, _ = validate(capsys, "--strict", "--action", "ListWidgets", str(har))
    assert (code, rows) == (0, [])  # only ListWidgets entries

    spec = importlib.import_module("widget_pair._spec")
    xml = tmp_path / "count.xml"
    xml.write_bytes(dict_to_xml("CountWidgetsResponse", {"Total": 2, "Sizes": [3, 4]},
                                spec.OPERATIONS["CountWidgets"]["response_shape"]))
    code, rows, _ = validate(capsys, "--strict", str(xml))
    assert (code, rows) == (0, [])


@pytest.mark.parametrize("action", ["ListWidgets", "CountWidgets"])
@given(data=st.data())
def test_each_operations_documents_parse_and_validate_as_that_operation(
    two_ops: ModuleType, action: str, data: st.DataObject
) -> None:
    strategies = importlib.import_module("widget_pair.strategies")
    validators = importlib.import_module("widget_pair.validators")
    check = getattr(validators, importlib.import_module("widget_pair._spec").OPERATIONS[action]["validator"])
    doc = data.draw(strategies.response_documents(action=action))
    assert check(doc, strict=True) == []
    assert two_ops.parse_response(doc, strict=True, action=action).to_dict() == doc
    bad, path, _ = data.draw(strategies.invalid_response_documents(action=action))
    assert {issue.path for issue in check(bad, strict=True) if issue.severity == "error"} == {path}
