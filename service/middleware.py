"""ASGI middleware: the request body size limit and the latency histogram.

Both are plain ASGI (not BaseHTTPMiddleware) so they see the raw byte stream and every answer,
including the ones other middleware or error handlers produce.
"""

from __future__ import annotations

import json
import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.metrics import ServiceMetrics


class BodyTooLargeError(Exception):
    """The body grew past the limit while being read."""


class BodyLimitMiddleware:
    """Refuse bodies over `max_bytes` with 413: by Content-Length before reading anything, and by
    counting streamed bytes for chunked bodies or a Content-Length that lies."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared == -1:
            await reject(send, 400, "Content-Length is not a number", "bad_request")
            return
        if declared is not None and declared > self.max_bytes:
            await self._too_large(send)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
            return message

        async def watching_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, watching_send)
        except BodyTooLargeError:
            if started:  # too late to answer 413; the server drops the connection
                raise
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        msg = f"request body is over the limit of {self.max_bytes} bytes"
        await reject(send, 413, msg, "too_large", ctx={"max_bytes": self.max_bytes})


CLIENT_CLOSED = 499  # nginx's status for "client closed the request": keeps 500 for our faults


class LatencyMiddleware:
    """Observe every HTTP answer's duration, labelled by route template, method and status."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500  # what the client gets if the app raises before answering

        async def watching_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watching_send)
        except ClientDisconnect:
            # The client left while sending its body: nobody to answer, and not our error.
            status = CLIENT_CLOSED
        finally:
            # The template (/v1/predict), never the raw path: raw paths would explode cardinality.
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.request_seconds.labels(route, scope["method"], str(status)).observe(
                time.perf_counter() - start
            )


def header(scope: Scope, name: bytes) -> bytes | None:
    """The first value of header `name` (lower case, as ASGI gives names), or None."""
    return next((value for key, value in scope["headers"] if key == name), None)


def _content_length(scope: Scope) -> int | None:
    """The declared body size; None when absent, -1 when malformed."""
    value = header(scope, b"content-length")
    if value is None:
        return None
    text = value.decode("latin-1").strip()
    return int(text) if text.isdigit() else -1


async def reject(
    send: Send,
    status: int,
    msg: str,
    kind: str,
    *,
    loc: list[str] | None = None,
    ctx: dict[str, int] | None = None,
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    """Answer an error in the shared shape before the app has read the body."""
    item: dict[str, object] = {"loc": loc or ["body"], "msg": msg, "type": kind}
    if ctx:
        item["ctx"] = ctx
    body = json.dumps({"detail": [item]}).encode()
    # Close the connection: the unread body would otherwise be parsed as the next request.
    head = [(b"content-type", b"application/json"), (b"connection", b"close"), *(headers or [])]
    head.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": head})
    await send({"type": "http.response.body", "body": body})
