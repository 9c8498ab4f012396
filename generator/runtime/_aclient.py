"""The async client's driver: the call flow of _client.ClientCore carried out on an event loop.

Sends go through an AsyncTransport (by default HttpTransport's exchange in a bounded pool of worker
threads: ThreadedTransport), pauses are asyncio.sleep, a credentials provider runs in a worker thread.
Nothing here decides anything: signing, retries, the deadline and reading answers are the core's, shared
with the blocking client. Copied verbatim into every generated package (standard library only); asyncio
is imported by the first call, not by importing the package.
"""

from __future__ import annotations

import inspect
import math
import os
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ._client import CREDENTIALS, ClientCore, Send, ServiceConfig
from ._credentials import CredentialsProvider
from ._errors import RequestTimeoutError, RequestValidationError, shown
from ._retry import Pause, RetryPolicy
from ._transport import AsyncTransport, ThreadedTransport, Transport

if TYPE_CHECKING:
    import random

T = TypeVar("T")

# Exchanges in flight at once with the default transport; as many connections are kept for reuse.
DEFAULT_MAX_CONNECTIONS = 16


def _is_async_transport(transport: object) -> bool:
    """Whether `transport` has the AsyncTransport shape: request a coroutine function, close callable."""
    return inspect.iscoroutinefunction(getattr(transport, "request", None)) \
        and callable(getattr(transport, "close", None))


class AsyncBaseClient(ClientCore):
    """The event-loop client: every call a coroutine, no thread held while it waits.

    `transport` is an AsyncTransport, or a blocking Transport (run in worker threads by a
    ThreadedTransport); by default HttpTransport in ThreadedTransport. `sleep` is an async function
    (asyncio.sleep by default). Cancelling the task of a call stops it at once, the exchange under way
    included; the call's deadline holds over everything, the transport's own time included.
    """

    def __init__(
        self,
        config: ServiceConfig,
        *,
        region_id: str | None,
        endpoint: str | None,
        access_key_id: str | None,
        access_key_secret: str | None,
        security_token: str | None,
        credentials_provider: CredentialsProvider | None,
        signature_version: str | None,
        timeout: float | tuple[float, float] | None,
        retry: RetryPolicy | int | None,
        user_agent: str | None,
        network: str | None,
        response_format: str,
        transport: AsyncTransport | Transport | None,
        validate_requests: bool,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] | None = None,
        rng: random.Random | None = None,
        record_to: str | os.PathLike[str] | None = None,
    ) -> None:
        super().__init__(config, region_id=region_id, endpoint=endpoint, access_key_id=access_key_id,
                         access_key_secret=access_key_secret, security_token=security_token,
                         credentials_provider=credentials_provider, signature_version=signature_version,
                         retry=retry, user_agent=user_agent, network=network, response_format=response_format,
                         validate_requests=validate_requests, clock=clock, rng=rng, record_to=record_to)
        if sleep is not None and not inspect.iscoroutinefunction(sleep):
            raise RequestValidationError("sleep", "must be an async function such as asyncio.sleep (a blocking "
                                                  f"one would stall the event loop), not {shown(sleep)}")
        self._sleep = sleep
        async_transport = transport is not None and _is_async_transport(transport)
        if transport is not None and not async_transport and not isinstance(transport, Transport):
            raise RequestValidationError("transport", "must be an AsyncTransport (async request(method, url, headers, "
                                                      "body, *, budget_s) and async close()) or a Transport, not "
                                                      f"{shown(transport)}")
        own = self._own_timeouts(timeout, transport)
        # Made last: every argument is checked before anything is opened.
        self._owns_transport = transport is None
        if transport is None:
            from ._http import HttpTransport  # here: sockets and TLS are for clients, not for parsing

            assert own is not None
            transport = ThreadedTransport(
                HttpTransport(connect_timeout_s=own[0], read_timeout_s=own[1],
                              max_idle_per_host=DEFAULT_MAX_CONNECTIONS),
                max_workers=DEFAULT_MAX_CONNECTIONS)
        elif not async_transport:
            # A blocking transport passed in: the client runs it in threads, and stays off its close().
            transport = ThreadedTransport(transport, close_transport=False)  # type: ignore[arg-type]
            self._owns_transport = True  # the thread pool is the client's
        self._transport: AsyncTransport = transport  # type: ignore[assignment]

    async def __aenter__(self) -> AsyncBaseClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Release the client's connections (and its worker threads); calls are refused afterwards. A
        transport you passed is yours."""
        self._closed = True
        if self._owns_transport:
            await self._transport.close()

    async def _invoke(self, action: str, params: dict[str, str], decode: Callable[[Any], T]) -> T:
        """Carry out one call's flow on the running event loop."""
        import asyncio

        flow = self._call(action, params, decode)
        try:
            effect = next(flow)
            while True:
                try:
                    if type(effect) is Send:
                        result: Any = await self._send(effect)
                    elif type(effect) is Pause:
                        await self._pause(effect.seconds)
                        result = None
                    elif effect is CREDENTIALS:
                        source = self._credentials
                        result = await asyncio.to_thread(source.get) if source.calls_provider else source.get()
                    else:
                        result = await asyncio.to_thread(self._credentials.refresh)
                except Exception as exc:
                    effect = flow.throw(exc)
                else:
                    effect = flow.send(result)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        finally:
            flow.close()

    async def _pause(self, seconds: float) -> None:
        """The pauses of retries and waiters: the client's `sleep`, else asyncio.sleep."""
        if self._sleep is not None:
            await self._sleep(seconds)
        else:
            import asyncio

            await asyncio.sleep(seconds)

    async def _send(self, request: Send) -> Any:
        """The exchange, held to its budget by the event loop as well as by the transport: a transport
        that overruns it is cancelled, and the call goes on as after a read timeout."""
        import asyncio

        transport = self._transport
        if request.budget_s == math.inf:
            return await transport.request(request.method, request.url, request.headers, request.body,
                                           budget_s=request.budget_s)
        limit = asyncio.timeout(max(request.budget_s, 0.0))
        try:
            async with limit:
                return await transport.request(request.method, request.url, request.headers, request.body,
                                               budget_s=request.budget_s)
        except TimeoutError:
            if limit.expired():
                raise RequestTimeoutError(f"no response within the {request.budget_s:.3f} s the call's deadline "
                                          "left", "read") from None
            raise
