"""Stage 1: read a spec file (YAML or JSON), remember where every node is, resolve `$ref`s."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import SpecError, SpecIssue, pointer

Pointer = tuple[str | int, ...]


@dataclass
class Document:
    """A loaded spec: the raw tree, where its nodes are, and its content hash."""

    path: Path
    data: dict[str, Any]
    digest: str
    lines: dict[Pointer, int] = field(default_factory=dict)

    def line(self, at: Pointer) -> int | None:
        # The nearest ancestor with a known line, so a missing key still points somewhere useful.
        for n in range(len(at), -1, -1):
            if at[:n] in self.lines:
                return self.lines[at[:n]]
        return None

    def issue(self, at: Pointer, message: str, hint: str = "") -> SpecIssue:
        return SpecIssue(str(self.path), pointer(at), message, self.line(at), hint)

    def get(self, at: Pointer) -> Any:
        node: Any = self.data
        for part in at:
            node = node[part]
        return node

    def resolve(self, ref: str) -> tuple[Pointer, Any]:
        """A local reference `#/a/b` to (pointer, node); KeyError when it names nothing."""
        if not ref.startswith("#/"):
            raise KeyError(ref)
        parts: list[str | int] = []
        node: Any = self.data
        for raw in ref[2:].split("/"):
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(node, list):
                if not token.isdigit() or int(token) >= len(node):
                    raise KeyError(ref)
                parts.append(int(token))
                node = node[int(token)]
            elif isinstance(node, dict) and token in node:
                parts.append(token)
                node = node[token]
            else:
                raise KeyError(ref)
        return tuple(parts), node


# A spec larger than this, counting every node an alias repeats, is refused before it is built: a 10-line file
# of nested aliases (a "billion laughs") would otherwise expand to gigabytes.
MAX_NODES = 1_000_000


def _expanded_size(root: yaml.Node) -> int:
    """How many nodes the document has once every alias is expanded, computed without expanding (memoised by
    node); a node that contains itself is refused."""
    sizes: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    open_nodes: set[int] = set()
    while stack:
        node, done = stack.pop()
        key = id(node)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        if done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_NODES + 1)
            continue
        if key in sizes:
            continue
        if key in open_nodes:
            raise ValueError("an alias refers to a node that contains it (a recursive document)")
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((c, False) for c in children if id(c) not in sizes)
    return sizes[id(root)]


def _record_lines(root: yaml.Node, lines: dict[Pointer, int]) -> None:
    """Where every node is; a node an alias repeats is followed once (its repeats point at the alias)."""
    seen: set[int] = set()
    stack: list[tuple[yaml.Node, Pointer]] = [(root, ())]
    while stack:
        node, at = stack.pop()
        lines.setdefault(at, node.start_mark.line + 1)
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                child = (*at, str(key.value))
                lines[child] = key.start_mark.line + 1  # a field is where its key is, not where its value starts
                stack.append((value, child))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*at, i)) for i, item in enumerate(node.value))


def load(path: str | Path) -> Document:
    """Read and parse a spec; every failure becomes a SpecError naming the file."""
    p = Path(path)
    try:
        if p.is_dir():
            raise SpecError([SpecIssue(str(p), "", "the spec is a folder, not a file", hint="name the spec file")])
        raw = p.read_bytes()
    except OSError as exc:
        raise SpecError([SpecIssue(str(p), "", f"cannot read the spec: {exc.strerror or exc}")]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError([SpecIssue(str(p), "", f"not UTF-8 at byte {exc.start}")]) from None
    loader = yaml.SafeLoader(text)  # the JSON subset of YAML means one parser handles both formats
    try:
        node = loader.get_single_node()
        if node is not None:
            size = _expanded_size(node)
            if size > MAX_NODES:
                raise SpecError([SpecIssue(str(p), "", f"the spec expands to more than {MAX_NODES:,} nodes "
                                           "(YAML aliases repeating aliases)",
                                           hint="write the repeated parts out, or refer to them with $ref")])
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise SpecError([SpecIssue(str(p), "", f"not valid YAML: {exc}".splitlines()[0], line)]) from None
    except ValueError as exc:
        raise SpecError([SpecIssue(str(p), "", f"not a usable YAML document: {exc}")]) from None
    except RecursionError:
        raise SpecError([SpecIssue(str(p), "", "the spec is nested too deep to read")]) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise SpecError([SpecIssue(str(p), "", "the spec must be a mapping (an OpenAPI document)")])
    lines: dict[Pointer, int] = {}
    if node is not None:
        _record_lines(node, lines)
    # Hash the parsed content, not the bytes: comments and layout do not change the output.
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return Document(p, data, digest, lines)


def find_refs(node: Any, at: Pointer = ()) -> list[tuple[Pointer, str]]:
    """Every `$ref` in a tree, with where it is."""
    found: list[tuple[Pointer, str]] = []
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            found.append(((*at, "$ref"), ref))
        for key, value in node.items():
            found.extend(find_refs(value, (*at, key)))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(find_refs(item, (*at, i)))
    return found


def bundle(doc: Document, root: str, components: str = "components/schemas") -> dict[str, Any]:
    """A self-contained Draft 2020-12 schema for one component, its dependencies under `$defs`.

    Component refs become `#/$defs/Name`; `$defs` is ordered by first use so output is stable.
    """
    prefix = "#/" + components + "/"
    schemas: dict[str, Any] = doc.get(tuple(components.split("/")))
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order:
            return
        order.append(name)
        for _, ref in find_refs(schemas[name]):
            if ref.startswith(prefix):
                visit(ref[len(prefix):])

    visit(root)

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {
                k: ("#/$defs/" + v[len(prefix):] if k == "$ref" and isinstance(v, str) and v.startswith(prefix)
                    else rewrite(v))
                for k, v in node.items()
            }
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    out: dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$ref": "#/$defs/" + root,
        "$defs": {name: rewrite(copy.deepcopy(schemas[name])) for name in order},
    }
    return out
