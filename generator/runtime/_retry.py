"""The retry loop: how many attempts, how long to wait between them (full jitter, or the server's own
delay), and one deadline over the whole call, sleeps included. Every failed attempt, wait and final
failure is logged.

The decisions are sans-I/O: `Retrying` decides and `retry_flow` is the loop, a generator that yields
what must happen between attempts (a `Pause` to wait, `REFRESH` for new credentials) and leaves doing
it to its driver. The sync client drives it with time.sleep, the async client with asyncio.sleep, and
`call_with_retries` is its plain sync driver; they share every rule.

Copied verbatim into every generated package (standard library only). What is worth retrying is the
caller's decision (`classify`); the loop knows nothing of HTTP.
"""

from __future__ import annotations

import enum
import math
import time
from collections.abc import Callable, Generator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, NamedTuple, TypeVar

from ._errors import ClientError, DeadlineExceeded, RequestValidationError, excerpt, seconds

if TYPE_CHECKING:
    import logging
    import random

__all__ = [
    "REFRESH",
    "Pause",
    "RetryAction",
    "RetryDecision",
    "RetryPolicy",
    "Retrying",
    "call_with_retries",
    "retry_flow",
]

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


class Pause(NamedTuple):
    """An effect: wait this many seconds (the driver sleeps, blocking or not)."""

    seconds: float


class _Refresh:
    __slots__ = ()

    def __repr__(self) -> str:
        return "REFRESH"


REFRESH: Final = _Refresh()  # an effect: resolve the credentials anew (an STS provider issues a new token)


class Retrying:
    """The decisions of one call's retry loop, and nothing else: no I/O, no sleeping.

    Before each attempt `budget_s()` says what is left of the deadline (math.inf without one); after a
    failure `failed()` says what comes next: a Pause, REFRESH, or None to give up (the error then says
    how many attempts were made). It raises DeadlineExceeded when waiting would pass the deadline.
    """

    __slots__ = ("_clock", "_log", "_rng", "_what", "attempts", "can_refresh", "deadline", "policy", "refreshed",
                 "retries")

    def __init__(self, policy: RetryPolicy, *, clock: Callable[[], float] = time.monotonic,
                 rng: random.Random | None = None, log: logging.Logger | None = None, what: str = "call",
                 can_refresh: bool = False) -> None:
        if rng is None:
            import random

            rng = random.Random()
        self.policy = policy
        self._clock, self._rng, self._log, self._what = clock, rng, log, what
        self.can_refresh = can_refresh
        self.deadline = clock() + policy.deadline_s if policy.deadline_s is not None else math.inf
        self.attempts = 0
        self.retries = 0
        self.refreshed = False

    def budget_s(self) -> float:
        """Counts one more attempt and returns the time it may take."""
        self.attempts += 1
        return self.deadline - self._clock()

    def failed(self, exc: Exception, decision: RetryDecision) -> Pause | _Refresh | None:
        """What follows the failed attempt: a Pause before the next one, REFRESH (then exactly one more
        attempt, outside the max_attempts count: with the default of 1 it must still work), or None."""
        log, what, attempts = self._log, self._what, self.attempts
        failure = f"{type(exc).__name__}: {excerpt(str(exc), 500)}"
        if decision.action is RetryAction.REFRESH and not self.refreshed and self.can_refresh:
            self.refreshed = True
            if log is not None:
                log.debug("%s: attempt %d failed (%s); refreshing the credentials, then once more",
                          what, attempts, failure)
            return REFRESH
        retryable = decision.action is RetryAction.RETRY
        if not retryable or self.retries + 1 >= self.policy.max_attempts:
            if log is not None:
                level = 30 if retryable else 20  # logging.WARNING, logging.INFO
                log.log(level, "%s: giving up after %d attempt%s: %s", what, attempts,
                        "s" if attempts != 1 else "", failure)
            _note_attempts(exc, attempts, retryable)
            return None
        delay = decision.delay_s if decision.delay_s is not None else self.policy.backoff_s(self.retries, self._rng)
        if self._clock() + delay >= self.deadline:
            # Sleeping would end past the deadline: stop now rather than wake up with no budget.
            raise _deadline_exceeded(self.policy, exc, attempts, log, what) from exc
        self.retries += 1
        if log is not None:
            log.debug("%s: attempt %d of %d failed (%s); retrying in %.3f s", what, attempts,
                      self.policy.max_attempts, failure, delay)
        return Pause(delay)

    def refreshed_after(self, exc: Exception) -> None:
        """After the refresh: a refresh that took the rest of the deadline ends the call."""
        if self._clock() >= self.deadline:
            raise _deadline_exceeded(self.policy, exc, self.attempts, self._log, self._what) from exc


def retry_flow(
    attempt: Callable[[float], Generator[Any, Any, T]],
    classify: Callable[[BaseException], RetryDecision],
    plan: Retrying,
) -> Generator[Any, Any, T]:
    """The retry loop as a generator: runs `attempt(budget_s)` (itself a flow, whose effects pass
    through) until it returns, yielding a Pause or REFRESH between attempts for the driver to carry
    out. An exception the driver throws in at an attempt's effect is that attempt's failure."""
    while True:
        budget = plan.budget_s()
        try:
            return (yield from attempt(budget))
        except Exception as exc:
            step = plan.failed(exc, classify(exc))
            if step is None:
                raise
            yield step
            if step is REFRESH:
                plan.refreshed_after(exc)


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
    or the deadline would pass: `retry_flow` driven with blocking sleeps.

    The budget (math.inf without a deadline) lets the attempt cap its socket timeouts, so no single
    attempt overruns the deadline. A REFRESH decision calls `refresh` once per call and retries at once;
    that extra attempt does not count against max_attempts (with the default of 1 it must still work).
    Giving up re-raises the last error; a ClientError then says in its message how many attempts were
    made (`attempts`, and `retries_exhausted` when it was retryable), anything else gets a note. A sleep
    that would pass the deadline raises DeadlineExceeded (from the last error) instead. `log` gets each
    failed attempt and wait at DEBUG, giving up on a retryable failure at WARNING and a final answer at
    INFO; `what` names the call.
    """
    plan = Retrying(policy, clock=clock, rng=rng, log=log, what=what, can_refresh=refresh is not None)
    flow = retry_flow(lambda budget: _at_once(attempt, budget), classify, plan)
    try:
        effect = next(flow)
        while True:
            try:
                if effect is REFRESH:
                    assert refresh is not None  # REFRESH comes only with can_refresh
                    refresh()
                else:
                    sleep(effect.seconds)
            except Exception as exc:
                effect = flow.throw(exc)
            else:
                effect = next(flow)
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        flow.close()


def _at_once(attempt: Callable[[float], T], budget: float) -> Generator[Any, Any, T]:
    """A plain call as a flow without effects."""
    return attempt(budget)
    yield  # unreachable: makes this a generator


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
