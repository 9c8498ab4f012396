"""Scenarios: a job whose state moves over time, so waiters and pollers meet the real thing.

A scenario (from the operation's x-emulator `scenarios`) walks every job it governs through the
lifecycle's states, on the emulator's clock, from the job's first request:

    t < step                      job pending, every item pending
    step <= t                     job running; item i runs during [step * (1 + i/2), that + step)
                                  and then ends passed, or failed when it is one of the failing items
    every item ended              job done (the failure count field counts the failed items)
    abort, first failure ended    job aborted; the items stay as they were at that moment

Which items fail is chosen by the seed and the job, so a run is repeatable.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from ..ir import Scenario
from .api import EmulatorConfigError, OperationApi

JOB_PHASES = ("pending", "running", "done", "aborted")
ITEM_PHASES = ("pending", "running", "passed", "failed")


def stable_rng(*parts: object) -> random.Random:
    """A random generator seeded from the parts' text: the same everywhere, unlike hash()."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return random.Random(int.from_bytes(digest[:16], "big"))


@dataclass(frozen=True)
class Timeline:
    step_s: float
    failed: frozenset[int]
    abort: bool

    def window(self, index: int) -> tuple[float, float]:
        start = self.step_s * (1 + index / 2)
        return start, start + self.step_s

    def duration(self, items: int) -> float:
        """Seconds from the first request until the job reaches its final state."""
        ends = [self.window(i)[1] for i in self.failed if i < items]
        if self.abort and ends:
            return min(ends)
        return self.window(max(items - 1, 0))[1] if items else self.step_s

    def at(self, elapsed: float, items: int) -> tuple[str, list[str]]:
        """(job phase, item phases) `elapsed` seconds after the job's first request."""
        t = elapsed
        job = "running"
        ends = [self.window(i)[1] for i in self.failed if i < items]
        if self.abort and ends and t >= min(ends):
            t, job = min(ends), "aborted"
        phases: list[str] = []
        for i in range(items):
            start, end = self.window(i)
            if t < start:
                phases.append("pending")
            elif t < end:
                phases.append("running")
            else:
                phases.append("failed" if i in self.failed else "passed")
        if job != "aborted":
            if elapsed < self.step_s:
                job = "pending"
            elif all(p in ("passed", "failed") for p in phases):
                job = "done"
        return job, phases


def choose_failures(seed: int, job_id: str, items: int, failures: int) -> frozenset[int]:
    if failures <= 0 or items <= 0:
        return frozenset()
    return frozenset(stable_rng(seed, "failures", job_id).sample(range(items), min(failures, items)))


def parse_scenario(text: str, api: OperationApi) -> tuple[Scenario, float]:
    """`NAME` or `NAME:step=SECONDS` -> (scenario, step). Raises EmulatorConfigError listing the names."""
    name, _, rest = text.strip().partition(":")
    scenario = api.cfg.scenarios.get(name)
    if scenario is None:
        known = ", ".join(sorted(api.cfg.scenarios)) or "none"
        raise EmulatorConfigError(f"unknown scenario {name!r} (the spec defines: {known})")
    step = scenario.step_s
    for part in filter(None, rest.split(":")):
        key, sep, value = part.partition("=")
        if key != "step" or not sep:
            raise EmulatorConfigError(f"scenario option {part!r}: the only option is step=SECONDS")
        try:
            step = float(value)
        except ValueError:
            raise EmulatorConfigError(f"scenario option {part!r}: step must be a number of seconds") from None
        if not step > 0:
            raise EmulatorConfigError(f"scenario option {part!r}: step must be above 0")
    if api.cfg.lifecycle is None:
        raise EmulatorConfigError("scenarios need x-emulator.lifecycle in the spec")
    return scenario, step
