"""A spec with two operations: each client method, parse_response and XML responses use their own
operation's response, not the first one's."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest
from conftest import import_fresh
from other_api import OTHER_SPEC
from scripted_server import KEYS, Reply, Request, scripted

from generator.runtime._core import dict_to_xml

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
