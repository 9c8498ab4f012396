"""Faults: deterministic by seed, combinable, written as one --faults string.

    --faults "throttle:every=5,slow:rate=0.2:ms=150,total-shift:after=2:delta=5"

Terms are separated by commas; each is a fault name and `key=value` options separated by colons.

Per-request faults, and when they strike (counting the operation requests that passed the signature
check, each fault its own count):

    throttle      the gateway's throttling error (x-service.emulator errors.throttled) with the retry
                  header (x-service.retry.retry_after_header) in milliseconds; retry-after=MS (default
                  200), status=N (default: the error table's first status)
    unavailable   the temporary-failure error (errors.unavailable); status=N
    slow          the answer waits ms=N milliseconds (default 300)
    drop          the connection closes without an answer
    truncate      the answer promises its full length and sends half of it, then the connection closes
    malformed     a 200 answer's body is cut in half (with a matching length): not JSON any more

    trigger options:  every=N  (the Nth, 2Nth, ... request)   rate=P  (each with probability P, by seed)
                      first=N  (the first N requests)         count=N (strike at most N times)
                      none of every/rate/first: every request

Data faults:

    total-shift   after=N pages of a job served (default 1), the job gains delta=N items (default 5;
                  negative removes): a total that changes mid-pagination
    clamp         a page past the end answers the last page instead of an empty one
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from dataclasses import dataclass, field

REQUEST_FAULTS = ("drop", "throttle", "unavailable", "slow", "truncate", "malformed")
DATA_FAULTS = ("total-shift", "clamp")
_OPTIONS = {
    "throttle": {"retry-after", "status"},
    "unavailable": {"status"},
    "slow": {"ms"},
    "drop": set(),
    "truncate": set(),
    "malformed": set(),
    "total-shift": {"after", "delta"},
    "clamp": set(),
}
_TRIGGERS = {"every", "rate", "first", "count"}


class FaultSpecError(ValueError):
    """A --faults string that does not parse; the message names the term and what is wrong."""


@dataclass
class Fault:
    name: str
    every: int | None = None
    rate: float | None = None
    first: int | None = None
    count: int | None = None
    options: dict[str, float] = field(default_factory=dict)
    seen: itertools.count[int] = field(default_factory=itertools.count)
    struck: int = 0

    def describe(self) -> str:
        parts = [self.name]
        for key in ("every", "rate", "first", "count"):
            value = getattr(self, key)
            if value is not None:
                parts.append(f"{key}={value:g}")
        parts += [f"{k}={v:g}" for k, v in self.options.items()]
        return ":".join(parts)


def _number(term: str, key: str, text: str, *, integer: bool, minimum: float) -> float:
    try:
        value = int(text) if integer else float(text)
    except ValueError:
        kind = "an integer" if integer else "a number"
        raise FaultSpecError(f"fault {term!r}: {key} must be {kind}, got {text!r}") from None
    if value < minimum or value != value:
        raise FaultSpecError(f"fault {term!r}: {key} must be at least {minimum:g}")
    return value


def parse_faults(spec: str | None) -> list[Fault]:
    """`throttle:every=3,slow:ms=50` -> faults. Raises FaultSpecError for anything it does not know."""
    faults: list[Fault] = []
    names: set[str] = set()
    for raw in (spec or "").split(","):
        term = raw.strip()
        if not term:
            continue
        name, *options = term.split(":")
        name = name.strip()
        if name not in _OPTIONS:
            known = ", ".join(REQUEST_FAULTS + DATA_FAULTS)
            raise FaultSpecError(f"unknown fault {name!r} in {term!r} (known: {known})")
        if name in names:
            raise FaultSpecError(f"fault {name!r} is given twice")
        names.add(name)
        fault = Fault(name)
        allowed = _OPTIONS[name] | (_TRIGGERS if name in REQUEST_FAULTS else set())
        for option in options:
            key, sep, value = option.strip().partition("=")
            if not sep or key not in allowed:
                hint = ", ".join(sorted(allowed)) or "none"
                raise FaultSpecError(f"fault {term!r}: unknown option {option!r} (options of {name}: {hint})")
            if key == "rate":
                fault.rate = _number(term, key, value, integer=False, minimum=0)
                if fault.rate > 1:
                    raise FaultSpecError(f"fault {term!r}: rate is a probability, at most 1")
            elif key == "every":
                fault.every = int(_number(term, key, value, integer=True, minimum=1))
            elif key == "first":
                fault.first = int(_number(term, key, value, integer=True, minimum=0))
            elif key == "count":
                fault.count = int(_number(term, key, value, integer=True, minimum=0))
            elif key == "delta":
                fault.options[key] = _number(term, key, value, integer=True, minimum=-(2**31))
            elif key == "status":
                fault.options[key] = _number(term, key, value, integer=True, minimum=400)
                if fault.options[key] > 599:
                    raise FaultSpecError(f"fault {term!r}: status must be 400-599")
            else:
                fault.options[key] = _number(term, key, value, integer=key != "ms", minimum=0)
        if sum(x is not None for x in (fault.every, fault.rate, fault.first)) > 1:
            raise FaultSpecError(f"fault {term!r}: give one of every, rate, first")
        faults.append(fault)
    return faults


def _uniform(seed: int, name: str, index: int) -> float:
    digest = hashlib.blake2b(f"{seed}:{name}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


class FaultPlan:
    """Decides, request by request, which faults strike. The n-th request a fault sees gets the same
    decision in every run with the same seed."""

    def __init__(self, faults: list[Fault], seed: int = 0) -> None:
        self.seed = seed
        self.faults = {f.name: f for f in faults}
        self._lock = threading.Lock()
        shift = self.faults.get("total-shift")
        self.shift: tuple[int, int] | None = (
            (int(shift.options.get("after", 1)), int(shift.options.get("delta", 5))) if shift else None)
        self.clamp = "clamp" in self.faults

    @classmethod
    def parse(cls, spec: str | None, seed: int = 0) -> FaultPlan:
        return cls(parse_faults(spec), seed)

    def __bool__(self) -> bool:
        return bool(self.faults)

    def describe(self) -> str:
        return ",".join(f.describe() for f in self.faults.values()) or "none"

    def strike(self) -> dict[str, Fault]:
        """The request faults that strike the next request, by name."""
        out: dict[str, Fault] = {}
        for name in REQUEST_FAULTS:
            fault = self.faults.get(name)
            if fault is None:
                continue
            with self._lock:
                index = next(fault.seen)  # 0-based: this is request index+1 for the fault
                if fault.count is not None and fault.struck >= fault.count:
                    continue
                if fault.every is not None:
                    hit = (index + 1) % fault.every == 0
                elif fault.rate is not None:
                    hit = _uniform(self.seed, name, index) < fault.rate
                elif fault.first is not None:
                    hit = index < fault.first
                else:
                    hit = True
                if hit:
                    fault.struck += 1
                    out[name] = fault
        return out
