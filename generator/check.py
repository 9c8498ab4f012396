"""Stage 2: is the document a valid OpenAPI 3.1 spec, are its extensions well formed, do its refs resolve?

Every problem is collected; the caller reports them together.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from .errors import SpecIssue
from .load import Document, Pointer, find_refs

EXTENSIONS = Path(__file__).parent / "schemas" / "extensions.schema.json"
# Where each extension may stand, and which definition of the extension schema checks it.
PLACES: dict[str, str] = {"x-service": "service", "x-rpc": "rpc", "x-pagination": "pagination", "x-waiters": "waiters",
                         "x-emulator": "emulator", "x-cli": "cli"}


@cache
def _extension_schema() -> dict[str, Any]:
    return dict(json.loads(EXTENSIONS.read_text(encoding="utf-8")))


def _validator(definition: str) -> jsonschema.protocols.Validator:
    schema = _extension_schema()
    return jsonschema.Draft202012Validator({"$ref": f"#/$defs/{definition}", "$defs": schema["$defs"]})


def check_openapi(doc: Document) -> list[SpecIssue]:
    from openapi_spec_validator import OpenAPIV31SpecValidator

    issues = []
    try:
        errors = list(OpenAPIV31SpecValidator(doc.data).iter_errors())
    except RecursionError:
        return [doc.issue((), "OpenAPI validation could not finish: the document is nested too deep")]
    except Exception as exc:  # the validator itself can trip on broken refs; those are reported below
        return [doc.issue((), f"OpenAPI validation could not finish: {exc}".splitlines()[0])]
    for err in errors:
        at: Pointer = tuple(getattr(err, "absolute_path", ()) or ())
        issues.append(doc.issue(at, f"OpenAPI 3.1: {err.message}"))
    return issues


def check_extensions(doc: Document) -> list[SpecIssue]:
    issues: list[SpecIssue] = []
    data = doc.data
    if "x-service" not in data:
        issues.append(doc.issue((), "missing x-service", "declare the service: see docs/design.md"))
    targets: list[tuple[Pointer, str, Any]] = []
    if "x-service" in data:
        targets.append((("x-service",), "service", data["x-service"]))
    for path, item in (data.get("paths") or {}).items():
        for verb, op in (item or {}).items() if isinstance(item, dict) else ():
            if not isinstance(op, dict):
                continue
            for key, definition in PLACES.items():
                if key in op and key != "x-service":
                    targets.append((("paths", path, verb, key), definition, op[key]))
    for at, definition, value in targets:
        for err in sorted(_validator(definition).iter_errors(value), key=lambda e: list(map(str, e.absolute_path))):
            issues.append(doc.issue((*at, *err.absolute_path), f"{at[-1]}: {err.message}"))
    return issues


def check_refs(doc: Document) -> list[SpecIssue]:
    issues = []
    for at, ref in find_refs(doc.data):
        try:
            doc.resolve(ref)
        except KeyError:
            issues.append(doc.issue(at, f"$ref {ref!r} does not resolve",
                                    "refs must be local ('#/components/...') and name an existing node"))
    return issues


def check_ref_cycles(doc: Document) -> list[SpecIssue]:
    """`$ref`s that lead back to themselves with nothing in between (A is B, B is A): no value can ever be
    read there. Recursion through properties or items is fine; this is a loop of names."""
    issues = []
    reported: set[frozenset[str]] = set()
    for at, ref in find_refs(doc.data):
        chain = [ref]
        while True:
            try:
                _, node = doc.resolve(chain[-1])
            except KeyError:
                break
            nxt = node.get("$ref") if isinstance(node, dict) and len(node) == 1 else None
            if not isinstance(nxt, str):
                break
            if nxt in chain:
                loop = chain[chain.index(nxt):]
                if frozenset(loop) not in reported:
                    reported.add(frozenset(loop))
                    issues.append(doc.issue(at, "$ref cycle with nothing in between: " + " -> ".join([*loop, nxt]),
                                            "one of them must be a schema (or parameter) of its own"))
                break
            chain.append(nxt)
    return issues


def check(doc: Document) -> list[SpecIssue]:
    """All structural problems of a document; an empty list means the IR can be built."""
    refs = check_refs(doc) + check_ref_cycles(doc)
    # A broken or looping $ref makes the OpenAPI validator fail on it first; report the clearer message only.
    return refs + check_extensions(doc) + ([] if refs else check_openapi(doc))
