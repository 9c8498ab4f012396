"""The Transport adapters docs/client.md shows, taken from the page as a reader copies them, so that the
adapter tests and `make bench` run exactly the page's code: its adapter blocks, each up to its example (which
would call a real endpoint), run in one namespace (the first block's imports and MAX_BODY serve the others)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

PAGE = Path(__file__).resolve().parent.parent / "docs" / "client.md"
# Each adapter block: a line that tells it, and the line its example starts with.
BLOCKS = (("class RequestsTransport", "\nfor stack in"),
          ("class HttpxAsyncTransport", "\nasync def through_httpx"),
          ("class AiohttpTransport", "\nasync def through_aiohttp"))


def adapters() -> dict[str, Any]:
    """The namespace the blocks ran in: each adapter class by its name (RequestsTransport, HttpxTransport,
    HttpxAsyncTransport, AiohttpTransport)."""
    found = re.findall(r"^```python\n(.*?)^```", PAGE.read_text(encoding="utf-8"), re.M | re.S)
    namespace: dict[str, Any] = {"__name__": "client_md_adapters"}
    for marker, example in BLOCKS:
        block = next(b for b in found if marker in b)
        exec(compile(block.partition(example)[0], "docs/client.md", "exec"), namespace)
    return namespace
