"""Endpoints that take the Request and answer the Response themselves, and their fast lane.

`PlainRoute` declares them (FastAPI documents them as usual); `PlainDispatch` hands their
requests straight to them.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine, Iterable, Mapping
from typing import Any

from fastapi import Request, Response, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, HTTPExceptionHandler, Receive, Scope, Send

Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class PlainRoute(APIRoute):
    """Runs the endpoint as `endpoint(request) -> Response`, skipping FastAPI's request handler.

    That handler solves dependencies and validates and serialises the answer on every request:
    ~0.13 ms of the event loop's CPU per request, a quarter of it (docs/benchmarks.md). The
    predict routes read and check their bodies themselves, so they skip it; the decorator's
    `response_model` and `openapi_extra` still document them. Dependencies are never run, so
    guards belong in ASGI middleware (service.security).
    """

    def get_route_handler(self) -> Handler:
        d = self._effective_dependant()
        params = (d.path_params, d.query_params, d.header_params, d.cookie_params, d.body_params)
        # Nothing would fill them in: refuse (at start-up, or for an included router at its
        # first request) rather than run without them.
        if any(params) or d.dependencies or d.request_param_name is None:
            raise TypeError(f"{self.path}: a PlainRoute endpoint takes the Request only")
        handler: Handler = self.endpoint
        return handler

    def _effective_dependant(self) -> Dependant:
        """The dependant FastAPI builds the handler for: with `include_router`'s dependencies.

        FastAPI (0.16x) passes it in a private context variable, as it does to its own
        `get_route_handler`; tests/api/test_plain_route.py fails if that stops working.
        """
        context_var = getattr(routing, "_effective_route_context_var", None)
        context = context_var.get() if context_var is not None else None
        if context is not None and context.original_route is self:
            dependant: Dependant = context.dependant
            return dependant
        return self.dependant


class PlainDispatch:
    """Innermost middleware: a request for a PlainRoute goes straight to its endpoint.

    Starlette's router, FastAPI's exception and exit-stack middleware and the route's wrappers
    cost a fifth of the event loop's time per request (docs/benchmarks.md). The endpoint's
    errors get the app's own handlers, as its ExceptionMiddleware would give them; what they do
    not handle goes on to the outer middleware (a 500, a 499 for a client that left). Other
    paths, and other methods on these paths (405), go on to the app. Include the routes without
    `include_router` dependencies and prefixes: this lane would not see them.
    """

    def __init__(
        self,
        app: ASGIApp,
        routes: Iterable[BaseRoute],
        handlers: Mapping[Any, HTTPExceptionHandler],
    ) -> None:
        self.app = app
        self._routes = {
            (method, route.path): route
            for route in routes
            if isinstance(route, PlainRoute)
            for method in route.methods or ()
        }
        self._handlers = handlers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = self._routes.get((scope.get("method", ""), scope.get("path", "")))
        if route is None or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope["route"] = route  # as the router sets it: the latency histogram's label
        scope["endpoint"] = route.endpoint
        request = Request(scope, receive, send)
        try:
            response = await route.endpoint(request)
        except Exception as exc:
            handler = self._handler(exc)
            if handler is None:
                raise
            if inspect.iscoroutinefunction(handler):  # as Starlette runs them
                response = await handler(request, exc)
            else:
                response = await run_in_threadpool(handler, request, exc)
        await response(scope, receive, send)

    def _handler(self, exc: Exception) -> HTTPExceptionHandler | None:
        """The app's handler for `exc`'s class or its nearest base, as Starlette looks it up;
        the last-resort handler (Exception, 500) belongs to the outermost middleware."""
        for cls in type(exc).__mro__:
            if cls is Exception:
                return None
            if cls in self._handlers:
                return self._handlers[cls]
        return None
