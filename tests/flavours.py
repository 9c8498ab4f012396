"""Both generated clients from one test suite: the blocking one, and the async one driven on a real event loop.

A test module takes the `flavour` fixture (autouse, parametrised over FLAVOURS) and makes its clients with
`make(...)`: for "sync" that is the blocking client itself; for "async" it is the async client wrapped in
`OnLoop`, which runs each of its coroutines to the end on its own event loop (asyncio.Runner: real
asyncio.sleep, the real worker threads, real cancellation) and hands back the result, so one test body
checks both clients. A blocking `sleep=` given to make() (a FakeClock's) becomes an async function that
does the same, as a test of the async client would write it. An AsyncTransport given to make() is bound to
the view's loop: the view closes it, on that loop, when it closes.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

FLAVOURS = ("sync", "async")
_current = ["sync"]


def use(flavour: str) -> None:
    """Make `make()` build this flavour until told otherwise (the flavour fixture calls it)."""
    assert flavour in FLAVOURS, flavour
    _current[0] = flavour


def current() -> str:
    return _current[0]


def make(client_module: Any, flavour: str | None = None, **kw: Any) -> Any:
    """A client of `client_module` (a generated package's client module) in the current flavour."""
    flavour = flavour or _current[0]
    names = client_module.__all__
    sync_name = next(n for n in names if n.endswith("Client") and not n.startswith("Async"))
    if flavour == "sync":
        return getattr(client_module, sync_name)(**kw)
    sleep = kw.get("sleep")
    if sleep is not None and not inspect.iscoroutinefunction(sleep):
        kw["sleep"] = _async_sleep(sleep)
    view = OnLoop(getattr(client_module, "Async" + sync_name)(**kw))
    transport = kw.get("transport")
    if inspect.iscoroutinefunction(getattr(transport, "close", None)):
        view.closing.append(transport)
    return view


def _async_sleep(blocking: Any) -> Any:
    async def sleep(seconds: float) -> None:
        blocking(seconds)
        await asyncio.sleep(0)  # still a suspension point, as asyncio.sleep is

    return sleep


class OnLoop:
    """An async client used from blocking test code: each coroutine it returns runs to the end on this
    view's event loop; an AsyncPaginator becomes PagesOnLoop. Anything else passes through."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.closing: list[Any] = []  # more to close on this loop (an AsyncTransport bound to it)
        self._runner: asyncio.Runner | None = None

    def run(self, coroutine: Any) -> Any:
        """Run on this view's loop (a new one after close(): a closed client must still refuse calls)."""
        if self._runner is None:
            self._runner = asyncio.Runner()
        return self._runner.run(coroutine)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            if inspect.iscoroutine(result):
                return self.run(result)
            if type(result).__name__ == "AsyncPaginator":
                return PagesOnLoop(result, self)
            return result

        return call

    def __repr__(self) -> str:
        return repr(self.client)

    def __str__(self) -> str:
        return str(self.client)

    def __enter__(self) -> OnLoop:
        self.run(self.client.__aenter__())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        try:
            self.run(self.client.close())
            while self.closing:
                self.run(self.closing.pop().close())
        finally:
            if self._runner is not None:
                self._runner.close()
                self._runner = None


class PagesOnLoop:
    """An AsyncPaginator iterated from blocking code, page by page on the client's event loop."""

    def __init__(self, pages: Any, view: OnLoop) -> None:
        self.pages = pages
        self.view = view

    def __getattr__(self, name: str) -> Any:
        return getattr(self.pages, name)

    def _drain(self, iterator: Any) -> Iterator[Any]:
        async def step() -> Any:
            return await anext(iterator)

        while True:
            try:
                yield self.view.run(step())
            except StopAsyncIteration:
                return

    def __iter__(self) -> Iterator[Any]:
        return self._drain(aiter(self.pages))

    def items(self) -> Iterator[Any]:
        return self._drain(self.pages.items())
