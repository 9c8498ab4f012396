"""JSON Schema (Draft 2020-12 subset) -> plain, fast, standard-library-only Python validators.

`compile_validators(schemas, policy, header)` turns self-contained schemas (local `#/$defs/Name` references
only) into the source of one module with `validate_<name>(document, strict=False)` per entry point, `validate`
(the first entry point) and `VALIDATORS`. The compiler does three jobs, one module each, in the manner of
fastjsonschema's generator:

* `schema_check`: walks every schema first; a keyword outside the table, a root-only keyword elsewhere or a
  malformed value raises `UnsupportedKeyword` / `InvalidSchema` with its JSON Pointer. Nothing is ignored.
* `emitters`: the table from keyword to the method that emits its code. Type-specific keywords are emitted under
  one guard per JSON type (`type(x) is dict`, ...), as JSON Schema applies them only to instances of that type.
  One function per `$defs` entry (leaf definitions such as value sets are inlined) and per entry point; other
  subschemas are inlined as straight-line code. No path is built on the happy path: a function returns `None`
  when it found nothing, else its issues with paths relative to its own value.
* this module: assembles the module. What the code calls off its happy path (recording issues, lenient drift,
  anyOf/oneOf, JSON equality, document order) is the runtime module `_validation`, and the lenient policy, the
  integer formats and the depth limit are `_values`, shared with the models.

Reporting, chosen to agree with `jsonschema`'s `iter_errors` (strict mode: same verdict, same error paths, with
`format: int32 | int64` asserted as ranges): every failing keyword is one issue at the instance it applies to,
except `additionalProperties: false` (one issue per undeclared property, at its own path) and `anyOf` / `oneOf`
(one issue at the instance unless exactly one branch accepts the value's JSON type, whose issues are reported).
Lenient mode (the default of the generated `validate*`) downgrades to warnings: a string outside an open value set
(`x-open-enum: true`), an undeclared property, and the drift the lenient policy allows; an accepted drifted value
is checked against the remaining keywords as the value it stands for.
"""

from __future__ import annotations

import re
from typing import Any

from ...ir.schemas import LenientPolicy
from ..codec import lenient_source
from ..pysource import string
from .emitters import Compiler
from .schema_check import Checker, Entry, InvalidSchema, UnsupportedKeyword

__all__ = ["InvalidSchema", "UnsupportedKeyword", "compile_validators"]

_DOC = '''"""Compiled JSON Schema validators: generated, standard library only.

`validate(document, strict=False)` returns every issue found, in document order (object members in the
document's key order, array items in order), as `Issue` records whose `path` is a JSON Pointer.

strict=True follows JSON Schema Draft 2020-12 for the keywords used, with `format: int32 | int64` asserted as
ranges. The default, lenient mode, is meant for recorded traffic: a string outside an open value set
(`x-open-enum`), an undeclared property and the type drift allowed by the spec's lenient policy are warnings
instead of errors, and an accepted drifted value is checked as the value it stands for. Other formats are
annotations only, as in jsonschema's default.
"""'''


def _identifier(name: str) -> str:
    ident = re.sub(r"[^0-9A-Za-z_]", "_", name)
    if not ident or ident[0].isdigit():
        ident = "_" + ident
    return ident


