"""The spec corpus (tests/specs/, the main spec and the made-up second API): each spec generates a package that
imports with the standard library only, is ruff- and mypy-clean, round-trips what its strategies draw, and
behaves as its family asks: odd names resolved, hostile text kept verbatim, GET-only operations sent as GET,
zero-based paging, item waiters."""

from __future__ import annotations

import ast
import copy
import importlib
import inspect
import itertools
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import flavours
import pytest
from conftest import CORPUS, ROOT, corpus_generated, corpus_package
from hypothesis import given, settings
from hypothesis import strategies as st
from scripted_server import Reply, Request, scripted

SPECS = sorted(CORPUS)
VENV_BIN = Path(sys.executable).parent


def _sub(pkg: ModuleType, name: str) -> Any:
    return importlib.import_module(f"{pkg.__name__}.{name}")


def _package_dir(spec: str) -> tuple[str, Path]:
    pkg, out = corpus_generated(spec)
    return pkg.__name__, out


@pytest.mark.parametrize("spec", SPECS)
def test_the_package_imports_with_the_standard_library_only(spec: str) -> None:
    name, out = _package_dir(spec)
    modules = [f"{name}.{p.stem}" for p in (out / name).glob("*.py")
               if p.stem not in ("__init__", "strategies", "pydantic_models")]
    code = "import sys; sys.path.insert(0, sys.argv[1])\nfor m in sys.argv[2:]: __import__(m)"
    run = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(out), name, *modules],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr


@pytest.mark.parametrize("spec", [s for s in SPECS if s != "dts"])  # the committed package is linted by make lint
def test_the_package_is_ruff_and_mypy_clean(spec: str) -> None:
    name, out = _package_dir(spec)
    config = str(ROOT / "pyproject.toml")
    ruff = subprocess.run([str(VENV_BIN / "ruff"), "check", "--config", config, name], cwd=out,
                          capture_output=True, text=True)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = subprocess.run([str(VENV_BIN / "mypy"), "--strict", "--no-incremental", "--python-version", "3.11",
                           "--cache-dir", "/dev/null", name], cwd=out, capture_output=True, text=True)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


@pytest.mark.parametrize(("spec", "action"), [(s, a) for s in SPECS for a in CORPUS[s]])
def test_what_the_strategies_draw_round_trips(spec: str, action: str) -> None:
    pkg = corpus_package(spec)
    strategies = __import__(f"{pkg.__name__}.strategies", fromlist=["x"])

    @settings(max_examples=60)
    @given(strategies.response_documents(unknown_enums=True, action=action))
    def check(doc: dict[str, Any]) -> None:
        before = copy.deepcopy(doc)
        assert pkg.parse_response(doc, action=action).to_dict() == doc
        assert doc == before

    check()


# ---------------------------------------------------------------- odd names and hostile text
def test_names_that_collide_get_the_rule_s_underscore_or_the_spec_s_choice() -> None:
    odd = corpus_package("names")
    fields = {f.name for f in odd.Note_.__dataclass_fields__.values()}
    assert {"extra_fields_", "notes_", "to_dict_", "from_dict_", "field_", "class_", "str_", "list_", "ipv6_address",
            "ids", "url_list", "foo_bar", "foo_bar_", "field_123_abc", "a_b_c", "chosen_name", "any"} <= fields
    assert odd.Any_.__name__ == "Any_" and _sub(odd, "models").list_.__name__ == "list_"
    assert [m.name for m in odd.Str][:6] == ["EMPTY", "FIRST", "A_B", "A_B_", "FAILED", "FAILED_"]
    doc = {"notes": "a", "extra_fields": "b", "a/b~c": "c", "Named": "d", "Kind": "01", "Any": {"List": {"Items": []}}}
    note = odd.parse_response(doc, strict=True, action="Close")
    assert (note.notes_, note.extra_fields_, note.a_b_c, note.chosen_name) == ("a", "b", "c", "d")
    assert note.kind is odd.Str.FIRST and note.notes == () and note.to_dict() == doc
    client = _sub(odd, "client").NameClient
    close = inspect.signature(client.close_)
    assert list(close.parameters) == ["self", "params", "self_", "check", "timeout_", "max_pages_", "list_", "type_",
                                      "ipv6_address", "picked"]
    assert callable(client.close) and client.close is not client.close_  # the client's own close stays
    async_client = _sub(odd, "client").AsyncNameClient  # named after the client; the component yielded to it
    assert inspect.signature(async_client.close_).parameters.keys() == close.parameters.keys()
    assert inspect.iscoroutinefunction(async_client.close_) and inspect.iscoroutinefunction(async_client.close)
    models = _sub(odd, "models")
    assert models.AsyncNameClient_.__name__ == "AsyncNameClient_" and models.Response_.__name__ == "Response_"
    error = _sub(odd, "errors").NamesError("Busy", "m", http_status=503, body={}, request_id="r-1", http_status_=7, body_="b")
    assert (error.http_status, error.http_status_, error.body, error.body_) == (503, 7, {}, "b")


