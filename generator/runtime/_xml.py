"""Safe XML reading: an XML response into the dict the equivalent JSON would give, guided by a shape.

Copied verbatim into every generated package (standard library only). The shapes come from the spec
(`_spec.OPERATIONS[action]["response_shape"]`). Clients import this module only when an XML body
arrives. Writing XML is the emulator's business (generator/emulator/xml_writer.py).
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from ._errors import XmlError

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

__all__ = ["MAX_DEPTH", "FieldShape", "Shape", "root_name", "xml_to_dict"]

# {field: "string" | "integer" | "number" | "boolean" | ("object", Shape) | ("array", FieldShape)}
# The tuple's second member is Any on purpose: nested dict literals in generated code then type-check
# without casts (mypy cannot push a recursive union context into them).
FieldShape: TypeAlias = str | tuple[str, Any]
Shape: TypeAlias = Mapping[str, FieldShape]

MAX_DEPTH: Final = 100  # elements deep; deeper documents are refused, never a RecursionError
_FORBIDDEN_DECL: Final = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_DECL_ENCODING: Final = re.compile(rb"""\s*<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_ROOT_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.:\-]*")
_UTF8_NAMES: Final = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
_INT_TEXT: Final = re.compile(r"-?[0-9]+\Z")
_NUMBER_TEXT: Final = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?\Z")


def _refuse_unsafe(data: bytes) -> bytes:
    """Refuse before parsing: no DOCTYPE or ENTITY declaration ever reaches the parser, so nothing is
    expanded (billion laughs) or fetched (external entities). UTF-8 only: another encoding could
    hide a declaration from this byte scan."""
    body = data[len(codecs.BOM_UTF8) :] if data.startswith(codecs.BOM_UTF8) else data
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise XmlError(f"XML must be UTF-8: {exc}") from None
    declared = _XML_DECL_ENCODING.match(body)
    if declared and declared.group(1).decode("ascii", "replace").lower() not in _UTF8_NAMES:
        raise XmlError(f"XML declares encoding {declared.group(1)!r}; only UTF-8 is accepted")
    if _FORBIDDEN_DECL.search(body):
        raise XmlError("XML with a DOCTYPE or ENTITY declaration is refused (entity expansion is unsafe)")
    return body


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # tolerate namespaces: match on the local name


def _scalar(text: str, kind: str) -> Any:
    # Typed when the text parses, else the text unchanged so validators can report it.
    if kind == "string":
        return text
    token = text.strip()
    try:
        if kind == "integer":
            return int(token) if _INT_TEXT.match(token) else text
        if kind == "number":
            if _INT_TEXT.match(token):
                return int(token)
            number = float(token) if _NUMBER_TEXT.match(token) else math.nan
            return number if math.isfinite(number) else text  # "1e999" would become inf
    except ValueError:  # e.g. more digits than int() accepts
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(token, text)
    raise XmlError(f"unknown scalar type {kind!r} in the shape")


def _generic(elem: ET.Element, depth: int) -> Any:
    # An element the shape does not describe: text if it has no children, else a dict of them.
    if depth > MAX_DEPTH:
        raise XmlError(f"XML nested deeper than {MAX_DEPTH} levels")
    if len(elem) == 0:
        return elem.text or ""
    groups: dict[str, list[ET.Element]] = {}
    for child in elem:
        groups.setdefault(_local(child.tag), []).append(child)
    out: dict[str, Any] = {}
    for name, elems in groups.items():
        values = [_generic(e, depth + 1) for e in elems]
        out[name] = values[0] if len(values) == 1 else values
    return out


