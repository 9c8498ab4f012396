"""Page-number pagination and polling waiters, generic over the operation.

Copied verbatim into every generated package (standard library only). The generated client binds
them to the fields its spec names in x-pagination and x-waiters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any, Generic, TypeVar

from ._errors import PaginationError, RequestValidationError, WaiterTimeoutError, seconds, shown

R = TypeVar("R")


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _whole(name: str, value: object, *, optional: bool = False) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise RequestValidationError(name, f"must be a whole number of at least 1{' or None' if optional else ''}, "
                                           f"not {shown(value)}")


def _fingerprint(items: list[Any]) -> str:
    import json

    rows = [item.to_dict() if hasattr(item, "to_dict") else item for item in items]
    return json.dumps(rows, sort_keys=True, default=str, ensure_ascii=False)


class Paginator(Generic[R]):
    """Iterating yields pages; `.items()` yields every item across them.

    It always ends: at the total, at an empty or short page, or after max_pages. It raises
    PaginationError instead of looping or silently losing items when the server is inconsistent.
    """

    def __init__(
        self,
        fetch: Callable[[int, int], R],
        *,
        first_page: int,
        page_size: int,
        items_of: Callable[[R], Any],
        page_of: Callable[[R], Any] = lambda r: None,
        total_of: Callable[[R], Any] = lambda r: None,
        max_pages: int | None = None,
    ) -> None:
        _whole("page_size", page_size)
        _whole("max_pages", max_pages, optional=True)
        self._fetch = fetch
        self.first_page = first_page
        self.page_size = page_size
        self.max_pages = max_pages
        self._items_of = items_of
        self._page_of = page_of
        self._total_of = total_of
        self.pages_fetched = 0

    def __iter__(self) -> Iterator[R]:
        page = self.first_page
        seen: dict[str, int] = {}
        first_total: int | None = None
        count = 0
        while self.max_pages is None or self.pages_fetched < self.max_pages:
            response = self._fetch(page, self.page_size)
            self.pages_fetched += 1
            raw_items = self._items_of(response)
            items: list[Any] = raw_items if isinstance(raw_items, list) else []
            answered = _int(self._page_of(response))
            if answered is not None and answered != page:
                raise PaginationError(
                    f"asked for page {page}, the server answered page {answered} "
                    "(it clamps requests past the end back to an earlier page)"
                )
            total = _int(self._total_of(response))
            if first_total is None:
                first_total = total
            elif total is not None and total != first_total:
                raise PaginationError(f"the total changed from {first_total} to {total} at page {page}; "
                                      "the listing moved under the paginator, start again")
            if items:
                mark = _fingerprint(items)
                if mark in seen:
                    raise PaginationError(f"page {page} repeats page {seen[mark]} "
                                          "(a server that clamps past-the-end pages, or a stuck cursor)")
                seen[mark] = page
            count += len(items)
            if first_total is not None and count > first_total:
                raise PaginationError(f"the server sent {count} items, more than its total of {first_total}")
            if (not items or len(items) < self.page_size) and first_total is not None and count < first_total:
                raise PaginationError(f"page {page} has {len(items)} items, ending the listing at {count} of the "
                                      f"{first_total} its total promised")
            yield response
            if not items or len(items) < self.page_size:
                return
            if first_total is not None and count >= first_total:
                return
            page += 1

    def items(self) -> Iterator[Any]:
        for response in self:
            raw = self._items_of(response)
            if isinstance(raw, list):
                yield from raw


def wait_until(
    poll: Callable[[], R],
    *,
    state_of: Callable[[Any], Any],  # of the response, or of each item with items_of
    success: Iterable[str],
    failure: Iterable[str],
    failed: Callable[[R], bool] = lambda r: False,
    timeout: float,
    interval: float,
    min_interval: float,
    max_interval: float = 60.0,
    is_throttled: Callable[[BaseException], bool] = lambda e: False,
    on_progress: Callable[[R], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], object] = time.sleep,
    items_of: Callable[[R], Any] | None = None,
    success_when: str = "all",
    failure_when: str = "any",
) -> tuple[R, bool]:
    """Poll until a terminal state. Returns (last response, failed?); raises WaiterTimeoutError.

    With `items_of`, `state_of` reads each item of that list instead of the response (botocore's pathAll /
    pathAny): the wait fails when any (`failure_when="any"`) or all of the items are in a failure state, and
    succeeds when all (`success_when="all"`) or any are in a success state; an empty list is neither.
    Never polls faster than min_interval; doubles the interval while the server throttles. `timeout`
    (math.inf waits for ever) and `interval` must be positive numbers, `on_progress` None or callable:
    RequestValidationError otherwise, before the first poll.
    """
    timeout = seconds("timeout", timeout, infinite=True)
    interval = seconds("poll_interval", interval)
    if on_progress is not None and not callable(on_progress):
        raise RequestValidationError("on_progress", f"must be callable or None, not {shown(on_progress)}")
    ok, bad = frozenset(success), frozenset(failure)
    interval = max(interval, min_interval)
    deadline = clock() + timeout
    delay = interval
    last: R | None = None
    while True:
        try:
            response = poll()
        except Exception as exc:
            if not is_throttled(exc):
                raise
            delay = min(max(delay * 2, interval), max_interval)
        else:
            last = response
            delay = interval
            if on_progress is not None:
                on_progress(response)
            if items_of is None:
                state = state_of(response)
                ended_badly, ended_well = state in bad, state in ok
            else:
                raw = items_of(response)
                states = [state_of(item) for item in raw] if isinstance(raw, list) else []
                ended_badly = _matches(states, bad, failure_when)
                ended_well = _matches(states, ok, success_when)
            if ended_badly:
                return response, True
            if ended_well:
                return response, failed(response)
        if clock() + delay > deadline:
            raise WaiterTimeoutError(f"no terminal state within {timeout:g} s", last_response=last)
        sleep(delay)


def _matches(states: list[Any], wanted: frozenset[str], when: str) -> bool:
    hits = [s in wanted for s in states]
    return bool(hits) and (all(hits) if when == "all" else any(hits))