def test_hostile_spec_text_comes_out_verbatim() -> None:
    odd = corpus_package("names")
    title = 'Odd Names """ C:\\users\\new {{ x }} \'quoted\' \\u0041 🎉'
    assert odd.__doc__.startswith(title)
    assert _sub(odd, "models").Note_.__doc__.startswith("A component named like the runtime's Note: \"\"\" \\ {{ }}")
    assert 'Closes """ things \\ with {braces}' in _sub(odd, "client").NameClient.close_.__doc__
    assert "params \"\"\" \\" in _sub(odd, "client").NameClient.close_.__doc__
    assert odd.Str('q"""uote').is_known
    assert 'Busy """ \\n {x}' in _sub(odd, "errors").BusyError.__doc__
    # a member's description is the string after it in the class body (an attribute docstring)
    tree = ast.parse(Path(_sub(odd, "models").__file__).read_text(encoding="utf-8"))
    body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Str").body
    after = {stmt.targets[0].id: nxt.value.value for stmt, nxt in itertools.pairwise(body)
             if isinstance(stmt, ast.Assign) and isinstance(nxt, ast.Expr)}
    assert after["EMPTY"] == 'the empty value """ \\'
    assert after["FAILED"] == "upper"


# ---------------------------------------------------------------- GET-only, zero-based paging, item waiters
def _jobs(pages: dict[int, list[dict[str, Any]]], total: int) -> Any:
    def behave(request: Request) -> Reply:
        offset = int(request.params.get("Offset", "-1"))
        return Reply(200, {"Jobs": pages.get(offset, []), "Total": total})

    return behave


@pytest.mark.parametrize("flavour", flavours.FLAVOURS)
def test_a_get_only_operation_pages_from_its_declared_minimum(flavour: str) -> None:
    farm = corpus_package("paging")
    pages = {0: [{"Name": "a"}, {"Name": "b"}], 1: [{"Name": "c"}]}
    with scripted(_jobs(pages, 3)) as server:
        client = flavours.make(_sub(farm, "client"), flavour, endpoint=server.url, access_key_id="test-ak",
                               access_key_secret="test-secret", retry=1)
        names = [job.name for job in client.paginate_list_jobs(build="b-1", limit=2).items()]
        client.close()
    assert names == ["a", "b", "c"]
    assert [r.method for r in server.requests] == ["GET", "GET"]
    assert [r.params["Offset"] for r in server.requests] == ["0", "1"]
    assert all(r.signature_error is None for r in server.requests)


@pytest.mark.parametrize(("states", "waiter", "outcome"), [
    (["Done", "Done"], "wait_for_all_done", "success"),
    (["Done", "Running"], "wait_for_all_done", "timeout"),
    (["Done", "Broken"], "wait_for_all_done", "failure"),  # any broken item ends it
    ([], "wait_for_all_done", "timeout"),  # no items: neither
    (["Queued", "Running"], "wait_for_any_started", "success"),
    (["Broken", "Queued"], "wait_for_any_started", "timeout"),  # failure needs all broken
    (["Broken", "Broken"], "wait_for_any_started", "failure"),
])
@pytest.mark.parametrize("flavour", flavours.FLAVOURS)
def test_item_waiters_read_every_item(states: list[str], waiter: str, outcome: str, flavour: str) -> None:
    farm = corpus_package("paging")
    jobs = [{"Name": f"j{i}", "Status": s} for i, s in enumerate(states)]
    clock = [0.0]
    with scripted(_jobs({-1: jobs, 0: jobs}, len(jobs))) as server:
        client = flavours.make(_sub(farm, "client"), flavour, endpoint=server.url, access_key_id="test-ak",
                               access_key_secret="test-secret", retry=1, clock=lambda: clock[0],
                               sleep=lambda s: clock.__setitem__(0, clock[0] + s))
        try:
            final = getattr(client, waiter)("b-1", timeout=5, poll_interval=1)
            got = "success" if [j.status for j in final.jobs] == states else "wrong"
        except _sub(farm, "errors").WaiterFailedError:
            got = "failure"
        except _sub(farm, "errors").WaiterTimeoutError:
            got = "timeout"
        finally:
            client.close()
    assert got == outcome


@given(st.lists(st.sampled_from(["Queued", "Running", "Done", "Broken", "Odd"]), max_size=5))
def test_item_waiter_verdicts_follow_all_and_any(states: list[str]) -> None:
    from generator.runtime._paging import wait_until

    def verdict(success_when: str, failure_when: str) -> str:
        now = [0.0]
        try:
            _, failed = wait_until(lambda: states, state_of=lambda s: s, success=["Done"], failure=["Broken"],
                                   items_of=lambda r: r, success_when=success_when, failure_when=failure_when,
                                   timeout=3, interval=1, min_interval=1, clock=lambda: now[0],
                                   sleep=lambda s: now.__setitem__(0, now[0] + s))
        except Exception:  # WaiterTimeoutError: no verdict in time
            return "none"
        return "failure" if failed else "success"

    broken = [s == "Broken" for s in states]
    done = [s == "Done" for s in states]
    expect_any_all = "failure" if any(broken) else ("success" if states and all(done) else "none")
    assert verdict("all", "any") == expect_any_all
    expect_all_any = "failure" if states and all(broken) else ("success" if any(done) else "none")
    assert verdict("any", "all") == expect_all_any
