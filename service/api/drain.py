"""Draining before a stop, the way orchestrators expect: readiness fails first, serving goes on.

After SIGTERM a load balancer keeps sending until its readiness probe fails. So the service first
answers 503 on /readyz and `Connection: close` on every answer (each client then reconnects,
through the balancer, elsewhere), and only after a grace period stops taking connections. Then
the app answers what it still holds within its drain timeout (`on_stop`), before the server's own
timeout would cut requests off without an answer.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Drain:
    """Whether this process is draining; set once, from a signal handler or any thread."""

    def __init__(self) -> None:
        self._draining = threading.Event()
        self._on_stop: list[Callable[[], Awaitable[None]]] = []

    @property
    def active(self) -> bool:
        """True from the first stop signal on."""
        return self._draining.is_set()

    def begin(self) -> None:
        """Start draining (idempotent)."""
        self._draining.set()

    def on_stop(self, stop: Callable[[], Awaitable[None]]) -> None:
        """Await `stop()` when the server stops taking connections (after the grace period)."""
        self._on_stop.append(stop)

    async def stop(self) -> None:
        """Run what was registered with `on_stop`, side by side."""
        await asyncio.gather(*(stop() for stop in self._on_stop))


class DrainMiddleware:
    """While draining, every HTTP answer says `Connection: close`, so keep-alive connections end
    between requests, never under a request a client has just sent."""

    def __init__(self, app: ASGIApp, drain: Drain) -> None:
        self.app = app
        self.drain = drain

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and self.drain.active:
                headers = [(k, v) for k, v in message.get("headers", []) if k != b"connection"]
                message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        await self.app(scope, receive, closing_send)
