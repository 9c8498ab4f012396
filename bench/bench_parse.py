"""Bytes -> typed models, as a ratio to json.loads on the same bytes (lower is better).

Side by side: this package (lenient and strict), Alibaba's official SDK model (`from_map`, checks nothing),
and pydantic v2 models generated from the same bundled schema by datamodel-code-generator.
"""

from __future__ import annotations

import importlib
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import RESPONSE_SCHEMA, best, big_response, sample, table


def _pydantic_model() -> Callable[[Any], Any] | None:
    try:
        from datamodel_code_generator import generate
    except ImportError:
        return None
    schema = json.loads(RESPONSE_SCHEMA.read_text(encoding="utf-8"))
    schema.pop("$comment", None)
    schema = json.loads(json.dumps(schema), object_hook=lambda o: {k: v for k, v in o.items() if not k.startswith("x-")})
    folder = Path(tempfile.mkdtemp())
    generate(json.dumps(schema), input_file_type="jsonschema", output=folder / "pyd_models.py",
             output_model_type="pydantic_v2.BaseModel", class_name="Response", formatters=[])
    sys.path.insert(0, str(folder))
    module = importlib.import_module("pyd_models")
    root = module.Response
    return root.model_validate  # type: ignore[no-any-return]


def _official_sdk() -> Callable[[Any], Any] | None:
    try:
        from alibabacloud_dts20200101 import models
    except ImportError:
        return None
    return lambda d: models.DescribePreCheckStatusResponseBody().from_map(d)


def section(title: str, doc: dict[str, Any], official: Callable[[Any], Any] | None,
            pydantic_validate: Callable[[Any], Any] | None) -> None:
    import dts_precheck as ours

    raw = json.dumps(doc, ensure_ascii=False).encode()
    base = best(lambda: json.loads(raw))
    rows = [("json.loads (baseline)", base, 1.0)]

    def add(label: str, fn: Callable[[], object]) -> None:
        t = best(fn)
        rows.append((label, t, t / base))

    add("dts_precheck.parse_response (lenient)", lambda: ours.parse_response(raw))
    add("dts_precheck.parse_response (strict)", lambda: ours.parse_response(raw, strict=True))
    if official is not None:
        add("official SDK: json.loads + from_map", lambda: official(json.loads(raw)))
    if pydantic_validate is not None:
        add("pydantic v2: json.loads + model_validate", lambda: pydantic_validate(json.loads(raw)))
    table(f"parse bytes -> models: {title} ({len(raw):,} bytes)", rows, "json.loads")


def main() -> None:
    pydantic_validate = _pydantic_model()
    official = _official_sdk()
    section("doc sample", sample(), official, pydantic_validate)
    section("200-item response", big_response(200), official, pydantic_validate)
    if official is None or pydantic_validate is None:
        print("  (install the bench extra for the official SDK and pydantic rows: make bench does)")


if __name__ == "__main__":
    main()
