"""The retry loop: how many attempts, how long to wait between them (full jitter, or the server's own
delay), and one deadline over the whole call, sleeps included. Every failed attempt, wait and final
failure is logged.

Copied verbatim into every generated package (standard library only). What is worth retrying is the
caller's decision (`classify`); the loop knows nothing of HTTP.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

from ._errors import ClientError, DeadlineExceeded, RequestValidationError, excerpt, seconds

if TYPE_CHECKING:
    import logging
    import random

__all__ = ["RetryAction", "RetryDecision", "RetryPolicy", "call_with_retries"]

T = TypeVar("T")


class RetryAction(enum.Enum):
    GIVE_UP = "give_up"
    RETRY = "retry"
    REFRESH = "refresh"  # refresh the credentials, then exactly one new attempt


@dataclass(frozen=True)
class RetryDecision:
    action: RetryAction
    delay_s: float | None = None  # the server's own delay (e.g. from a retry-after header)

    @classmethod
    def give_up(cls) -> RetryDecision:
        return cls(RetryAction.GIVE_UP)

    @classmethod
    def retry(cls, delay_s: float | None = None) -> RetryDecision:
        return cls(RetryAction.RETRY, delay_s)

    @classmethod
    def refresh(cls) -> RetryDecision:
        return cls(RetryAction.REFRESH)


@dataclass(frozen=True)
class RetryPolicy:
    """How a call is retried. These defaults are the library's (one attempt, as the official SDKs do);
    a generated client's default policy is the spec's (x-service.retry), and `retry=N` keeps it but for
    the number of attempts.

    max_attempts counts every attempt (1 = no retries); base_delay_s and max_delay_s bound the full-jitter
    backoff; deadline_s, when set, bounds the whole call including sleeps; retry_after_header names the
    response header holding the server's delay in milliseconds. A value out of range raises
    RequestValidationError naming the field.
    """

    max_attempts: int = 1
    base_delay_s: float = 0.2
    max_delay_s: float = 20.0
    deadline_s: float | None = None
    retry_after_header: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int):
            raise RequestValidationError("max_attempts", f"must be an integer, not {type(self.max_attempts).__name__}")
        if self.max_attempts < 1:
            raise RequestValidationError("max_attempts", "must be at least 1")
        seconds("base_delay_s", self.base_delay_s, zero=True)
        seconds("max_delay_s", self.max_delay_s, zero=True)
        if self.deadline_s is not None:
            seconds("deadline_s", self.deadline_s)
        header = self.retry_after_header
        if header is not None and not (isinstance(header, str) and header.isascii() and header.isprintable()
                                       and header and " " not in header and ":" not in header):
            raise RequestValidationError("retry_after_header", "must be a header name (visible ASCII, no colon)")

    def backoff_s(self, retry_index: int, rng: random.Random) -> float:
        """Full jitter: uniform(0, min(max, base * 2**n)); spreads clients that failed together."""
        cap = min(self.max_delay_s, self.base_delay_s * 2.0 ** min(retry_index, 60))
        return rng.uniform(0.0, cap)

    def retry_after_s(self, headers: Mapping[str, str]) -> float | None:
        """The server's retry-after delay in seconds, or None when absent or unreadable."""
        if not self.retry_after_header:
            return None
        wanted = self.retry_after_header.lower()
        raw = next((value for name, value in headers.items() if name.lower() == wanted), None)
        if raw is None:
            return None
        try:
            millis = float(raw.strip())
        except ValueError:
            return None
        return millis / 1000.0 if math.isfinite(millis) and millis >= 0 else None


def call_with_retries(
    attempt: Callable[[float], T],
    classify: Callable[[BaseException], RetryDecision],
    policy: RetryPolicy,
    *,
    refresh: Callable[[], object] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
    rng: random.Random | None = None,
    log: logging.Logger | None = None,
    what: str = "call",
) -> T:
    """Call `attempt(remaining_budget_s)` until it returns, `classify` says give up, attempts run out
    or the deadline would pass.

    The budget (math.inf without a deadline) lets the attempt cap its socket timeouts, so no single
    attempt overruns the deadline. A REFRESH decision calls `refresh` once per call and retries at once;
    that extra attempt does not count against max_attempts (with the default of 1 it must still work).
    Giving up re-raises the last error; a ClientError then says in its message how many attempts were
    made (`attempts`, and `retries_exhausted` when it was retryable), anything else gets a note. A sleep that would pass the deadline raises
    DeadlineExceeded (from the last error) instead. `log` gets each failed attempt and wait at DEBUG,
    giving up on a retryable failure at WARNING and a final answer at INFO; `what` names the call.
    """
    if rng is None:
        import random

        rng = random.Random()
    deadline = clock() + policy.deadline_s if policy.deadline_s is not None else math.inf
    attempts = 0
    retries = 0
    refreshed = False
    while True:
        attempts += 1
        try:
            return attempt(deadline - clock())
        except Exception as exc:
            decision = classify(exc)
            failure = f"{type(exc).__name__}: {excerpt(str(exc), 500)}"
            if decision.action is RetryAction.REFRESH and not refreshed and refresh is not None:
                # New credentials, then one immediate attempt outside the max_attempts count.
                refreshed = True
                if log is not None:
                    log.debug("%s: attempt %d failed (%s); refreshing the credentials, then once more",
                              what, attempts, failure)
                refresh()
                if clock() >= deadline:
                    raise _deadline_exceeded(policy, exc, attempts, log, what) from exc
                continue
            retryable = decision.action is RetryAction.RETRY
            if not retryable or retries + 1 >= policy.max_attempts:
                if log is not None:
                    level = 30 if retryable else 20  # logging.WARNING, logging.INFO
                    log.log(level, "%s: giving up after %d attempt%s: %s", what, attempts,
                            "s" if attempts != 1 else "", failure)
                _note_attempts(exc, attempts, retryable)
                raise
            delay = decision.delay_s if decision.delay_s is not None else policy.backoff_s(retries, rng)
            if clock() + delay >= deadline:
                # Sleeping would end past the deadline: stop now rather than wake up with no budget.
                raise _deadline_exceeded(policy, exc, attempts, log, what) from exc
            retries += 1
            if log is not None:
                log.debug("%s: attempt %d of %d failed (%s); retrying in %.3f s", what, attempts,
                          policy.max_attempts, failure, delay)
            sleep(delay)


def _note_attempts(exc: Exception, attempts: int, exhausted: bool) -> None:
    if isinstance(exc, ClientError):
        exc.attempts, exc.retries_exhausted = attempts, exhausted  # its message says so
    else:
        exc.add_note(f"({'gave up ' if exhausted else ''}after {attempts} attempt{'s' if attempts != 1 else ''})")


def _deadline_exceeded(policy: RetryPolicy, exc: Exception, attempts: int, log: logging.Logger | None,
                       what: str) -> DeadlineExceeded:
    plural = "s" if attempts != 1 else ""
    error = DeadlineExceeded(
        f"deadline of {policy.deadline_s:g}s reached after {attempts} attempt{plural}; "
        f"last error: {type(exc).__name__}: {exc}",
        last_error=exc,
        attempts=attempts,
    )
    if log is not None:
        log.warning("%s: giving up: %s", what, excerpt(str(error), 500))
    return error
