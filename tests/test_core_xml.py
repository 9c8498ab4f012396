"""Safe XML to dict (and back) in the runtime core: shapes, repeated and wrapped arrays, typed scalars,
refused DOCTYPE/ENTITY documents, and a round-trip property over random shapes and data."""

from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.emulator import xml_writer
from generator.runtime import _errors, _xml

LOG: _xml.Shape = {"ErrData": "string", "ErrMsg": "string", "LogLevel": "string", "ErrType": "string"}
ITEM: _xml.Shape = {
    "Item": "string",
    "State": "string",
    "Skip": "boolean",
    "Total": "integer",
    "DiffRow": "integer",
    "RepairMethod": "string",
    "Current": "string",
    "Logs": ("array", ("object", LOG)),
}
SHAPE: _xml.Shape = {
    "RequestId": "string",
    "State": "string",
    "Success": "boolean",
    "Total": "integer",
    "PageNumber": "integer",
    "Ratio": "number",
    "JobProgress": ("array", ("object", ITEM)),
    "SubDistributedJobStatus": (
        "array",
        ("object", {"JobName": "string", "ErrorItem": "integer", "JobProgress": ("array", ("object", ITEM))}),
    ),
    "NetworkDiagnosisResult": (
        "object",
        {"ModelVersion": "string", "Diagnosis": ("array", ("object", {"Code": "string"}))},
    ),
    "Names": ("array", "string"),
    "Numbers": ("array", "integer"),
}


def parse(xml: str | bytes, shape: _xml.Shape = SHAPE) -> dict[str, Any]:
    return _xml.xml_to_dict(xml.encode() if isinstance(xml, str) else xml, shape)


def test_service_document() -> None:
    doc = """<?xml version="1.0" encoding="UTF-8"?>
<DescribePreCheckStatusResponse>
  <RequestId>r-1</RequestId>
  <State>Finished</State>
  <Success>true</Success>
  <Total>2</Total>
  <Ratio>0.5</Ratio>
  <JobProgress>
    <Item>CHECK_CONN</Item><State>Success</State><Skip>false</Skip><Total>1</Total>
    <RepairMethod>fix it\t
</RepairMethod>
    <Current>0</Current>
    <Logs><ErrMsg>a</ErrMsg><LogLevel>ERROR</LogLevel></Logs>
    <Logs><ErrMsg>b</ErrMsg></Logs>
  </JobProgress>
  <JobProgress><Item>CHECK_AUTH</Item><DiffRow>9007199254740993</DiffRow></JobProgress>
  <JobProgress><Item>预检查</Item></JobProgress>
</DescribePreCheckStatusResponse>"""
    out = _xml.xml_to_dict(doc.encode(), SHAPE, root="DescribePreCheckStatusResponse")
    assert out["RequestId"] == "r-1" and out["Success"] is True and out["Total"] == 2 and out["Ratio"] == 0.5
    first, second, third = out["JobProgress"]
    assert first["Skip"] is False and first["Total"] == 1
    assert first["RepairMethod"] == "fix it\t\n"  # text is kept exactly
    assert first["Current"] == "0"  # a string field stays a string even when it looks like a number
    assert first["Logs"] == [{"ErrMsg": "a", "LogLevel": "ERROR"}, {"ErrMsg": "b"}]
    assert second == {"Item": "CHECK_AUTH", "DiffRow": 9007199254740993}
    assert third == {"Item": "预检查"}


def test_one_element_arrays_are_lists() -> None:
    out = parse(
        "<R><JobProgress><Item>only</Item><Logs><ErrMsg>x</ErrMsg></Logs></JobProgress><Names>n</Names></R>"
    )
    assert out == {"JobProgress": [{"Item": "only", "Logs": [{"ErrMsg": "x"}]}], "Names": ["n"]}


def test_an_item_holding_only_its_own_repeated_array_is_not_a_wrapper() -> None:
    out = parse(
        "<R><JobProgress><Logs><ErrMsg>a</ErrMsg></Logs><Logs><ErrMsg>b</ErrMsg></Logs></JobProgress></R>"
    )
    assert out == {"JobProgress": [{"Logs": [{"ErrMsg": "a"}, {"ErrMsg": "b"}]}]}


