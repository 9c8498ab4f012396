"""Test doubles shared by several test modules.

FakeClock exists so that retry back-off, waiter polling and emulator scenarios (all of which take a
`clock` and a `sleep` callable) can be tested without waiting: sleeping advances the clock at once and is
recorded, so a test asserts on the delays chosen instead of on wall time.
"""

from __future__ import annotations


class FakeClock:
    """A monotonic clock that only moves when slept on (or when a test moves `now` itself).

    Pass the instance as `clock=` (calling it reads the time) and its `sleep` as `sleep=`. `sleeps` lists
    every delay asked for, in order. A negative sleep fails, as it does for time.sleep.
    """

    def __init__(self) -> None:
        self.now = 1000.0  # not 0.0, so a time of zero taken for "no time" would show
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0, f"negative sleep: {seconds}"
        self.sleeps.append(seconds)
        self.now += seconds