def compile_validators(schemas: dict[str, dict[str, Any]], policy: LenientPolicy, header: str,
                       runtime: str = ".") -> str:
    """Compile entry-point schemas into the source of a validator module (see the module docstring).

    `schemas` maps entry-point names to self-contained Draft 2020-12 schemas (the first one is `validate`);
    `policy` is the spec's lenient policy as the IR decided it; `header` is a comment block put first;
    `runtime` is the package holding the runtime modules `_values` and `_validation` ("." in a generated
    package). The source is not laid out: the pipeline formats it with ruff. Raises `UnsupportedKeyword` for
    any keyword it does not implement and `InvalidSchema` for malformed ones."""
    if not schemas:
        raise ValueError("at least one entry-point schema is needed")
    entries: list[Entry] = []
    idents: dict[str, str] = {}
    for index, (name, schema) in enumerate(schemas.items()):
        ident = _identifier(name)
        if ident in idents.values():
            raise ValueError(f"entry points {name!r} and another one both map to validate_{ident}")
        idents[name] = ident
        defs = schema.get("$defs", {}) if isinstance(schema, dict) else {}
        entry = Entry(index, name, schema, defs if isinstance(defs, dict) else {})
        Checker(entry, frozenset(Compiler.KEYWORDS)).check(schema, "", root=True)
        entries.append(entry)
    compiler = Compiler(entries, policy)
    compiler.compile()

    publics = [f"validate_{idents[e.name]}" for e in entries]
    out: list[str] = []
    head = header.rstrip("\n")
    if head:
        out.append(head)
    out += [_DOC, ""]
    if compiler.uses_re:
        out.append("import re")
    out += ["from collections.abc import Callable", ""]
    sub = runtime if runtime.endswith(".") else runtime + "."  # "." -> "._validation"
    out.append(f"from {runtime} import _validation")
    out.append(f"from {runtime} import _values as _v")
    body = "\n".join([*compiler.const_lines, *compiler.functions, *compiler.branch_tables])
    imported = [("MISSING", "_M"), ("Branch", "_Branch"), ("Found", "_L"), ("eq", "_eq"), ("is_in", "_in"),
                ("merge", "_merge"), ("too_deep", "_too_deep")]
    for name, alias in imported:
        if re.search(rf"\b{alias}\b", body):
            out.append(f"from {sub}_validation import {name} as {alias}")
    out.append(f"from {sub}_validation import Issue")
    out.append(f"from {sub}_validation import finish as _finish")
    out += ["", "__all__ = [" + ", ".join(string(n) for n in ["VALIDATORS", "Issue", "validate", *sorted(publics)])
            + "]", "", ""]
    out.append("# The spec's lenient policy (x-service.lenient), applied by the runtime the models share.")
    out.extend(lenient_source(policy).splitlines())
    out.append("")
    out.append("# Issue sites: (keyword, expected, types bit set for `type` / open flag for `enum` / one for oneOf).")
    out.append("_SITES: tuple[tuple[str, str, int], ...] = (")
    for (keyword, expected, aux), _n in sorted(compiler.sites.items(), key=lambda kv: kv[1]):
        out.append(f"    ({string(keyword)}, {string(expected)}, {aux}),")
    out.append(")")
    out.append("_h = _validation.Helpers(_SITES, _LAX)")
    out.append("_err, _miss, _lax, _type, _enum, _extra, _comb = _h.err, _h.miss, _h.lax, _h.type, _h.enum, "
               "_h.extra, _h.comb")
    if compiler.const_lines:
        out.append("")
        out.extend(compiler.const_lines)
    for fn in compiler.functions:
        out.extend(["", "", fn])
    if compiler.branch_tables:
        out += ["", "", "# anyOf/oneOf branches whose types overlap: (types bit set, branch function)."]
        out.extend(compiler.branch_tables)
    for entry, public in zip(entries, publics, strict=True):
        about = string(f"All issues of `document` against the {entry.name} schema, in document order.")
        out += ["", "", f"def {public}(document: object, strict: bool = False) -> list[Issue]:", f"    {about}",
                f"    raw = _e{entry.index}(document, not strict, 0)",
                "    return [] if raw is None else _finish(document, raw)"]
    about = string(f"All issues of `document` against the {entries[0].name} schema, in document order.")
    out += ["", "", "def validate(document: object, strict: bool = False) -> list[Issue]:", f"    {about}",
            f"    return {publics[0]}(document, strict)", "", "",
            "VALIDATORS: dict[str, Callable[[object, bool], list[Issue]]] = {"]
    out.extend(f"    {string(e.name)}: {p}," for e, p in zip(entries, publics, strict=True))
    out.append("}")
    return "\n".join(out) + "\n"