def test_wrapped_arrays_are_tolerated() -> None:
    doc = """<R>
      <JobProgress>
        <ProgressInfo><Item>a</Item><Total>1</Total></ProgressInfo>
        <ProgressInfo><Item>b</Item><Logs><LogInfo><ErrMsg>m</ErrMsg></LogInfo></Logs></ProgressInfo>
      </JobProgress>
      <SubDistributedJobStatus>
        <SubJob><JobName>s</JobName><JobProgress><ProgressInfo><Item>c</Item></ProgressInfo></JobProgress></SubJob>
      </SubDistributedJobStatus>
      <Names><Name>x</Name><Name>y</Name></Names>
      <Numbers><Number>1</Number></Numbers>
    </R>"""
    out = parse(doc)
    assert out["JobProgress"] == [{"Item": "a", "Total": 1}, {"Item": "b", "Logs": [{"ErrMsg": "m"}]}]
    assert out["SubDistributedJobStatus"] == [{"JobName": "s", "JobProgress": [{"Item": "c"}]}]
    assert out["Names"] == ["x", "y"]
    assert out["Numbers"] == [1]


def test_wrapped_and_bare_forms_agree() -> None:
    bare = "<R><JobProgress><Item>a</Item></JobProgress><JobProgress><Item>b</Item></JobProgress></R>"
    wrapped = "<R><JobProgress><P><Item>a</Item></P><P><Item>b</Item></P></JobProgress></R>"
    assert parse(bare) == parse(wrapped) == {"JobProgress": [{"Item": "a"}, {"Item": "b"}]}


@pytest.mark.parametrize(
    ("kind", "text", "expected"),
    [
        ("integer", "42", 42),
        ("integer", "-7", -7),
        ("integer", " 3 ", 3),
        ("integer", "None", "None"),
        ("integer", "4.5", "4.5"),
        ("integer", "1_000", "1_000"),
        ("integer", "", ""),
        ("integer", "٣", "٣"),  # a digit, but not an ASCII one
        ("integer", "9" * 5000, "9" * 5000),  # more digits than int() takes: kept as text
        ("number", "1.5e3", 1500.0),
        ("number", "12", 12),
        ("number", "nan", "nan"),
        ("number", "1e999", "1e999"),
        ("number", "Infinity", "Infinity"),
        ("boolean", "true", True),
        ("boolean", "false", False),
        ("boolean", "True", "True"),  # type drift is left for the validators to report
        ("boolean", "1", "1"),
        ("string", "  spaced  ", "  spaced  "),
        ("string", "", ""),
    ],
)
def test_scalars_are_typed_only_when_they_parse(kind: str, text: str, expected: Any) -> None:
    assert parse(f"<R><V>{text}</V></R>", {"V": kind}) == {"V": expected}


def test_unknown_elements_are_kept() -> None:
    doc = "<R><New>x</New><Nested><A>1</A><A>2</A><B><C>3</C></B></Nested><JobProgress><Extra>e</Extra></JobProgress></R>"
    out = parse(doc)
    assert out["New"] == "x"
    assert out["Nested"] == {"A": ["1", "2"], "B": {"C": "3"}}
    assert out["JobProgress"] == [{"Extra": "e"}]


def test_shape_mismatches_are_kept_for_validators() -> None:
    out = parse(
        "<R><Total><X>1</X></Total><NetworkDiagnosisResult>text</NetworkDiagnosisResult><State>a</State><State>b</State></R>"
    )
    assert out == {"Total": {"X": "1"}, "NetworkDiagnosisResult": "text", "State": ["a", "b"]}


def test_empty_object_and_namespaces() -> None:
    assert parse("<R><NetworkDiagnosisResult/></R>") == {"NetworkDiagnosisResult": {}}
    assert parse('<R xmlns="urn:x"><Total>1</Total></R>') == {"Total": 1}


