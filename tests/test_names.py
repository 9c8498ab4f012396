"""Names are decided once, in the IR: acronym-aware snake_case, member names, and collisions with what the
generated code itself defines or imports, resolved by one rule (a trailing underscore) or by the spec's choice."""

from __future__ import annotations

import inspect
import keyword
from types import ModuleType

import pytest
from conftest import CORPUS, corpus_package
from hypothesis import given
from hypothesis import strategies as st

from generator.ir.names import RESERVED_MODULE, RESERVED_STRATEGIES, Scope, class_name, member, snake, tokens


@pytest.mark.parametrize(("wire", "attr"), [
    ("IPv6Address", "ipv6_address"), ("IDs", "ids"), ("URLList", "url_list"), ("HTTPStatusCode", "http_status_code"),
    ("PageNo", "page_no"), ("ZeroEtlJob", "zero_etl_job"), ("CnDocUrl", "cn_doc_url"), ("UserIDs", "user_ids"),
    ("S3Bucket", "s3_bucket"), ("Md5Hash", "md5_hash"), ("camelCase", "camel_case"), ("snake_case", "snake_case"),
    ("Foo-Bar", "foo_bar"), ("a/b~c", "a_b_c"), ("123abc", "field_123_abc"), ("", "field"), ("é", "field"),
])
def test_snake_case_is_acronym_aware(wire: str, attr: str) -> None:
    assert snake(wire) == attr


@pytest.mark.parametrize(("value", "name"), [
    ("NotStarted", "NOT_STARTED"), ("Failed", "FAILED"), ("01", "VALUE_01"), ("", "EMPTY"), ("a-b", "A_B"),
    ("source", "SOURCE"), ("ALIYUN", "ALIYUN"), ("!!", "VALUE"),
])
def test_member_names(value: str, name: str) -> None:
    assert member(value) == name


@given(st.text(max_size=20))
def test_every_spec_name_becomes_an_identifier(name: str) -> None:
    for made in (snake(name), member(name), class_name(name)):
        assert made.isidentifier() and not made.startswith("_"), made
    assert "".join(tokens(name)).isascii()


@given(st.lists(st.sampled_from(["notes", "self", "timeout", "class", "str", "x", "x_", "list", "foo_bar"]),
                max_size=8))
def test_a_scope_gives_distinct_free_names(wanted: list[str]) -> None:
    scope = Scope({"notes", "timeout"}, builtins_too=True)
    given_names = [scope.take(w, w) for w in wanted]
    assert len(set(given_names)) == len(given_names)
    for name in given_names:
        assert name not in {"notes", "timeout", "list", "str"} and not keyword.iskeyword(name)


def test_a_chosen_name_is_used_as_it_is_or_refused() -> None:
    scope = Scope({"notes"})
    assert scope.claim("picked", "Wire") == "picked"
    assert scope.claim("picked", "Other") is None  # taken now
    assert scope.claim("notes", "Other") is None and scope.claim("class", "Other") is None
    assert scope.claim("not an identifier", "Other") is None


def _public(module: ModuleType) -> set[str]:
    return {n for n in vars(module) if not n.startswith("_")}


@pytest.mark.parametrize("spec", sorted(CORPUS))
def test_generated_modules_bind_only_reserved_names_besides_the_spec_s(spec: str) -> None:
    """Every module-level name a generated module binds is either a name of the spec (a class) or declared in
    RESERVED_MODULE, so the IR's collision rule covers everything the code defines or imports."""
    pkg = corpus_package(spec)
    spec_module = __import__(f"{pkg.__name__}._spec", fromlist=["x"])
    models = __import__(f"{pkg.__name__}.models", fromlist=["x"])
    errors = __import__(f"{pkg.__name__}.errors", fromlist=["x"])
    classes = {n for n, v in vars(models).items() if inspect.isclass(v) and v.__module__ == models.__name__}
    classes |= {n for n, v in vars(errors).items() if inspect.isclass(v) and v.__module__ == errors.__name__}
    classes |= {spec_module.CLI.get("status", {}).get("client_class", "")} - {""}
    for name in ("models", "errors", "validators", "_spec", "strategies"):
        module = __import__(f"{pkg.__name__}.{name}", fromlist=["x"])
        constants = {n for n in _public(module) if n.isupper() and name in ("_spec", "strategies")}
        entry_points = {n for n in _public(module) if name == "validators" and n.startswith("validate_")}
        entry_points |= {n for n in _public(module) if name == "strategies" and n.rstrip("_").endswith("_documents")}
        stray = _public(module) - classes - RESERVED_MODULE - RESERVED_STRATEGIES - constants - entry_points
        assert not stray, f"{name}: {sorted(stray)} (add them to RESERVED_MODULE)"
    for cls in classes & {n for n, v in vars(models).items() if inspect.isclass(v)}:
        assert cls not in RESERVED_MODULE
