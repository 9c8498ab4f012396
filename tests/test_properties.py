"""Properties over documents generated from the spec (dts_precheck.strategies): validation, the agreement of
strict parsing with strict validation, and the XML round trip. Run deeper with `make fuzz`."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import dts_precheck as d
from dts_precheck import _spec, strategies, validators
from dts_precheck._xml import xml_to_dict
from hypothesis import given

from generator.emulator.xml_writer import dict_to_xml
from generator.runtime._errors import XmlError

SCHEMA = json.loads((Path(d.__file__).parent / "schemas" / "response.schema.json").read_text(encoding="utf-8"))


def error_paths(doc: Any, strict: bool = True) -> set[str]:
    return {i.path for i in validators.validate(doc, strict=strict) if i.severity == "error"}


@given(strategies.response_documents())
def test_valid_documents_have_no_issue_in_either_mode(doc: dict[str, Any]) -> None:
    assert validators.validate(doc, strict=True) == []
    assert validators.validate(doc) == []


@given(strategies.invalid_response_documents())
def test_every_planted_error_is_reported_at_its_path(case: tuple[dict[str, Any], str, str]) -> None:
    doc, path, kind = case
    assert error_paths(doc) == {path}
    lenient = {(i.path, i.severity) for i in validators.validate(doc)}
    if kind in ("unknown_enum", "unknown_field"):
        assert lenient == {(path, "warning")}  # lenient mode, for recorded traffic, only warns
    else:
        assert (path, "error") in lenient


@given(strategies.response_documents(unknown_enums=True, drift=True) | strategies.invalid_response_documents().map(
    lambda case: case[0]))
def test_strict_parse_fails_exactly_when_strict_validation_does_at_the_same_paths(doc: dict[str, Any]) -> None:
    expected = error_paths(doc)
    try:
        d.parse_response(copy.deepcopy(doc), strict=True)
    except d.ParseError as exc:
        assert {n.path for n in exc.notes} == expected
    else:
        assert expected == set()


@given(strategies.response_documents(unknown_enums=True, drift=True) | strategies.invalid_response_documents().map(
    lambda case: case[0]))
def test_lenient_parse_never_raises_and_notes_every_strict_error(doc: dict[str, Any]) -> None:
    response = d.parse_response(doc)
    assert {n.path for n in response.notes} == error_paths(doc)


def _xml_expected(value: Any) -> Any:
    """What survives XML: nulls and empty arrays are absent elements there."""
    if isinstance(value, dict):
        return {k: _xml_expected(v) for k, v in value.items() if v is not None and v != []}
    if isinstance(value, list):
        return [_xml_expected(v) for v in value if v is not None]
    return value


_NOT_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _texts(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in [k, *_texts(v)]]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return [value] if isinstance(value, str) else []


@given(strategies.response_documents())
def test_xml_round_trip(doc: dict[str, Any]) -> None:
    """A response rendered to the service's XML shape and parsed back equals the original."""
    try:
        xml = dict_to_xml(_spec.RESPONSE_ROOT, doc, _spec.RESPONSE_SHAPE)
    except XmlError:
        # only text that XML 1.0 cannot carry may be refused
        assert any(_NOT_IN_XML.search(t) for t in _texts(doc)), "refused a document XML can carry"
        return
    back = xml_to_dict(xml, _spec.RESPONSE_SHAPE, root=_spec.RESPONSE_ROOT)
    expected = _xml_expected(doc)
    assert back == expected
    assert d.parse_response(back).to_dict() == expected
