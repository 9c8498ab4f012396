"""The contract between the generated models and the generated validators, on every spec of the corpus and
every operation of each: they read the spec's schemas through one IR and one runtime (`_values`), so on any
document the strategies draw (valid, drifted, awkward, planted errors) they reach the same verdicts at the same
JSON Pointers.

* strict: the pointers of `validate(doc, strict=True)` errors are exactly those of `from_dict(doc, strict=True)`'s
  ParseError notes; no errors if and only if no ParseError;
* lenient: `validate(doc)` errors sit exactly where the model kept a value it could not read (kind `wrong_type`),
  its warnings exactly where the model read a value strict mode rejects (`coerced`, `unknown_enum`,
  `unknown_field`);
* a value lenient parsing read through drift is a value strict validation accepts.
"""

from __future__ import annotations

import copy
from types import ModuleType
from typing import Any

import pytest
from conftest import CORPUS, corpus_package
from hypothesis import given
from hypothesis import strategies as st

CASES = [(spec, action) for spec, actions in CORPUS.items() for action in actions]


def _validator(pkg: ModuleType, action: str) -> Any:
    validators = __import__(f"{pkg.__name__}.validators", fromlist=["x"])
    spec = __import__(f"{pkg.__name__}._spec", fromlist=["x"])
    return getattr(validators, spec.OPERATIONS[action]["validator"])


def _documents(pkg: ModuleType, action: str) -> st.SearchStrategy[dict[str, Any]]:
    strategies = __import__(f"{pkg.__name__}.strategies", fromlist=["x"])
    return st.one_of(
        strategies.response_documents(action=action),
        strategies.response_documents(unknown_enums=True, drift=True, action=action),
        strategies.response_documents(awkward=True, action=action),
        strategies.invalid_response_documents(action=action).map(lambda case: case[0]),
    )


def _pointers(issues: list[Any], severity: str) -> set[str]:
    return {i.path for i in issues if i.severity == severity}


def _check(pkg: ModuleType, action: str, validate: Any, doc: dict[str, Any]) -> None:
    before = copy.deepcopy(doc)
    strict_errors = _pointers(validate(doc, strict=True), "error")
    try:
        pkg.parse_response(doc, strict=True, action=action)
    except pkg.ParseError as exc:
        assert {n.path for n in exc.notes} == strict_errors, [str(n) for n in exc.notes]
    else:
        assert strict_errors == set()
    lenient = validate(doc)
    model = pkg.parse_response(doc, action=action)
    kept = {n.path for n in model.notes if n.kind == "wrong_type"}
    read = {n.path for n in model.notes if n.kind in ("coerced", "unknown_enum", "unknown_field")}
    assert _pointers(lenient, "error") == kept, [str(n) for n in model.notes]
    assert _pointers(lenient, "warning") == read, [str(n) for n in model.notes]
    assert {n.kind for n in model.notes} <= {"wrong_type", "coerced", "unknown_enum", "unknown_field"}
    assert doc == before  # neither side changes what it reads
    if model.notes and all(n.kind == "coerced" for n in model.notes):
        # what drift was read as is a value the schema takes
        assert _pointers(validate(model.to_dict(), strict=True), "error") == set()


@pytest.mark.parametrize(("spec", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_models_and_validators_reach_the_same_verdicts(spec: str, action: str) -> None:
    pkg = corpus_package(spec)
    validate = _validator(pkg, action)

    @given(_documents(pkg, action))
    def check(doc: dict[str, Any]) -> None:
        _check(pkg, action, validate, doc)

    check()


@pytest.mark.parametrize(("spec", "action"), CASES, ids=[f"{s}-{a}" for s, a in CASES])
def test_the_same_verdicts_on_every_edge_value_of_every_field(spec: str, action: str) -> None:
    pkg = corpus_package(spec)
    validate = _validator(pkg, action)
    strategies = __import__(f"{pkg.__name__}.strategies", fromlist=["x"])
    documents = strategies.edge_documents(action=action)
    assert len(documents) > 50
    for doc in documents:
        _check(pkg, action, validate, doc)
