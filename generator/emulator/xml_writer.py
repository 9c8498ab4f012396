"""XML writing for the emulator: a response dict as the service's XML (Format=XML).

The inverse of the runtime's xml_to_dict (generator/runtime/_xml.py), which generated clients carry;
clients never write XML, so this stays out of the generated package.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

from ..runtime._errors import XmlError
from ..runtime._xml import MAX_DEPTH, FieldShape, Shape

__all__ = ["dict_to_xml"]

_XML_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*\Z")
_XML_BAD_CHAR: Final = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _text(value: Any) -> str:
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise XmlError(f"{value!r} has no XML form")
        text = repr(value)
    elif isinstance(value, str):
        text = value
    else:
        raise XmlError(f"cannot write a {type(value).__name__} as XML text")
    bad = _XML_BAD_CHAR.search(text)
    if bad:
        raise XmlError(f"character {bad.group()!r} cannot appear in XML")
    # \r as a reference: a literal one would come back as \n after XML line-end normalisation.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _emit(parts: list[str], name: str, value: Any, shape: FieldShape | None, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise XmlError(f"data nested deeper than {MAX_DEPTH} levels")
    if not _XML_NAME.match(name):
        raise XmlError(f"{name!r} is not a usable XML element name")
    if value is None:
        return  # XML has no null: the element is absent
    if isinstance(value, list | tuple):
        item = shape[1] if isinstance(shape, tuple) and shape[0] == "array" else None
        for entry in value:
            if isinstance(entry, list | tuple):
                raise XmlError(f"{name}: an array directly inside an array has no XML form")
            _emit(parts, name, entry, item if not isinstance(item, Mapping) else None, depth + 1)
        return
    if isinstance(value, Mapping):
        fields = shape[1] if isinstance(shape, tuple) and shape[0] == "object" else None
        sub: Mapping[str, FieldShape] = fields if isinstance(fields, Mapping) else {}
        parts.append(f"<{name}>")
        for key, entry in value.items():
            _emit(parts, str(key), entry, sub.get(str(key)), depth + 1)
        parts.append(f"</{name}>")
        return
    parts.append(f"<{name}>{_text(value)}</{name}>")


def dict_to_xml(root_name: str, data: Mapping[str, Any], shape: Shape) -> bytes:
    """The service's XML for `data`: arrays as repeated elements without wrappers, booleans as
    true/false, None and empty arrays as absent elements. Raises XmlError for what XML cannot hold."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>']
    _emit(parts, root_name, data, ("object", shape), 0)
    return "".join(parts).encode("utf-8")
