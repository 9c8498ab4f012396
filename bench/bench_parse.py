"""Bytes -> typed models, as a ratio to json.loads on the same bytes (lower is better).

Side by side: this package (lenient and strict), Alibaba's official SDK model (`from_map`, checks nothing),
and the package's optional pydantic flavour (`pydantic_models`, generated from the same bundled schemas by
datamodel-code-generator), from decoded JSON and from the bytes (pydantic's own JSON parser).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from common import best_in_turns, big_response, sample, table


def _pydantic_model() -> Any | None:
    try:
        from dts_precheck import pydantic_models
    except ImportError:  # pydantic is not installed
        return None
    return pydantic_models.DescribePreCheckStatusResponse


def _official_sdk() -> Callable[[Any], Any] | None:
    try:
        from alibabacloud_dts20200101 import models
    except ImportError:
        return None
    return lambda d: models.DescribePreCheckStatusResponseBody().from_map(d)


def section(title: str, doc: dict[str, Any], official: Callable[[Any], Any] | None, pydantic_model: Any | None) -> None:
    import dts_precheck as ours

    raw = json.dumps(doc, ensure_ascii=False).encode()
    fns: dict[str, Callable[[], object]] = {
        "json.loads (baseline)": lambda: json.loads(raw),
        "dts_precheck.parse_response (lenient)": lambda: ours.parse_response(raw),
        "dts_precheck.parse_response (strict)": lambda: ours.parse_response(raw, strict=True),
    }
    if official is not None:
        fns["official SDK: json.loads + from_map"] = lambda: official(json.loads(raw))
    if pydantic_model is not None:
        for strict, mode in ((False, "lenient"), (True, "strict")):
            fns[f"pydantic_models: json.loads + model_validate ({mode})"] = \
                lambda strict=strict: pydantic_model.model_validate(json.loads(raw), strict=strict)
            fns[f"pydantic_models: model_validate_json ({mode})"] = \
                lambda strict=strict: pydantic_model.model_validate_json(raw, strict=strict)
    seconds = best_in_turns(fns)
    base = seconds["json.loads (baseline)"]
    rows = [(label, t, t / base) for label, t in seconds.items()]
    table(f"parse bytes -> models: {title} ({len(raw):,} bytes)", rows, "json.loads")


def main() -> None:
    pydantic_model = _pydantic_model()
    official = _official_sdk()
    section("doc sample", sample(), official, pydantic_model)
    section("200-item response", big_response(200), official, pydantic_model)
    if official is None or pydantic_model is None:
        print("  (install the bench extra for the official SDK and pydantic rows: make bench does)")


if __name__ == "__main__":
    main()