def test_root_is_checked_when_asked() -> None:
    with pytest.raises(_errors.XmlError, match="root"):
        _xml.xml_to_dict(b"<Error><Code>X</Code></Error>", SHAPE, root="DescribePreCheckStatusResponse")
    assert _xml.xml_to_dict(b"<Error><Code>X</Code></Error>", {"Code": "string"}, root="Error") == {
        "Code": "X"
    }


@pytest.mark.parametrize("doc", [b"", b"<R>", b"<R></S>", b"not xml", b"<R>&nbsp;</R>"])
def test_malformed_documents(doc: bytes) -> None:
    with pytest.raises(_errors.XmlError):
        _xml.xml_to_dict(doc, SHAPE)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<R><State>&lol9;</State></R>"""


def test_billion_laughs_is_refused_fast() -> None:
    start = time.perf_counter()
    with pytest.raises(_errors.XmlError, match="DOCTYPE"):
        _xml.xml_to_dict(BILLION_LAUGHS, SHAPE)
    assert time.perf_counter() - start < 0.05


@pytest.mark.parametrize(
    "doc",
    [
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><R><State>&x;</State></R>',
        b'<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd"><R/>',
        b'<!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/x">%p;]><R/>',
        b"<!doctype r><R/>",
        b"<!  DOCTYPE r><R/>",
        b"\xef\xbb\xbf<!DOCTYPE r><R/>",
        b"<R><!ENTITY x 'y'></R>",
    ],
)
def test_doctype_and_entities_are_refused(doc: bytes) -> None:
    with pytest.raises(_errors.XmlError, match="DOCTYPE"):
        _xml.xml_to_dict(doc, SHAPE)


def test_only_utf8_is_accepted() -> None:
    utf16 = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r><R/>'.encode("utf-16")
    with pytest.raises(_errors.XmlError, match="UTF-8"):
        _xml.xml_to_dict(utf16, SHAPE)
    latin = '<?xml version="1.0" encoding="ISO-8859-1"?><R><State>caf\xe9</State></R>'.encode("latin-1")
    with pytest.raises(_errors.XmlError, match="UTF-8"):
        _xml.xml_to_dict(latin, SHAPE)
    declared = b'<?xml version="1.0" encoding="ISO-8859-1"?><R><State>ok</State></R>'
    with pytest.raises(_errors.XmlError, match="encoding"):
        _xml.xml_to_dict(declared, SHAPE)
    assert _xml.xml_to_dict(b"\xef\xbb\xbf<R><State>ok</State></R>", SHAPE) == {"State": "ok"}


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    doc = "<R>" + "<X>" * 300 + "</X>" * 300 + "</R>"
    with pytest.raises(_errors.XmlError, match="deeper"):
        parse(doc)


# ---------------------------------------------------------------------------------------------------
# dict_to_xml
# ---------------------------------------------------------------------------------------------------


def test_dict_to_xml_writes_the_service_shape() -> None:
    data = {
        "RequestId": "r&<>\"'",
        "Success": False,
        "Total": 3,
        "Ratio": 0.25,
        "JobProgress": [{"Item": "a", "Logs": [{"ErrMsg": "x"}, {"ErrMsg": "y"}]}, {"Item": "b"}],
        "Names": ["only"],
        "PageNumber": None,
        "Numbers": [],
    }
    xml = xml_writer.dict_to_xml("Resp", data, SHAPE)
    assert xml.startswith(b'<?xml version="1.0" encoding="UTF-8"?><Resp>')
    assert b"<Success>false</Success>" in xml and b"<Total>3</Total>" in xml
    assert (
        b"<JobProgress><Item>a</Item><Logs><ErrMsg>x</ErrMsg></Logs><Logs><ErrMsg>y</ErrMsg></Logs></JobProgress>"
        in xml
    )
    assert b"PageNumber" not in xml and b"Numbers" not in xml  # null and empty arrays are absent
    assert b"r&amp;&lt;&gt;" in xml
    back = _xml.xml_to_dict(xml, SHAPE, root="Resp")
    assert back == {k: v for k, v in data.items() if v not in (None, [])}


def test_dict_to_xml_keeps_carriage_returns() -> None:
    xml = xml_writer.dict_to_xml("R", {"State": "a\r\nb\rc"}, SHAPE)
    assert parse(xml) == {"State": "a\r\nb\rc"}


@pytest.mark.parametrize(
    "data",
    [
        {"State": "bell\x07"},
        {"State": "\ufffe"},
        {"Ratio": float("nan")},
        {"Ratio": float("inf")},
        {"bad name": "x"},
        {"1st": "x"},
        {"Names": [["nested"]]},
        {"State": object()},
    ],
)
def test_dict_to_xml_refuses_what_xml_cannot_hold(data: dict[str, Any]) -> None:
    with pytest.raises(_errors.XmlError):
        xml_writer.dict_to_xml("R", data, SHAPE)


# ---------------------------------------------------------------------------------------------------
# Round-trip property over random shapes and conforming data
# ---------------------------------------------------------------------------------------------------

names = st.from_regex(r"[A-Z][A-Za-z0-9]{0,7}", fullmatch=True)
scalar_kinds = st.sampled_from(["string", "integer", "number", "boolean"])


def field_shapes(depth: int) -> st.SearchStrategy[Any]:
    if depth == 0:
        return scalar_kinds
    inner = field_shapes(depth - 1)
    return st.one_of(
        scalar_kinds,
        st.dictionaries(names, inner, max_size=4).map(lambda s: ("object", s)),
        inner.filter(lambda f: not (isinstance(f, tuple) and f[0] == "array")).map(lambda f: ("array", f)),
    )


shapes = st.dictionaries(names, field_shapes(3), min_size=1, max_size=5)
xml_chars = st.one_of(
    st.characters(exclude_categories=["Cs", "Cc"]).filter(lambda c: c not in "\ufffe\uffff"),
    st.sampled_from("\t\n\r <>&\"'"),
)
xml_text = st.text(alphabet=xml_chars, max_size=12)


def value_for(draw: st.DrawFn, shape: Any) -> Any:
    if shape == "string":
        return draw(xml_text)
    if shape == "integer":
        return draw(st.integers(-(2**70), 2**70))
    if shape == "number":
        return draw(st.one_of(st.integers(-(10**6), 10**6), st.floats(allow_nan=False, allow_infinity=False)))
    if shape == "boolean":
        return draw(st.booleans())
    kind, inner = shape
    if kind == "object":
        return {name: value_for(draw, sub) for name, sub in inner.items() if draw(st.booleans())}
    return [value_for(draw, inner) for _ in range(draw(st.integers(1, 3)))]  # XML has no empty array


@st.composite
def shaped_documents(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    shape = draw(shapes)
    return shape, value_for(draw, ("object", shape))


@given(shaped_documents())
def test_round_trip(document: tuple[dict[str, Any], dict[str, Any]]) -> None:
    shape, data = document
    assert _xml.xml_to_dict(xml_writer.dict_to_xml("Root", data, shape), shape, root="Root") == data


@given(shaped_documents())
def test_wrapped_top_level_arrays_read_the_same(document: tuple[dict[str, Any], dict[str, Any]]) -> None:
    # Rewrite every top-level array into the wrapped form some SDK generations read:
    # <F><WrappedItem>..</WrappedItem>..</F> (the tag is longer than any generated field name).
    shape, data = document
    root = ET.fromstring(xml_writer.dict_to_xml("Root", data, shape))
    for name, field in shape.items():
        if not (isinstance(field, tuple) and field[0] == "array") or name not in data:
            continue
        item = field[1]
        if isinstance(item, tuple) and any(entry in ({}, []) for entry in data[name]):
            continue  # a wrapped empty item is indistinguishable from an item with one unknown field
        wrapper = ET.Element(name)
        for element in [e for e in root if e.tag == name]:
            root.remove(element)
            element.tag = "WrappedItem"
            wrapper.append(element)
        root.append(wrapper)
    # ElementTree writes \r literally (the parser would turn it into \n): keep it as a reference.
    xml = ET.tostring(root, encoding="utf-8").replace(b"\r", b"&#13;")
    assert _xml.xml_to_dict(xml, shape, root="Root") == data
