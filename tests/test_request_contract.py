"""The contract between the client's argument checks and `validate`'s checks of recorded requests, on every
operation of every spec of the corpus: both apply the spec's value sets and rules (bounds, lengths, patterns, a
format's range) through one runtime function (`_values.broken_rule`), so they reach the same verdicts.

For any arguments the strategies draw, among those the client sends at all (right types, text with a UTF-8
form, 64-bit integers, `validate_requests=False`): the client with its checks on refuses them if and only if
`validate --strict` finds an error in the request they make, and the error names the parameter the client named.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from typing import Any

import pytest
from conftest import CORPUS, corpus_package, corpus_spec
from hypothesis import given
from hypothesis import strategies as st

from generator.commands.validate.requests import RequestChecker
from generator.ir.operations import Parameter
from generator.ir.schemas import EnumProperty, ScalarProperty
from generator.pipeline import compile_spec

CASES = [(spec, action) for spec, actions in CORPUS.items() for action in actions]


@functools.cache
def _operations(spec: str) -> dict[str, Any]:
    return {op.action: op for op in compile_spec(corpus_spec(spec))[1].operations}


def _near(bound: float | None) -> list[float]:
    return [] if bound is None else [bound - 1, bound, bound + 1]


def _values(p: Parameter) -> st.SearchStrategy[Any]:
    """Values of the parameter's type around every rule it has, and anything else of that type."""
    rules, prop = p.rules, p.prop
    if isinstance(prop, EnumProperty):
        return st.sampled_from(sorted(prop.values)) | st.text(max_size=5)
    kind = prop.json_type if isinstance(prop, ScalarProperty) else "string"
    if kind == "boolean":
        return st.booleans()
    if kind in ("integer", "number"):
        edges = [x for r in ("minimum", "maximum", "exclusive_minimum", "exclusive_maximum")
                 for x in _near(rules.get(r))]
        edges += [x for bound in rules.get("int_range", ()) for x in _near(bound)]
        if kind == "integer":
            return st.sampled_from([int(x) for x in edges] or [0]) | st.integers(-(2**63), 2**63 - 1)
        return (st.sampled_from([float(x) for x in edges] or [0.0]) | st.floats(allow_nan=False, allow_infinity=False)
                | st.floats(-2.0, 2.0))
    lengths = [n for r in ("min_length", "max_length") for n in _near(rules.get(r)) if n >= 0]
    texts = st.text(max_size=20) | st.sampled_from(lengths or [0]).map(lambda n: "a" * int(n))
    if "pattern" in rules:
        texts |= st.from_regex(rules["pattern"]).filter(lambda t: len(t) < 40)
    return texts


@st.composite
def _arguments(draw: st.DrawFn, params: tuple[Parameter, ...]) -> dict[str, Any]:
    return {p.attr: draw(_values(p) if p.required else st.none() | _values(p)) for p in params}


def _sent(build: Any, check: bool, arguments: dict[str, Any]) -> tuple[dict[str, str] | None, str | None]:
    """The parameters the client sends, or the parameter it refused."""
    errors = importlib.import_module(build.__module__.rsplit(".", 1)[0] + ".errors")
    try:
        return build(check, **arguments), None
    except errors.RequestValidationError as exc:
        return None, exc.parameter


@pytest.mark.parametrize(("spec", "action"), CASES)
def test_the_client_refuses_exactly_what_validate_calls_an_error(spec: str, action: str) -> None:
    pkg = corpus_package(spec)
    client = importlib.import_module(f"{pkg.__name__}.client")
    table = importlib.import_module(f"{pkg.__name__}._spec").PARAMETERS
    op = _operations(spec)[action]
    build = getattr(client, f"_params_{op.method}")
    assert [p.attr for p in op.parameters] == list(inspect.signature(build).parameters)[1:]
    checker = RequestChecker(table, strict=True)
    wires = {p.attr: p.wire for p in op.parameters}

    @given(_arguments(op.parameters))
    def hold(arguments: dict[str, Any]) -> None:
        unchecked, _ = _sent(build, False, arguments)
        if unchecked is None:
            return  # not sendable at all (a lone surrogate, past 64 bits, an empty required text)
        checked, refused = _sent(build, True, arguments)
        errors = [f for f in checker.check("r", action, {k: [v] for k, v in unchecked.items()})
                  if f.severity == "error"]
        if checked is not None:
            assert checked == unchecked and errors == [], [f.message for f in errors]
        else:
            named = {f.path.lstrip("/") for f in errors}
            assert refused is not None and any(refused.startswith(w) for w in named), (refused, named)
            assert named <= set(wires.values())

    if op.parameters:
        hold()
    else:
        assert build(True) == {}
