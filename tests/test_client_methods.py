"""The client sends the HTTP method its operation declares (x-rpc.methods): POST when the operation takes
it, else its first method; a GET carries the parameters in the query like any RPC call, and is signed as
a GET. Generated from the second spec of the tests, against the scripted server that checks signatures."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest
from conftest import import_fresh
from other_api import OTHER_SPEC
from scripted_server import Reply, Request, scripted

PAGE = {"Ok": True, "Page": 0, "Count": 1, "Widgets": [{"Name": "w1", "Color": "red"}]}


def page(req: Request) -> Reply:
    return Reply(200, PAGE)


@pytest.fixture(scope="module")
def both_methods(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    from generator import generate

    text = OTHER_SPEC.replace("package: widget_store", "package: widget_either")
    text = text.replace("methods: [GET]", "methods: [GET, POST]")
    spec = tmp_path_factory.mktemp("either") / "either.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path_factory.mktemp("either-out")
    generate(spec, out)
    yield import_fresh(out, "widget_either")


def call(pkg: ModuleType) -> tuple[object, Request]:
    client_module = importlib.import_module(f"{pkg.__name__}.client")
    with scripted(page) as server, client_module.WidgetClient(endpoint=server.url, access_key_id="test-ak",
                                                              access_key_secret="test-secret") as c:
        response = c.list_widgets(shelf="top shelf", tint="red")
    return response, server.requests[0]


@pytest.mark.parametrize(("fixture", "method"), [("other_pkg", "GET"), ("both_methods", "POST")])
def test_the_declared_method_is_sent_and_signed(fixture: str, method: str, request: pytest.FixtureRequest) -> None:
    pkg: ModuleType = request.getfixturevalue(fixture)
    spec = importlib.import_module(f"{pkg.__name__}._spec")
    assert spec.OPERATIONS["ListWidgets"]["http_methods"] == (("GET",) if method == "GET" else ("GET", "POST"))
    response, seen = call(pkg)
    assert seen.method == method
    assert seen.signature_error is None and seen.key_id == "test-ak"  # signed as the method it went as
    assert (seen.params["Action"], seen.params["Shelf"], seen.params["Tint"]) == ("ListWidgets", "top shelf", "red")
    assert response.to_dict() == PAGE  # type: ignore[attr-defined]
