"""`validate --suggest-spec`: what the traffic shows the spec lacks, as a unified diff against the spec file.

From the findings gathered by location (aggregate.py): values a value set does not list, fields and request
parameters the spec does not declare (with the JSON types they were seen with), required fields and
parameters the traffic goes without, and type drift the lenient policy does not accept yet (a new text in
x-service.lenient, or the type the field was seen with added to its `type`). The spec is edited as a YAML
tree (ruamel.yaml, round trip); only the lines of the changed nodes are taken from its output, so the rest of
the file keeps its comments and layout. Nothing is written: the maintainer applies the diff, or does not.
"""

from __future__ import annotations

import copy
import difflib
import io
import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .aggregate import Aggregate, Row, kind_of
from .findings import unescape
from .output import where

_SCALARS = ("string", "integer", "number", "boolean")


@dataclass
class Change:
    """One edit of the spec: `where` it is (a JSON Pointer in the spec), what it does (for people), and
    how to make it on the YAML tree."""

    where: str
    what: str
    evidence: str
    apply: Callable[[Any], None] = field(repr=False)


@dataclass
class Suggestion:
    diff: str
    changes: list[Change]
    notes: list[str]  # what the traffic shows that no change here can express, and changes that were dropped


class SuggestError(Exception):
    """The spec cannot be read or edited; the message says why."""