def _parse_value(elem: ET.Element, shape: FieldShape, depth: int) -> Any:
    if depth > MAX_DEPTH:
        raise XmlError(f"XML nested deeper than {MAX_DEPTH} levels")
    if isinstance(shape, str):
        if len(elem):
            return _generic(elem, depth)  # children where a scalar belongs: kept for validators
        return _scalar(elem.text or "", shape)
    kind, inner = shape
    if kind == "object" and isinstance(inner, Mapping):
        if len(elem) == 0 and (elem.text or "").strip():
            return elem.text  # text where an object belongs: kept for validators
        return _parse_object(elem, inner, depth + 1)
    if kind == "array" and not isinstance(inner, Mapping):
        return _array_items(elem, inner, depth + 1)
    raise XmlError(f"bad shape {shape!r}")


def _is_wrapper(elem: ET.Element, item: FieldShape) -> bool:
    # <F><X>..</X><X>..</X></F>: one element whose children all share one tag, and that tag is
    # not one of the item's own fields (an item holding only its repeated Logs is still an item).
    children = list(elem)
    if not children:
        return False
    tag = _local(children[0].tag)
    if any(_local(child.tag) != tag for child in children):
        return False
    if isinstance(item, str):
        return all(len(child) == 0 for child in children)
    kind, inner = item
    if kind == "object" and isinstance(inner, Mapping):
        return tag not in inner and all(len(child) > 0 for child in children)
    return False


def _array_items(elem: ET.Element, item: FieldShape, depth: int) -> list[Any]:
    """The items one element under an array field contributes: itself, or its children if it wraps."""
    if depth > MAX_DEPTH:
        raise XmlError(f"XML nested deeper than {MAX_DEPTH} levels")
    if isinstance(item, tuple) and item[0] == "array":
        return [_parse_value(elem, item, depth)]  # an array of arrays: each element holds one inner array
    if _is_wrapper(elem, item):
        return [_parse_value(child, item, depth + 1) for child in elem]
    return [_parse_value(elem, item, depth)]


def _parse_object(elem: ET.Element, shape: Shape, depth: int) -> dict[str, Any]:
    groups: dict[str, list[ET.Element]] = {}
    for child in elem:
        groups.setdefault(_local(child.tag), []).append(child)
    out: dict[str, Any] = {}
    for name, elems in groups.items():
        field = shape.get(name)
        if isinstance(field, tuple) and field[0] == "array" and not isinstance(field[1], Mapping):
            item = field[1]
            # Repeated siblings are the items; a one-element array is still a list.
            out[name] = [value for e in elems for value in _array_items(e, item, depth + 1)]
            continue
        values = [
            _generic(e, depth + 1) if field is None else _parse_value(e, field, depth + 1) for e in elems
        ]
        out[name] = values[0] if len(values) == 1 else values  # repeated where one belongs: a list
    return out


def xml_to_dict(data: bytes, shape: Shape, *, root: str | None = None) -> dict[str, Any]:
    """Parse an XML response into the dict the equivalent JSON would give, guided by `shape`
    (the fields of the root element). Refuses DOCTYPE/ENTITY before parsing. `root`, when given,
    must be the root element's name."""
    import xml.etree.ElementTree as ET

    body = _refuse_unsafe(data)
    try:
        element = ET.fromstring(body)
    except ET.ParseError as exc:
        raise XmlError(f"malformed XML: {exc}") from None
    if root is not None and _local(element.tag) != root:
        raise XmlError(f"expected root element <{root}>, got <{_local(element.tag)}>")
    return _parse_object(element, shape, 0)


def root_name(data: bytes) -> str:
    """The local name of the document's root element, "" when there is none to find (text, HTML with a
    DOCTYPE still names its root). Declarations, comments and processing instructions are skipped.
    Only looks: nothing is parsed or expanded."""
    text = data[:4096].decode("utf-8", "replace")
    pos = 0
    while True:
        start = text.find("<", pos)
        if start < 0 or start + 1 >= len(text):
            return ""
        if text.startswith("<!--", start):
            end = text.find("-->", start + 4)
            if end < 0:
                return ""
            pos = end + 3
            continue
        if text[start + 1] in "?!":
            pos = start + 1
            continue
        found = _ROOT_NAME.match(text, start + 1)
        return found.group().rpartition(":")[2] if found else ""
