"""A local emulator of the spec's API: a real HTTP server speaking the RPC wire protocol.

Everything it knows comes from the spec (parameters, value sets, pagination, the error table) and
its `x-emulator` extensions; nothing here names the API. See docs/design.md ("x-emulator") and
`python -m generator mock-server --help`.

Names are imported on first use, so `generator.cli` stays quick to start.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .api import Api, EmulatorConfigError, load_api
    from .client import Answer, Caller
    from .engine import DEFAULT_KEY_ID, DEFAULT_KEY_SECRET, AccessKey, parse_access_key
    from .faults import FaultPlan, FaultSpecError, parse_faults
    from .server import Emulator

_WHERE = {
    "Api": "api", "EmulatorConfigError": "api", "load_api": "api",
    "Answer": "client", "Caller": "client",
    "DEFAULT_KEY_ID": "engine", "DEFAULT_KEY_SECRET": "engine", "AccessKey": "engine", "parse_access_key": "engine",
    "FaultPlan": "faults", "FaultSpecError": "faults", "parse_faults": "faults",
    "Emulator": "server",
}

__all__ = [
    "DEFAULT_KEY_ID",
    "DEFAULT_KEY_SECRET",
    "AccessKey",
    "Answer",
    "Api",
    "Caller",
    "Emulator",
    "EmulatorConfigError",
    "FaultPlan",
    "FaultSpecError",
    "load_api",
    "parse_access_key",
    "parse_faults",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
