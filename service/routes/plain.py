"""A route class for endpoints that take the Request and answer the Response themselves."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response, routing
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

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
