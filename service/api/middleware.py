"""ASGI middleware: the request body size limit and the latency histogram.

Both are plain ASGI (not BaseHTTPMiddleware) so they see the raw byte stream and every answer,
including the ones other middleware or error handlers produce.
"""

from __future__ import annotations

import time

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api.errors import ApiError, api_error, error_response
from service.inference.metrics import ServiceMetrics


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
            where = ("header", "content-length")
            bad = api_error(400, "Content-Length is not a number", "bad_request", where)
            await _refuse(bad, scope, receive, send)
            return
        if declared is not None and declared > self.max_bytes:
            await _refuse(self._too_large(), scope, receive, send)
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
            await _refuse(self._too_large(), scope, receive, send)

    def _too_large(self) -> ApiError:
        msg = f"request body is over the limit of {self.max_bytes} bytes"
        return api_error(413, msg, "too_large", ("body",), {"max_bytes": self.max_bytes})


async def _refuse(error: ApiError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer `error` before the app has read the body, and close the connection: the unread
    body is not worth receiving."""
    error.headers["Connection"] = "close"
    await error_response(error)(scope, receive, send)


ROUTE_TEMPLATE = "appraiser.route"  # scope key: the template of a plain (Starlette) route
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
            route = scope.get(ROUTE_TEMPLATE) or getattr(scope.get("route"), "path", "unmatched")
            self.metrics.request_seconds.labels(route, scope["method"], str(status)).observe(
                time.perf_counter() - start
            )


def _content_length(scope: Scope) -> int | None:
    """The declared body size; None when absent, -1 when malformed."""
    value = next((v for k, v in scope["headers"] if k == b"content-length"), None)
    if value is None:
        return None
    text = value.decode("latin-1").strip()
    return int(text) if text.isdigit() else -1
