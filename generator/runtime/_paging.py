"""Page-number pagination and polling waiters, generic over the operation.

Each is one state machine that does no I/O and never sleeps (`PageWalk`, `Waiting`), driven by a sync
loop (`Paginator`, `wait_until`) and an async one (`AsyncPaginator`, `wait_until_async`): the rules are
written once. Copied verbatim into every generated package (standard library only). The generated
clients bind them to the fields their spec names in x-pagination and x-waiters.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
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


class PageWalk:
    """One pass over the pages: which page to ask for next, and the checks on every answer.

    It always ends: at the total, at an empty or short page, or after max_pages. `accept` raises
    PaginationError instead of looping or silently losing items when the server is inconsistent.
    """

    __slots__ = ("_count", "_first_total", "_items_of", "_page_of", "_seen", "_total_of", "done", "fetched",
                 "max_pages", "page", "page_size")

    def __init__(self, first_page: int, page_size: int, max_pages: int | None, items_of: Callable[[Any], Any],
                 page_of: Callable[[Any], Any], total_of: Callable[[Any], Any]) -> None:
        self.page = first_page
        self.page_size = page_size
        self.max_pages = max_pages
        self._items_of, self._page_of, self._total_of = items_of, page_of, total_of
        self._seen: dict[str, int] = {}
        self._first_total: int | None = None
        self._count = 0
        self.fetched = 0
        self.done = False

    def next_page(self) -> int | None:
        """The page to fetch next, or None when the listing is complete."""
        if self.done or (self.max_pages is not None and self.fetched >= self.max_pages):
            return None
        return self.page

    def accept(self, response: Any) -> None:
        """Check the answer to `next_page()` against the pages before it, and move on."""
        page = self.page
        self.fetched += 1
        raw_items = self._items_of(response)
        items: list[Any] = raw_items if isinstance(raw_items, list) else []
        answered = _int(self._page_of(response))
        if answered is not None and answered != page:
            raise PaginationError(
                f"asked for page {page}, the server answered page {answered} "
                "(it clamps requests past the end back to an earlier page)"
            )
        total = _int(self._total_of(response))
        first_total = self._first_total
        if first_total is None:
            first_total = self._first_total = total
        elif total is not None and total != first_total:
            raise PaginationError(f"the total changed from {first_total} to {total} at page {page}; "
                                  "the listing moved under the paginator, start again")
        if items:
            mark = _fingerprint(items)
            if mark in self._seen:
                raise PaginationError(f"page {page} repeats page {self._seen[mark]} "
                                      "(a server that clamps past-the-end pages, or a stuck cursor)")
            self._seen[mark] = page
        self._count += len(items)
        count = self._count
        if first_total is not None and count > first_total:
            raise PaginationError(f"the server sent {count} items, more than its total of {first_total}")
        short = not items or len(items) < self.page_size
        if short and first_total is not None and count < first_total:
            raise PaginationError(f"page {page} has {len(items)} items, ending the listing at {count} of the "
                                  f"{first_total} its total promised")
        if short or (first_total is not None and count >= first_total):
            self.done = True
        else:
            self.page += 1


class _Pages(Generic[R]):
    """What both paginators hold: the arguments, checked when it is made."""

    def __init__(
        self,
        fetch: Callable[[int, int], Any],
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

    def _walk(self) -> PageWalk:
        return PageWalk(self.first_page, self.page_size, self.max_pages, self._items_of, self._page_of,
                        self._total_of)

    def _items(self, response: R) -> list[Any]:
        raw = self._items_of(response)
        return raw if isinstance(raw, list) else []


class Paginator(_Pages[R]):
    """Iterating yields pages; `.items()` yields every item across them. Each iteration walks the listing
    from the first page (max_pages bounds each walk).

    It always ends: at the total, at an empty or short page, or after max_pages. It raises
    PaginationError instead of looping or silently losing items when the server is inconsistent.
    """

    _fetch: Callable[[int, int], R]

    def __iter__(self) -> Iterator[R]:
        walk = self._walk()
        while (page := walk.next_page()) is not None:
            response = self._fetch(page, self.page_size)
            self.pages_fetched += 1
            walk.accept(response)
            yield response

    def items(self) -> Iterator[Any]:
        for response in self:
            yield from self._items(response)


class AsyncPaginator(_Pages[R]):
    """`async for page in ...` yields pages; `async for item in ....items()` every item across them; the
    same walk and checks as Paginator, each page fetched without blocking the event loop."""

    _fetch: Callable[[int, int], Awaitable[R]]

    async def __aiter__(self) -> AsyncIterator[R]:
        walk = self._walk()
        while (page := walk.next_page()) is not None:
            response = await self._fetch(page, self.page_size)
            self.pages_fetched += 1
            walk.accept(response)
            yield response

    async def items(self) -> AsyncIterator[Any]:
        async for response in self:
            for item in self._items(response):
                yield item


class Waiting(Generic[R]):
    """A waiter's decisions, with no I/O and no sleeping: the verdict on each answer, the backoff while
    the server throttles, and the time left.

    With `items_of`, `state_of` reads each item of that list instead of the response (botocore's pathAll /
    pathAny): the wait fails when any (`failure_when="any"`) or all of the items are in a failure state, and
    succeeds when all (`success_when="all"`) or any are in a success state; an empty list is neither.
    Never polls faster than min_interval; doubles the interval while the server throttles. `timeout`
    (math.inf waits for ever) and `interval` must be positive numbers, `on_progress` None or callable:
    RequestValidationError otherwise, when it is made (before the first poll).
    """

    def __init__(
        self,
        *,
        state_of: Callable[[Any], Any],
        success: Iterable[str],
        failure: Iterable[str],
        failed: Callable[[R], bool] = lambda r: False,
        timeout: float,
        interval: float,
        min_interval: float,
        max_interval: float = 60.0,
        is_throttled: Callable[[BaseException], bool] = lambda e: False,
        on_progress: Callable[[R], object] | None = None,
        clock: Callable[[], float] = time.monotonic,
        items_of: Callable[[R], Any] | None = None,
        success_when: str = "all",
        failure_when: str = "any",
    ) -> None:
        self.timeout = seconds("timeout", timeout, infinite=True)
        interval = seconds("poll_interval", interval)
        if on_progress is not None and not callable(on_progress):
            raise RequestValidationError("on_progress", f"must be callable or None, not {shown(on_progress)}")
        self._state_of, self._failed, self._items_of = state_of, failed, items_of
        self._ok, self._bad = frozenset(success), frozenset(failure)
        self._success_when, self._failure_when = success_when, failure_when
        self._is_throttled = is_throttled
        self.on_progress = on_progress
        self.interval = max(interval, min_interval)
        self._max_interval = max_interval
        self._clock = clock
        self._deadline = clock() + self.timeout
        self.delay = self.interval
        self.last: R | None = None

    def verdict(self, response: R) -> bool | None:
        """None while the state is not final; else whether the wait ended in failure."""
        self.last = response
        self.delay = self.interval
        if self._items_of is None:
            state = self._state_of(response)
            ended_badly, ended_well = state in self._bad, state in self._ok
        else:
            raw = self._items_of(response)
            states = [self._state_of(item) for item in raw] if isinstance(raw, list) else []
            ended_badly = _matches(states, self._bad, self._failure_when)
            ended_well = _matches(states, self._ok, self._success_when)
        if ended_badly:
            return True
        if ended_well:
            return self._failed(response)
        return None

    def throttled(self, exc: BaseException) -> bool:
        """Whether a failed poll is the server throttling (then the wait goes on, slower)."""
        if not self._is_throttled(exc):
            return False
        self.delay = min(max(self.delay * 2, self.interval), self._max_interval)
        return True

    def pause_s(self) -> float:
        """The wait before the next poll; WaiterTimeoutError when that poll would come after the timeout."""
        if self._clock() + self.delay > self._deadline:
            raise WaiterTimeoutError(f"no terminal state within {self.timeout:g} s", last_response=self.last)
        return self.delay


def wait_until(poll: Callable[[], R], *, sleep: Callable[[float], object] = time.sleep,
               **rules: Any) -> tuple[R, bool]:
    """Poll until a terminal state, sleeping between polls. Returns (last response, failed?); raises
    WaiterTimeoutError. `rules` are Waiting's (state_of, success, failure, timeout, interval, ...)."""
    waiting: Waiting[R] = Waiting(**rules)
    while True:
        try:
            response = poll()
        except Exception as exc:
            if not waiting.throttled(exc):
                raise
        else:
            if waiting.on_progress is not None:
                waiting.on_progress(response)
            verdict = waiting.verdict(response)
            if verdict is not None:
                return response, verdict
        sleep(waiting.pause_s())


async def wait_until_async(poll: Callable[[], Awaitable[R]], *, sleep: Callable[[float], Awaitable[object]],
                           **rules: Any) -> tuple[R, bool]:
    """wait_until for the event loop: `poll` and `sleep` are awaited (no thread is held while it waits);
    `on_progress` may be a plain function or a coroutine function."""
    waiting: Waiting[R] = Waiting(**rules)
    while True:
        try:
            response = await poll()
        except Exception as exc:
            if not waiting.throttled(exc):
                raise
        else:
            if waiting.on_progress is not None:
                shown_progress = waiting.on_progress(response)
                if hasattr(shown_progress, "__await__"):
                    await shown_progress
            verdict = waiting.verdict(response)
            if verdict is not None:
                return response, verdict
        await sleep(waiting.pause_s())


def _matches(states: list[Any], wanted: frozenset[str], when: str) -> bool:
    hits = [s in wanted for s in states]
    return bool(hits) and (all(hits) if when == "all" else any(hits))