def suggest(aggregate: Aggregate, spec: Path, package_hash: str = "") -> Suggestion:
    """The change `aggregate` calls for in the spec at `spec` (nothing written)."""
    from ...errors import SpecError
    from ...pipeline import compile_spec

    try:
        text = spec.read_text(encoding="utf-8")
        _, ir = compile_spec(spec)
    except SpecError as exc:
        raise SuggestError(f"--spec {spec}: the spec does not load: {str(exc).splitlines()[0]}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SuggestError(f"--spec {spec}: cannot read: {exc}") from None
    notes: list[str] = []
    if package_hash and package_hash != ir.spec_hash:
        notes.append(f"the package was generated from another version of the spec than {spec}: changes are "
                     "proposed against the spec as it is now")
    planner = _Planner(ir, aggregate, notes)
    for row in aggregate.sorted():
        planner.row(row)
    changes = planner.changes()
    yaml = _yaml()
    base = _dump(yaml, yaml.load(text))
    kept = changes
    if changes and _loads_back(_edited(yaml, text, base, changes)):
        kept = []  # one at a time: a change that would leave the spec unloadable is dropped
        for change in changes:
            problem = _loads_back(_edited(yaml, text, base, [*kept, change]))
            if problem:
                notes.append(f"not suggested: {change.what} at {change.where}: the spec would not load ({problem})")
            else:
                kept.append(change)
    new = _edited(yaml, text, base, kept) if kept else text
    name = os.path.relpath(spec) if not os.path.relpath(spec).startswith("..") else str(spec)
    prefix = ("a/", "b/") if not os.path.isabs(name) else ("", "")
    diff = "".join(difflib.unified_diff(text.splitlines(keepends=True), new.splitlines(keepends=True),
                                        fromfile=prefix[0] + name, tofile=prefix[1] + name))
    return Suggestion(diff, kept, notes)


# ---------------------------------------------------------------- from findings to changes
class _Planner:
    def __init__(self, ir: Any, aggregate: Aggregate, notes: list[str]) -> None:
        self.ir = ir
        self.aggregate = aggregate
        self.notes = notes
        self.enum_values: dict[str, dict[str, str]] = {}  # component -> value -> evidence
        self.fields: dict[tuple[str, str], tuple[set[str], list[Row]]] = {}  # (component, field) -> types, rows
        self.params: dict[tuple[str, str], str] = {}  # (action, parameter) -> evidence
        self.optional: dict[tuple[str, str], str] = {}  # (component or action, name) -> evidence
        self.optional_params: dict[tuple[str, str], str] = {}
        self.widen: dict[tuple[str, str], tuple[set[str], str]] = {}
        self.policy: dict[tuple[str, Any], str] = {}  # (key, text) -> evidence

    def evidence(self, row: Row, *more: Row) -> str:
        """Where the change comes from: in how many documents it was seen (rows of one location with values
        of several types add up), and the first."""
        of = self.aggregate.of(row)
        documents = sum(r.documents for r in (row, *more))
        count = f"{min(documents, of):,} of {of:,}" if of else f"{documents:,}"
        noun = "recorded requests" if row.document == "request" else "recorded documents"
        return f"seen in {count} {noun} (first: {where(row.first)})"

    def note(self, row: Row, why: str) -> None:
        self.notes.append(f"not suggested: {row.seen} at {row.location or '/'} ({row.document}): {why}")

    def row(self, row: Row) -> None:
        if row.document not in ("response", "error", "request") or row.keyword not in (
                "enum", "additionalProperties", "type", "required"):
            return
        if row.document == "request":
            self.request(row)
            return
        root = self.ir.service.error_model if row.document == "error" else self._response_model(row.action)
        if root is None:
            return self.note(row, f"no operation {row.action!r} in the spec")
        segments = [unescape(s) for s in row.location.split("/")[1:]] if row.location else []
        if row.keyword in ("additionalProperties", "required"):
            if not segments:
                return None
            owner = self._walk(root, segments[:-1])
            if owner is None or owner[0] is None:
                return self.note(row, "the object holding it is not a component of the spec")
            model = owner[0]
            name = segments[-1]
            if row.keyword == "required":
                self.optional.setdefault((model.name, name), self.evidence(row))
                return None
            kinds = {kind_of(seen) for seen in row.values} - {""}
            types, rows = self.fields.setdefault((model.name, name), (set(), []))
            types.update(_json_types(kinds))
            rows.append(row)
            return None
        found = self._walk(root, segments)
        if found is None:
            return self.note(row, "the location is not a field of the spec")
        model, wire, prop = found
        from ...ir import EnumProperty, ScalarProperty, UnionProperty

        if row.keyword == "enum":
            if not isinstance(prop, EnumProperty):
                return self.note(row, "the field has no value set of its own")
            for seen in row.values:
                value = json.loads(seen) if seen.startswith('"') else None
                if isinstance(value, str):
                    self.enum_values.setdefault(prop.enum, {}).setdefault(value, self.evidence(row))
            return None
        # type drift the lenient policy does not take yet (a warning in lenient mode is already taken)
        policy = self.ir.service.lenient
        types = set(prop.json_types) if isinstance(prop, (ScalarProperty, UnionProperty)) else set()
        for seen in row.values:
            kind = kind_of(seen)
            text = json.loads(seen) if seen.startswith('"') else None
            if kind == "numeric string" and "integer" in types and isinstance(text, str):
                if not policy.integer_from_string:
                    self.policy.setdefault(("integer_from_string", True), self.evidence(row))
                continue
            if kind.startswith("boolean text") and "boolean" in types and isinstance(text, str):
                if text not in dict(policy.booleans):
                    self.policy.setdefault(("boolean_from_string", text), self.evidence(row))
                continue
            if kind.startswith("null text") and prop.nullable and isinstance(text, str):
                if text not in policy.nulls:
                    self.policy.setdefault(("null_from_string", text), self.evidence(row))
                continue
            json_types = _json_types({kind})
            if model is None or not types:
                self.note(row, "the field is not a scalar of a component (a value set or an object): change its "
                          "schema by hand")
                continue
            added = json_types - types - ({"integer"} if "number" in types else set())
            if "number" in added and "integer" in types:
                self.note(row, "a number where an integer is declared: declare it a number by hand if that is "
                          "right (integer and number do not go together)")
                added.discard("number")
            if added:
                widen, _ = self.widen.setdefault((model.name, wire), (set(), self.evidence(row)))
                widen.update(added)
        return None

    def request(self, row: Row) -> None:
        op = next((o for o in self.ir.operations if o.action == row.action), None)
        if op is None or not row.location:
            return
        name = unescape(row.location[1:])
        if row.keyword == "additionalProperties":
            self.params.setdefault((row.action, name), self.evidence(row))
        elif row.keyword == "required":
            self.optional_params.setdefault((row.action, name), self.evidence(row))
        elif row.keyword == "enum":
            from ...ir import EnumProperty

            param = op.parameter(name)
            if param is not None and isinstance(param.prop, EnumProperty):
                for seen in row.values:
                    if seen.startswith('"'):
                        self.enum_values.setdefault(param.prop.enum, {}).setdefault(json.loads(seen),
                                                                                   self.evidence(row))
        elif row.keyword == "type":
            self.note(row, "a request parameter sent as another type: check the caller, or change the "
                      "parameter's schema by hand")

    def _response_model(self, action: str) -> Any:
        op = next((o for o in self.ir.operations if o.action == action), None)
        return op.response_model if op is not None else None

    def _walk(self, model_name: str, segments: list[str]) -> tuple[Any, str, Any] | None:
        """The component, field and property at `segments` below a model: (None, "", prop) when the last
        step is not a field of a component (an array item, a map value); None when the path leaves the spec."""
        from ...ir import ListProperty, MapProperty, ModelProperty

        model = self.ir.model(model_name)
        owner: tuple[Any, str, Any] = (model, "", ModelProperty(nullable=False, model=model_name,
                                                                 class_name=model.class_name))
        prop = owner[2]
        for seg in segments:
            if isinstance(prop, ModelProperty):
                model = self.ir.model(prop.model)
                f = model.field(seg)
                if f is None:
                    return None
                prop = f.prop
                owner = (model, seg, prop)
            elif isinstance(prop, ListProperty) and seg == "*":
                prop = prop.item
                owner = (None, "", prop)
            elif isinstance(prop, MapProperty):
                prop = prop.value
                owner = (None, "", prop)
            else:
                return None
        if isinstance(prop, ModelProperty) and not owner[1]:  # the path ends at an object: its component
            return (self.ir.model(prop.model), "", prop)
        return owner

    def changes(self) -> list[Change]:
        out: list[Change] = []
        for component, values in sorted(self.enum_values.items()):
            for value, evidence in values.items():
                out.append(Change(f"/components/schemas/{component}/enum", f"add the value {value!r}", evidence,
                                  _add_enum_value(component, value, evidence)))
        for (component, name), (types, rows) in sorted(self.fields.items()):
            evidence = self.evidence(*rows)
            out.append(Change(f"/components/schemas/{component}/properties/{name}",
                              f"declare the field {name!r} ({' or '.join(sorted(types)) or 'any type'})",
                              evidence, _add_field(component, name, types, evidence)))
        for (component, name), (types, evidence) in sorted(self.widen.items()):
            out.append(Change(f"/components/schemas/{component}/properties/{name}/type",
                              f"let {name!r} be {' or '.join(sorted(types))} too", evidence,
                              _widen(component, name, types)))
        for (component, name), evidence in sorted(self.optional.items()):
            out.append(Change(f"/components/schemas/{component}/required", f"make {name!r} optional", evidence,
                              _optional(component, name)))
        for (action, name), evidence in sorted(self.params.items()):
            out.append(Change(f"operation {action}: parameters", f"declare the request parameter {name!r}",
                              evidence, _add_param(action, name, evidence)))
        for (action, name), evidence in sorted(self.optional_params.items()):
            out.append(Change(f"operation {action}: parameters", f"make the request parameter {name!r} optional",
                              evidence, _optional_param(action, name)))
        for (key, text), evidence in sorted(self.policy.items(), key=lambda kv: (kv[0][0], str(kv[0][1]))):
            what = (f"accept {text!r} for a " + ("boolean" if key == "boolean_from_string" else "null")
                    if key != "integer_from_string" else "accept integers sent as numeric strings")
            out.append(Change(f"/x-service/lenient/{key}", what + " in lenient mode", evidence,
                              _policy(key, text)))
        return out


def _json_types(kinds: set[str]) -> set[str]:
    out = set()
    for kind in kinds:
        if kind in ("numeric string", "string") or kind.startswith(("boolean text", "null text")):
            out.add("string")
        elif kind in (*_SCALARS, "null", "object", "array"):
            out.add(kind)
    return out


# ---------------------------------------------------------------- edits of the YAML tree
def _append(mapping: Any, key: str, value: Any) -> None:
    """`mapping[key] = value` at its end, with the blank lines and comments that ended the mapping (which
    ruamel keeps on its deepest last entry) moved after the new entry, where they belong."""
    tail = None
    found = _last_entry(mapping)
    if found is not None:
        node, last = found
        comments = node.ca.items.get(last)
        if comments and len(comments) > 2 and comments[2] is not None:
            text = comments[2].value
            own, _, rest = text.partition("\n") if text.startswith("#") else ("", "", text)
            moved = "\n" + rest if own else rest  # a comment on the entry's own line stays there
            if moved.strip(" ") not in ("", "\n"):
                tail = copy.copy(comments[2])
                tail.value = moved
                if own:
                    comments[2].value = own + "\n"
                else:
                    comments[2] = None
    mapping[key] = value
    if tail is not None:
        found = _last_entry(mapping)
        if found is not None:
            node, last = found
            node.ca.items.setdefault(last, [None, None, None, None])[2] = tail


def _last_entry(node: Any) -> tuple[Any, Any] | None:
    """The mapping and key of the last scalar entry written in block style under `node`."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    while True:
        if isinstance(node, CommentedMap) and node:
            key = list(node)[-1]
            child = node[key]
            if isinstance(child, (CommentedMap, CommentedSeq)) and child and not child.fa.flow_style():
                node = child
                continue
            return node, key
        if isinstance(node, CommentedSeq) and node and isinstance(node[-1], CommentedMap):
            node = node[-1]
            continue
        return None


def _scalar(value: str) -> Any:
    """A new string as the spec writes them: plain when YAML reads it back as that string, else in
    double quotes."""
    from ruamel.yaml import YAML
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    try:
        plain = YAML(typ="safe").load(f"- {value}") if value and "#" not in value and ": " not in value else None
    except Exception:  # not plain YAML at all
        plain = None
    return value if plain == [value] else DoubleQuotedScalarString(value)


def _component(tree: Any, name: str) -> Any:
    node = tree.get("components", {}).get("schemas", {}).get(name)
    if node is None:
        raise KeyError(name)
    return node


def _add_enum_value(component: str, value: str, evidence: str) -> Callable[[Any], None]:
    def apply(tree: Any) -> None:
        node = _component(tree, component)
        node["enum"].append(_scalar(value))
        descriptions = node.get("x-enum-descriptions")
        if descriptions is not None:
            _append(descriptions, _scalar(value), _scalar(f"Not documented; {evidence}."))
    return apply


def _schema_of(types: set[str]) -> dict[str, Any]:
    scalars = sorted(t for t in types if t in _SCALARS)
    if "integer" in scalars and "number" in scalars:
        scalars.remove("integer")
    others = sorted(t for t in types if t in ("object", "array"))
    if (others and (scalars or len(others) > 1)) or not types - {"null"}:
        return {}  # several kinds that one schema cannot say: any value
    if others:
        return {"type": others[0], **({"items": {}} if others[0] == "array" else {})}
    chosen = scalars + (["null"] if "null" in types else [])
    return {"type": chosen[0] if len(chosen) == 1 else _flow([_scalar(t) for t in chosen])}


def _add_field(component: str, name: str, types: set[str], evidence: str) -> Callable[[Any], None]:
    def apply(tree: Any) -> None:
        from ruamel.yaml.comments import CommentedMap

        node = _component(tree, component)
        if "properties" not in node:
            node["properties"] = CommentedMap()
        schema = CommentedMap(_schema_of(types))
        schema["description"] = _scalar(f"Not in the spec before; {evidence}.")
        _append(node["properties"], _scalar(name), schema)
    return apply


def _widen(component: str, name: str, types: set[str]) -> Callable[[Any], None]:
    def apply(tree: Any) -> None:
        prop = _component(tree, component)["properties"][name]
        old = prop["type"]
        current = [old] if isinstance(old, str) else list(old)
        ordered = [t for t in current if t != "null"] + sorted(types - set(current) - {"null"})
        if "null" in current or "null" in types:
            ordered.append("null")
        prop["type"] = _flow([_scalar(t) for t in ordered])
    return apply


def _optional(component: str, name: str) -> Callable[[Any], None]:
    def apply(tree: Any) -> None:
        node = _component(tree, component)
        required = node.get("required") or []
        if name in required:
            required.remove(name)
            if not required:
                del node["required"]
    return apply


def _operation(tree: Any, action: str) -> Any:
    for item in (tree.get("paths") or {}).values():
        for verb, op in (item or {}).items():
            if verb in ("get", "post") and isinstance(op, dict):
                rpc = op.get("x-rpc") or {}
                if str(rpc.get("action") or op.get("operationId", "")) == action:
                    return op
    raise KeyError(action)


def _parameter(tree: Any, op: Any, name: str) -> Any:
    for p in op.get("parameters") or []:
        if "$ref" in p:
            parts = [unescape(s) for s in str(p["$ref"]).lstrip("#").split("/")[1:]]
            node = tree
            for part in parts:
                node = node[part]
            p = node
        if p.get("name") == name:
            return p
    raise KeyError(name)


def _add_param(action: str, name: str, evidence: str) -> Callable[[Any], None]:
    def apply(tree: Any) -> None:
        from ruamel.yaml.comments import CommentedMap

        op = _operation(tree, action)
        param = CommentedMap()
        param["name"] = _scalar(name)
        param["in"] = "query"
        param["required"] = False
        param["description"] = _scalar(f"Not in the spec before; {evidence}.")
        param["schema"] = CommentedMap({"type": "string"})
        if "parameters" in op:
            op["parameters"].append(param)
        else:
            _append(op, "parameters", [param])
    return apply


def _optional_param(action: str, name: str) -> Callable[[Any], None]:
    def apply(tree: Any) -> None:
        _parameter(tree, _operation(tree, action), name)["required"] = False
    return apply


def _policy(key: str, text: Any) -> Callable[[Any], None]:
    def apply(tree: Any) -> None:
        from ruamel.yaml.comments import CommentedMap

        service = tree["x-service"]
        if "lenient" not in service:
            _append(service, "lenient", CommentedMap())
        lenient = service["lenient"]
        if key == "integer_from_string":
            lenient[key] = True
        elif key in lenient:
            lenient[key].append(_scalar(text))
        else:
            _append(lenient, key, _flow([_scalar(text)]))
    return apply


def _flow(items: list[Any]) -> Any:
    from ruamel.yaml.comments import CommentedSeq

    seq = CommentedSeq(items)
    seq.fa.set_flow_style()
    return seq


# ---------------------------------------------------------------- text
def _yaml() -> Any:
    try:
        from ruamel.yaml import YAML
    except ImportError:
        raise SuggestError("--suggest-spec needs ruamel.yaml (a dependency of the toolkit: reinstall it)") from None
    yaml = YAML()  # round trip: comments, key order, flow style and quotes are kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # no rewrapping of long lines
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _edited(yaml: Any, text: str, base: str, changes: list[Change]) -> str:
    """The spec's text with `changes` made: on a fresh tree, merged back into the text as written. Should
    the merge not mean exactly the edited tree (lines repeated near an edit can align two ways), the tree
    as ruamel writes it is the answer: right, if less like the original."""
    from ruamel.yaml import YAML

    tree = yaml.load(text)
    for change in changes:
        change.apply(tree)
    edited = _dump(yaml, tree)
    merged = _merge(base, text, edited)
    plain = YAML(typ="safe", pure=True)
    return merged if plain.load(merged) == plain.load(edited) else edited


def _dump(yaml: Any, tree: Any) -> str:
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _merge(base: str, ours: str, theirs: str) -> str:
    """A three-way merge by lines: `ours` (the spec as written) and `theirs` (the edited tree as ruamel
    writes it) both derive from `base` (the unedited tree as ruamel writes it). Where only the layout
    differs (ours), the spec's text stays; where an edit is (theirs), its lines come in; where both touch the
    same lines, the edit's lines win (the changed node is written as ruamel writes it)."""
    b, o, t = base.splitlines(keepends=True), ours.splitlines(keepends=True), theirs.splitlines(keepends=True)

    def changes(other: list[str]) -> list[tuple[int, int, list[str]]]:
        matcher = difflib.SequenceMatcher(None, b, other, autojunk=False)
        return [(i1, i2, other[j1:j2]) for tag, i1, i2, j1, j2 in matcher.get_opcodes() if tag != "equal"]

    ours_changes, theirs_changes = changes(o), changes(t)
    events = sorted([(i1, i2, 0, rep) for i1, i2, rep in ours_changes] +
                    [(i1, i2, 1, rep) for i1, i2, rep in theirs_changes], key=lambda e: (e[0], e[1], e[2]))
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(events):
        start, end = events[i][0], events[i][1]
        cluster = [events[i]]
        i += 1
        while i < len(events) and events[i][0] <= end:  # touching changes are merged too
            end = max(end, events[i][1])
            cluster.append(events[i])
            i += 1
        sides = {side for _, _, side, _ in cluster}
        chosen = [e for e in cluster if e[2] == (1 if 1 in sides else 0)]
        out += b[pos:start]
        cursor = start
        for e_start, e_end, _, rep in chosen:
            out += b[cursor:e_start] + rep
            cursor = e_end
        out += b[cursor:end]
        pos = end
    out += b[pos:]
    return "".join(out)


def _loads_back(text: str) -> str:
    """'' when the spec text loads, checks and builds; else the first problem."""
    from ...errors import SpecError
    from ...pipeline import compile_spec

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "spec.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            compile_spec(path)
        except SpecError as exc:
            return str(exc).splitlines()[0] if str(exc) else "a spec error"
    return ""
