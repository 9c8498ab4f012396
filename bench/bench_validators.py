"""Time the compiled validators against jsonschema and fastjsonschema on the same documents.

    python bench/bench_validators.py [DOCUMENT] [SCHEMA] [--lenient JSON]

Compiles SCHEMA (default: the bundled response schema) with generator.render.validator_compiler, loads it from a
temporary file and times `validate` (lenient and strict) against jsonschema's Draft202012Validator
(`list(iter_errors(...))`, i.e. every error, as ours reports) and fastjsonschema (first error only), on
DOCUMENT (default: the spec's sample) and on a synthetic document where the largest array of objects in
DOCUMENT is grown to 200 copies of its first item. Prints microseconds per call and the ratios.

fastjsonschema implements drafts 4/6/7; it is given the same schema (it resolves `#/$defs/...` as plain
JSON Pointers), which for the keywords the spec uses means the same verdict.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import functools
import importlib.metadata
import importlib.util
import json
import sys
import tempfile
import timeit
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.ir.schemas import read_lenient  # noqa: E402
from generator.render.validator_compiler import compile_validators  # noqa: E402

DEFAULT_SCHEMA = ROOT / "generated" / "dts_precheck" / "schemas" / "response.schema.json"
DEFAULT_DOCUMENT = ROOT / "spec" / "examples" / "doc-sample.json"
DEFAULT_LENIENT = {
    "integer_from_string": True,
    "boolean_from_string": ["true", "false", "True", "False"],
    "null_from_string": ["None"],
}
SYNTHETIC_ITEMS = 200


def load_compiled(schema: dict[str, Any], lenient: dict[str, Any], directory: Path) -> ModuleType:
    policy, problems = read_lenient(lenient)
    if problems:
        raise SystemExit(f"lenient policy: {problems}")
    # the runtime modules the generated package copies, imported from the generator here
    source = compile_validators({"response": schema}, policy, "# benchmark build\n", runtime="generator.runtime")
    path = directory / "bench_compiled_validators.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("bench_compiled_validators", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def largest_object_array(document: Any) -> tuple[list[Any], int] | None:
    """The longest array whose items are objects (ties: the first in document order), with its size."""
    best: tuple[list[Any], int] | None = None
    stack = [document]
    while stack:
        node = stack.pop(0)
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            if (
                node
                and all(isinstance(item, dict) for item in node)
                and (best is None or len(node) > best[1])
            ):
                best = (node, len(node))
            stack.extend(node)
    return best


def synthetic(document: Any) -> Any | None:
    """A copy of the document whose largest array of objects holds SYNTHETIC_ITEMS copies of its first item."""
    grown = copy.deepcopy(document)
    found = largest_object_array(grown)
    if found is None:
        return None
    array, _ = found
    first = array[0]
    array[:] = [copy.deepcopy(first) for _ in range(SYNTHETIC_ITEMS)]
    return grown


def per_call(fn: Callable[[], object], budget_s: float = 0.4) -> float:
    """Seconds per call: the best of 5 repeats of an auto-sized loop."""
    timer = timeit.Timer(fn)
    number, elapsed = timer.autorange()
    number = max(1, int(number * budget_s / 5 / max(elapsed, 1e-9)))
    return min(timer.repeat(repeat=5, number=number)) / number


def _all_errors(validator: Any, document: Any) -> list[Any]:
    return list(validator.iter_errors(document))


def _first_error(fast: Callable[[Any], Any], error: type[Exception], document: Any) -> None:
    with contextlib.suppress(error):
        fast(document)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("document", nargs="?", type=Path, default=DEFAULT_DOCUMENT)
    parser.add_argument("schema", nargs="?", type=Path, default=DEFAULT_SCHEMA)
    parser.add_argument("--lenient", type=json.loads, default=DEFAULT_LENIENT, help="lenient policy as JSON")
    args = parser.parse_args(argv)
    print("\n## validators: compiled from the spec vs jsonschema (every error) and fastjsonschema (first error)")
    for path in (args.document, args.schema):
        if not path.exists():
            parser.error(f"{path} does not exist (run the generator first for the default schema)")

    import fastjsonschema
    import jsonschema

    schema = json.loads(args.schema.read_text(encoding="utf-8"))
    document = json.loads(args.document.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        compiled = load_compiled(schema, args.lenient, Path(tmp))
    reference = jsonschema.Draft202012Validator(schema)
    fast = fastjsonschema.compile(schema)

    cases = [(args.document.name, document)]
    grown = synthetic(document)
    if grown is not None:
        cases.append((f"{args.document.name} with {SYNTHETIC_ITEMS} array items", grown))

    versions = {name: importlib.metadata.version(name) for name in ("jsonschema", "fastjsonschema")}
    print(f"schema {args.schema}\npython {sys.version.split()[0]}, {versions}")
    for name, doc in cases:
        ours_strict = compiled.validate(doc, strict=True)
        errors = list(reference.iter_errors(doc))
        try:
            fast(doc)
            fast_ok = True
        except fastjsonschema.JsonSchemaException:
            fast_ok = False
        verdicts = (not ours_strict, not errors, fast_ok)
        note = "valid" if all(verdicts) else f"verdicts ours/jsonschema/fastjsonschema = {verdicts}"
        t_lenient = per_call(functools.partial(compiled.validate, doc))
        t_strict = per_call(functools.partial(compiled.validate, doc, strict=True))
        t_js = per_call(functools.partial(_all_errors, reference, doc))
        t_fast = per_call(functools.partial(_first_error, fast, fastjsonschema.JsonSchemaException, doc))
        size = len(json.dumps(doc))
        print(f"\n{name} ({size} bytes of JSON, {note})")
        print(f"  compiled validate (lenient)  {t_lenient * 1e6:10.1f} us")
        print(f"  compiled validate (strict)   {t_strict * 1e6:10.1f} us")
        print(
            f"  jsonschema iter_errors       {t_js * 1e6:10.1f} us   {t_js / t_lenient:6.1f}x slower than compiled"
        )
        print(
            f"  fastjsonschema               {t_fast * 1e6:10.1f} us   {t_fast / t_lenient:6.2f}x slower than compiled"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
