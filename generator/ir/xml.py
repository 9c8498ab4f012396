"""How XML element text maps back to JSON types, read off the IR: which elements repeat, what scalars become."""

from __future__ import annotations

from typing import Any

from .schemas import EnumProperty, ListProperty, MapProperty, Model, ModelProperty, Property, ScalarProperty


def xml_shape(models: dict[str, Model], model: str, seen: tuple[str, ...] = ()) -> dict[str, Any]:
    """A model's shape: field -> JSON type, ("object", shape) or ("array", item shape).

    A recursive reference stops at an open object (its elements are kept as found).
    """
    return {f.wire: _prop_shape(models, f.prop, (*seen, model)) for f in models[model].fields}


def _prop_shape(models: dict[str, Model], p: Property, seen: tuple[str, ...]) -> Any:
    if isinstance(p, ScalarProperty):
        return p.json_type
    if isinstance(p, EnumProperty):
        return "string"
    if isinstance(p, ModelProperty):
        return ("object", {} if p.model in seen else xml_shape(models, p.model, seen))
    if isinstance(p, ListProperty):
        return ("array", _prop_shape(models, p.item, seen))
    if isinstance(p, MapProperty):
        return ("object", {})
    return "string"
